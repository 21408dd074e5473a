"""Max pooling from kh*kw strided slices, with a gradient that is itself differentiable.

``MaxPool2d`` keeps, for every output, which kernel offset held the window's maximum (the first
one on ties, as PyTorch). Its gradient is ``PoolScatter`` (add each output's gradient at that
offset); the gradient of a scatter is ``PoolGather`` (read the same positions back) and vice
versa, so derivatives of any order close over the pair. The arg-max offsets are constants: max
pooling is piecewise linear, its second derivative in x is zero.

Geometry: ``(size, kernel, stride, pads, dilation)`` as in ops/conv.py, ``size`` the unpadded
(H, W) of the input.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .conv import batch_last, is_batch_last, pad_hw, window_slice


def _offsets(geom):
    kh, kw = geom[1]
    return [(i * kw + j, i, j) for i in range(kh) for j in range(kw)]


def max_pool(x: np.ndarray, geom) -> tuple[np.ndarray, np.ndarray]:
    """(max over each window, index k = i*kw + j of the first maximal offset)."""
    _, (kh, kw), stride, pads, dilation = geom
    xp = pad_hw(x, pads, -np.inf, relayout=False)
    n, c, hp, wp = xp.shape
    grid = (
        (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1,
        (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1,
    )
    out = np.array(xp[window_slice(0, 0, grid, stride, dilation)], order="K")
    idx = np.zeros_like(out, dtype=np.uint8 if kh * kw < 256 else np.int32)
    for k, i, j in _offsets(geom)[1:]:
        v = xp[window_slice(i, j, grid, stride, dilation)]
        better = v > out
        np.maximum(out, v, out=out)
        # NOTE: k grows, so the last offset that beat the running max is the largest k marked
        np.maximum(idx, better.view(np.uint8) * idx.dtype.type(k), out=idx)
    return out, idx


def _overlapping(geom) -> bool:
    _, kernel, stride, _, dilation = geom
    return any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def scatter(g: np.ndarray, idx: np.ndarray, geom) -> np.ndarray:
    """zeros(N, C, H, W) with g added at each window's selected offset (windows may overlap)."""
    (h, w), _, stride, (pt, pb, pl, pr), dilation = geom
    n, c, ho, wo = g.shape
    shape = (n, c, h + pt + pb, w + pl + pr)
    overlap = _overlapping(geom)
    kh, kw = geom[1]
    # windows that tile the padded input exactly write every position once: no zero fill
    tiled = not overlap and dilation == (1, 1) and stride == (kh, kw)
    tiled = tiled and shape[2] == ho * kh and shape[3] == wo * kw
    fill = None if tiled else 0.0
    # NOTE: follow the layout of g (batch innermost, as conv's gradients are, even when they
    # are a padded slice): writing NCHW from batch-last g would make this and the next ops
    # strided, several times slower
    if g.strides[0] == g.itemsize or is_batch_last(g):
        out = batch_last(shape, g.dtype, fill)
    else:
        out = np.empty(shape, g.dtype) if tiled else np.zeros(shape, g.dtype)
    for k, i, j in _offsets(geom):
        v = out[window_slice(i, j, (ho, wo), stride, dilation)]
        if overlap:
            v += g * (idx == k)
        else:  # each position is in one window only: assign, no read-modify-write
            np.multiply(g, idx == k, out=v)
    return out[:, :, pt : pt + h, pl : pl + w]


def gather(y: np.ndarray, idx: np.ndarray, geom) -> np.ndarray:
    """Each window's selected element of y: the adjoint of scatter."""
    _, _, stride, pads, dilation = geom
    yp = pad_hw(y, pads, 0.0, relayout=False)
    out = None
    for k, i, j in _offsets(geom):
        term = yp[window_slice(i, j, idx.shape[2:], stride, dilation)] * (idx == k)
        out = term if out is None else np.add(out, term, out=out)
    return out


class MaxPool2d(Function):
    # d max(window) = 1 at the window's arg-max offset, 0 elsewhere
    def forward(self, x, geom=None):
        out, idx = max_pool(x, geom)
        self.save_for_backward(idx)
        self.geom = geom
        return out

    def backward(self, g):
        (idx,) = self.saved_tensors
        return PoolScatter.apply(g, idx=idx.data, geom=self.geom)

    def extra_repr(self):
        _, kernel, stride, pads, dilation = self.geom
        return f"kernel={kernel}, stride={stride}, pads={pads}, dilation={dilation}"


class PoolScatter(Function):
    # linear in g; its gradient reads the same positions back (gather)
    def forward(self, g, idx=None, geom=None):
        self.idx, self.geom = idx, geom
        return scatter(g, idx, geom)

    def backward(self, gg):
        return PoolGather.apply(gg, idx=self.idx, geom=self.geom)


class PoolGather(Function):
    # linear in y; its gradient adds back at the same positions (scatter)
    def forward(self, y, idx=None, geom=None):
        self.idx, self.geom = idx, geom
        return gather(y, idx, geom)

    def backward(self, g):
        return PoolScatter.apply(g, idx=self.idx, geom=self.geom)


def flat_indices(idx: np.ndarray, geom) -> np.ndarray:
    """PyTorch's return_indices: the arg-max's flat position h * W + w in each input plane."""
    (_, w), (_, kw), (sh, sw), (pt, _, pl, _), (dh, dw) = geom
    ho, wo = idx.shape[2:]
    i, j = np.divmod(idx.astype(np.int64), kw)
    rows = np.arange(ho, dtype=np.int64)[:, None] * sh - pt + i * dh
    cols = np.arange(wo, dtype=np.int64)[None, :] * sw - pl + j * dw
    return rows * w + cols
