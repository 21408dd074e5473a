"""Sliding-window primitives over 1, 2 or 3 spatial dims: im2col, col2im and the column GEMM.

``Im2Col`` (unfold) copies every kernel-offset view of a padded (N, C, *spatial) input into
one column array; ``Col2Im`` (fold) adds columns back into an image. Each is the other's
gradient, so the derivatives close over the pair and any order of derivative works. The
geometry of both is one ``Window`` (ops/window.py); the layouts (batch-last images, columns
``(C, *kernel, *grid, N)``) are described in ops/layout.py.

``ColumnMatMul`` is a convolution's ONE matrix product (batched over groups), the bias added
in place; its backward takes the weight gradient from the very columns forward built and the
column gradient ``w^T @ g``, which Im2Col's backward folds back with prod(kernel) strided
slice-adds. Grouped convolutions are compositions of these in ``nn.functional``.

``Conv`` is an ungrouped convolution as ONE Function (im2col, the GEMM and the bias in one
forward); its gradients are ``ConvInputGrad`` (``w^T @ g`` folded back by col2im) and
``ConvWeightGrad`` (``g @ cols^T``, from the columns forward kept), and the three close over
each other, so every order of derivative works. It computes what Im2Col + ColumnMatMul compute,
with fewer Python-level ops and Tensors per step (measured in docs/performance.md). Where a
column matrix would be large (``tile_rows``), its three kernels build the columns a few output
rows at a time, each tile multiplied (and, for the input gradient, folded back) while it is in
cache.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..autograd import Function, is_grad_enabled
from . import fast
from ._util import const
from .layout import Contiguous, pad_spatial
from .pool import max_pool
from .window import Window, WindowRepr


def unfold_view(xp: np.ndarray, win: Window) -> np.ndarray:
    """The (C, *kernel, *grid, N) strided view of an already padded (N, C, *padded) input."""
    n, c = xp.shape[:2]
    s_n, s_c, *s_sp = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp,
        (c,) + win.kernel + win.grid + (n,),
        (s_c,)
        + tuple(s * d for s, d in zip(s_sp, win.dilation))
        + tuple(s * t for s, t in zip(s_sp, win.stride))
        + (s_n,),
        writeable=False,
    )


def im2col(x: np.ndarray, win: Window) -> np.ndarray:
    """(N, C, *size) -> contiguous columns (C, *kernel, *grid, N), one as_strided copy."""
    compiled = fast.im2col(x, win)
    if compiled is not None:
        return compiled
    return np.ascontiguousarray(unfold_view(pad_spatial(x, win.pad_lo, win.pad_hi), win))


def col2im(cols: np.ndarray, win: Window) -> np.ndarray:
    """Columns (C, *kernel, *grid, N) -> (N, C, *size): prod(kernel) strided slice-adds."""
    c, n = cols.shape[0], cols.shape[-1]
    out = np.zeros((c,) + win.padded + (n,), dtype=cols.dtype)
    if not fast.col2im_into(out, cols, win):
        for _, offset, sl in win.taps:
            out[(slice(None),) + sl] += cols[(slice(None),) + offset]
    out = out[(slice(None),) + win.crop()]
    return out.transpose((out.ndim - 1,) + tuple(range(out.ndim - 1)))


class Im2Col(WindowRepr, Function):
    # unfold: cols[c, *o, *p, n] = xpad[n, c, *(p*s + o*d)]; its gradient is fold
    def forward(self, x, window=None):
        self.window = window
        return im2col(x, window)

    def backward(self, g):
        return Col2Im.apply(g, window=self.window)


class Col2Im(WindowRepr, Function):
    # fold: the adjoint of unfold (overlapping windows add up); its gradient is unfold
    def forward(self, cols, window=None):
        self.window = window
        return col2im(cols, window)

    def backward(self, g):
        return Im2Col.apply(g, window=self.window)


class ColumnMatMul(Function):
    # a @ cols (+ bias, added in place: one output buffer). d = (g @ cols^T, a^T @ g, g);
    # the engine sums the bias's g down to its broadcast shape.
    def forward(self, a, cols, bias=None):
        out = np.matmul(a, cols)
        if bias is not None:
            out += bias
        return out

    def backward(self, g):
        a, cols = self.inputs[0], self.inputs[1]
        na, nc, nbias = self.needs_input_grad
        gt = g.transpose(-1, -2)
        # NOTE: measured with OpenBLAS: (cols @ g^T)^T is 2-5x faster than g @ cols^T (the long
        # N*prod(grid) axis as the inner one of a wide product is slow), and a^T copied to C
        # order beats the transposed view for a^T @ g when a has few rows
        ga = (cols @ gt).transpose(-1, -2) if na else None
        gc = Contiguous.apply(a.transpose(-1, -2)) @ g if nc else None
        return ga, gc, (g if nbias else None)


# -- cache-sized panels for thin products --------------------------------------------------------


def _serial_blas() -> bool:
    for var in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value:
            return value == "1"
    return os.cpu_count() == 1


SERIAL_BLAS = _serial_blas()


# NOTE: measured with numpy's OpenBLAS on this project's machines (docs/performance.md): a
# product whose two short sides are small (LeNet's 6x25 @ 25x36864, its weight gradient
# 25x36864 @ 36864x6) runs 1.3-2.8x faster cut along its long axis into panels whose short
# sides fit in ~256 KB (L2) than as one call; with wide short sides panels gain nothing. With
# a threaded BLAS only the long-inner products (weight gradients) still gain (LeNet's first at
# batch 256: 2.3 -> 1.2 ms); wide ones lose (CIFAR's first convolution 1.0 -> 1.7 ms), since
# OpenBLAS shares one long product between its threads but runs each panel on one.
PANEL_BYTES = 256 * 1024
_MIN_PANEL = 512  # panels narrower than this cost more in calls than they save


def panel_width(short: int, long: int, itemsize: int) -> int:
    """Columns per panel for a product with ``short`` elements across its panels and a
    ``long`` axis; 0 when one call is better (the short side is wide or the long one short)."""
    width = PANEL_BYTES // (max(short, 1) * itemsize)
    return width if width >= _MIN_PANEL and long > 2 * width else 0


def wide_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (M, K) @ b (K, L) for a long L, in L2-sized column panels when M + K is small and
    BLAS runs one thread."""
    width = SERIAL_BLAS and panel_width(a.shape[0] + a.shape[1], b.shape[1], b.itemsize)
    if not width:
        return np.matmul(a, b)
    out = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b))
    for j in range(0, b.shape[1], width):
        np.matmul(a, b[:, j : j + width], out=out[:, j : j + width])
    return out


# NOTE: measured with 2 OpenBLAS threads (docs/performance.md): long-inner panels win where
# one short side is tiny (LeNet's 25 x 294912 @ 294912 x 6: 2.6 vs 4.8 ms; 9 x 65536 @ 65536 x
# 16: 0.54 vs 0.86 ms) and lose where both have 16 or more (CIFAR's 27 x 262144 @ 262144 x 32:
# 10.9 vs 9.0 ms); with one thread they win on all of these
THREADED_PANEL_SIDE = 9


def long_inner_width(m: int, n: int, length: int, itemsize: int) -> int:
    """Columns per panel of an (m, length) @ (length, n) product, or 0 for one call: panels
    where m + n is small and, with a threaded BLAS, m or n tiny."""
    if not SERIAL_BLAS and min(m, n) > THREADED_PANEL_SIDE:
        return 0
    return panel_width(m + n, length, itemsize)


def long_inner_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (M, L) @ b (L, N) for a long L, summed over L2-sized panels where long_inner_width
    says so."""
    width = long_inner_width(a.shape[0], b.shape[1], a.shape[1], a.itemsize)
    if not width:
        return np.matmul(a, b)
    out = np.matmul(a[:, :width], b[:width])
    part = np.empty_like(out)
    for k in range(width, a.shape[1], width):
        out += np.matmul(a[:, k : k + width], b[k : k + width], out=part)
    return out


# -- an ungrouped convolution as one Function, and its two gradients --------------------------


def _rows(img: np.ndarray) -> np.ndarray:
    """(N, O, *grid) -> (O, prod(grid)*N), batch innermost (a free view for batch-last g)."""
    return img.transpose(tuple(range(1, img.ndim)) + (0,)).reshape(img.shape[1], -1)


def _image(rows: np.ndarray, grid: tuple[int, ...], n: int) -> np.ndarray:
    """(O, prod(grid)*N) -> the (N, O, *grid) view of batch-last storage."""
    img = rows.reshape((rows.shape[0],) + tuple(grid) + (n,))
    return img.transpose((img.ndim - 1,) + tuple(range(img.ndim - 1)))


def _product(x, w, win: Window) -> tuple[np.ndarray, np.ndarray]:
    """(w @ im2col(x) as (O, prod(grid)*N) rows, before any bias; the columns)."""
    cols = im2col(x, win)
    wm = w.reshape(w.shape[0], -1)
    return wide_matmul(wm, cols.reshape(wm.shape[1], -1)), cols


def conv_forward(x, w, b, win: Window, relu: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(y, the columns y was computed from): y = w @ im2col(x) (+ b), batch-last; with
    ``relu``, relu(y) in the same buffer (a replay's fused kernel, jit/fuse.py)."""
    out, cols = _product(x, w, win)
    _bias_relu(out, b, relu)
    return _image(out, win.grid, x.shape[0]), cols


def conv_image(x, w, b, win: Window, relu: bool, rows: int, training: bool):
    """(conv(x, w) + b, relu'd when ``relu``, as a batch-last image; the columns, or None where
    none are kept): summed directly (thin convolutions, ops/fast.py), from ``rows`` output rows
    of columns at a time, or from one column matrix."""
    direct = fast.direct_conv(x, w, b, win, relu, training)
    if direct is not None:
        return direct, None
    if rows:  # the weight gradient rebuilds its tiles
        return conv_tiled(x, w, b, win, rows, relu), None
    return conv_forward(x, w, b, win, relu)


def conv_relu_pool(x, w, b, win: Window, pool: Window, rows: int):
    """((max, arg-max offsets) of max pooling relu(conv(x, w) + b) over ``pool``; the columns
    or None): a replay's fused Conv -> ReLU -> MaxPool (jit/fuse.py), in training. With the
    numba kernels one pass pools the product, adding the bias and applying relu on the way,
    where otherwise relu(conv) is written back and read again; the same bits either way."""
    if not rows and not fast.direct_in_training(x, w.shape, win):
        out, cols = _product(x, w, win)
        fused = fast.bias_relu_pool(out, b, win.grid, x.shape[0], pool)
        if fused is not None:
            return fused, cols
        _bias_relu(out, b, True)
        return max_pool(_image(out, win.grid, x.shape[0]), pool), cols
    img, cols = conv_image(x, w, b, win, True, rows, True)
    return max_pool(img, pool), cols


def _bias_relu(out: np.ndarray, b, relu: bool) -> None:
    """out (O, ...) += b per row, then relu, in place."""
    if fast.bias_relu(out, b, relu):
        return
    if b is not None:
        out += b.reshape((-1,) + (1,) * (out.ndim - 1))
    if relu:
        np.maximum(out, 0, out=out)


# NOTE: measured on LeNet's first convolution at batch 256 (docs/performance.md): columns built
# one tile of output rows at a time (614 KB each) and multiplied at once run 1.5x faster than
# one 15 MB column matrix; 1.2 MB tiles were slower than no tiles.
TILE_BYTES = 768 * 1024
# NOTE: measured (docs/performance.md): a convolution whose column matrix reaches 16 MB runs
# faster single-threaded with its columns built, multiplied and folded back one ~1 MB tile of
# output rows at a time (the weight gradient rebuilding its tiles) than with one column matrix
# written to memory and read back (CIFAR's second convolution 110 -> 88 ms at batch 256, 27 ->
# 23 ms at batch 64; LeNet's second 16 -> 11.5 ms at batch 512). With 2 OpenBLAS threads on
# the loaded machine the 16x more products lost (CIFAR-style train b256 375 -> 823 ms): every
# threaded call waits for its threads. So these tiles are used where BLAS is known to run one
# thread: OPENBLAS_NUM_THREADS (else GOTO_NUM_THREADS, else OMP_NUM_THREADS) set to 1, as
# OpenBLAS reads them when it loads, or a single CPU.
BIG_COLUMNS = 16 * 1024 * 1024
BIG_TILE_BYTES = 1024 * 1024


def tile_rows(o: int, ck: int, n: int, win: Window, itemsize: int, training: bool) -> int:
    """Output rows (along the first grid axis) per tile of columns, or 0 for one column matrix:
    thin products tile under no_grad only (training keeps forward's columns for the weight
    gradient); with a single-threaded BLAS, products whose column matrix would reach
    BIG_COLUMNS always tile."""
    grid = win.grid
    length = math.prod(grid) * n
    row_bytes = ck * (length // grid[0]) * itemsize
    if SERIAL_BLAS and ck * length * itemsize >= BIG_COLUMNS:
        rows = max(1, BIG_TILE_BYTES // row_bytes)
    elif not training and panel_width(o + ck, length, itemsize):
        rows = max(1, TILE_BYTES // row_bytes)
    else:
        return 0
    return rows if rows < grid[0] else 0


def _tile_span(win: Window, r0: int, r1: int) -> tuple[slice, Window]:
    """The padded input rows that output rows r0:r1 read, and the unpadded Window over them."""
    s, span, zeros = win.stride[0], win.spans[0], (0,) * win.ndim
    rows = slice(r0 * s, (r1 - 1) * s + span)
    size = (rows.stop - rows.start,) + win.padded[1:]
    return rows, Window(size, win.kernel, win.stride, zeros, zeros, win.dilation)


def _tile_columns(xp: np.ndarray, win: Window, r0: int, r1: int) -> np.ndarray:
    """The (C*prod(kernel), rows*prod(grid[1:])*N) columns of output rows r0:r1."""
    rows, tile = _tile_span(win, r0, r1)
    cols = np.ascontiguousarray(unfold_view(xp[:, :, rows], tile))
    return cols.reshape(-1, math.prod(cols.shape[1 + win.ndim :]))


def conv_tiled(x, w, b, win: Window, rows: int, relu: bool = False) -> np.ndarray:
    """conv(x, w) (+ b) from the columns of ``rows`` output rows at a time, never all of them;
    the bias (and relu) added to each tile while it is in cache."""
    o, n, grid = w.shape[0], x.shape[0], win.grid
    xp = pad_spatial(x, win.pad_lo, win.pad_hi)
    out = np.empty((o,) + grid + (n,), np.result_type(x, w))
    wm = w.reshape(o, -1)
    for r0 in range(0, grid[0], rows):
        r1 = min(grid[0], r0 + rows)
        tile = out[:, r0:r1]
        np.matmul(wm, _tile_columns(xp, win, r0, r1), out=tile.reshape(o, -1))
        _bias_relu(tile, b, relu)
    return out.transpose((out.ndim - 1,) + tuple(range(out.ndim - 1)))


def conv_weight_grad_tiled(x, g: np.ndarray, win: Window, rows: int) -> np.ndarray:
    """g @ im2col(x)^T summed over tiles of output rows, each tile's columns rebuilt."""
    xp = pad_spatial(x, win.pad_lo, win.pad_hi)
    grows = _rows(g)
    per_row = grows.shape[1] // win.grid[0]
    gw = None
    for r0 in range(0, win.grid[0], rows):
        r1 = min(win.grid[0], r0 + rows)
        part = _tile_columns(xp, win, r0, r1) @ grows[:, r0 * per_row : r1 * per_row].T
        gw = part if gw is None else np.add(gw, part, out=gw)
    return gw.T.reshape((g.shape[1], x.shape[1]) + win.kernel)


def conv_input_grad_tiled(g: np.ndarray, w: np.ndarray, win: Window, rows: int) -> np.ndarray:
    """col2im(w^T @ g) with the columns of ``rows`` output rows at a time, each folded back
    into the padded input gradient before the next is computed."""
    c, n, grid = w.shape[1], g.shape[0], win.grid
    wt = np.ascontiguousarray(w.reshape(w.shape[0], -1).T)  # NOTE: C order beats the view
    grows = _rows(g)
    per_row = grows.shape[1] // grid[0]
    out = np.zeros((c,) + win.padded + (n,), dtype=np.result_type(g, w))
    for r0 in range(0, grid[0], rows):
        r1 = min(grid[0], r0 + rows)
        cols = wt @ grows[:, r0 * per_row : r1 * per_row]
        cols = cols.reshape((c,) + win.kernel + (r1 - r0,) + grid[1:] + (n,))
        span, tile = _tile_span(win, r0, r1)
        dst = out[:, span]
        for _, offset, sl in tile.taps:
            dst[(slice(None),) + sl] += cols[(slice(None),) + offset]
    out = out[(slice(None),) + win.crop()]
    return out.transpose((out.ndim - 1,) + tuple(range(out.ndim - 1)))


def conv_input_grad(g: np.ndarray, w: np.ndarray, win: Window) -> np.ndarray:
    """The gradient of conv(x, w) w.r.t. x: col2im(w^T @ g), batch-last (N, C, *size)."""
    o, ck = w.shape[0], math.prod(w.shape[1:])
    rows = tile_rows(o, ck, g.shape[0], win, g.itemsize, True)
    if rows:
        return conv_input_grad_tiled(g, w, win, rows)
    wt = np.ascontiguousarray(w.reshape(o, ck).T)  # NOTE: C order beats the view
    cols = wide_matmul(wt, _rows(g))
    return col2im(cols.reshape((w.shape[1],) + win.kernel + win.grid + (g.shape[0],)), win)


def conv_weight_grad(x, g: np.ndarray, win: Window, cols=None) -> np.ndarray:
    """The gradient of conv(x, w) w.r.t. w: g @ im2col(x)^T, shaped (O, C, *kernel); from
    ``cols`` where forward kept them, else from columns built whole or tile by tile."""
    if cols is None:
        direct = fast.direct_weight_grad(x, g, win)
        if direct is not None:
            return direct
        ck = x.shape[1] * math.prod(win.kernel)
        rows = tile_rows(g.shape[1], ck, x.shape[0], win, x.itemsize, True)
        if rows:
            return conv_weight_grad_tiled(x, g, win, rows)
        cols = im2col(x, win)
    grows = _rows(g)
    # NOTE: (cols @ g^T)^T is 2-5x faster than g @ cols^T with OpenBLAS (see ColumnMatMul)
    gw = long_inner_matmul(cols.reshape(-1, grows.shape[1]), grows.T).T
    return gw.reshape((g.shape[1], x.shape[1]) + win.kernel)


def bias_grad(g):
    """A convolution's bias gradient: g (N, O, *grid) summed to (O,), as a product of its
    (O, prod(grid)*N) rows (a free view of batch-last g) with a vector of ones."""
    rows = g.permute(tuple(range(1, g.ndim)) + (0,)).reshape(g.shape[1], -1)
    # NOTE: measured (docs/performance.md): BLAS's matrix-vector product sums CIFAR's rows
    # (32 x 65536 float32) in 0.18 ms, numpy's pairwise sum in 0.46 ms
    return rows @ const(_ones(rows.shape[1], rows.dtype))


_ONES: dict[tuple[int, Any], np.ndarray] = {}


def _ones(n: int, dtype: Any) -> np.ndarray:
    """A read-only vector of n ones, the same array on every call (so tg.compile sees one
    constant, not an array made afresh from the step's data)."""
    key = (n, np.dtype(dtype))
    if key not in _ONES:
        if len(_ONES) >= 32:
            _ONES.clear()
        _ONES[key] = np.ones(n, dtype)
        _ONES[key].flags.writeable = False
    return _ONES[key]


class Conv(WindowRepr, Function):
    # y = w (*) x + b. d = (ConvInputGrad(g, w), ConvWeightGrad(x, g), g summed to (O,))
    def forward(self, x, w, b=None, window=None, relu=False, pool=None):
        # relu=True: relu(conv) in one buffer; pool=Window: max pooling of that, the arg-max
        # offsets kept as pool_idx; only for a replay's fused kernels (jit/fuse.py)
        self.window, training = window, is_grad_enabled()
        rows = tile_rows(w.shape[0], math.prod(w.shape[1:]), x.shape[0], window, x.itemsize,
                         training)  # fmt: skip
        if pool is None:
            out, cols = conv_image(x, w, b, window, relu, rows, training)
        else:
            (out, self.pool_idx), cols = conv_relu_pool(x, w, b, window, pool, rows)
        if cols is not None:
            self.save_for_backward(cols)
        return out

    def backward(self, g):
        x, w = self.inputs[0], self.inputs[1]
        nx, nw = self.needs_input_grad[:2]
        nb = len(self.inputs) > 2 and self.needs_input_grad[2]
        win = self.window
        gx = ConvInputGrad.apply(g, w, window=win) if nx else None
        # without create_graph, reuse forward's columns (if it kept them) instead of building
        # them again
        cols = self._saved[0] if nw and self._saved and not is_grad_enabled() else None
        gw = ConvWeightGrad.apply(x, g, window=win, cols=cols) if nw else None
        return gx, gw, (bias_grad(g) if nb else None)


class ConvInputGrad(WindowRepr, Function):
    # gx = col2im(w^T g): linear in g and in w. d = (Conv(gg, w), ConvWeightGrad(gg, g))
    def forward(self, g, w, window=None):
        self.window = window
        return conv_input_grad(g, w, window)

    def backward(self, gg):
        g, w = self.inputs
        ng, nw = self.needs_input_grad
        win = self.window
        dg = Conv.apply(gg, w, window=win) if ng else None
        dw = ConvWeightGrad.apply(gg, g, window=win) if nw else None
        return dg, dw


class ConvWeightGrad(WindowRepr, Function):
    # gw = g @ im2col(x)^T: linear in x and in g. d = (ConvInputGrad(g, gg), Conv(x, gg));
    # cols, when given, are im2col(x) already built (a cache, not an input)
    def forward(self, x, g, window=None, cols=None):
        self.window = window
        return conv_weight_grad(x, g, window, cols)

    def backward(self, gg):
        x, g = self.inputs
        nx, ng = self.needs_input_grad
        win = self.window
        dx = ConvInputGrad.apply(g, gg, window=win) if nx else None
        dg = Conv.apply(x, gg, window=win) if ng else None
        return dx, dg
