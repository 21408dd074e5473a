"""Registry specs of the activations: celu, selu, relu6, hardtanh, hardswish, hardsigmoid, mish,
softsign, logsigmoid, softmin, glu, prelu, rrelu (eval), the shrink/threshold family, and the
arguments of softplus (beta, threshold) and gelu (approximate='tanh').

Random samples are pushed away from each op's kinks so finite differences are valid; one sample
per kinked op sits exactly on the kinks, where the checker accepts either one-sided slope.
"""

from __future__ import annotations

import math

import numpy as np

from .op_registry import OpSpec, Sample, _away_from, _noncontig, _rng

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _samples(kinks: tuple[float, ...], scale: float, seed: int) -> list[Sample]:
    r = _rng(seed)
    samples = [
        Sample((_away_from(r.standard_normal((3, 4)) * scale, kinks),)),
        Sample((_away_from(_noncontig((3, 4), seed) * scale, kinks),), note="non-contiguous"),
        Sample((_away_from(np.asarray(r.standard_normal(()) * scale), kinks),), note="0-d"),
        Sample((np.zeros((0, 3)),), note="empty"),
    ]
    if kinks:
        samples.append(Sample((np.array(kinks, dtype=float),), note="exactly on the kinks"))
    return samples


def _pointwise_specs() -> list[OpSpec]:
    # name, call, reference, kinks, scale of the random inputs
    table = [
        (
            "celu",
            lambda x: x.celu(1.5),
            lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5)),
            (0.0,),
            1,
        ),
        (
            "selu",
            lambda x: x.selu(),
            lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
            (0.0,),
            1,
        ),
        ("relu6", lambda x: x.relu6(), lambda x: np.clip(x, 0, 6), (0.0, 6.0), 4),
        (
            "hardtanh",
            lambda x: x.hardtanh(-0.5, 1.5),
            lambda x: np.clip(x, -0.5, 1.5),
            (-0.5, 1.5),
            1,
        ),
        (
            "hardswish",
            lambda x: x.hardswish(),
            lambda x: x * np.clip(x + 3, 0, 6) / 6,
            (-3.0, 3.0),
            3,
        ),
        (
            "hardsigmoid",
            lambda x: x.hardsigmoid(),
            lambda x: np.clip(x / 6 + 0.5, 0, 1),
            (-3.0, 3.0),
            3,
        ),
        ("mish", lambda x: x.mish(), lambda x: x * np.tanh(np.logaddexp(0, x)), (), 2),
        ("softsign", lambda x: x.softsign(), lambda x: x / (1 + np.abs(x)), (0.0,), 1),
        ("logsigmoid", lambda x: x.logsigmoid(), lambda x: -np.logaddexp(0, -x), (0.0,), 3),
        ("tanhshrink", lambda x: x.tanhshrink(), lambda x: x - np.tanh(x), (), 1),
        (
            "softshrink",
            lambda x: x.softshrink(0.4),
            lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.4, 0),
            (-0.4, 0.4),
            1,
        ),
        (
            "hardshrink",
            lambda x: x.hardshrink(0.4),
            lambda x: np.where(np.abs(x) > 0.4, x, 0),
            (-0.4, 0.4),
            1,
        ),
        (
            "threshold",
            lambda x: x.threshold(0.3, -2.0),
            lambda x: np.where(x > 0.3, x, -2.0),
            (0.3,),
            1,
        ),
        (
            "rrelu_eval",
            lambda x: x.rrelu(0.1, 0.3),
            lambda x: np.where(x > 0, x, 0.2 * x),
            (0.0,),
            1,
        ),
        (
            "softplus_beta",
            lambda x: x.softplus(2.0, 4.0),
            lambda x: np.where(2 * x > 4, x, np.logaddexp(0, 2 * x) / 2),
            (2.0,),
            3,
        ),
        (
            "gelu_tanh",
            lambda x: x.gelu(approximate="tanh"),
            lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
            (),
            2,
        ),
    ]
    return [
        OpSpec(
            name,
            fn,
            ref,
            _samples(kinks, scale, seed),
            kinky=bool(kinks),
            kind="unary" if not kinks else "other",
        )
        for seed, (name, fn, ref, kinks, scale) in enumerate(table)
    ]


def _prelu_ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    shape = (-1,) + (1,) * (x.ndim - 2) if w.size > 1 else ()
    return np.where(x > 0, x, w.reshape(shape) * x)


def _structured_specs() -> list[OpSpec]:
    r = _rng(40)
    x234 = _away_from(r.standard_normal((2, 3, 4)))
    return [
        OpSpec(
            "prelu",
            lambda x, w: x.prelu(w),
            _prelu_ref,
            [
                Sample((x234, np.array([0.25])), note="one shared slope"),
                Sample((x234, np.array([0.1, -0.2, 0.3])), note="one slope per channel"),
                Sample((_away_from(r.standard_normal(5)), np.array([0.3])), note="1-d input"),
                Sample((np.array([[0.0, -1.0], [2.0, 0.0]]), np.array([0.2, 0.4])), note="zeros"),
            ],
            kinky=True,
        ),
        OpSpec(
            "glu",
            lambda x, **k: x.glu(**k),
            lambda x, dim=-1: np.split(x, 2, dim)[0] * _sigmoid(np.split(x, 2, dim)[1]),
            [Sample((x234[:, :2],), {"dim": 1}), Sample((x234,)), Sample((x234[:1, :, :2],))],
        ),
        OpSpec(
            "softmin",
            lambda x, **k: x.softmin(**k),
            lambda x, dim: _softmax(-x, dim),
            [
                Sample((x234,), {"dim": 1}),
                Sample((r.standard_normal((3, 4)),), {"dim": -1}),
                Sample((np.zeros((2, 3)),), {"dim": 0}, note="ties"),
            ],
        ),
    ]


def specs() -> list[OpSpec]:
    return _pointwise_specs() + _structured_specs()
