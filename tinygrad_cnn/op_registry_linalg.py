"""Registry specs of the products and linear algebra: mm, bmm, mv, dot, inner, outer, addmm,
baddbmm, addmv, kron, einsum (explicit, implicit, ellipsis, broadcast, traces and diagonals),
tensordot, and linalg det, inv, solve, multi_dot on well-conditioned matrices."""

from __future__ import annotations

import numpy as np

from .op_registry import OpSpec, Sample, _noncontig, _rng


def _well_conditioned(shape: tuple[int, ...], seed: int) -> np.ndarray:
    n = shape[-1]
    return _rng(seed).standard_normal(shape) * 0.3 + np.eye(n) * 2


def _product_specs(r) -> list[OpSpec]:
    a23, b34 = r.standard_normal((2, 3)), r.standard_normal((3, 4))
    v3, v4 = r.standard_normal(3), r.standard_normal(4)
    b223, b234 = r.standard_normal((2, 2, 3)), r.standard_normal((2, 3, 4))
    return [
        OpSpec(
            "mm",
            lambda a, b: a.mm(b),
            np.matmul,
            [Sample((a23, b34)), Sample((_noncontig((2, 3)), b34), note="non-contiguous")],
        ),
        OpSpec("bmm", lambda a, b: a.bmm(b), np.matmul, [Sample((b223, b234))]),
        OpSpec("mv", lambda a, v: a.mv(v), np.matmul, [Sample((b34, v4))]),
        OpSpec("dot", lambda a, b: a.dot(b), np.dot, [Sample((v3, r.standard_normal(3)))]),
        OpSpec(
            "inner", lambda a, b: a.inner(b), np.inner, [Sample((a23, r.standard_normal((4, 3))))]
        ),
        OpSpec("outer", lambda a, b: a.outer(b), np.outer, [Sample((v3, v4))]),
        OpSpec(
            "addmm",
            lambda c, a, b, **k: c.addmm(a, b, **k),
            lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b),
            [
                Sample((r.standard_normal((2, 4)), a23, b34)),
                Sample((v4, a23, b34), {"beta": 0.5, "alpha": -2.0}, note="broadcast self"),
            ],
        ),
        OpSpec(
            "baddbmm",
            lambda c, a, b, **k: c.baddbmm(a, b, **k),
            lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b),
            [Sample((r.standard_normal((2, 2, 4)), b223, b234), {"alpha": 0.5})],
        ),
        OpSpec(
            "addmv",
            lambda c, a, v, **k: c.addmv(a, v, **k),
            lambda c, a, v, beta=1, alpha=1: beta * c + alpha * (a @ v),
            [Sample((v3, b34, v4), {"beta": 2.0})],
        ),
        OpSpec("vdot", lambda a, b: a.vdot(b), np.vdot, [Sample((v3, r.standard_normal(3)))]),
        OpSpec(
            "addr",
            lambda c, a, b, **k: c.addr(a, b, **k),
            lambda c, a, b, beta=1, alpha=1: beta * c + alpha * np.outer(a, b),
            [Sample((r.standard_normal((3, 4)), v3, v4), {"alpha": 0.5})],
        ),
        OpSpec(
            "addbmm",
            lambda c, a, b: c.addbmm(a, b),
            lambda c, a, b: c + (a @ b).sum(0),
            [Sample((r.standard_normal((2, 4)), b223, b234))],
        ),
        OpSpec(
            "cross",
            lambda a, b, **k: a.cross(b, **k),
            lambda a, b, dim=None: np.cross(*np.broadcast_arrays(a, b), axis=dim or 0),
            [
                Sample((r.standard_normal((3, 2)), r.standard_normal((3, 2)))),
                Sample((r.standard_normal((2, 3)), r.standard_normal((1, 3))), {"dim": 1}),
            ],
        ),
        OpSpec(
            "kron",
            lambda a, b: a.kron(b),
            np.kron,
            [Sample((a23, r.standard_normal((2, 2)))), Sample((v3, a23), note="1-D with 2-D")],
        ),
    ]


def _einsum_specs(r) -> list[OpSpec]:
    from ._tensor_linalg import einsum, tensordot

    m33 = r.standard_normal((3, 3))
    a23, b34 = r.standard_normal((2, 3)), r.standard_normal((3, 4))
    cases = [
        ("ij,jk->ik", (a23, b34)),
        ("ij,jk", (a23, b34)),
        ("ii", (m33,)),
        ("ii->i", (m33,)),
        ("ij->", (a23,)),
        ("ij->ji", (a23,)),
        ("i,j->ij", (r.standard_normal(2), r.standard_normal(3))),
        ("ij,j->i", (a23, r.standard_normal(3))),
        ("ij,jk,kl->il", (a23, b34, r.standard_normal((4, 2)))),
        ("...ij,...jk->...ik", (r.standard_normal((2, 2, 3)), r.standard_normal((1, 3, 2)))),
        ("b...i,...i->b...", (r.standard_normal((2, 3, 2)), r.standard_normal(2))),
        ("iji->j", (r.standard_normal((2, 3, 2)),)),
        ("ij,ij->i", (a23, r.standard_normal((1, 3)))),
        ("ij,jk->ik", (np.zeros((2, 0)), np.zeros((0, 3)))),
    ]
    return [
        OpSpec(
            "einsum",
            lambda *xs, eq: einsum(eq, *xs),
            lambda *xs, eq: np.einsum(eq, *xs),
            [Sample(args, {"eq": eq}, note=eq) for eq, args in cases],
        ),
        OpSpec(
            "tensordot",
            lambda a, b, dims: tensordot(a, b, dims),
            lambda a, b, dims: np.tensordot(a, b, dims),
            [
                Sample((r.standard_normal((2, 3, 4)), r.standard_normal((3, 4, 2)), 2)),
                Sample((b34, r.standard_normal((4, 2, 3)), ([0, 1], [2, 0]))),
                Sample((a23, b34, 0), note="an outer product"),
            ],
        ),
    ]


def _solve_ref(a, b, left=True):
    if not left:
        return np.swapaxes(_solve_ref(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    if b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]):
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)


def _linalg_specs() -> list[OpSpec]:
    from . import linalg

    a = _well_conditioned((3, 3), 1)
    batch = _well_conditioned((2, 2, 2), 2)
    r = _rng(3)
    return [
        OpSpec(
            "det",
            linalg.det,
            np.linalg.det,
            [
                Sample((a,)),
                Sample((batch,), note="batch"),
                Sample((np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]),), note="singular"),
                Sample((np.array([[1.0, 2], [2, 4]]),), note="rank 1: the cofactors"),
            ],
        ),
        OpSpec("inv", linalg.inv, np.linalg.inv, [Sample((a,)), Sample((batch,), note="batch")]),
        OpSpec(
            "solve",
            lambda a, b, **k: linalg.solve(a, b, **k),
            _solve_ref,
            [
                Sample((a, r.standard_normal(3)), note="B a vector"),
                Sample((a, r.standard_normal((3, 2)))),
                Sample((batch, r.standard_normal((2, 2, 1))), note="batch"),
                Sample((a, r.standard_normal((2, 3))), {"left": False}),
                Sample((batch, r.standard_normal((2, 1))), note="B broadcast over A's batch"),
            ],
        ),
        OpSpec(
            "matrix_power",
            lambda a, n: linalg.matrix_power(a, n),
            lambda a, n: np.linalg.matrix_power(a, n),
            [Sample((a, 3)), Sample((batch, -2), note="powers of the inverse"), Sample((a, 1))],
        ),
        OpSpec(
            "slogdet",
            lambda a: linalg.slogdet(a).logabsdet,
            lambda a: np.linalg.slogdet(a)[1],
            [Sample((a * np.array([[-1.0], [1], [1]]),), note="negative determinant")],
        ),
        OpSpec("logdet", lambda a: a.logdet(), lambda a: np.log(np.linalg.det(a)), [Sample((a,))]),
        OpSpec(
            "matrix_norm",
            lambda a, **k: linalg.matrix_norm(a, **k),
            lambda a, ord="fro", dim=(-2, -1), keepdim=False: np.linalg.norm(a, ord, dim, keepdim),
            [
                Sample((r.standard_normal((2, 3, 4)),), {"ord": 1}),
                Sample((r.standard_normal((3, 4)),), {"ord": -np.inf, "keepdim": True}),
                Sample((r.standard_normal((2, 3, 4)),), {"ord": "fro", "dim": (2, 0)}),
                Sample((r.standard_normal((3, 4)),), {"ord": np.inf, "dim": (1, 0)}),
            ],
            kinky=True,
        ),
        OpSpec(
            "multi_dot",
            lambda a, b, c: linalg.multi_dot([a, b, c]),
            lambda a, b, c: a @ b @ c,
            [Sample((r.standard_normal(2), r.standard_normal((2, 3)), r.standard_normal((3, 2))))],
        ),
    ]


def specs() -> list[OpSpec]:
    r = _rng(37)
    return _product_specs(r) + _einsum_specs(r) + _linalg_specs()
