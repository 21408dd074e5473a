"""Registry specs of the normalization functions (layer, group, instance, local response
normalization and normalize), with numpy references written out from their definitions."""

from __future__ import annotations

import numpy as np

from .op_registry import OpSpec, Sample, _noncontig, _rng


def _standardize(x, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def _layer_norm_ref(x, w, b, shape=None):
    k = len(shape)
    return _standardize(x, tuple(range(x.ndim - k, x.ndim))) * w + b


def _group_norm_ref(x, w, b, groups=None):
    n, c = x.shape[:2]
    out = _standardize(x.reshape(n, groups, -1), (2,)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return out * w.reshape(shape) + b.reshape(shape)


def _instance_norm_ref(x):
    return _standardize(x, tuple(range(2, x.ndim)))


def _lrn_ref(x, size=None, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = np.moveaxis(x * x, 1, -1)
    pad = [(0, 0)] * (sq.ndim - 1) + [(size // 2, (size - 1) // 2)]
    padded = np.pad(sq, pad)
    total = sum(padded[..., j : j + c] for j in range(size))
    return x / np.moveaxis((k + alpha / size * total) ** beta, -1, 1)


def _normalize_ref(x, p=2.0, dim=1):
    norm = np.linalg.norm(x, ord=p, axis=dim, keepdims=True) if p != 2 else None
    if norm is None:
        norm = np.sqrt((x * x).sum(axis=dim, keepdims=True))
    return x / np.maximum(norm, 1e-12)


def specs() -> list[OpSpec]:
    from .nn import functional as F

    r = _rng(21)
    x = r.standard_normal((2, 4, 3))
    return [
        OpSpec(
            "layer_norm",
            lambda x, w, b, shape: F.layer_norm(x, shape, w, b),
            lambda x, w, b, shape: _layer_norm_ref(x, w, b, shape),
            [
                Sample((x, r.standard_normal(3), r.standard_normal(3), (3,))),
                Sample((x, r.standard_normal((4, 3)), r.standard_normal((4, 3)), (4, 3))),
                Sample((_noncontig((3, 4)), r.standard_normal(4), r.standard_normal(4), (4,))),
            ],
        ),
        OpSpec(
            "group_norm",
            lambda x, w, b, groups: F.group_norm(x, groups, w, b),
            lambda x, w, b, groups: _group_norm_ref(x, w, b, groups),
            [
                Sample((x, r.standard_normal(4), r.standard_normal(4), 2)),
                Sample((r.standard_normal((2, 2, 2, 2)), np.ones(2), np.zeros(2), 1)),
            ],
        ),
        OpSpec(
            "instance_norm",
            lambda x: F.instance_norm(x),
            _instance_norm_ref,
            [Sample((x,)), Sample((r.standard_normal((1, 2, 2, 3)),), note="2-D images")],
        ),
        OpSpec(
            "local_response_norm",
            lambda x, size: F.local_response_norm(x, size, alpha=0.5, beta=0.7, k=1.5),
            lambda x, size: _lrn_ref(x, size, 0.5, 0.7, 1.5),
            [Sample((x, 3)), Sample((r.standard_normal((1, 3, 2, 2)), 2))],
        ),
        OpSpec(
            "normalize",
            lambda x, p: F.normalize(x, p=p, dim=1),
            lambda x, p: _normalize_ref(x, p, 1),
            [Sample((x, 2.0)), Sample((x + 3.0, 1.0)), Sample((x, 3.0))],
        ),
    ]
