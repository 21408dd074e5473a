"""Pooling in 1, 2 and 3 spatial dims, in ``torch.nn.functional``'s names: max and average
pooling over a ``Window``, adaptive average and max pooling, max unpooling and power-average
(Lp) pooling.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> F.max_pool2d(tg.ones(1, 2, 6, 6), 3, stride=2, padding=1).shape
(1, 2, 3, 3)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import composite
from ..ops import layout
from ..ops._util import const
from ..ops.conv import Im2Col
from ..ops.movement import GetItem
from ..ops.pool import MaxPool, Unpool, flat_indices, max_pool, plane_index
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


@composite("max_pool1d")
def max_pool1d(
    input: Tensor,
    kernel_size: IntTuple,
    stride: IntTuple | None = None,
    padding: IntTuple = 0,
    dilation: IntTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window of (N, C, L) (padding counts as -inf); stride defaults to
    kernel_size.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import max_pool1d
    >>> max_pool1d(tg.Tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2).tolist()
    [[[3.0, 2.0]]]
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)  # fmt: skip


@composite("max_pool2d")
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
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)  # fmt: skip


@composite("max_pool3d")
def max_pool3d(
    input: Tensor,
    kernel_size: IntTuple,
    stride: IntTuple | None = None,
    padding: IntTuple = 0,
    dilation: IntTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window of (N, C, D, H, W); indices (return_indices) are flat positions
    d * H * W + h * W + w.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import max_pool3d
    >>> max_pool3d(tg.ones(1, 2, 4, 4, 4), 2).shape
    (1, 2, 2, 2, 2)
    """
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)  # fmt: skip


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
        out = sums * const((1.0 / win.counts(count_include_pad)).astype(x.dtype))
    return out.squeeze(0) if unbatched else out


@composite("avg_pool1d")
def avg_pool1d(
    input: Tensor,
    kernel_size: IntTuple,
    stride: IntTuple | None = None,
    padding: IntTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each window of (N, C, L) (zero padding counted unless
    count_include_pad=False).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import avg_pool1d
    >>> avg_pool1d(tg.Tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)  # fmt: skip


@composite("avg_pool2d")
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
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)  # fmt: skip


@composite("avg_pool3d")
def avg_pool3d(
    input: Tensor,
    kernel_size: IntTuple,
    stride: IntTuple | None = None,
    padding: IntTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window of (N, C, D, H, W).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import avg_pool3d
    >>> avg_pool3d(tg.ones(1, 1, 4, 4, 4), 2, divisor_override=1).tolist()[0][0][0][0]
    [8.0, 8.0]
    """
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)  # fmt: skip


def _adaptive_bounds(size: int, out: int) -> list[tuple[int, int]]:
    # as PyTorch: window i covers [floor(i * size / out), ceil((i + 1) * size / out))
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    m = np.zeros((out, size), dtype=dtype)
    for i, (lo, hi) in enumerate(_adaptive_bounds(size, out)):
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def _output_size(op: str, x: Tensor, output_size: Any) -> tuple[int, ...]:
    nd = x.ndim - 2
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise ValueError(
                f"{op}: output_size must be an int or a tuple of {nd} (ints or None), got "
                f"{output_size!r}"
            )
        output_size = tuple(x.shape[2 + a] if v is None else v for a, v in enumerate(output_size))
    return A.positive(output_size, nd, "output_size", op)


def _adaptive_avg(op: str, nd: int, input: Tensor, output_size: Any) -> Tensor:
    x, unbatched = A.batched(input, nd, op)
    _non_empty_planes(op, x, nd)
    size = _output_size(op, x, output_size)
    dims = tuple(range(2, 2 + nd))
    if all(o == 1 for o in size):
        out = x.mean(dims, keepdim=True)
    else:
        # separable and linear: one product with an averaging matrix per spatial axis
        out = x
        for a in reversed(range(nd)):
            if size[a] == x.shape[2 + a]:
                continue
            m = const(_adaptive_matrix(x.shape[2 + a], size[a], x.dtype).T)
            last = out.ndim - 1
            order = tuple(range(2 + a)) + (last,) + tuple(range(3 + a, last)) + (2 + a,)
            moved = out if 2 + a == last else out.permute(order)
            out = moved.matmul(m)
            out = out if 2 + a == last else out.permute(order)
    return out.squeeze(0) if unbatched else out


@composite("adaptive_avg_pool1d")
def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:
    """Average pooling of (N, C, L) to a fixed output length.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import adaptive_avg_pool1d
    >>> adaptive_avg_pool1d(tg.Tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).tolist()
    [[[2.0, 4.0]]]
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


@composite("adaptive_avg_pool2d")
def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size (None keeps that input size; 1 is global).

    >>> import tinygrad_cnn as tg
    >>> F.adaptive_avg_pool2d(tg.ones(2, 3, 7, 7), 1).shape
    (2, 3, 1, 1)
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


@composite("adaptive_avg_pool3d")
def adaptive_avg_pool3d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling of (N, C, D, H, W) to a fixed output size.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import adaptive_avg_pool3d
    >>> adaptive_avg_pool3d(tg.ones(1, 2, 5, 6, 7), (2, None, 3)).shape
    (1, 2, 2, 6, 3)
    """
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


def _adaptive_argmax(x: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """Flat in-plane index of each adaptive window's first maximum (row-major, as PyTorch)."""
    spatial = x.shape[2:]
    bounds = [_adaptive_bounds(n, o) for n, o in zip(spatial, size)]
    idx = np.empty(x.shape[:2] + size, np.int64)
    for cell in itertools.product(*(range(o) for o in size)):
        box = [bounds[a][i] for a, i in enumerate(cell)]
        win = x[(Ellipsis,) + tuple(slice(lo, hi) for lo, hi in box)]
        local = np.unravel_index(win.reshape(win.shape[:2] + (-1,)).argmax(-1), win.shape[2:])
        flat = np.zeros(x.shape[:2], np.int64)
        for a, (lo, _) in enumerate(box):
            flat = flat * spatial[a] + lo + local[a]
        idx[(Ellipsis,) + cell] = flat
    return idx


def _non_empty_planes(op: str, x: Tensor, nd: int) -> None:
    if 0 in x.shape[2:]:  # PyTorch's RuntimeError: there is nothing to pool
        raise RuntimeError(
            f"{op}: expected an input with non-zero sizes in its {nd} spatial dims, got shape "
            f"{x.shape}"
        )


def _empty_adaptive_max(x: Tensor, size: Any, unbatched: bool, return_indices: bool) -> Any:
    dims = tuple(range(2, x.ndim))
    out = x.mean(dims, keepdim=True).expand(x.shape[:2] + tuple(size))
    idx = np.zeros(x.shape[:2] + tuple(size), np.int64)
    if unbatched:
        out, idx = out.squeeze(0), idx[0]
    return (out, Tensor._wrap(idx, False)) if return_indices else out


def _adaptive_max(op: str, nd: int, input: Tensor, output_size: Any, return_indices: bool):
    x, unbatched = A.batched(input, nd, op)
    _non_empty_planes(op, x, nd)
    size = _output_size(op, x, output_size)
    if x.data.size == 0:  # no planes (N or C is 0): an empty result, as PyTorch
        return _empty_adaptive_max(x, size, unbatched, return_indices)
    idx = _adaptive_argmax(x.data, size)
    flat = x.reshape(x.shape[:2] + (-1,))
    out = GetItem.apply(flat, idx=plane_index(idx))
    if unbatched:
        out, idx = out.squeeze(0), idx[0]
    return (out, Tensor._wrap(idx, False)) if return_indices else out


@composite("adaptive_max_pool1d")
def adaptive_max_pool1d(
    input: Tensor, output_size: int | Sequence[int], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, L) to a fixed output length.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import adaptive_max_pool1d
    >>> adaptive_max_pool1d(tg.Tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]]), 2).tolist()
    [[[5.0, 4.0]]]
    """
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


@composite("adaptive_max_pool2d")
def adaptive_max_pool2d(
    input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling to a fixed output size; indices are flat positions h * W + w.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import adaptive_max_pool2d
    >>> adaptive_max_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
    [[[[15.0]]]]
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


@composite("adaptive_max_pool3d")
def adaptive_max_pool3d(
    input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, D, H, W) to a fixed output size.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import adaptive_max_pool3d
    >>> adaptive_max_pool3d(tg.ones(1, 2, 5, 6, 7), 2).shape
    (1, 2, 2, 2, 2)
    """
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


# -- unpooling and power-average pooling --------------------------------------------------------


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size) -> Tensor:
    x, unbatched = A.batched(input, nd, op)
    idx = A.tensor(indices, "indices", op)
    if idx.shape != input.shape:
        raise ValueError(
            f"{op}: indices must have the input's shape {input.shape}, got {idx.shape}"
        )
    _non_empty_planes(op, x, nd)
    idx_data = np.asarray(idx.data).reshape(x.shape).astype(np.int64)
    k = A.positive(kernel_size, nd, "kernel_size", op)
    s = k if stride is None else A.positive(stride, nd, "stride", op)
    p = A.non_negative(padding, nd, "padding", op)
    size = Window.transposed(x.shape[2:], k, s, p, (1,) * nd, (0,) * nd).size
    if output_size is not None:
        want = A.requested_size(output_size, nd, op)
        for a in range(nd):
            if not size[a] - s[a] < want[a] < size[a] + s[a]:
                raise ValueError(
                    f"{op}: invalid output_size {tuple(output_size)} (dim {a} must be between "
                    f"{size[a] - s[a] + 1} and {size[a] + s[a] - 1})"
                )
        size = want
    plane = math.prod(size)
    if idx_data.size and (idx_data.min() < 0 or idx_data.max() >= plane):
        bad = idx_data.max() if idx_data.max() >= plane else idx_data.min()
        raise RuntimeError(
            f"{op}: Found an invalid max index: {bad} (output volumes are of size "
            f"{'x'.join(map(str, size))})"
        )
    out = Unpool.apply(x, idx=idx_data, size=size)
    return out.squeeze(0) if unbatched else out


@composite("max_unpool1d")
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: IntTuple,
                 stride: IntTuple | None = None, padding: IntTuple = 0,
                 output_size: Sequence[int] | None = None) -> Tensor:  # fmt: skip
    """The partial inverse of max_pool1d: each value written at its index, zeros elsewhere.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import max_pool1d, max_unpool1d
    >>> y, i = max_pool1d(tg.Tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
    >>> max_unpool1d(y, i, 2).tolist()
    [[[0.0, 3.0, 2.0, 0.0]]]
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)  # fmt: skip


@composite("max_unpool2d")
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: IntTuple,
                 stride: IntTuple | None = None, padding: IntTuple = 0,
                 output_size: Sequence[int] | None = None) -> Tensor:  # fmt: skip
    """The partial inverse of max_pool2d: each value written at its flat index h * W + w of
    an output of size (H - 1) * stride - 2 * padding + kernel_size (or ``output_size``).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import max_unpool2d
    >>> y, i = F.max_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(y, i, 2)[0, 0].tolist()[1]
    [0.0, 5.0, 0.0, 7.0]
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)  # fmt: skip


@composite("max_unpool3d")
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: IntTuple,
                 stride: IntTuple | None = None, padding: IntTuple = 0,
                 output_size: Sequence[int] | None = None) -> Tensor:  # fmt: skip
    """The partial inverse of max_pool3d.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import max_pool3d, max_unpool3d
    >>> y, i = max_pool3d(tg.ones(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> max_unpool3d(y, i, 2).sum().item()
    1.0
    """
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)  # fmt: skip


def _lp_pool(op, nd, input, norm_type, kernel_size, stride, ceil_mode) -> Tensor:
    k = A.positive(kernel_size, nd, "kernel_size", op)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)):
        raise TypeError(f"{op}: norm_type must be a number, got {norm_type!r}")
    pooled = _avg_pool(op, nd, A.tensor(input, "input", op) ** norm_type, k, stride, 0,
                       ceil_mode, True, None)  # fmt: skip
    # as PyTorch: sign(out) * relu(|out|) keeps the root real; sum = mean * kernel area
    return ((pooled.sign() * pooled.abs().relu()) * math.prod(k)) ** (1.0 / norm_type)


@composite("lp_pool1d")
def lp_pool1d(input: Tensor, norm_type: float, kernel_size: IntTuple,
              stride: IntTuple | None = None, ceil_mode: bool = False) -> Tensor:  # fmt: skip
    """Power-average pooling of (N, C, L): (sum over the window of x^p)^(1/p).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import lp_pool1d
    >>> lp_pool1d(tg.Tensor([[[3.0, 4.0]]]), 2, 2).tolist()
    [[[5.0]]]
    """
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


@composite("lp_pool2d")
def lp_pool2d(input: Tensor, norm_type: float, kernel_size: IntTuple,
              stride: IntTuple | None = None, ceil_mode: bool = False) -> Tensor:  # fmt: skip
    """Power-average pooling: (sum over the window of x^p)^(1/p); p=1 sum pooling,
    p=inf would be max pooling.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_pool import lp_pool2d
    >>> lp_pool2d(tg.ones(1, 1, 4, 4), 2, 2).tolist()
    [[[[2.0, 2.0], [2.0, 2.0]]]]
    """
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "lp_pool1d",
    "lp_pool2d",
]
