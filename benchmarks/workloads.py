"""The benchmark workloads, written once for both frameworks, and their FLOP counts.

A workload is built from a framework namespace (`framework("ours")` or `framework("torch")`):
the same model definition runs on tinygrad_cnn and on PyTorch, since both follow PyTorch's API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

CHAIN_LENGTH = 100_000


class Unavailable(Exception):
    """A workload this checkout cannot run yet (the message says why)."""


@dataclass(frozen=True)
class Workload:
    name: str  # as given to `python -m benchmarks.child --workload`
    title: str  # as printed in the tables
    kind: str  # "train", "infer" or "chain"
    model: str  # a key of MODELS ("" for the chain)
    sample_shape: tuple[int, ...]  # one input sample
    batch: int  # the batch of the main table
    steps: int  # timed steps per process at that batch
    scaling: tuple[int, ...] = ()  # batches of the scaling table


def lenet5(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


def cifar_net(nn):
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4096, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def mlp(nn):
    return nn.Sequential(
        nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10)
    )


def resnet20(nn):
    """He et al.'s CIFAR ResNet-20 (3 stages of 3 basic blocks, 16/32/64 channels) with 1x1
    convolution shortcuts where the shape changes; the PyTorch side of the ResNet workload."""

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            same = stride == 1 and cin == cout
            self.shortcut = nn.Sequential(
                *(
                    []
                    if same
                    else [nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)]
                )
            )

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + self.shortcut(x))

    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(Block(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def our_resnet20(nn):
    """tinygrad_cnn's own ResNet-20 from `tinygrad_cnn.models`, once that module has one."""
    from tinygrad_cnn import models

    for key in ("resnet20", "resnet_20"):
        if key in getattr(models, "MODELS", {}):
            return models.get_model(key)
    for attr in ("resnet20", "ResNet20"):
        if callable(getattr(models, attr, None)):
            return getattr(models, attr)()
    raise Unavailable("tinygrad_cnn.models has no ResNet-20 yet")


def architecture_note(name: str) -> str | None:
    """Where tinygrad_cnn's model for workload `name` is not the one PyTorch runs (only the
    ResNet comes from tinygrad_cnn.models), say how their parameter counts differ."""
    if WORKLOADS[name].model != "resnet20":
        return None
    ours = build_model(framework("ours"), "resnet20")
    reference = resnet20(framework("ours").nn)
    n_ours, n_ref = (sum(p.numpy().size for p in m.parameters()) for m in (ours, reference))
    if n_ours == n_ref:
        return None
    return (
        f"tinygrad_cnn.models' ResNet-20 has {n_ours} parameters, the PyTorch side's "
        f"(benchmarks/workloads.py) {n_ref}: the two sides run different networks"
    )


MODELS = {"lenet5": lenet5, "cifar": cifar_net, "mlp": mlp, "resnet20": resnet20}

WORKLOADS = {
    w.name: w
    for w in [
        Workload("lenet5_train", "LeNet-5 train", "train", "lenet5", (1, 28, 28), 64, 100,
                 (8, 32, 128, 512)),
        Workload("lenet5_infer", "LeNet-5 inference", "infer", "lenet5", (1, 28, 28), 256, 50),
        Workload("cifar_train", "CIFAR-style train", "train", "cifar", (3, 32, 32), 64, 10,
                 (16, 64, 256)),
        Workload("mlp_train", "MLP train", "train", "mlp", (32,), 32, 300),
        Workload("resnet20_train", "ResNet-20 train", "train", "resnet20", (3, 32, 32), 64, 4),
        Workload("chain_backward", "100k-op chain backward", "chain", "", (), 1, 2),
    ]
}  # fmt: skip


def framework(side: str, threads: int = 2) -> SimpleNamespace:
    """The names a workload needs from one framework: nn, F, optim, tensor(), scalar(), ..."""
    if side == "ours":
        import tinygrad_cnn as tg

        return SimpleNamespace(
            side=side, nn=tg.nn, F=tg.nn.functional, optim=tg.optim, seed=tg.manual_seed,
            tensor=tg.Tensor, scalar=lambda v: tg.Tensor(v, requires_grad=True),
            no_grad=tg.no_grad,
        )  # fmt: skip
    import torch

    torch.set_num_threads(threads)
    return SimpleNamespace(
        side=side, nn=torch.nn, F=torch.nn.functional, optim=torch.optim, seed=torch.manual_seed,
        tensor=torch.from_numpy, scalar=lambda v: torch.tensor(v, requires_grad=True),
        no_grad=torch.no_grad,
    )  # fmt: skip


def build_model(fw: SimpleNamespace, name: str):
    fw.seed(0)
    if name == "resnet20" and fw.side == "ours":
        return our_resnet20(fw.nn)
    return MODELS[name](fw.nn)


def inputs(shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, shape[0])


def compilable(name: str) -> bool:
    """Whether workload `name` has a compiled variant ("ours (tg.compile)"): every training and
    inference step does; the chain builds a new graph on purpose each time."""
    return WORKLOADS[name].kind in ("train", "infer")


def build_step(
    fw: SimpleNamespace, name: str, batch: int, compiled: bool = False
) -> Callable[[], object]:
    """One step of workload `name` at `batch`, ready to call repeatedly; with `compiled`, our
    step captured by `tg.compile` (its first two calls record, later ones replay)."""
    step = _eager_step(fw, name, batch)
    if not compiled:
        return step
    if fw.side != "ours" or not compilable(name):
        raise ValueError(f"build_step: {name} on {fw.side} has no compiled variant")
    import tinygrad_cnn as tg

    return tg.compile(step)


def _eager_step(fw: SimpleNamespace, name: str, batch: int) -> Callable[[], object]:
    w = WORKLOADS[name]
    if w.kind == "chain":
        return lambda: _chain(fw, CHAIN_LENGTH)
    model = build_model(fw, w.model)
    x_np, y_np = inputs((batch, *w.sample_shape))
    x, y = fw.tensor(x_np), fw.tensor(y_np)
    if w.kind == "infer":
        model.eval()

        def infer():
            with fw.no_grad():
                return model(x)

        return infer
    opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train():
        opt.zero_grad()
        loss = fw.F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return train


def _chain(fw: SimpleNamespace, n: int):
    x = fw.scalar(1.0)
    y = x
    for _ in range(n):
        y = y * 1.000001
    y.backward()
    return x.grad


def count_flops(name: str, batch: int) -> float:
    """FLOPs of one step: 2 per multiply-add of every convolution and linear layer, forward
    and (for training) backward, where backward costs one product for the weight gradient and
    one more for the input gradient unless the input is data that needs none. Elementwise ops,
    pooling and normalisation are not counted. Measured on tinygrad_cnn's model with hooks.

    >>> round(count_flops("lenet5_train", 64) / 1e6, 1)  # DESIGN.md: 97 MFLOP a step
    97.1
    """
    w = WORKLOADS[name]
    if w.kind == "chain":
        return 2.0 * CHAIN_LENGTH  # one multiply forward, one backward per op
    import tinygrad_cnn as tg

    model = build_model(framework("ours"), w.model)
    total = [0.0]

    def hook(module, args, out):
        fwd = 2.0 * np.prod(out.shape) * np.prod(module.weight.shape[1:])
        if w.kind == "infer":
            total[0] += fwd
        else:
            total[0] += fwd * (2 + bool(getattr(args[0], "requires_grad", False)))

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (tg.nn.Conv2d, tg.nn.Linear))
    ]
    model(tg.zeros(1, *w.sample_shape))
    for h in handles:
        h.remove()
    return total[0] * batch
