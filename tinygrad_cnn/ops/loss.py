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
        return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(self, g):
        return g - self.output.exp() * g.sum(self.dim, keepdim=True)

    def extra_repr(self):
        return f"dim={self.dim}"


class NLL(Function):
    # loss = sum_i -w_i logp[i, t_i] / denom: linear in logp, so the gradient is a constant
    # weight table scattered at the targets (and the second derivative is zero)
    def forward(self, logp, target=None, weight=None, denom=1.0, reduce=True):
        self.reduce = reduce
        scale = weight / denom
        self.save_for_backward(target, scale)
        picked = -logp[np.arange(logp.shape[0]), target] * scale
        return np.asarray(picked.sum() if reduce else picked, dtype=logp.dtype)

    def backward(self, g):
        target, scale = (t.data for t in self.saved_tensors)
        table = np.zeros(self.inputs[0].shape, dtype=g.dtype)
        table[np.arange(len(target)), target] = -scale
        if self.reduce:
            return g * const(table)
        return g.reshape(-1, 1) * const(table)

    def extra_repr(self):
        return "reduction=" + ("sum/denom" if self.reduce else "none")


class BinaryCrossEntropy(Function):
    # loss = -(y * max(log p, -100) + (1 - y) * max(log(1 - p), -100)), elementwise; the
    # gradients are PyTorch's: dp = (p - y) / max(p (1 - p), 1e-12) (finite at p = 0 or 1) and
    # dy = log(1 - p) - log p (unclamped there, so +-inf at p = 0 or 1, as PyTorch's)
    def forward(self, p, y):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100.0)
            log_q = np.maximum(np.log1p(-p), -100.0)
        return (-(y * log_p + (1 - y) * log_q)).astype(p.dtype, copy=False)

    def backward(self, g):
        p, y = self.inputs
        gp = gy = None
        if self.needs_input_grad[0]:
            gp = g * (p - y) / (p * (1.0 - p)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                gy = g * ((1.0 - p).log() - p.log())
        return gp, gy
