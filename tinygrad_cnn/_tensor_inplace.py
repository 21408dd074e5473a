"""Tensor methods that change a tensor in place: add_, sub_, mul_, div_, pow_, clamp_, relu_,
zero_, fill_, copy_, masked_fill_, index_put_ and ``x[idx] = v``, uniform_/normal_, and the
augmented operators ``+= -= *= /= @=``.

A mixin of Tensor (tensor.py). Each op computes its result with the ordinary out-of-place ops,
then writes it into the tensor's own array (so views and every reference see it) and bumps the
version counter the tensor shares with its views and ``detach()``. Under ``no_grad`` that is
all: it is how optimizers and hand-written loops update weights. With grad mode on and a result
that requires grad, the op is recorded as PyTorch does: the tensor object takes the new op as
its ``grad_fn``, whose input stands for the old value, so gradients stay right. An op that saved
the tensor for backward finds its version changed and raises PyTorch's error (autograd.py).
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import random as _random
from .autograd import VersionCounter, _state, name_the_op
from .errors import ShapeError
from .ops import elementwise, movement
from .ops._util import const
from .ops.movement import IndexAdd

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

_ALL = np.True_  # a condition selecting every element (Where broadcasts it)


def _names_errors(fn: Callable) -> Callable:
    """A public in-place method whose errors name it (``sub_: ...``), as every op's do."""

    @functools.wraps(fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except (ValueError, TypeError, RuntimeError, IndexError) as e:
            name_the_op(e, fn.__name__)
            raise

    return call


def _number(name: str, arg: str, v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: {arg} must be a number, got {type(v).__name__}")
    return v


class InplaceMethods:
    """In-place methods of Tensor (names end in ``_``) and the augmented operators."""

    __slots__ = ()

    # -- the one path every in-place op takes ------------------------------------------------
    def _inplace(
        self,
        name: str,
        compute: Callable[[Tensor], Tensor],
        others: tuple[Any, ...] = (),
        needs_old: bool = False,
        write: Callable[[], None] | None = None,
    ) -> Tensor:
        """Write ``compute(old value)`` into self. ``needs_old``: the op's backward reads its
        input, so a recorded op gets a copy of the old value; ``write`` replaces the plain
        copy of the result (for ``x[idx] = v``, whose repeated indices must not add up)."""
        if not _state.grad_enabled:
            new = compute(self)
            self._put(name, new, write)
            return self
        _check_leaf(self, name)
        graph = self.requires_grad or any(getattr(o, "requires_grad", False) for o in others)
        prev = self._old_value()
        src = prev
        if needs_old and graph:
            src = prev.clone() if prev.requires_grad else type(self)._wrap(prev._d.copy(), False)
        new = compute(src)
        if not new.requires_grad:
            self._put(name, new, write)
            return self
        if self._base is not None:
            return self._inplace_on_view(name, new)
        if new.dtype != self.dtype:
            new = new.astype(self.dtype)
        self._put(name, new, write)
        old_ctx, ctx = self._ctx, new._ctx
        if old_ctx is not None:  # the old history now ends at `prev`
            old_ctx._output_ref = weakref.ref(prev)
        ctx._output_ref = weakref.ref(self)
        ctx._out_version = self._version
        self._ctx = ctx
        self.requires_grad = True
        return self

    def _inplace_on_view(self, name: str, new: Tensor) -> Tensor:
        """An in-place result on a slice ``v = base[idx]`` (``base[:, 0] += 1``): recorded as
        ``base[idx] = new`` on the base (whose history it rebases), after which the view reads
        ``base[idx]`` again, as PyTorch does."""
        base, ctx = self._base, self._ctx
        if not (isinstance(ctx, movement.GetItem) and ctx._parents and ctx.inputs[0] is base):
            raise RuntimeError(
                f"{name}: this tensor is a view (a reshape, a transpose or a slice of a slice) of "
                "another tensor and the in-place result requires grad; change the base tensor "
                "instead (base[idx] = value) or work on a copy (view.clone())"
            )
        base._index_write(
            name, ctx.idx, new if new.dtype == self.dtype else new.astype(self.dtype), False
        )
        again = movement.GetItem.apply(base, idx=ctx.idx)
        ctx2 = again._ctx
        ctx2._output_ref = weakref.ref(self)
        ctx2._out_version = self._version
        self._ctx, self.requires_grad = ctx2, True
        return self

    def _old_value(self) -> Tensor:
        """A tensor standing for this one's value before the write: same array, same version
        counter, same history (so an op that saved it sees the write)."""
        vc = self._vc
        if vc is None:
            vc = self._vc = VersionCounter()
        prev = type(self)._wrap(self._d, self.requires_grad)
        prev._ctx, prev._vc = self._ctx, vc
        return prev

    def _put(self, name: str, new: Tensor, write: Callable[[], None] | None) -> None:
        if new.shape != self.shape:
            raise ShapeError(
                f"{name}: the result has shape {new.shape} but the tensor changed in place has "
                f"shape {self.shape} (an in-place op cannot change the shape; write "
                "x = x op y to get the broadcast result)"
            )
        if not np.can_cast(new.dtype, self.dtype, casting="same_kind"):
            raise RuntimeError(
                f"{name}: result type {new.dtype} can't be cast to the desired output type "
                f"{self.dtype}; convert first (x = x.float()) or work out of place"
            )
        try:
            if write is not None:
                write()
            else:
                self._d[...] = new._d
        except ValueError as e:
            if "read-only" not in str(e):
                raise
            raise RuntimeError(
                f"{name}: this tensor's memory is read-only or shared by several of its "
                f"elements (shape {self.shape}, e.g. an expand() result); clone() it before "
                "changing it in place"
            ) from None
        vc = self._vc
        if vc is None:
            vc = self._vc = VersionCounter()
        vc.v += 1

    # -- arithmetic ------------------------------------------------------------------------
    @_names_errors
    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """``self += alpha * other`` in place; returns self.

        >>> x = tg.ones(2); x.add_(tg.Tensor([1.0, 2.0]), alpha=2).tolist()
        [3.0, 5.0]
        """
        o = other if _number("add_", "alpha", alpha) == 1 else self._coerce(other) * alpha
        return self._inplace("add_", lambda s: s + o, (other,))

    @_names_errors
    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """``self -= alpha * other`` in place; returns self.

        >>> tg.ones(2).sub_(0.5).tolist()
        [0.5, 0.5]
        """
        o = other if _number("sub_", "alpha", alpha) == 1 else self._coerce(other) * alpha
        return self._inplace("sub_", lambda s: s - o, (other,))

    @_names_errors
    def mul_(self, other: Any) -> Tensor:
        """``self *= other`` in place; returns self.

        >>> tg.ones(2).mul_(3).tolist()
        [3.0, 3.0]
        """
        old = getattr(other, "requires_grad", False)  # d(other) needs the old self
        return self._inplace("mul_", lambda s: s * other, (other,), needs_old=old)

    @_names_errors
    def div_(self, other: Any) -> Tensor:
        """``self /= other`` in place; returns self.

        >>> tg.ones(2).div_(4).tolist()
        [0.25, 0.25]
        """
        return self._inplace("div_", lambda s: s / other, (other,))

    @_names_errors
    def pow_(self, exponent: Any) -> Tensor:
        """``self = self ** exponent`` in place; returns self.

        >>> tg.Tensor([2.0, 3.0]).pow_(2).tolist()
        [4.0, 9.0]
        """
        return self._inplace("pow_", lambda s: s**exponent, (exponent,), needs_old=True)

    @_names_errors
    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit every element to [min, max] in place; returns self.

        >>> tg.Tensor([-2.0, 0.5, 3.0]).clamp_(-1, 1).tolist()
        [-1.0, 0.5, 1.0]
        """
        return self._inplace("clamp_", lambda s: s.clamp(min, max), needs_old=True)

    clip_ = clamp_

    @_names_errors
    def relu_(self) -> Tensor:
        """max(x, 0) in place; returns self.

        >>> tg.Tensor([-1.0, 2.0]).relu_().tolist()
        [0.0, 2.0]
        """
        return self._inplace("relu_", lambda s: s.relu())

    # -- fills and copies --------------------------------------------------------------------
    @_names_errors
    def zero_(self) -> Tensor:
        """Fill with zeros in place; returns self (its gradient to the old value is zero).

        >>> tg.ones(2).zero_().tolist()
        [0.0, 0.0]
        """
        return self._fill("zero_", 0)

    @_names_errors
    def fill_(self, value: Any) -> Tensor:
        """Fill with ``value`` (a number or a 0-d tensor) in place; returns self.

        >>> tg.zeros(2).fill_(7).tolist()
        [7.0, 7.0]
        """
        return self._fill("fill_", value)

    def _fill(self, name: str, value: Any) -> Tensor:
        if getattr(value, "ndim", 0) != 0:
            raise ShapeError(
                f"{name}: the value must be a number or a 0-d tensor, got shape {value.shape}"
            )
        v = _as_dtype(self._coerce(value), self.dtype)
        return self._inplace(name, lambda s: elementwise.Where.apply(_ALL, v, s), (v,))

    @_names_errors
    def copy_(self, src: Any) -> Tensor:
        """Copy ``src``'s values (broadcast to this shape, cast to this dtype) in place.

        >>> tg.zeros(2).copy_(tg.Tensor([1.0, 2.0])).tolist()
        [1.0, 2.0]
        """
        return self._copy("copy_", src)

    def _copy(self, name: str, src: Any) -> Tensor:
        v = _as_dtype(self._coerce(src), self.dtype)
        return self._inplace(name, lambda s: elementwise.Where.apply(_ALL, v, s), (v,))

    @_names_errors
    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """``value`` where ``mask`` (a bool tensor) is true, in place; returns self.

        >>> x = tg.Tensor([1.0, -2.0]); x.masked_fill_(x < 0, 9.0).tolist()
        [1.0, 9.0]
        """
        try:
            m = mask.data if hasattr(mask, "requires_grad") else np.asarray(mask)
        except ValueError:  # ragged nested lists
            m = np.asarray(None)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_fill_: the mask must be a bool tensor, got dtype {m.dtype}")
        v = _as_dtype(self._coerce(value), self.dtype)
        return self._inplace("masked_fill_", lambda s: elementwise.Where.apply(m, v, s), (v,))

    @_names_errors
    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with draws from U(a, b) (the global generator) in place; returns self.

        >>> w = tg.zeros(3).uniform_(-1, 1); bool((w.abs() <= 1).all())
        True
        """
        a, b = _number("uniform_", "a", a), _number("uniform_", "b", b)
        if not (math.isfinite(a) and a <= b < math.inf):  # PyTorch's RuntimeError
            raise RuntimeError(f"uniform_: expects a finite range [a, b) with a <= b, got {a}, {b}")
        arr = _random.get_generator().uniform(a, b, self.shape)
        return self._copy("uniform_", const(arr.astype(self.dtype)))

    @_names_errors
    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with draws from N(mean, std**2) (the global generator) in place; returns self.

        >>> round(tg.zeros(1000).normal_(2.0, 0.1).mean().item())
        2
        """
        mean, std = _number("normal_", "mean", mean), _number("normal_", "std", std)
        if std < 0:
            raise ValueError(f"normal_: std must be non-negative, got {std}")
        arr = _random.get_generator().normal(mean, std, self.shape)
        return self._copy("normal_", const(arr.astype(self.dtype)))

    # -- indexed writes ----------------------------------------------------------------------
    def __setitem__(self, idx: Any, value: Any) -> None:
        self._index_write("__setitem__", idx, value, accumulate=False)

    @_names_errors
    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """``self[indices] = values`` (``+=`` with ``accumulate=True``, repeated indices
        adding up) in place; ``indices`` is a tuple of index tensors. Returns self.

        >>> x = tg.zeros(3)
        >>> x.index_put_((tg.Tensor([0, 0, 2]),), tg.Tensor(1.0), accumulate=True).tolist()
        [2.0, 0.0, 1.0]
        """
        if not isinstance(indices, (tuple, list)):
            raise TypeError(
                "index_put_: indices must be a tuple of index tensors, got "
                f"{type(indices).__name__}"
            )
        return self._index_write("index_put_", tuple(indices), values, accumulate)

    def _index_write(self, name: str, idx: Any, value: Any, accumulate: bool) -> Tensor:
        from ._tensor_movement import _index_steps, _index_words

        try:
            steps = _index_steps(idx, self.shape)
            mask = np.zeros(self.shape, dtype=bool)
            shapes, part = [self.shape], mask
            for step in steps:
                part = part[step]
                shapes.append(part.shape)
        except IndexError as e:
            raise IndexError(
                f"{name}: {_index_words(e)} (indexing a tensor of shape {self.shape})"
            ) from None
        try:
            v = _as_dtype(self._coerce(value), self.dtype)
        except TypeError as e:
            raise TypeError(f"{name}: the value to write is not usable ({e})") from None
        target = shapes[-1]
        try:
            fits = np.broadcast_shapes(v.shape, target) == target
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(
                f"{name}: shape mismatch: value tensor of shape {v.shape} cannot be broadcast "
                f"to indexing result of shape {target}"
            )
        _select(mask, steps[:-1])[steps[-1]] = True

        def scattered() -> Tensor:  # v placed at idx in a tensor of zeros, differentiably
            t = v.expand(target) if v.shape != target else v
            for step, shape in zip(reversed(steps), reversed(shapes[:-1])):
                t = IndexAdd.apply(t, idx=step, shape=shape)
            return t

        def write() -> None:
            view = _select(self._d, steps[:-1])
            if accumulate:
                np.add.at(view, steps[-1], np.broadcast_to(v._d, target))
            else:
                view[steps[-1]] = v._d

        if accumulate:
            return self._inplace(name, lambda s: s + scattered(), (v,), write=write)
        compute = lambda s: elementwise.Where.apply(mask, scattered(), s)  # noqa: E731
        return self._inplace(name, compute, (v,), write=write)

    # -- augmented operators -----------------------------------------------------------------
    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def __imatmul__(self, other: Any) -> Tensor:
        return self._inplace("__imatmul__", lambda s: s @ other, (other,), needs_old=True)


def _check_leaf(t: Any, name: str) -> None:
    if t.requires_grad and t._ctx is None and t._base is None:
        raise RuntimeError(
            f"{name}: a leaf Variable that requires grad is being used in an in-place "
            f"operation (a tensor of shape {t.shape}). Update weights under tg.no_grad() "
            "(`with tg.no_grad(): w -= lr * w.grad`), or work on a copy (w.clone())"
        )
    base = t._base
    if base is not None and base.requires_grad and base._ctx is None:
        raise RuntimeError(
            f"{name}: a view of a leaf Variable that requires grad is being used in an "
            f"in-place operation (a view of shape {t.shape} of a tensor of shape "
            f"{base.shape}). Do it under tg.no_grad(), or on a copy"
        )


def _as_dtype(v: Tensor, dtype: np.dtype) -> Tensor:
    return v if v.dtype == dtype else v.astype(dtype)


def _select(arr: np.ndarray, steps: list) -> np.ndarray:
    for step in steps:
        arr = arr[step]
    return arr
