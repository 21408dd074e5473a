"""Regression, divergence, likelihood and margin losses in ``torch.nn.functional``'s names:
smooth_l1_loss, huber_loss, kl_div, poisson_nll_loss, gaussian_nll_loss, margin_ranking_loss,
hinge_embedding_loss, multi_margin_loss, multilabel_soft_margin_loss, cosine_embedding_loss and
triplet_margin_loss. Each is composed from differentiable Tensor ops, so second derivatives work.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> F.huber_loss(tg.Tensor([0.5, 3.0]), tg.Tensor([0.0, 0.0])).item()
1.3125
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ..autograd import composite
from ..ops._util import const
from ..tensor import Tensor
from . import _argcheck as ac
from ._argcheck import library_errors


def _reduction(op: str, reduction: Any, size_average: Any = None, reduce: Any = None) -> str:
    """The reduction string, honouring PyTorch's deprecated size_average/reduce pair."""
    size_average = ac.optional_flag(size_average, "size_average", op)
    reduce = ac.optional_flag(reduce, "reduce", op)
    if size_average is not None or reduce is not None:
        mean = size_average is None or size_average
        keep = reduce is None or reduce
        reduction = ("mean" if mean else "sum") if keep else "none"
        warnings.warn(
            f"{op}: size_average and reduce are deprecated, use reduction={reduction!r}",
            stacklevel=3,
        )
    return ac.reduction(op, reduction)


def _apply(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        if loss.data.size == 0:  # the mean of nothing is NaN, as in PyTorch
            return loss.sum() * math.nan
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _tensor(x: Any, name: str, op: str, like: Tensor | None = None) -> Tensor:
    """A floating-point Tensor argument; with ``like``, numbers and numeric arrays are also
    taken (in like's dtype)."""
    if isinstance(x, Tensor):
        if x.dtype.kind not in "f" and like is None:
            raise TypeError(f"{op}: {name} must be floating point, got {x.dtype}; use .float()")
        return x.astype(like.dtype) if like is not None and x.dtype != like.dtype else x
    if like is not None and isinstance(x, (numbers.Real, list, tuple, np.ndarray)):
        try:
            arr = np.asarray(x)
        except ValueError:
            arr = np.asarray(None)
        if arr.dtype.kind in "biuf":
            return like._coerce(arr.astype(like.dtype))
    raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


def _same_shape(op: str, input: Tensor, target: Tensor, what: str = "target") -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: input shape {input.shape} and {what} shape {target.shape} must match"
        )


def _pair(op: str, input: Any, target: Any) -> tuple[Tensor, Tensor]:
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op, like=x)
    _same_shape(op, x, t)
    return x, t


@composite("smooth_l1_loss")
@library_errors("smooth_l1_loss")
def smooth_l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is
    the L1 loss.

    >>> F.smooth_l1_loss(tg.Tensor([0.5, 3.0]), tg.Tensor([0.0, 0.0]), reduction="sum").item()
    2.625
    """
    op = "smooth_l1_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    beta = ac.real(beta, "beta", op)
    if beta < 0:
        raise RuntimeError(f"{op}: beta must be non-negative, got {beta}")
    x, t = _pair(op, input, target)
    d = (x - t).abs()
    if beta == 0:
        return _apply(d, reduction)
    small = const(d.data < beta)
    return _apply((d * d * (0.5 / beta)).where(small, d - 0.5 * beta), reduction)


@composite("huber_loss")
@library_errors("huber_loss")
def huber_loss(
    input: Tensor,
    target: Any,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta); ``weight`` scales each
    element before the reduction.

    >>> F.huber_loss(tg.Tensor([3.0]), tg.Tensor([0.0]), delta=2.0).item()
    4.0
    """
    op = "huber_loss"
    reduction = _reduction(op, reduction)
    delta = ac.real(delta, "delta", op)
    if delta <= 0:
        raise RuntimeError(f"{op}: delta must be positive, got {delta}")
    x, t = _pair(op, input, target)
    d = (x - t).abs()
    small = const(d.data <= delta)
    loss = (d * d * 0.5).where(small, (d - 0.5 * delta) * delta)
    if weight is not None:
        w = _tensor(weight, "weight", op, like=x)
        _same_shape(op, x, w, "weight")
        loss = loss * w
    return _apply(loss, reduction)


@composite("kl_div")
@library_errors("kl_div")
def kl_div(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Pointwise KL divergence target * (log target - input), with ``input`` given as
    log-probabilities (and ``target`` too when ``log_target``). ``reduction='batchmean'``
    divides the sum by the batch size, which is the true KL divergence per sample.

    >>> p = tg.Tensor([[0.25, 0.75]])
    >>> round(F.kl_div(p.log(), p, reduction="batchmean").item(), 6)
    0.0
    """
    op = "kl_div"
    batchmean = isinstance(reduction, str) and reduction == "batchmean"
    reduction = "sum" if batchmean else _reduction(op, reduction, size_average, reduce)
    log_target = ac.flag(log_target, "log_target", op)
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op, like=x)
    try:
        np.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise ValueError(
            f"{op}: input shape {x.shape} and target shape {t.shape} do not broadcast"
        ) from None
    if log_target:
        loss = t.exp() * (t - x)
    else:
        positive = const(t.data > 0)
        # NOTE: xlogy: 0 * log 0 = 0, and the gradient there is 0 rather than nan
        loss = (t * (t.where(positive, 1.0).log() - x)).where(positive, 0.0)
    out = _apply(loss, reduction)
    if batchmean and x.ndim > 0:
        out = out / x.shape[0]
    return out


@composite("poisson_nll_loss")
@library_errors("poisson_nll_loss")
def poisson_nll_loss(
    input: Tensor,
    target: Any,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of a Poisson target: exp(input) - target * input when
    ``log_input``, else input - target * log(input + eps); ``full`` adds the Stirling term
    for targets above 1.

    >>> round(F.poisson_nll_loss(tg.Tensor([0.0]), tg.Tensor([2.0])).item(), 4)
    1.0
    """
    op = "poisson_nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    log_input, full = ac.flag(log_input, "log_input", op), ac.flag(full, "full", op)
    eps = ac.real(eps, "eps", op)
    x, t = _pair(op, input, target)
    loss = x.exp() - t * x if log_input else x - t * (x + eps).log()
    if full:
        big = const(t.data > 1)
        safe = t.where(big, 2.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.where(big, 0.0)
    return _apply(loss, reduction)


def _gaussian_var(op: str, x: Tensor, var: Any) -> Tensor:
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries ({var})")
        return x._coerce(float(var)) * const(np.ones(x.shape, x.dtype))
    v = _tensor(var, "var", op)
    if (v.data < 0).any():
        raise ValueError(f"{op}: var has negative entry/entries")
    if v.shape == x.shape:
        return v
    if v.shape == x.shape[:-1]:
        return v.unsqueeze(-1)
    mismatched = [b for a, b in zip(x.shape, v.shape) if a != b]
    if v.ndim == x.ndim and mismatched == [1]:
        return v
    raise ValueError(
        f"{op}: var of shape {v.shape} is of incorrect size for input {x.shape}: give the "
        "input's shape, the input's shape without its last dim, or 1 in one dim"
    )


@composite("gaussian_nll_loss")
@library_errors("gaussian_nll_loss")
def gaussian_nll_loss(
    input: Tensor,
    target: Any,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """0.5 (log var + (input - target)^2 / var), with var clamped below at ``eps`` (the clamp
    passes gradients straight through, as PyTorch's); ``full`` adds 0.5 log(2 pi).

    >>> round(F.gaussian_nll_loss(tg.Tensor([1.0]), tg.Tensor([0.0]), tg.Tensor([1.0])).item(), 4)
    0.5
    """
    op = "gaussian_nll_loss"
    reduction = _reduction(op, reduction)
    full, eps = ac.flag(full, "full", op), ac.real(eps, "eps", op)
    x, t = _pair(op, input, target)
    v = _gaussian_var(op, x, var)
    v = v + const(np.maximum(v.data, eps) - v.data)
    loss = (v.log() + (x - t) * (x - t) / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply(loss, reduction)


def _signs(op: str, target: Any, shape: tuple[int, ...], like: Tensor) -> Tensor:
    t = _tensor(target, "target", op, like=like)
    if t.shape != shape:
        raise ValueError(f"{op}: target of shape {t.shape} must have shape {shape}")
    return t


@composite("margin_ranking_loss")
@library_errors("margin_ranking_loss")
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Any,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin), with target 1 when input1 should rank
    higher and -1 when input2 should.

    >>> F.margin_ranking_loss(tg.Tensor([1.0]), tg.Tensor([2.0]), tg.Tensor([1.0])).item()
    1.0
    """
    op = "margin_ranking_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    margin = ac.real(margin, "margin", op)
    a, b = _tensor(input1, "input1", op), _tensor(input2, "input2", op)
    if a.shape != b.shape:
        raise ValueError(f"{op}: input1 shape {a.shape} and input2 shape {b.shape} must match")
    t = _signs(op, target, a.shape, a)
    return _apply((-t * (a - b) + margin).relu(), reduction)


@composite("hinge_embedding_loss")
@library_errors("hinge_embedding_loss")
def hinge_embedding_loss(
    input: Tensor,
    target: Any,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1 (inputs are
    typically distances).

    >>> F.hinge_embedding_loss(tg.Tensor([0.3, 0.2]), tg.Tensor([1.0, -1.0])).item()
    0.55
    """
    op = "hinge_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    margin = ac.real(margin, "margin", op)
    x = _tensor(input, "input", op)
    t = _signs(op, target, x.shape, x)
    margin_part = (margin - x).relu().where(const(t.data != 1), 0.0)
    self_part = x.where(const(t.data != -1), 0.0)
    return _apply(margin_part + self_part, reduction)


def _class_weight(op: str, weight: Any, c: int, like: Tensor) -> Tensor | None:
    if weight is None:
        return None
    w = _tensor(weight, "weight", op, like=like)
    if w.shape != (c,):
        raise ValueError(f"{op}: weight of shape {w.shape} must have shape ({c},) (one per class)")
    return w


@composite("multi_margin_loss")
@library_errors("multi_margin_loss")
def multi_margin_loss(
    input: Tensor,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss of logits (N, C) or (C,) against integer classes:
    sum over i != y of weight[y] * max(0, margin - x[y] + x[i])^p, divided by C.

    >>> F.multi_margin_loss(tg.Tensor([[0.1, 0.2, 0.4, 0.8]]), tg.Tensor([3])).item()
    0.325
    """
    op = "multi_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    p, margin = ac.integer(p, "p", op), ac.real(margin, "margin", op)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got p={p}")
    x = _tensor(input, "input", op)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"{op}: input must be (N, C) or (C,) with C > 0, got shape {x.shape}")
    x2 = x.reshape(-1, x.shape[-1])
    n, c = x2.shape
    try:
        t_in = np.asarray(target.data if isinstance(target, Tensor) else target)
    except (TypeError, ValueError):
        t_in = np.asarray(None)
    t = t_in.reshape(-1)
    if t.dtype.kind not in "iu" or t.shape != (n,) or t_in.ndim > 1:
        raise ValueError(
            f"{op}: target must hold {n} integer class indices for input {x.shape}, got "
            f"dtype {t_in.dtype} and shape {t_in.shape}"
        )
    if t.size and (t.min() < 0 or t.max() >= c):
        raise IndexError(f"{op}: target holds classes outside 0..{c - 1}")
    rows = np.arange(n)
    z = (x2 - x2[rows, t].unsqueeze(1) + margin).relu()
    z = z * z if p == 2 else z
    w = _class_weight(op, weight, c, x)
    if w is not None:
        z = z * w[t].unsqueeze(1)
    others = np.ones((n, c), dtype=x.dtype)
    others[rows, t] = 0
    loss = (z * const(others)).sum(1) / c
    return _apply(loss if x.ndim == 2 else loss.reshape(t_in.shape), reduction)


def _log_sigmoid(x: Tensor) -> Tensor:
    # log sigmoid(x) = -(relu(-x) + log(1 + exp(-|x|))), finite for any x
    return -((-x).relu() + ((-x.abs()).exp() + 1.0).log())


@composite("multilabel_soft_margin_loss")
@library_errors("multilabel_soft_margin_loss")
def multilabel_soft_margin_loss(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """One-vs-all logistic loss of logits (N, C) against 0/1 targets (N, C), averaged over
    the classes: -mean_c [y log sigmoid(x) + (1 - y) log sigmoid(-x)].

    >>> round(F.multilabel_soft_margin_loss(tg.zeros(1, 2), tg.Tensor([[1.0, 0.0]])).item(), 4)
    0.6931
    """
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, t = _pair(op, input, target)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    loss = -(t * _log_sigmoid(x) + (1.0 - t) * _log_sigmoid(-x))
    if weight is not None:
        loss = loss * _tensor(weight, "weight", op, like=x)
    return _apply(loss.sum(-1) / x.shape[-1], reduction)


@composite("cosine_embedding_loss")
@library_errors("cosine_embedding_loss")
def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Any,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1;
    inputs (N, D) or (D,).

    >>> a = tg.Tensor([[1.0, 0.0]])
    >>> F.cosine_embedding_loss(a, a, tg.Tensor([-1.0])).item()
    1.0
    """
    op = "cosine_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    margin = ac.real(margin, "margin", op)
    a, b = _tensor(input1, "input1", op), _tensor(input2, "input2", op)
    if a.shape != b.shape or a.ndim not in (1, 2):
        raise ValueError(
            f"{op}: input1 {a.shape} and input2 {b.shape} must be the same (N, D) or (D,) shape"
        )
    t = _signs(op, target, a.shape[:-1], a)
    eps = 1e-12
    cos = (a * b).sum(-1) / (((a * a).sum(-1) + eps) * ((b * b).sum(-1) + eps)).sqrt()
    pos = (1.0 - cos).where(const(t.data == 1), 0.0)
    neg = (cos - margin).relu().where(const(t.data == -1), 0.0)
    return _apply(pos + neg, reduction)


@composite("triplet_margin_loss")
@library_errors("triplet_margin_loss")
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm distance (``pairwise_distance``);
    ``swap`` uses min(d(a, n), d(p, n)) as the negative distance.

    >>> a, pos, neg = tg.Tensor([[0.0, 0.0]]), tg.Tensor([[0.0, 1.0]]), tg.Tensor([[3.0, 0.0]])
    >>> round(F.triplet_margin_loss(a, pos, neg).item(), 4)
    0.0
    """
    from .functional_embed import pairwise_distance

    op = "triplet_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    margin, p, eps = ac.real(margin, "margin", op), ac.real(p, "p", op), ac.real(eps, "eps", op)
    swap = ac.flag(swap, "swap", op)
    xs = [_tensor(v, k, op) for v, k in ((anchor, "anchor"), (positive, "positive"))]
    xs.append(_tensor(negative, "negative", op))
    if len({v.ndim for v in xs}) != 1 or xs[0].ndim not in (1, 2):
        raise ValueError(
            f"{op}: anchor, positive and negative must all be (N, D) or (D,), got shapes "
            f"{xs[0].shape}, {xs[1].shape} and {xs[2].shape}"
        )
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    a, pos, neg = xs
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(pos, neg, p, eps))
    return _apply((d_pos - d_neg + margin).relu(), reduction)


__all__ = [
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
]
