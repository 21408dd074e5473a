"""``tg.linalg``: norms, determinant, inverse and solve, as ``torch.linalg``; each is
differentiable to every order (the primitives are in ``ops/linalg.py``).

>>> import tinygrad_cnn as tg
>>> a = tg.Tensor([[2.0, 1.0], [1.0, 3.0]])
>>> tg.linalg.solve(a, tg.Tensor([3.0, 5.0])).tolist()
[0.8, 1.4]
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ._errors import guard, operand
from ._tensor_linalg import _square
from .ops.linalg import Solve
from .tensor import Tensor

__all__ = [
    "vector_norm",
    "matrix_norm",
    "norm",
    "det",
    "slogdet",
    "inv",
    "solve",
    "matmul",
    "multi_dot",
    "matrix_power",
    "cross",
    "vecdot",
]


def vector_norm(
    x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements by default): ord = 2, 1,
    inf, -inf, 0 or any number.

    >>> tg.linalg.vector_norm(tg.Tensor([3.0, -4.0]), ord=1).item()
    7.0
    """
    return x.vector_norm(ord, dim, keepdim, dtype=dtype)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False):
    """A matrix norm over the two dims ``dim``: "fro", 1 / -1 (largest / smallest column sum
    of absolute values) or inf / -inf (the same over rows). The spectral norms (2, -2, "nuc")
    need an SVD, which tinygrad_cnn does not have.

    >>> tg.linalg.matrix_norm(tg.Tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1).item()
    6.0
    """
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: A must be at least 2-D, got shape {A.shape}")
    rows, cols = (d % A.ndim for d in dim)
    if ord == "fro":
        return A.vector_norm(2, (rows, cols), keepdim)
    if ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(
            f"linalg.matrix_norm: ord={ord!r} is not supported; use 'fro', 1, -1, inf or -inf"
        )
    across, over = (rows, cols) if ord in (1, -1) else (cols, rows)  # sum down columns for 1
    sums = A.abs().sum(across, keepdim=True)
    out = sums.amax(over, keepdim=True) if ord > 0 else sums.amin(over, keepdim=True)
    return out if keepdim else out.squeeze((rows, cols))


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The vector norm of a 1-D input (or over one ``dim``), the matrix norm of a 2-D input
    (or over two ``dim``) when ``ord`` is given; with neither, the 2-norm of all elements.

    >>> tg.linalg.norm(tg.Tensor([3.0, 4.0])).item()
    5.0
    >>> tg.linalg.norm(tg.Tensor([[1.0, -2.0], [3.0, 4.0]]), ord=float("inf")).item()
    7.0
    """
    dims = (dim,) if isinstance(dim, int) else dim
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if dims is None and A.ndim not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: if dim is not given but ord is, A must be 1-D or 2-D, got {A.shape}"
        )
    matrix = len(dims) == 2 if dims is not None else A.ndim == 2
    if matrix:
        return matrix_norm(A, ord, (-2, -1) if dims is None else dims, keepdim)
    return vector_norm(A, ord, dim, keepdim)


def det(A: Tensor) -> Tensor:
    """The determinant of a (batch of) square matrices.

    >>> tg.linalg.det(tg.Tensor([[2.0, 1.0], [1.0, 3.0]])).item()
    5.0...
    """
    return A.det()


def inv(A: Tensor) -> Tensor:
    """The inverse of a (batch of) square matrices; a singular matrix raises RuntimeError.

    >>> tg.linalg.inv(tg.Tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    return A.inverse()


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A @ X = B (``left=False``: X @ A = B); B is a vector when it has one dimension
    fewer than A and matches A's batch shape.

    >>> tg.linalg.solve(tg.eye(2) * 2, tg.Tensor([[2.0], [4.0]])).tolist()
    [[1.0], [2.0]]
    """
    A = _square(A, "linalg.solve")
    B = operand(A, B, "linalg.solve")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: A {tuple(A.shape)} and B {tuple(B.shape)} do not match: B needs "
            f"{A.shape[-1]} rows"
        )
    try:
        batch = tuple(np.broadcast_shapes(A.shape[:-2], b.shape[:-2]))
    except ValueError:
        raise RuntimeError(
            f"linalg.solve: batch shapes of A {tuple(A.shape)} and B {tuple(B.shape)} cannot "
            "be broadcast"
        ) from None
    a = A.expand(batch + A.shape[-2:])
    b = b.expand(batch + b.shape[-2:])
    x = Solve.apply(a, b)
    return x.squeeze(-1) if vector else x


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product (as ``tg.matmul``).

    >>> tg.linalg.matmul(tg.ones(2, 3), tg.ones(3)).tolist()
    [3.0, 3.0]
    """
    return input.matmul(other)


def multi_dot(tensors: Any) -> Tensor:
    """The product of a chain of matrices (the first and last may be vectors).

    >>> tg.linalg.multi_dot([tg.ones(2, 3), tg.ones(3, 4), tg.ones(4)]).tolist()
    [12.0, 12.0]
    """
    if len(tensors) < 2:
        raise RuntimeError(f"linalg.multi_dot: expects at least 2 tensors, got {len(tensors)}")
    return functools.reduce(lambda a, b: a.matmul(b), tensors)


def slogdet(A: Tensor):
    """``(sign, logabsdet)`` of the determinant, a named tuple.

    >>> tg.linalg.slogdet(tg.Tensor([[-2.0, 0.0], [0.0, 3.0]])).sign.item()
    -1.0
    """
    return A.slogdet()


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A (batch of) square matrices to the integer power ``n`` (negative: of the inverse).

    >>> tg.linalg.matrix_power(tg.Tensor([[2.0, 0.0], [0.0, 1.0]]), -1).tolist()
    [[0.5, 0.0], [0.0, 1.0]]
    """
    return A.matrix_power(n)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The 3-D cross product along ``dim`` (the last by default).

    >>> tg.linalg.cross(tg.Tensor([0.0, 1.0, 0.0]), tg.Tensor([0.0, 0.0, 1.0])).tolist()
    [1.0, 0.0, 0.0]
    """
    shape = np.broadcast_shapes(input.shape, other.shape)
    return input.cross(other, dim % len(shape))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim``, broadcasting the rest.

    >>> tg.linalg.vecdot(tg.ones(2, 3), tg.ones(3)).tolist()
    [3.0, 3.0]
    """
    return (x * y).sum(dim)


# the error boundary (see _errors.py) on every function here
for _name in __all__:
    globals()[_name] = guard(globals()[_name])
