"""Tensor methods for maths: elementwise ops, activations, reductions and the CNN ops.

A mixin of Tensor (tensor.py), kept in its own file so each stays readable; the primitives it
calls live in ``ops/``, the composites (mean = sum / n, var, logsumexp, ...) are written here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .ops import elementwise as E
from .ops import loss as L
from .ops import reduce as R
from .ops._util import normalize_dims

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class TensorMath:
    """Elementwise, activation, reduction and CNN methods of Tensor."""

    __slots__ = ()

    # -- elementwise ----------------------------------------------------------------------
    def neg(self):
        """Elementwise ``-self``.

        >>> tg.Tensor([1.0, -2.0]).neg().tolist()
        [-1.0, 2.0]
        """
        return -self

    def exp(self):
        """Elementwise e**x.

        >>> tg.Tensor([0.0]).exp().tolist()
        [1.0]
        """
        return E.Exp.apply(self)

    def log(self):
        """Elementwise natural logarithm.

        >>> tg.Tensor([1.0]).log().tolist()
        [0.0]
        """
        return E.Log.apply(self)

    def sqrt(self):
        """Elementwise square root.

        >>> tg.Tensor([4.0, 9.0]).sqrt().tolist()
        [2.0, 3.0]
        """
        return E.Sqrt.apply(self)

    def abs(self):
        """Elementwise absolute value.

        >>> tg.Tensor([-1.5, 2.0]).abs().tolist()
        [1.5, 2.0]
        """
        return E.Abs.apply(self)

    def reciprocal(self):
        """Elementwise ``1 / x``.

        >>> tg.Tensor([2.0, 4.0]).reciprocal().tolist()
        [0.5, 0.25]
        """
        return 1.0 / self

    def square(self):
        """Elementwise ``x ** 2``.

        >>> tg.Tensor([3.0]).square().tolist()
        [9.0]
        """
        return self * self

    def erf(self):
        """Elementwise error function.

        >>> tg.Tensor([0.0]).erf().tolist()
        [0.0]
        """
        return E.Erf.apply(self)

    def sign(self):
        """Elementwise sign (-1, 0 or 1); its gradient is zero.

        >>> tg.Tensor([-2.0, 0.0, 3.0]).sign().tolist()
        [-1.0, 0.0, 1.0]
        """
        return self._wrap(np.sign(self.data), False)

    def maximum(self, other):
        """Elementwise maximum of two tensors (ties split the gradient).

        >>> tg.Tensor([1.0, 5.0]).maximum(tg.Tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
        """
        return self._binary(E.Maximum, other, "maximum")

    def minimum(self, other):
        """Elementwise minimum of two tensors (ties split the gradient).

        >>> tg.Tensor([1.0, 5.0]).minimum(tg.Tensor([3.0, 2.0])).tolist()
        [1.0, 2.0]
        """
        return self._binary(E.Minimum, other, "minimum")

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit every element to [min, max] (either bound may be None); ``clip`` is the same.

        >>> tg.Tensor([-2.0, 0.5, 3.0]).clamp(-1, 1).tolist()
        [-1.0, 0.5, 1.0]
        """
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return E.Clamp.apply(self, min=min, max=max)

    clip = clamp

    # activations
    def relu(self):
        """max(x, 0), elementwise.

        >>> tg.Tensor([-1.0, 2.0]).relu().tolist()
        [0.0, 2.0]
        """
        return E.Relu.apply(self)

    def sigmoid(self):
        """1 / (1 + exp(-x)), elementwise.

        >>> tg.Tensor([0.0]).sigmoid().tolist()
        [0.5]
        """
        return E.Sigmoid.apply(self)

    def tanh(self):
        """Hyperbolic tangent, elementwise.

        >>> tg.Tensor([0.0]).tanh().tolist()
        [0.0]
        """
        return E.Tanh.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x where x > 0, else negative_slope * x.

        >>> tg.Tensor([-10.0, 2.0]).leaky_relu(0.1).tolist()
        [-1.0, 2.0]
        """
        return E.Where.apply(self.data > 0, self, self * negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x where x > 0, else alpha * (exp(x) - 1).

        >>> tg.Tensor([0.0, 2.0]).elu().tolist()
        [0.0, 2.0]
        """
        # NOTE: exp of min(x, 0), so the unused branch never overflows into a NaN gradient
        neg = (self.minimum(0.0).exp() - 1.0) * alpha
        return E.Where.apply(self.data > 0, self, neg)

    def gelu(self) -> Tensor:
        """x * Phi(x), with Phi the standard normal CDF (exact, erf form).

        >>> tg.Tensor([0.0]).gelu().tolist()
        [0.0]
        """
        return self * 0.5 * (1.0 + (self * (1.0 / math.sqrt(2.0))).erf())

    def silu(self) -> Tensor:
        """x * sigmoid(x) (swish).

        >>> tg.Tensor([0.0]).silu().tolist()
        [0.0]
        """
        return self * self.sigmoid()

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + exp(beta x)) / beta, linear above ``threshold`` for stability.

        >>> round(tg.Tensor([0.0]).softplus().item(), 4)
        0.6931
        """
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): finite for any z
        z = self * beta if beta != 1.0 else self
        soft = z.relu() + ((-z.abs()).exp() + 1.0).log()
        out = soft / beta if beta != 1.0 else soft
        return E.Where.apply(z.data > threshold, self, out)

    # -- reductions -----------------------------------------------------------------------
    def _dims(self, dim: Any, axis: Any, name: str) -> tuple[int, ...]:
        return normalize_dims(dim if axis is None else axis, self.ndim, name)

    def sum(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Sum over ``dim`` (an int, a tuple or None for all); ``axis`` is an alias."""
        return R.Sum.apply(self, dims=self._dims(dim, axis, "sum"), keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Mean over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(1).tolist()
        [1.5, 3.5]
        """
        dims = self._dims(dim, axis, "mean")
        n = math.prod(self.shape[d] for d in dims)
        if self.dtype.kind != "f":
            return self.float().mean(dims, keepdim)
        return R.Sum.apply(self, dims=dims, keepdim=keepdim) * (1.0 / max(n, 1))

    def prod(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Product over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1).tolist()
        [2.0, 12.0]
        """
        return R.Prod.apply(self, dims=self._dims(dim, axis, "prod"), keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Largest values over ``dim``; ties share the gradient evenly."""
        dims = self._dims(dim, axis, "max")
        if self.data.size == 0:
            raise ValueError(f"max: cannot reduce an empty tensor of shape {self.shape}")
        return R.Max.apply(self, dims=dims, keepdim=keepdim)

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

    def std(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None, axis=None
    ) -> Tensor:
        """Standard deviation over ``dim``, with Bessel's correction by default (``correction=1``).

        >>> tg.Tensor([1.0, 3.0]).std().item()
        1.414...
        """
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased, axis=axis).sqrt()

    def logsumexp(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """log(sum(exp(x))) computed stably: the max is subtracted first."""
        dims = self._dims(dim, axis, "logsumexp")
        m = self._wrap(self.data.max(axis=dims, keepdims=True), False)
        m = self._wrap(np.where(np.isfinite(m.data), m.data, 0).astype(self.dtype), False)
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def softmax(self, dim: int = -1, *, axis=None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``dim``, computed stably.

        >>> tg.Tensor([0.0, 0.0]).softmax().tolist()
        [0.5, 0.5]
        """
        return self.log_softmax(dim, axis=axis).exp()

    def log_softmax(self, dim: int = -1, *, axis=None) -> Tensor:
        """log(softmax(x)) along ``dim``, computed stably.

        >>> tg.Tensor([0.0, 0.0]).log_softmax().exp().tolist()
        [0.5, 0.5]
        """
        (d,) = self._dims(dim, axis, "log_softmax")
        return L.LogSoftmax.apply(self, dim=d)

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the maximum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1).tolist()
        [1, 0]
        """
        d = dim if axis is None else axis
        return self._wrap(np.asarray(self.data.argmax(axis=d, keepdims=keepdim)), False)

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the minimum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(1).tolist()
        [0, 1]
        """
        d = dim if axis is None else axis
        return self._wrap(np.asarray(self.data.argmin(axis=d, keepdims=keepdim)), False)

    def all(self, dim=None) -> Tensor:
        """True where every element (along ``dim``) is non-zero.

        >>> tg.Tensor([1.0, 0.0]).all().item()
        False
        """
        return self._wrap(np.asarray(self.data.all(axis=dim)), False)

    def any(self, dim=None) -> Tensor:
        """True where some element (along ``dim``) is non-zero.

        >>> tg.Tensor([1.0, 0.0]).any().item()
        True
        """
        return self._wrap(np.asarray(self.data.any(axis=dim)), False)

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

    # -- CNN ops (thin delegations to nn.functional, which validates the arguments) --------
    def conv2d(self, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
        """``F.conv2d(self, ...)``: 2-D convolution, weight (out, in/groups, kh, kw)."""
        from .nn import functional as F

        return F.conv2d(self, weight, bias, stride, padding, dilation, groups)

    def conv_transpose2d(
        self, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ) -> Tensor:
        """``F.conv_transpose2d(self, ...)``, weight (in, out/groups, kh, kw)."""
        from .nn import functional as F

        return F.conv_transpose2d(
            self, weight, bias, stride, padding, output_padding, groups, dilation
        )

    def max_pool2d(
        self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
    ):
        """``F.max_pool2d(self, ...)``."""
        from .nn import functional as F

        return F.max_pool2d(self, kernel_size, stride, padding, dilation, ceil_mode, return_indices)

    def avg_pool2d(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ) -> Tensor:
        """``F.avg_pool2d(self, ...)``."""
        from .nn import functional as F

        return F.avg_pool2d(self, kernel_size, stride, padding, ceil_mode, count_include_pad)

    def adaptive_avg_pool2d(self, output_size) -> Tensor:
        """``F.adaptive_avg_pool2d(self, output_size)``."""
        from .nn import functional as F

        return F.adaptive_avg_pool2d(self, output_size)

    def batch_norm(
        self,
        running_mean,
        running_var,
        weight=None,
        bias=None,
        training=False,
        momentum=0.1,
        eps=1e-5,
    ) -> Tensor:
        """``F.batch_norm(self, ...)``."""
        from .nn import functional as F

        return F.batch_norm(self, running_mean, running_var, weight, bias, training, momentum, eps)

    def dropout(self, p: float = 0.5, training: bool = True) -> Tensor:
        """``F.dropout(self, p, training)``."""
        from .nn import functional as F

        return F.dropout(self, p, training)

    def unfold(self, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
        """``F.unfold(self, ...)`` (im2col). NOTE: not torch.Tensor.unfold(dim, size, step)."""
        from .nn import functional as F

        return F.unfold(self, kernel_size, dilation, padding, stride)

    def fold(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
        """``F.fold(self, ...)`` (col2im)."""
        from .nn import functional as F

        return F.fold(self, output_size, kernel_size, dilation, padding, stride)
