"""The batch-last image layout: its one owner.

Conv and pool results are stored batch-last, ``(C, *spatial, N)`` in memory behind the
``(N, C, *spatial)`` view PyTorch's API shows (numpy transposes are free). Every window slice
then has the batch as a contiguous inner axis, so the im2col copy, the col2im slice-adds and the
pooling slices run long vectorized loops. Columns are ``(C, *kernel, *grid, N)``, i.e. a
``(C*prod(kernel), prod(grid)*N)`` matrix, so a convolution is one GEMM whose
``(O, *grid, N)`` result is again a batch-last image.

This module holds the layout tests, the allocators, spatial padding into batch-last storage,
the conversions between columns / GEMM rows and ``(N, C, *spatial)`` images, and the Functions
that change a layout without changing values (their gradient is the identity, or a relayout).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function


def _to_batch_last(ndim: int) -> tuple[int, ...]:
    return tuple(range(1, ndim)) + (0,)


def _from_batch_last(ndim: int) -> tuple[int, ...]:
    return (ndim - 1,) + tuple(range(ndim - 1))


def is_batch_last(x: np.ndarray) -> bool:
    """True when an (N, C, *spatial) array is stored as a contiguous (C, *spatial, N) block."""
    return x.ndim >= 3 and x.transpose(_to_batch_last(x.ndim)).flags.c_contiguous


def batch_innermost(x: np.ndarray) -> bool:
    """True when the batch axis is the innermost in memory (batch-last storage, or a strided
    slice of it such as a cropped padded gradient)."""
    return x.ndim >= 2 and x.strides[0] == x.itemsize


def batch_last(shape: tuple[int, ...], dtype: Any, fill: float | None = 0.0) -> np.ndarray:
    """A new (N, C, *spatial) array stored batch-last (filled, or empty if fill is None)."""
    stored = tuple(shape[1:]) + (shape[0],)
    if fill is None:
        buf = np.empty(stored, dtype)
    elif fill == 0:
        buf = np.zeros(stored, dtype)
    else:
        buf = np.full(stored, fill, dtype)
    return buf.transpose(_from_batch_last(len(shape)))


def as_batch_last(x: np.ndarray) -> np.ndarray:
    """x itself if it is stored batch-last, else a batch-last copy."""
    if is_batch_last(x):
        return x
    out = batch_last(x.shape, x.dtype, None)
    out[...] = x
    return out


def pad_spatial(
    x: np.ndarray,
    lo: tuple[int, ...],
    hi: tuple[int, ...],
    value: float = 0.0,
    relayout: bool = True,
) -> np.ndarray:
    """Pad the spatial axes of (N, C, *spatial) into batch-last storage; without padding, x
    itself if it is batch-last already (or if ``relayout`` is False), else a batch-last copy."""
    padded = any(lo) or any(hi)
    if not padded and (not relayout or is_batch_last(x)):
        return x
    shape = x.shape[:2] + tuple(n + a + b for n, a, b in zip(x.shape[2:], lo, hi))
    out = batch_last(shape, x.dtype, value if padded else None)
    out[(slice(None), slice(None)) + tuple(slice(a, a + n) for a, n in zip(lo, x.shape[2:]))] = x
    return out


def scatter_buffer(shape: tuple[int, ...], dtype: Any, batch_last_: bool, fill: float | None):
    """A buffer for a gradient image: batch-last when the image it belongs to is."""
    if batch_last_:
        return batch_last(shape, dtype, fill)
    return np.empty(shape, dtype) if fill is None else np.zeros(shape, dtype)


# -- columns <-> images (Tensor compositions; views wherever the layout allows) -----------------


def column_matrix(cols: Any, groups: int) -> Any:
    """Columns (C, *kernel, *grid, N) -> the GEMM operand (groups, C*K/groups, L) (or 2-D)."""
    length = math.prod(cols.shape[1 + (cols.ndim - 2) // 2 :])
    rows = math.prod(cols.shape) // length
    return (
        cols.reshape(rows, length) if groups == 1 else cols.reshape(groups, rows // groups, length)
    )


def image_from_rows(out: Any, channels: int, grid: tuple[int, ...], n: int) -> Any:
    """A GEMM result (O, prod(grid)*N) -> the (N, O, *grid) view of batch-last storage."""
    return out.reshape((channels,) + tuple(grid) + (n,)).permute(_from_batch_last(len(grid) + 2))


def rows_from_image(x: Any, groups: int) -> Any:
    """An (N, C, *spatial) image -> (groups, C/groups, prod(spatial)*N), batch innermost."""
    c = x.shape[1]
    return x.permute(_to_batch_last(x.ndim)).reshape(groups, c // groups, -1)


def columns_from_rows(rows: Any, channels: int, kernel, grid, n: int) -> Any:
    """A GEMM result (groups, C/groups*K, prod(grid)*N) -> columns (C, *kernel, *grid, N)."""
    return rows.reshape((channels,) + tuple(kernel) + tuple(grid) + (n,))


def image_from_windows(t: Any) -> Any:
    """(C, *grid, N) (a reduction of columns over the kernel axes) -> (N, C, *grid)."""
    return t.permute(_from_batch_last(t.ndim))


def columns_from_unfold(x: Any, channels: int, kernel: tuple[int, ...], grid: tuple[int, ...]):
    """F.fold's input (N, C*K, L) -> columns (C, *kernel, *grid, N)."""
    return x.permute(1, 2, 0).reshape((channels,) + tuple(kernel) + tuple(grid) + (x.shape[0],))


def unfold_from_columns(cols: Any, n: int) -> Any:
    """Columns (C, *kernel, *grid, N) -> F.unfold's (N, C*K, L)."""
    length = math.prod(cols.shape[1 + (cols.ndim - 2) // 2 : -1])
    return cols.reshape(-1, length, n).permute(2, 0, 1)


# -- layout Functions ---------------------------------------------------------------------------


class BatchLast(Function):
    # an (N, C, *spatial) array copied into batch-last storage; the identity for gradients
    def forward(self, x):
        return as_batch_last(x)

    def backward(self, g):
        return g


class Contiguous(Function):
    # a C-ordered copy (a layout choice for BLAS); the identity for gradients
    def forward(self, x):
        return np.ascontiguousarray(x)

    def backward(self, g):
        return g


class FlattenBatchLast(Function):
    # reshape of a batch-last image (a copy into C order); the gradient is relaid batch-last,
    # NOTE: mixed layouts make every later elementwise op and conv product strided, ~5x slower
    def forward(self, x, shape=()):
        self.in_shape, self.out_shape = x.shape, tuple(shape)
        return x.reshape(shape)

    def backward(self, g):
        out = g.reshape(self.in_shape)
        return out if is_batch_last(out.data) else BatchLast.apply(out)

    def extra_repr(self):
        return f"shape={self.out_shape}"


def flattens_batch_last(x: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Whether reshaping x to ``shape`` is flattening a batch-last image (use FlattenBatchLast
    then: its gradient keeps the layout)."""
    return x.ndim >= 3 and not x.flags.c_contiguous and is_batch_last(x)
