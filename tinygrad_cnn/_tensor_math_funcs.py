"""Tensor methods for elementwise maths beyond the operators: trigonometric and hyperbolic
functions, exp/log variants, rounding and floating-point tests, remainders, rounded division,
lerp/addcmul/addcdiv (comparison, logical and bitwise methods are in ``_tensor_logic.py``).

A mixin of Tensor (tensor.py); the primitives are in ``ops/elementwise_math.py``. Integer and
bool inputs of a floating-point function are computed in the default float dtype, as PyTorch.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import _describe as describe
from ._errors import guard_methods
from .autograd import composite
from .dtypes import get_default_dtype
from .errors import ShapeError
from .ops import elementwise
from .ops._util import const
from .ops.elementwise_math import (
    Atan2,
    Copysign,
    Hypot,
    Logaddexp,
    Remainder,
    Step,
    UnaryMath,
    Xlogy,
)

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class OpDtypeError(TypeError, RuntimeError):
    """An op called on a dtype it does not support (a RuntimeError in PyTorch)."""


class IntegerDivisionError(RuntimeError):
    """Integer division or remainder by zero (a RuntimeError in PyTorch)."""


class MathMethods:
    """Trigonometric, exp/log, rounding, floating-point test and remainder methods."""

    __slots__ = ()

    # -- helpers ---------------------------------------------------------------------------
    def _floating(self) -> Tensor:
        return self if self.dtype.kind == "f" else self.astype(get_default_dtype())

    def _unary_math(self, op: str) -> Tensor:
        return UnaryMath.apply(self._floating(), op=op)

    def _float_binary(self, fn: Any, other: Any, name: str, **options: Any) -> Tensor:
        """``fn(self, other)`` with both sides floating (ints promote to the float side)."""
        a, b = self, self._coerce(other, name)
        if a.dtype.kind != "f" and b.dtype.kind != "f":
            a, b = a._floating(), b._floating()
        elif a.dtype.kind != "f":
            a = a.astype(b.dtype)
        elif b.dtype.kind != "f":
            b = b.astype(a.dtype)
        return a._binary(_WithOptions(fn, **options) if options else fn, b, name)

    # -- trigonometric and hyperbolic ---------------------------------------------------------
    def sin(self) -> Tensor:
        """Elementwise sine.

        >>> tg.Tensor([0.0]).sin().tolist()
        [0.0]
        """
        return self._unary_math("sin")

    def cos(self) -> Tensor:
        """Elementwise cosine.

        >>> tg.Tensor([0.0]).cos().tolist()
        [1.0]
        """
        return self._unary_math("cos")

    def tan(self) -> Tensor:
        """Elementwise tangent.

        >>> tg.Tensor([0.0]).tan().tolist()
        [0.0]
        """
        return self._unary_math("tan")

    def asin(self) -> Tensor:
        """Elementwise arcsine (nan outside [-1, 1]); ``arcsin`` is the same.

        >>> tg.Tensor([0.0, 1.0]).asin().tolist()
        [0.0, 1.5708]
        """
        return self._unary_math("asin")

    def acos(self) -> Tensor:
        """Elementwise arccosine (nan outside [-1, 1]); ``arccos`` is the same.

        >>> tg.Tensor([1.0]).acos().tolist()
        [0.0]
        """
        return self._unary_math("acos")

    def atan(self) -> Tensor:
        """Elementwise arctangent; ``arctan`` is the same.

        >>> tg.Tensor([0.0]).atan().tolist()
        [0.0]
        """
        return self._unary_math("atan")

    def sinh(self) -> Tensor:
        """Elementwise hyperbolic sine.

        >>> tg.Tensor([0.0]).sinh().tolist()
        [0.0]
        """
        return self._unary_math("sinh")

    def cosh(self) -> Tensor:
        """Elementwise hyperbolic cosine.

        >>> tg.Tensor([0.0]).cosh().tolist()
        [1.0]
        """
        return self._unary_math("cosh")

    def asinh(self) -> Tensor:
        """Elementwise inverse hyperbolic sine; ``arcsinh`` is the same.

        >>> tg.Tensor([0.0]).asinh().tolist()
        [0.0]
        """
        return self._unary_math("asinh")

    def acosh(self) -> Tensor:
        """Elementwise inverse hyperbolic cosine (nan below 1); ``arccosh`` is the same.

        >>> tg.Tensor([1.0]).acosh().tolist()
        [0.0]
        """
        return self._unary_math("acosh")

    def atanh(self) -> Tensor:
        """Elementwise inverse hyperbolic tangent (+-inf at +-1); ``arctanh`` is the same.

        >>> tg.Tensor([0.0]).atanh().tolist()
        [0.0]
        """
        return self._unary_math("atanh")

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other: Any) -> Tensor:
        """Elementwise arctangent of ``self / other`` in the right quadrant; ``arctan2`` too.

        >>> tg.Tensor([1.0, -1.0]).atan2(tg.Tensor([0.0, 0.0])).tolist()
        [1.5708, -1.5708]
        """
        return self._float_binary(Atan2, other, "atan2")

    arctan2 = atan2

    # -- exponentials and logarithms ----------------------------------------------------------
    def exp2(self) -> Tensor:
        """Elementwise 2**x.

        >>> tg.Tensor([3.0, -1.0]).exp2().tolist()
        [8.0, 0.5]
        """
        return self._unary_math("exp2")

    def expm1(self) -> Tensor:
        """Elementwise exp(x) - 1, accurate for small x.

        >>> tg.Tensor([0.0]).expm1().tolist()
        [0.0]
        """
        return self._unary_math("expm1")

    def log2(self) -> Tensor:
        """Elementwise base-2 logarithm.

        >>> tg.Tensor([8.0]).log2().tolist()
        [3.0]
        """
        return self._unary_math("log2")

    def log10(self) -> Tensor:
        """Elementwise base-10 logarithm.

        >>> tg.Tensor([100.0]).log10().tolist()
        [2.0]
        """
        return self._unary_math("log10")

    def log1p(self) -> Tensor:
        """Elementwise log(1 + x), accurate for small x.

        >>> tg.Tensor([0.0]).log1p().tolist()
        [0.0]
        """
        return self._unary_math("log1p")

    def rsqrt(self) -> Tensor:
        """Elementwise 1 / sqrt(x).

        >>> tg.Tensor([4.0]).rsqrt().tolist()
        [0.5]
        """
        return self._unary_math("rsqrt")

    def logaddexp(self, other: Any) -> Tensor:
        """Elementwise log(exp(self) + exp(other)), finite for large inputs.

        >>> tg.Tensor([1000.0]).logaddexp(tg.Tensor([1000.0])).tolist()
        [1000.6932]
        """
        return self._float_binary(Logaddexp, other, "logaddexp")

    def xlogy(self, other: Any) -> Tensor:
        """Elementwise ``self * log(other)``, 0 where ``self`` is 0 (unless other is nan).

        >>> tg.Tensor([0.0, 2.0]).xlogy(tg.Tensor([0.0, 1.0])).tolist()
        [0.0, 0.0]
        """
        return self._float_binary(Xlogy, other, "xlogy")

    # -- rounding (zero gradient, as PyTorch) and floating-point tests -------------------------
    def _step(self, op: str, fn: Any) -> Tensor:
        if self.dtype.kind != "f":
            return const(self.data.copy())  # integers are already whole
        return Step.apply(self, op=op, kernel=fn)

    def floor(self) -> Tensor:
        """Elementwise largest integer <= x; its gradient is zero.

        >>> tg.Tensor([1.5, -1.5]).floor().tolist()
        [1.0, -2.0]
        """
        return self._step("floor", np.floor)

    def ceil(self) -> Tensor:
        """Elementwise smallest integer >= x; its gradient is zero.

        >>> tg.Tensor([1.5, -1.5]).ceil().tolist()
        [2.0, -1.0]
        """
        return self._step("ceil", np.ceil)

    def trunc(self) -> Tensor:
        """Elementwise rounding toward zero; its gradient is zero. ``fix`` is the same.

        >>> tg.Tensor([1.5, -1.5]).trunc().tolist()
        [1.0, -1.0]
        """
        return self._step("trunc", np.trunc)

    fix = trunc

    def round(self, *, decimals: int = 0) -> Tensor:
        """Round half to even, to ``decimals`` decimal places; its gradient is zero.

        >>> tg.Tensor([0.5, 1.5, 2.5]).round().tolist()
        [0.0, 2.0, 2.0]
        >>> tg.Tensor([1.2345], dtype="float64").round(decimals=2).tolist()
        [1.23]
        """
        if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
            raise TypeError(f"round: decimals must be an int, got {decimals!r}")
        if decimals != 0 and self.dtype.kind != "f":
            raise OpDtypeError(
                f"round: decimals={decimals} needs a floating-point tensor, got dtype "
                f"{self.dtype}; convert it with .float()"
            )
        return self._step("round", lambda a: np.round(a, int(decimals)))

    @composite("frac")
    def frac(self) -> Tensor:
        """Elementwise fractional part ``x - trunc(x)`` (sign of x); its gradient is 1.

        >>> tg.Tensor([1.25, -1.25]).frac().tolist()
        [0.25, -0.25]
        """
        if self.dtype.kind != "f":
            raise OpDtypeError(f"frac: needs a floating-point tensor, got dtype {self.dtype}")
        return self - self.trunc()

    def isnan(self) -> Tensor:
        """A bool tensor: True where x is nan.

        >>> tg.Tensor([1.0, float("nan")]).isnan().tolist()
        [False, True]
        """
        return const(np.isnan(self.data))

    def isinf(self) -> Tensor:
        """A bool tensor: True where x is +inf or -inf.

        >>> tg.Tensor([1.0, float("inf")]).isinf().tolist()
        [False, True]
        """
        return const(np.isinf(self.data))

    def isposinf(self) -> Tensor:
        """A bool tensor: True where x is +inf.

        >>> tg.Tensor([-float("inf"), float("inf")]).isposinf().tolist()
        [False, True]
        """
        return const(np.isposinf(self.data))

    def isneginf(self) -> Tensor:
        """A bool tensor: True where x is -inf.

        >>> tg.Tensor([-float("inf"), float("inf")]).isneginf().tolist()
        [True, False]
        """
        return const(np.isneginf(self.data))

    def isfinite(self) -> Tensor:
        """A bool tensor: True where x is neither inf nor nan.

        >>> tg.Tensor([1.0, float("inf"), float("nan")]).isfinite().tolist()
        [True, False, False]
        """
        return const(np.isfinite(self.data))

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        """A bool tensor: True where ``|self - other| <= atol + rtol * |other|`` (infinities
        equal only to themselves, nan to nan only with ``equal_nan``).

        >>> tg.Tensor([1.0, 2.0]).isclose(tg.Tensor([1.0 + 1e-7, 2.1])).tolist()
        [True, False]
        """
        rtol, atol = reals("isclose", rtol=rtol, atol=atol)
        equal_nan = truth_value(equal_nan, "equal_nan", "isclose")
        if rtol < 0 or atol < 0:
            raise ValueError(f"isclose: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
        o = self._coerce(other, "isclose")

        def close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)

        return const(broadcast_apply(close, self, o, "isclose"))

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        """True if ``isclose`` holds everywhere (a Python bool).

        >>> tg.Tensor([1.0, 2.0]).allclose(tg.Tensor([1.0, 2.0 + 1e-9]))
        True
        """
        return bool(self.isclose(other, rtol, atol, equal_nan).data.all())

    def equal(self, other: Any) -> bool:
        """True if ``other`` has the same shape and the same values (a Python bool).

        >>> tg.Tensor([1, 2]).equal(tg.Tensor([1.0, 2.0])), tg.ones(2).equal(tg.ones(3))
        (True, False)
        """
        o = self._coerce(other)
        return self.shape == o.shape and bool(np.array_equal(self.data, o.data))

    @composite("nan_to_num")
    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        """nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the
        dtype's largest and lowest finite values); the gradient passes where x is finite.

        >>> tg.Tensor([float("nan"), float("inf"), 1.0]).nan_to_num(posinf=9.0).tolist()
        [0.0, 9.0, 1.0]
        """
        given = {"nan": nan, "posinf": posinf, "neginf": neginf}
        reals("nan_to_num", **{k: v for k, v in given.items() if v is not None})
        nan = 0.0 if nan is None else nan  # PyTorch takes None for nan too
        if self.dtype.kind != "f":
            return const(self.data.copy())
        fixed = np.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf)
        return elementwise.Where.apply(np.isfinite(self.data), self, const(fixed))

    @composite("clamp")
    def _clamp_by_tensors(self, min: Any, max: Any) -> Tensor:
        """clamp with tensor bounds: max(x, min), then min(., max); at a tie x keeps the gradient
        and where min > max the result is max, as PyTorch."""
        out = self
        try:
            if min is not None:
                lo = self._coerce(min, "clamp")
                out = elementwise.Where.apply(out.data < lo.data, lo, out)
            if max is not None:
                hi = self._coerce(max, "clamp")
                out = elementwise.Where.apply(out.data > hi.data, hi, out)
        except ValueError:
            shapes = [getattr(b, "shape", ()) for b in (min, max)]
            raise ValueError(
                f"clamp: input of shape {self.shape} and bounds of shapes {shapes} (min, max) "
                "cannot be broadcast together"
            ) from None
        return out

    # -- remainders and rounded division -------------------------------------------------------
    def _integer_operands(self, other: Any, name: str, rev: bool = False) -> Any:
        """(a, b) with b coerced; for integer division by zero, PyTorch's error."""
        o = self._coerce(other, name)
        a, b = (o, self) if rev else (self, o)
        if a.dtype.kind in "iub" and b.dtype.kind in "iub" and (b.data == 0).any():
            raise IntegerDivisionError(
                f"{name}: integer division by zero (the divisor of shape {b.shape} contains 0)"
            )
        return a, b

    def _remainder(self, other: Any, mode: str, name: str, rev: bool = False) -> Tensor:
        a, b = self._integer_operands(other, name, rev)
        with np.errstate(divide="ignore", invalid="ignore"):
            return a._binary(_WithOptions(Remainder, mode=mode), b, name)

    def remainder(self, other: Any) -> Tensor:
        """Python's modulus: ``self - floor(self / other) * other``, the sign of ``other``.
        The ``%`` operator.

        >>> tg.Tensor([5.0, -5.0]).remainder(3).tolist(), (tg.Tensor([-7]) % 3).tolist()
        ([2.0, 1.0], [2])
        """
        return self._remainder(other, "floor", "remainder")

    def fmod(self, other: Any) -> Tensor:
        """C's modulus: ``self - trunc(self / other) * other``, the sign of ``self``.

        >>> tg.Tensor([5.0, -5.0]).fmod(3).tolist()
        [2.0, -2.0]
        """
        return self._remainder(other, "trunc", "fmod")

    def __mod__(self, other: Any) -> Tensor:
        return self._remainder(other, "floor", "remainder")

    def __rmod__(self, other: Any) -> Tensor:
        return self._remainder(other, "floor", "remainder", rev=True)

    def _rounded_div(
        self, other: Any, rounding_mode: Any, rev: bool = False, name: str = "div"
    ) -> Tensor:
        if not isinstance(rounding_mode, str) or rounding_mode not in ("trunc", "floor"):
            is_str = isinstance(rounding_mode, str)
            got = repr(rounding_mode) if is_str else describe(rounding_mode)
            raise (ValueError if is_str else TypeError)(
                f"{name}: rounding_mode must be None, 'trunc' or 'floor', got {got}"
            )
        a, b = self._integer_operands(other, name, rev)
        fn = _floor_div if rounding_mode == "floor" else _trunc_div
        if a.dtype.kind in "iub" and b.dtype.kind in "iub":
            return const(broadcast_apply(fn, a, b, name))
        with np.errstate(divide="ignore", invalid="ignore"):
            return a._float_binary(Step, b, name, op=f"div_{rounding_mode}", kernel=fn)

    def floor_divide(self, other: Any) -> Tensor:
        """``floor(self / other)`` (Python's ``//``, exact for integers); zero gradient.

        >>> tg.Tensor([7.0, -7.0]).floor_divide(2).tolist(), (tg.Tensor([-7]) // 2).tolist()
        ([3.0, -4.0], [-4])
        """
        return self._rounded_div(other, "floor", name="floor_divide")

    def __floordiv__(self, other: Any) -> Tensor:
        return self._rounded_div(other, "floor", name="floor_divide")

    def __rfloordiv__(self, other: Any) -> Tensor:
        return self._rounded_div(other, "floor", rev=True, name="floor_divide")

    # -- other arithmetic ---------------------------------------------------------------------
    def copysign(self, other: Any) -> Tensor:
        """``|self|`` with the sign of ``other`` (signed zeros count); no gradient to other.

        >>> tg.Tensor([1.0, 2.0]).copysign(tg.Tensor([-0.0, 3.0])).tolist()
        [-1.0, 2.0]
        """
        return self._float_binary(Copysign, other, "copysign")

    def hypot(self, other: Any) -> Tensor:
        """Elementwise ``sqrt(self**2 + other**2)`` without overflow.

        >>> tg.Tensor([3.0]).hypot(tg.Tensor([4.0])).tolist()
        [5.0]
        """
        return self._float_binary(Hypot, other, "hypot")

    @composite("lerp")
    def lerp(self, end: Any, weight: Any) -> Tensor:
        """Linear interpolation ``self + weight * (end - self)`` (weight a number or tensor).

        >>> tg.Tensor([0.0, 10.0]).lerp(tg.Tensor([10.0, 20.0]), 0.25).tolist()
        [2.5, 12.5]
        """
        return self + (self._coerce(end, "lerp", "end") - self) * weight

    @composite("addcmul")
    def addcmul(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        """``self + value * tensor1 * tensor2``.

        >>> tg.ones(2).addcmul(tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0]), value=0.5).tolist()
        [2.5, 5.0]
        """
        prod = self._coerce(tensor1, "addcmul", "tensor1") * tensor2
        return self + (prod * value if value != 1 else prod)

    @composite("addcdiv")
    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        """``self + value * tensor1 / tensor2``.

        >>> tg.ones(2).addcdiv(tg.Tensor([1.0, 2.0]), tg.Tensor([4.0, 4.0]), value=2).tolist()
        [1.5, 2.0]
        """
        t1 = self._coerce(tensor1, "addcdiv", "tensor1")
        t2 = self._coerce(tensor2, "addcdiv", "tensor2")
        if t1.dtype.kind in "iub" and t2.dtype.kind in "iub":
            raise OpDtypeError(
                "addcdiv: integer division with addcdiv is not supported (tensor1 and tensor2 "
                "are both integers); convert one of them to float"
            )
        quot = t1 / tensor2
        return self + (quot * value if value != 1 else quot)


class _WithOptions:
    """A Function with fixed keyword options, callable as ``fn.apply(a, b)`` by ``_binary``."""

    def __init__(self, fn: Any, **options: Any) -> None:
        self.fn, self.options = fn, options

    def apply(self, a: Tensor, b: Tensor) -> Tensor:
        return self.fn.apply(a, b, **self.options)


def reals(op: str, **values: Any) -> list[float]:
    """Each keyword's value as a float, or a TypeError naming ``op`` and the argument (where
    PyTorch takes a Python number)."""
    out = []
    for key, v in values.items():
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"{op}: {key} must be a number, got {describe(v)}")
        out.append(float(v))
    return out


def truth_value(x: Any, name: str, op: str) -> bool:
    """``x`` when it is True or False, else a TypeError naming ``op`` and the argument."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {describe(x)}")
    return bool(x)


def broadcast_error(name: str, a: tuple[int, ...], b: tuple[int, ...]) -> ShapeError:
    """The error for shapes ``a`` and ``b`` that do not broadcast: it names the op, both shapes
    and (as PyTorch) the first dimension from the right whose sizes differ and neither is 1."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    dim = next((i for i in reversed(range(n)) if pa[i] != pb[i] and 1 not in (pa[i], pb[i])), n - 1)
    return ShapeError(
        f"{name}: shapes {tuple(a)} and {tuple(b)} cannot be broadcast together: the size of "
        f"tensor a ({pa[dim]}) must match the size of tensor b ({pb[dim]}) at non-singleton "
        f"dimension {dim} (dimensions are compared from the right and must be equal or 1)"
    )


def broadcast_apply(fn: Any, a: Tensor, b: Tensor, name: str) -> np.ndarray:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(name, a.shape, b.shape) from None
    return fn(a.data, b.data)


def _floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.floor_divide(a, b)


def _trunc_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return np.trunc(a / b)
    q = np.floor_divide(a, b)  # exact for integers; step toward zero where the signs differ
    return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0))).astype(q.dtype)


# the error boundary on the PyTorch-surface methods (see _errors.py)
guard_methods(MathMethods)
