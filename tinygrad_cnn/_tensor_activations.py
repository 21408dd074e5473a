"""Tensor methods for the activations beyond relu/sigmoid/tanh/gelu/silu/elu/softplus: celu,
selu, relu6, hardtanh, hardswish, hardsigmoid, mish, softsign, logsigmoid, softmin, glu, prelu,
rrelu and the shrink/threshold family. Each is a composite of existing ops (so it differentiates
to any order) and is also ``F.<name>`` and an ``nn`` Module.

Where PyTorch's gradient at a boundary differs from the composition's, the mask is written out
(hardtanh, hardsigmoid and hardswish take the outer branch's slope at their clip points).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import random
from ._errors import guard_methods
from ._tensor_math_funcs import reals, truth_value
from .autograd import composite
from .ops._util import const, normalize_dims
from .ops.elementwise import Where

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class ActivationMethods:
    """Activation functions as Tensor methods (their ``F`` forms are these methods)."""

    __slots__ = ()

    def _masked(self, keep: np.ndarray, value: Any, other: Any) -> Tensor:
        """``value`` where ``keep``, else ``other`` (arrays become constants)."""
        value, other = (
            const(np.asarray(v, dtype=self.dtype)) if isinstance(v, np.ndarray) else v
            for v in (value, other)
        )
        return Where.apply(keep, value, other)

    def _nonpositive_part(self) -> Tensor:
        """x where x <= 0, else 0; the gradient at 0 is 1 (PyTorch's side for elu and celu)."""
        return self._masked(self.data > 0, np.zeros((), self.dtype), self)

    @composite("celu")
    def celu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, else alpha * (exp(x / alpha) - 1).

        >>> tg.Tensor([2.0, 0.0]).celu().tolist(), round(tg.Tensor([-1.0]).celu(2.0).item(), 4)
        ([2.0, 0.0], -0.7869)
        """
        (alpha,) = reals("celu", alpha=alpha)
        if alpha == 0:
            raise ValueError("celu: alpha must be nonzero (it divides x), got 0")
        x = self._activation_input("celu")
        neg = ((x._nonpositive_part() * (1.0 / alpha)).exp() - 1.0) * alpha
        return Where.apply(x.data > 0, x, neg)

    @composite("selu")
    def selu(self) -> Tensor:
        """scale * elu(x, alpha) with PyTorch's constants (alpha ~ 1.6733, scale ~ 1.0507).

        >>> round(tg.Tensor([1.0]).selu().item(), 4), round(tg.Tensor([-1.0]).selu().item(), 4)
        (1.0507, -1.1113)
        """
        return self._activation_input("selu").elu(_SELU_ALPHA) * _SELU_SCALE

    @composite("hardtanh")
    def hardtanh(self, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
        """x clipped to [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere.

        >>> tg.Tensor([-2.0, 0.5, 3.0]).hardtanh().tolist()
        [-1.0, 0.5, 1.0]
        """
        lo, hi = reals("hardtanh", min_val=min_val, max_val=max_val)
        if lo > hi:
            raise ValueError(f"hardtanh: min_val ({lo}) must be <= max_val ({hi})")
        t = self._activation_input("hardtanh")
        x = t.data
        return t._masked((x > lo) & (x < hi), t, np.clip(x, lo, hi))

    def relu6(self) -> Tensor:
        """min(max(x, 0), 6) (hardtanh(x, 0, 6)).

        >>> tg.Tensor([-1.0, 3.0, 8.0]).relu6().tolist()
        [0.0, 3.0, 6.0]
        """
        return self._activation_input("relu6").hardtanh(0.0, 6.0)

    @composite("hardsigmoid")
    def hardsigmoid(self) -> Tensor:
        """0 for x <= -3, 1 for x >= 3, else x / 6 + 1/2.

        >>> tg.Tensor([-4.0, 0.0, 4.0]).hardsigmoid().tolist()
        [0.0, 0.5, 1.0]
        """
        t = self._activation_input("hardsigmoid")
        x = t.data
        return t._masked((x > -3) & (x < 3), t / 6.0 + 0.5, (x >= 3).astype(t.dtype))

    @composite("hardswish")
    def hardswish(self) -> Tensor:
        """x * hardsigmoid(x): 0 for x < -3, x for x > 3, else x (x + 3) / 6.

        >>> tg.Tensor([-4.0, 0.0, 1.0, 4.0]).hardswish().tolist()
        [-0.0, 0.0, 0.6667, 4.0]
        """
        t = self._activation_input("hardswish")
        x = t.data
        mid = t._masked(x < 3, t * (t + 3.0) / 6.0, t)
        return t._masked(x > -3, mid, np.zeros_like(x))

    @composite("mish")
    def mish(self) -> Tensor:
        """x * tanh(softplus(x)).

        >>> round(tg.Tensor([1.0]).mish().item(), 4)
        0.8651
        """
        x = self._activation_input("mish")
        return x * x.softplus().tanh()

    @composite("softsign")
    def softsign(self) -> Tensor:
        """x / (1 + |x|).

        >>> tg.Tensor([1.0, -3.0]).softsign().tolist()
        [0.5, -0.75]
        """
        x = self._activation_input("softsign")
        return x / (x.abs() + 1.0)

    @composite("logsigmoid")
    def logsigmoid(self) -> Tensor:
        """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), finite for any x.

        >>> tg.Tensor([-1000.0]).logsigmoid().tolist()
        [-1000.0]
        """
        # NOTE: written with masks, not min and abs, so x == 0 gets the exact first and second
        # derivatives (abs's zero slope at 0 would lose the second one)
        x = self._activation_input("logsigmoid")
        neg = x.data < 0
        minus_abs = x._masked(neg, x, -x)
        return x._masked(neg, x, np.zeros((), x.dtype)) - minus_abs.exp().log1p()

    @composite("softmin")
    def softmin(self, dim: int | None = None, dtype: Any = None) -> Tensor:
        """softmax(-x) along ``dim`` (with ``dim=None``, PyTorch's implicit choice: 0 for 0-, 1-
        and 3-d input, else 1), computed in ``dtype`` if given.

        >>> tg.Tensor([[0.0, 0.0]]).softmin(dim=1).tolist()
        [[0.5, 0.5]]
        """
        x = self.astype(dtype) if dtype is not None else self
        if dim is None:
            dim = 0 if x.ndim in (0, 1, 3) else 1
        return (-x).softmax(dim)

    @composite("glu")
    def glu(self, dim: int = -1) -> Tensor:
        """Gated linear unit: a * sigmoid(b), with a and b the two halves of ``dim``.

        >>> tg.Tensor([[1.0, 2.0, 0.0, 0.0]]).glu().tolist()
        [[0.5, 1.0]]
        """
        if self.ndim == 0:
            raise ValueError(
                "glu: does not support 0-d (scalar) tensors; give a dimension to halve"
            )
        (d,) = normalize_dims(dim, self.ndim, "glu")
        size = self.shape[d]
        if size % 2:
            raise ValueError(
                f"glu: halving dimension must be even, but dimension {dim} is size {size} "
                f"(input shape {self.shape})"
            )
        a, b = self.chunk(2, d)
        return a * b.sigmoid()

    @composite("prelu")
    def prelu(self, weight: Tensor) -> Tensor:
        """x for x > 0, else weight * x, with one learnable slope per channel (dim 1) or one
        shared slope (``weight`` of 1 element).

        >>> tg.Tensor([[-2.0, 1.0]]).prelu(tg.Tensor([0.25])).tolist()
        [[-0.5, 1.0]]
        """
        w = self._coerce(weight, "prelu", "weight")
        channels = self.shape[1] if self.ndim >= 2 else 1
        if w.ndim > 1 or w.numel() not in (1, channels):
            raise ActivationError(
                f"prelu: weight of shape {w.shape} must hold 1 value or one per channel "
                f"(dim 1 of the input of shape {self.shape}: {channels} channels)"
            )
        if w.numel() > 1:
            w = w.reshape((channels,) + (1,) * (self.ndim - 2))
        return Where.apply(self.data > 0, self, self * w)

    @composite("rrelu")
    def rrelu(
        self, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False
    ) -> Tensor:
        """Randomized leaky relu: negative x times a slope drawn from U(lower, upper) per
        element in training, times the fixed slope (lower + upper) / 2 otherwise.

        >>> tg.Tensor([-3.0, 2.0]).rrelu(0.1, 0.3).tolist()
        [-0.6, 2.0]
        """
        lower, upper = reals("rrelu", lower=lower, upper=upper)
        if lower > upper:
            raise ActivationError(f"rrelu: lower ({lower}) must be <= upper ({upper})")
        x = self._activation_input("rrelu")
        if not truth_value(training, "training", "rrelu"):
            return x.leaky_relu((lower + upper) / 2.0)
        slope = random.get_generator().uniform(lower, upper, x.shape).astype(x.dtype)
        return Where.apply(x.data > 0, x, x * const(slope))  # x <= 0 scaled

    @composite("threshold")
    def threshold(self, threshold: float, value: float) -> Tensor:
        """x where x > threshold, else ``value``.

        >>> tg.Tensor([0.5, 2.0]).threshold(1.0, -1.0).tolist()
        [-1.0, 2.0]
        """
        threshold, value = reals("threshold", threshold=threshold, value=value)
        x = self._activation_input("threshold")
        return x._masked(x.data > threshold, x, np.full(x.shape, value))

    @composite("hardshrink")
    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        """x where |x| > lambd, else 0.

        >>> tg.Tensor([-1.0, 0.2, 0.7]).hardshrink().tolist()
        [-1.0, 0.0, 0.7]
        """
        (lambd,) = reals("hardshrink", lambd=lambd)
        x = self._activation_input("hardshrink")
        return x._masked(np.abs(x.data) > lambd, x, np.zeros(x.shape))

    @composite("softshrink")
    def softshrink(self, lambd: float = 0.5) -> Tensor:
        """x - lambd above lambd, x + lambd below -lambd, else 0 (lambd >= 0).

        >>> tg.Tensor([-1.0, 0.2, 1.5]).softshrink().tolist()
        [-0.5, 0.0, 1.0]
        """
        (lambd,) = reals("softshrink", lambd=lambd)
        if lambd < 0:
            raise ActivationError(f"softshrink: lambd must be >= 0, got {lambd}")
        x = self._activation_input("softshrink")
        shifted = x - const(np.sign(x.data).astype(x.dtype) * lambd)
        return x._masked(np.abs(x.data) > lambd, shifted, np.zeros(x.shape))

    @composite("tanhshrink")
    def tanhshrink(self) -> Tensor:
        """x - tanh(x).

        >>> tg.Tensor([0.0]).tanhshrink().tolist()
        [0.0]
        """
        x = self._activation_input("tanhshrink")
        return x - x.tanh()


class ActivationError(ValueError, RuntimeError):
    """A bad argument to an activation (a RuntimeError in PyTorch)."""


# the error boundary on the PyTorch-surface methods (see _errors.py)
guard_methods(ActivationMethods)
