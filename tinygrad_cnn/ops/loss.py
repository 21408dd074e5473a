"""Fused primitives for the classification loss: log_softmax and the negative log-likelihood.

Written as composites they take a dozen ops; fused they are two, with backwards that are still
made of differentiable ops (so second derivatives of a loss work)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function


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


def _pick(x, target, scale, reduce):
    picked = -x[np.arange(x.shape[0]), target] * scale
    return np.asarray(picked.sum() if reduce else picked, dtype=x.dtype)


class PickTargets(Function):
    # y = sum_i -scale_i x[i, t_i] (one value per row without reduction): linear in x, so the
    # gradient scatters g back to the same places (ScatterTargets)
    def forward(self, x, target=None, scale=None, reduce=True):
        self.target, self.scale, self.reduce = target, scale, reduce
        return _pick(x, target, scale, reduce)

    def backward(self, g):
        shape = self.inputs[0].shape
        return ScatterTargets.apply(
            g, target=self.target, scale=self.scale, shape=shape, reduce=self.reduce
        )

    def extra_repr(self):
        return "reduction=" + ("sum/denom" if self.reduce else "none")


class ScatterTargets(Function):
    # table[i, t_i] = -scale_i g (g_i without reduction), 0 elsewhere: linear in g, so its own
    # gradient picks gg at the same places (PickTargets)
    def forward(self, g, target=None, scale=None, shape=None, reduce=True):
        self.target, self.scale, self.reduce = target, scale, reduce
        table = np.zeros(shape, dtype=g.dtype)
        table[np.arange(len(target)), target] = -scale * g
        return table

    def backward(self, gg):
        return PickTargets.apply(gg, target=self.target, scale=self.scale, reduce=self.reduce)


class NLL(PickTargets):
    # loss = sum_i -w_i logp[i, t_i] / denom with w_i = weight[t_i] (0 where t_i is ignored) and
    # denom = sum_i w_i for the mean. The targets become gather indices and scales here, inside
    # the op, so tg.compile replays them with the kernel instead of re-running Python.
    def forward(self, logp, target, weight=None, ignore_index=-100, mean=True, reduce=True):
        t = target.reshape(-1)
        keep = t != ignore_index
        safe_t = np.where(keep, t, 0)
        w_t = weight[safe_t] if weight is not None else np.ones(len(t), logp.dtype)
        w_t = (w_t * keep).astype(logp.dtype, copy=False)
        denom = float(w_t.sum()) if mean else 1.0
        if denom == 0.0:
            denom = math.nan  # every target ignored: PyTorch gives nan too
        return super().forward(logp, target=safe_t, scale=w_t / denom, reduce=reduce)

    def backward(self, g):
        return super().backward(g), None


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
