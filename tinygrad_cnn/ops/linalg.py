"""Linear-algebra primitives: einsum (normalized equations only), inverse, determinant, solve.

Each backward is written with the same ops, so every order of derivative is available: the
gradient of an einsum is an einsum of the output gradient with the other operands.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ._util import const


class Einsum(Function):
    # for operand k: dL/dx_k = einsum(dy, the other operands -> x_k's subscripts); letters
    # only x_k has are broadcast back, repeated letters (a diagonal) are scattered back
    def forward(self, *xs, inputs=(), output="", sizes=None):
        self.subs, self.out_sub, self.sizes = inputs, output, sizes
        return np.asarray(np.einsum(",".join(inputs) + "->" + output, *xs, optimize=True))

    def backward(self, g):
        return tuple(
            self._grad(k, g) if need else None for k, need in enumerate(self.needs_input_grad)
        )

    def _grad(self, k, g):
        from .movement import IndexAdd

        sub = self.subs[k]
        uniq = "".join(dict.fromkeys(sub))
        others = [self.out_sub] + [s for j, s in enumerate(self.subs) if j != k]
        tensors = [g] + [t for j, t in enumerate(self.inputs) if j != k]
        seen = set("".join(others))
        kept = "".join(c for c in uniq if c in seen)
        gk = Einsum.apply(*tensors, inputs=tuple(others), output=kept, sizes=self.sizes)
        if kept != uniq:  # letters summed inside x_k alone: every element got the same dy
            gk = gk.reshape(tuple(self.sizes[c] if c in kept else 1 for c in uniq))
            gk = gk.expand(tuple(self.sizes[c] for c in uniq))
        if uniq == sub:
            return gk
        # a repeated letter reads a diagonal: scatter the gradient back onto it
        grid = [np.arange(self.sizes[c]) for c in uniq]
        axes = {c: i for i, c in enumerate(uniq)}
        idx = tuple(
            grid[axes[c]].reshape([-1 if i == axes[c] else 1 for i in range(len(uniq))])
            for c in sub
        )
        return IndexAdd.apply(gk, idx=idx, shape=tuple(self.sizes[c] for c in sub))

    def extra_repr(self):
        return f"equation={','.join(self.subs)}->{self.out_sub}"


def _lapack(fn, *arrays, name: str = ""):
    """Run a numpy.linalg routine; float16 (which LAPACK lacks) is computed in float32 and
    stored back as float16. A singular matrix raises RuntimeError naming the op."""
    dtype = arrays[0].dtype
    wide = [a.astype(np.float32) if a.dtype == np.float16 else a for a in arrays]
    try:
        out = np.asarray(fn(*wide))
    except np.linalg.LinAlgError:
        raise RuntimeError(
            f"{name}: the matrix of shape {arrays[0].shape} is singular (not invertible)"
        ) from None
    return out.astype(dtype, copy=False)


class Inverse(Function):
    # d inv(A) = -inv(A) dA inv(A): dL/dA = -inv(A)^T dY inv(A)^T
    def forward(self, a):
        return _lapack(np.linalg.inv, a, name="linalg.inv")

    def backward(self, g):
        y = self.output.mT
        return -(y @ g @ y)


class Det(Function):
    # d det(A) / dA = cofactor matrix of A = det(A) inv(A)^T where A is invertible
    def forward(self, a):
        return _lapack(np.linalg.det, a, name="linalg.det")

    def backward(self, g):
        a = self.inputs[0]
        if a.data.size == 0:  # det of a 0 x 0 matrix is the constant 1
            return const(np.zeros(a.shape, dtype=a.dtype))
        g2 = g.unsqueeze(-1).unsqueeze(-1)
        wide = a.data.astype(np.float32) if a.dtype == np.float16 else a.data
        if a.shape[-1] > 1 and (np.linalg.cond(wide) < 1e8).all():
            return g2 * self.output.unsqueeze(-1).unsqueeze(-1) * Inverse.apply(a).mT
        # NOTE: (nearly) singular: the cofactors, each the determinant of a minor, are exact
        # and differentiable again (through this same backward)
        return g2 * _cofactors(a)


def _cofactors(a):
    """C_ij = (-1)^(i+j) det(A without row i and column j), for a (batch of) n x n matrices."""
    n = a.shape[-1]
    if n == 1:
        return const(np.ones(a.shape, dtype=a.dtype))
    keep = [[k for k in range(n) if k != i] for i in range(n)]
    rows = np.asarray(keep)[:, None, :, None]  # (i, 1, n-1, 1)
    cols = np.asarray(keep)[None, :, None, :]  # (1, j, 1, n-1)
    minors = a[(slice(None),) * (a.ndim - 2) + (rows, cols)]  # (..., n, n, n-1, n-1)
    sign = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
    return Det.apply(minors) * const(sign.astype(a.dtype))


class Solve(Function):
    # X = inv(A) B: dL/dB = solve(A^T, dX), dL/dA = -dL/dB X^T
    def forward(self, a, b):
        return _lapack(np.linalg.solve, a, b, name="linalg.solve")

    def backward(self, g):
        a = self.inputs[0]
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ self.output.mT) if self.needs_input_grad[0] else None
        return ga, gb if self.needs_input_grad[1] else None
