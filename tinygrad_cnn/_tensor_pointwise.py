"""Tensor methods that work element by element: arithmetic operators, comparisons, maths
functions and activations, with numpy's broadcasting.

A mixin of Tensor (tensor.py); the primitives are in ``ops/elementwise.py``, the composite
activations (gelu, silu, softplus, ...) are written here from them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import _describe as describe
from ._errors import guard_methods
from ._tensor_math_funcs import OpDtypeError, broadcast_error, reals
from .autograd import Function, composite
from .dtypes import get_default_dtype
from .errors import ShapeError
from .ops import elementwise
from .ops._util import const

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class PointwiseMethods:
    """Elementwise operators, maths functions and activations of Tensor."""

    __slots__ = ()

    def _coerce(self, other: Any, name: str = "Tensor", arg: str = "other") -> Tensor:
        """``other`` as a tensor beside self (a Python number takes self's dtype within its
        kind, as PyTorch), or a TypeError naming op ``name`` and argument ``arg`` when it
        cannot be one."""
        if isinstance(other, PointwiseMethods):
            return other
        if type(other) is float and self.data.dtype.kind == "f":
            return const(np.asarray(other, dtype=self.data.dtype))
        if isinstance(other, (bool, int, float)):
            return const(_number(other, self.dtype, name))
        return operand_tensor(other, name, arg)

    def _binary(self, fn: type[Function], other: Any, name: str, rev: bool = False):
        other = self._coerce(other, name)
        a, b = (other, self) if rev else (self, other)
        if a._d.dtype != b._d.dtype or (fn is elementwise.Div and a._d.dtype.kind in "biu"):
            a, b = _promote(a, b, true_div=fn is elementwise.Div)
        elif fn is elementwise.Sub and a._d.dtype.kind == "b":
            raise OpDtypeError(
                f"sub: subtraction (-) of two bool tensors (shapes {a.shape} and {b.shape}) is "
                "not supported; use ^ or logical_xor() instead"
            )
        try:
            return fn.apply(a, b)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            raise broadcast_error(name, a.shape, b.shape) from None

    def __add__(self, o):
        return self._binary(elementwise.Add, o, "add")

    def __radd__(self, o):
        return self._binary(elementwise.Add, o, "add", True)

    def __sub__(self, o):
        return self._binary(elementwise.Sub, o, "sub")

    def __rsub__(self, o):
        return self._binary(elementwise.Sub, o, "sub", True)

    def __mul__(self, o):
        return self._binary(elementwise.Mul, o, "mul")

    def __rmul__(self, o):
        return self._binary(elementwise.Mul, o, "mul", True)

    def __truediv__(self, o):
        return self._binary(elementwise.Div, o, "div")

    def __rtruediv__(self, o):
        return self._binary(elementwise.Div, o, "div", True)

    def __pow__(self, o):
        if isinstance(o, (int, float)) and not isinstance(o, bool):
            x = self._floating() if isinstance(o, float) else self
            return elementwise.PowScalar.apply(x, exponent=o)
        return self._binary(elementwise.Pow, o, "pow")

    def __rpow__(self, o):
        return self._binary(elementwise.Pow, o, "pow", True)

    def __neg__(self):
        if self.dtype.kind == "b":
            raise OpDtypeError(
                f"neg: negation (-) of a bool tensor (shape {self.shape}) is not supported; "
                "use ~ or logical_not() to invert a mask"
            )
        return elementwise.Neg.apply(self)

    def __pos__(self):
        return self

    def _activation_input(self, op: str) -> Tensor:
        """self, or PyTorch's error for a bool tensor given to activation ``op``."""
        if self.dtype.kind == "b":
            raise OpDtypeError(
                f"{op}: not implemented for bool tensors (got one of shape {self.shape}); "
                "convert it with .float() first"
            )
        return self

    def _compare(self, op: Any, other: Any, name: str) -> Tensor:
        o = self._coerce(other, name)
        try:
            return const(np.asarray(op(self.data, o.data)))
        except ValueError:
            raise broadcast_error(name, self.shape, o.shape) from None

    def _compare_op(self, op: Any, other: Any, name: str) -> Any:
        """``==`` and ``!=`` with a value that is no tensor, number or list answer by identity
        (NotImplemented: Python's False for ``==``), as PyTorch."""
        try:
            o = self._coerce(other, name)
        except TypeError:
            return NotImplemented
        return self._compare(op, o, name)

    def __eq__(self, o):  # type: ignore[override]
        return self._compare_op(np.equal, o, "eq")

    def __ne__(self, o):  # type: ignore[override]
        return self._compare_op(np.not_equal, o, "ne")

    def __lt__(self, o):
        return self._compare(np.less, o, "lt")

    def __le__(self, o):
        return self._compare(np.less_equal, o, "le")

    def __gt__(self, o):
        return self._compare(np.greater, o, "gt")

    def __ge__(self, o):
        return self._compare(np.greater_equal, o, "ge")

    __hash__ = object.__hash__

    def add(self, o):
        """Elementwise ``self + o`` with broadcasting.

        >>> tg.Tensor([1.0, 2.0]).add(1).tolist()
        [2.0, 3.0]
        """
        return self + o

    def sub(self, o):
        """Elementwise ``self - o`` with broadcasting.

        >>> tg.Tensor([1.0, 2.0]).sub(1).tolist()
        [0.0, 1.0]
        """
        return self - o

    subtract = sub

    def mul(self, o):
        """Elementwise ``self * o`` with broadcasting.

        >>> tg.Tensor([1.0, 2.0]).mul(3).tolist()
        [3.0, 6.0]
        """
        return self * o

    multiply = mul

    def div(self, o, *, rounding_mode: str | None = None):
        """Elementwise ``self / o`` with broadcasting; ``rounding_mode='trunc'`` or ``'floor'``
        rounds the quotient (exactly for integers; zero gradient). ``divide`` is the same.

        >>> tg.Tensor([1.0, 2.0]).div(2).tolist(), tg.Tensor([-7]).div(2, rounding_mode="trunc")
        ([0.5, 1.0], Tensor([-3], shape=(1,), dtype=int64))
        """
        if rounding_mode is None:
            return self / o
        return self._rounded_div(o, rounding_mode)

    divide = true_divide = div

    def pow(self, exponent):
        """``self ** exponent`` (a number or a tensor)."""
        return self**exponent

    # -- elementwise ----------------------------------------------------------------------
    def neg(self):
        """Elementwise ``-self``.

        >>> tg.Tensor([1.0, -2.0]).neg().tolist()
        [-1.0, 2.0]
        """
        return -self

    negative = neg

    def exp(self):
        """Elementwise e**x.

        >>> tg.Tensor([0.0]).exp().tolist()
        [1.0]
        """
        return elementwise.Exp.apply(self._floating())

    def log(self):
        """Elementwise natural logarithm.

        >>> tg.Tensor([1.0]).log().tolist()
        [0.0]
        """
        return elementwise.Log.apply(self._floating())

    def sqrt(self):
        """Elementwise square root.

        >>> tg.Tensor([4.0, 9.0]).sqrt().tolist()
        [2.0, 3.0]
        """
        return elementwise.Sqrt.apply(self._floating())

    def abs(self):
        """Elementwise absolute value.

        >>> tg.Tensor([-1.5, 2.0]).abs().tolist()
        [1.5, 2.0]
        """
        return elementwise.Abs.apply(self)

    absolute = abs

    def reciprocal(self):
        """Elementwise ``1 / x``.

        >>> tg.Tensor([2.0, 4.0]).reciprocal().tolist()
        [0.5, 0.25]
        """
        return 1.0 / self._floating()

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
        return elementwise.Erf.apply(self._floating())

    def sign(self):
        """Elementwise sign (-1, 0 or 1); its gradient is zero.

        >>> tg.Tensor([-2.0, 0.0, 3.0]).sign().tolist()
        [-1.0, 0.0, 1.0]
        """
        if self.dtype.kind != "f":
            return const(np.sign(self.data))
        return self._step("sign", np.sign)  # recorded with a zero gradient, as PyTorch

    def maximum(self, other):
        """Elementwise maximum of two tensors (ties split the gradient).

        >>> tg.Tensor([1.0, 5.0]).maximum(tg.Tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
        """
        return self._binary(elementwise.Maximum, other, "maximum")

    def minimum(self, other):
        """Elementwise minimum of two tensors (ties split the gradient).

        >>> tg.Tensor([1.0, 5.0]).minimum(tg.Tensor([3.0, 2.0])).tolist()
        [1.0, 2.0]
        """
        return self._binary(elementwise.Minimum, other, "minimum")

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit every element to [min, max] (either bound may be None, a number or a tensor
        that broadcasts); ``clip`` is the same.

        >>> tg.Tensor([-2.0, 0.5, 3.0]).clamp(-1, 1).tolist()
        [-1.0, 0.5, 1.0]
        >>> tg.Tensor([-2.0, 0.5]).clamp(min=tg.Tensor([0.0, 1.0])).tolist()
        [0.0, 1.0]
        """
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if not (_is_bound(min) and _is_bound(max)):  # tensors, or lists and arrays as tensors
            lo, hi = (
                None if v is None else self._coerce(v, "clamp", arg)
                for v, arg in ((min, "min"), (max, "max"))
            )
            return self._clamp_by_tensors(lo, hi)
        return elementwise.Clamp.apply(self, min=min, max=max)

    clip = clamp

    # activations
    def relu(self):
        """max(x, 0), elementwise.

        >>> tg.Tensor([-1.0, 2.0]).relu().tolist()
        [0.0, 2.0]
        """
        return elementwise.Relu.apply(self._activation_input("relu"))

    def sigmoid(self):
        """1 / (1 + exp(-x)), elementwise.

        >>> tg.Tensor([0.0, 1000.0, -1000.0]).sigmoid().tolist()
        [0.5, 1.0, 0.0]
        """
        return elementwise.Sigmoid.apply(self._floating())

    def tanh(self):
        """Hyperbolic tangent, elementwise.

        >>> tg.Tensor([0.0]).tanh().tolist()
        [0.0]
        """
        return elementwise.Tanh.apply(self._floating())

    @composite("leaky_relu")
    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x where x > 0, else negative_slope * x.

        >>> tg.Tensor([-10.0, 2.0]).leaky_relu(0.1).tolist()
        [-1.0, 2.0]
        """
        (slope,) = reals("leaky_relu", negative_slope=negative_slope)
        x = self._activation_input("leaky_relu")
        return elementwise.Where.apply(x.data > 0, x, x * slope)

    @composite("elu")
    def elu(self, alpha: float = 1.0) -> Tensor:
        """x where x > 0, else alpha * (exp(x) - 1).

        >>> tg.Tensor([0.0, 2.0]).elu().tolist(), round(tg.Tensor([-1.0]).elu().item(), 4)
        ([0.0, 2.0], -0.6321)
        """
        # NOTE: exp of x where x <= 0 (else 0), so the unused branch never overflows into a NaN
        # gradient; at x == 0 the gradient is alpha, PyTorch's side
        (alpha,) = reals("elu", alpha=alpha)
        x = self._activation_input("elu")
        neg = (x._nonpositive_part().exp() - 1.0) * alpha
        return elementwise.Where.apply(x.data > 0, x, neg)

    @composite("gelu")
    def gelu(self, approximate: str = "none") -> Tensor:
        """x * Phi(x), with Phi the standard normal CDF: exact (erf form, the default) or, with
        ``approximate='tanh'``, PyTorch's tanh approximation.

        >>> tg.Tensor([0.0]).gelu().tolist(), round(tg.Tensor([1.0]).gelu().item(), 4)
        ([0.0], 0.8413)
        >>> round(tg.Tensor([1.0]).gelu(approximate="tanh").item(), 4)
        0.8412
        """
        x = self._activation_input("gelu")
        if approximate_mode("gelu", approximate) == "tanh":
            inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
            return x * 0.5 * (inner.tanh() + 1.0)
        return x * 0.5 * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())

    @composite("silu")
    def silu(self) -> Tensor:
        """x * sigmoid(x) (swish).

        >>> tg.Tensor([0.0]).silu().tolist()
        [0.0]
        """
        x = self._activation_input("silu")
        return x * x.sigmoid()

    @composite("softplus")
    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + exp(beta x)) / beta, linear above ``threshold`` for stability.

        >>> round(tg.Tensor([0.0]).softplus().item(), 4), tg.Tensor([30.0]).softplus().item()
        (0.6931, 30.0)
        """
        beta, threshold = reals("softplus", beta=beta, threshold=threshold)
        x = self._activation_input("softplus")
        # log(1 + e^z) = -logsigmoid(-z): finite for any z, exact derivatives at z == 0
        z = x * beta if beta != 1.0 else x
        soft = -((-z).logsigmoid())
        out = soft / beta if beta != 1.0 else soft
        return elementwise.Where.apply(z.data > threshold, x, out)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other``.

        >>> x = tg.Tensor([1.0, -2.0])
        >>> x.where(x > 0, 0.0).tolist()
        [1.0, 0.0]
        """
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """``value`` where ``mask`` is true, else ``self``.

        >>> x = tg.Tensor([1.0, -2.0])
        >>> x.masked_fill(x < 0, 9.0).tolist()
        [1.0, 9.0]
        """
        return where(mask, value, self)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Elementwise ``x if condition else y``; differentiable in x and y.

    >>> import tinygrad_cnn as tg
    >>> tg.where(tg.Tensor([True, False]), tg.Tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    if not (_is_tensor(x) or _is_tensor(y)):
        x = operand_tensor(x, "where", "input")
    ref = x if _is_tensor(x) else y
    x, y = ref._coerce(x, "where", "input"), ref._coerce(y, "where", "other")
    cond = ref._coerce(condition, "where", "condition").data
    try:
        return elementwise.Where.apply(cond.astype(bool, copy=False), x, y)
    except ValueError:
        raise ShapeError(
            f"where: shapes {cond.shape}, {x.shape} and {y.shape} (condition, input, other) "
            "cannot be broadcast together (dimensions are compared from the right and must be "
            "equal or 1)"
        ) from None


def operand_tensor(x: Any, name: str, arg: str) -> Tensor:
    """``tg.Tensor(x)``, or a TypeError naming op ``name`` and argument ``arg``."""
    from .tensor import Tensor

    try:
        return Tensor(x)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: {arg} must be a tensor, a number or nested lists of numbers of equal "
            f"lengths, got {describe(x)}; wrap data in tg.Tensor(...)"
        ) from None


def approximate_mode(op: str, approximate: Any) -> str:
    """gelu's ``approximate`` ('none' or 'tanh'), checked."""
    if not isinstance(approximate, str):
        raise TypeError(
            f"{op}: approximate must be the string 'none' or 'tanh', got {describe(approximate)}"
        )
    if approximate not in ("none", "tanh"):
        raise ValueError(f"{op}: approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate


def _number(x: bool | int | float, dtype: np.dtype, name: str) -> np.ndarray:
    """A Python number as a 0-d array: PyTorch's dtype for it beside a tensor of ``dtype`` (the
    tensor's within its kind; a float with an integer or bool tensor gives the default float
    dtype, an int with bool int64)."""
    if dtype.kind == "f":
        dt = dtype
    elif isinstance(x, float):
        dt = get_default_dtype()
    elif dtype.kind == "b" and not isinstance(x, bool):
        dt = np.dtype(np.int64)
    else:
        dt = dtype
    try:
        return np.asarray(x, dtype=dt)
    except OverflowError:
        raise RuntimeError(f"{name}: the number {x} does not fit the tensor's dtype {dt}") from None


def _kind_rank(dt: np.dtype) -> int:
    return {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}.get(dt.kind, 1)


def result_type(a: Any, b: Any) -> np.dtype:
    """PyTorch's type promotion of two tensors: the higher kind (bool < integer < float)
    wins; within a kind, a 0-d tensor does not widen a tensor with dimensions."""
    da, db = a._d.dtype, b._d.dtype
    if da == db:
        return da
    ra, rb = _kind_rank(da), _kind_rank(db)
    if ra != rb:
        return da if ra > rb else db
    if (a.ndim == 0) != (b.ndim == 0):
        return db if a.ndim == 0 else da
    return np.promote_types(da, db)


def _promote(a: Any, b: Any, true_div: bool = False) -> tuple[Any, Any]:
    dt = result_type(a, b)
    if true_div and dt.kind in "biu":  # true division of integers gives the default float
        dt = get_default_dtype()
    elif np.promote_types(a._d.dtype, b._d.dtype) == dt:
        return a, b  # numpy's kernel promotes the same way (float * bool mask): no copy
    return (a if a._d.dtype == dt else a.astype(dt)), (b if b._d.dtype == dt else b.astype(dt))


def _is_bound(x: Any) -> bool:
    """None or a real number: a bound clamp applies as a constant."""
    return x is None or isinstance(x, (int, float, np.integer, np.floating))


def _is_tensor(x: Any) -> bool:
    return isinstance(x, PointwiseMethods)  # every Tensor is one


# the error boundary on the PyTorch-surface methods (see _errors.py)
guard_methods(PointwiseMethods)
