"""Connectionist temporal classification: ``ctc_loss`` in ``torch.nn.functional``'s name.

The forward (alpha) recursion runs in log space over the blank-interleaved targets of the whole
batch at once, one log-sum-exp per time step, built from differentiable Tensor ops: gradients
(and second derivatives) come from the engine, not from a hand-written beta recursion.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> logp = tg.zeros(2, 1, 2) - 0.6931471805599453  # T=2, N=1, C=2: uniform over {blank, 1}
>>> round(F.ctc_loss(logp, tg.Tensor([[1]]), [2], [1], reduction="sum").item(), 4)
0.2877
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import composite
from ..ops._util import const
from ..tensor import Tensor, stack
from . import _argcheck as ac
from ._argcheck import library_errors

_NEG = -1e30  # log(0) kept finite, so log-sum-exp and its gradients never see inf - inf


class CTCError(ValueError, RuntimeError):
    """A shape or value error in ctc_loss (PyTorch raises RuntimeError)."""


def _ints(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: {name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _padded_targets(targets: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """(N, S) targets, from either the padded form or the 1-D concatenation."""
    if targets.ndim == 2:
        if targets.shape[0] != n or (lengths > targets.shape[1]).any():
            raise CTCError(
                f"ctc_loss: padded targets of shape {targets.shape} need N={n} rows and room for "
                f"target_lengths {lengths.tolist()}"
            )
        return targets
    if targets.ndim != 1 or targets.size != lengths.sum():
        raise CTCError(
            f"ctc_loss: 1-D targets must concatenate the targets, {lengths.sum()} values for "
            f"target_lengths {lengths.tolist()}, got shape {targets.shape}"
        )
    out = np.zeros((n, max(int(lengths.max(initial=0)), 1)), np.int64)
    for i, (start, k) in enumerate(zip(np.cumsum(lengths) - lengths, lengths)):
        out[i, :k] = targets[start : start + k]
    return out


def _check(lp: Tensor, tgt: np.ndarray, in_len: np.ndarray, tgt_len: np.ndarray, blank: int):
    t_max, n, c = lp.shape
    if in_len.shape != (n,) or tgt_len.shape != (n,):
        raise CTCError(
            f"ctc_loss: input_lengths {in_len.shape} and target_lengths {tgt_len.shape} must "
            f"have one entry per batch element ({n})"
        )
    if (in_len > t_max).any() or (in_len < 0).any() or (tgt_len < 0).any():
        raise CTCError(
            f"ctc_loss: input_lengths {in_len.tolist()} must lie in [0, {t_max}] (the input's "
            "time dimension) and target_lengths must be non-negative"
        )
    if not 0 <= blank < c:
        raise CTCError(f"ctc_loss: blank {blank} must be a class index in [0, {c})")
    used = np.concatenate([tgt[i, :k] for i, k in enumerate(tgt_len)] + [np.zeros(0, int)])
    if used.size and (used.min() < 0 or used.max() >= c or (used == blank).any()):
        raise CTCError(
            f"ctc_loss: targets must be class indices in [0, {c}) other than blank={blank}"
        )


def _extended(tgt: np.ndarray, blank: int) -> tuple[np.ndarray, np.ndarray]:
    """Blank-interleaved labels (N, 2S+1) and where the skip s-2 -> s is allowed."""
    n, s = tgt.shape
    ext = np.full((n, 2 * s + 1), blank, np.int64)
    ext[:, 1::2] = tgt
    skip = np.zeros(ext.shape, bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _alphas(lp: Tensor, ext: np.ndarray, skip: np.ndarray) -> Tensor:
    """log alpha for every time step: (T, N, 2S+1)."""
    n, width = ext.shape
    rows = np.arange(n)[:, None]
    start = np.full((n, width), _NEG, lp.dtype)
    start[:, :2] = 0.0  # a path starts at the first blank or the first label
    alpha = lp[0][rows, ext] + const(start)
    out = [alpha]
    for t in range(1, lp.shape[0]):
        prev1 = _shift(alpha, 1)
        prev2 = _shift(alpha, 2).where(const(skip), _NEG)
        alpha = stack([alpha, prev1, prev2], 0).logsumexp(0) + lp[t][rows, ext]
        out.append(alpha)
    return stack(out, 0)


def _shift(alpha: Tensor, k: int) -> Tensor:
    """alpha moved k places right along the labels, log(0) flowing in."""
    if alpha.shape[1] <= k:
        return const(np.full(alpha.shape, _NEG, alpha.dtype))
    return alpha[:, :-k].pad((k, 0), value=_NEG)


def _parse(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any, blank: int):
    """(log_probs as (T, N, C), padded targets (N, S), input and target lengths (N,))."""
    ac.floating(log_probs, "log_probs", "ctc_loss")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.ndim != 3 or lp.shape[0] == 0:
        raise CTCError(
            f"ctc_loss: log_probs must be (T, N, C) or (T, C) with T > 0, got {log_probs.shape}"
        )
    tgt = _ints(targets, "targets")
    if unbatched and tgt.ndim == 1:
        tgt = tgt[None]
    in_len = _ints(input_lengths, "input_lengths").reshape(-1)
    tgt_len = _ints(target_lengths, "target_lengths").reshape(-1)
    tgt = _padded_targets(tgt, tgt_len, lp.shape[1])
    _check(lp, tgt, in_len, tgt_len, blank)
    return lp, tgt, in_len, tgt_len


@composite("ctc_loss")
@library_errors("ctc_loss")
def ctc_loss(
    log_probs: Tensor,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """-log p(target | input) summed over all alignments, for log-probabilities (T, N, C) (or
    unbatched (T, C)) and targets padded (N, S) or concatenated (sum of target_lengths).
    'mean' divides each loss by its target length before averaging over the batch;
    impossible alignments give inf (0 with ``zero_infinity``).

    NOTE: the gradient is the exact derivative with respect to ``log_probs``. PyTorch's
    kernel returns a gradient that is only right after a ``log_softmax`` (it folds in the
    normalisation); composed with ``log_softmax``, as CTC is used, the two agree. Samples
    with an infinite loss get a zero gradient here (PyTorch's is nan).

    >>> logp = tg.zeros(3, 1, 3).log_softmax(2)
    >>> F.ctc_loss(logp, tg.Tensor([[1, 1]]), [2], [2], reduction="none").tolist()
    [inf]
    """
    ac.reduction("ctc_loss", reduction)
    blank = ac.integer(blank, "blank", "ctc_loss")
    zero_infinity = ac.flag(zero_infinity, "zero_infinity", "ctc_loss")
    lp, tgt, in_len, tgt_len = _parse(log_probs, targets, input_lengths, target_lengths, blank)
    unbatched = log_probs.ndim == 2
    n = lp.shape[1]
    ext, skip = _extended(tgt, blank)
    alphas = _alphas(lp, ext, skip)
    t_last = np.maximum(in_len - 1, 0)
    ends = np.stack([2 * tgt_len, np.maximum(2 * tgt_len - 1, 0)], 1)
    last = alphas[t_last[:, None], np.arange(n)[:, None], ends]  # (N, 2)
    both = const(np.stack([np.ones(n, bool), tgt_len > 0], 1))
    loss = -last.where(both, _NEG).logsumexp(1)
    loss = _infinities(loss, in_len, tgt_len, zero_infinity)
    if reduction == "none":
        return loss.reshape(()) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    return (loss / const(np.maximum(tgt_len, 1).astype(lp.dtype))).mean()


def _infinities(loss: Tensor, in_len: np.ndarray, tgt_len: np.ndarray, zero_inf: bool) -> Tensor:
    """Impossible alignments (no valid path) give inf, or 0 with zero_infinity; an empty input
    with an empty target has probability 1 (loss 0)."""
    empty = (in_len == 0) & (tgt_len == 0)
    impossible = ((loss.data > 1e29) | (in_len == 0)) & ~empty
    if impossible.any():
        loss = loss.where(const(~impossible), 0.0 if zero_inf else math.inf)
    return loss.where(const(~empty), 0.0) if empty.any() else loss


__all__ = ["ctc_loss"]
