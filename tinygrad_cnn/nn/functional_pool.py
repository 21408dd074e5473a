"""Pooling in ``torch.nn.functional``'s names: max and average pooling over a ``Window``, and
adaptive average pooling.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> F.max_pool2d(tg.ones(1, 2, 6, 6), 3, stride=2, padding=1).shape
(1, 2, 3, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops import layout
from ..ops._util import const
from ..ops.conv import Im2Col
from ..ops.pool import MaxPool, flat_indices, max_pool
from ..ops.window import Window
from ..tensor import Tensor
from . import _window_args as A
from ._window_args import IntTuple


def _pool_window(op: str, x: Tensor, kernel_size, stride, padding, dilation, ceil_mode) -> Window:
    nd = x.ndim - 2
    kernel = A.positive(kernel_size, nd, "kernel_size", op)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = kernel if no_stride else A.positive(stride, nd, "stride", op)
    p = A.non_negative(padding, nd, "padding", op)
    d = A.positive(dilation, nd, "dilation", op)
    if any(pa > k // 2 for pa, k in zip(p, kernel)):
        raise ValueError(
            f"{op}: padding {p} must be at most half the kernel size {kernel} (input shape "
            f"{x.shape})"
        )
    win = Window.pool(x.shape[2:], kernel, s, p, d, bool(ceil_mode))
    A.check_fits(op, x, win, symmetric=True)
    return win


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched = A.batched(input, nd, op)
    win = _pool_window(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    out = MaxPool.apply(x, window=win)
    ctx = out._ctx
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    if ctx is None:  # nothing recorded: recompute the arg-max offsets
        _, idx = max_pool(x.data, win)
    else:
        idx = ctx.saved_tensors[0].data
    indices = flat_indices(idx, win)
    return out, Tensor._wrap(indices[0] if unbatched else indices, False)


def max_pool2d(
    input: Tensor,
    kernel_size: IntTuple,
    stride: IntTuple | None = None,
    padding: IntTuple = 0,
    dilation: IntTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window (padding counts as -inf); stride defaults to kernel_size.

    >>> import tinygrad_cnn as tg
    >>> F.max_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _window_counts(win: Window, count_include_pad: bool) -> np.ndarray:
    """Per output position, the number of elements PyTorch's average pooling divides by."""
    counts = np.ones((), dtype=np.int64)
    for a in range(win.ndim):
        start = np.arange(win.grid[a]) * win.stride[a] - win.pad_lo[a]
        end = np.minimum(start + win.kernel[a], win.size[a] + win.pad_lo[a])
        if count_include_pad:
            n = end - start
        else:
            n = np.minimum(end, win.size[a]) - np.maximum(start, 0)
        counts = np.multiply.outer(counts, n)
    return counts


def _avg_pool(
    op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
) -> Tensor:
    x, unbatched = A.batched(input, nd, op)
    win = _pool_window(op, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (
        not isinstance(divisor_override, int) or divisor_override <= 0
    ):
        raise ValueError(f"{op}: divisor_override must be a positive int, got {divisor_override}")
    cols = Im2Col.apply(x, window=win)
    sums = layout.image_from_windows(cols.sum(tuple(range(1, 1 + nd))))
    if divisor_override is not None:
        out = sums * (1.0 / divisor_override)
    else:
        out = sums * const((1.0 / _window_counts(win, count_include_pad)).astype(x.dtype))
    return out.squeeze(0) if unbatched else out


def avg_pool2d(
    input: Tensor,
    kernel_size: IntTuple,
    stride: IntTuple | None = None,
    padding: IntTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window (zero padding counted unless count_include_pad=False).

    >>> import tinygrad_cnn as tg
    >>> F.avg_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    # as PyTorch: window i covers [floor(i * size / out), ceil((i + 1) * size / out))
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        lo, hi = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size (None keeps that input size; 1 is global).

    >>> import tinygrad_cnn as tg
    >>> F.adaptive_avg_pool2d(tg.ones(2, 3, 7, 7), 1).shape
    (2, 3, 1, 1)
    """
    op = "adaptive_avg_pool2d"
    x, unbatched = A.batched(input, 2, op)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
        oh, ow = (x.shape[2 + a] if v is None else v for a, v in enumerate(output_size))
    else:
        oh = ow = output_size
    oh, ow = A.positive((oh, ow), 2, "output_size", op)
    if (oh, ow) == (1, 1):
        out = x.mean((2, 3), keepdim=True)
    else:
        # the pooling is separable and linear: out = Ph @ x @ Pw^T with averaging matrices
        ph = const(_adaptive_matrix(x.shape[2], oh, x.dtype))
        pw = const(_adaptive_matrix(x.shape[3], ow, x.dtype).T)
        out = ph.matmul(x).matmul(pw)
    return out.squeeze(0) if unbatched else out


__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]
