"""Fuzzing op chains against numpy: hypothesis builds a random chain of elementwise, binary
(broadcasting), reduction and shape ops, applies it both to a Tensor and to the same numpy array,
compares the forward values in float64, checks that float32 stays float32, and gradchecks the
whole chain with respect to its input and every operand.

tests/test_fuzz_gradcheck.py fuzzes registry compositions through gradcheck only; this file is
the forward-against-numpy half. The checkpoint-loader fuzz lives in tests/test_checkpoint.py.
Derandomized, so every run draws the same examples; FUZZ_RANDOM=1 FUZZ_OPS_EXAMPLES=2000 explores.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.op_registry import all_specs

MAX_EXAMPLES = int(os.environ.get("FUZZ_OPS_EXAMPLES", 200))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") is None
MAX_NUMEL = 36  # keeps the numerical Jacobian cheap
MAX_NDIM = 4


@dataclass
class Step:
    desc: str
    tensor_fn: Callable  # (Tensor, list[Tensor]) -> Tensor
    numpy_fn: Callable  # (ndarray, list[ndarray]) -> ndarray
    operands: list[np.ndarray] = field(default_factory=list)


# -- the op tables come from the registry: its kind and domain tags say how to compose each op -----
def _positive(t):
    """x * x + 0.5: maps any input into an op's positive domain (works on Tensors and arrays)."""
    return t * t + 0.5


def _unary_table() -> list[tuple[str, Callable, Callable]]:
    out = []
    for spec in all_specs():
        if spec.kind != "unary" or spec.ref is None:
            continue
        tf, nf = spec.fuzz_forms()
        if spec.domain[:1] == ("positive",):
            out.append(
                (spec.name, lambda t, tf=tf: tf(_positive(t)), lambda a, nf=nf: nf(_positive(a)))
            )
        else:
            out.append((spec.name, tf, nf))
    return out


def _binary_table() -> list[tuple[str, Callable, Callable, bool]]:
    out = []
    for spec in all_specs():
        if spec.kind != "binary" or spec.ref is None:
            continue
        tf, nf = spec.fuzz_forms()
        lhs_pos, rhs_pos = (d == "positive" for d in spec.domain)
        if lhs_pos:
            tf = lambda t, o, tf=tf: tf(_positive(t), o)  # noqa: E731
            nf = lambda a, o, nf=nf: nf(_positive(a), o)  # noqa: E731
        out.append((spec.name, tf, nf, rhs_pos))
    return out


def _reduce_table() -> list[tuple[str, Callable, Callable]]:
    out = []
    for spec in all_specs():
        if spec.kind != "reduce" or spec.ref is None:
            continue
        tf, nf = spec.fuzz_forms()
        out.append(
            (
                spec.name,
                lambda t, d, k, tf=tf: tf(t, dim=d, keepdim=k),
                lambda a, d, k, nf=nf: nf(a, dim=d, keepdim=k),
            )
        )
    return out


UNARY = _unary_table()
BINARY = _binary_table()  # (name, tensor, numpy, positive operand)
REDUCE = _reduce_table()


def _ref_logsumexp(a, dim, keepdim):
    m = np.max(a, axis=dim, keepdims=True)
    out = m + np.log(np.exp(a - m).sum(axis=dim, keepdims=True))
    return out if keepdim else np.squeeze(out, axis=dim)


def _ref_log_softmax(a, dim):
    return a - _ref_logsumexp(a, dim, True)


# -- step generators: each draws one op valid for the current shape, or returns None -------------
def _unary(data, shape, rng):
    name, tf, nf = data.draw(st.sampled_from(UNARY), label="unary")
    return Step(name, lambda t, ops: tf(t), lambda a, ops: nf(a)), shape


def _binary(data, shape, rng):
    name, tf, nf, positive = data.draw(st.sampled_from(BINARY), label="binary")
    # broadcast: the operand drops some leading dims and sets some others to 1
    nd = data.draw(st.integers(0, len(shape)), label="operand ndim")
    oshape = list(shape[len(shape) - nd :])
    for i in range(nd):
        if data.draw(st.booleans(), label="broadcast dim"):
            oshape[i] = 1
    if data.draw(st.booleans(), label="operand has more dims") and len(shape) < MAX_NDIM:
        oshape = [2, *([1] * (len(shape) - nd)), *oshape]  # the operand is bigger: output grows
    oshape = tuple(oshape)
    new = np.broadcast_shapes(shape, oshape)
    if math.prod(new) > MAX_NUMEL:
        return None
    operand = rng.uniform(0.5, 2.0, oshape) if positive else rng.standard_normal(oshape)
    return (
        Step(f"{name} with {oshape}", lambda t, ops: tf(t, ops[0]), lambda a, ops: nf(a, ops[0])),
        new,
        [operand],
    )


def _reduce(data, shape, rng):
    if not shape:
        return None
    name, tf, nf = data.draw(st.sampled_from(REDUCE), label="reduce")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    keep = data.draw(st.booleans(), label="keepdim")
    if name in ("var", "std") and shape[dim] < 2:  # the unbiased variance of one value is NaN
        return None
    new = list(shape)
    if keep:
        new[dim] = 1
    else:
        del new[dim]
    return Step(
        f"{name}(dim={dim}, keepdim={keep})",
        lambda t, ops: tf(t, dim, keep),
        lambda a, ops: nf(a, dim, keep),
    ), tuple(new)


def _softmax(data, shape, rng):
    if not shape:
        return None
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    if data.draw(st.booleans(), label="log"):
        return Step(
            f"log_softmax({dim})",
            lambda t, ops: t.log_softmax(dim),
            lambda a, ops: _ref_log_softmax(a, dim),
        ), shape
    return Step(
        f"softmax({dim})",
        lambda t, ops: t.softmax(dim),
        lambda a, ops: np.exp(_ref_log_softmax(a, dim)),
    ), shape


def _movement(data, shape, rng):
    nd = len(shape)
    kinds = ["reshape_flat", "unsqueeze", "flip", "pad", "repeat", "cat"]
    if nd >= 2:
        kinds += ["permute", "transpose", "matmul", "reshape_reverse"]
    if 1 in shape:
        kinds += ["squeeze", "expand"]
    if nd and max(shape) >= 2:
        kinds += ["slice"]
    kind = data.draw(st.sampled_from(kinds), label="movement")
    if kind == "reshape_flat":
        return Step("reshape(-1)", lambda t, o: t.reshape(-1), lambda a, o: a.reshape(-1)), (
            math.prod(shape),
        )
    if kind == "reshape_reverse":
        new = tuple(reversed(shape))
        return Step(f"reshape{new}", lambda t, o: t.reshape(new), lambda a, o: a.reshape(new)), new
    if kind == "unsqueeze":
        if nd >= MAX_NDIM:
            return None
        d = data.draw(st.integers(-nd - 1, nd), label="dim")
        new = np.expand_dims(np.empty(shape), d).shape
        return Step(
            f"unsqueeze({d})", lambda t, o: t.unsqueeze(d), lambda a, o: np.expand_dims(a, d)
        ), new
    if kind == "squeeze":
        d = data.draw(st.sampled_from([i for i, s in enumerate(shape) if s == 1]), label="dim")
        new = shape[:d] + shape[d + 1 :]
        return Step(f"squeeze({d})", lambda t, o: t.squeeze(d), lambda a, o: np.squeeze(a, d)), new
    if kind == "expand":
        d = data.draw(st.sampled_from([i for i, s in enumerate(shape) if s == 1]), label="dim")
        new = shape[:d] + (3,) + shape[d + 1 :]
        if math.prod(new) > MAX_NUMEL:
            return None
        return Step(
            f"expand{new}", lambda t, o: t.expand(*new), lambda a, o: np.broadcast_to(a, new)
        ), new
    if kind == "flip":
        if not nd:
            return None
        d = data.draw(st.integers(0, nd - 1), label="dim")
        return Step(f"flip({d})", lambda t, o: t.flip((d,)), lambda a, o: np.flip(a, d)), shape
    if kind == "permute":
        perm = tuple(data.draw(st.permutations(range(nd)), label="perm"))
        new = tuple(shape[p] for p in perm)
        return Step(
            f"permute{perm}", lambda t, o: t.permute(perm), lambda a, o: a.transpose(perm)
        ), new
    if kind == "transpose":
        new = shape[:-2] + (shape[-1], shape[-2])
        return Step(
            "transpose(-2, -1)", lambda t, o: t.transpose(-2, -1), lambda a, o: a.swapaxes(-2, -1)
        ), new
    if kind == "pad":
        if not nd:
            return None
        lo, hi = data.draw(st.integers(0, 2), label="lo"), data.draw(st.integers(0, 2), label="hi")
        new = shape[:-1] + (shape[-1] + lo + hi,)
        if math.prod(new) > MAX_NUMEL:
            return None
        width = [(0, 0)] * (nd - 1) + [(lo, hi)]
        return Step(
            f"pad({lo}, {hi})", lambda t, o: t.pad((lo, hi)), lambda a, o: np.pad(a, width)
        ), new
    if kind == "slice":
        d = data.draw(st.sampled_from([i for i, s in enumerate(shape) if s >= 2]), label="dim")
        start = data.draw(st.integers(0, shape[d] - 1), label="start")
        step = data.draw(st.integers(1, 2), label="step")
        idx = (slice(None),) * d + (slice(start, None, step),)
        new = np.empty(shape)[idx].shape
        return Step(f"getitem{idx}", lambda t, o: t[idx], lambda a, o: a[idx]), new
    if kind == "repeat":
        reps = (2,) + (1,) * nd
        new = (2, *shape)
        if math.prod(new) > MAX_NUMEL or nd >= MAX_NDIM:
            return None
        return Step("repeat", lambda t, o: t.repeat(*reps), lambda a, o: np.tile(a, reps)), new
    if kind == "cat":
        if not nd:
            return None
        d = data.draw(st.integers(-nd, nd - 1), label="dim")
        new = list(shape)
        new[d] *= 2
        if math.prod(new) > MAX_NUMEL:
            return None
        return Step(
            f"cat([x, 2x], {d})",
            lambda t, o: tg.cat([t, t * 2.0], dim=d),
            lambda a, o: np.concatenate([a, a * 2.0], axis=d),
        ), tuple(new)
    if kind == "matmul":
        n = data.draw(st.integers(1, 3), label="n")
        oshape = (shape[-1], n)
        new = shape[:-1] + (n,)
        if math.prod(new) > MAX_NUMEL:
            return None
        return (
            Step(f"matmul {oshape}", lambda t, o: t @ o[0], lambda a, o: a @ o[0]),
            new,
            [rng.standard_normal(oshape)],
        )
    raise AssertionError(kind)


GENERATORS = [_unary, _unary, _binary, _reduce, _softmax, _movement, _movement]


@st.composite
def chains(draw):
    nd = draw(st.integers(0, 3), label="input ndim")
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd), label="shape"))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal(shape)
    length = draw(st.integers(1, 5), label="length")
    steps: list[Step] = []
    data = _Drawer(draw)
    while len(steps) < length:
        gen = draw(st.sampled_from(GENERATORS), label="kind")
        made = gen(data, shape, rng)
        if made is None:
            continue
        step, shape = made[0], tuple(made[1])
        if len(made) == 3:
            step.operands = made[2]
        steps.append(step)
    return x, steps


class _Drawer:
    """Lets the step generators call ``data.draw(strategy, label=...)`` inside a composite."""

    def __init__(self, draw):
        self._draw = draw

    def draw(self, strategy, label=None):
        return self._draw(strategy, label=label)


def _run_tensor(steps: list[Step], x: tg.Tensor, operands: list[tg.Tensor]) -> tg.Tensor:
    i = 0
    for step in steps:
        k = len(step.operands)
        x = step.tensor_fn(x, operands[i : i + k])
        i += k
    return x


def _run_numpy(steps: list[Step], a: np.ndarray) -> list[np.ndarray]:
    values = []
    for step in steps:
        with np.errstate(over="ignore"):
            a = np.asarray(step.numpy_fn(a, step.operands), dtype=np.float64)
        values.append(a)
    return values


def _ties(values: list[np.ndarray], steps: list[Step]) -> bool:
    # max/min over (near-)equal values is a kink of measure zero that relu's zeros make common;
    # the forward still matches, but the gradient there is a convention: skip the gradcheck
    # and the std of identical values is 0, where sqrt's gradient is infinite (NaN, as PyTorch)
    flat_std = any(s.desc.startswith("std") and (v == 0).any() for s, v in zip(steps, values))
    return (
        flat_std
        or any(s.desc.startswith(("max", "min")) for s in steps)
        and any((v == 0).sum() > 1 for v in values)
    )


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(chains())
def test_random_op_chain_matches_numpy_and_gradcheck(case):
    x_np, steps = case
    note("chain: " + " -> ".join(s.desc for s in steps))
    values = _run_numpy(steps, x_np)
    if not all(np.isfinite(v).all() and np.abs(v).max(initial=0) < 1e6 for v in values):
        return  # exp of exp overflowed: not an interesting chain
    operands = [o for s in steps for o in s.operands]

    # forward, float64: same values as numpy, same shape
    x = tg.Tensor(x_np, dtype="float64", requires_grad=True)
    ops = [tg.Tensor(o, dtype="float64", requires_grad=True) for o in operands]
    out = _run_tensor(steps, x, ops)
    assert out.shape == values[-1].shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), values[-1], rtol=1e-9, atol=1e-12)

    # float32 in, float32 out (no silent promotion anywhere in the chain), values close
    out32 = _run_tensor(
        steps,
        tg.Tensor(x_np.astype(np.float32)),
        [tg.Tensor(o.astype(np.float32)) for o in operands],
    )
    assert out32.dtype == np.float32 and out32.shape == out.shape
    scale = max(1.0, max(float(np.abs(v).max(initial=0)) for v in [x_np, *values]))
    np.testing.assert_allclose(out32.numpy(), values[-1], rtol=1e-3, atol=1e-3 * scale)

    # backward: analytic gradients of the whole chain against central differences
    if _ties(values, steps) or max(float(np.abs(v).max(initial=0)) for v in values) > 1e3:
        return
    assert tg.gradcheck(lambda *ts: _run_tensor(steps, ts[0], list(ts[1:])), (x, *ops))


def test_chain_runner_can_fail():
    # the comparison is real: a wrong numpy reference is caught
    step = Step("exp", lambda t, o: t.exp(), lambda a, o: np.exp(a) + 1e-6)
    x = np.linspace(-1, 1, 5)
    out = _run_tensor([step], tg.Tensor(x, dtype="float64"), [])
    assert not np.allclose(out.numpy(), _run_numpy([step], x)[-1], rtol=1e-9, atol=1e-12)
