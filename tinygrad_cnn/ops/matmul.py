"""Matrix product with numpy's semantics for >= 2-D operands (1-D is handled by the caller)."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class MatMul(Function):
    # d(x @ y) = dy-side: g @ y^T for x, x^T @ g for y (batch dims broadcast, then summed back)
    def forward(self, x, y):
        self.save_for_backward(x, y)
        return np.matmul(x, y)

    def backward(self, g):
        x, y = self.saved_tensors
        nx, ny = self.needs_input_grad
        gx = g @ y.transpose(-1, -2) if nx else None
        gy = x.transpose(-1, -2) @ g if ny else None
        return gx, gy
