"""The op registry: one spec per differentiable op, driving the tests and `tinygrad-cnn gradcheck`.

Each spec names the op, how to call it on Tensors, a numpy reference for its forward, and sample
inputs (broadcasting, non-contiguous views, edge values). Samples avoid kinks and ties (relu at
0, equal maxima) so finite differences are meaningful. Each family of ops keeps its specs in its
own ``op_registry_<family>.py`` module with a ``specs()`` function; ``all_specs()`` gathers them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Sample:
    """One call of an op: positional args (numpy arrays become float64 Tensors), options."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    # which positional args are differentiated (default: every floating-point array)
    diff: tuple[bool, ...] | None = None
    note: str = ""

    def differentiable(self) -> tuple[bool, ...]:
        if self.diff is not None:
            return self.diff
        return tuple(
            isinstance(a, (np.ndarray, np.floating)) and np.asarray(a).dtype.kind == "f"
            for a in self.args
        )


@dataclass
class OpSpec:
    """How to run, check and reference one op."""

    name: str
    fn: Callable[..., Any]  # (*tensors, **kwargs) -> Tensor
    ref: Callable[..., np.ndarray] | None  # (*arrays, **kwargs) -> array; None: no reference
    samples: list[Sample]
    second_order: bool = True
    # ops with kinks (relu, abs, max, ...): the gradient checker treats crossings as kinks
    kinky: bool = False
    atol: float = 1e-5
    rtol: float = 1e-3
    # what the fuzz tests may compose it as: "unary" (x -> same shape), "binary" (broadcasting
    # x, y), "reduce" (x, dim=, keepdim=), or "other" (called only with its own samples)
    kind: str = "other"
    # per positional argument: "real" (any float) or "positive" (the fuzzers map inputs > 0)
    domain: tuple[str, ...] = ()

    def fuzz_forms(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """(tensor fn, numpy fn) taking only the differentiated inputs (and, for a reduction,
        dim and keepdim); the other arguments are fixed to those of the first sample."""
        first = self.samples[0]
        rest = [a for a in first.args if not isinstance(a, (np.ndarray, np.floating))]
        kw = first.kwargs if self.kind != "reduce" else {}
        return (
            lambda *xs, **k: self.fn(*xs, *rest, **kw, **k),
            lambda *xs, **k: self.ref(*xs, *rest, **kw, **k),
        )


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _away_from(x: np.ndarray, points: tuple[float, ...] = (0.0,), gap: float = 0.05) -> np.ndarray:
    """Push values at least `gap` away from kink points, so finite differences are valid."""
    x = x.copy()
    for p in points:
        close = np.abs(x - p) < gap
        x[close] = p + np.where(x[close] >= p, gap, -gap) * 2
    return x


def _noncontig(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A non-contiguous view (a transpose) with the given shape."""
    return _rng(seed).standard_normal(shape[::-1]).T


def _unary(
    name: str,
    method: str,
    ref: Callable,
    positive: bool = False,
    kinks: tuple[float, ...] | None = None,
    second_order: bool = True,
    lo: float | None = None,
) -> OpSpec:
    def data(shape, seed):
        x = _rng(seed).standard_normal(shape)
        if positive:
            x = np.abs(x) + 0.5
        if kinks:
            x = _away_from(np.asarray(x), kinks)
        return np.asarray(x)

    nc = _noncontig((3, 4), 7)
    if positive:
        nc = np.abs(nc) + 0.5
    if kinks:
        nc = _away_from(nc, kinks)
    samples = [
        Sample((data((3, 4), 1),)),
        Sample((data((5,), 2),)),
        Sample((nc,), note="non-contiguous"),
        Sample((data((), 3),), note="0-d"),
    ]
    return OpSpec(
        name,
        lambda x: getattr(x, method)(),
        ref,
        samples,
        second_order,
        kinky=bool(kinks),
        kind="unary",
        domain=("positive" if positive else "real",),
    )


def _binary(
    name: str,
    fn: Callable,
    ref: Callable,
    positive_rhs: bool = False,
    kinky: bool = False,
    samples: list[Sample] | None = None,
    domain: tuple[str, str] | None = None,
) -> OpSpec:
    r = _rng(11)

    def rhs(shape):
        y = r.standard_normal(shape)
        return np.abs(y) + 0.5 if positive_rhs else y

    samples = samples or [
        Sample((r.standard_normal((3, 4)), rhs((3, 4)))),
        Sample((r.standard_normal((2, 3, 4)), rhs((4,))), note="broadcast, fewer dims"),
        Sample((r.standard_normal((3, 1)), rhs((1, 4))), note="broadcast both"),
        Sample((_noncontig((3, 4), 3), rhs((3, 4))), note="non-contiguous"),
        Sample((r.standard_normal(()), rhs((2, 3))), note="0-d lhs"),
    ]
    if kinky:  # keep ties away: shift rhs so |x - y| is never tiny
        fixed = []
        for s in samples:
            x, y = s.args
            xb, yb = np.broadcast_arrays(x, y)
            y = y + 0.0
            if np.min(np.abs(xb - yb)) < 0.05:
                y = y + 0.3
            fixed.append(Sample((x, y), note=s.note))
        samples = fixed
    domain = domain or ("real", "positive" if positive_rhs else "real")
    return OpSpec(name, fn, ref, samples, kinky=kinky, kind="binary", domain=domain)


def _softplus_ref(x, beta=1.0, threshold=20.0):
    z = beta * x
    return np.where(z > threshold, x, np.logaddexp(0, z) / beta)


def _erf_ref(x):
    return np.vectorize(math.erf)(x)


def _logsumexp_ref(x, dim):
    m = x.max(axis=dim, keepdims=True)
    return (np.log(np.exp(x - m).sum(axis=dim, keepdims=True)) + m).squeeze(dim)


def _softmax_ref(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _values(r: Any) -> Any:
    return r.values if isinstance(r, tuple) else r  # max(dim)/min(dim) return (values, indices)


def _core_specs() -> list[OpSpec]:
    from .nn import functional as F
    from .tensor import Tensor, cat, stack, where

    r = _rng(5)
    x34 = r.standard_normal((3, 4))
    x234 = r.standard_normal((2, 3, 4))
    specs = [
        _binary("add", lambda a, b: a + b, np.add),
        _binary("sub", lambda a, b: a - b, np.subtract),
        _binary("mul", lambda a, b: a * b, np.multiply),
        _binary("div", lambda a, b: a / b, np.divide, positive_rhs=True),
        _binary("maximum", lambda a, b: a.maximum(b), np.maximum, kinky=True),
        _binary("minimum", lambda a, b: a.minimum(b), np.minimum, kinky=True),
        _binary(
            "pow",
            lambda a, b: a**b,
            np.power,
            samples=[
                Sample((np.abs(x34) + 0.5, r.standard_normal((3, 4)))),
                Sample((np.abs(x234) + 0.5, r.standard_normal((4,))), note="broadcast"),
            ],
            domain=("positive", "real"),
        ),
        OpSpec(
            "pow_scalar",
            lambda a, p: a**p,
            lambda a, p: a**p,
            [Sample((np.abs(x34) + 0.5, 2.5)), Sample((x34, 3)), Sample((x34, 2))],
            kind="unary",
            domain=("positive",),
        ),
        OpSpec("rpow", lambda a: 2.0**a, lambda a: 2.0**a, [Sample((x34,))], kind="unary"),
        OpSpec(
            "rsub_scalar",
            lambda a: 1.5 - a * 0.5,
            lambda a: 1.5 - a * 0.5,
            [Sample((x34,)), Sample((np.asarray(0.7),), note="0-d")],
            kind="unary",
        ),
        OpSpec(
            "rdiv_scalar",
            lambda a: 2.0 / a,
            lambda a: 2.0 / a,
            [Sample((np.abs(x34) + 0.5,))],
            kind="unary",
            domain=("positive",),
        ),
        OpSpec(
            "astype",
            lambda a: a.astype(np.longdouble).astype(a.dtype),
            lambda a: a,
            [Sample((x34,), note="a round trip through extended precision: Cast both ways")],
        ),
        _unary("neg", "neg", np.negative),
        _unary("exp", "exp", np.exp),
        _unary("log", "log", np.log, positive=True),
        _unary("sqrt", "sqrt", np.sqrt, positive=True),
        _unary("abs", "abs", np.abs, kinks=(0.0,)),
        _unary("reciprocal", "reciprocal", np.reciprocal, positive=True),
        _unary("square", "square", np.square),
        _unary("relu", "relu", lambda x: np.maximum(x, 0), kinks=(0.0,)),
        _unary("sigmoid", "sigmoid", lambda x: 1 / (1 + np.exp(-x))),
        _unary("tanh", "tanh", np.tanh),
        _unary("gelu", "gelu", lambda x: 0.5 * x * (1 + _erf_ref(x / math.sqrt(2)))),
        _unary("silu", "silu", lambda x: x / (1 + np.exp(-x))),
        _unary("softplus", "softplus", _softplus_ref),
        _unary("elu", "elu", lambda x: np.where(x > 0, x, np.exp(x) - 1), kinks=(0.0,)),
        _unary("erf", "erf", _erf_ref),
        OpSpec(
            "leaky_relu",
            lambda x, s: x.leaky_relu(s),
            lambda x, s: np.where(x > 0, x, s * x),
            [Sample((_away_from(x34), 0.1)), Sample((_away_from(x234), 0.01))],
            kinky=True,
            kind="unary",
        ),
        OpSpec(
            "clamp",
            lambda x: x.clamp(-0.5, 0.7),
            lambda x: np.clip(x, -0.5, 0.7),
            [Sample((_away_from(x34, (-0.5, 0.7)),))],
            kinky=True,
            kind="unary",
        ),
        OpSpec(
            "where",
            lambda c, a, b: where(c, a, b),
            np.where,
            [Sample((x34 > 0, x34, r.standard_normal((4,))), note="broadcast")],
        ),
        OpSpec(
            "matmul",
            lambda a, b: a @ b,
            np.matmul,
            [
                Sample((x34, r.standard_normal((4, 5)))),
                Sample((r.standard_normal(4), r.standard_normal((4, 3))), note="1-D @ 2-D"),
                Sample((x34, r.standard_normal(4)), note="2-D @ 1-D"),
                Sample((r.standard_normal(4), r.standard_normal(4)), note="1-D @ 1-D"),
                Sample((x234, r.standard_normal((4, 2))), note="batched @ 2-D"),
                Sample(
                    (r.standard_normal((2, 1, 3, 4)), r.standard_normal((3, 4, 2))),
                    note="broadcast batch dims",
                ),
                Sample((_noncontig((3, 4)), _noncontig((4, 2), 1)), note="non-contiguous"),
            ],
        ),
    ]
    red = [
        (
            "sum",
            lambda x, **k: x.sum(**k),
            lambda x, dim=None, keepdim=False: x.sum(axis=dim, keepdims=keepdim),
        ),
        (
            "mean",
            lambda x, **k: x.mean(**k),
            lambda x, dim=None, keepdim=False: x.mean(axis=dim, keepdims=keepdim),
        ),
        (
            "prod",
            lambda x, **k: x.prod(**k),
            lambda x, dim=None, keepdim=False: x.prod(axis=dim, keepdims=keepdim),
        ),
        (
            "max",
            lambda x, **k: _values(x.max(**k)),
            lambda x, dim=None, keepdim=False: x.max(axis=dim, keepdims=keepdim),
        ),
        (
            "min",
            lambda x, **k: _values(x.min(**k)),
            lambda x, dim=None, keepdim=False: x.min(axis=dim, keepdims=keepdim),
        ),
        (
            "var",
            lambda x, **k: x.var(**k),
            lambda x, dim=None, keepdim=False: x.var(axis=dim, keepdims=keepdim, ddof=1),
        ),
        (
            "std",
            lambda x, **k: x.std(**k),
            lambda x, dim=None, keepdim=False: x.std(axis=dim, keepdims=keepdim, ddof=1),
        ),
        (
            "logsumexp",
            lambda x, **k: x.logsumexp(**k),
            lambda x, dim=None, keepdim=False: (
                lambda v: v if not keepdim else np.expand_dims(v, dim)
            )(_logsumexp_ref(x, dim)),
        ),
    ]
    for name, fn, ref in red:
        specs.append(
            OpSpec(
                name,
                fn,
                ref,
                [
                    Sample((x234,), {"dim": 1}),
                    Sample((x234,), {"dim": (0, 2), "keepdim": True}),
                    Sample((x34,), {"dim": None})
                    if name != "logsumexp"
                    else Sample((x34,), {"dim": (0, 1)}),
                    Sample((_noncontig((3, 4)),), {"dim": -1}, note="non-contiguous"),
                ],
                kinky=name in ("max", "min"),
                kind="reduce",
            )
        )
    specs += [
        OpSpec(
            "softmax",
            lambda x, dim: x.softmax(dim),
            _softmax_ref,
            [Sample((x34, 1)), Sample((x234, 0)), Sample((_noncontig((3, 4)), -1))],
        ),
        OpSpec(
            "log_softmax",
            lambda x, dim: x.log_softmax(dim),
            lambda x, dim: np.log(_softmax_ref(x, dim)),
            [Sample((x34, 1)), Sample((x234, 2))],
        ),
        OpSpec(
            "reshape",
            lambda x: x.reshape(4, 3),
            lambda x: x.reshape(4, 3),
            [Sample((x34,)), Sample((_noncontig((3, 4)),))],
        ),
        OpSpec(
            "permute",
            lambda x: x.permute(2, 0, 1),
            lambda x: x.transpose(2, 0, 1),
            [Sample((x234,))],
        ),
        OpSpec(
            "transpose", lambda x: x.transpose(0, 1), lambda x: x.swapaxes(0, 1), [Sample((x34,))]
        ),
        OpSpec(
            "expand",
            lambda x: x.expand(2, 3, 4),
            lambda x: np.broadcast_to(x, (2, 3, 4)),
            [Sample((r.standard_normal((3, 1)),))],
        ),
        OpSpec(
            "squeeze",
            lambda x: x.squeeze(1),
            lambda x: x.squeeze(1),
            [Sample((r.standard_normal((3, 1, 2)),))],
        ),
        OpSpec("unsqueeze", lambda x: x.unsqueeze(-1), lambda x: x[..., None], [Sample((x34,))]),
        OpSpec("flatten", lambda x: x.flatten(1), lambda x: x.reshape(2, -1), [Sample((x234,))]),
        OpSpec(
            "contiguous",
            lambda x: x.contiguous(),
            lambda x: x,
            [Sample((_noncontig((3, 4)),), note="a transposed view becomes C-ordered")],
        ),
        OpSpec(
            "flatten_image",
            lambda x: F.avg_pool2d(x, 1).flatten(1),
            lambda x: x.reshape(x.shape[0], -1),
            [Sample((r.standard_normal((3, 2, 2, 2)),), note="a batch-last image, as conv makes")],
        ),
        OpSpec(
            "unflatten",
            lambda x: x.unflatten(1, (2, 2)),
            lambda x: x.reshape(3, 2, 2),
            [Sample((x34,))],
        ),
        OpSpec("flip", lambda x: x.flip((0, 2)), lambda x: np.flip(x, (0, 2)), [Sample((x234,))]),
        OpSpec(
            "repeat", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), [Sample((x34,))]
        ),
        OpSpec(
            "pad",
            lambda x: x.pad((1, 2, 0, 1), value=0.5),
            lambda x: np.pad(x, ((0, 0), (0, 1), (1, 2)), constant_values=0.5),
            [Sample((x234,))],
        ),
        OpSpec("getitem_slice", lambda x: x[1:, ::-2], lambda x: x[1:, ::-2], [Sample((x34,))]),
        OpSpec(
            "getitem_mixed", lambda x: x[None, ..., 1], lambda x: x[None, ..., 1], [Sample((x234,))]
        ),
        OpSpec(
            "getitem_intarray",
            lambda x: x[np.array([0, 2, 0]), 1:3],
            lambda x: x[np.array([0, 2, 0]), 1:3],
            [Sample((x34,), note="repeated indices")],
        ),
        OpSpec(
            "getitem_mask",
            lambda x: x[x.data > 0],
            lambda x: x[x > 0],
            [Sample((_away_from(x34),))],
        ),
        OpSpec(
            "cat",
            lambda a, b: cat([a, b], 1),
            lambda a, b: np.concatenate([a, b], 1),
            [Sample((x34, r.standard_normal((3, 2))))],
        ),
        OpSpec(
            "stack",
            lambda a, b: stack([a, b], -1),
            lambda a, b: np.stack([a, b], -1),
            [Sample((x34, r.standard_normal((3, 4))))],
        ),
        OpSpec("split", lambda x: x.split([1, 3], 1)[1], lambda x: x[:, 1:], [Sample((x34,))]),
        OpSpec("chunk", lambda x: x.chunk(2, 0)[0], lambda x: x[:2], [Sample((x34,))]),
        OpSpec(
            "linear",
            lambda x, w, b: F.linear(x, w, b),
            lambda x, w, b: x @ w.T + b,
            [Sample((x234, r.standard_normal((5, 4)), r.standard_normal(5)))],
        ),
    ]
    t = np.array([0, 2, 1])
    p = _softmax_ref(r.standard_normal((3, 4)), 1)
    specs += [
        OpSpec(
            "cross_entropy",
            lambda x, **k: F.cross_entropy(x, t, **k),
            None,
            [
                Sample((x34,)),
                Sample((x34,), {"label_smoothing": 0.1}),
                Sample((x34,), {"reduction": "none"}),
                Sample((x34,), {"reduction": "sum"}),
                Sample((x34,), {"weight": Tensor(np.array([1.0, 2.0, 0.5, 1.0]))}),
            ],
        ),
        OpSpec(
            "cross_entropy_probs", lambda x: F.cross_entropy(x, Tensor(p)), None, [Sample((x34,))]
        ),
        OpSpec(
            "cross_entropy_ignore",
            lambda x: F.cross_entropy(x, np.array([0, -100, 3])),
            None,
            [Sample((x34,))],
        ),
        OpSpec(
            "nll_loss",
            lambda x: F.nll_loss(x, t),
            lambda x: -x[np.arange(3), t].mean(),
            [Sample((x34,))],
        ),
        OpSpec(
            "mse_loss",
            lambda a, b: F.mse_loss(a, b),
            lambda a, b: ((a - b) ** 2).mean(),
            [Sample((x34, r.standard_normal((3, 4))))],
        ),
        OpSpec(
            "l1_loss",
            lambda a, b: F.l1_loss(a, b),
            lambda a, b: np.abs(a - b).mean(),
            [Sample((x34, x34 + 0.5))],
            kinky=True,
        ),
        OpSpec(
            "binary_cross_entropy",
            lambda a, b: F.binary_cross_entropy(a, b),
            lambda a, b: -(b * np.log(a) + (1 - b) * np.log(1 - a)).mean(),
            [Sample((1 / (1 + np.exp(-x34)), (r.random((3, 4)) > 0.5).astype(float)))],
        ),
        OpSpec(
            "binary_cross_entropy_with_logits",
            lambda a, b: F.binary_cross_entropy_with_logits(a, b),
            lambda a, b: (np.logaddexp(0, a) - a * b).mean(),
            [Sample((x34, r.random((3, 4))))],
        ),
    ]
    return specs


def all_specs() -> list[OpSpec]:
    """Every registered spec: the core ops here, then each ``op_registry_*.py`` module's
    ``specs()`` in file-name order (adding an op family means adding one such module)."""
    import importlib
    import pathlib

    specs = _core_specs()
    for path in sorted(pathlib.Path(__file__).parent.glob("op_registry_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        specs += module.specs()
    return specs


def get_spec(name: str) -> OpSpec:
    for s in all_specs():
        if s.name == name:
            return s
    raise KeyError(f"no op named {name!r} in the registry")


def sample_tensors(sample: Sample, dtype: Any = np.float64) -> list[Any]:
    """Build Tensor arguments for a sample; differentiable arrays require grad."""
    from .tensor import Tensor

    out = []
    for a, d in zip(sample.args, sample.differentiable()):
        if isinstance(a, np.generic) and not isinstance(a, np.bool_):
            a = np.asarray(a)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            arr = a.astype(dtype) if a.dtype != dtype else a.copy() if a.flags.c_contiguous else a
            if a.dtype == dtype and not a.flags.c_contiguous:
                arr = np.array(a.T, dtype=dtype).T  # keep the non-contiguous layout
            out.append(Tensor(arr, requires_grad=d))
        elif isinstance(a, np.ndarray):
            out.append(Tensor(a))
        else:
            out.append(a)
    return out
