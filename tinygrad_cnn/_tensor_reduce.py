"""Tensor methods that reduce over dimensions: sum, mean, max, var, logsumexp, softmax, argmax.

A mixin of Tensor (tensor.py); the primitives are in ``ops/reduce.py`` and ``ops/loss.py``,
the composites (mean = sum / n, var, logsumexp, softmax, ...) are written here.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard_methods
from ._tensor_math_funcs import OpDtypeError
from .autograd import composite
from .dtypes import get_default_dtype
from .ops import elementwise, loss, movement, reduce
from .ops._util import const, normalize_dims

aminmax_result = namedtuple("aminmax", ["min", "max"])

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class return_types:  # noqa: N801 (named as PyTorch's torch.return_types)
    """The named tuples that reductions with indices return, as ``torch.return_types``.

    >>> r = tg.Tensor([[1.0, 5.0]]).max(1)
    >>> isinstance(r, return_types.max), r.indices.tolist()
    (True, [1])
    """

    max = namedtuple("max", ["values", "indices"])
    min = namedtuple("min", ["values", "indices"])


def _select_extreme(x: Tensor, name: str, dims: tuple[int, ...], keepdim: bool) -> Any:
    """max(dim)/min(dim): the values at the arg-max/min indices (gathered, so the gradient
    goes to that index only, as PyTorch) and the indices."""
    rt = getattr(return_types, name)
    if x.ndim == 0:
        return rt(x.clone(), const(np.zeros((), np.int64)))
    (d,) = dims
    if x.shape[d] == 0:
        raise IndexError(
            f"{name}: expected reduction dim {d} to have non-zero size (shape {x.shape})"
        )
    arg = x.data.argmax if name == "max" else x.data.argmin
    idx = np.asarray(arg(axis=d, keepdims=True)).astype(np.int64)
    grids = list(np.ogrid[tuple(slice(s) for s in idx.shape)])
    grids[d] = idx
    values = movement.GetItem.apply(x, idx=tuple(grids))
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return rt(values, const(idx))


class ReduceMethods:
    """Reductions of Tensor."""

    __slots__ = ()

    # -- reductions -----------------------------------------------------------------------
    def _dims(self, dim: Any, axis: Any, name: str, keepdim: Any = False) -> tuple[int, ...]:
        if not isinstance(keepdim, (bool, np.bool_)):
            raise TypeError(f"{name}: keepdim must be True or False, got {type(keepdim).__name__}")
        d = dim if axis is None else axis
        if isinstance(d, ReduceMethods):  # iterating a tensor would give its elements
            raise TypeError(f"{name}: dim must be an int or a tuple of ints, got a Tensor")
        dims = normalize_dims(d, self.ndim, name)
        return dims if self.ndim else ()  # a 0-d tensor takes dim 0 or -1, reducing nothing

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:
        """Sum over ``dim`` (an int, a tuple or None for all); ``axis`` is an alias; ``dtype``
        casts the input first.

        >>> tg.Tensor([1, 2]).sum(dtype=tg.float64).dtype
        dtype('float64')
        """
        if dtype is not None:
            return self.to(dtype).sum(dim, keepdim, axis=axis)
        return reduce.Sum.apply(self, dims=self._dims(dim, axis, "sum", keepdim), keepdim=keepdim)

    @composite("mean")
    def mean(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Mean over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(1).tolist()
        [1.5, 3.5]
        """
        dims = self._dims(dim, axis, "mean", keepdim)
        n = math.prod(self.shape[d] for d in dims)
        if self.dtype.kind != "f":
            return self._floating().mean(dims, keepdim)
        # the mean of an empty axis is NaN, as PyTorch
        return reduce.Sum.apply(self, dims=dims, keepdim=keepdim) * (1.0 / n if n else math.nan)

    def prod(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:
        """Product over ``dim`` (all elements by default); ``dtype`` casts the input first.

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1).tolist()
        [2.0, 12.0]
        """
        if dtype is not None:
            return self.to(dtype).prod(dim, keepdim, axis=axis)
        return reduce.Prod.apply(self, dims=self._dims(dim, axis, "prod", keepdim), keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False, *, axis=None) -> Any:
        """The largest element (ties share the gradient evenly); with an int ``dim``, the
        named tuple ``(values, indices)`` along it (the gradient goes to the index), as PyTorch;
        with a tensor, the elementwise ``maximum``.

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).max().item()
        7.0
        >>> values, indices = tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
        >>> values.tolist(), indices.tolist()
        ([5.0, 7.0], [1, 0])
        """
        return self._extreme("max", reduce.Max, dim, keepdim, axis)

    def min(self, dim=None, keepdim: bool = False, *, axis=None) -> Any:
        """The smallest element, or with an int ``dim`` the named tuple ``(values, indices)``
        (exact for every dtype, as ``max``).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).min(1).values.tolist()
        [1.0, 0.0]
        """
        return self._extreme("min", reduce.Min, dim, keepdim, axis)

    def _extreme(self, name: str, fn: Any, dim: Any, keepdim: bool, axis: Any) -> Any:
        if isinstance(dim, ReduceMethods):
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        d = dim if axis is None else axis
        dims = self._dims(d, None, name, keepdim)
        if d is None or not isinstance(d, (int, np.integer)):  # all elements, or amax/amin
            if self.data.size == 0:
                raise ValueError(
                    f"{name}: cannot reduce an empty tensor of shape {self.shape}; give a dim "
                    "of non-zero size"
                )
            return fn.apply(self, dims=dims, keepdim=keepdim)
        return _select_extreme(self, name, dims, keepdim)

    def amax(self, dim=(), keepdim: bool = False) -> Tensor:
        """Maximum over ``dim`` (an int or a tuple; all dims when empty); ties share the
        gradient evenly.

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).amax((0, 1)).item()
        3.0
        """
        dims = normalize_dims(None if dim == () else dim, self.ndim, "amax")
        dims = dims if self.ndim else ()
        if self.data.size == 0 and any(self.shape[d] == 0 for d in dims):
            raise RuntimeError(
                f"amax: cannot reduce over an empty dimension of a tensor of shape {self.shape}"
            )
        return reduce.Max.apply(self, dims=dims, keepdim=keepdim)

    def amin(self, dim=(), keepdim: bool = False) -> Tensor:
        """Minimum over ``dim`` (an int or a tuple; all dims when empty).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).amin(0).tolist()
        [1.0, 0.0]
        """
        dims = normalize_dims(None if dim == () else dim, self.ndim, "amin")
        dims = dims if self.ndim else ()
        if self.data.size == 0 and any(self.shape[d] == 0 for d in dims):
            raise RuntimeError(
                f"amin: cannot reduce over an empty dimension of a tensor of shape {self.shape}"
            )
        return reduce.Min.apply(self, dims=dims, keepdim=keepdim)  # exact for every dtype

    @composite("var")
    def var(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None, axis=None
    ) -> Tensor:
        """Variance; ``correction=1`` (the default, as PyTorch) divides by n - 1."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        if correction is None:  # PyTorch: None means the default, 1
            correction = 1
        if isinstance(correction, bool) or not isinstance(correction, (int, float, np.number)):
            raise TypeError(f"var: correction must be a number, got {type(correction).__name__}")
        dims = self._dims(dim, axis, "var", keepdim)
        n = math.prod(self.shape[d] for d in dims)
        centered = self - self.mean(dims, keepdim=True)
        # as PyTorch: divide by max(0, n - correction); a zero divisor gives inf (or NaN)
        scale = 1.0 / (n - correction) if n > correction else math.inf
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
        """log(sum(exp(x))) computed stably: the max is subtracted first; integer inputs give
        the default float dtype.

        >>> round(tg.Tensor([[0.0, 0.0]]).logsumexp((0, 1)).item(), 4)
        0.6931
        """
        if self.dtype.kind != "f":
            return self.to(get_default_dtype()).logsumexp(dim, keepdim, axis=axis)
        dims = self._dims(dim, axis, "logsumexp", keepdim)
        m = const(self.data.max(axis=dims, keepdims=True, initial=-np.inf))  # -inf if empty
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
        return self._log_softmax(dim, axis, "softmax").exp()

    def log_softmax(self, dim: int = -1, *, axis=None) -> Tensor:
        """log(softmax(x)) along ``dim``, computed stably.

        >>> tg.Tensor([0.0, 0.0]).log_softmax().exp().tolist()
        [0.5, 0.5]
        >>> p = tg.Tensor([[1.0, 2.0, 3.0]]).log_softmax(dim=1)
        >>> round(float(p.exp().sum().item()), 5)
        1.0
        """
        return self._log_softmax(dim, axis, "log_softmax")

    def _log_softmax(self, dim: Any, axis: Any, name: str) -> Tensor:
        d = dim if axis is None else axis
        if d is None or isinstance(d, (tuple, list)):  # PyTorch: one dim, no implicit choice
            raise TypeError(
                f"{name}: dim must be an int, got {d!r:.40}; give the dimension to normalize "
                "over (e.g. dim=-1)"
            )
        if self.dtype.kind == "b":
            raise OpDtypeError(f"{name}: not implemented for bool tensors; use .float() first")
        dims = self._dims(dim, axis, name)
        if not dims:  # a 0-d tensor: log(1) = 0 (NaN for a non-finite value, as PyTorch)
            return self - self
        if self.shape[dims[0]] == 0:  # nothing to normalize: the empty result, as PyTorch
            return self - self
        return loss.LogSoftmax.apply(self, dim=dims[0])

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the maximum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1).tolist()
        [1, 0]
        """
        return self._arg_extreme("argmax", dim if axis is None else axis, keepdim)

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the minimum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(1).tolist()
        [0, 1]
        """
        return self._arg_extreme("argmin", dim if axis is None else axis, keepdim)

    def _arg_extreme(self, name: str, d: Any, keepdim: Any) -> Tensor:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))):
            raise TypeError(f"{name}: dim must be an int or None, got {type(d).__name__}")
        dims = self._dims(d, None, name, keepdim)
        if self.ndim == 0:
            return const(np.zeros((), np.int64))
        if self.data.size == 0:  # IndexError with PyTorch's wording
            if d is None:
                raise IndexError(
                    f"{name}: Expected reduction dim to be specified for input.numel() == 0 "
                    f"(a tensor of shape {self.shape}); give a dim of non-zero size"
                )
            if self.shape[dims[0]] == 0:
                raise IndexError(
                    f"{name}: Expected reduction dim {dims[0]} to have non-zero size (a tensor "
                    f"of shape {self.shape})"
                )
        axis = None if d is None else dims[0]
        out = getattr(self.data, name)(axis=axis, keepdims=bool(keepdim))
        return const(np.asarray(out, dtype=np.int64))

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where every element (along ``dim``, an int or a tuple) is non-zero.

        >>> tg.Tensor([[1.0, 0.0], [2.0, 3.0]]).all(dim=1).tolist()
        [False, True]
        """
        dims = self._dims(dim, None, "all", keepdim)
        return const(np.asarray(self.data.all(axis=dims, keepdims=keepdim)))

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where some element (along ``dim``, an int or a tuple) is non-zero.

        >>> tg.Tensor([[1.0, 0.0], [0.0, 0.0]]).any(dim=1, keepdim=True).tolist()
        [[True], [False]]
        """
        dims = self._dims(dim, None, "any", keepdim)
        return const(np.asarray(self.data.any(axis=dims, keepdims=keepdim)))

    def norm(self, p: Any = "fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
        """The vector p-norm over ``dim`` (all elements by default); "fro" is the 2-norm.

        >>> tg.Tensor([3.0, 4.0]).norm().item()
        5.0
        """
        if p in ("fro", None):
            p = 2
        if isinstance(p, str):
            raise ValueError(f"norm: p={p!r} is not supported; use a number, inf or 'fro'")
        return self.vector_norm(p, dim, keepdim, dtype=dtype)

    @composite("vector_norm")
    def vector_norm(self, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None):
        """The vector ``ord``-norm over ``dim`` (as ``tg.linalg.vector_norm``): ord = inf,
        -inf, 0 (count of non-zeros) or any number; the gradient at zero is 0.

        >>> tg.Tensor([3.0, -4.0]).vector_norm(float("inf")).item()
        4.0
        """
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind != "f":
            raise TypeError(
                f"linalg.vector_norm: expected a floating-point tensor as input, got {x.dtype}"
            )
        if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float, np.number)):
            raise TypeError(
                f"linalg.vector_norm: ord must be a number (2, 1, inf, -inf, 0, ...), got {ord!r}"
            )
        dims = x._dims(dim, None, "vector_norm", keepdim)
        if ord == math.inf:
            return x.abs().amax(dims, keepdim)
        if ord == -math.inf:
            return x.abs().amin(dims, keepdim)
        if ord == 0:  # a count: attached to the graph with a zero gradient, as PyTorch
            count = const(np.count_nonzero(x.data, axis=dims, keepdims=keepdim).astype(x.dtype))
            none = np.zeros(x.shape, dtype=bool)
            return count + elementwise.Where.apply(none, x, const(np.zeros((), x.dtype))).sum(
                dims, keepdim
            )
        if ord == 1:
            return x.abs().sum(dims, keepdim)
        total = (x * x).sum(dims, keepdim) if ord == 2 else (x.abs() ** ord).sum(dims, keepdim)
        return _safe_root(total, ord)

    def count_nonzero(self, dim=None) -> Tensor:
        """The number of non-zero entries over ``dim`` (an int or a tuple), as int64.

        >>> tg.Tensor([[0, 1], [2, 3]]).count_nonzero(dim=0).tolist()
        [1, 2]
        """
        dims = self._dims(dim, None, "count_nonzero")
        return const(np.asarray(np.count_nonzero(self.data, axis=dims), dtype=np.int64))

    def var_mean(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None):
        """``(var, mean)`` over ``dim`` in one call.

        >>> v, m = tg.Tensor([1.0, 3.0]).var_mean()
        >>> v.item(), m.item()
        (2.0, 2.0)
        """
        if isinstance(dim, bool):  # var_mean(x, unbiased) positionally, as PyTorch allows
            dim, unbiased = None, dim
        v = self.var(dim, keepdim, correction=correction, unbiased=unbiased)
        return v, self.mean(dim, keepdim)

    def std_mean(self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None):
        """``(std, mean)`` over ``dim`` in one call.

        >>> s, m = tg.Tensor([1.0, 3.0]).std_mean(correction=0)
        >>> s.item(), m.item()
        (1.0, 2.0)
        """
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        s = self.std(dim, keepdim, correction=correction, unbiased=unbiased)
        return s, self.mean(dim, keepdim)

    def aminmax(self, *, dim=None, keepdim: bool = False):
        """``(min, max)`` over ``dim`` (all elements by default), a named tuple.

        >>> tg.Tensor([1.0, 5.0, 3.0]).aminmax().max.item()
        5.0
        """
        lo = self.amin(() if dim is None else dim, keepdim)
        return aminmax_result(lo, self.amax(() if dim is None else dim, keepdim))

    @composite("nansum")
    def nansum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """Sum over ``dim`` treating NaN as zero.

        >>> tg.Tensor([1.0, float("nan"), 2.0]).nansum().item()
        3.0
        """
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind != "f":
            return x.sum(dim, keepdim)
        nan = np.isnan(x.data)
        zero = const(np.zeros((), dtype=x.dtype))
        return elementwise.Where.apply(nan, zero, x).sum(dim, keepdim)

    @composite("nanmean")
    def nanmean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """Mean over ``dim`` of the entries that are not NaN.

        >>> tg.Tensor([1.0, float("nan"), 2.0]).nanmean().item()
        1.5
        """
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind != "f":
            raise TypeError(f"nanmean: expected a floating-point tensor, got {x.dtype}")
        dims = x._dims(dim, None, "nanmean", keepdim)
        count = (~np.isnan(x.data)).sum(axis=dims, keepdims=keepdim).astype(x.dtype)
        return x.nansum(dims, keepdim) / const(count)


def _safe_root(total: Tensor, ord: float) -> Tensor:
    """total ** (1 / ord) with a zero gradient where total is 0 (PyTorch's convention at the
    origin, where the true derivative is infinite or undefined)."""
    from .ops.elementwise import Where

    zero = total.data == 0
    if not zero.any():
        return total.sqrt() if ord == 2 else total ** (1.0 / ord)
    one = const(np.ones((), dtype=total.dtype))
    safe = Where.apply(zero, one, total)
    root = safe.sqrt() if ord == 2 else safe ** (1.0 / ord)
    return Where.apply(zero, const(np.zeros((), dtype=total.dtype)), root)


# the error boundary on the PyTorch-surface methods (see _errors.py)
guard_methods(
    ReduceMethods,
    """
    sum prod amax amin all any norm vector_norm count_nonzero var_mean std_mean aminmax nansum
    nanmean
    """.split(),
)
