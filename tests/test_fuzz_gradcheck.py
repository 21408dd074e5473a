"""Fuzzing the engine: hypothesis composes 2 to 5 registry ops on random compatible shapes and
gradchecks the composition (and, for some, gradgradchecks it).

Each op is called through its registry spec (``get_spec(name).fn``), so a new op only needs its
entry here to be fuzzed. Ops that need positive inputs get ``sigmoid(x) + 0.5``. Kink crossings
(relu, abs, max, ...) are excused by the checker, so the fuzzer needs no tie avoidance.
Derandomized: the suite draws the same examples on every run (about 11 s of CPU). To explore
new ones: FUZZ_RANDOM=1 FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_gradcheck.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.op_registry import all_specs

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 400))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") is None

SPECS = {s.name: s for s in all_specs()}


def get_spec(name: str):
    return SPECS[name]


def _pos(t: tg.Tensor) -> tg.Tensor:
    return t.sigmoid() + 0.5


# ops by how a composition calls them, from the registry's kind and domain tags (the spec's fn
# does the work); ops with extra arguments (leaky_relu, clamp) get those of their first sample
def _names(kind: str, positive: bool | None = None) -> list[str]:
    return [
        s.name
        for s in all_specs()
        if s.kind == kind and (positive is None or (s.domain[:1] == ("positive",)) == positive)
    ]


UNARY = _names("unary", positive=False)
POSITIVE_UNARY = _names("unary", positive=True)
BINARY = _names("binary")
REDUCE = _names("reduce")


@dataclass
class Step:
    name: str
    apply: Callable[[tg.Tensor, list[tg.Tensor]], tg.Tensor]  # (current, operands) -> new
    operand_shape: tuple[int, ...] | None = None  # shape of the fresh leaf a binary op takes


def _broadcastable(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts against `shape`: some dims 1, maybe fewer leading dims."""
    dims = [d if draw(st.booleans()) else 1 for d in shape]
    drop = draw(st.integers(0, len(dims)))
    return tuple(dims[drop:])


@st.composite
def steps_and_shape(draw: st.DrawFn) -> tuple[tuple[int, ...], list[Step]]:
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    cur = shape
    steps: list[Step] = []
    for _ in range(draw(st.integers(2, 5))):
        kinds = ["unary", "positive", "binary"]
        if len(cur) >= 1:
            kinds += ["reduce", "softmax"]
        if len(cur) >= 2:
            kinds.append("transpose")
        if len(cur) == 4 and min(cur[2:]) >= 2 and "conv2d" in SPECS:
            kinds += ["conv2d", "pool"]
        kind = draw(st.sampled_from(kinds))
        if kind == "unary":
            name = draw(st.sampled_from(UNARY))
            fn = get_spec(name).fuzz_forms()[0]
            steps.append(Step(name, lambda x, ops, fn=fn: fn(x)))
        elif kind == "positive":
            name = draw(st.sampled_from(POSITIVE_UNARY))
            fn = get_spec(name).fuzz_forms()[0]
            steps.append(Step(f"{name}(sigmoid+0.5)", lambda x, ops, fn=fn: fn(_pos(x))))
        elif kind == "binary":
            name = draw(st.sampled_from(BINARY))
            spec = get_spec(name)
            fn = spec.fn
            oshape = _broadcastable(draw, cur)
            lhs_pos, rhs_pos = (d == "positive" for d in spec.domain)
            swap = draw(st.booleans()) and not (lhs_pos or rhs_pos)
            if rhs_pos:  # a positive divisor
                f = lambda x, ops, fn=fn: fn(x, _pos(ops[0]))  # noqa: E731
            elif lhs_pos:  # a positive base
                f = lambda x, ops, fn=fn: fn(_pos(x), ops[0])  # noqa: E731
            elif swap:
                f = lambda x, ops, fn=fn: fn(ops[0], x)  # noqa: E731
            else:
                f = lambda x, ops, fn=fn: fn(x, ops[0])  # noqa: E731
            steps.append(Step(f"{name}{' (swapped)' if swap else ''} with {oshape}", f, oshape))
            cur = np.broadcast_shapes(cur, oshape)
        elif kind == "reduce":
            name = draw(st.sampled_from(REDUCE))
            dim = draw(st.integers(0, len(cur) - 1))
            if name in ("var", "std") and cur[dim] < 2:
                name = "mean"  # the unbiased variance of one element is NaN
            keepdim = draw(st.booleans())
            fn = get_spec(name).fn
            steps.append(
                Step(
                    f"{name}(dim={dim}, keepdim={keepdim})",
                    lambda x, ops, fn=fn, d=dim, k=keepdim: fn(x, dim=d, keepdim=k),
                )
            )
            cur = cur[:dim] + ((1,) if keepdim else ()) + cur[dim + 1 :]
        elif kind == "softmax":
            name = draw(st.sampled_from(["softmax", "log_softmax"]))
            dim = draw(st.integers(0, len(cur) - 1))
            fn = get_spec(name).fn
            steps.append(Step(f"{name}(dim={dim})", lambda x, ops, fn=fn, d=dim: fn(x, d)))
        elif kind == "conv2d":
            fn = get_spec("conv2d").fn
            kh, kw = draw(st.integers(1, min(cur[2], 3))), draw(st.integers(1, min(cur[3], 3)))
            oshape = (draw(st.integers(1, 3)), cur[1], kh, kw)
            stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
            steps.append(
                Step(
                    f"conv2d(weight {oshape}, stride={stride}, padding={padding})",
                    lambda x, ops, fn=fn, s=stride, p=padding: fn(x, ops[0], stride=s, padding=p),
                    oshape,
                )
            )
            h, w = ((n + 2 * padding - k) // stride + 1 for n, k in zip(cur[2:], (kh, kw)))
            cur = (cur[0], oshape[0], h, w)
        elif kind == "pool":
            name = draw(st.sampled_from(["max_pool2d", "avg_pool2d"]))
            fn = get_spec(name).fn
            steps.append(Step(f"{name}(2)", lambda x, ops, fn=fn: fn(x, 2)))
            cur = (cur[0], cur[1], cur[2] // 2, cur[3] // 2)
        else:
            fn = get_spec("transpose").fn
            steps.append(Step("transpose(0, 1)", lambda x, ops, fn=fn: fn(x)))
            cur = (cur[1], cur[0], *cur[2:])
    return shape, steps


def _compose(steps: list[Step]) -> Callable[..., tg.Tensor]:
    def f(x: tg.Tensor, *operands: tg.Tensor) -> tg.Tensor:
        it = iter(operands)
        for s in steps:
            x = s.apply(x, [next(it)] if s.operand_shape is not None else [])
        return x

    return f


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=steps_and_shape(), seed=st.integers(0, 2**16), second=st.booleans())
def test_random_compositions_gradcheck(case, seed, second):
    shape, steps = case
    note("composition: " + " -> ".join(s.name for s in steps) + f" on input shape {shape}")
    rng = np.random.default_rng(seed)
    inputs = [tg.Tensor(rng.uniform(-1.5, 1.5, shape), requires_grad=True)]
    for s in steps:
        if s.operand_shape is not None:
            inputs.append(tg.Tensor(rng.uniform(-1.5, 1.5, s.operand_shape), requires_grad=True))
    fn = _compose(steps)
    with tg.no_grad():
        out = fn(*inputs)
    # keep to values where float64 central differences are accurate to atol
    assume(np.isfinite(out.numpy()).all() and np.abs(out.numpy()).max(initial=0) < 1e3)
    result = tg.check_gradients(fn, inputs)
    assert result.ok, str(result)
    assert len(result.pairs) == len(inputs)
    if second:
        r2 = tg.gradgradcheck(fn, inputs, raise_exception=False, return_result=True)
        assert r2.ok, str(r2)


def test_fuzzer_catches_a_wrong_gradient_in_a_composition():
    """The same harness fails when one op in the chain has a wrong backward."""

    class HalfGradTanh(tg.Function):
        def forward(self, x):
            out = np.tanh(x)
            self.save_for_backward(out)
            return out

        def backward(self, g):
            (out,) = self.saved_tensors
            return g * (1 - out * out) * 0.5  # wrong: d tanh = 1 - tanh^2

    steps = [
        Step("exp", lambda x, ops: get_spec("exp").fn(x)),
        Step("bad tanh", lambda x, ops: HalfGradTanh.apply(x)),
        Step("sum", lambda x, ops: get_spec("sum").fn(x, dim=0)),
    ]
    x = tg.Tensor(np.random.default_rng(0).uniform(-1, 1, (3, 2)), requires_grad=True)
    result = tg.check_gradients(_compose(steps), [x])
    assert not result.ok
    assert result.pairs[0].mismatches == 6


def test_prod_second_order_at_zeros():
    """Minimized from a fuzz failure (conv2d with padding -> prod -> ...): d2 prod / dx2 at a
    zero is not zero; the backward must build the product of the others differentiably."""
    x = tg.Tensor(np.array([0.0, 1.5, 2.0]), requires_grad=True)
    assert tg.gradgradcheck(lambda t: t.prod(0), x)
    y = tg.Tensor(np.array([[0.0, 1.5, 2.0], [0.0, 0.0, 3.0]]), requires_grad=True)
    assert tg.gradgradcheck(lambda t: t.prod(1), y)
    assert tg.gradgradcheck(lambda t: t.prod((0, 1)), y)
