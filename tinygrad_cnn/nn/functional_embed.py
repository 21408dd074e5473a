"""Lookups and distances in ``torch.nn.functional``'s names: embedding, one_hot,
cosine_similarity, pairwise_distance and pdist.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> F.one_hot(tg.Tensor([0, 2]), 3).tolist()
[[1, 0, 0], [0, 0, 1]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import composite, no_grad
from ..ops._util import const
from ..tensor import Tensor
from ._argcheck import tensor as _tensor


def _indices(x: Any, name: str, op: str) -> np.ndarray:
    try:
        arr = x.data if isinstance(x, Tensor) else np.asarray(x)
    except ValueError:  # ragged nested lists
        raise TypeError(f"{op}: {name} must be a tensor of integers, got ragged lists") from None
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers (int64 indices), got dtype {arr.dtype}")
    return arr


@composite("embedding")
def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``; the row at
    ``padding_idx`` gets no gradient; with ``max_norm``, the picked rows whose norm exceeds it
    are renormalized in place first (as PyTorch).

    >>> w = tg.Tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> F.embedding(tg.Tensor([[1, 2], [0, 1]]), w).shape
    (2, 2, 2)
    """
    op = "embedding"
    w = _tensor(weight, "weight", op)
    idx = _indices(input, "input", op)
    if w.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, dim), got {w.shape}")
    n = w.shape[0]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(
            f"{op}: index out of range: indices span [{idx.min()}, {idx.max()}] but weight has "
            f"{n} rows (shape {w.shape})"
        )
    if padding_idx is not None and not -n <= padding_idx < n:
        raise ValueError(f"{op}: padding_idx {padding_idx} must be within num_embeddings {n}")
    if scale_grad_by_freq or sparse:
        raise ValueError(f"{op}: scale_grad_by_freq and sparse gradients are not supported")
    if max_norm is not None:
        _renorm_rows(w, np.unique(idx % n), max_norm, norm_type)
    out = w[idx]
    if padding_idx is None:
        return out
    keep = const((idx % n != padding_idx % n)[..., None].astype(w.dtype))
    return out * keep + w.detach()[idx] * (1.0 - keep)


def _renorm_rows(w: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    with no_grad():
        sub = w.data[rows]
        norms = np.linalg.norm(sub, ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w.data[rows] = (sub * scale[:, None]).astype(w.dtype)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding of the integer tensor, a new last dim of ``num_classes``
    (default: max + 1).

    >>> F.one_hot(tg.Tensor([1]), 3).tolist()
    [[0, 1, 0]]
    """
    op = "one_hot"
    idx = _indices(tensor, "tensor", op)
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"{op}: num_classes must be an int, got {type(num_classes).__name__}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"{op}: class values must be non-negative, got {idx.min()}")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError(f"{op}: cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(idx.max()) + 1
    if idx.size and idx.max() >= num_classes:
        raise ValueError(
            f"{op}: class values must be smaller than num_classes ({num_classes}), got {idx.max()}"
        )
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, axis=-1)
    return Tensor(out)


@composite("cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)) along ``dim`` (inputs broadcast).

    >>> F.cosine_similarity(tg.Tensor([[1.0, 0.0]]), tg.Tensor([[1.0, 1.0]])).tolist()
    [0.7071067...]
    """
    op = "cosine_similarity"
    a, b = _tensor(x1, "x1", op), _tensor(x2, "x2", op)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast") from None
    a, b = a.expand(shape), b.expand(shape)
    na = a.vector_norm(2, dim).clamp(min=eps)
    nb = b.vector_norm(2, dim).clamp(min=eps)
    return (a * b).sum(dim) / (na * nb)


@composite("pairwise_distance")
def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (inputs broadcast).

    >>> F.pairwise_distance(tg.Tensor([[0.0, 0.0]]), tg.Tensor([[3.0, 4.0]]), eps=0).tolist()
    [5.0]
    """
    op = "pairwise_distance"
    a, b = _tensor(x1, "x1", op), _tensor(x2, "x2", op)
    try:
        diff = a - b + eps
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast") from None
    if diff.ndim == 0:
        raise ValueError(f"{op}: inputs must have at least 1 dimension")
    return diff.vector_norm(p, -1, keepdim)


@composite("pdist")
def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """Distances between every pair of rows i < j of an (N, M) input, in row-major order:
    N (N - 1) / 2 values.

    >>> F.pdist(tg.Tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])).tolist()
    [5.0, 1.0, 4.242640...]
    """
    op = "pdist"
    x = _tensor(input, "input", op)
    if x.ndim != 2:
        raise ValueError(f"{op}: input must be 2-D (N, M), got shape {x.shape}")
    i, j = np.triu_indices(x.shape[0], k=1)
    return (x[i] - x[j]).vector_norm(p, -1)


__all__ = ["embedding", "one_hot", "cosine_similarity", "pairwise_distance", "pdist"]
