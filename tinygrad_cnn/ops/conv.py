"""Sliding-window primitives over 1, 2 or 3 spatial dims: im2col, col2im and the column GEMM.

``Im2Col`` (unfold) copies every kernel-offset view of a padded (N, C, *spatial) input into
one column array; ``Col2Im`` (fold) adds columns back into an image. Each is the other's
gradient, so the derivatives close over the pair and any order of derivative works. The
geometry of both is one ``Window`` (ops/window.py); the layouts (batch-last images, columns
``(C, *kernel, *grid, N)``) are described in ops/layout.py.

``ColumnMatMul`` is a convolution's ONE matrix product (batched over groups), the bias added
in place; its backward takes the weight gradient from the very columns forward built and the
column gradient ``w^T @ g``, which Im2Col's backward folds back with prod(kernel) strided
slice-adds. The convolutions themselves are compositions in ``nn.functional``.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .layout import Contiguous, pad_spatial
from .window import Window


def im2col(x: np.ndarray, win: Window) -> np.ndarray:
    """(N, C, *size) -> contiguous columns (C, *kernel, *grid, N), one as_strided copy."""
    xp = pad_spatial(x, win.pad_lo, win.pad_hi)
    n, c = xp.shape[:2]
    s_n, s_c, *s_sp = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp,
        (c,) + win.kernel + win.grid + (n,),
        (s_c,)
        + tuple(s * d for s, d in zip(s_sp, win.dilation))
        + tuple(s * t for s, t in zip(s_sp, win.stride))
        + (s_n,),
        writeable=False,
    )
    return np.ascontiguousarray(view)


def col2im(cols: np.ndarray, win: Window) -> np.ndarray:
    """Columns (C, *kernel, *grid, N) -> (N, C, *size): prod(kernel) strided slice-adds."""
    c, n = cols.shape[0], cols.shape[-1]
    out = np.zeros((c,) + win.padded + (n,), dtype=cols.dtype)
    for _, offset, sl in win.taps:
        out[(slice(None),) + sl] += cols[(slice(None),) + offset]
    out = out[(slice(None),) + win.crop()]
    return out.transpose((out.ndim - 1,) + tuple(range(out.ndim - 1)))


class Im2Col(Function):
    # unfold: cols[c, *o, *p, n] = xpad[n, c, *(p*s + o*d)]; its gradient is fold
    def forward(self, x, window=None):
        self.window = window
        return im2col(x, window)

    def backward(self, g):
        return Col2Im.apply(g, window=self.window)

    def extra_repr(self):
        return self.window.extra_repr()


class Col2Im(Function):
    # fold: the adjoint of unfold (overlapping windows add up); its gradient is unfold
    def forward(self, cols, window=None):
        self.window = window
        return col2im(cols, window)

    def backward(self, g):
        return Im2Col.apply(g, window=self.window)

    def extra_repr(self):
        return self.window.extra_repr()


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
