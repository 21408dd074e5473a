"""Tensor methods that gather and scatter by index: gather, scatter, scatter_add, scatter_reduce,
index_select, index_add, take, take_along_dim, masked_select, nonzero.

A mixin of Tensor (tensor.py). Every op here is a composite of the indexing pair in
``ops/movement.py``: GetItem (read at indices) and IndexAdd (add into zeros at indices), each
the other's gradient, so all of them are differentiable to every order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard_methods, operand
from .autograd import composite
from .ops import elementwise
from .ops._util import const, normalize_dims
from .ops.movement import GetItem, IndexAdd

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

_FILL = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}


def _index_array(index: Any, name: str) -> np.ndarray:
    try:
        arr = index.data if hasattr(index, "requires_grad") else np.asarray(index)
    except ValueError:  # ragged nested lists
        arr = np.asarray(None)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: index must be an integer tensor (int64), got {type(index).__name__} of "
            f"dtype {arr.dtype}"
        )
    return arr.astype(np.int64, copy=False)


def _check_range(idx: np.ndarray, n: int, name: str, dim: int) -> None:
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(
            f"{name}: index values must lie in [{-n}, {n - 1}] for dimension {dim} of size {n}, "
            f"got values from {idx.min()} to {idx.max()}"
        )


def _along(index: np.ndarray, d: int) -> tuple[np.ndarray, ...]:
    """The advanced index reading position ``index[i]`` along dim ``d`` and ``i`` elsewhere."""
    nd = index.ndim
    return tuple(
        index if a == d else np.arange(n).reshape([-1 if b == a else 1 for b in range(nd)])
        for a, n in enumerate(index.shape)
    )


class IndexMethods:
    """Gathering and scattering methods of Tensor."""

    __slots__ = ()

    def _index_dim(self, dim: int, index: np.ndarray, name: str, src: Any = None) -> int:
        (d,) = normalize_dims(dim, self.ndim, name)
        nd = max(self.ndim, 1)
        if index.ndim != nd and not (index.ndim == 0 and self.ndim == 0):
            raise RuntimeError(
                f"{name}: index (shape {index.shape}) must have as many dimensions as the "
                f"input (shape {self.shape})"
            )
        shape = self.shape or (1,)
        for a, n in enumerate(index.shape):
            if a != d and n > shape[a]:
                raise RuntimeError(
                    f"{name}: index shape {index.shape} is larger than the input shape "
                    f"{self.shape} in dimension {a}"
                )
            if src is not None and n > (src.shape or (1,))[a]:
                raise RuntimeError(
                    f"{name}: index shape {index.shape} is larger than src shape {src.shape} "
                    f"in dimension {a}"
                )
        if index.size and (index.min() < -shape[d] or index.max() >= shape[d]):
            raise IndexError(
                f"{name}: index values must lie in [{-shape[d]}, {shape[d] - 1}] for dimension "
                f"{dim} of size {shape[d]}, got values from {index.min()} to {index.max()}"
            )
        return d

    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
        """out[i][j] = self[index[i][j]][j] for dim 0 (and likewise for other dims).

        >>> x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.gather(1, tg.Tensor([[1], [0]])).tolist()
        [[2.0], [3.0]]
        """
        idx = _index_array(index, "gather")
        d = self._index_dim(dim, idx, "gather")
        if self.ndim == 0:
            return self.reshape(1).gather(0, idx.reshape(1)).reshape(())
        return GetItem.apply(self, idx=_along(idx, d))

    def _targets(self, dim: int, index: Any, src: Any, name: str) -> np.ndarray:
        """The flat position in self each index entry writes to."""
        idx = _index_array(index, name)
        d = self._index_dim(dim, idx, name, src if hasattr(src, "shape") else None)
        pos = list(_along(idx.reshape(idx.shape or (1,)), d))
        pos[d] = pos[d] % (self.shape or (1,))[d]
        full = np.broadcast_arrays(*pos)
        return np.ravel_multi_index(full, self.shape or (1,)).reshape(-1)

    def _src_values(self, src: Any, index_shape: tuple, name: str) -> Tensor:
        if not hasattr(src, "shape") or not hasattr(src, "requires_grad"):
            if isinstance(src, bool) or not isinstance(src, (int, float, np.number)):
                raise TypeError(
                    f"{name}: src must be a tensor or a number, got {type(src).__name__}"
                )
            return const(np.full(index_shape, src, dtype=self.dtype)).reshape(-1)
        if src.ndim != len(index_shape) and src.ndim:
            raise RuntimeError(f"{name}: src (shape {src.shape}) must have index's dimensions")
        part = src if src.shape == index_shape else src[tuple(slice(0, n) for n in index_shape)]
        return part.reshape(-1)

    @composite("scatter")
    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce=None):
        """A copy with ``src`` (a tensor or a number) written at ``index`` along ``dim``.

        >>> tg.zeros(3).scatter(0, tg.Tensor([2, 0]), tg.Tensor([5.0, 6.0])).tolist()
        [6.0, 0.0, 5.0]
        """
        src = value if src is None else src
        if src is None:
            raise TypeError("scatter: give src (a tensor) or value (a number)")
        if reduce is not None:
            mode = {"add": "sum", "multiply": "prod"}.get(reduce)
            if mode is None:
                raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
            return self.scatter_reduce(dim, index, self._scatter_src(src, index), mode)
        flat = self._targets(dim, index, src, "scatter")
        vals = self._src_values(src, np.shape(_index_array(index, "scatter")), "scatter")
        n = max(self.numel(), 1)
        written = IndexAdd.apply(vals, idx=(flat,), shape=(n,))
        # NOTE: a repeated target keeps the last write (PyTorch leaves the choice unspecified);
        # as in PyTorch every src entry still gets the gradient at its target (a gather), so
        # the sum of the earlier writes is taken back out as a constant
        last = len(flat) - 1 - np.unique(flat[::-1], return_index=True)[1]
        if len(last) < len(flat):
            earlier = np.ones(len(flat), dtype=bool)
            earlier[last] = False
            extra = np.zeros(n, dtype=self.dtype)
            np.add.at(extra, flat[earlier], vals.data[earlier])
            written = written - const(extra)
        written = written.reshape(self.shape)
        hit = np.zeros(n, dtype=bool)
        hit[flat] = True
        return elementwise.Where.apply(hit.reshape(self.shape), written, self)

    def _scatter_src(self, src: Any, index: Any) -> Any:
        if hasattr(src, "requires_grad"):
            return src
        return const(np.full(np.shape(_index_array(index, "scatter")), src, dtype=self.dtype))

    @composite("scatter_add")
    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy with ``src`` added at ``index`` along ``dim`` (repeats accumulate).

        >>> tg.zeros(2).scatter_add(0, tg.Tensor([1, 1]), tg.Tensor([1.0, 2.0])).tolist()
        [0.0, 3.0]
        """
        flat = self._targets(dim, index, src, "scatter_add")
        vals = self._src_values(src, np.shape(_index_array(index, "scatter_add")), "scatter_add")
        n = max(self.numel(), 1)
        return self + IndexAdd.apply(vals, idx=(flat,), shape=(n,)).reshape(self.shape)

    @composite("scatter_reduce")
    def scatter_reduce(
        self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """Reduce ``src`` into a copy of self at ``index`` along ``dim`` with ``reduce`` (sum,
        prod, mean, amax, amin); ``include_self`` counts self's value in each reduction.

        >>> x = tg.Tensor([1.0, 1.0])
        >>> x.scatter_reduce(0, tg.Tensor([0, 0]), tg.Tensor([3.0, 5.0]), "amax").tolist()
        [5.0, 1.0]
        """
        if reduce not in _FILL:
            raise ValueError(
                f"scatter_reduce: reduce must be one of {sorted(_FILL)}, got {reduce!r}"
            )
        flat = self._targets(dim, index, src, "scatter_reduce")
        vals = self._src_values(src, np.shape(_index_array(index, "scatter_reduce")), "")
        n = max(self.numel(), 1)
        counts = np.bincount(flat, minlength=n)
        if not len(flat):
            return self.clone()
        # one row per target: the values reduced into it, padded with the reduction's identity
        order = np.argsort(flat, kind="stable")
        starts = np.cumsum(counts) - counts
        rank = np.empty_like(flat)
        rank[order] = np.arange(len(flat)) - starts[flat[order]]
        width = int(counts.max())
        table = IndexAdd.apply(vals, idx=(flat, rank), shape=(n, width))
        empty = np.arange(width)[None, :] >= counts[:, None]
        table = table + const(np.where(empty, _FILL[reduce], 0.0).astype(self.dtype))
        own = self.reshape(n, 1)
        if include_self:
            table = _cat_columns(own, table)
        out = _reduce_rows(table, reduce, counts + include_self)
        hit = (counts > 0).reshape(self.shape)
        return elementwise.Where.apply(hit, out.reshape(self.shape), self)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The entries at ``index`` (1-D) along ``dim``.

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).index_select(0, tg.Tensor([1])).tolist()
        [[3.0, 4.0]]
        """
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise IndexError(f"index_select: index must be 0-d or 1-D, got shape {idx.shape}")
        (d,) = normalize_dims(dim, self.ndim, "index_select")
        _check_range(idx, self.shape[d] if self.ndim else 1, "index_select", dim)
        if self.ndim == 0:
            return self.reshape(1).index_select(0, idx).reshape(())
        return GetItem.apply(self, idx=(slice(None),) * d + (idx.reshape(-1),))

    @composite("index_add")
    def index_add(self, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Tensor:
        """A copy with ``alpha * source`` added at ``index`` (1-D) along ``dim``.

        >>> tg.zeros(3).index_add(0, tg.Tensor([0, 0]), tg.Tensor([1.0, 2.0])).tolist()
        [3.0, 0.0, 0.0]
        """
        idx = _index_array(index, "index_add").reshape(-1)
        (d,) = normalize_dims(dim, self.ndim, "index_add")
        _check_range(idx, self.shape[d] if self.ndim else 1, "index_add", dim)
        source = operand(self, source, "index_add")
        want = self.shape[:d] + (len(idx),) + self.shape[d + 1 :] if self.ndim else idx.shape
        if source.shape != want and source.numel() != len(idx):
            raise RuntimeError(
                f"index_add: source shape {source.shape} must be {want} for input shape "
                f"{self.shape}, dim {dim} and {len(idx)} indices"
            )
        if self.ndim == 0:
            return self + (source * alpha).sum()
        src = source.reshape(want) * alpha if alpha != 1 else source.reshape(want)
        pos = (slice(None),) * d + (idx,)
        return self + IndexAdd.apply(src, idx=pos, shape=self.shape)

    def take(self, index: Any) -> Tensor:
        """The entries at ``index`` of the flattened tensor, in index's shape.

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).take(tg.Tensor([3, 0])).tolist()
        [4.0, 1.0]
        """
        idx = _index_array(index, "take")
        n = self.numel()
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"take: index out of range for a tensor of {n} elements")
        return GetItem.apply(self.reshape(-1), idx=(idx,))

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """``gather`` with indices broadcast against self (flattened when dim is None).

        >>> x = tg.Tensor([[10.0, 30.0], [40.0, 20.0]])
        >>> x.take_along_dim(x.argmax(1, keepdim=True), 1).tolist()
        [[30.0], [40.0]]
        """
        idx = _index_array(indices, "take_along_dim")
        if dim is None:
            return self.reshape(-1).gather(0, idx.reshape(-1))
        (d,) = normalize_dims(dim, self.ndim, "take_along_dim")
        if idx.ndim != self.ndim:
            raise RuntimeError(
                f"take_along_dim: indices (shape {idx.shape}) must have as many dimensions as "
                f"the input (shape {self.shape})"
            )
        try:
            rest = np.broadcast_shapes(
                self.shape[:d] + (1,) + self.shape[d + 1 :],
                idx.shape[:d] + (1,) + idx.shape[d + 1 :],
            )
        except ValueError:
            raise RuntimeError(
                f"take_along_dim: shapes {self.shape} and {idx.shape} cannot be broadcast "
                f"outside dim {dim}"
            ) from None
        x = self.expand(rest[:d] + (self.shape[d],) + rest[d + 1 :])
        idx = np.broadcast_to(idx, rest[:d] + (idx.shape[d],) + rest[d + 1 :])
        return x.gather(d, idx)

    def masked_select(self, mask: Any) -> Tensor:
        """The entries where ``mask`` (broadcast to self) is true, as a 1-D tensor.

        >>> x = tg.Tensor([1.0, -2.0, 3.0])
        >>> x.masked_select(x > 0).tolist()
        [1.0, 3.0]
        """
        m = mask.data if hasattr(mask, "requires_grad") else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_select: mask must be a bool tensor, got dtype {m.dtype}")
        try:
            shape = np.broadcast_shapes(self.shape, m.shape)
        except ValueError:
            raise RuntimeError(
                f"masked_select: mask shape {m.shape} cannot broadcast with input {self.shape}"
            ) from None
        x = self.expand(shape) if shape != self.shape else self
        return GetItem.apply(x, idx=(np.broadcast_to(m, shape),))

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The indices of the non-zero entries: an (n, ndim) int64 tensor, or with
        ``as_tuple=True`` one 1-D tensor per dimension.

        >>> tg.Tensor([[0.0, 1.0], [2.0, 0.0]]).nonzero().tolist()
        [[0, 1], [1, 0]]
        """
        x = self.data
        if as_tuple:
            found = np.nonzero(x.reshape(1) if x.ndim == 0 else x)
            return tuple(const(i.astype(np.int64)) for i in found)
        return const(np.argwhere(x).astype(np.int64))

    def argwhere(self) -> Tensor:
        """As ``nonzero()``: the (n, ndim) indices of the non-zero entries.

        >>> tg.Tensor([0.0, 3.0]).argwhere().tolist()
        [[1]]
        """
        return self.nonzero()

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """How often each value of a 1-D non-negative int tensor occurs (or the sum of
        ``weights`` per value, differentiable in the weights).

        >>> tg.tensor([0, 2, 2]).bincount().tolist()
        [1, 0, 2]
        """
        x = self.data
        if self.ndim != 1 or x.dtype.kind not in "iu" or (x.size and x.min() < 0):
            raise RuntimeError(
                f"bincount: input must be a 1-D tensor of non-negative integers, got shape "
                f"{self.shape} and dtype {self.dtype}"
            )
        n = max(int(x.max()) + 1 if x.size else 0, minlength)
        if weights is None:
            return const(np.bincount(x, minlength=n).astype(np.int64))
        w = operand(self, weights, "bincount")
        if w.shape != self.shape:
            raise RuntimeError(
                f"bincount: weights (shape {w.shape}) must have the input's shape {self.shape}"
            )
        return IndexAdd.apply(w.reshape(-1), idx=(x,), shape=(n,))

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        """A copy with ``value`` at ``index`` (1-D) along ``dim``.

        >>> tg.zeros(3).index_fill(0, tg.tensor([0, 2]), 1.0).tolist()
        [1.0, 0.0, 1.0]
        """
        idx = _index_array(index, "index_fill").reshape(-1)
        (d,) = normalize_dims(dim, self.ndim, "index_fill")
        _check_range(idx, (self.shape or (1,))[d], "index_fill", dim)
        mask = np.zeros(self.shape or (1,), dtype=bool)
        mask[(slice(None),) * d + (idx,)] = True
        return elementwise.Where.apply(
            mask.reshape(self.shape), operand(self, value, "index_fill"), self
        )

    @composite("index_copy")
    def index_copy(self, dim: int, index: Any, source: Any) -> Tensor:
        """A copy with ``source``'s slices written at ``index`` (1-D) along ``dim``.

        >>> tg.zeros(3).index_copy(0, tg.tensor([2]), tg.tensor([5.0])).tolist()
        [0.0, 0.0, 5.0]
        """
        idx = _index_array(index, "index_copy").reshape(-1)
        (d,) = normalize_dims(dim, self.ndim, "index_copy")
        _check_range(idx, self.shape[d] if self.ndim else 1, "index_copy", dim)
        mask = np.zeros(self.shape, dtype=bool)
        mask[(slice(None),) * d + (idx,)] = True
        source = operand(self, source, "index_copy")
        want = self.shape[:d] + (len(idx),) + self.shape[d + 1 :]
        if source.shape != want:
            raise RuntimeError(
                f"index_copy: source shape {source.shape} must be {want} for input shape "
                f"{self.shape}, dim {dim} and {len(idx)} indices"
            )
        placed = IndexAdd.apply(source, idx=(slice(None),) * d + (idx,), shape=self.shape)
        return elementwise.Where.apply(mask, placed, self)


def _cat_columns(a: Tensor, b: Tensor) -> Tensor:
    from .ops.movement import Cat

    return Cat.apply(a, b, dim=1)


def _reduce_rows(table: Tensor, reduce: str, counts: np.ndarray) -> Tensor:
    if reduce == "sum":
        return table.sum(1)
    if reduce == "prod":
        return table.prod(1)
    if reduce == "amax":
        return table.amax(1)
    if reduce == "amin":
        return table.amin(1)
    total = table.sum(1)
    if total.dtype.kind != "f":
        return const(total.data // np.maximum(counts, 1).astype(total.dtype))
    return total / const(np.maximum(counts, 1).astype(total.dtype))


guard_methods(IndexMethods)
