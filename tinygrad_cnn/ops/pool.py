"""Max pooling over 1, 2 or 3 spatial dims from prod(kernel) strided slices, with a gradient
that is itself differentiable.

``MaxPool`` keeps, for every output, which kernel offset held the window's maximum (the first
one on ties, as PyTorch). Its gradient is ``PoolScatter`` (add each output's gradient at that
offset); the gradient of a scatter is ``PoolGather`` (read the same positions back) and vice
versa, so derivatives of any order close over the pair. The arg-max offsets are constants: max
pooling is piecewise linear, its second derivative in x is zero. The geometry is one
``Window`` (ops/window.py).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, is_grad_enabled
from . import fast
from ._util import const
from .layout import as_batch_last, batch_innermost, is_batch_last, pad_spatial, scatter_buffer
from .movement import GetItem
from .window import Window, WindowRepr

_ALL2 = (slice(None), slice(None))


def max_pool(x: np.ndarray, win: Window) -> tuple[np.ndarray, np.ndarray]:
    """(max over each window, index k of the first maximal offset, offsets in C order)."""
    xp = pad_spatial(x, win.pad_lo, win.pad_hi, -np.inf, relayout=False)
    compiled = fast.max_pool(xp, win, True)
    if compiled is not None:
        return compiled
    taps = win.taps
    out = np.array(xp[_ALL2 + taps[0][2]], order="K")
    idx = np.zeros_like(out, dtype=np.uint8 if len(taps) < 256 else np.int32)
    for k, _, sl in taps[1:]:
        v = xp[_ALL2 + sl]
        better = v > out
        np.maximum(out, v, out=out)
        # NOTE: k grows, so the last offset that beat the running max is the largest k marked
        np.maximum(idx, better.view(np.uint8) * idx.dtype.type(k), out=idx)
    return out, idx


def max_only(x: np.ndarray, win: Window) -> np.ndarray:
    """The max over each window without the arg-max offsets (what inference needs): one
    np.maximum per kernel offset instead of four passes."""
    xp = pad_spatial(x, win.pad_lo, win.pad_hi, -np.inf, relayout=False)
    compiled = fast.max_pool(xp, win, False)
    if compiled is not None:
        return compiled
    taps = win.taps
    if len(taps) == 1:
        return np.array(xp[_ALL2 + taps[0][2]], order="K")
    out = np.maximum(xp[_ALL2 + taps[0][2]], xp[_ALL2 + taps[1][2]])
    for _, _, sl in taps[2:]:
        np.maximum(out, xp[_ALL2 + sl], out=out)
    return out


def scatter(
    g: np.ndarray, idx: np.ndarray, win: Window, batch_last: bool, positive=None
) -> np.ndarray:
    """zeros(N, C, *size) with g added at each window's selected offset (windows may overlap);
    stored batch-last when ``batch_last`` (the pooled input was). With ``positive`` (pooled
    values), g only where they are positive."""
    shape = g.shape[:2] + win.padded
    if batch_last and not batch_innermost(g):
        g = as_batch_last(g)  # one small copy: then every slice below runs contiguous
    overlap = win.overlapping
    # windows that tile the padded input exactly write every position once: no zero fill
    out = scatter_buffer(shape, g.dtype, batch_last, None if win.tiles else 0.0)
    if batch_last and fast.scatter_into(out, g, idx, win, positive):
        return out[_ALL2 + win.crop()]
    if positive is not None:
        g = g * (positive > 0)
    for k, _, sl in win.taps:
        v = out[_ALL2 + sl]
        if overlap:
            v += g * (idx == k)
        else:  # each position is in one window only: assign, no read-modify-write
            np.multiply(g, idx == k, out=v)
    return out[_ALL2 + win.crop()]


def gather(y: np.ndarray, idx: np.ndarray, win: Window) -> np.ndarray:
    """Each window's selected element of y: the adjoint of scatter."""
    yp = pad_spatial(y, win.pad_lo, win.pad_hi, 0.0, relayout=False)
    out = None
    for k, _, sl in win.taps:
        term = yp[_ALL2 + sl] * (idx == k)
        out = term if out is None else np.add(out, term, out=out)
    return out


def _keeps_batch_last(x: np.ndarray) -> bool:
    # NOTE: a gradient takes the layout of the image it belongs to (conv's outputs and
    # gradients are batch-last, even when they are a padded slice): writing it in another
    # layout would make this and every later op strided, several times slower
    return batch_innermost(x) or is_batch_last(x)


class MaxPool(WindowRepr, Function):
    # d max(window) = 1 at the window's arg-max offset, 0 elsewhere
    def forward(self, x, window=None):
        self.window, self.batch_last = window, _keeps_batch_last(x)
        if not is_grad_enabled():  # nothing will call backward: skip the arg-max offsets
            return max_only(x, window)
        out, idx = max_pool(x, window)
        self.save_for_backward(idx)
        return out

    def backward(self, g):
        (idx,) = self.saved_tensors
        return PoolScatter.apply(g, idx=idx.data, window=self.window, batch_last=self.batch_last)


class PoolScatter(WindowRepr, Function):
    # linear in g (idx is a constant); its gradient reads the same positions back (gather).
    # positive=p (the pooled values, a constant): scatter only g where p > 0, which is relu's
    # backward after the scatter when p pooled a relu (a replay's fused kernel, jit/fuse.py)
    def forward(self, g, idx=None, window=None, batch_last=False, positive=None):
        self.save_for_backward(idx)
        self.window, self.positive = window, positive
        return scatter(g, idx, window, batch_last or _keeps_batch_last(g), positive)

    def backward(self, gg):
        (idx,) = self.saved_tensors
        out = PoolGather.apply(gg, idx=idx.data, window=self.window)
        return out if self.positive is None else out * const(self.positive > 0)


class PoolGather(WindowRepr, Function):
    # linear in y (idx is a constant); its gradient adds back at the same positions (scatter)
    def forward(self, y, idx=None, window=None):
        self.save_for_backward(idx)
        self.window, self.batch_last = window, _keeps_batch_last(y)
        return gather(y, idx, window)

    def backward(self, g):
        (idx,) = self.saved_tensors
        return PoolScatter.apply(g, idx=idx.data, window=self.window, batch_last=self.batch_last)


def plane_index(idx: np.ndarray) -> tuple[np.ndarray, ...]:
    """(n, c, flat) index arrays reaching idx's positions in a (N, C, plane) array."""
    n, c = idx.shape[:2]
    extra = (1,) * (idx.ndim - 2)
    return (np.arange(n).reshape((n, 1) + extra), np.arange(c).reshape((1, c) + extra), idx)


class Unpool(Function):
    # out[n, c, idx[n, c, ...]] = y (zeros elsewhere; later writes win, as PyTorch); the
    # gradient reads those positions back (as PyTorch, every duplicate gets it)
    def forward(self, y, idx=None, size=()):
        self.save_for_backward(idx)
        out = np.zeros(y.shape[:2] + (int(np.prod(size)),), y.dtype)
        out[plane_index(idx)] = y
        return out.reshape(y.shape[:2] + tuple(size))

    def backward(self, g):
        (idx,) = self.saved_tensors
        flat = g.reshape(g.shape[:2] + (-1,))
        return GetItem.apply(flat, idx=plane_index(idx.data))


def flat_indices(idx: np.ndarray, win: Window) -> np.ndarray:
    """PyTorch's return_indices: the arg-max's flat position in each (unpadded) input plane,
    e.g. h * W + w in 2-D."""
    offsets = np.unravel_index(idx.astype(np.int64), win.kernel)
    flat = np.zeros(idx.shape, np.int64)
    nd = win.ndim
    for a in range(nd):
        pos_shape = [1] * nd
        pos_shape[a] = win.grid[a]
        start = np.arange(win.grid[a], dtype=np.int64).reshape(pos_shape) * win.stride[a]
        flat = flat * win.size[a] + start - win.pad_lo[a] + offsets[a] * win.dilation[a]
    return flat
