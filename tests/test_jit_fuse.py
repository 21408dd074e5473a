"""tg.compile's kernel fusions (jit/fuse.py): a conv and its relu as one kernel, a max pool's
scatter and relu's backward as one; the replay stays bit-identical to eager mode, and nothing is
fused where another op reads what lies between the two kernels."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.ops.conv import Conv
from tinygrad_cnn.ops.window import Window


def _cifar_like() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
    )  # fmt: skip


class _ConvReadTwice(nn.Module):
    """The conv's output is read by its relu and again by the sum: no conv + relu fusion."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        y = self.conv(x)
        z = F.max_pool2d(F.relu(y), 2) + F.max_pool2d(y, 2)
        return self.fc(z.flatten(1))


def _overlapping_pool() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1),
        nn.Flatten(), nn.Linear(4 * 8 * 8, 10),
    )  # fmt: skip


def _padded_pool() -> nn.Module:  # windows that do not overlap, over padding
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2, padding=1),
        nn.Flatten(), nn.Linear(4 * 8 * 8, 10),
    )  # fmt: skip


MODELS = {
    "cifar-like": (_cifar_like, (8, 3, 16, 16)),
    "lenet5": (tg.models.LeNet5, (8, 1, 28, 28)),
    "conv-read-twice": (_ConvReadTwice, (8, 3, 16, 16)),
    "overlapping-pool": (_overlapping_pool, (8, 3, 16, 16)),
    "padded-pool": (_padded_pool, (8, 3, 16, 16)),
}
# how many of each fusion the model's program must hold: conv + relu, scatter + relu grad,
# conv + relu + max pool (not where relu's output is also read by relu's backward); and how
# many max pools are left on their own
EXPECTED = {
    "cifar-like": (2, 2, 2, 0),
    "lenet5": (2, 2, 2, 0),
    "conv-read-twice": (0, 1, 0, 2),
    "overlapping-pool": (1, 0, 0, 1),
    "padded-pool": (1, 1, 1, 0),
}


def _labels(run) -> list[str]:
    return [ins.label for ins in run.program.instrs if hasattr(ins, "label")]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fused_replay_is_bit_identical_to_eager(sgd_steps, name: str) -> None:
    eager_losses, eager, _ = sgd_steps(*MODELS[name], compiled=False)
    losses, model, run = sgd_steps(*MODELS[name], compiled=True)
    assert run.replays == 2
    for a, b in zip(losses, eager_losses):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(model.parameters(), eager.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    labels = _labels(run)
    convs, scatters, pools, alone = EXPECTED[name]
    assert sum(label.endswith(("+ relu", "+ relu + max pool")) for label in labels) == convs
    assert sum(label.endswith("+ relu grad") for label in labels) == scatters
    assert sum(label.endswith("+ relu + max pool") for label in labels) == pools
    assert not any(label.startswith("Relu ") or label == "Relu" for label in labels[:convs])
    assert sum(label.startswith("MaxPool") for label in labels) == alone


def test_fused_inference_with_row_tiled_columns_is_bit_identical() -> None:
    # LeNet-5 at batch 256 under no_grad: the first convolution builds its columns a few
    # output rows at a time, and the fused relu runs on each tile
    tg.manual_seed(0)
    model = tg.models.LeNet5().eval()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((256, 1, 28, 28)).astype(np.float32))

    @tg.compile
    def infer(x: tg.Tensor) -> tg.Tensor:
        with tg.no_grad():
            return model(x)

    outs = [infer(x).numpy() for _ in range(3)]
    with tg.no_grad():
        want = model(x).numpy()
    assert infer.replays == 1
    for out in outs:
        np.testing.assert_array_equal(out, want)
    assert sum(label.endswith("+ relu") for label in _labels(infer)) == 2


def test_fused_kernels_are_what_the_program_draws(sgd_steps) -> None:
    _, _, run = sgd_steps(*MODELS["cifar-like"], compiled=True, steps=3)
    dot = run.to_dot()
    assert "+ relu grad" in dot and "+ relu" in dot


def test_fuse_leaves_a_conv_without_relu_alone() -> None:
    # a conv read by nothing but the step's output is not fused (nothing to fuse it with)
    conv = nn.Conv2d(1, 2, 3)

    @tg.compile
    def step(x: tg.Tensor) -> tg.Tensor:
        with tg.no_grad():
            return conv(x)

    x = tg.ones(1, 1, 5, 5)
    outs = [step(x).numpy() for _ in range(3)]
    assert [ins.cls for ins in step.program.instrs] == [Conv]
    assert not dict(step.program.instrs[0].kwargs).get("relu")
    np.testing.assert_array_equal(outs[2], outs[0])


@pytest.mark.parametrize("kernels", ["numpy", "numba"])
def test_fused_conv_relu_pool_multiplies_once(monkeypatch, kernels: str) -> None:
    # with or without the numba kernel that pools the product, the product is made once
    from tinygrad_cnn.ops import conv, fast

    if kernels == "numba" and not fast.enable():
        pytest.skip("numba is not installed")
    try:
        x = np.random.default_rng(0).standard_normal((4, 3, 8, 8)).astype(np.float32)
        w = np.random.default_rng(1).standard_normal((5, 3, 3, 3)).astype(np.float32)
        win = Window.conv((8, 8), (3, 3), padding=(1, 1))
        pool = Window.pool((8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False)
        calls = []
        real = conv._product
        monkeypatch.setattr(conv, "_product", lambda *a: calls.append(1) or real(*a))
        (pooled, _), cols = conv.conv_relu_pool(x, w, None, win, pool, 0)
        assert len(calls) == 1 and cols is not None
        want = np.maximum(conv.conv_forward(x, w, None, win)[0], 0)
        want = want.reshape(4, 5, 4, 2, 4, 2).max(axis=(3, 5))
        np.testing.assert_array_equal(pooled, want)
    finally:
        fast.enable(False)
