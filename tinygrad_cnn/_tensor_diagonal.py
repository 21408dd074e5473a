"""Tensor methods on the matrices in the last dimensions: tril, triu, diagonal, diag_embed,
diag, trace.

A mixin of Tensor (tensor.py). Each is a composite: a mask through Where (triangles) or the
indexing pair GetItem / IndexAdd of ``ops/movement.py`` (diagonals), so all are differentiable
to every order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard_methods
from ._tensor_movement import _one
from .ops._util import const
from .ops.elementwise import Where
from .ops.movement import IndexAdd

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class DiagonalMethods:
    """Triangles and diagonals of Tensor."""

    __slots__ = ()

    def _triangle(self, keep: Any, name: str) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(f"{name}: input must be at least 2-D, got shape {self.shape}")
        rows, cols = self.shape[-2:]
        mask = keep(np.arange(cols)[None, :] - np.arange(rows)[:, None])
        return Where.apply(mask, self, const(np.zeros((), dtype=self.dtype)))

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dimensions (entries j - i <= diagonal), zeros
        elsewhere.

        >>> tg.ones(2, 2).tril().tolist()
        [[1.0, 0.0], [1.0, 1.0]]
        """
        return self._triangle(lambda off: off <= diagonal, "tril")

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dimensions (entries j - i >= diagonal).

        >>> tg.ones(2, 2).triu(1).tolist()
        [[0.0, 1.0], [0.0, 0.0]]
        """
        return self._triangle(lambda off: off >= diagonal, "triu")

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal of the (dim1, dim2) planes, as a new last dimension.

        >>> tg.Tensor([[1, 2], [3, 4]]).diagonal().tolist()
        [1, 4]
        """
        if self.ndim < 2:
            raise RuntimeError(f"diagonal: input must be at least 2-D, got shape {self.shape}")
        a, b = _one(dim1, self.ndim, "diagonal"), _one(dim2, self.ndim, "diagonal")
        if a == b:
            raise RuntimeError(f"diagonal: dim1 and dim2 must differ, both are {dim1}")
        x = self.movedim((a, b), (-2, -1))
        rows, cols = x.shape[-2:]
        k = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
        r = np.arange(k) - min(offset, 0)
        c = np.arange(k) + max(offset, 0)
        return x[(slice(None),) * (x.ndim - 2) + (r, c)]

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Matrices whose (dim1, dim2) diagonal holds the last dimension's entries.

        >>> tg.Tensor([1.0, 2.0]).diag_embed().tolist()
        [[1.0, 0.0], [0.0, 2.0]]
        """
        if self.ndim < 1:
            raise RuntimeError("diag_embed: input must be at least 1-D, got a 0-d tensor")
        n = self.shape[-1]
        m = n + abs(offset)
        r = np.arange(n) - min(offset, 0)
        c = np.arange(n) + max(offset, 0)
        lead = self.shape[:-1]
        idx = (slice(None),) * len(lead) + (r, c)
        out = IndexAdd.apply(self, idx=idx, shape=lead + (m, m))
        nd = out.ndim
        a, b = _one(dim1, nd, "diag_embed"), _one(dim2, nd, "diag_embed")
        if a == b:
            raise RuntimeError(f"diag_embed: dim1 and dim2 must differ, both are {dim1}")
        return out.movedim((nd - 2, nd - 1), (a, b))

    def diag(self, diagonal: int = 0) -> Tensor:
        """A 1-D tensor's entries on a matrix diagonal, or a matrix's diagonal as 1-D.

        >>> tg.Tensor([[1, 2], [3, 4]]).diag().tolist()
        [1, 4]
        """
        if self.ndim == 1:
            return self.diag_embed(diagonal)
        if self.ndim == 2:
            return self.diagonal(diagonal)
        raise RuntimeError(f"diag: expects a 1-D or 2-D tensor, got shape {self.shape}")

    def trace(self) -> Tensor:
        """The sum of a matrix's diagonal.

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).trace().item()
        5.0
        """
        if self.ndim != 2:
            raise RuntimeError(f"trace: expects a matrix (2-D), got shape {self.shape}")
        return self.diagonal().sum()


guard_methods(DiagonalMethods)
