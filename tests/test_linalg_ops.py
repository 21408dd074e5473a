"""Behaviour of the products, einsum, tensordot and tg.linalg beyond the registry: errors,
higher-order gradients through einsum, singular matrices, and parity with PyTorch (live where
torch is installed, else its answers recorded in tests/goldens/live/test_linalg_ops.npz)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg

R = np.random.default_rng(1)
A = R.standard_normal((3, 3)) * 0.3 + 2 * np.eye(3)
B = R.standard_normal((3, 2))


def _value_and_grads(lib, fn, arrays):
    args = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(lib, *args)
    out.sum().backward() if out.ndim == 0 else (out * out).sum().backward()
    return out.detach().numpy(), [a.grad.numpy() for a in args]


@pytest.mark.parametrize(
    "name, fn, arrays",
    [
        ("mm", lambda m, a, b: m.mm(a, b), (A, B)),
        (
            "bmm",
            lambda m, a, b: m.bmm(a, b),
            (R.standard_normal((2, 2, 3)), R.standard_normal((2, 3, 1))),
        ),
        ("mv", lambda m, a, v: m.mv(a, v), (A, B[:, 0])),
        ("dot", lambda m, a, b: m.dot(a, b), (B[:, 0], B[:, 1])),
        ("outer", lambda m, a, b: m.outer(a, b), (B[:, 0], B[:2, 1])),
        ("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2), (B[0], A, B)),
        (
            "baddbmm",
            lambda m, c, a, b: m.baddbmm(c, a, b, alpha=3),
            (np.ones((2, 1, 1)), R.standard_normal((2, 1, 3)), R.standard_normal((2, 3, 2))),
        ),
        ("kron", lambda m, a, b: m.kron(a, b), (A[:2], B)),
        ("einsum_trace", lambda m, a: m.einsum("ii", a), (A,)),
        (
            "einsum_bilinear",
            lambda m, a, x, y: m.einsum("i,ij,j->", x, a, y),
            (A, B[:, 0], B[:, 1]),
        ),
        ("einsum_list", lambda m, a, b: m.einsum("ij,jk->ik", [a, b]), (A, B)),
        ("tensordot_int", lambda m, a, b: m.tensordot(a, b, 1), (A, B)),
        ("det", lambda m, a: m.linalg.det(a), (A,)),
        ("slogdet", lambda m, a: m.linalg.slogdet(-a).logabsdet, (A,)),
        ("logdet", lambda m, a: m.logdet(a), (A,)),
        ("matrix_power", lambda m, a: m.linalg.matrix_power(a, -2), (A,)),
        ("matrix_power_0", lambda m, a: m.matrix_power(a, 0) + a, (A,)),
        ("cross", lambda m, a, b: m.cross(a, b, dim=0), (B, B[::-1] * 2)),
        ("linalg_cross", lambda m, a, b: m.linalg.cross(a, b), (A, A[::-1] * 2)),
        ("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), (A, B[:, 0])),
        ("vdot", lambda m, a, b: m.vdot(a, b), (B[:, 0], B[:, 1])),
        ("addr", lambda m, c, a, b: m.addr(c, a, b, beta=2), (A, B[:, 0], B[:, 1])),
        (
            "addbmm",
            lambda m, c, a, b: m.addbmm(c, a, b),
            (B.T, np.ones((2, 2, 3)), np.stack([A, A])),
        ),
        ("inv", lambda m, a: m.linalg.inv(a), (A,)),
        ("solve", lambda m, a, b: m.linalg.solve(a, b), (A, B)),
        ("solve_vector", lambda m, a, b: m.linalg.solve(a, b), (A, B[:, 0])),
        ("vector_norm", lambda m, a: m.linalg.vector_norm(a, ord=3, dim=0), (A,)),
        ("linalg_norm", lambda m, a: m.linalg.norm(a), (A,)),
        ("linalg_norm_inf", lambda m, a: m.linalg.norm(a, ord=float("inf")), (A,)),
        ("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, ord=-1, keepdim=True), (A,)),
        ("linalg_norm_dim", lambda m, a: m.linalg.norm(a, ord=1, dim=1), (A,)),
    ],
)
def test_matches_pytorch(name, fn, arrays, torch_answer):
    ours, our_grads = _value_and_grads(tg, fn, arrays)
    theirs, their_grads = torch_answer(
        lambda torch: _value_and_grads(torch, fn, arrays), name, arrays
    )
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-10)
    for a, b in zip(our_grads, their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def test_einsum_third_order_gradient_matches_the_closed_form():
    # f(x) = sum_ij x_i M_ij x_j x_j: third derivatives exercise einsum of einsum of einsum
    m = tg.tensor(A, requires_grad=False)
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    f = tg.einsum("i,ij,j,j->", x, m, x, x)
    (g,) = tg.grad(f, [x], create_graph=True)
    (h,) = tg.grad(g.sum(), [x], create_graph=True)
    (t,) = tg.grad(h.sum(), [x])
    xs = x.numpy()
    # d3/dx^3 of sum_ij x_i M_ij x_j^2 summed over all index triples
    eps = 1e-4
    numeric = np.zeros(3)

    def hsum(v):
        return _hessian_sum(A, v)

    for k in range(3):
        e = np.zeros(3)
        e[k] = eps
        numeric[k] = (hsum(xs + e) - hsum(xs - e)) / (2 * eps)
    np.testing.assert_allclose(t.numpy(), numeric, rtol=1e-5)


def _hessian_sum(m, v):
    # sum over i, k of d2 f / dx_i dx_k with f = sum_ij v_i m_ij v_j^2
    n = len(v)
    h = np.zeros((n, n))
    for i in range(n):
        for k in range(n):
            h[i, k] = 2 * m[i, k] * v[k] + 2 * m[k, i] * v[i] + (2 * (m[:, k] @ v) if i == k else 0)
    return h.sum()


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tg.einsum("ij,jk->ik", tg.ones(2, 3)), ValueError, "2 operands but 1"),
        (lambda: tg.einsum("ij->ik", tg.ones(2, 3)), ValueError, "output subscript 'k'"),
        (lambda: tg.einsum("ijk", tg.ones(2, 3)), ValueError, "names 3 dimensions"),
        (
            lambda: tg.einsum("ij,jk", tg.ones(2, 3), tg.ones(2, 2)),
            ValueError,
            "subscript 'j' has size 3",
        ),
        (lambda: tg.mm(tg.ones(2, 3), tg.ones(3)), RuntimeError, "mm: mat2 must be a 2-D"),
        (lambda: tg.bmm(tg.ones(2, 1, 3), tg.ones(3, 3, 1)), RuntimeError, "bmm: batch sizes"),
        (lambda: tg.dot(tg.ones(2), tg.ones(3)), RuntimeError, "dot: expects tensors of the same"),
        (lambda: tg.tensordot(tg.ones(2, 3), tg.ones(2, 3), 1), RuntimeError, "contracted"),
        (lambda: tg.linalg.inv(tg.ones(2, 3)), RuntimeError, "square matrices"),
        (lambda: tg.linalg.inv(tg.ones(2, 2)), RuntimeError, "singular"),
        (lambda: tg.linalg.solve(tg.eye(2), tg.ones(3)), RuntimeError, "needs 2 rows"),
        (lambda: tg.linalg.matrix_norm(tg.ones(2, 2), "nuc"), ValueError, "'nuc' is not"),
    ],
)
def test_errors_name_the_op_and_the_shapes(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_addmm_with_beta_zero_ignores_nan_in_self():
    out = tg.addmm(tg.full((2, 2), float("nan")), tg.eye(2), tg.eye(2), beta=0)
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_linalg_namespace_and_methods_agree():
    a = tg.tensor(A)
    assert np.allclose(tg.linalg.inv(a).numpy(), a.inverse().numpy())
    assert np.isclose(tg.linalg.det(a).item(), np.linalg.det(A))
    x = tg.linalg.solve(a, tg.tensor(B))
    np.testing.assert_allclose((a @ x).numpy(), B, atol=1e-12)
    y = tg.linalg.solve(a, tg.tensor(B.T), left=False)
    np.testing.assert_allclose((y @ a).numpy(), B.T, atol=1e-12)


def test_float16_matrices_are_computed_in_float32_and_stored_as_float16():
    a = tg.tensor(A, dtype=tg.float16, requires_grad=True)
    inv = tg.linalg.inv(a)
    inv.float().sum().backward()
    assert inv.dtype == np.float16 and a.grad.dtype == np.float16
    np.testing.assert_allclose(
        inv.numpy(), np.linalg.inv(A.astype(np.float16).astype(np.float32)), rtol=2e-3
    )
    assert tg.linalg.det(a).dtype == np.float16
    assert tg.linalg.solve(a, tg.ones(3, dtype=tg.float16)).dtype == np.float16
