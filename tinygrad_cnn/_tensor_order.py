"""Tensor methods that scan or order along a dimension: cumsum, cumprod, cummax, logcumsumexp,
sort, argsort, topk, kthvalue, median, mode, unique.

A mixin of Tensor (tensor.py); the scan primitives are in ``ops/scan.py``. The order ops find
their indices with numpy and read their values with ``gather``, so the values are
differentiable (the gradient goes to the chosen elements) and the indices are not.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard_methods
from .autograd import composite
from .ops import scan
from .ops._util import const, normalize_dims

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

# the (values, indices) pairs, named as torch.return_types
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])
mode_result = namedtuple("mode", ["values", "indices"])
cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


def _int_result(dtype: np.dtype, wanted: Any) -> np.dtype:
    """The dtype of a cumulative sum/product: integers and bools widen to int64 (PyTorch)."""
    if wanted is not None:
        return np.dtype(wanted)
    return np.dtype(np.int64) if dtype.kind in "iub" else dtype


class OrderMethods:
    """Scans and order statistics of Tensor."""

    __slots__ = ()

    def _one_dim(self, dim: Any, name: str) -> int:
        (d,) = normalize_dims(dim, self.ndim, name)
        return d

    def _take_along(self, idx: np.ndarray, d: int) -> Tensor:
        """self's values at ``idx`` along dim ``d`` (a differentiable gather)."""
        return self.gather(d, const(idx))

    # -- scans ------------------------------------------------------------------------------
    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Cumulative sum along ``dim``; integer inputs give int64.

        >>> tg.Tensor([1.0, 2.0, 3.0]).cumsum(0).tolist()
        [1.0, 3.0, 6.0]
        """
        d = self._one_dim(dim, "cumsum")
        x = self.to(_int_result(self.dtype, dtype))
        if x.ndim == 0:
            return x.clone()
        return scan.CumSum.apply(x, dim=d)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Cumulative product along ``dim``; the gradient is exact where inputs are zero.

        >>> tg.Tensor([1.0, 2.0, 3.0]).cumprod(0).tolist()
        [1.0, 2.0, 6.0]
        """
        d = self._one_dim(dim, "cumprod")
        x = self.to(_int_result(self.dtype, dtype))
        if x.ndim == 0:
            return x.clone()
        return scan.CumProd.apply(x, dim=d)

    @composite("logcumsumexp")
    def logcumsumexp(self, dim: int) -> Tensor:
        """log(cumsum(exp(x))) along ``dim``, computed with the maximum taken out.

        >>> round(tg.Tensor([0.0, 0.0]).logcumsumexp(0)[1].item(), 4)
        0.6931
        """
        d = self._one_dim(dim, "logcumsumexp")
        if self.dtype.kind != "f":
            raise TypeError(f"logcumsumexp: expected a floating-point tensor, got {self.dtype}")
        if self.numel() == 0:
            return self.clone()
        m = self.data.max(axis=d, keepdims=True) if self.ndim else self.data
        m = const(np.where(np.isfinite(m), m, 0).astype(self.dtype))
        return (self - m).exp().cumsum(d).log() + m

    def _cum_extreme(self, dim: int, name: str, better: Any, result: Any):
        d = self._one_dim(dim, name)
        x = self.data if self.ndim else self.data.reshape(1)
        xm = np.moveaxis(x, d, -1)
        idx = np.zeros(xm.shape, dtype=np.int64)
        best = xm[..., :1].copy() if xm.shape[-1] else xm[..., :0]
        for i in range(1, xm.shape[-1]):  # ties take the later index, as PyTorch
            take = better(xm[..., i], best[..., 0]) | np.isnan(xm[..., i])
            idx[..., i] = np.where(take, i, idx[..., i - 1])
            best[..., 0] = np.where(take, xm[..., i], best[..., 0])
        idx = np.moveaxis(idx, -1, d).reshape(self.shape)
        return result(self._take_along(idx, d), const(idx))

    def cummax(self, dim: int):
        """Running maximum along ``dim``: a named tuple (values, indices).

        >>> tg.Tensor([1.0, 3.0, 2.0]).cummax(0).values.tolist()
        [1.0, 3.0, 3.0]
        """
        return self._cum_extreme(dim, "cummax", np.greater_equal, cummax_result)

    def cummin(self, dim: int):
        """Running minimum along ``dim``: a named tuple (values, indices).

        >>> tg.Tensor([3.0, 1.0, 2.0]).cummin(0).indices.tolist()
        [0, 1, 1]
        """
        return self._cum_extreme(dim, "cummin", np.less_equal, cummin_result)

    # -- sorting ----------------------------------------------------------------------------
    def _order(self, d: int, descending: bool) -> np.ndarray:
        x = self.data if self.ndim else self.data.reshape(1)
        if descending:  # stable: equal values keep their order, as PyTorch's descending sort
            n = x.shape[d]
            flipped = np.flip(x, d)
            return n - 1 - np.flip(np.argsort(flipped, axis=d, kind="stable"), d)
        return np.argsort(x, axis=d, kind="stable")

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """Sorted values along ``dim`` and where they came from: a named tuple
        (values, indices); equal values keep their order.

        >>> tg.Tensor([3.0, 1.0, 2.0]).sort().indices.tolist()
        [1, 2, 0]
        """
        d = self._one_dim(dim, "sort")
        idx = self._order(d, descending).reshape(self.shape)
        return sort_result(self._take_along(idx, d), const(idx))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort the tensor along ``dim``.

        >>> tg.Tensor([3.0, 1.0, 2.0]).argsort(descending=True).tolist()
        [0, 2, 1]
        """
        d = self._one_dim(dim, "argsort")
        return const(self._order(d, descending).reshape(self.shape))

    def msort(self) -> Tensor:
        """The values sorted along dimension 0.

        >>> tg.Tensor([[2.0], [1.0]]).msort().tolist()
        [[1.0], [2.0]]
        """
        return self.sort(0).values

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (or smallest) values along ``dim``: a named tuple (values, indices).

        >>> tg.Tensor([1.0, 5.0, 3.0]).topk(2).values.tolist()
        [5.0, 3.0]
        """
        d = self._one_dim(dim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(
                f"topk: k ({k}) is out of range for dimension {dim} of size {n} "
                f"(tensor shape {self.shape})"
            )
        idx = np.take(self._order(d, largest), np.arange(k), axis=d)
        idx = idx.reshape(self.shape) if self.ndim == 0 else idx
        return topk_result(self._take_along(idx, d), const(idx))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """The ``k``-th smallest value along ``dim`` (k counts from 1): (values, indices).

        >>> tg.Tensor([4.0, 1.0, 3.0]).kthvalue(2).values.item()
        3.0
        """
        d = self._one_dim(dim, "kthvalue")
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise RuntimeError(
                f"kthvalue: k ({k}) is out of range for dimension {dim} of size {n} "
                f"(tensor shape {self.shape}); expected 1 <= k <= {n}"
            )
        return self._pick(self._order(d, False), k - 1, d, keepdim, kthvalue_result)

    def _pick(self, order: np.ndarray, pos: int, d: int, keepdim: bool, result: Any):
        idx = np.take(order, [pos], axis=d)
        if self.ndim == 0:
            idx = idx.reshape(())
        values = self._take_along(idx, d)
        if not keepdim and self.ndim:
            return result(values.squeeze(d), const(idx.squeeze(d)))
        return result(values, const(idx))

    def median(self, dim: Any = None, keepdim: bool = False):
        """The lower median: of all elements (a tensor), or along ``dim`` (values, indices).

        >>> tg.Tensor([1.0, 4.0, 2.0, 3.0]).median().item()
        2.0
        """
        if dim is None:
            flat = self.reshape(-1)
            if flat.numel() == 0:
                return const(np.asarray(np.nan, dtype=self.dtype))
            value = flat.data[flat._order(0, False)[(flat.numel() - 1) // 2]]
            # as PyTorch: every element equal to the median shares its gradient evenly
            ties = flat.data == value
            if ties.sum() == 1 or self.dtype.kind != "f":
                return flat[int(np.flatnonzero(ties)[0]) if ties.any() else 0]
            return flat[ties].amax()
        d = self._one_dim(dim, "median")
        n = self.shape[d] if self.ndim else 1
        if n == 0:
            raise IndexError(f"median: cannot take the median of an empty dimension {dim}")
        return self._pick(self._order(d, False), (n - 1) // 2, d, keepdim, median_result)

    def mode(self, dim: int = -1, keepdim: bool = False):
        """The most frequent value along ``dim`` (the smallest among equally frequent ones) and
        its last index: a named tuple (values, indices).

        >>> tg.Tensor([1.0, 3.0, 3.0, 2.0]).mode().values.item()
        3.0
        """
        d = self._one_dim(dim, "mode")
        x = np.moveaxis(self.data if self.ndim else self.data.reshape(1), d, -1)
        rows = x.reshape(-1, x.shape[-1])
        idx = np.empty(len(rows), dtype=np.int64)
        for r, row in enumerate(rows):
            vals, counts = np.unique(row, return_counts=True)
            best = vals[np.argmax(counts)]
            idx[r] = np.flatnonzero(row == best)[-1]
        idx = np.moveaxis(idx.reshape(x.shape[:-1] + (1,)), -1, d)
        if self.ndim == 0:
            idx = idx.reshape(())
        values = self._take_along(idx, d)
        if not keepdim and self.ndim:
            return mode_result(values.squeeze(d), const(idx.squeeze(d)))
        return mode_result(values, const(idx))

    def unique(
        self,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ):
        """The distinct values (sorted), with the inverse map and the counts if asked;
        not differentiable.

        >>> u, counts = tg.Tensor([3, 1, 3]).unique(return_counts=True)
        >>> u.tolist(), counts.tolist()
        ([1, 3], [1, 2])
        """
        axis = None if dim is None else self._one_dim(dim, "unique")
        vals, inverse, counts = np.unique(
            self.data, return_inverse=True, return_counts=True, axis=axis
        )
        inverse = inverse.reshape(self.shape if axis is None else (self.shape[axis],))
        out = [const(vals)]
        if return_inverse:
            out.append(const(inverse.astype(np.int64)))
        if return_counts:
            out.append(const(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def unique_consecutive(
        self, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
    ):
        """Each run of equal consecutive values collapsed to one (along ``dim``, or of the
        flattened tensor), with the inverse map and run lengths if asked; not differentiable.

        >>> tg.tensor([1, 1, 2, 1]).unique_consecutive().tolist()
        [1, 2, 1]
        """
        if dim is None:
            x = self.data.reshape(-1)
            new = np.concatenate([[True], x[1:] != x[:-1]]) if x.size else np.zeros(0, bool)
            values = x[new]
        else:
            d = self._one_dim(dim, "unique_consecutive")
            x = np.moveaxis(self.data, d, 0)
            flat = x.reshape(len(x), -1)
            changed = (flat[1:] != flat[:-1]).any(axis=1)
            new = np.concatenate([[True], changed]) if len(x) else np.zeros(0, bool)
            values = np.moveaxis(x[new], 0, d)
        inverse = np.cumsum(new) - 1
        counts = np.diff(np.append(np.flatnonzero(new), len(new)))
        out = [const(values)]
        if return_inverse:
            shape = self.shape if dim is None else (len(new),)
            out.append(const(inverse.astype(np.int64).reshape(shape)))
        if return_counts:
            out.append(const(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)


guard_methods(OrderMethods)
