"""``F.pad``: constant, reflect, replicate and circular padding, as torch.nn.functional.pad.

Constant padding is the ``Pad`` primitive (negative sizes crop, with a slice); the other modes
gather each padded axis with one integer index array, so their gradient is a scatter-add and
every order of derivative works.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn.nn.functional_pad import pad
>>> pad(tg.Tensor([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect").tolist()
[[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import composite
from ..ops.movement import GetItem, Pad
from ..tensor import Tensor
from ._window_args import tensor as _tensor

_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_sizes(pad: Any, x: Tensor) -> tuple[int, ...]:
    try:
        sizes = tuple(pad)
    except TypeError:
        sizes = None
    ok = sizes is not None and all(
        isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in sizes
    )
    if not ok:
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(sizes) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(sizes)}")
    if len(sizes) // 2 > x.ndim:
        raise RuntimeError(
            f"pad: padding length {len(sizes)} must be at most two times the input dimension "
            f"(input shape {x.shape})"
        )
    return tuple(int(p) for p in sizes)


def _constant(x: Tensor, sizes: tuple[int, ...], value: float) -> Tensor:
    width = [(0, 0)] * x.ndim
    crop = [slice(None)] * x.ndim
    for i in range(len(sizes) // 2):
        axis, lo, hi = x.ndim - 1 - i, sizes[2 * i], sizes[2 * i + 1]
        n = x.shape[axis]
        if n + lo + hi < 0:
            raise RuntimeError(
                f"pad: padding ({lo}, {hi}) would leave a negative size {n + lo + hi} in dim "
                f"{axis} of an input of shape {x.shape}"
            )
        width[axis] = (max(lo, 0), max(hi, 0))
        crop[axis] = slice(max(-lo, 0), n - max(-hi, 0))
    if any(s != slice(None) for s in crop):
        x = GetItem.apply(x, idx=tuple(crop))
    if any(w != (0, 0) for w in width):
        x = Pad.apply(x, pad_width=tuple(width), value=value)
    return x


def _source_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each position of the padded axis, the input position it copies."""
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        i = np.abs(i) % period
        return np.where(i >= n, period - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return i % n  # circular


def _check_mode_sizes(x: Tensor, axis: int, lo: int, hi: int, mode: str) -> None:
    n = x.shape[axis]
    if min(lo, hi) < 0:
        raise ValueError(
            f"pad: negative padding ({lo}, {hi}) is only supported in mode='constant' (got "
            f"mode={mode!r}); crop the input with a slice first"
        )
    if mode == "reflect" and max(lo, hi) >= n:
        raise RuntimeError(
            f"pad: reflect padding ({lo}, {hi}) must be smaller than the input size {n} in "
            f"dim {axis} (input shape {x.shape})"
        )
    if mode == "circular" and max(lo, hi) > n:
        raise RuntimeError(
            f"pad: circular padding ({lo}, {hi}) wraps around more than once: at most the "
            f"input size {n} in dim {axis} (input shape {x.shape})"
        )
    if mode == "replicate" and n == 0 and (lo or hi):
        raise RuntimeError(f"pad: cannot replicate-pad the empty dim {axis} of {x.shape}")


@composite("pad")
def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims, sizes in the order (last_lo, last_hi, prev_lo,
    prev_hi, ...). ``mode`` is 'constant' (with ``value``; negative sizes crop), 'reflect'
    (mirror without repeating the edge), 'replicate' (repeat the edge) or 'circular' (wrap
    around); the last three pad 1 to 3 dims of an input with one or two more dims.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pad import pad
    >>> pad(tg.ones(1, 2), (1, 2), value=0.5).tolist()
    [[0.5, 1.0, 1.0, 0.5, 0.5]]
    >>> pad(tg.Tensor([[[1.0, 2.0, 3.0]]]), (1, -1)).tolist()
    [[[0.0, 1.0, 2.0]]]
    >>> pad(tg.Tensor([[[1.0, 2.0, 3.0]]]), (2, 2), mode="circular").tolist()
    [[[2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]]]
    """
    x = _tensor(input, "input", "pad")
    sizes = _pad_sizes(pad, x)
    if mode == "constant":
        return _constant(x, sizes, 0.0 if value is None else value)
    if mode not in _MODES:
        raise NotImplementedError(
            f"pad: unrecognised padding mode {mode!r}; use one of {', '.join(_MODES)}"
        )
    nd = len(sizes) // 2
    if nd not in (1, 2, 3) or x.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"pad: mode={mode!r} pads the last 1, 2 or 3 dims of a 2-D/3-D, 3-D/4-D or "
            f"4-D/5-D input; got {len(sizes)} padding sizes for an input of shape {x.shape}"
        )
    for i in range(nd):
        axis, lo, hi = x.ndim - 1 - i, sizes[2 * i], sizes[2 * i + 1]
        _check_mode_sizes(x, axis, lo, hi, mode)
        if lo or hi:
            src = _source_index(x.shape[axis], lo, hi, mode)
            x = GetItem.apply(x, idx=(slice(None),) * axis + (src,))
    return x


__all__ = ["pad"]
