"""Registry specs of lookups, distances and attention: embedding, cosine_similarity,
pairwise_distance, pdist and scaled_dot_product_attention, with numpy references."""

from __future__ import annotations

import numpy as np

from .op_registry import OpSpec, Sample, _rng


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sdpa_ref(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    return _softmax(scores) @ v


def _cosine_ref(a, b, dim):
    return (a * b).sum(dim) / (np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim))


def _norm(x, p):
    return np.linalg.norm(x, ord=p, axis=-1)


def specs() -> list[OpSpec]:
    from .nn import functional as F

    r = _rng(31)
    idx = np.array([[0, 3, 1], [3, 3, 2]])
    x1, x2 = r.standard_normal((3, 4)), r.standard_normal((3, 4))
    causal = np.tril(np.ones((3, 4), dtype=bool), 1)
    return [
        OpSpec(
            "embedding",
            lambda w: F.embedding(idx, w),
            lambda w: w[idx],
            [Sample((r.standard_normal((5, 2)),), note="repeated indices accumulate")],
        ),
        OpSpec(
            "cosine_similarity",
            lambda a, b, dim: F.cosine_similarity(a, b, dim),
            lambda a, b, dim: _cosine_ref(*np.broadcast_arrays(a, b), dim),
            [Sample((x1, x2, 1)), Sample((x1, x2[:1], 0), note="broadcast")],
        ),
        OpSpec(
            "pairwise_distance",
            lambda a, b, p: F.pairwise_distance(a, b, p=p),
            lambda a, b, p: _norm(a - b + 1e-6, p),
            [Sample((x1, x2, 2.0)), Sample((x1, x2, 1.0)), Sample((x1, x2, 3.0))],
            kinky=True,
        ),
        OpSpec(
            "pdist",
            lambda a: F.pdist(a),
            lambda a: np.array(
                [np.linalg.norm(a[i] - a[j]) for i in range(len(a)) for j in range(i + 1, len(a))]
            ),
            [Sample((x1,))],
        ),
        OpSpec(
            "scaled_dot_product_attention",
            lambda q, k, v, **kw: F.scaled_dot_product_attention(q, k, v, **kw),
            lambda q, k, v, attn_mask=None: _sdpa_ref(q, k, v, attn_mask),
            [
                Sample(
                    (
                        r.standard_normal((2, 3, 4)),
                        r.standard_normal((1, 4, 4)),
                        r.standard_normal((1, 4, 2)),
                    )
                ),
                Sample(
                    (
                        r.standard_normal((3, 4)),
                        r.standard_normal((4, 4)),
                        r.standard_normal((4, 2)),
                    ),
                    {"attn_mask": causal},
                    note="bool mask",
                ),
            ],
        ),
    ]
