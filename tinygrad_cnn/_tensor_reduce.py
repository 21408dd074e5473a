"""Tensor methods that reduce over dimensions: sum, mean, max, var, logsumexp, softmax, argmax.

A mixin of Tensor (tensor.py); the primitives are in ``ops/reduce.py`` and ``ops/loss.py``,
the composites (mean = sum / n, var, logsumexp, softmax, ...) are written here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import composite
from .ops import loss, reduce
from .ops._util import const, normalize_dims

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class ReduceMethods:
    """Reductions of Tensor."""

    __slots__ = ()

    # -- reductions -----------------------------------------------------------------------
    def _dims(self, dim: Any, axis: Any, name: str) -> tuple[int, ...]:
        return normalize_dims(dim if axis is None else axis, self.ndim, name)

    def sum(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Sum over ``dim`` (an int, a tuple or None for all); ``axis`` is an alias."""
        return reduce.Sum.apply(self, dims=self._dims(dim, axis, "sum"), keepdim=keepdim)

    @composite("mean")
    def mean(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Mean over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(1).tolist()
        [1.5, 3.5]
        """
        dims = self._dims(dim, axis, "mean")
        n = math.prod(self.shape[d] for d in dims)
        if self.dtype.kind != "f":
            return self.float().mean(dims, keepdim)
        return reduce.Sum.apply(self, dims=dims, keepdim=keepdim) * (1.0 / max(n, 1))

    def prod(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Product over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1).tolist()
        [2.0, 12.0]
        """
        return reduce.Prod.apply(self, dims=self._dims(dim, axis, "prod"), keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Largest values over ``dim``; ties share the gradient evenly."""
        dims = self._dims(dim, axis, "max")
        if self.data.size == 0:
            raise ValueError(f"max: cannot reduce an empty tensor of shape {self.shape}")
        return reduce.Max.apply(self, dims=dims, keepdim=keepdim)

    @composite("min")
    def min(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Minimum over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).min(1).tolist()
        [1.0, 0.0]
        """
        return -((-self).max(dim, keepdim, axis=axis))

    def amax(self, dim=None, keepdim: bool = False):
        """Maximum over ``dim`` (as ``max``).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).amax(0).tolist()
        [3.0, 2.0]
        """
        return self.max(dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        """Minimum over ``dim`` (as ``min``).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).amin(0).tolist()
        [1.0, 0.0]
        """
        return self.min(dim, keepdim)

    @composite("var")
    def var(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None, axis=None
    ) -> Tensor:
        """Variance; ``correction=1`` (the default, as PyTorch) divides by n - 1."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        dims = self._dims(dim, axis, "var")
        n = math.prod(self.shape[d] for d in dims)
        centered = self - self.mean(dims, keepdim=True)
        scale = 1.0 / (n - correction) if n > correction else math.nan
        return (centered * centered).sum(dims, keepdim) * scale

    @composite("std")
    def std(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None, axis=None
    ) -> Tensor:
        """Standard deviation over ``dim``, with Bessel's correction by default (``correction=1``).

        >>> tg.Tensor([1.0, 3.0]).std().item()
        1.414...
        """
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased, axis=axis).sqrt()

    @composite("logsumexp")
    def logsumexp(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """log(sum(exp(x))) computed stably: the max is subtracted first."""
        dims = self._dims(dim, axis, "logsumexp")
        m = const(self.data.max(axis=dims, keepdims=True))
        m = const(np.where(np.isfinite(m.data), m.data, 0).astype(self.dtype))
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    @composite("softmax")
    def softmax(self, dim: int = -1, *, axis=None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``dim``, computed stably.

        >>> tg.Tensor([0.0, 0.0]).softmax().tolist()
        [0.5, 0.5]
        >>> tg.Tensor([[1000.0, 1000.0]]).softmax(dim=1).tolist()
        [[0.5, 0.5]]
        """
        return self.log_softmax(dim, axis=axis).exp()

    def log_softmax(self, dim: int = -1, *, axis=None) -> Tensor:
        """log(softmax(x)) along ``dim``, computed stably.

        >>> tg.Tensor([0.0, 0.0]).log_softmax().exp().tolist()
        [0.5, 0.5]
        >>> p = tg.Tensor([[1.0, 2.0, 3.0]]).log_softmax(dim=1)
        >>> round(float(p.exp().sum().item()), 5)
        1.0
        """
        (d,) = self._dims(dim, axis, "log_softmax")
        return loss.LogSoftmax.apply(self, dim=d)

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the maximum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1).tolist()
        [1, 0]
        """
        d = dim if axis is None else axis
        return const(np.asarray(self.data.argmax(axis=d, keepdims=keepdim)))

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the minimum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(1).tolist()
        [0, 1]
        """
        d = dim if axis is None else axis
        return const(np.asarray(self.data.argmin(axis=d, keepdims=keepdim)))

    def all(self, dim=None) -> Tensor:
        """True where every element (along ``dim``) is non-zero.

        >>> tg.Tensor([1.0, 0.0]).all().item()
        False
        """
        return const(np.asarray(self.data.all(axis=dim)))

    def any(self, dim=None) -> Tensor:
        """True where some element (along ``dim``) is non-zero.

        >>> tg.Tensor([1.0, 0.0]).any().item()
        True
        """
        return const(np.asarray(self.data.any(axis=dim)))

    @composite("norm")
    def norm(self, p: float = 2, dim=None, keepdim: bool = False) -> Tensor:
        """The p-norm over ``dim`` (all elements by default).

        >>> tg.Tensor([3.0, 4.0]).norm().item()
        5.0
        """
        if p == 2:
            return (self * self).sum(dim, keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)
