"""The optional compiled kernels (numba): max pooling, its backward scatter, im2col, col2im,
relu's backward, a convolution's bias and relu (and a max pool after them), and SGD's momentum
update, each in one pass over memory where numpy makes several; and thin convolutions (and,
in training, their weight gradients) summed directly instead of through a column matrix.

The numpy kernels stay the default. With numba installed (``pip install 'tinygrad-cnn[fast]'``),
``TINYGRAD_CNN_KERNELS=numba`` in the environment (read at import) or ``enable()`` makes these
kernels stand in for the numpy ones they mirror. Each computes the same operations in the same
order as its numpy twin (which stays the reference), so the results are the same bits, NaN,
infinities and signed zeros included (tests/test_fast_kernels.py); the direct convolution
and weight gradient alone sum in another order than BLAS does, and agree within rounding.
They cover what CNNs run most: 2-D windows over batch-last images (ops/layout.py; slices of
them too) of float32 or float64; anything else takes the numpy path. Each entry point
returns None where it does not apply, and the numpy kernel then runs. The first call of a
kernel for new argument types compiles it (a second or two); numba caches the result on disk,
so later processes load it.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from .layout import batch_innermost, batch_last, pad_spatial
from .window import Window

ENABLED = False  # whether the compiled kernels stand in for the numpy ones (see enable)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_compiled: dict[str, Any] = {}
_REORDERED = {"_direct_weight_grad_kernel"}  # may sum in any order (fastmath), not numpy's


def enable(on: bool = True) -> bool:
    """Use the compiled kernels (``on``) or the numpy ones; False where numba is missing."""
    global ENABLED
    if on:
        try:
            import numba  # noqa: F401
        except ImportError:
            warnings.warn(
                "tinygrad_cnn: the numba kernels were asked for but numba is not installed "
                "(pip install 'tinygrad-cnn[fast]'); using the numpy kernels",
                RuntimeWarning,
                stacklevel=2,
            )
            on = False
    ENABLED = on
    return on


_HELPERS: dict[str, Any] = {}  # name -> a loop the kernels share (see _helper)


def _helper(fn: Any) -> Any:
    """A loop two kernels share: swapped, in this module, for its numba compilation (inlined
    into the kernels that call it) before the first kernel compiles."""
    _HELPERS[fn.__name__] = fn
    return fn


def _kernel(fn: Any) -> Any:
    """fn compiled by numba on first call (per argument types; cached on disk beside this
    file), the plain function until then."""

    def call(*args: Any) -> Any:
        compiled = _compiled.get(fn.__name__)
        if compiled is None:
            import numba

            for name, helper in _HELPERS.items():
                if globals()[name] is helper:
                    globals()[name] = numba.njit(inline="always", boundscheck=False)(helper)
            fastmath = fn.__name__ in _REORDERED
            compiled = numba.njit(cache=True, boundscheck=False, nogil=True, fastmath=fastmath)(fn)
            _compiled[fn.__name__] = compiled
        return compiled(*args)

    call.__name__ = fn.__name__
    call.py_func = fn
    return call


# -- the kernels: images stored (C, H, W, N), windows given as (kh, kw, sh, sw, dh, dw) ------


@_kernel
def _max_pool_kernel(xs, geo, out, idx, with_idx):
    kh, kw, sh, sw, dh, dw = geo
    nc, gh, gw, nb = out.shape
    for c in range(nc):
        for oh in range(gh):
            for ow in range(gw):
                o, ix, row = out[c, oh, ow], idx[c, oh, ow], xs[c, oh * sh, ow * sw]
                for n in range(nb):
                    o[n] = row[n]
                    if with_idx:
                        ix[n] = 0
                for k in range(1, kh * kw):
                    row = xs[c, oh * sh + (k // kw) * dh, ow * sw + (k % kw) * dw]
                    for n in range(nb):
                        v, m = row[n], o[n]
                        if with_idx and v > m:  # numpy's `better = v > out`
                            ix[n] = k
                        # np.maximum(out, v): out where out > v, else v (so v on a tie of
                        # zeros of two signs); NaN from either side sticks
                        if m == m and not m > v:
                            o[n] = v


@_helper
def _relu_pool_first(row, bo, with_bias, o, ix):
    # the first tap of a window: relu(row + b) as _bias_relu_kernel computes it, offset 0
    for n in range(o.shape[0]):
        v = row[n] + bo if with_bias else row[n]
        o[n], ix[n] = (v if v > 0 or v != v else 0), 0


@_helper
def _relu_pool_tap(row, bo, with_bias, o, ix, k):
    # tap k of a window: relu(row + b) compared as _max_pool_kernel compares
    for n in range(o.shape[0]):
        v = row[n] + bo if with_bias else row[n]
        v = v if v > 0 or v != v else 0
        m = o[n]
        if v > m:
            ix[n] = k
        if m == m and not m > v:
            o[n] = v


@_helper
def _relu_pool_step(raw, c, oh, ow, k, geo, bo, with_bias, out, idx):
    # tap k of output window (c, oh, ow)
    kh, kw, sh, sw, dh, dw = geo
    row = raw[c, oh * sh + (k // kw) * dh, ow * sw + (k % kw) * dw]
    if k == 0:
        _relu_pool_first(row, bo, with_bias, out[c, oh, ow], idx[c, oh, ow])
    else:
        _relu_pool_tap(row, bo, with_bias, out[c, oh, ow], idx[c, oh, ow], k)


@_kernel
def _bias_relu_pool_kernel(raw, b, with_bias, geo, out, idx, rows_first):
    # max pooling (with the arg-max offsets) of relu(raw + b), an output row at a time: window
    # by window, or with ``rows_first`` (short batches, ROW_ORDER_BATCH) tap by tap, one input
    # row read through per tap instead of windows hopping between rows
    taps = geo[0] * geo[1]
    nc, gh, gw = out.shape[0], out.shape[1], out.shape[2]
    for c in range(nc):
        bo = b[c]
        for oh in range(gh):
            if rows_first:
                for k in range(taps):
                    for ow in range(gw):
                        _relu_pool_step(raw, c, oh, ow, k, geo, bo, with_bias, out, idx)
            else:
                for ow in range(gw):
                    for k in range(taps):
                        _relu_pool_step(raw, c, oh, ow, k, geo, bo, with_bias, out, idx)


@_kernel
def _scatter_kernel(gs, ids, geo, out, positive, masked):
    # windows that overlap: each window's g added at its arg-max
    kh, kw, sh, sw, dh, dw = geo
    nc, gh, gw, nb = gs.shape
    one, zero = gs.dtype.type(1), gs.dtype.type(0)
    for c in range(nc):
        for k in range(kh * kw):  # tap by tap, as numpy's loop: the same order of additions
            i, j = k // kw, k % kw
            for oh in range(gh):
                for ow in range(gw):
                    g, ix = gs[c, oh, ow], ids[c, oh, ow]
                    p, dst = positive[c, oh, ow], out[c, oh * sh + i * dh, ow * sw + j * dw]
                    for n in range(nb):
                        v = g[n] * (one if p[n] > 0 else zero) if masked else g[n]
                        dst[n] += v * (one if ix[n] == k else zero)


@_helper
def _scatter_tap(v, ix, k, dst):
    # one tap of a window: g where the arg-max offset is k, else zero (numpy's products)
    one, zero = v.dtype.type(1), v.dtype.type(0)
    for n in range(dst.shape[0]):
        dst[n] = v[n] * (one if ix[n] == k else zero)


@_helper
def _masked(g, p, masked, v):
    # g, zeroed where p (relu's output) is not positive, when masked
    one, zero = g.dtype.type(1), g.dtype.type(0)
    for n in range(v.shape[0]):
        v[n] = g[n] * (one if p[n] > 0 else zero) if masked else g[n]


@_kernel
def _scatter_windows_kernel(gs, ids, geo, out, positive, masked):
    # windows that do not overlap: each position is written once, so window by window (g,
    # its mask and offsets read once, not once per tap); the same products as numpy's loop
    kh, kw, sh, sw, dh, dw = geo
    nc, gh, gw, nb = gs.shape
    v = np.empty(nb, gs.dtype)
    for c in range(nc):
        for oh in range(gh):
            for ow in range(gw):
                ix = ids[c, oh, ow]
                _masked(gs[c, oh, ow], positive[c, oh, ow], masked, v)
                for k in range(kh * kw):
                    _scatter_tap(
                        v, ix, k, out[c, oh * sh + (k // kw) * dh, ow * sw + (k % kw) * dw]
                    )


@_kernel
def _scatter_windows_rows_kernel(gs, ids, geo, out, positive, masked):
    # _scatter_windows_kernel a whole output row at a time, taps outermost (for short batches,
    # ROW_ORDER_BATCH): the masked g of the row once, then each tap's input row written through
    kh, kw, sh, sw, dh, dw = geo
    nc, gh, gw, nb = gs.shape
    v = np.empty(gw * nb, gs.dtype)
    for c in range(nc):
        for oh in range(gh):
            ix = ids[c, oh].reshape(-1)
            _masked(gs[c, oh].reshape(-1), positive[c, oh].reshape(-1), masked, v)
            for k in range(kh * kw):
                drow, q = out[c, oh * sh + (k // kw) * dh], (k % kw) * dw
                for ow in range(gw):
                    e = ow * nb
                    _scatter_tap(v[e : e + nb], ix[e : e + nb], k, drow[ow * sw + q])


@_kernel
def _col2im_kernel(cols, geo, out):
    kh, kw, sh, sw, dh, dw = geo
    nc, _, _, gh, gw, nb = cols.shape
    for c in range(nc):
        for k in range(kh * kw):
            i, j = k // kw, k % kw
            for oh in range(gh):
                for ow in range(gw):
                    src, dst = cols[c, i, j, oh, ow], out[c, oh * sh + i * dh, ow * sw + j * dw]
                    for n in range(nb):
                        dst[n] += src[n]


@_kernel
def _im2col_rows_kernel(xs, nb, geo, top, left, cols):
    # _im2col_kernel for a stride of 1 along the rows: each (c, i, j, oh) row of columns is one
    # contiguous run of the input row it sees (zeros where it reaches into the padding), so
    # the copies run over whole rows, not over one batch of N at a time
    kh, kw, sh, sw, dh, dw = geo
    nc, h, width = xs.shape[0], xs.shape[1], xs.shape[2] // nb
    gh, run = cols.shape[3], cols.shape[4]
    for c in range(nc):
        for i in range(kh):
            for j in range(kw):
                shift = j * dw - left  # input column of output column 0
                lo = min(max(0, -shift), run // nb)
                hi = max(min(run // nb, width - shift), lo)
                for oh in range(gh):
                    r, dst = oh * sh + i * dh - top, cols[c, i, j, oh]
                    if r < 0 or r >= h:
                        dst[:] = 0
                        continue
                    d, src = dst[lo * nb : hi * nb], xs[c, r, (lo + shift) * nb : (hi + shift) * nb]
                    for e in range(d.shape[0]):
                        d[e] = src[e]
                    dst[: lo * nb] = 0
                    dst[hi * nb :] = 0


@_kernel
def _col2im_rows_kernel(cols, nb, geo, out):
    # _col2im_kernel for a stride of 1 along the rows: each (c, i, j, oh) row of columns is
    # added into one contiguous run of the padded output row, tap by tap as numpy's loop
    kh, kw, sh, sw, dh, dw = geo
    nc, gh, run = cols.shape[0], cols.shape[3], cols.shape[4]
    for c in range(nc):
        for k in range(kh * kw):
            i, j = k // kw, k % kw
            off = j * dw * nb
            for oh in range(gh):
                src, dst = cols[c, i, j, oh], out[c, oh * sh + i * dh, off : off + run]
                for e in range(run):
                    dst[e] += src[e]


@_kernel
def _relu_grad_kernel(g, y, out):
    one, zero = g.dtype.type(1), g.dtype.type(0)
    for n in range(g.shape[0]):
        out[n] = g[n] * (one if y[n] > 0 else zero)


@_kernel
def _direct_conv_kernel(xs, w, b, out, sh, sw, relu):
    # every output row's O x N block summed in an L1-sized accumulator, tap by tap
    no, gh, gw, nb = out.shape
    nc, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    acc = np.empty((no, nb), out.dtype)
    for oh in range(gh):
        for ow in range(gw):
            acc[:] = 0
            for c in range(nc):
                for i in range(kh):
                    for j in range(kw):
                        row = xs[c, oh * sh + i, ow * sw + j]
                        for o in range(no):
                            wv, a = w[o, c, i, j], acc[o]
                            for n in range(nb):
                                a[n] += wv * row[n]
            for o in range(no):
                dst, a, bo = out[o, oh, ow], acc[o], b[o]
                for n in range(nb):
                    v = a[n] + bo
                    dst[n] = 0 if relu and v < 0 else v


@_kernel
def _direct_weight_grad_kernel(xs, gs, nb, out):
    # out[o, c, i, j] += the dot of g's row oh with the input row oh + i shifted by j, for
    # every output row oh: both are contiguous (width * N) runs in batch-last storage. Six
    # filters a pass (six independent sums, one input load), then three, then one; summed in
    # any order (fastmath)
    no, gh, length = gs.shape
    nc, kh, kw = out.shape[1], out.shape[2], out.shape[3]
    sixes = no - no % 6  # filters done six at a time, then three at a time up to threes
    threes = sixes + (no - sixes) // 3 * 3
    zero = gs.dtype.type(0)  # (a zero computed from the data keeps the sums from vectorizing)
    for oh in range(gh):
        for c in range(nc):
            for i in range(kh):
                xrow = xs[c, oh + i]
                for j in range(kw):
                    x = xrow[j * nb : j * nb + length]
                    for o in range(0, sixes, 6):
                        g0, g1, g2 = gs[o, oh], gs[o + 1, oh], gs[o + 2, oh]
                        g3, g4, g5 = gs[o + 3, oh], gs[o + 4, oh], gs[o + 5, oh]
                        a0 = a1 = a2 = a3 = a4 = a5 = zero
                        for k in range(length):
                            v = x[k]
                            a0 += g0[k] * v
                            a1 += g1[k] * v
                            a2 += g2[k] * v
                            a3 += g3[k] * v
                            a4 += g4[k] * v
                            a5 += g5[k] * v
                        out[o, c, i, j] += a0
                        out[o + 1, c, i, j] += a1
                        out[o + 2, c, i, j] += a2
                        out[o + 3, c, i, j] += a3
                        out[o + 4, c, i, j] += a4
                        out[o + 5, c, i, j] += a5
                    for o in range(sixes, threes, 3):
                        g0, g1, g2 = gs[o, oh], gs[o + 1, oh], gs[o + 2, oh]
                        a0 = a1 = a2 = zero
                        for k in range(length):
                            a0 += g0[k] * x[k]
                            a1 += g1[k] * x[k]
                            a2 += g2[k] * x[k]
                        out[o, c, i, j] += a0
                        out[o + 1, c, i, j] += a1
                        out[o + 2, c, i, j] += a2
                    for o in range(threes, no):
                        g0, a0 = gs[o, oh], zero
                        for k in range(length):
                            a0 += g0[k] * x[k]
                        out[o, c, i, j] += a0


@_kernel
def _im2col_kernel(xs, geo, top, left, cols):
    # cols[c, i, j, oh, ow] = the input row a kernel offset sees (zeros in the padding)
    kh, kw, sh, sw, dh, dw = geo
    nc, h, w, nb = xs.shape
    gh, gw = cols.shape[3], cols.shape[4]
    for c in range(nc):
        for i in range(kh):
            for j in range(kw):
                for oh in range(gh):
                    r = oh * sh + i * dh - top
                    for ow in range(gw):
                        q, dst = ow * sw + j * dw - left, cols[c, i, j, oh, ow]
                        if 0 <= r < h and 0 <= q < w:
                            src = xs[c, r, q]
                            for n in range(nb):
                                dst[n] = src[n]
                        else:
                            for n in range(nb):
                                dst[n] = 0


@_kernel
def _bias_relu_kernel(out, b, with_bias, relu):
    for o in range(out.shape[0]):
        row, bo = out[o], b[o]
        for n in range(out.shape[1]):
            v = row[n] + bo if with_bias else row[n]
            # np.maximum(v, 0): v where v > 0 (NaN too), else 0
            row[n] = v if not relu or v > 0 or v != v else 0


@_kernel
def _sgd_momentum_kernel(d, g, buf, momentum, lr):
    for i in range(d.shape[0]):
        b = buf[i] * momentum  # buf *= momentum; buf += g; d -= lr * buf, rounded as numpy
        b = b + g[i]
        buf[i] = b
        d[i] = d[i] - lr * b


# -- entry points (None where they do not apply) ---------------------------------------------


def _stored(x: np.ndarray) -> np.ndarray:
    """The (C, H, W, N) storage of a batch-last (N, C, H, W) image; a strided slice of one (a
    cropped padded gradient) is copied: compiled for contiguous rows, the loops vectorize."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0))


def _applies(win: Window, *arrays: np.ndarray) -> bool:
    return (
        ENABLED
        and len(win.kernel) == 2
        and all(a.dtype in _FLOATS and batch_innermost(a) for a in arrays)
        and len({a.dtype for a in arrays}) == 1
    )


def _geo(win: Window) -> tuple[int, ...]:
    kh, kw = win.kernel
    sh, sw = win.stride
    dh, dw = win.dilation
    return (kh, kw, sh, sw, dh, dw)


def _bias_vector(b: Any, o: int, dtype: Any) -> np.ndarray:
    """A contiguous (O,) bias of ``dtype`` (zeros for no bias), as the kernels read it."""
    if b is None:
        return np.zeros(o, dtype)
    return np.ascontiguousarray(b.reshape(-1), dtype)


def max_pool(xp: np.ndarray, win: Window, with_idx: bool) -> Any:
    """(max, arg-max offsets) (or the max alone) of a padded batch-last input, as
    ops/pool.py's max_pool (max_only); None where it does not apply."""
    if not _applies(win, xp) or len(win.taps) >= 256:
        return None
    shape = xp.shape[:2] + win.grid
    out = batch_last(shape, xp.dtype, None)
    idx = batch_last(shape, np.uint8, None) if with_idx else None
    ids = _stored(idx) if with_idx else np.zeros((1, 1, 1, 1), np.uint8)  # (unused)
    _max_pool_kernel(_stored(xp), _geo(win), _stored(out), ids, with_idx)
    return (out, idx) if with_idx else out


# NOTE: measured (docs/performance.md): below this batch the row-order pooling and scatter
# kernels win (compiled CIFAR-style train b16 6.45 -> 6.02 ms); at b64 they lose (17.96 -> 18.66)
ROW_ORDER_BATCH = 32


def bias_relu_pool(out: np.ndarray, b: Any, grid: tuple[int, ...], n: int, win: Window) -> Any:
    """(max, arg-max offsets) of max pooling over ``win`` of relu(out + b), for a convolution's
    (O, prod(grid)*N) product ``out`` before its bias, in one pass that never writes relu(out +
    b) back: what ops/conv.py's _bias_relu then ops/pool.py's max_pool give; None where it
    does not apply (padded or 3-D windows, other layouts)."""
    if not (ENABLED and len(win.kernel) == 2 and len(grid) == 2 and out.dtype in _FLOATS):
        return None
    if any(win.pad_lo + win.pad_hi) or not out.flags.c_contiguous or len(win.taps) >= 256:
        return None
    if b is not None and (b.dtype != out.dtype or b.size != out.shape[0]):
        return None
    shape = (n, out.shape[0]) + win.grid
    pooled, idx = batch_last(shape, out.dtype, None), batch_last(shape, np.uint8, None)
    raw = out.reshape((out.shape[0],) + tuple(grid) + (n,))
    bias = _bias_vector(b, out.shape[0], out.dtype)
    args = (raw, bias, b is not None, _geo(win), _stored(pooled), _stored(idx))
    _bias_relu_pool_kernel(*args, n < ROW_ORDER_BATCH)
    return pooled, idx


def scatter_into(out: np.ndarray, g: np.ndarray, idx: np.ndarray, win: Window, positive) -> bool:
    """ops/pool.py's scatter of g (masked where ``positive`` > 0 first, when given) into its
    padded batch-last buffer ``out``; False (nothing done) where it does not apply."""
    arrays = (g,) if positive is None else (g, positive)
    if not _applies(win, out, *arrays) or not batch_innermost(idx) or idx.dtype != np.uint8:
        return False
    gs, ids, dst = _stored(g), _stored(idx), _stored(out)
    p = gs if positive is None else _stored(positive)  # (unread without positive)
    if win.overlapping:
        _scatter_kernel(gs, ids, _geo(win), dst, p, positive is not None)
    elif gs.shape[-1] < ROW_ORDER_BATCH:
        _scatter_windows_rows_kernel(gs, ids, _geo(win), dst, p, positive is not None)
    else:
        _scatter_windows_kernel(gs, ids, _geo(win), dst, p, positive is not None)
    return True


def im2col(x: np.ndarray, win: Window) -> Any:
    """ops/conv.py's im2col (padding read as zeros, no padded copy); None where it does not
    apply."""
    if not (ENABLED and len(win.kernel) == 2 and x.dtype in _FLOATS and x.ndim == 4):
        return None
    n, c = x.shape[0], x.shape[1]
    cols = np.empty((c,) + win.kernel + win.grid + (n,), x.dtype)
    xs, top, left = _stored(x), win.pad_lo[0], win.pad_lo[1]
    if win.stride[1] == 1:  # whole rows at a time
        rows = cols.reshape(cols.shape[:4] + (-1,))
        _im2col_rows_kernel(xs.reshape(xs.shape[0], xs.shape[1], -1), n, _geo(win), top, left, rows)
    else:
        _im2col_kernel(xs, _geo(win), top, left, cols)
    return cols


def col2im_into(out: np.ndarray, cols: np.ndarray, win: Window) -> bool:
    """ops/conv.py's col2im of C-ordered (C, *kernel, *grid, N) columns, added into its zeroed
    padded (C, *padded, N) buffer ``out``; False (nothing done) where it does not apply."""
    if not (ENABLED and len(win.kernel) == 2 and cols.dtype in _FLOATS):
        return False
    if not cols.flags.c_contiguous or out.dtype != cols.dtype:
        return False
    if win.stride[1] == 1 and out.flags.c_contiguous:  # whole rows at a time
        n = cols.shape[-1]
        rows = cols.reshape(cols.shape[:4] + (-1,))
        _col2im_rows_kernel(rows, n, _geo(win), out.reshape(out.shape[0], out.shape[1], -1))
    else:
        _col2im_kernel(cols, _geo(win), out)
    return True


def relu_grad(g: np.ndarray, y: np.ndarray) -> Any:
    """g * (y > 0) for two arrays of one shape, dtype and contiguous layout; else None."""
    if not ENABLED or g.dtype not in _FLOATS or y.dtype != g.dtype or g.shape != y.shape:
        return None
    if g.strides != y.strides or g.size == 0:
        return None
    order = sorted(range(g.ndim), key=lambda a: -g.strides[a])
    gt, yt = g.transpose(order), y.transpose(order)
    if not gt.flags.c_contiguous:
        return None
    out = np.empty_like(g)
    _relu_grad_kernel(gt.reshape(-1), yt.reshape(-1), out.transpose(order).reshape(-1))
    return out


# NOTE: measured (docs/performance.md): LeNet-5's first convolution (6 filters of 1x5x5) at
# batch 256 takes 1.3 ms summed directly, 2.1-2.7 ms as im2col + GEMM; with 16 filters of
# 6x5x5, or 32 of 3x3x3, or a batch of 8, the GEMM wins. In training the weight gradient
# needs the columns too: forward's, kept, win until the columns outgrow the caches; past
# DIRECT_TRAIN_COLUMNS (LeNet's first at batch 512: 29 MB) the direct forward and the direct
# weight gradient win (7.0 vs 9.8 ms; at batch 256, 3.6 vs 3.0 ms, they lose)
DIRECT_MAX_FILTERS, DIRECT_MAX_TAPS, DIRECT_MIN_BATCH = 8, 32, 32
DIRECT_TRAIN_COLUMNS = 16 * 1024 * 1024


def _thin(x: np.ndarray, w_shape: tuple[int, ...]) -> bool:
    """Few filters of few taps over a 2-D batch of at least DIRECT_MIN_BATCH, numba on."""
    few = w_shape[0] <= DIRECT_MAX_FILTERS and math.prod(w_shape[1:]) <= DIRECT_MAX_TAPS
    return ENABLED and few and x.ndim == 4 and x.shape[0] >= DIRECT_MIN_BATCH


def direct_in_training(x: np.ndarray, w_shape: tuple[int, ...], win: Window) -> bool:
    """Whether a training convolution of x by weights of ``w_shape`` sums directly (forward
    and weight gradient) instead of building columns."""
    columns = math.prod(w_shape[1:]) * math.prod(win.grid) * x.shape[0] * x.itemsize
    return (
        _thin(x, w_shape)
        and win.stride == (1, 1)
        and win.dilation == (1, 1)
        and columns >= DIRECT_TRAIN_COLUMNS
    )


def direct_conv(
    x: np.ndarray, w: np.ndarray, b: Any, win: Window, relu: bool, training: bool = False
) -> Any:
    """conv(x, w) + b (relu'd when ``relu``) summed directly, without columns, for a thin
    convolution (few filters of few taps, a batch of at least DIRECT_MIN_BATCH; in
    ``training``, only where direct_in_training says so), as a batch-last image; None where it
    does not apply. Sums in another order than BLAS: equal to the GEMM path within rounding,
    not bit for bit."""
    if not _thin(x, w.shape) or (training and not direct_in_training(x, w.shape, win)):
        return None
    if x.dtype not in _FLOATS or w.dtype != x.dtype or win.dilation != (1, 1):
        return None
    bias = _bias_vector(b, w.shape[0], x.dtype)
    xp = pad_spatial(x, win.pad_lo, win.pad_hi)
    out = np.empty((w.shape[0],) + win.grid + (x.shape[0],), x.dtype)
    sh, sw = win.stride
    _direct_conv_kernel(_stored(xp), np.ascontiguousarray(w), bias, out, sh, sw, relu)
    return out.transpose(3, 0, 1, 2)


def direct_weight_grad(x: np.ndarray, g: np.ndarray, win: Window) -> Any:
    """The weight gradient of a convolution that direct_in_training sums directly, from x and
    g without columns: (O, C, *kernel); None where it does not apply. Sums in another order
    than BLAS: equal within rounding."""
    if not direct_in_training(x, (g.shape[1], x.shape[1]) + win.kernel, win):
        return None
    if x.dtype not in _FLOATS or g.dtype != x.dtype:
        return None
    n, (c, o) = x.shape[0], (x.shape[1], g.shape[1])
    xs = _stored(pad_spatial(x, win.pad_lo, win.pad_hi))
    gs = _stored(g)
    out = np.zeros((o, c) + win.kernel, np.float64)
    _direct_weight_grad_kernel(
        xs.reshape(xs.shape[0], xs.shape[1], -1), gs.reshape(o, gs.shape[1], -1), n, out
    )
    return out.astype(x.dtype)


def bias_relu(out: np.ndarray, b: Any, relu: bool) -> bool:
    """out (O, L) += b per row, then relu, in place in one pass, as ops/conv.py's _bias_relu;
    False (nothing done) where it does not apply."""
    if not ENABLED or out.ndim != 2 or not out.flags.c_contiguous or out.dtype not in _FLOATS:
        return False
    if b is not None and (b.dtype != out.dtype or b.size != out.shape[0]):
        return False
    _bias_relu_kernel(out, _bias_vector(b, out.shape[0], out.dtype), b is not None, relu)
    return True


def sgd_momentum(d: np.ndarray, g: np.ndarray, buf: np.ndarray, momentum, lr) -> bool:
    """SGD's momentum update of d and buf in place in one pass (no dampening, no weight
    decay, no Nesterov: the caller checks), as optim/optimizers.py's _sgd_update; False
    where it does not apply."""
    arrays = (d, g, buf)
    if not ENABLED or d.dtype not in _FLOATS or any(a.dtype != d.dtype for a in arrays):
        return False
    if any(a.shape != d.shape or not a.flags.c_contiguous for a in arrays) or d.size == 0:
        return False
    _sgd_momentum_kernel(d.reshape(-1), g.reshape(-1), buf.reshape(-1), momentum, lr)
    return True


if os.environ.get("TINYGRAD_CNN_KERNELS", "").strip().lower() == "numba":
    enable()
