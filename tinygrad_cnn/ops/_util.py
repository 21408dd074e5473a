"""Small helpers shared by the op kernels."""

from __future__ import annotations

from typing import Any

import numpy as np


def const(arr: Any) -> Any:
    """Wrap an array as a Tensor that needs no gradient (a mask, an index, a count)."""
    from ..tensor import Tensor

    return Tensor._wrap(np.asarray(arr), False)


def normalize_dims(dim: Any, ndim: int, opname: str) -> tuple[int, ...]:
    """dim (None, int or sequence) -> sorted tuple of non-negative axes, with a clear error."""
    if dim is None:
        return tuple(range(ndim))
    try:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    except TypeError:
        dims = (dim,)
    if not all(isinstance(d, (int, np.integer)) for d in dims):
        raise TypeError(f"{opname}: dim must be an int or a sequence of ints, got {dim!r}")
    out = []
    for d in dims:
        d = int(d)
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"{opname}: dim {d} is out of range for a tensor with {ndim} dimensions "
                f"(expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % ndim if ndim else 0)
    return tuple(sorted(set(out)))
