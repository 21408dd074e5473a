"""Sliding-window primitives and the convolutions built on them.

``Im2Col`` (unfold) copies every kernel-offset view of a padded NCHW input into one column
matrix; ``Col2Im`` (fold) adds columns back into an image. Each is the other's gradient, so the
derivatives close over the pair and any order of derivative works.

conv2d and conv_transpose2d are compositions: im2col plus ONE matrix product per convolution
(batched over groups). conv2d's product is ``ColumnMatMul`` (the bias added in place), whose
backward takes the weight gradient ``g @ cols^T`` from the very columns forward built and the
column gradient ``w^T @ g``, which Im2Col's backward folds back with kh*kw strided slice-adds.

Layout: images are stored batch-last, ``(C, H, W, N)`` in memory behind an NCHW view (numpy
transposes are free). Every window slice then has the batch as a contiguous inner axis, so the
im2col copy, the col2im slice-adds and the pooling slices run long vectorized loops. Columns
are ``(C, kh, kw, Ho, Wo, N)``, i.e. a ``(C*kh*kw, Ho*Wo*N)`` matrix, so the product is one GEMM
whose ``(O, Ho, Wo, N)`` result is again a batch-last image.

Geometry arguments: ``kernel=(kh, kw)``, ``stride=(sh, sw)``, ``pads=(top, bottom, left, right)``,
``dilation=(dh, dw)``; all validated by ``nn.functional`` before they get here.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .matmul import MatMul


def out_size(size: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    """Number of window positions along one axis."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def is_batch_last(x: np.ndarray) -> bool:
    """True when an NCHW array is stored as a contiguous (C, H, W, N) block."""
    return x.transpose(1, 2, 3, 0).flags.c_contiguous


def batch_last(shape, dtype, fill: float | None = 0.0) -> np.ndarray:
    """A new NCHW array of ``shape`` stored batch-last (filled, or empty if fill is None)."""
    n, c, h, w = shape
    if fill is None:
        buf = np.empty((c, h, w, n), dtype)
    elif fill == 0:
        buf = np.zeros((c, h, w, n), dtype)
    else:
        buf = np.full((c, h, w, n), fill, dtype)
    return buf.transpose(3, 0, 1, 2)


def pad_hw(
    x: np.ndarray, pads: tuple[int, int, int, int], value: float = 0.0, relayout: bool = True
) -> np.ndarray:
    """Pad H and W into batch-last storage; without padding, x itself if it is batch-last
    already (or if ``relayout`` is False), else a batch-last copy."""
    pt, pb, pl, pr = pads
    if not (pt or pb or pl or pr) and (not relayout or is_batch_last(x)):
        return x
    n, c, h, w = x.shape
    padded = pt or pb or pl or pr
    out = batch_last((n, c, h + pt + pb, w + pl + pr), x.dtype, value if padded else None)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out


def window_slice(i: int, j: int, grid, stride, dilation) -> tuple[slice, ...]:
    """The strided slice of a padded input that kernel offset (i, j) sees at every position."""
    (ho, wo), (sh, sw), (dh, dw) = grid, stride, dilation
    return (
        slice(None),
        slice(None),
        slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (wo - 1) + 1, sw),
    )


def im2col(x, kernel, stride, pads, dilation, grid=None) -> np.ndarray:
    """(N, C, H, W) -> contiguous columns (C, kh, kw, Ho, Wo, N), one as_strided copy."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    xp = pad_hw(x, pads)
    n, c, hp, wp = xp.shape
    if grid is None:
        grid = (out_size(hp, kh, sh, 0, 0, dh), out_size(wp, kw, sw, 0, 0, dw))
    ho, wo = grid
    s_n, s_c, s_h, s_w = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp,
        (c, kh, kw, ho, wo, n),
        (s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw, s_n),
        writeable=False,
    )
    return np.ascontiguousarray(view)


def col2im(cols, size, stride, pads, dilation) -> np.ndarray:
    """Columns (C, kh, kw, Ho, Wo, N) -> (N, C, H, W): kh*kw strided slice-adds."""
    c, kh, kw, ho, wo, n = cols.shape
    (h, w), (pt, pb, pl, pr) = size, pads
    out = np.zeros((c, h + pt + pb, w + pl + pr, n), dtype=cols.dtype)
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            cols_ = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            out[:, rows, cols_] += cols[:, i, j]
    return out[:, pt : pt + h, pl : pl + w].transpose(3, 0, 1, 2)


class Im2Col(Function):
    # unfold: cols[c, i, j, y, x, n] = xpad[n, c, y*s + i*d, x*s + j*d]; its gradient is fold
    def forward(
        self, x, kernel=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), grid=None
    ):
        self.size, self.geom = x.shape[2:], (stride, pads, dilation)
        return im2col(x, kernel, stride, pads, dilation, grid)

    def backward(self, g):
        stride, pads, dilation = self.geom
        return Col2Im.apply(g, size=self.size, stride=stride, pads=pads, dilation=dilation)

    def extra_repr(self):
        stride, pads, dilation = self.geom
        return f"stride={stride}, pads={pads}, dilation={dilation}"


class Col2Im(Function):
    # fold: the adjoint of unfold (overlapping windows add up); its gradient is unfold
    def forward(self, cols, size=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1)):
        self.kernel, self.grid = cols.shape[1:3], cols.shape[3:5]
        self.geom = (stride, pads, dilation)
        return col2im(cols, size, stride, pads, dilation)

    def backward(self, g):
        stride, pads, dilation = self.geom
        return Im2Col.apply(
            g, kernel=self.kernel, stride=stride, pads=pads, dilation=dilation, grid=self.grid
        )

    def extra_repr(self):
        stride, pads, dilation = self.geom
        return f"stride={stride}, pads={pads}, dilation={dilation}"


class ColumnMatMul(Function):
    # a @ cols (+ bias, added in place: one output buffer). d = (g @ cols^T, a^T @ g, g);
    # the engine sums the bias's g down to its broadcast shape.
    def forward(self, a, cols, bias=None):
        self.save_for_backward(a, cols)
        out = np.matmul(a, cols)
        if bias is not None:
            out += bias
        return out

    def backward(self, g):
        a, cols = self.saved_tensors
        na, nc, nbias = self.needs_input_grad
        gt = g.transpose(-1, -2)
        # NOTE: measured with OpenBLAS: (cols @ g^T)^T is 2-5x faster than g @ cols^T (the long
        # N*Ho*Wo axis as the inner one of a wide product is slow), and a^T copied to C order
        # beats the transposed view for a^T @ g when a has few rows
        ga = (cols @ gt).transpose(-1, -2) if na else None
        gc = Contiguous.apply(a.transpose(-1, -2)) @ g if nc else None
        return ga, gc, (g if nbias else None)


class BatchLast(Function):
    # an NCHW array copied into batch-last (C, H, W, N) storage; the identity for gradients
    def forward(self, x):
        out = batch_last(x.shape, x.dtype, None)
        out[...] = x
        return out

    def backward(self, g):
        return g


class Contiguous(Function):
    # a C-ordered copy (a layout choice for BLAS); the identity for gradients
    def forward(self, x):
        return np.ascontiguousarray(x)

    def backward(self, g):
        return g


def conv2d(x, w, b, stride, pads, dilation, groups):
    """x (N, C, H, W) * w (O, C/groups, kh, kw) -> (N, O, Ho, Wo): unfold, then one GEMM."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    cols = Im2Col.apply(x, kernel=(kh, kw), stride=stride, pads=pads, dilation=dilation)
    ho, wo = cols.shape[3:5]
    k, length = cg * kh * kw, n * ho * wo
    g = groups
    wm = w.reshape(o, k) if g == 1 else w.reshape(g, o // g, k)
    cm = cols.reshape(k, length) if g == 1 else cols.reshape(g, k, length)
    if b is not None:
        b = b.reshape(o, 1) if g == 1 else b.reshape(g, o // g, 1)
    out = ColumnMatMul.apply(wm, cm, b)
    return out.reshape(o, ho, wo, n).permute(3, 0, 1, 2)


def conv_transpose2d(x, w, b, stride, pads, dilation, groups, size):
    """x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw) -> (N, Cout, *size): GEMM, then fold."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    g = groups
    xm = x.permute(1, 2, 3, 0).reshape(g, cin // g, h * wd * n)
    wm = w.reshape(g, cin // g, og * kh * kw).permute(0, 2, 1)
    cols = MatMul.apply(wm, xm).reshape(og * g, kh, kw, h, wd, n)
    out = Col2Im.apply(cols, size=size, stride=stride, pads=pads, dilation=dilation)
    if b is not None:
        out = out + b.reshape(1, og * g, 1, 1)
    return out
