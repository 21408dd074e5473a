"""Tensor methods that move data: reshape, permute, expand, squeeze, flip, pad, indexing, split,
and PyTorch's shape vocabulary (movedim, narrow, unbind, tensor_split, tile, roll, rot90, unfold).

A mixin of Tensor (tensor.py); the primitives are in ``ops/movement.py``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard_methods
from .autograd import composite
from .errors import ShapeError
from .ops import layout, movement
from .ops._util import normalize_dims

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class MovementMethods:
    """Shape and indexing methods of Tensor."""

    __slots__ = ()

    # -- shape ----------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape; one size may be -1.

        >>> tg.arange(6).reshape(2, -1).shape
        (2, 3)
        """
        target = _resolve_shape(_shape_arg(shape, "reshape"), self.data.size, "reshape", self.shape)
        if target == self.shape:
            return self
        if layout.flattens_batch_last(self.data, target):
            return layout.FlattenBatchLast.apply(self, shape=target)
        return movement.Reshape.apply(self, shape=target)

    def view(self, *shape: Any) -> Tensor:
        """As ``reshape``.

        >>> tg.arange(6).view(3, 2).shape
        (3, 2)
        """
        return self.reshape(*shape)

    @composite("flatten")
    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim`` to ``end_dim`` into one.

        >>> tg.zeros(2, 3, 4).flatten(1).shape
        (2, 12)
        """
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _one(start_dim, self.ndim, "flatten"), _one(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
                f"shape {self.shape}"
            )
        # NOTE: the merged size, not -1, so an empty batch flattens to (0, k) as PyTorch
        merged = math.prod(self.shape[s : e + 1])
        return self.reshape(self.shape[:s] + (merged,) + self.shape[e + 1 :])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dimension ``dim`` into ``sizes``.

        >>> tg.zeros(2, 12).unflatten(1, (3, 4)).shape
        (2, 3, 4)
        """
        d = _one(dim, self.ndim, "unflatten")
        if isinstance(sizes, (int, np.integer)) or not isinstance(sizes, (list, tuple)):
            raise TypeError(
                f"unflatten: sizes must be a tuple or list of ints, got {type(sizes).__name__}"
            )
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        try:
            return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])
        except (TypeError, ValueError, RuntimeError) as e:
            raise type(e)(f"unflatten: sizes {tuple(sizes)} do not fit dim {dim} ({e})") from None

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the dimensions.

        >>> tg.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        dims = _shape_arg(dims, "permute", "dims")
        if len(dims) != self.ndim:
            raise RuntimeError(
                f"permute: number of dims {len(dims)} does not match the {self.ndim} dimensions "
                f"of a tensor of shape {self.shape}"
            )
        dims = tuple(_one(d, self.ndim, "permute") for d in dims)
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: dims {dims} are not a permutation of the {self.ndim} dimensions of "
                f"a tensor of shape {self.shape}"
            )
        if dims == tuple(range(self.ndim)):
            return self
        return movement.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int = 0, dim1: int = 1) -> Tensor:
        """Swap two dimensions.

        >>> tg.zeros(2, 3, 4).transpose(0, 2).shape
        (4, 3, 2)
        """
        d0, d1 = _one(dim0, self.ndim, "transpose"), _one(dim1, self.ndim, "transpose")
        if self.ndim < 2:
            return self
        dims = list(range(self.ndim))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self.permute(tuple(dims))

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast size-1 dimensions to ``shape`` (-1 keeps a size); its gradient is a sum.

        >>> tg.ones(3, 1).expand(3, 4).shape
        (3, 4)
        """
        shape = _shape_arg(shape, "expand")
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: cannot expand shape {self.shape} to fewer dims {shape}")
        target = tuple(
            self.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(shape)
        )
        if target == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, target)
            if np.broadcast_shapes(self.shape, target) != target:
                raise ValueError
        except ValueError:
            raise ShapeError(
                f"expand: shape {self.shape} cannot be expanded to {target} (only size-1 "
                "dimensions can grow)"
            ) from None
        return movement.Expand.apply(self, shape=target)

    def expand_as(self, other: Tensor) -> Tensor:
        """``expand`` to ``other``'s shape.

        >>> tg.ones(1, 4).expand_as(tg.zeros(3, 4)).shape
        (3, 4)
        """
        if not hasattr(other, "shape") or not hasattr(other, "requires_grad"):
            raise TypeError(f"expand_as: other must be a Tensor, got {type(other).__name__}")
        try:
            return self.expand(other.shape)
        except ShapeError as e:
            raise ShapeError(f"expand_as: {e}") from None

    def squeeze(self, dim=None) -> Tensor:
        """Drop size-1 dimensions (only ``dim`` if given).

        >>> tg.zeros(1, 3, 1).squeeze().shape
        (3,)
        """
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = normalize_dims(dim, self.ndim, "squeeze") if self.ndim else ()
        return self.reshape(
            tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        )

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dimension at ``dim``.

        >>> tg.zeros(3).unsqueeze(0).shape
        (1, 3)
        """
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"unsqueeze: dim must be an int, got {type(dim).__name__}")
        d = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= d <= self.ndim:
            raise IndexError(
                f"unsqueeze: dim {dim} is out of range for a tensor with {self.ndim} dimensions "
                f"(expected to be in range of [{-self.ndim - 1}, {self.ndim}], but got {dim})"
            )
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def flip(self, dims) -> Tensor:
        """Reverse the order of elements along ``dims``.

        >>> tg.Tensor([1.0, 2.0, 3.0]).flip(0).tolist()
        [3.0, 2.0, 1.0]
        """
        return movement.Flip.apply(self, dims=normalize_dims(dims, self.ndim, "flip"))

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes`` times along each dimension (like torch.Tensor.repeat).

        >>> tg.Tensor([1, 2]).repeat(2, 2).tolist()
        [[1, 2, 1, 2], [1, 2, 1, 2]]
        """
        sizes = _shape_arg(sizes, "repeat")
        if min(sizes, default=0) < 0:
            raise RuntimeError(f"repeat: repeat counts must be non-negative, got {sizes}")
        if len(sizes) < self.ndim:
            raise ValueError(
                f"repeat: {len(sizes)} repeat counts given for a tensor of {self.ndim} dims "
                f"(shape {self.shape}); give at least {self.ndim}"
            )
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        inter = tuple(v for s in x.shape for v in (1, s))
        big = tuple(v for r, s in zip(sizes, x.shape) for v in (r, s))
        return x.reshape(inter).expand(big).reshape(tuple(r * s for r, s in zip(sizes, x.shape)))

    def pad(self, pad: Sequence[int], value: float = 0.0) -> Tensor:
        """Constant padding in F.pad's order: (last_lo, last_hi, prev_lo, prev_hi, ...).

        >>> tg.Tensor([[1, 2]]).pad((1, 0), value=9).tolist()
        [[9, 1, 2]]
        """
        if not isinstance(pad, (tuple, list)) or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad
        ):
            raise TypeError(
                f"pad: pad must be a tuple of ints, got {type(pad).__name__} {pad!r:.40}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"pad: value must be a number, got {type(value).__name__}")
        if len(pad) % 2 or len(pad) // 2 > self.ndim:
            raise ValueError(
                f"pad: padding {tuple(pad)} must have an even length of at most 2*ndim "
                f"({2 * self.ndim}) for a tensor of shape {self.shape}"
            )
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding {tuple(pad)} is not supported")
        width = [(0, 0)] * self.ndim
        for i in range(len(pad) // 2):
            width[self.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
        return movement.Pad.apply(self, pad_width=tuple(width), value=value)

    def __getitem__(self, idx: Any) -> Tensor:
        try:
            out = self
            for step in _index_steps(idx, self.shape):
                out = movement.GetItem.apply(out, idx=step)
            return out
        except IndexError as e:
            raise IndexError(
                f"index: {_index_words(e)} (indexing a tensor of shape {self.shape})"
            ) from None

    def split(self, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
        """Split along ``dim`` into pieces of ``split_size_or_sections`` (an int or a list).

        >>> [t.shape for t in tg.zeros(5, 2).split(2)]
        [(2, 2), (2, 2), (1, 2)]
        """
        if self.ndim == 0:
            raise RuntimeError("split: expected at least a 1-dimensional tensor, got a 0-d one")
        d = _one(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(
            split_size_or_sections, bool
        ):
            step = int(split_size_or_sections)
            if step < 0:
                raise RuntimeError(f"split: split size must be non-negative, got {step}")
            if step == 0 and n:
                raise RuntimeError(
                    f"split: split size can only be 0 if dimension size is 0, but got dimension "
                    f"size of {n}"
                )
            sizes = [min(step, n - i) for i in range(0, n, step)] if step else [0]
        else:
            sizes = _section_sizes(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(
                    f"split: sections {sizes} sum to {sum(sizes)} but dim {dim} has size {n}"
                )
        out, start = [], 0
        for s in sizes:
            out.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Split along ``dim`` into ``chunks`` pieces of (nearly) equal size.

        >>> [t.shape for t in tg.zeros(6, 2).chunk(3)]
        [(2, 2), (2, 2), (2, 2)]
        """
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)):
            raise TypeError(f"chunk: chunks must be an int, got {type(chunks).__name__}")
        if chunks <= 0:
            raise RuntimeError(f"chunk: chunk expects `chunks` to be greater than 0, got: {chunks}")
        if self.ndim == 0:
            raise RuntimeError("chunk: expected at least a 1-dimensional tensor, got a 0-d one")
        n = self.shape[_one(dim, self.ndim, "chunk")]
        return self.split(max(1, -(-n // int(chunks))), dim)

    # -- shapes in PyTorch's vocabulary (moving, splitting, triangles, diagonals) ----------
    def movedim(self, source: Any, destination: Any) -> Tensor:
        """Move dimension(s) ``source`` to position(s) ``destination``, keeping the others'
        order.

        >>> tg.zeros(2, 3, 4).movedim(0, -1).shape
        (3, 4, 2)
        """
        src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
        dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
        if len(src) != len(dst):
            raise ValueError(
                f"movedim: source {source} and destination {destination} must name as many dims"
            )
        nd = max(self.ndim, 1)
        src = [_one(d, self.ndim, "movedim") for d in src]
        dst = [_one(d, self.ndim, "movedim") for d in dst]
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise ValueError(f"movedim: repeated dims in {source} or {destination}")
        if self.ndim == 0:
            return self
        order = [d for d in range(nd) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(tuple(order))

    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        """Alias of ``movedim``.

        >>> tg.zeros(2, 3).moveaxis(1, 0).shape
        (3, 2)
        """
        return self.movedim(source, destination)

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Alias of ``transpose``.

        >>> tg.zeros(2, 3).swapaxes(0, 1).shape
        (3, 2)
        """
        return self.transpose(
            _one(axis0, self.ndim, "swapaxes"), _one(axis1, self.ndim, "swapaxes")
        )

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """Alias of ``transpose``.

        >>> tg.zeros(2, 3).swapdims(-1, 0).shape
        (3, 2)
        """
        return self.transpose(_one(dim0, self.ndim, "swapdims"), _one(dim1, self.ndim, "swapdims"))

    def t(self) -> Tensor:
        """The transpose of a matrix (0-d and 1-D tensors come back as they are).

        >>> tg.zeros(2, 3).t().shape
        (3, 2)
        """
        if self.ndim > 2:
            raise RuntimeError(
                f"t: expects a tensor with <= 2 dimensions, but got shape {self.shape}; "
                "use .mT or .transpose(dim0, dim1)"
            )
        return self.transpose(0, 1)

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of transposed matrices).

        >>> tg.zeros(5, 2, 3).mT.shape
        (5, 3, 2)
        """
        if self.ndim < 2:
            raise RuntimeError(f"mT: expects a tensor with >= 2 dimensions, got {self.shape}")
        return self.transpose(self.ndim - 2, self.ndim - 1)

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of the last two dimensions (``mT`` for real tensors).

        >>> tg.zeros(2, 3).mH.shape
        (3, 2)
        """
        return self.mT

    def view_as(self, other: Tensor) -> Tensor:
        """``view`` in ``other``'s shape.

        >>> tg.zeros(6).view_as(tg.zeros(2, 3)).shape
        (2, 3)
        """
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """``reshape`` to ``other``'s shape.

        >>> tg.zeros(6).reshape_as(tg.zeros(3, 2)).shape
        (3, 2)
        """
        return self.reshape(other.shape)

    def broadcast_to(self, size: Any) -> Tensor:
        """``expand`` to ``size`` (numpy's broadcasting rules).

        >>> tg.zeros(3).broadcast_to((2, 3)).shape
        (2, 3)
        """
        return self.expand(tuple(size))

    def narrow(self, dim: int, start: Any, length: int) -> Tensor:
        """The ``length`` entries from ``start`` along ``dim`` (a view in PyTorch).

        >>> tg.arange(5).narrow(0, 1, 3).tolist()
        [1, 2, 3]
        """
        d = _one(dim, self.ndim, "narrow")
        n = self.shape[d] if self.ndim else 1
        start = int(start)
        s = start + n if start < 0 else start
        if not 0 <= s <= n or length < 0 or s + length > n:
            raise IndexError(
                f"narrow: start ({start}) + length ({length}) exceeds dimension {dim} of size {n} "
                f"(tensor shape {self.shape})"
            )
        return self[(slice(None),) * d + (slice(s, s + length),)]

    def select(self, dim: int, index: int) -> Tensor:
        """The slice at ``index`` along ``dim``, with that dimension removed.

        >>> tg.zeros(2, 3).select(1, 0).shape
        (2,)
        """
        d = _one(dim, self.ndim, "select")
        n = self.shape[d]
        if not -n <= index < n:
            raise IndexError(
                f"select: index {index} is out of range for dimension {dim} of size {n}"
            )
        return self[(slice(None),) * d + (int(index),)]

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, as a tuple.

        >>> [t.tolist() for t in tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).unbind(1)]
        [[1.0, 3.0], [2.0, 4.0]]
        """
        d = _one(dim, self.ndim, "unbind")
        return tuple(self.select(d, i) for i in range(self.shape[d]))

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into ``n`` nearly equal parts (an int; the first parts get one more), or at
        the given indices (a list).

        >>> [t.tolist() for t in tg.arange(5).tensor_split(2)]
        [[0, 1, 2], [3, 4]]
        """
        d = _one(dim, self.ndim, "tensor_split")
        n = self.shape[d]
        sec = indices_or_sections
        if hasattr(sec, "requires_grad"):
            sec = sec.data.tolist()
        if isinstance(sec, (int, np.integer)):
            if sec <= 0:
                raise RuntimeError(f"tensor_split: number of sections must be > 0, got {sec}")
            q, r = divmod(n, int(sec))
            sizes = [q + 1] * r + [q] * (int(sec) - r)
            points = list(itertools.accumulate(sizes))[:-1]
        else:
            points = [int(p) for p in sec]
        bounds = [0] + points + [n]
        lead = (slice(None),) * d
        return tuple(self[lead + (slice(a, max(a, b)),)] for a, b in zip(bounds, bounds[1:]))

    def tile(self, dims: Any) -> Tensor:
        """Repeat the tensor ``dims`` times along each dimension (missing leading ones are 1).

        >>> tg.Tensor([1, 2]).tile((2,)).tolist()
        [1, 2, 1, 2]
        """
        if isinstance(dims, (int, np.integer)):
            dims = (dims,)
        if not isinstance(dims, (tuple, list)):
            raise TypeError(
                f"tile: dims must be an int or a tuple of ints, got {type(dims).__name__}"
            )
        dims = _shape_arg(tuple(dims), "tile", "dims")
        dims = (1,) * (self.ndim - len(dims)) + dims
        return self.repeat(dims)

    def repeat_interleave(self, repeats: Any = None, dim: int | None = None, *, output_size=None):
        """Repeat each element ``repeats`` times (an int or one count per element) along
        ``dim`` (of the flattened tensor when dim is None); with no ``repeats``, self holds the
        counts and the result repeats their indices.

        >>> tg.Tensor([1, 2]).repeat_interleave(2).tolist()
        [1, 1, 2, 2]
        >>> tg.tensor([2, 1]).repeat_interleave().tolist()
        [0, 0, 1]
        """
        if repeats is None:
            counts = type(self)(np.arange(self.numel()))
            return counts.repeat_interleave(self.reshape(-1))
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _one(dim, self.ndim, "repeat_interleave")
        n = x.shape[d] if x.ndim else 1
        reps = repeats.data if hasattr(repeats, "requires_grad") else np.asarray(repeats)
        if reps.ndim and reps.shape != (n,) and reps.size != 1:
            raise RuntimeError(
                f"repeat_interleave: repeats must have shape ({n},) to match dimension {d} of "
                f"size {n}, got shape {reps.shape}"
            )
        if (reps < 0).any():
            raise RuntimeError("repeat_interleave: repeats must be non-negative")
        index = np.repeat(np.arange(n), reps.reshape(-1) if reps.ndim else int(reps))
        if x.ndim == 0:
            x = x.reshape(1)
        return x[(slice(None),) * d + (index,)]

    def fliplr(self) -> Tensor:
        """Reverse the columns (dimension 1) of a tensor with at least 2 dimensions.

        >>> tg.Tensor([[1, 2]]).fliplr().tolist()
        [[2, 1]]
        """
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: input must be at least 2-D, got shape {self.shape}")
        return self.flip(1)

    def flipud(self) -> Tensor:
        """Reverse the rows (dimension 0) of a tensor with at least 1 dimension.

        >>> tg.Tensor([1, 2]).flipud().tolist()
        [2, 1]
        """
        if self.ndim < 1:
            raise RuntimeError("flipud: input must be at least 1-D, got a 0-d tensor")
        return self.flip(0)

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
        """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first axis
        towards the second.

        >>> tg.Tensor([[1, 2], [3, 4]]).rot90().tolist()
        [[2, 4], [1, 3]]
        """
        if len(dims) != 2 or self.ndim < 2:
            raise RuntimeError(
                f"rot90: expects two dims and a tensor of >= 2 dims, got dims {tuple(dims)} "
                f"and shape {self.shape}"
            )
        d0, d1 = (_one(d, self.ndim, "rot90") for d in dims)
        if d0 == d1:
            raise RuntimeError(f"rot90: the two dims must differ, got {tuple(dims)}")
        k %= 4
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip((d0, d1))
        if k == 3:
            return self.flip(d0).transpose(d0, d1)
        return self

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift entries cyclically by ``shifts`` along ``dims`` (of the flattened tensor when
        dims is None).

        >>> tg.Tensor([1, 2, 3]).roll(1).tolist()
        [3, 1, 2]
        """
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
        dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
        out = self
        for s, dim in zip(shifts, dims):
            d = _one(dim, self.ndim, "roll")
            n = self.shape[d]
            if n:
                out = out[(slice(None),) * d + ((np.arange(n) - int(s)) % n,)]
        return out

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Every window of ``size`` entries, ``step`` apart, along ``dimension``; windows go to
        a new last dimension (PyTorch's Tensor.unfold; images use F.unfold).

        >>> tg.arange(5).unfold(0, 2, 2).tolist()
        [[0, 1], [2, 3]]
        """
        d = _one(dimension, self.ndim, "unfold")
        n = self.shape[d] if self.ndim else 1
        if size < 0 or size > n or step <= 0:
            raise RuntimeError(
                f"unfold: size ({size}) must be in [0, {n}] and step ({step}) > 0 for "
                f"dimension {dimension} of size {n}"
            )
        count = (n - size) // step + 1
        index = np.arange(count)[:, None] * step + np.arange(size)[None, :]
        x = self.reshape(1) if self.ndim == 0 else self
        windows = x[(slice(None),) * d + (index,)]
        out = windows.movedim(d + 1, -1)
        return out.reshape(size) if self.ndim == 0 else out

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None):
        """The ``n``-th forward difference along ``dim`` (out[i] = x[i + 1] - x[i]), after
        joining ``prepend`` and ``append`` to the ends.

        >>> tg.Tensor([1.0, 4.0, 9.0]).diff().tolist()
        [3.0, 5.0]
        """
        from .tensor import cat

        d = _one(dim, self.ndim, "diff")
        if n < 0:
            raise RuntimeError(f"diff: order n must be non-negative, got {n}")
        parts = [
            p if hasattr(p, "requires_grad") else type(self)(p) for p in (prepend,) if p is not None
        ]
        parts += [self] + [
            a if hasattr(a, "requires_grad") else type(self)(a) for a in (append,) if a is not None
        ]
        x = cat(parts, d) if len(parts) > 1 else self
        for _ in range(n):
            k = x.shape[d]
            lead = (slice(None),) * d
            x = x[lead + (slice(1, k),)] - x[lead + (slice(0, max(k - 1, 0)),)]
        return x

    def ravel(self) -> Tensor:
        """The elements as a 1-D tensor.

        >>> tg.zeros(2, 3).ravel().shape
        (6,)
        """
        return self.reshape(-1)

    def hsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """``tensor_split`` along dim 1 (dim 0 for a 1-D tensor).

        >>> [t.shape for t in tg.zeros(2, 4).hsplit(2)]
        [(2, 2), (2, 2)]
        """
        return self._split_even(sections, 0 if self.ndim == 1 else 1, "hsplit", 1)

    def vsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """``tensor_split`` along dim 0 of a tensor with at least 2 dimensions.

        >>> [t.shape for t in tg.zeros(4, 2).vsplit([1])]
        [(1, 2), (3, 2)]
        """
        return self._split_even(sections, 0, "vsplit", 2)

    def dsplit(self, sections: Any) -> tuple[Tensor, ...]:
        """``tensor_split`` along dim 2 of a tensor with at least 3 dimensions.

        >>> len(tg.zeros(1, 1, 4).dsplit(2))
        2
        """
        return self._split_even(sections, 2, "dsplit", 3)

    def _split_even(self, sections: Any, dim: int, name: str, min_dims: int):
        if self.ndim < min_dims:
            raise RuntimeError(
                f"{name}: needs a tensor with at least {min_dims} dimensions, got {self.shape}"
            )
        if isinstance(sections, (int, np.integer)) and self.shape[dim] % sections:
            raise RuntimeError(
                f"{name}: dimension {dim} of size {self.shape[dim]} is not divisible by "
                f"{sections} sections"
            )
        return self.tensor_split(sections, dim)


def _shape_arg(shape: tuple, name: str, what: str = "sizes") -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            got = ", ".join(
                repr(v) if isinstance(v, (int, float, np.number)) else type(v).__name__
                for v in shape
            )
            raise TypeError(f"{name}: {what} must be integers, got ({got})")
    return tuple(int(s) for s in shape)


def _resolve_shape(shape, size: int, name: str, old: tuple[int, ...]) -> tuple[int, ...]:
    if sum(1 for s in shape if s == -1) > 1:
        raise RuntimeError(f"{name}: only one dimension can be -1, got {shape}")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{name}: invalid shape dimension {min(shape)} in {shape}")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or size % known:
            raise ShapeError(
                f"{name}: cannot reshape a tensor of shape {old} ({size} elements) into {shape}"
            )
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ShapeError(
            f"{name}: cannot reshape a tensor of shape {old} ({size} elements) into {shape} "
            f"({known} elements)"
        )
    return tuple(shape)


def _normalize_index(idx: Any, shape: tuple[int, ...]) -> tuple:
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for i in idx:
        if isinstance(i, MovementMethods):  # a Tensor used as an index
            i = i.data
        if isinstance(i, list):
            try:
                i = np.asarray(i)
            except ValueError:  # ragged nested lists
                raise IndexError(
                    "index: a list used as an index must be rectangular (nested lists of equal "
                    "lengths)"
                ) from None
        if isinstance(i, np.ndarray) and i.dtype.kind not in "iub":
            raise IndexError(
                f"index: tensors used as indices must be integer or bool, got {i.dtype}"
            )
        if isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu":
            i = int(i)  # a 0-d integer tensor indexes as an int (PyTorch)
        out.append(i)
    return tuple(out)


def _index_steps(idx: Any, shape: tuple[int, ...]) -> list[tuple]:
    """The index as one or two numpy indexes applied in turn, placing dimensions as PyTorch:
    integers select first, then the tensor indices (``x[0, :, idx]`` of a (4, 3, 5) tensor
    with idx of shape (2,) is (3, 2); numpy alone would give (2, 3))."""
    idx = _normalize_index(idx, shape)
    adv = [isinstance(i, np.ndarray) for i in idx]
    ints = [isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in idx]
    if all(ints):  # x[0] of a 1-D tensor: a 0-d view (as PyTorch), not a numpy scalar copy
        return [idx + (Ellipsis,)]
    if not (any(adv) and any(ints)):
        return [idx]
    first: list[Any] = []
    second: list[Any] = []
    for i, a, n in zip(idx, adv, ints):
        if a:
            k = i.ndim if i.dtype == np.bool_ else 1  # a bool mask spans i.ndim dims
            first += [slice(None)] * k
            second.append(i)
        elif n:
            first.append(i)
        else:
            first.append(i)
            second.append(slice(None) if i is None else i)
    return [tuple(first), tuple(second)]


def _index_words(e: Exception) -> str:
    """numpy's index message in PyTorch's words (dimension, tensor), not numpy's (axis, array)."""
    msg = str(e).removeprefix("index: ")
    msg = msg.replace(" for axis ", " for dimension ").replace("for array", "for tensor")
    return msg.replace("array is", "tensor is")


def _section_sizes(sections: Any) -> list[int]:
    try:
        sizes = list(sections)
    except TypeError:
        sizes = None
    if sizes is None or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in sizes
    ):
        raise TypeError(
            f"split: split_size_or_sections must be an int or a list of ints, got "
            f"{type(sections).__name__}"
        )
    if any(v < 0 for v in sizes):
        raise RuntimeError(f"split: section sizes must be non-negative, got {sizes}")
    return [int(v) for v in sizes]


def _one(dim: Any, ndim: int, name: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__} {dim!r:.40}")
    (d,) = normalize_dims(dim, ndim, name)
    return d


# the error boundary on the PyTorch-surface methods (see _errors.py)
guard_methods(
    MovementMethods,
    """
    movedim moveaxis swapaxes swapdims t view_as reshape_as broadcast_to narrow select unbind
    tensor_split tile repeat_interleave fliplr flipud rot90 roll unfold diff ravel hsplit
    vsplit dsplit
    """.split(),
)
