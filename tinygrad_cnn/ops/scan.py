"""Scan primitives along one dimension: cumulative sum and cumulative product."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ._util import const


class CumSum(Function):
    # d cumsum(x)_i / dx_k = [k <= i]: the gradient is the reversed cumulative sum of dy
    def forward(self, x, dim=0):
        self.dim = dim
        return np.cumsum(x, axis=dim)

    def backward(self, g):
        from .movement import Flip

        flipped = Flip.apply(g, dims=(self.dim,))
        return Flip.apply(CumSum.apply(flipped, dim=self.dim), dims=(self.dim,))

    def extra_repr(self):
        return f"dim={self.dim}"


class CumProd(Function):
    # d cumprod(x)_i / dx_k = [k <= i] prod_{j <= i, j != k} x_j
    def forward(self, x, dim=0):
        self.dim = dim
        return np.cumprod(x, axis=dim)

    def backward(self, g):
        x, out, d = self.inputs[0], self.output, self.dim
        if (x.data != 0).all():  # sum_{i >= k} dy_i y_i / x_k, differentiable again
            return _reverse_cumsum(g * out, d) / x
        # NOTE: with zeros, y / x is 0/0: use the product of the others in each prefix
        # explicitly (O(n^3) memory along dim, only when x has zeros)
        return _cumprod_grad_with_zeros(x, g, d)

    def extra_repr(self):
        return f"dim={self.dim}"


def _reverse_cumsum(t, dim: int):
    from .movement import Flip

    return Flip.apply(CumSum.apply(Flip.apply(t, dims=(dim,)), dim=dim), dims=(dim,))


def _cumprod_grad_with_zeros(x, g, dim: int):
    """grad_k = sum_i [k <= i] g_i prod_{j <= i, j != k} x_j, from a prefix table whose
    entries past i are 1, so each product of others comes from the Prod primitive (exact at
    zeros, to every order)."""
    from .elementwise import Where
    from .reduce import _prod_of_others

    n = x.shape[dim]
    xm = x.movedim(dim, -1)
    gm = g.movedim(dim, -1)
    lead = xm.shape[:-1]
    table = xm.unsqueeze(-2).expand(lead + (n, n))  # table[..., i, j] = x_j
    past = ~np.tril(np.ones((n, n), dtype=bool))  # j > i
    ones = const(np.ones((), dtype=x.dtype))
    prefix = Where.apply(past, ones, table)
    others = _prod_of_others(prefix, (prefix.ndim - 1,))  # [..., i, k]
    zero = const(np.zeros((), dtype=x.dtype))
    terms = Where.apply(past, zero, others * gm.unsqueeze(-1))
    return terms.sum(-2).movedim(-1, dim)
