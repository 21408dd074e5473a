"""Reduction primitives: sum, sum-to-shape (the broadcast-gradient reducer), max, min, prod."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ._util import const


def _keepdim_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Function):
    # d sum(x) = expand(dy): every element gets the gradient of the sum it went into
    def forward(self, x, dims=(), keepdim=False):
        self.in_shape, self.dims, self.keepdim = x.shape, dims, keepdim
        return np.asarray(x.sum(axis=dims, keepdims=keepdim))

    def backward(self, g):
        if not self.keepdim:
            g = g.reshape(_keepdim_shape(self.in_shape, self.dims))
        return g.expand(self.in_shape)

    def extra_repr(self):
        return f"dim={self.dims}"


class SumTo(Function):
    # sum over the broadcast dimensions so the result has `shape`; the inverse of expand
    def forward(self, x, shape=()):
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1
        )
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return np.asarray(out).reshape(shape)

    def backward(self, g):
        return g.expand(self.in_shape)

    def extra_repr(self):
        return f"shape={tuple(self.output.shape)}"


class Max(Function):
    # d max(x) = dy at the arg-max; ties share the gradient evenly
    def forward(self, x, dims=(), keepdim=False):
        out = np.asarray(x.max(axis=dims, keepdims=True))
        self.save_for_backward(out)
        self.dims, self.keepdim = dims, keepdim
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape) if i not in dims])

    def backward(self, g):
        x, (out_kd,) = self.inputs[0], self.saved_tensors
        hit = x.data == out_kd.data
        weight = hit / hit.sum(axis=self.dims, keepdims=True)
        if not self.keepdim:
            g = g.reshape(_keepdim_shape(x.shape, self.dims))
        return g.expand(x.shape) * const(weight.astype(x.dtype))

    def extra_repr(self):
        return f"dim={self.dims}"


class Min(Max):
    # d min(x) = dy at the arg-min; ties share the gradient evenly (exact for every dtype)
    def forward(self, x, dims=(), keepdim=False):
        out = np.asarray(x.min(axis=dims, keepdims=True))
        self.save_for_backward(out)
        self.dims, self.keepdim = dims, keepdim
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape) if i not in dims])


class Prod(Function):
    # d prod(x) / dx_i = prod of the other elements
    def forward(self, x, dims=(), keepdim=False):
        self.dims, self.keepdim = dims, keepdim
        return np.asarray(x.prod(axis=dims, keepdims=keepdim))

    def backward(self, g):
        # the output itself, so out / x differentiates again
        x, out_kd = self.inputs[0], self.output
        if not self.keepdim:
            g = g.reshape(_keepdim_shape(x.shape, self.dims))
            out_kd = out_kd.reshape(_keepdim_shape(x.shape, self.dims))
        g = g.expand(x.shape)
        if (x.data != 0).all():
            return g * out_kd / x  # differentiable, so higher orders work
        # NOTE: with zeros, out / x is 0/0: take the product of the others explicitly
        return g * _prod_of_others(x, self.dims)

    def extra_repr(self):
        return f"dim={self.dims}"


def _prod_of_others(x, dims: tuple[int, ...]):
    """For each element, the product of the other elements of its reduction group, built from
    differentiable ops (a k x k table with ones on the diagonal, multiplied along a row), so
    the second derivative is right at zeros too. O(k^2) memory; only used when x has zeros."""
    from .elementwise import Where

    kept = tuple(i for i in range(x.ndim) if i not in dims)
    rest = tuple(x.shape[i] for i in kept)
    red = tuple(x.shape[i] for i in dims)
    k = int(np.prod(red, dtype=np.int64))
    xm = x.permute(kept + dims).reshape(rest + (k,))
    table = xm.unsqueeze(-2).expand(rest + (k, k))  # table[..., i, j] = x_j
    eye = np.eye(k, dtype=bool)
    masked = Where.apply(eye, const(np.ones((), dtype=x.dtype)), table)
    others = Prod.apply(masked, dims=(len(rest) + 1,), keepdim=False)
    return others.reshape(rest + red).permute(tuple(np.argsort(kept + dims)))
