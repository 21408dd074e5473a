"""Registry specs of the channel and alpha dropouts (dropout1d/2d/3d, alpha_dropout,
feature_alpha_dropout) in training mode. Each call reseeds the generator, so the mask is the
same at every evaluation and the gradient checks see a fixed (linear) map; the references draw
the mask from ``np.random.default_rng(seed)``, the generator ``manual_seed`` documents."""

from __future__ import annotations

import math

import numpy as np

from .op_registry import OpSpec, Sample, _rng

_SEED = 3
_SELU_NEG = 1.7580993408473766


def _keep(x, p, lead):
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    return (np.random.default_rng(_SEED).random(shape, dtype=np.float32) >= p).astype(x.dtype)


def _channel_ref(x, p, lead):
    return x * _keep(x, p, lead) / (1 - p)


def _alpha_ref(x, p, lead):
    keep = _keep(x, p, lead)
    a = 1 / math.sqrt((_SELU_NEG**2 * p + 1) * (1 - p))
    return a * (x * keep + (keep - 1) * _SELU_NEG) + _SELU_NEG * a * p


def _seeded(fn):
    def call(x, p):
        from . import random

        random.manual_seed(_SEED)
        return fn(x, p, training=True)

    return call


def specs() -> list[OpSpec]:
    from .nn import functional as F

    r = _rng(61)
    x3, x4 = r.standard_normal((2, 4, 3)), r.standard_normal((2, 4, 2, 2))
    x5 = r.standard_normal((1, 4, 2, 1, 2))
    return [
        OpSpec(
            "dropout1d",
            _seeded(F.dropout1d),
            lambda x, p: _channel_ref(x, p, 2 if x.ndim == 3 else 1),
            [Sample((x3, 0.5)), Sample((x3[0], 0.3), note="unbatched (C, L)")],
        ),
        OpSpec(
            "dropout2d",
            _seeded(F.dropout2d),
            lambda x, p: _channel_ref(x, p, 2),
            [Sample((x4, 0.5))],
        ),
        OpSpec(
            "dropout3d",
            _seeded(F.dropout3d),
            lambda x, p: _channel_ref(x, p, 2 if x.ndim == 5 else 1),
            [Sample((x5, 0.5)), Sample((x5[0], 0.4), note="unbatched (C, D, H, W)")],
        ),
        OpSpec(
            "alpha_dropout",
            _seeded(F.alpha_dropout),
            lambda x, p: _alpha_ref(x, p, x.ndim),
            [Sample((x4, 0.3))],
        ),
        OpSpec(
            "feature_alpha_dropout",
            _seeded(F.feature_alpha_dropout),
            lambda x, p: _alpha_ref(x, p, 2),
            [Sample((x3, 0.3))],
        ),
    ]
