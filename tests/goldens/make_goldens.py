"""Record PyTorch's answers into tests/goldens/*.npz, so `make test` checks parity without torch.

Run by `make goldens` (it installs torch==2.13.0 CPU into the venv first). It records, for every
registry sample (``all_specs()``), PyTorch's forward value, a vector-Jacobian product and a
second-order product (float64); the optimizer trajectories; the LR schedules; and a LeNet-5
training trajectory. tests/test_goldens.py replays them. A golden is keyed by spec name, sample
index and a hash of the sample's inputs, so a changed sample is reported as stale.

Ops reach PyTorch through ``torch_ops`` (spec name -> torch callable); a spec not listed there
is tried with its own function on torch tensors (the in-place lambdas are plain PyTorch code),
then with ``F`` and the tensors it closes over swapped for torch's, then as
torch.nn.functional.<name> (a guess kept only if it matches the spec's numpy reference); the
rest (random ops) are listed and skipped, with the count printed.

This module imports torch only inside the recording functions: the tests import the rest.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
OPS_FILE = HERE / "ops.npz"
TRAIN_FILE = HERE / "training.npz"
SEP = "::"


# -- keys and hashes (shared with tests/test_goldens.py) -----------------------------------------
def _feed(h: Any, v: Any) -> None:
    from tinygrad_cnn import Tensor

    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.asarray(v)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    elif isinstance(v, (list, tuple)):
        h.update(f"{type(v).__name__}{len(v)}".encode())
        for item in v:
            _feed(h, item)
    elif isinstance(v, dict):
        for k in sorted(v):
            h.update(repr(k).encode())
            _feed(h, v[k])
    else:
        h.update(repr(v).encode())


def sample_hash(sample: Any) -> str:
    """A hash of a sample's inputs (arrays, numbers, options and differentiated args)."""
    h = hashlib.sha1()
    _feed(h, sample.args)
    _feed(h, sample.kwargs)
    _feed(h, sample.differentiable())
    return h.hexdigest()[:16]


def key(name: str, i: int, what: str) -> str:
    return f"{name}{SEP}{i}{SEP}{what}"


def cotangents(shapes: list[tuple[int, ...]], digest: str) -> list[np.ndarray]:
    """Fixed random vectors (seeded by the sample's hash) to contract derivatives with."""
    rng = np.random.default_rng(int(digest, 16) % 2**32)
    return [rng.standard_normal(s) for s in shapes]


# -- the torch side of every registry op ---------------------------------------------------------
def _closure(fn: Any, name: str) -> Any:
    """A variable the registry's lambda closes over (e.g. its fixed targets)."""
    return fn.__closure__[fn.__code__.co_freevars.index(name)].cell_contents


def _reduce(method: str) -> Any:
    def fn(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            out = getattr(x, method)()
            return out.reshape((1,) * x.ndim) if keepdim else out
        return getattr(x, method)(dim, keepdim=keepdim)

    return fn


def _prod(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    if dim is None:
        out = x.prod()
        return out.reshape((1,) * x.ndim) if keepdim else out
    for d in sorted((dim,) if isinstance(dim, int) else dim, reverse=True):
        x = x.prod(d, keepdim=True)
    return x if keepdim else x.squeeze(dim)


def torch_ops(torch: Any, spec_fns: dict[str, Any]) -> dict[str, Any]:
    """Spec name -> a callable on torch tensors computing what the spec computes."""
    F = torch.nn.functional
    t3 = torch.tensor([0, 2, 1])

    def ce(name: str) -> Any:
        return lambda x, **k: F.cross_entropy(x, t3, **k)

    ops: dict[str, Any] = {
        "maximum": torch.maximum,
        "minimum": torch.minimum,
        "astype": lambda a: a.clone(),
        "gelu": F.gelu,
        "silu": F.silu,
        "softplus": F.softplus,
        "elu": F.elu,
        "leaky_relu": F.leaky_relu,
        "where": torch.where,
        "sum": _reduce("sum"),
        "mean": _reduce("mean"),
        "prod": _prod,
        "max": _reduce("amax"),
        "min": _reduce("amin"),
        "var": _reduce("var"),
        "std": _reduce("std"),
        "logsumexp": lambda x, dim=None, keepdim=False: torch.logsumexp(x, dim, keepdim),
        "softmax": lambda x, dim: x.softmax(dim),
        "log_softmax": lambda x, dim: x.log_softmax(dim),
        "flatten_image": lambda x: F.avg_pool2d(x, 1).flatten(1),
        "pad": lambda x: F.pad(x, (1, 2, 0, 1), value=0.5),
        "getitem_slice": lambda x: x[1:][:, [3, 1]],
        "getitem_intarray": lambda x: x[torch.tensor([0, 2, 0]), 1:3],
        "getitem_mask": lambda x: x[x.detach() > 0],
        "cat": lambda a, b: torch.cat([a, b], 1),
        "stack": lambda a, b: torch.stack([a, b], -1),
        "linear": F.linear,
        "cross_entropy": ce("cross_entropy"),
        "cross_entropy_probs": lambda x: F.cross_entropy(
            x, torch.tensor(_closure(spec_fns["cross_entropy_probs"], "p"))
        ),
        "cross_entropy_ignore": lambda x: F.cross_entropy(x, torch.tensor([0, -100, 3])),
        "nll_loss": lambda x: F.nll_loss(x, t3),
        "mse_loss": F.mse_loss,
        "l1_loss": F.l1_loss,
        "binary_cross_entropy": F.binary_cross_entropy,
        "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
        "conv2d": F.conv2d,
        "conv_transpose2d": F.conv_transpose2d,
        "max_pool2d": F.max_pool2d,
        "avg_pool2d": F.avg_pool2d,
        "adaptive_avg_pool2d": F.adaptive_avg_pool2d,
        "unfold": F.unfold,
        "fold": F.fold,
        "batch_norm": F.batch_norm,
        "layer_norm": lambda x, w, b, shape: F.layer_norm(x, shape, w, b),
        "group_norm": lambda x, w, b, groups: F.group_norm(x, groups, w, b),
        "instance_norm": F.instance_norm,
        "local_response_norm": lambda x, n: F.local_response_norm(x, n, 0.5, 0.7, 1.5),
        "normalize": lambda x, p: F.normalize(x, p=p, dim=1),
        "masked_fill_": lambda x, v: (x * 1).masked_fill_(x.detach() > 0, v),
        "index_put_": lambda x, v: (x * 1).index_put_((torch.tensor([0, 2, 0]),), v, True),
        "embedding": lambda w: F.embedding(
            torch.tensor(np.asarray(_closure(spec_fns["embedding"], "idx"))), w
        ),
        "flatten_batch_last": lambda x: x.reshape(x.shape[0], -1),
        "setitem_int": _setter(lambda z: 1),
        "setitem_slice": _setter(lambda z: (slice(None), slice(1, 3))),
        "setitem_mask": _setter(lambda z: z.detach() > 0),
        "setitem_mixed": _setter(lambda z: (0, torch.tensor([1, 3]))),
        "cross": _cross(torch),
        "einsum": lambda *xs, eq: torch.einsum(eq, *xs),
        "var_mean": _stacked(torch, torch.var_mean),
        "std_mean": _stacked(torch, torch.std_mean),
        "aminmax": _stacked(torch, torch.aminmax),
    }
    for name in ("neg", "exp", "log", "sqrt", "abs", "reciprocal", "square", "relu"):
        ops[name] = getattr(torch.Tensor, name)
    for name in ("sigmoid", "tanh", "erf", "sign"):
        ops[name] = getattr(torch.Tensor, name)
    return ops


def _stacked(torch: Any, fn: Any) -> Any:
    """fn's pair of results stacked into one tensor, as the registry's spec stacks its own."""
    return lambda *args, **kwargs: torch.stack(tuple(fn(*args, **kwargs)))


def _cross(torch: Any) -> Any:
    """torch.cross along the first dimension of size 3 when dim is None (torch.cross's
    deprecated default, written out)."""

    def fn(a: Any, b: Any, dim: int | None = None) -> Any:
        shape = torch.broadcast_shapes(a.shape, b.shape)
        return torch.cross(a, b, dim=list(shape).index(3) if dim is None else dim)

    return fn


def _setter(index: Any) -> Any:
    def fn(x: Any, v: Any) -> Any:
        z = x * 1
        z[index(z)] = v
        return z

    return fn


UNMAPPED_ON_PURPOSE = {
    "dropout": "a random mask from another generator",
    "dropout1d": "a random mask from another generator",
    "dropout2d": "a random mask from another generator",
    "dropout3d": "a random mask from another generator",
    "alpha_dropout": "a random mask from another generator",
    "feature_alpha_dropout": "a random mask from another generator",
    "uniform_": "random draws from another generator",
    "normal_": "random draws from another generator",
}


def _to_torch(torch: Any, v: Any, requires_grad: bool = False) -> Any:
    from tinygrad_cnn import Tensor

    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, np.generic) and not isinstance(v, np.bool_):
        v = np.asarray(v)
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "f":
            return torch.tensor(v.astype(np.float64), requires_grad=requires_grad)
        return torch.tensor(v)
    return v


def record_sample(torch: Any, fn: Any, sample: Any, second_order: bool) -> dict[str, Any]:
    """PyTorch's forward value, vjp and second-order product for one sample."""
    diff = sample.differentiable()
    args = [_to_torch(torch, a, d) for a, d in zip(sample.args, diff)]
    kwargs = {k: _to_torch(torch, v) for k, v in sample.kwargs.items()}
    out = fn(*args, **kwargs)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the torch callable returned {type(out).__name__}")
    rec: dict[str, Any] = {"out": out.detach().numpy().astype(np.float64, copy=False)}
    xs = [a for a, d in zip(args, diff) if d]
    if not (out.requires_grad and xs and out.dtype.is_floating_point):
        return rec
    digest = sample_hash(sample)
    (v,) = cotangents([tuple(out.shape)], digest)
    try:
        gs = torch.autograd.grad(out, xs, torch.tensor(v), create_graph=True, allow_unused=True)
    except RuntimeError as e:  # torch has no derivative (floor_divide, ...): forward only
        if "not implemented" not in str(e):
            raise
        return rec
    rec["v"] = v
    us = cotangents([tuple(x.shape) for x in xs], digest[::-1])
    for j, (g, x, u) in enumerate(zip(gs, xs, us)):
        rec[f"g{j}"] = np.zeros(x.shape) if g is None else g.detach().numpy(force=True)
        rec[f"u{j}"] = u
    terms = [(g * torch.tensor(u)).sum() for g, u in zip(gs, us) if g is not None]
    if second_order and terms and any(t.requires_grad for t in terms):
        try:
            ggs = torch.autograd.grad(sum(terms), xs, allow_unused=True)
        except (RuntimeError, NotImplementedError) as e:  # no second derivative in torch
            if "not implemented" not in str(e):
                raise
            return rec
        for j, (gg, x) in enumerate(zip(ggs, xs)):
            rec[f"gg{j}"] = np.zeros(x.shape) if gg is None else gg.detach().numpy(force=True)
    return rec


def spec_keys(specs: list[Any]) -> list[str]:
    """A unique golden name per spec: its name, with ``#2``, ``#3``, ... for repeated names."""
    seen: dict[str, int] = {}
    out = []
    for s in specs:
        seen[s.name] = seen.get(s.name, 0) + 1
        out.append(s.name if seen[s.name] == 1 else f"{s.name}#{seen[s.name]}")
    return out


def _candidates(torch: Any, table: dict[str, Any], spec: Any, name: str) -> list[Any]:
    """Torch callables that may compute what the spec computes, most specific first: the
    table's entry; else the spec's own function (plain torch code, as the in-place lambdas,
    or method calls, ``x.celu(1.5)``, which ``_functional_methods`` gives torch tensors), then
    torch.nn.functional.<name>, torch.linalg.<name>, torch.<name> and the Tensor method <name>
    called with the
    sample's arguments."""
    if name in table:
        return [table[name]]
    found = [spec.fn, _on_torch(torch, spec.fn)]
    for where in (torch.nn.functional, torch.linalg, torch, torch.Tensor):
        fn = getattr(where, spec.name, None)
        if callable(fn):
            found.append(fn)
    return found


def _on_torch(torch: Any, fn: Any) -> Any:
    """``fn`` run with torch in place of this library where it closes over it: ``F`` (as a
    closure or module global) becomes torch.nn.functional, and captured arrays and tensors
    (targets, lengths, ...) become torch tensors, for the call."""
    from tinygrad_cnn import Tensor

    def swap(v: Any) -> Any:
        if isinstance(v, Tensor) or isinstance(v, np.ndarray):
            return torch.tensor(np.asarray(v.data if isinstance(v, Tensor) else v))
        if getattr(v, "__name__", "") == "tinygrad_cnn.nn.functional":
            return torch.nn.functional
        return v

    def call(*args: Any, **kwargs: Any) -> Any:
        cells = list(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        saved = [c.cell_contents for _, c in cells]
        had_f = "F" in fn.__globals__
        old_f = fn.__globals__.get("F")
        try:
            for _, c in cells:
                c.cell_contents = swap(c.cell_contents)
            if had_f:
                fn.__globals__["F"] = swap(old_f)
            return fn(*args, **kwargs)
        finally:
            for (_, c), v in zip(cells, saved):
                c.cell_contents = v
            if had_f:
                fn.__globals__["F"] = old_f

    return call


class _functional_methods:  # noqa: N801 (a context manager, named as what it gives)
    """Give torch.Tensor, while recording, a method per torch.nn.functional function it lacks
    (``x.celu(1.5)`` is ``F.celu(x, 1.5)``), so the registry's method-call lambdas run on torch."""

    def __init__(self, torch: Any) -> None:
        self.torch, self.added = torch, []

    def __enter__(self) -> None:
        F, T = self.torch.nn.functional, self.torch.Tensor
        for n in dir(F):
            fn = getattr(F, n)
            if n.startswith("_") or not callable(fn) or hasattr(T, n):
                continue
            setattr(T, n, lambda self, *a, _fn=fn, **k: _fn(self, *a, **k))
            self.added.append(n)

    def __exit__(self, *exc: object) -> None:
        for n in self.added:
            delattr(self.torch.Tensor, n)


def _agrees_with_reference(spec: Any, recs: list[dict[str, Any]]) -> bool:
    """A guessed torch callable must give the spec's numpy reference forward (a wrong guess,
    such as F.celu(x) for ``x.celu(1.5)``, is rejected)."""
    if spec.ref is None:
        return True
    for s, rec in zip(spec.samples, recs):
        args = [
            a.data if hasattr(a, "data") and not isinstance(a, np.ndarray) else a for a in s.args
        ]
        kwargs = {
            k: (v.data if hasattr(v, "data") and not isinstance(v, np.ndarray) else v)
            for k, v in s.kwargs.items()
        }
        try:
            want = np.asarray(spec.ref(*args, **kwargs), dtype=np.float64)
        except Exception:  # noqa: BLE001 - a reference that cannot run says nothing
            return True
        if want.shape != rec["out"].shape or not np.allclose(rec["out"], want, 1e-6, 1e-8, True):
            return False
    return True


def record_ops(torch: Any) -> tuple[dict[str, Any], list[str]]:
    from tinygrad_cnn.op_registry import all_specs

    specs = all_specs()
    table = torch_ops(torch, {s.name: s.fn for s in specs})
    out: dict[str, Any] = {}
    unmapped: list[str] = []
    for name, spec in zip(spec_keys(specs), specs):
        if spec.name in UNMAPPED_ON_PURPOSE:
            unmapped.append(f"{name} ({UNMAPPED_ON_PURPOSE[spec.name]})")
            continue
        recs, err = None, None
        for fn in _candidates(torch, table, spec, name):
            try:
                recs = [record_sample(torch, fn, s, spec.second_order) for s in spec.samples]
            except Exception as e:  # noqa: BLE001 - any failure means: try the next one
                err = e
                continue
            if fn is table.get(name) or _agrees_with_reference(spec, recs):
                break
            recs, err = None, ValueError("the guessed torch function disagrees with the reference")
        if recs is None:
            unmapped.append(f"{name} (no torch mapping: {type(err).__name__}: {err})"[:200])
            continue
        for i, (s, rec) in enumerate(zip(spec.samples, recs)):
            out[key(name, i, "hash")] = np.asarray(sample_hash(s))
            for what, arr in rec.items():
                out[key(name, i, what)] = np.asarray(arr)
    out["meta::unmapped"] = np.asarray(sorted(u.split(" ")[0] for u in unmapped))
    return out, unmapped


# -- optimizers, LR schedules, LeNet-5 training ---------------------------------------------------
OPT_CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, betas=(0.8, 0.99))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, eps=1e-6)),
]
OPT_STEPS = 300

SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.3), 50),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 40], gamma=0.5), 50),
    ("ExponentialLR", dict(gamma=0.97), 200),
    ("CosineAnnealingLR", dict(T_max=30, eta_min=0.01), 200),
    ("OneCycleLR", dict(max_lr=0.8, total_steps=120), 119),
    (
        "OneCycleLR",
        dict(max_lr=0.8, total_steps=99, three_phase=True, anneal_strategy="linear"),
        98,
    ),
]
PLATEAU = [dict(patience=3, cooldown=2, factor=0.3), dict(mode="max", threshold_mode="abs")]


def opt_problem() -> tuple[list[np.ndarray], Any]:
    """A least-squares problem whose optimum lies far away (float32; well-conditioned, so
    rounding differences stay at rounding level): initial values and the gradient function."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20, 5)).astype(np.float32)
    y = (10 + rng.standard_normal((20, 3))).astype(np.float32)
    c = rng.standard_normal(7).astype(np.float32)
    init = [
        rng.standard_normal((5, 3)).astype(np.float32),
        rng.standard_normal(7).astype(np.float32),
    ]

    def grads(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (a.T @ (a @ w - y) / 20).astype(np.float32), (b - c - 5).astype(np.float32)

    return init, grads


def plateau_metrics() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([np.linspace(1, 0.5, 10), 0.5 + 0.01 * rng.random(60)])


def record_optimizers(torch: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n, (name, kw) in enumerate(OPT_CONFIGS):
        init, grads = opt_problem()
        ps = [torch.nn.Parameter(torch.tensor(v.copy())) for v in init]
        opt = getattr(torch.optim, name)(ps, **kw)
        traj: list[list[np.ndarray]] = [[], []]
        for _ in range(OPT_STEPS):
            for p, g in zip(ps, grads(*[p.detach().numpy() for p in ps])):
                p.grad = torch.tensor(g)
            opt.step()
            for j, p in enumerate(ps):
                traj[j].append(p.detach().numpy().copy())
        for j in range(2):
            out[f"opt{SEP}{n}{SEP}p{j}"] = np.stack(traj[j])
        for i, st in opt.state_dict()["state"].items():
            for k, v in st.items():
                out[f"opt{SEP}{n}{SEP}state{SEP}{i}{SEP}{k}"] = np.asarray(v)
    return out


def record_schedules(torch: Any) -> dict[str, Any]:
    import warnings

    out: dict[str, Any] = {}
    for n, (name, kw, steps) in enumerate(SCHEDULES):
        for opt_name in ("SGD", "Adam"):
            okw = dict(momentum=0.9) if opt_name == "SGD" else {}
            opt = getattr(torch.optim, opt_name)(
                [torch.nn.Parameter(torch.zeros(1))], lr=0.3, **okw
            )
            opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05})
            s = getattr(torch.optim.lr_scheduler, name)(opt, **kw)
            key_ = "momentum" if opt_name == "SGD" else "betas"
            lrs, moms = [], []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for _ in range(steps):
                    lrs.append(s.get_last_lr())
                    moms.append([np.ravel(g[key_])[0] for g in opt.param_groups])
                    opt.step()
                    s.step()
            out[f"sched{SEP}{n}{SEP}{opt_name}{SEP}lr"] = np.asarray(lrs)
            out[f"sched{SEP}{n}{SEP}{opt_name}{SEP}mom"] = np.asarray(moms)
    for n, kw in enumerate(PLATEAU):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
        s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        lrs = []
        for m in plateau_metrics():
            s.step(float(m))
            lrs.append(s.get_last_lr())
        out[f"plateau{SEP}{n}"] = np.asarray(lrs)
    return out


def record_adam_state(torch: Any) -> dict[str, Any]:
    """An Adam state dict after 3 steps (loaded by ours), and the parameter after a 4th."""
    t = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    opt = torch.optim.Adam([t], lr=0.05)
    for _ in range(3):
        t.grad = torch.tensor([0.3, -0.2])
        opt.step()
    out = {"adam_state::param": t.detach().numpy().copy()}
    for k, v in opt.state_dict()["state"][0].items():
        out[f"adam_state::state::{k}"] = np.array(v, copy=True)
    t.grad = torch.tensor([0.1, 0.1])
    opt.step()
    out["adam_state::after"] = t.detach().numpy().copy()
    return out


LENET_STEPS = 12


def lenet_setup() -> tuple[dict[str, np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """LeNet-5's initial weights and the batches, all from a fixed numpy seed."""
    from tinygrad_cnn import manual_seed, models

    manual_seed(0)
    init = {k: v.data.copy() for k, v in models.LeNet5().state_dict().items()}
    rng = np.random.default_rng(1)
    batches = [
        (rng.standard_normal((16, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 16))
        for _ in range(LENET_STEPS)
    ]
    return init, batches


def record_lenet(torch: Any) -> dict[str, Any]:
    tnn, F = torch.nn, torch.nn.functional

    class TLeNet(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.conv2 = tnn.Conv2d(1, 6, 5), tnn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = (
                tnn.Linear(256, 120),
                tnn.Linear(120, 84),
                tnn.Linear(84, 10),
            )

        def forward(self, x: Any) -> Any:
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    init, batches = lenet_setup()
    net = TLeNet()
    net.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(net(torch.tensor(x)), torch.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out = {"lenet::losses": np.asarray(losses)}
    for k, v in net.state_dict().items():
        out[f"lenet::final::{k}"] = v.numpy().copy()
    return out


# -- the modules the live-torch tests compare (cnn ops, norm layers, nn, models) -----------------
def test_module(name: str) -> Any:
    """A test module of tests/ (its case tables are the ones its live-torch tests use)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_golden_{name}", HERE.parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cnn_cases() -> list[dict[str, Any]]:
    """The cases of tests/test_cnn_ops.py's torch comparisons, as (F name, arrays, args, kw)."""
    m = test_module("test_cnn_ops")
    rand = m.rand
    cases = [
        dict(fn="conv2d", arrays=[rand(*xs), rand(*ws, seed=1), rand(ws[0], seed=2)], kw=kw)
        for xs, ws, kw in m.CONV_CASES
    ]
    for xs, ws, kw in [
        ((2, 3, 4, 5), (3, 2, 3, 3), dict()),
        ((1, 4, 3, 4), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
        ((2, 2, 4, 3), (2, 3, 2, 2), dict(stride=(1, 2), dilation=(3, 1), output_padding=(2, 1))),
    ]:
        b = rand(ws[1] * kw.get("groups", 1), seed=2)
        cases.append(dict(fn="conv_transpose2d", arrays=[rand(*xs), rand(*ws, seed=1), b], kw=kw))
    x = rand(2, 3, 9, 8)
    for kw in m.POOL_CASES + [dict(kernel_size=2, padding=1, dilation=2)]:
        cases.append(dict(fn="max_pool2d", arrays=[x], kw=kw))
    for kw in m.POOL_CASES:
        for cip in (True, False):
            cases.append(dict(fn="avg_pool2d", arrays=[x], kw=dict(kw, count_include_pad=cip)))
    for size in [1, (3, 4), (3, None), (4, 3), 5]:
        cases.append(dict(fn="adaptive_avg_pool2d", arrays=[x], args=(size,)))
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    x = rand(2, 3, 6, 7)
    cases.append(dict(fn="unfold", arrays=[x], kw=kw))
    cases.append(dict(fn="fold", arrays=["unfold-of-x"], args=((6, 7),), kw=kw, source=x))
    for i, c in enumerate(cases):
        c.setdefault("args", ())
        c.setdefault("kw", {})
        c["id"] = f"{c['fn']}{SEP}{i}"
    return cases


def case_hash(case: dict[str, Any]) -> str:
    h = hashlib.sha1()
    for k in ("fn", "arrays", "args", "kw", "source"):
        _feed(h, case.get(k))
    return h.hexdigest()[:16]


def _case_arrays(case: dict[str, Any], unfold: Any) -> list[np.ndarray]:
    if case["fn"] == "fold":  # the columns unfold makes of the same x
        return [np.asarray(unfold(case["source"], **case["kw"]))]
    return case["arrays"]


def record_cnn(torch: Any) -> dict[str, Any]:
    F = torch.nn.functional
    m = test_module("test_cnn_ops")
    out: dict[str, Any] = {}
    unfold = lambda x, **kw: F.unfold(torch.tensor(x), **kw).numpy()  # noqa: E731
    for case in cnn_cases():
        xs = [torch.tensor(a, requires_grad=True) for a in _case_arrays(case, unfold)]
        y = getattr(F, case["fn"])(*xs, *case["args"], **case["kw"])
        y.backward(torch.tensor(m.rand(*y.shape, seed=100)))
        k = f"cnn{SEP}{case['id']}"
        out[f"{k}{SEP}hash"] = np.asarray(case_hash(case))
        out[f"{k}{SEP}out"] = y.detach().numpy()
        for j, a in enumerate(xs):
            out[f"{k}{SEP}g{j}"] = a.grad.numpy()
        if case["fn"] == "max_pool2d":
            _, idx = F.max_pool2d(
                torch.tensor(case["arrays"][0]), **case["kw"], return_indices=True
            )
            out[f"{k}{SEP}idx"] = idx.numpy()
    out.update(record_batch_norm(torch, m))
    out.update(record_second_order(torch, m))
    return out


BN_SHAPES = [(8, 3), (4, 3, 5), (4, 3, 5, 6)]


def record_batch_norm(torch: Any, m: Any) -> dict[str, Any]:
    F = torch.nn.functional
    out: dict[str, Any] = {}
    for n, shape in enumerate(BN_SHAPES):
        x, w, b = (torch.tensor(a, requires_grad=True) for a in bn_arrays(m, shape)[:3])
        rm, rv = (torch.tensor(a) for a in bn_arrays(m, shape)[3:])
        y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
        y.backward(torch.tensor(m.rand(*y.shape, seed=100)))
        k = f"bn{SEP}{n}"
        out[f"{k}{SEP}out"] = y.detach().numpy()
        for j, a in enumerate((x, w, b)):
            out[f"{k}{SEP}g{j}"] = a.grad.numpy()
        out[f"{k}{SEP}rm"], out[f"{k}{SEP}rv"] = rm.numpy().copy(), rv.numpy().copy()
        xe = torch.tensor(x.detach().numpy(), requires_grad=True)
        ye = F.batch_norm(xe, rm, rv, training=False)
        ye.backward(torch.tensor(m.rand(*ye.shape, seed=100)))
        out[f"{k}{SEP}eval"], out[f"{k}{SEP}eval_g"] = ye.detach().numpy(), xe.grad.numpy()
    return out


def bn_arrays(m: Any, shape: tuple[int, ...]) -> list[np.ndarray]:
    """x, weight, bias, running mean, running var of test_cnn_ops' batch-norm comparison."""
    rand = m.rand
    return [
        rand(*shape),
        rand(3, seed=1),
        rand(3, seed=2),
        rand(3, seed=3),
        np.abs(rand(3, seed=4)) + 0.5,
    ]


def record_second_order(torch: Any, m: Any) -> dict[str, Any]:
    """A gradient penalty d/dw |d loss / dx|^2 through conv, relu, max pool and conv."""
    F = torch.nn.functional
    x, w1, w2 = (torch.tensor(a, requires_grad=True) for a in second_order_arrays(m))
    h = F.max_pool2d(F.conv2d(x, w1, padding=1).relu(), 3, 2, 1)
    loss = F.conv2d(h, w2, stride=2).square().sum()
    (gx,) = torch.autograd.grad(loss, x, create_graph=True)
    (gx * gx).sum().backward()
    return {"penalty::g1": w1.grad.numpy(), "penalty::g2": w2.grad.numpy()}


def second_order_arrays(m: Any) -> list[np.ndarray]:
    return [m.rand(2, 2, 8, 8), m.rand(3, 2, 3, 3, seed=1), m.rand(2, 3, 2, 2, seed=2)]


def record_norm_modules(torch: Any) -> dict[str, Any]:
    m = test_module("test_nn_norm")
    out: dict[str, Any] = {}
    torch.manual_seed(0)
    for n, (name, args, kwargs, shape) in enumerate(m.MODULES):
        theirs = getattr(torch.nn, name)(*args, **kwargs).double()
        with torch.no_grad():
            for p in theirs.parameters():
                p.copy_(torch.randn_like(p))
        k = f"norm{SEP}{n}"
        for sk, v in theirs.state_dict().items():
            out[f"{k}{SEP}init{SEP}{sk}"] = v.numpy().copy()
        tx = torch.tensor(m._x(*shape, seed=3), requires_grad=True)
        for mode in ("train", "eval"):
            getattr(theirs, mode)()
            y = theirs(tx)
            y.backward(torch.tensor(m._x(*y.shape, seed=4)))
            out[f"{k}{SEP}{mode}{SEP}out"] = y.detach().numpy()
            out[f"{k}{SEP}{mode}{SEP}g"] = tx.grad.numpy().copy()
            tx.grad = None
        for sk, v in theirs.state_dict().items():
            out[f"{k}{SEP}final{SEP}{sk}"] = v.numpy().copy()
    return out


def record_models(torch: Any) -> dict[str, Any]:
    """The torch twins of our models (tests/test_models.py): state dict and eval output."""
    m = test_module("test_models")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    for n, (tmodel, _, shape) in enumerate(m._torch_models(torch)):
        tmodel.train()
        with torch.no_grad():
            tmodel(torch.randn(8, *shape))
        tmodel.eval()
        for sk, v in tmodel.state_dict().items():
            out[f"model{SEP}{n}{SEP}sd{SEP}{sk}"] = v.numpy().copy()
        x = rng.standard_normal((4, *shape)).astype(np.float32)
        out[f"model{SEP}{n}{SEP}x"] = x
        with torch.no_grad():
            out[f"model{SEP}{n}{SEP}out"] = tmodel(torch.from_numpy(x)).numpy()
    return out


def record_nn(torch: Any) -> dict[str, Any]:
    """tests/test_nn.py's comparisons: a torch state dict, layer outputs, clip_grad_norm_."""
    tnn = torch.nn
    out: dict[str, Any] = {}
    torch.manual_seed(0)
    tnet = tnn.Sequential(
        tnn.Conv2d(1, 4, 3, padding=1),
        tnn.BatchNorm2d(4),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.ConvTranspose2d(4, 2, 2, stride=2),
        tnn.Flatten(),
        tnn.Linear(2 * 6 * 6, 5),
    )
    tnet.train()
    tnet(torch.randn(8, 1, 6, 6))
    tnet.eval()
    for sk, v in tnet.state_dict().items():
        out[f"seq{SEP}sd{SEP}{sk}"] = v.numpy().copy()
    x = np.random.default_rng(0).standard_normal((3, 1, 6, 6)).astype(np.float32)
    with torch.no_grad():
        out[f"seq{SEP}out"] = tnet(torch.from_numpy(x)).numpy()
    for n, layer in enumerate(layer_pairs(tnn)):
        for sk, v in layer.state_dict().items():
            out[f"layer{SEP}{n}{SEP}sd{SEP}{sk}"] = v.numpy().copy()
        x = np.random.default_rng(0).standard_normal((2, 3, 11, 10)).astype(np.float32)
        with torch.no_grad():
            out[f"layer{SEP}{n}{SEP}out"] = layer(torch.from_numpy(x)).numpy()
    for n, norm_type in enumerate(CLIP_NORMS):
        ps = [tnn.Parameter(torch.zeros(g.shape)) for g in clip_grads()]
        for p, g in zip(ps, clip_grads()):
            p.grad = torch.tensor(g)
        out[f"clip{SEP}{n}{SEP}norm"] = np.asarray(tnn.utils.clip_grad_norm_(ps, 0.7, norm_type))
        for j, p in enumerate(ps):
            out[f"clip{SEP}{n}{SEP}g{j}"] = p.grad.numpy().copy()
    return out


def layer_pairs(nnmod: Any) -> list[Any]:
    """The layers tests/test_nn.py compares with torch, built from ``nnmod`` (ours or torch.nn)."""
    return [
        nnmod.Conv2d(3, 5, 3, stride=2, padding=2, dilation=2),
        nnmod.ConvTranspose2d(3, 4, 3, 2, 1, 1),
        nnmod.MaxPool2d(3, 2, 1, ceil_mode=True),
        nnmod.AvgPool2d(3, 2, 1),
        nnmod.AdaptiveAvgPool2d((2, 3)),
    ]


CLIP_NORMS = (2.0, 1.0, float("inf"))


def clip_grads() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]


def record_modules(torch: Any) -> dict[str, Any]:
    return {
        **record_cnn(torch),
        **record_norm_modules(torch),
        **record_models(torch),
        **record_nn(torch),
    }


def main() -> int:
    try:
        import torch
    except ModuleNotFoundError:
        print("make_goldens: PyTorch is needed (pip install torch==2.13.0)", file=sys.stderr)
        return 1
    torch.set_num_threads(1)
    start = time.perf_counter()
    with _functional_methods(torch):
        ops, unmapped = record_ops(torch)
    ops["meta::torch"] = np.asarray(torch.__version__)
    np.savez_compressed(OPS_FILE, **ops)
    train = {**record_optimizers(torch), **record_schedules(torch), **record_adam_state(torch)}
    train.update(record_lenet(torch))
    train.update(record_modules(torch))
    train["meta::torch"] = np.asarray(torch.__version__)
    np.savez_compressed(TRAIN_FILE, **train)
    n = len({k.rsplit(SEP, 1)[0] for k in ops if not k.startswith("meta")})
    print(f"make_goldens: {n} registry samples recorded with torch {torch.__version__}")
    print(f"make_goldens: {len(unmapped)} specs without a torch mapping, skipped:")
    for u in unmapped:
        print(f"  - {u}")
    sizes = ", ".join(f"{p.name} {p.stat().st_size // 1024} KiB" for p in (OPS_FILE, TRAIN_FILE))
    print(f"make_goldens: wrote {sizes} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
