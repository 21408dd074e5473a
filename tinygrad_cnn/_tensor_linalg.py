"""Tensor methods of linear algebra: the matrix product and its operators.

A mixin of Tensor (tensor.py); the primitive is ``ops/matmul.py``'s MatMul.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ShapeError
from .ops.matmul import MatMul

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


class LinalgMethods:
    """Matrix products of Tensor."""

    __slots__ = ()

    def __matmul__(self, o):
        return self.matmul(o)

    def __rmatmul__(self, o):
        return self._coerce(o).matmul(self)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with numpy's rules: 1-D on either side, 2-D, batched with broadcast."""
        other = self._coerce(other)
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and "
                f"{b.shape}; use * for scalars"
            )
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last dim of the "
                f"first ({ka}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} dim "
                f"of the second ({kb})"
            )
        try:
            if a.ndim > 2 or b.ndim > 2:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ShapeError(
                f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast"
            ) from None
        if a.ndim == 1 and b.ndim == 1:
            return (a * b).sum()
        if a.ndim == 1:
            return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
        if b.ndim == 1:
            return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
        return MatMul.apply(a, b)
