"""nn.MultiheadAttention with PyTorch's parameters, state-dict keys, initialisation, masks and
return values, so a vision transformer block can be written next to a CNN.

>>> import tinygrad_cnn as tg
>>> mha = tg.nn.MultiheadAttention(8, 2, batch_first=True)
>>> out, weights = mha(tg.randn(3, 5, 8), tg.randn(3, 5, 8), tg.randn(3, 5, 8))
>>> out.shape, weights.shape
((3, 5, 8), (3, 5, 5))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import creation
from ..ops._util import const
from ..tensor import Tensor, cat, where
from . import functional_attention as FA
from . import init
from .layers import Linear
from .module import Module, Parameter


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of ``embed_dim // num_heads`` each.

    Inputs are (L, N, E) (or (N, L, E) with ``batch_first``, or unbatched (L, E));
    ``key_padding_mask`` (N, S) and a bool ``attn_mask`` mark with True the keys a query may
    NOT attend to (float masks are added to the scores), as PyTorch. Returns the output and,
    when ``need_weights``, the attention weights averaged over heads (or per head).

    >>> import tinygrad_cnn as tg
    >>> list(tg.nn.MultiheadAttention(4, 2).state_dict())
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        _check_args(embed_dim, num_heads, dropout, kdim, vdim)
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                f"num_heads ({num_heads})"
            )
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.add_zero_attn = batch_first, add_zero_attn
        self.head_dim = embed_dim // num_heads
        self._make_projections(bias, add_bias_kv)
        self._reset_parameters()

    def _make_projections(self, bias: bool, add_bias_kv: bool) -> None:
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.zeros(3 * e, e))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.zeros(e, e))
            self.k_proj_weight = Parameter(creation.zeros(e, self.kdim))
            self.v_proj_weight = Parameter(creation.zeros(e, self.vdim))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.zeros(3 * e))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=bias)
        if add_bias_kv:
            self.bias_k = Parameter(creation.zeros(1, 1, e))
            self.bias_v = Parameter(creation.zeros(1, 1, e))
        else:
            self.bias_k = self.bias_v = None

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, ...]:
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[0:e], w[e : 2 * e], w[2 * e :])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (b[0:e], b[e : 2 * e], b[2 * e :]) if b is not None else (None, None, None)
        return tuple(
            x @ wi.T + (bi if bi is not None else 0.0)
            for x, wi, bi in zip((query, key, value), ws, bs)
        )

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"MultiheadAttention: {name} must be a Tensor, got {type(t).__name__}"
                )
        if is_causal and attn_mask is None:
            raise ValueError(
                "MultiheadAttention: is_causal=True is a hint that attn_mask is the causal mask; "
                "pass that attn_mask too"
            )
        unbatched = query.ndim == 2
        q, k, v = (t.unsqueeze(1) if unbatched else t for t in (query, key, value))
        if self.batch_first and not unbatched:
            q, k, v = (t.transpose(0, 1) for t in (q, k, v))
        if key_padding_mask is not None and unbatched:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        self._check_shapes(q, k, v)
        out, weights = self._attend(q, k, v, key_padding_mask, attn_mask, need_weights)
        if self.batch_first and not unbatched:
            out = out.transpose(0, 1)
        if weights is not None and average_attn_weights:
            weights = weights.mean(1)
        if unbatched:
            out = out.squeeze(1)
            weights = weights.squeeze(0) if weights is not None else None
        return out, weights

    def _check_shapes(self, q: Tensor, k: Tensor, v: Tensor) -> None:
        ok = (
            q.ndim == k.ndim == v.ndim == 3
            and q.shape[2] == self.embed_dim
            and k.shape[2] == self.kdim
            and v.shape[2] == self.vdim
            and k.shape[:2] == v.shape[:2]
            and q.shape[1] == k.shape[1]
        )
        if not ok:
            raise ValueError(
                f"MultiheadAttention: query {q.shape}, key {k.shape}, value {v.shape} (as "
                f"(L, N, E)) do not fit embed_dim={self.embed_dim}, kdim={self.kdim}, "
                f"vdim={self.vdim}"
            )

    def _attend(self, q, k, v, key_padding_mask, attn_mask, need_weights):
        length, n, _ = q.shape
        q, k, v = self._project(q, k, v)
        k, v, key_padding_mask, attn_mask = self._extend_keys(k, v, key_padding_mask, attn_mask)
        h, hd = self.num_heads, self.head_dim
        # (L, N, E) -> (N, H, L, hd)
        q, k, v = (t.reshape(t.shape[0], n, h, hd).permute(1, 2, 0, 3) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        scores = _apply_mask(scores, attn_mask, n, h)
        if key_padding_mask is not None:
            scores = _apply_mask(scores, key_padding_mask.reshape(n, 1, 1, -1), n, h)
        weights = scores.softmax(-1)
        if self.dropout > 0.0 and self.training:
            weights = FA._dropout(weights, self.dropout)
        out = (weights @ v).permute(2, 0, 1, 3).reshape(length, n, self.embed_dim)
        return self.out_proj(out), (weights if need_weights else None)

    def _extend_keys(self, k, v, key_padding_mask, attn_mask):
        """add_bias_kv appends learned key/value rows, add_zero_attn zero rows; masks grow."""
        extra = []
        if self.bias_k is not None:
            n = k.shape[1]
            k = cat([k, self.bias_k.expand(1, n, self.embed_dim)], 0)
            v = cat([v, self.bias_v.expand(1, n, self.embed_dim)], 0)
            extra.append(1)
        if self.add_zero_attn:
            k = cat([k, creation.zeros(1, *k.shape[1:], dtype=k.dtype)], 0)
            v = cat([v, creation.zeros(1, *v.shape[1:], dtype=v.dtype)], 0)
            extra.append(1)
        grow = sum(extra)
        if grow:
            key_padding_mask = _pad_last(key_padding_mask, grow)
            attn_mask = _pad_last(attn_mask, grow)
        return k, v, key_padding_mask, attn_mask

    def extra_repr(self) -> str:
        return ""


def _check_args(embed_dim: Any, num_heads: Any, dropout: Any, kdim: Any, vdim: Any) -> None:
    for name, v in (
        ("embed_dim", embed_dim),
        ("num_heads", num_heads),
        ("kdim", kdim),
        ("vdim", vdim),
    ):
        if v is None and name in ("kdim", "vdim"):
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
            raise ValueError(f"MultiheadAttention: {name} must be a positive int, got {v!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
        raise ValueError(
            f"MultiheadAttention: dropout must be a probability in [0, 1], got {dropout!r}"
        )


def _pad_last(mask: Any, grow: int) -> Any:
    if mask is None:
        return None
    arr = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    width = [(0, 0)] * (arr.ndim - 1) + [(0, grow)]
    return Tensor(np.pad(arr, width))  # False / 0.0: the new keys take part


def _apply_mask(scores: Tensor, mask: Any, n: int, h: int) -> Tensor:
    """PyTorch's MHA masks: bool True = may not attend; floats are added."""
    if mask is None:
        return scores
    m = mask if isinstance(mask, Tensor) else Tensor(np.asarray(mask))
    if m.ndim == 3:  # (N*H, L, S)
        m = m.reshape(n, h, *m.shape[1:])
    if m.dtype == np.bool_:
        return where(m, const(np.asarray(-np.inf, dtype=scores.dtype)), scores)
    return scores + m.astype(scores.dtype)
