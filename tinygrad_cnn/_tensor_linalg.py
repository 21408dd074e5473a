"""Tensor methods of linear algebra: the matrix product and its operators, mm/bmm/mv/dot/outer,
addmm/baddbmm, kron, det/inverse; and the functions einsum and tensordot.

A mixin of Tensor (tensor.py); the primitives are ``ops/matmul.py``'s MatMul and
``ops/linalg.py``'s Einsum, Inverse and Det.
"""

from __future__ import annotations

import string
from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard, guard_methods, operand
from .autograd import composite
from .errors import ShapeError
from .ops._util import const
from .ops.linalg import Det, Einsum, Inverse
from .ops.matmul import MatMul

slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])

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
        """Matrix product with numpy's rules: 1-D on either side, 2-D, batched with broadcast.

        >>> tg.ones(5, 2, 3).matmul(tg.ones(3, 4)).shape
        (5, 2, 4)
        """
        other = operand(self, other, "matmul")
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

    # -- products in PyTorch's vocabulary ---------------------------------------------------
    def _need(self, ndim: int, name: str, what: str = "self") -> None:
        if self.ndim != ndim:
            raise RuntimeError(
                f"{name}: {what} must be a {ndim}-D tensor, got shape {tuple(self.shape)}"
            )

    def mm(self, mat2: Any) -> Tensor:
        """The product of two matrices (no broadcasting).

        >>> tg.ones(2, 3).mm(tg.ones(3, 4)).shape
        (2, 4)
        """
        mat2 = operand(self, mat2, "mm")
        self._need(2, "mm")
        mat2._need(2, "mm", "mat2")
        _inner(self, mat2, "mm", mat2.shape[0])
        return self.matmul(mat2)

    def bmm(self, mat2: Any) -> Tensor:
        """Batched matrix product of (b, n, m) and (b, m, p) tensors.

        >>> tg.ones(5, 2, 3).bmm(tg.ones(5, 3, 4)).shape
        (5, 2, 4)
        """
        mat2 = operand(self, mat2, "bmm")
        self._need(3, "bmm")
        mat2._need(3, "bmm", "mat2")
        if self.shape[0] != mat2.shape[0]:
            raise RuntimeError(
                f"bmm: batch sizes differ: self {tuple(self.shape)}, mat2 {tuple(mat2.shape)}"
            )
        _inner(self, mat2, "bmm", mat2.shape[1])
        return self.matmul(mat2)

    def mv(self, vec: Any) -> Tensor:
        """Matrix-vector product.

        >>> tg.ones(2, 3).mv(tg.ones(3)).tolist()
        [3.0, 3.0]
        """
        vec = operand(self, vec, "mv")
        self._need(2, "mv")
        vec._need(1, "mv", "vec")
        _inner(self, vec, "mv", vec.shape[0])
        return self.matmul(vec)

    def dot(self, other: Any) -> Tensor:
        """Inner product of two 1-D tensors of the same length.

        >>> tg.Tensor([1.0, 2.0]).dot(tg.Tensor([3.0, 4.0])).item()
        11.0
        """
        other = operand(self, other, "dot")
        self._need(1, "dot")
        other._need(1, "dot", "other")
        if self.shape != other.shape:
            raise RuntimeError(
                f"dot: expects tensors of the same length, got {self.shape[0]} and {other.shape[0]}"
            )
        return self.matmul(other)

    def inner(self, other: Any) -> Tensor:
        """Sum of products over the last dimension of each (``dot`` for 1-D).

        >>> tg.ones(2, 3).inner(tg.ones(4, 3)).shape
        (2, 4)
        """
        other = operand(self, other, "inner")
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        return tensordot(self, other, ([-1], [-1]))

    def outer(self, vec2: Any) -> Tensor:
        """Outer product of two 1-D tensors.

        >>> tg.Tensor([1.0, 2.0]).outer(tg.Tensor([1.0, 0.0, 3.0])).shape
        (2, 3)
        """
        vec2 = operand(self, vec2, "outer")
        self._need(1, "outer")
        vec2._need(1, "outer", "vec2")
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    def ger(self, vec2: Any) -> Tensor:
        """Alias of ``outer``.

        >>> tg.ones(2).ger(tg.ones(3)).shape
        (2, 3)
        """
        return self.outer(vec2)

    @composite("addmm")
    def addmm(self, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)``, self broadcast to the product's shape.

        >>> tg.zeros(2, 2).addmm(tg.ones(2, 3), tg.ones(3, 2)).tolist()
        [[3.0, 3.0], [3.0, 3.0]]
        """
        prod = operand(self, mat1, "addmm").mm(mat2)
        return _scaled_sum(self, prod, beta, alpha)

    @composite("baddbmm")
    def baddbmm(self, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1):
        """``beta * self + alpha * (batch1 @ batch2)`` for batches of matrices.

        >>> tg.zeros(4, 2, 2).baddbmm(tg.ones(4, 2, 3), tg.ones(4, 3, 2)).shape
        (4, 2, 2)
        """
        prod = operand(self, batch1, "baddbmm").bmm(batch2)
        return _scaled_sum(self, prod, beta, alpha)

    @composite("addmv")
    def addmv(self, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """``beta * self + alpha * (mat @ vec)``.

        >>> tg.zeros(2).addmv(tg.ones(2, 3), tg.ones(3)).tolist()
        [3.0, 3.0]
        """
        return _scaled_sum(self, operand(self, mat, "addmv").mv(vec), beta, alpha)

    @composite("kron")
    def kron(self, other: Any) -> Tensor:
        """The Kronecker product: every entry of self times a whole copy of ``other``.

        >>> tg.eye(2).kron(tg.ones(1, 2)).tolist()
        [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
        """
        other = operand(self, other, "kron")
        nd = max(self.ndim, other.ndim)
        a = self.reshape((1,) * (nd - self.ndim) + self.shape)
        b = other.reshape((1,) * (nd - other.ndim) + other.shape)
        a_sh = tuple(v for s in a.shape for v in (s, 1))
        b_sh = tuple(v for s in b.shape for v in (1, s))
        out = a.reshape(a_sh) * b.reshape(b_sh)
        return out.reshape(tuple(p * q for p, q in zip(a.shape, b.shape)))

    def det(self) -> Tensor:
        """The determinant of a (batch of) square matrices, as ``tg.linalg.det``.

        >>> round(tg.Tensor([[2.0, 1.0], [1.0, 3.0]]).det().item(), 4)
        5.0
        """
        return Det.apply(_square(self, "linalg.det"))

    def inverse(self) -> Tensor:
        """The inverse of a (batch of) square matrices, as ``tg.linalg.inv``.

        >>> tg.Tensor([[2.0, 0.0], [0.0, 4.0]]).inverse().tolist()
        [[0.5, 0.0], [0.0, 0.25]]
        """
        return Inverse.apply(_square(self, "linalg.inv"))

    def vdot(self, other: Any) -> Tensor:
        """Inner product of two 1-D tensors (``dot`` for real tensors).

        >>> tg.Tensor([1.0, 2.0]).vdot(tg.Tensor([3.0, 4.0])).item()
        11.0
        """
        return self.dot(other)

    @composite("addr")
    def addr(self, vec1: Any, vec2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """``beta * self + alpha * outer(vec1, vec2)``.

        >>> tg.zeros(2, 2).addr(tg.ones(2), tg.ones(2)).tolist()
        [[1.0, 1.0], [1.0, 1.0]]
        """
        return _scaled_sum(self, operand(self, vec1, "addr").outer(vec2), beta, alpha)

    @composite("addbmm")
    def addbmm(self, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """``beta * self + alpha * sum_b(batch1[b] @ batch2[b])``.

        >>> tg.zeros(2, 2).addbmm(tg.ones(3, 2, 4), tg.ones(3, 4, 2)).tolist()
        [[12.0, 12.0], [12.0, 12.0]]
        """
        return _scaled_sum(self, operand(self, batch1, "addbmm").bmm(batch2).sum(0), beta, alpha)

    @composite("cross")
    def cross(self, other: Any, dim: int | None = None) -> Tensor:
        """The 3-D cross product along ``dim`` (the first dim of size 3 when None).

        >>> tg.Tensor([1.0, 0.0, 0.0]).cross(tg.Tensor([0.0, 1.0, 0.0])).tolist()
        [0.0, 0.0, 1.0]
        """
        other = operand(self, other, "cross")
        if self.ndim != other.ndim:
            raise RuntimeError(
                f"cross: inputs must have the same number of dimensions, got shapes {self.shape} "
                f"and {other.shape}; unsqueeze the smaller one (as PyTorch, sizes of 1 broadcast)"
            )
        try:
            shape = np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise RuntimeError(
                f"cross: shapes {self.shape} and {other.shape} cannot be broadcast together"
            ) from None
        a, b = self.expand(shape), other.expand(shape)
        if dim is None:
            dim = next((i for i, n in enumerate(shape) if n == 3), None)
        elif isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"cross: dim must be an int or None, got {type(dim).__name__}")
        elif not -len(shape) <= dim < len(shape):
            raise IndexError(
                f"cross: dim {dim} is out of range for shape {shape} (expected to be in range of "
                f"[{-len(shape)}, {len(shape) - 1}], but got {dim})"
            )
        if dim is None or shape[dim] != 3:
            raise RuntimeError(
                f"cross: dimension {dim} must have size 3, got shapes {self.shape} and "
                f"{other.shape}"
            )
        a0, a1, a2 = a.unbind(dim)
        b0, b1, b2 = b.unbind(dim)
        from .tensor import stack

        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)

    def matrix_power(self, n: int) -> Tensor:
        """The matrix (batch) multiplied by itself ``n`` times; n = 0 gives the identity and
        negative n powers of the inverse.

        >>> tg.Tensor([[2.0, 0.0], [0.0, 3.0]]).matrix_power(2).tolist()
        [[4.0, 0.0], [0.0, 9.0]]
        """
        if self.ndim < 2 or self.shape[-1] != self.shape[-2]:
            raise RuntimeError(
                f"matrix_power: expects a (batch of) square matrices, got shape {self.shape}"
            )
        if n == 0:
            eye = np.broadcast_to(np.eye(self.shape[-1], dtype=self.dtype), self.shape)
            return type(self)(eye.copy())
        base = self.inverse() if n < 0 else self
        out = base
        for _ in range(abs(int(n)) - 1):
            out = out @ base
        return out

    def slogdet(self):
        """``(sign, logabsdet)`` of the determinant, a named tuple.

        >>> tg.Tensor([[-2.0, 0.0], [0.0, 3.0]]).slogdet().sign.item()
        -1.0
        """
        d = self.det()
        return slogdet_result(const(np.sign(d.data)), d.abs().log())

    def logdet(self) -> Tensor:
        """log(det), NaN for a negative determinant.

        >>> round(tg.Tensor([[2.0, 0.0], [0.0, 3.0]]).logdet().item(), 4)
        1.7918
        """
        return self.det().log()


def _inner(a: Tensor, b: Tensor, name: str, size: int) -> None:
    if a.shape[-1] != size:
        raise RuntimeError(
            f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied: the "
            f"last dim of the first ({a.shape[-1]}) must equal the second's ({size})"
        )


def _square(a: Tensor, name: str) -> Tensor:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be a (batch of) square matrices, got shape {tuple(a.shape)}"
        )
    if a.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got {a.dtype}")
    return a


def _scaled_sum(base: Tensor, prod: Tensor, beta: float, alpha: float) -> Tensor:
    prod = prod * alpha if alpha != 1 else prod
    if beta == 0:  # PyTorch ignores self (even NaN in it) when beta is 0
        shape = np.broadcast_shapes(base.shape, prod.shape)
        return prod if shape == prod.shape else prod.expand(shape)
    return (base * beta if beta != 1 else base) + prod


def _letters(equation: str, n_ops: int) -> str:
    used = set(equation)
    free = [c for c in string.ascii_letters if c not in used]
    return "".join(free)


def _parse_einsum(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit subscripts: ellipses spelled out in spare letters, the output written out."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise ValueError(
            f"einsum: the equation {equation!r} has {len(subs)} operands but "
            f"{len(shapes)} tensors were given"
        )
    for s in subs + [out]:
        bad = [c for c in s.replace("...", "") if c not in string.ascii_letters]
        if bad or s.count("...") > 1:
            raise ValueError(
                f"einsum: invalid subscript {s!r} in {equation!r}; use letters and at most "
                "one '...' per operand"
            )
    ell_dims = [len(sh) - len(s.replace("...", "")) for s, sh in zip(subs, shapes)]
    spare = _letters(eq, len(shapes))
    n_ell = max([d for d, s in zip(ell_dims, subs) if "..." in s] or [0])
    ell = spare[:n_ell]
    full = []
    for s, d, sh in zip(subs, ell_dims, shapes):
        if "..." in s:
            s = s.replace("...", ell[n_ell - d :] if d else "")
        if len(s) != len(sh):
            raise ValueError(
                f"einsum: subscript {s!r} names {len(s)} dimensions but the operand has shape "
                f"{tuple(sh)}"
            )
        full.append(s)
    if not arrow:
        counts = {c: "".join(full).count(c) for c in "".join(full)}
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    for c in out:
        if out.count(c) > 1 or c not in "".join(full):
            raise ValueError(
                f"einsum: output subscript {c!r} in {equation!r} must appear once in the output "
                "and in some operand"
            )
    return full, out


@composite("einsum")
def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products named by subscripts (``"ij,jk->ik"``, ``"...ij->...ji"``, ``"ii"``);
    differentiable in every operand, to every order.

    >>> import tinygrad_cnn as tg
    >>> tg.einsum("ij,jk->ik", tg.ones(2, 3), tg.ones(3, 4)).shape
    (2, 4)
    >>> tg.einsum("ii", tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    5.0
    """
    from .tensor import Tensor

    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ops = [o if isinstance(o, Tensor) else _as_tensor(o, "einsum") for o in operands]
    subs, out = _parse_einsum(equation, [o.shape for o in ops])
    sizes: dict[str, int] = {}
    for s, o in zip(subs, ops):
        for c, n in zip(s, o.shape):
            if c not in sizes or sizes[c] == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise ValueError(
                    f"einsum: subscript {c!r} has size {sizes[c]} in one operand and {n} in "
                    f"another ({equation!r} with shapes {[tuple(o.shape) for o in ops]})"
                )
    # size-1 dimensions broadcast: expand them first, so the primitive sees consistent sizes
    ops = [_expand_to(o, s, sizes) for s, o in zip(subs, ops)]
    return Einsum.apply(*ops, inputs=tuple(subs), output=out, sizes=sizes)


def _as_tensor(x: Any, name: str) -> Tensor:
    from .tensor import Tensor

    return operand(Tensor(0.0), x, name)


def _expand_to(o: Tensor, sub: str, sizes: dict[str, int]) -> Tensor:
    want = tuple(sizes[c] for c in sub)
    return o if o.shape == want else o.expand(want)


def tensordot(a: Any, b: Any, dims: Any = 2) -> Tensor:
    """Contract the last ``dims`` dims of ``a`` with the first of ``b``, or the listed pairs
    (``dims=([1, 0], [0, 1])``).

    >>> import tinygrad_cnn as tg
    >>> tg.tensordot(tg.ones(2, 3, 4), tg.ones(3, 4, 5)).shape
    (2, 5)
    """
    from .tensor import Tensor

    a = a if isinstance(a, Tensor) else _as_tensor(a, "tensordot")
    b = b if isinstance(b, Tensor) else _as_tensor(b, "tensordot")
    if hasattr(dims, "tolist"):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot: dims ({dims}) must be in [0, {min(a.ndim, b.ndim)}]")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError(f"tensordot: dims {dims} must list as many dims of a as of b")
    da = [d % max(a.ndim, 1) for d in da]
    db = [d % max(b.ndim, 1) for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"tensordot: contracted dimensions differ: a{tuple(a.shape)} dim {i} has size "
                f"{a.shape[i]}, b{tuple(b.shape)} dim {j} has size {b.shape[j]}"
            )
    la = string.ascii_letters[: a.ndim]
    lb = list(string.ascii_letters[a.ndim : a.ndim + b.ndim])
    for i, j in zip(da, db):
        lb[j] = la[i]
    lb = "".join(lb)
    out = "".join(c for i, c in enumerate(la) if i not in da) + "".join(
        c for j, c in enumerate(lb) if j not in db
    )
    return einsum(f"{la},{lb}->{out}", a, b)


# the error boundary on the PyTorch-surface methods (see _errors.py)
guard_methods(
    LinalgMethods,
    """
    mm bmm mv dot inner outer ger addmm baddbmm addmv kron det inverse vdot addr addbmm cross
    matrix_power slogdet logdet
    """.split(),
)
einsum = guard(einsum)
tensordot = guard(tensordot)
