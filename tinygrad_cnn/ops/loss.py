"""Fused primitives for the classification loss: log_softmax and the negative log-likelihood.

Written as composites they take a dozen ops; fused they are two, with backwards that are still
made of differentiable ops (so second derivatives of a loss work)."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ._util import const


class LogSoftmax(Function):
    # y = x - logsumexp(x); dx = g - softmax(x) * sum(g), with softmax(x) = exp(y)
    def forward(self, x, dim=-1):
        self.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g - out.exp() * g.sum(self.dim, keepdim=True)

    def extra_repr(self):
        return f"dim={self.dim}"


class NLL(Function):
    # loss = sum_i -w_i logp[i, t_i] / denom: linear in logp, so the gradient is a constant
    # weight table scattered at the targets (and the second derivative is zero)
    def forward(self, logp, target=None, weight=None, denom=1.0, reduce=True):
        n = logp.shape[0]
        self.reduce = reduce
        rows = np.arange(n)
        self.scatter = (rows, target, weight / denom, logp.shape, reduce)
        picked = -logp[rows, target] * weight
        return np.asarray(picked.sum() / denom if reduce else picked / denom, dtype=logp.dtype)

    def backward(self, g):
        rows, target, scale, shape, reduce = self.scatter
        table = np.zeros(shape, dtype=g.dtype)
        table[rows, target] = -scale
        if reduce:
            return g * const(table)
        return g.reshape(-1, 1) * const(table)

    def extra_repr(self):
        return "reduction=" + ("sum/denom" if self.reduce else "none")

    def _release(self):
        self.__dict__.pop("scatter", None)
        super()._release()
