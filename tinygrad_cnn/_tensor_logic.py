"""Tensor methods with bool or integer results and no gradient: the comparison methods (eq, ne,
lt, le, gt, ge and their long names), logical_and/or/xor/not, and the bitwise ops on integer and
bool tensors with their operators (``& | ^ ~ << >>``).

A mixin of Tensor (tensor.py). The comparison operators themselves are in
``_tensor_pointwise.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard_methods
from ._tensor_math_funcs import OpDtypeError, broadcast_apply
from .ops._util import const

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class LogicMethods:
    """Comparison, logical and bitwise methods of Tensor."""

    __slots__ = ()

    # -- comparison and logical methods (bool results, no gradient) ----------------------------
    def eq(self, other: Any) -> Tensor:
        """Elementwise ``self == other`` (bool); ``other`` may be a number.

        >>> tg.Tensor([1.0, 2.0]).eq(2).tolist()
        [False, True]
        """
        return self._compare(np.equal, other, "eq")

    def ne(self, other: Any) -> Tensor:
        """Elementwise ``self != other`` (bool); ``not_equal`` is the same.

        >>> tg.Tensor([1.0, 2.0]).ne(2).tolist()
        [True, False]
        """
        return self._compare(np.not_equal, other, "ne")

    def lt(self, other: Any) -> Tensor:
        """Elementwise ``self < other`` (bool); ``less`` is the same.

        >>> tg.Tensor([1.0, 2.0]).lt(2).tolist()
        [True, False]
        """
        return self._compare(np.less, other, "lt")

    def le(self, other: Any) -> Tensor:
        """Elementwise ``self <= other`` (bool); ``less_equal`` is the same.

        >>> tg.Tensor([1.0, 3.0]).le(2).tolist()
        [True, False]
        """
        return self._compare(np.less_equal, other, "le")

    def gt(self, other: Any) -> Tensor:
        """Elementwise ``self > other`` (bool); ``greater`` is the same.

        >>> tg.Tensor([1.0, 3.0]).gt(2).tolist()
        [False, True]
        """
        return self._compare(np.greater, other, "gt")

    def ge(self, other: Any) -> Tensor:
        """Elementwise ``self >= other`` (bool); ``greater_equal`` is the same.

        >>> tg.Tensor([1.0, 2.0]).ge(2).tolist()
        [False, True]
        """
        return self._compare(np.greater_equal, other, "ge")

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    def _logical(self, fn: Any, other: Any, name: str) -> Tensor:
        o = self._coerce(other, name)
        return const(broadcast_apply(fn, self, o, name))

    def logical_and(self, other: Any) -> Tensor:
        """Elementwise ``self and other`` of the truth values (nonzero is True), as bool.

        >>> tg.Tensor([0.0, 1.0, 2.0]).logical_and(tg.Tensor([1, 1, 0])).tolist()
        [False, True, False]
        """
        return self._logical(np.logical_and, other, "logical_and")

    def logical_or(self, other: Any) -> Tensor:
        """Elementwise ``self or other`` of the truth values (nonzero is True), as bool.

        >>> tg.Tensor([0.0, 1.0]).logical_or(tg.Tensor([0, 0])).tolist()
        [False, True]
        """
        return self._logical(np.logical_or, other, "logical_or")

    def logical_xor(self, other: Any) -> Tensor:
        """Elementwise exclusive or of the truth values (nonzero is True), as bool.

        >>> tg.Tensor([0.0, 1.0, 2.0]).logical_xor(tg.Tensor([1, 1, 0])).tolist()
        [True, False, True]
        """
        return self._logical(np.logical_xor, other, "logical_xor")

    def logical_not(self) -> Tensor:
        """Elementwise ``not self`` of the truth values (nonzero is True), as bool.

        >>> tg.Tensor([0.0, 2.0]).logical_not().tolist()
        [True, False]
        """
        return const(np.logical_not(self.data))

    # -- bitwise ops on integer and bool tensors ------------------------------------------------
    def _bitwise(self, fn: Any, other: Any, name: str, rev: bool = False) -> Tensor:
        o = self._coerce(other, name)
        a, b = (o, self) if rev else (self, o)
        for t in (a, b):
            if t.dtype.kind not in "iub":
                raise OpDtypeError(
                    f"{name}: needs integer or bool tensors, got dtypes {a.dtype} and {b.dtype}"
                    f" (shapes {a.shape} and {b.shape}); use the logical_* ops for truth values"
                )
        return const(broadcast_apply(fn, a, b, name))

    def bitwise_and(self, other: Any) -> Tensor:
        """Elementwise bitwise and of integer or bool tensors (the ``&`` operator).

        >>> tg.Tensor([12, 10]).bitwise_and(6).tolist(), (tg.Tensor([True]) & False).tolist()
        ([4, 2], [False])
        """
        return self._bitwise(np.bitwise_and, other, "bitwise_and")

    def bitwise_or(self, other: Any) -> Tensor:
        """Elementwise bitwise or of integer or bool tensors (the ``|`` operator).

        >>> tg.Tensor([12, 10]).bitwise_or(1).tolist()
        [13, 11]
        """
        return self._bitwise(np.bitwise_or, other, "bitwise_or")

    def bitwise_xor(self, other: Any) -> Tensor:
        """Elementwise bitwise exclusive or of integer or bool tensors (the ``^`` operator).

        >>> tg.Tensor([12, 10]).bitwise_xor(6).tolist()
        [10, 12]
        """
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor")

    def bitwise_not(self) -> Tensor:
        """Elementwise bitwise not (``~``): ``-x - 1`` for integers, ``not x`` for bool.

        >>> tg.Tensor([0, 5]).bitwise_not().tolist(), (~tg.Tensor([True, False])).tolist()
        ([-1, -6], [False, True])
        """
        if self.dtype.kind not in "iub":
            raise OpDtypeError(
                f"bitwise_not: needs an integer or bool tensor, got dtype {self.dtype} (shape "
                f"{self.shape}); use logical_not for truth values"
            )
        return const(np.invert(self.data))

    def bitwise_left_shift(self, other: Any) -> Tensor:
        """Elementwise ``self << other`` of integer tensors.

        >>> tg.Tensor([1, 3]).bitwise_left_shift(2).tolist()
        [4, 12]
        """
        return self._bitwise(np.left_shift, other, "bitwise_left_shift")

    def bitwise_right_shift(self, other: Any) -> Tensor:
        """Elementwise ``self >> other`` of integer tensors (arithmetic shift).

        >>> tg.Tensor([16, -16]).bitwise_right_shift(2).tolist()
        [4, -4]
        """
        return self._bitwise(np.right_shift, other, "bitwise_right_shift")

    def __and__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_and, other, "bitwise_and")

    def __rand__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_and, other, "bitwise_and", rev=True)

    def __or__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_or, other, "bitwise_or")

    def __ror__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_or, other, "bitwise_or", rev=True)

    def __xor__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor")

    def __rxor__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor", rev=True)

    def __invert__(self) -> Tensor:
        return self.bitwise_not()

    def __lshift__(self, other: Any) -> Tensor:
        return self._bitwise(np.left_shift, other, "bitwise_left_shift")

    def __rlshift__(self, other: Any) -> Tensor:
        return self._bitwise(np.left_shift, other, "bitwise_left_shift", rev=True)

    def __rshift__(self, other: Any) -> Tensor:
        return self._bitwise(np.right_shift, other, "bitwise_right_shift")

    def __rrshift__(self, other: Any) -> Tensor:
        return self._bitwise(np.right_shift, other, "bitwise_right_shift", rev=True)


# the error boundary on the PyTorch-surface methods (see _errors.py)
guard_methods(LogicMethods)
