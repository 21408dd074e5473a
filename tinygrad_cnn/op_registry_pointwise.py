"""Registry specs of the elementwise maths ops: trigonometric and hyperbolic functions, exp/log
variants, rounding (zero gradient), remainders and rounded division, two-argument functions,
lerp/addcmul/addcdiv and nan_to_num.

Every unary op gets a 2-d, a 1-d, a non-contiguous, a 0-d and an empty sample inside its domain;
rounding ops also get ties (x.5) and integers, where the zero gradient is checked against
one-sided differences (a jump is a kink to the checker). Ops whose outputs are bool (isnan,
comparisons, bitwise) have no gradient and are tested in tests/test_pointwise_ops.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .op_registry import OpSpec, Sample, _binary, _noncontig, _rng


def _unary_samples(to_domain: Callable[[np.ndarray], np.ndarray], seed: int) -> list[Sample]:
    r = _rng(seed)
    return [
        Sample((to_domain(r.standard_normal((3, 4))),)),
        Sample((to_domain(r.standard_normal(5)),)),
        Sample((to_domain(_noncontig((3, 4), seed)),), note="non-contiguous"),
        Sample((to_domain(r.standard_normal(())),), note="0-d"),
        Sample((to_domain(np.zeros((0, 3))),), note="empty"),
    ]


def _squash(x: np.ndarray) -> np.ndarray:
    """Into (-0.9, 0.9), inside asin/acos/atanh's domain and away from its edges."""
    return 0.9 * np.tanh(x)


def _positive(x: np.ndarray) -> np.ndarray:
    return np.abs(x) + 0.5


def _unary_math_specs() -> list[OpSpec]:
    real, pos = ("real",), ("positive",)
    table = [  # name, numpy reference, map into the domain, fuzzer kind, domain
        ("sin", np.sin, np.asarray, "unary", real),
        ("cos", np.cos, np.asarray, "unary", real),
        ("tan", np.tan, _squash, "other", real),
        ("asin", np.arcsin, _squash, "other", real),
        ("acos", np.arccos, _squash, "other", real),
        ("atan", np.arctan, np.asarray, "unary", real),
        ("sinh", np.sinh, np.asarray, "unary", real),
        ("cosh", np.cosh, np.asarray, "unary", real),
        ("asinh", np.arcsinh, np.asarray, "unary", real),
        ("acosh", np.arccosh, lambda x: np.abs(x) + 1.2, "other", real),
        ("atanh", np.arctanh, _squash, "other", real),
        ("exp2", np.exp2, np.asarray, "unary", real),
        ("expm1", np.expm1, np.asarray, "unary", real),
        ("log2", np.log2, _positive, "unary", pos),
        ("log10", np.log10, _positive, "unary", pos),
        ("log1p", np.log1p, _positive, "unary", pos),
        ("rsqrt", lambda x: 1 / np.sqrt(x), _positive, "unary", pos),
    ]
    return [
        OpSpec(
            name,
            lambda x, m=name: getattr(x, m)(),
            ref,
            _unary_samples(dom, seed),
            kind=kind,
            domain=domain,
        )
        for seed, (name, ref, dom, kind, domain) in enumerate(table)
    ]


def _rounding_specs() -> list[OpSpec]:
    r = _rng(3)
    x = r.standard_normal((3, 4)) * 3
    ties = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -2.0, 0.0, 3.0])
    samples = [
        Sample((x,)),
        Sample((ties,), note="ties and integers"),
        Sample((np.asarray(1.7),), note="0-d"),
        Sample((np.zeros((0, 2)),), note="empty"),
    ]
    # NOTE: second_order=False marks the piecewise-constant ops: their gradient is zero (as
    # PyTorch), so only the first-order check (zero against one-sided differences) says anything
    specs = [
        OpSpec(name, lambda t, m=name: getattr(t, m)(), ref, samples, False, kinky=True)
        for name, ref in [
            ("floor", np.floor),
            ("ceil", np.ceil),
            ("trunc", np.trunc),
            ("round", np.round),
        ]
    ]
    specs.append(  # sign jumps by 2 at 0, where no one-sided difference is 0: samples avoid it
        OpSpec("sign", lambda t: t.sign(), np.sign, [samples[0], samples[2]], False, kinky=True)
    )
    specs.append(
        OpSpec(
            "round_decimals",
            lambda t, d: t.round(decimals=d),
            lambda t, d: np.round(t, d),
            [Sample((x, 2)), Sample((np.array([0.125, -0.375, 1.0]), 2), note="ties")],
            second_order=False,
            kinky=True,
        )
    )
    specs.append(
        OpSpec(
            "frac",
            lambda t: t.frac(),
            lambda t: t - np.trunc(t),
            [Sample((x,)), Sample((np.array([-1.25, 0.0, 2.0]),), note="zero, integer")],
            kinky=True,
        )
    )
    return specs


def _remainder_samples(r: np.random.Generator) -> list[Sample]:
    x = r.standard_normal((3, 4)) * 3
    y = np.where(r.random((3, 4)) > 0.5, 1.0, -1.0) * (r.random((3, 4)) + 0.7)
    return [
        Sample((x, y)),
        Sample((x, 1.3), note="a number divisor"),
        Sample((r.standard_normal((2, 3, 1)) * 3, np.array([0.9, -1.1])), note="broadcast"),
        Sample((np.asarray(-2.5), np.asarray(0.8)), note="0-d"),
    ]


def _division_specs() -> list[OpSpec]:
    r = _rng(9)
    samples = _remainder_samples(r)
    specs = [
        OpSpec("remainder", lambda a, b: a % b, np.remainder, samples, kinky=True),
        OpSpec("fmod", lambda a, b: a.fmod(b), np.fmod, samples, kinky=True),
        OpSpec(
            "floor_divide",
            lambda a, b: a // b,
            np.floor_divide,
            samples,
            second_order=False,
            kinky=True,
        ),
        OpSpec(
            "div_trunc",
            lambda a, b: a.div(b, rounding_mode="trunc"),
            lambda a, b: np.trunc(a / b),
            samples,
            second_order=False,
            kinky=True,
        ),
        OpSpec(
            "div_floor",
            lambda a, b: a.div(b, rounding_mode="floor"),
            lambda a, b: np.floor_divide(a, b),
            samples[:2],
            second_order=False,
            kinky=True,
        ),
        OpSpec(
            "rremainder",
            lambda b: 5.0 % b,
            lambda b: np.remainder(5.0, b),
            [Sample((samples[0].args[1],))],
            kinky=True,
        ),
    ]
    return specs


def _two_argument_specs() -> list[OpSpec]:
    r = _rng(21)
    x34 = r.standard_normal((3, 4))
    y_pos = np.abs(r.standard_normal((3, 4))) + 0.5
    signs = np.array([[1.0, -2.0, 0.5, -0.0], [-1.5, 2.0, 0.0, 3.0], [0.3, -0.3, 1.0, -1.0]])
    return [
        _binary("atan2", lambda a, b: a.atan2(b), np.arctan2),
        _binary("hypot", lambda a, b: a.hypot(b), np.hypot),
        _binary("logaddexp", lambda a, b: a.logaddexp(b), np.logaddexp),
        _binary(
            "xlogy",
            lambda a, b: a.xlogy(b),
            lambda a, b: np.where(a == 0, 0.0, a * np.log(b)),
            positive_rhs=True,
            samples=[
                Sample((x34, y_pos)),
                Sample((np.where(x34 > 0.5, 0.0, x34), y_pos), note="zeros in x"),
                Sample((r.standard_normal((2, 3, 4)), y_pos[0]), note="broadcast"),
                Sample((np.asarray(0.7), y_pos), note="0-d x"),
            ],
        ),
        OpSpec(
            "copysign",
            lambda a, b: a.copysign(b),
            np.copysign,
            [
                Sample((x34 + np.sign(x34), signs), note="signed zeros in the sign source"),
                Sample((x34, 1.0), note="a number"),
            ],
            kinky=True,
        ),
        OpSpec(
            "copysign_zero",
            lambda a, b: a.copysign(b),
            np.copysign,
            [Sample((np.array([0.0, 1.5, -2.0]), np.array([-1.0, 1.0, 1.0])), note="zero x")],
            kinky=True,
            second_order=False,  # the gradient in x jumps at x == 0 (it is 0 there, as PyTorch)
        ),
    ]


def _combination_specs() -> list[OpSpec]:
    r = _rng(33)
    a, b, c = (r.standard_normal((3, 4)) for _ in range(3))
    w = r.random((3, 4))
    pos = np.abs(r.standard_normal(4)) + 0.5
    return [
        OpSpec(
            "lerp",
            lambda x, e, wt: x.lerp(e, wt),
            lambda x, e, wt: x + wt * (e - x),
            [
                Sample((a, b, 0.3), note="number weight"),
                Sample((a, b, w), note="tensor weight"),
                Sample((a, r.standard_normal(4), np.asarray(0.6)), note="broadcast, 0-d weight"),
            ],
        ),
        OpSpec(
            "addcmul",
            lambda x, t1, t2, **k: x.addcmul(t1, t2, **k),
            lambda x, t1, t2, value=1: x + value * t1 * t2,
            [Sample((a, b, c)), Sample((a, b[0], c[:, :1]), {"value": -0.5}, note="broadcast")],
        ),
        OpSpec(
            "addcdiv",
            lambda x, t1, t2, **k: x.addcdiv(t1, t2, **k),
            lambda x, t1, t2, value=1: x + value * t1 / t2,
            [Sample((a, b, pos)), Sample((a, b, pos), {"value": 2.0})],
        ),
        OpSpec(
            "clamp_tensor",
            lambda x, lo, hi: x.clamp(lo, hi),
            lambda x, lo, hi: (
                np.clip(x, lo, None) if hi is None else np.minimum(np.clip(x, lo, None), hi)
            ),
            [
                Sample((a, b - 1.0, b + 1.0), note="both bounds"),
                Sample((a, b[0] - 0.5, None), note="broadcast min only"),
                Sample((a, None, np.asarray(0.3)), note="0-d max only"),
                Sample((a, a + 1.0, a - 1.0), note="min > max gives max"),
            ],
            kinky=True,
        ),
        OpSpec(
            "nan_to_num",
            lambda x, **k: x.nan_to_num(**k),
            lambda x, **k: np.nan_to_num(x, **k),
            [
                Sample((a,)),
                Sample((np.array([1.0, np.nan, -2.0]),), {"nan": 0.5}),
                Sample(
                    (np.array([np.nan, np.inf, -np.inf, 3.0]),), {"posinf": 9.0, "neginf": -9.0}
                ),
            ],
        ),
    ]


def specs() -> list[OpSpec]:
    return (
        _unary_math_specs()
        + _rounding_specs()
        + _division_specs()
        + _two_argument_specs()
        + _combination_specs()
    )
