"""Tensor methods that move data: reshape, permute, expand, squeeze, flip, pad, indexing, split.

A mixin of Tensor (tensor.py); the primitives are in ``ops/movement.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

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
        target = _resolve_shape(_shape_arg(shape), self.data.size, "reshape", self.shape)
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
        (s,) = normalize_dims(start_dim, self.ndim, "flatten")
        (e,) = normalize_dims(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
                f"shape {self.shape}"
            )
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1 :])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dimension ``dim`` into ``sizes``.

        >>> tg.zeros(2, 12).unflatten(1, (3, 4)).shape
        (2, 3, 4)
        """
        d = dim % self.ndim
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the dimensions.

        >>> tg.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        dims = tuple(d % self.ndim for d in _shape_arg(dims))
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
        if self.ndim < 2:
            return self
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(tuple(dims))

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast size-1 dimensions to ``shape`` (-1 keeps a size); its gradient is a sum.

        >>> tg.ones(3, 1).expand(3, 4).shape
        (3, 4)
        """
        shape = _shape_arg(shape)
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
        return self.expand(other.shape)

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
        d = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= d <= self.ndim:
            raise IndexError(
                f"unsqueeze: dim {dim} is out of range for a tensor with {self.ndim} dimensions"
            )
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def flip(self, dims) -> Tensor:
        """Reverse the order of elements along ``dims``.

        >>> tg.Tensor([1.0, 2.0, 3.0]).flip(0).tolist()
        [3.0, 2.0, 1.0]
        """
        return movement.Flip.apply(self, dims=normalize_dims(dims, self.ndim, "flip"))

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes`` times along each dimension (like torch.Tensor.repeat)."""
        sizes = _shape_arg(sizes)
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
        """Constant padding in F.pad's order: (last_lo, last_hi, prev_lo, prev_hi, ...)."""
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
            raise IndexError(f"index: {e} (indexing a tensor of shape {self.shape})") from None

    def split(self, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
        """Split along ``dim`` into pieces of ``split_size_or_sections`` (an int or a list).

        >>> [t.shape for t in tg.zeros(5, 2).split(2)]
        [(2, 2), (2, 2), (1, 2)]
        """
        d = dim % self.ndim
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step <= 0:
                raise ValueError(f"split: split size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)]
        else:
            sizes = list(split_size_or_sections)
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
        n = self.shape[dim % self.ndim]
        return self.split(max(1, -(-n // chunks)), dim)


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"sizes and dims must be integers, got {tuple(shape)}")
    return tuple(int(s) for s in shape)


def _resolve_shape(shape, size: int, name: str, old: tuple[int, ...]) -> tuple[int, ...]:
    if sum(1 for s in shape if s == -1) > 1:
        raise ValueError(f"{name}: only one dimension can be -1, got {shape}")
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
            i = np.asarray(i)
        if isinstance(i, np.ndarray) and i.dtype.kind == "f":
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
