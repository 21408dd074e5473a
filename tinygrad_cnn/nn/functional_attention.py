"""Attention in ``torch.nn.functional``'s names: scaled_dot_product_attention, and the
multi-head forward that ``nn.MultiheadAttention`` calls, both composed of matmul and softmax.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> q = k = v = tg.randn(2, 4, 8)
>>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
(2, 4, 8)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random as _random
from ..autograd import composite
from ..ops._util import const
from ..tensor import Tensor, where
from ._argcheck import tensor as _tensor


def _mask_scores(scores: Tensor, attn_mask: Any, is_causal: bool, op: str) -> Tensor:
    """Add a float mask, or set -inf where a bool mask is False (or above the diagonal)."""
    length, source = scores.shape[-2:]
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{op}: pass attn_mask or is_causal=True, not both")
        attn_mask = Tensor(np.tril(np.ones((length, source), dtype=bool)))
    if attn_mask is None:
        return scores
    mask = attn_mask if isinstance(attn_mask, Tensor) else Tensor(np.asarray(attn_mask))
    try:
        np.broadcast_shapes(mask.shape, scores.shape)
    except ValueError:
        raise ValueError(
            f"{op}: attn_mask of shape {mask.shape} does not broadcast to the attention scores "
            f"of shape {scores.shape} (..., L, S)"
        ) from None
    if mask.dtype == np.bool_:
        neg = const(np.asarray(-np.inf, dtype=scores.dtype))
        return where(mask, scores, neg)
    return scores + mask.astype(scores.dtype)


@composite("scaled_dot_product_attention")
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q k^T * scale + mask) v over (..., L, E) queries and (..., S, E) keys.

    ``attn_mask`` is bool (True takes part) or float (added to the scores); ``is_causal``
    masks keys after each query; ``scale`` defaults to 1/sqrt(E); ``dropout_p`` drops
    attention weights (always: pass 0 in evaluation, as PyTorch).

    >>> q = tg.Tensor([[[1.0, 0.0]]]); k = tg.Tensor([[[1.0, 0.0], [0.0, 1.0]]])
    >>> v = tg.Tensor([[[1.0], [3.0]]])
    >>> round(F.scaled_dot_product_attention(q, k, v).item(), 4)
    1.6604
    """
    op = "scaled_dot_product_attention"
    q, k, v = (_tensor(t, n, op) for t, n in ((query, "query"), (key, "key"), (value, "value")))
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"{op}: query, key and value need at least 2 dims (..., L, E)")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{op}: query {q.shape}, key {k.shape} and value {v.shape} do not fit: need "
            "query (..., L, E), key (..., S, E), value (..., S, Ev)"
        )
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        k, v = _repeat_heads(k, q.shape[-3], op), _repeat_heads(v, q.shape[-3], op)
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = _mask_scores((q @ k.transpose(-2, -1)) * s, attn_mask, is_causal, op)
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return weights @ v


def _repeat_heads(t: Tensor, heads: int, op: str) -> Tensor:
    """(..., Hk, S, E) -> (..., heads, S, E), each key/value head shared by heads/Hk queries."""
    hk = t.shape[-3]
    if heads % hk:
        raise ValueError(f"{op}: enable_gqa needs query heads ({heads}) divisible by {hk}")
    lead, (s, e) = t.shape[:-3], t.shape[-2:]
    grown = t.unsqueeze(-3).expand(*lead, hk, heads // hk, s, e)
    return grown.reshape(*lead, heads, s, e)


def _dropout(x: Tensor, p: float) -> Tensor:
    keep = _random.get_generator().random(x.shape) >= p
    return x * const((keep / (1.0 - p)).astype(x.dtype))


__all__ = ["scaled_dot_product_attention"]
