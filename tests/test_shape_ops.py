"""Behaviour of the shape, order, reduction and index ops beyond the registry's numeric checks:
named tuples, dtypes, ties, non-differentiable outputs, errors, and parity with PyTorch
(forward and gradient; live where torch is installed, else its answers recorded in
tests/goldens/live/test_shape_ops.npz)."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import tinygrad_cnn as tg

R = np.random.default_rng(0)
X34 = R.standard_normal((3, 4))
TIES = np.array([[1.0, 3.0, 3.0, 2.0], [0.0, 0.0, 5.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
TIES_INT = TIES.astype(np.int64)
WITH_ZEROS = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5], [0.5, -2.0, 1.0, 3.0]])
Z3, S2, T3, S3 = (
    np.zeros(3),
    np.array([3.0, 4.0]),
    np.array([2.0, 1.0, 5.0]),
    np.array([2.0, 2.0, 0.5]),
)
J = [0, 0, 1]  # scatter targets: two writes to 0, one to 1
HOLES = np.where(np.eye(3, 4) > 0, np.nan, X34)
IDX = np.array([[2, 0, 1, 2], [0, 0, 2, 1]])


def _tensors(lib, arrays):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.append(lib.tensor(a.copy(), requires_grad=True))
        elif isinstance(a, np.ndarray):
            out.append(lib.tensor(a.copy()))
        else:
            out.append(a)
    return out


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _run(lib, fn, arrays):
    args = _tensors(lib, arrays)
    out = fn(lib, *args)
    outs = out if isinstance(out, tuple) else (out,)
    values = [o.detach().numpy() if hasattr(o, "detach") else np.asarray(o) for o in outs]
    diff = [a for a in args if hasattr(a, "requires_grad") and a.requires_grad]
    grads = []
    first = _first(out)
    if diff and first.requires_grad:
        weight = np.arange(1, first.numel() + 1, dtype=np.float64).reshape(tuple(first.shape))
        (first * lib.tensor(weight)).sum().backward()
        grads = [None if a.grad is None else a.grad.numpy() for a in diff]
    return values, grads


PARITY = {
    # scans and order statistics, with ties and zeros where PyTorch defines the result
    "cumsum": (lambda m, x: m.cumsum(x, 1), [X34]),
    "cumsum_int": (lambda m, x: m.cumsum(x, 0), [np.array([1, 2, 3], dtype=np.int32)]),
    "cumprod_zeros": (lambda m, x: m.cumprod(x, 1), [WITH_ZEROS]),
    "cumprod_zeros_dim0": (lambda m, x: m.cumprod(x, 0), [WITH_ZEROS]),
    "logcumsumexp": (lambda m, x: m.logcumsumexp(x, 1), [X34]),
    "cummax_ties": (lambda m, x: m.cummax(x, 1), [TIES]),
    "cummin_ties": (lambda m, x: m.cummin(x, 0), [TIES]),
    "sort_ties": (lambda m, x: m.sort(x, dim=1, stable=True), [TIES]),
    "sort_desc_ties": (lambda m, x: m.sort(x, dim=1, descending=True, stable=True), [TIES]),
    "argsort": (lambda m, x: m.argsort(x, dim=0, stable=True), [X34]),
    "topk": (lambda m, x: m.topk(x, 2, dim=1), [X34]),
    "topk_smallest": (lambda m, x: m.topk(x, 2, dim=0, largest=False), [X34]),
    "kthvalue": (lambda m, x: m.kthvalue(x, 2, 1), [X34]),
    "kthvalue_keepdim": (lambda m, x: m.kthvalue(x, 1, 0, keepdim=True), [X34]),
    "median_all": (lambda m, x: m.median(x), [X34]),
    "median_all_ties": (lambda m, x: m.median(x), [np.array([2.0, 1.0, 2.0, 2.0])]),
    "median_dim_ties": (lambda m, x: m.median(x, 1), [TIES]),
    "mode_ties": (lambda m, x: m.mode(x, 1), [TIES]),
    "unique": (lambda m, x: m.unique(x, return_inverse=True, return_counts=True), [TIES_INT]),
    "unique_dim": (lambda m, x: m.unique(x, dim=0), [np.array([[1, 2], [0, 1], [1, 2]])]),
    # reductions
    "amax_ties": (lambda m, x: m.amax(x, (0, 1)), [TIES]),
    "amin_dim_ties": (lambda m, x: m.amin(x, 1, keepdim=True), [TIES]),
    "norm_zero_row": (lambda m, x: m.linalg.vector_norm(x, dim=1), [WITH_ZEROS * [[1], [0], [1]]]),
    "norm_inf": (lambda m, x: m.linalg.vector_norm(x, ord=float("inf"), dim=0), [X34]),
    "norm_fro": (lambda m, x: m.norm(x, p="fro"), [X34]),
    "var_mean": (lambda m, x: m.var_mean(x, 1, correction=0), [X34]),
    "std_mean": (lambda m, x: m.std_mean(x, (0, 1), keepdim=True), [X34]),
    "count_nonzero": (lambda m, x: m.count_nonzero(x, dim=(0, 1)), [WITH_ZEROS]),
    "all_dim": (lambda m, x: m.all(x, dim=1), [WITH_ZEROS]),
    "any_keepdim": (lambda m, x: m.any(x, dim=0, keepdim=True), [WITH_ZEROS * 0]),
    "argmax_keepdim": (lambda m, x: m.argmax(x, 1, keepdim=True), [X34]),
    "sum_dtype": (lambda m, x: m.sum(x, dtype=m.float64), [np.array([1, 2], dtype=np.int32)]),
    "prod_dtype": (lambda m, x: m.prod(x, 0, dtype=m.float32), [np.array([3, 2])]),
    "logsumexp_int": (lambda m, x: m.logsumexp(x, 0), [np.array([1, 2])]),
    "logsumexp_tuple": (lambda m, x: m.logsumexp(x, (0, 1)), [X34]),
    # gathering and scattering
    "gather": (lambda m, x, i: m.gather(x, 0, i), [X34, IDX]),
    "scatter_repeated": (lambda m, x, s: x.scatter(0, m.tensor([1, 1]), s), [Z3, S2]),
    "scatter_reduce_amax_ties": (
        lambda m, x, s: x.scatter_reduce(0, m.tensor(J), s, "amax"),
        [T3, S3],
    ),
    "scatter_reduce_prod_zeros": (
        lambda m, x, s: x.scatter_reduce(0, m.tensor(J), s, "prod"),
        [T3, S3 * [0, 1, 1]],
    ),
    "scatter_reduce_mean": (
        lambda m, x, s: x.scatter_reduce(0, m.tensor(J), s, "mean", include_self=False),
        [T3, S3],
    ),
    "scatter_add": (lambda m, x, i, s: x.scatter_add(0, i, s), [X34, IDX, X34[:2] + 1]),
    "index_add": (
        lambda m, x, s: x.index_add(1, m.tensor([0, 0, 3]), s, alpha=2),
        [X34, X34[:, :3]],
    ),
    "take": (lambda m, x: m.take(x, m.tensor([[0, 11], [5, 5]])), [X34]),
    "take_along_dim": (lambda m, x: m.take_along_dim(x, m.argsort(x, 1), 1), [X34]),
    "masked_select": (lambda m, x: m.masked_select(x, m.tensor([True, False, True, True])), [X34]),
    "nonzero": (lambda m, x: m.nonzero(x), [WITH_ZEROS]),
    "nonzero_tuple": (lambda m, x: m.nonzero(x, as_tuple=True), [WITH_ZEROS]),
    "where_one_arg": (lambda m, x: m.where(x > 0), [WITH_ZEROS]),
    "searchsorted": (
        lambda m, s, v: m.searchsorted(s, v, right=True),
        [np.array([1, 3, 3, 5]), np.array([[3, 0], [6, 5]])],
    ),
    "searchsorted_rows": (
        lambda m, s, v: m.searchsorted(s, v),
        [np.array([[1, 3], [2, 4]]), np.array([[3], [1]])],
    ),
    "bucketize": (
        lambda m, v, b: m.bucketize(v, b),
        [np.array([1.0, 5.0, 9.0, 3.0]), np.array([1.0, 5.0])],
    ),
    # shapes
    "tril": (lambda m, x: m.tril(x, -1), [X34]),
    "triu": (lambda m, x: x.triu(1), [X34]),
    "diag_embed": (lambda m, x: m.diag_embed(x, 1, 0, 2), [X34]),
    "diagonal": (lambda m, x: m.diagonal(x, -1), [X34]),
    "roll": (lambda m, x: m.roll(x, (1, -1), (0, 1)), [X34]),
    "rot90": (lambda m, x: m.rot90(x, 3, (1, 0)), [X34]),
    "repeat_interleave": (lambda m, x: m.repeat_interleave(x, m.tensor([2, 0, 1]), dim=0), [X34]),
    "repeat_interleave_counts": (lambda m, x: m.repeat_interleave(x), [np.array([2, 0, 1])]),
    "diff": (lambda m, x: m.diff(x, 2, 0, append=m.zeros(1, 4, dtype=m.float64)), [X34]),
    "hstack": (lambda m, a, b: m.hstack([a, b]), [X34, X34[:, :1]]),
    "vstack": (lambda m, a, b: m.vstack([a, b]), [X34[0], X34[1]]),
    "dstack": (lambda m, a, b: m.dstack([a, b]), [X34, X34]),
    "column_stack": (lambda m, a, b: m.column_stack([a, b]), [X34[0], X34[:2].T]),
    "atleast_3d": (lambda m, a: m.atleast_3d(a), [X34[0]]),
    "aminmax": (lambda m, x: m.aminmax(x, dim=0), [TIES]),
    "nansum": (lambda m, x: m.nansum(x, 1), [HOLES]),
    "nanmean": (lambda m, x: m.nanmean(x, 0, keepdim=True), [HOLES]),
    "bincount": (lambda m, i: m.bincount(i, minlength=6), [np.array([0, 3, 3, 1])]),
    "bincount_weights": (lambda m: m.bincount(m.tensor([0, 2, 2]), m.tensor(X34[0, :3])), []),
    "unique_consecutive": (
        lambda m, x: m.unique_consecutive(x, return_inverse=True, return_counts=True),
        [np.array([1, 1, 2, 2, 3, 1, 1])],
    ),
    "unique_consecutive_dim": (
        lambda m, x: m.unique_consecutive(x, dim=0),
        [np.array([[1, 2], [1, 2], [0, 2], [1, 2]])],
    ),
    "index_fill": (lambda m, x: x.index_fill(1, m.tensor([0, 3]), -1.0), [X34]),
    "index_copy": (lambda m, x, s: x.index_copy(0, m.tensor([2, 0]), s), [X34, X34[:2] * 2]),
    "hsplit": (lambda m, x: m.hsplit(x, 2), [X34]),
    "vsplit": (lambda m, x: m.vsplit(x, [1]), [X34]),
    "ravel": (lambda m, x: m.ravel(x.t()), [X34]),
    "block_diag": (lambda m, a, b: m.block_diag(a, b), [X34[:2], X34[2]]),
    "cartesian_prod": (lambda m, a, b: m.cartesian_prod(a, b), [X34[0], X34[1, :2]]),
    "tensor_split": (lambda m, x: m.tensor_split(x, 3, dim=1), [X34]),
    "tensor_split_idx": (lambda m, x: x.tensor_split([1, 5], dim=1), [X34]),
    "unfold": (lambda m, x: x.unfold(1, 2, 1), [X34]),
    "meshgrid_xy": (lambda m, a, b: m.meshgrid(a, b, indexing="xy"), [X34[0], X34[1, :3]]),
    "movedim": (lambda m, x: m.movedim(x, (0, 1), (1, 0)), [X34]),
    "unbind": (lambda m, x: m.unbind(x, 1), [X34]),
    "kron": (lambda m, a, b: m.kron(a, b), [X34[:2, :2], X34[1:, 2:]]),
    "trace": (lambda m, x: m.trace(x), [X34]),
    "einsum_ellipsis": (
        lambda m, a, b: m.einsum("...ij,...jk", a, b),
        [R.standard_normal((2, 2, 3)), X34],
    ),
    "tensordot": (lambda m, a, b: m.tensordot(a, b, dims=([0], [0])), [X34, X34]),
}


@pytest.mark.parametrize("name", sorted(PARITY))
def test_matches_pytorch(name, torch_answer):
    fn, arrays = PARITY[name]
    ours, our_grads = _run(tg, fn, arrays)
    theirs, their_grads = torch_answer(lambda torch: _run(torch, fn, arrays), name, arrays)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert len(our_grads) == len(their_grads)
    for a, b in zip(our_grads, their_grads):
        if a is None or b is None:  # an input the first output does not use
            assert a is None or not a.any()
            assert b is None or not b.any()
            continue
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_order_ops_return_named_tuples_whose_indices_carry_no_gradient():
    x = tg.tensor(X34, requires_grad=True)
    for name, result in [
        ("sort", x.sort()),
        ("topk", x.topk(2)),
        ("kthvalue", x.kthvalue(1)),
        ("median", x.median(0)),
        ("mode", x.mode()),
        ("cummax", x.cummax(1)),
        ("cummin", x.cummin(1)),
    ]:
        assert type(result).__name__ == name and result._fields == ("values", "indices")
        values, indices = result
        assert values.requires_grad and not indices.requires_grad
        assert indices.dtype == np.int64
    assert not x.argsort().requires_grad
    assert not x.unique().requires_grad and not x.nonzero().requires_grad


def test_order_values_route_the_gradient_to_the_chosen_elements():
    x = tg.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    x.topk(2).values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0]]


def test_cumprod_second_derivative_at_a_zero():
    x = tg.tensor([2.0, 0.0, 3.0], dtype=tg.float64, requires_grad=True)
    assert tg.gradgradcheck(lambda t: t.cumprod(0), [x])


def test_integer_and_empty_inputs():
    assert tg.tensor([True, True]).cumsum(0).dtype == np.int64
    assert tg.zeros(0).cumsum(0).shape == (0,)
    assert tg.zeros(2, 0).sort(1).values.shape == (2, 0)
    assert tg.zeros(0, 3).amax(1).shape == (0,)
    assert tg.zeros(0).nonzero().shape == (0, 1)
    assert tg.tensor(3.0).nonzero().shape == (1, 0)
    assert tg.tensor(5.0).sort().values.item() == 5.0


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda x: x.topk(5), RuntimeError, "topk: k (5)"),
        (lambda x: x.kthvalue(0), RuntimeError, "kthvalue: k (0)"),
        (lambda x: x.gather(0, tg.tensor([[0.5]])), TypeError, "gather: index must be an integer"),
        (lambda x: x.gather(0, tg.tensor([[3]])), IndexError, "gather: index values"),
        (lambda x: x.gather(0, tg.tensor([0])), RuntimeError, "as many dimensions"),
        (lambda x: x.scatter_reduce(0, tg.tensor([[0]]), x, "max"), ValueError, "amax"),
        (lambda x: x.index_select(0, tg.tensor([[0]])), IndexError, "0-d or 1-D"),
        (lambda x: x.masked_select(tg.tensor([1.0])), TypeError, "bool tensor"),
        (lambda x: x.narrow(1, 3, 2), IndexError, "narrow: start (3) + length (2)"),
        (lambda x: x.unfold(1, 5, 1), RuntimeError, "unfold: size (5)"),
        (lambda x: x.roll((1, 2), 0), RuntimeError, "roll: shifts"),
        (lambda x: x.rot90(1, (0, 0)), RuntimeError, "rot90: the two dims"),
        (lambda x: x.movedim((0, 1), 1), ValueError, "movedim"),
        (lambda x: x.t().unsqueeze(0).t(), RuntimeError, "t: expects a tensor with <= 2"),
        (lambda x: x.cumsum(2), IndexError, "cumsum: dim 2 is out of range"),
        (lambda x: x.repeat_interleave(tg.tensor([1, 2])), RuntimeError, "repeats must have"),
        (lambda x: x.vector_norm().long().vector_norm(), TypeError, "floating-point"),
        (lambda x: x.diag_embed(0, 1, 1), RuntimeError, "dim1 and dim2 must differ"),
        (lambda x: x.vector_norm("fro"), TypeError, "ord must be a number"),
        (lambda x: x.index_select(0, tg.tensor([7])), IndexError, "index_select: index values"),
        (lambda x: x.index_add(0, tg.tensor([7]), x[:1]), IndexError, "index_add: index values"),
        (lambda x: x.index_fill(1, tg.tensor([-5]), 0.0), IndexError, "index_fill: index values"),
        (lambda x: x.index_copy(0, tg.tensor([0]), x), RuntimeError, "index_copy: source shape"),
        (lambda x: tg.tensor([1]).bincount(tg.ones(2)), RuntimeError, "bincount: weights"),
        (lambda x: x.cross(tg.ones(2, 4)), RuntimeError, "cross: shapes"),
        (lambda x: x.diff(-1), RuntimeError, "diff: order n must be non-negative"),
        (lambda x: x.mm(x), RuntimeError, "mm: shapes (3, 4) and (3, 4) cannot be multiplied"),
        (lambda x: x.hsplit(3), RuntimeError, "hsplit: dimension 1 of size 4 is not divisible"),
        (lambda x: tg.tril_indices(-1, 2), RuntimeError, "row (-1) and col (2)"),
    ],
)
def test_errors_name_the_op_and_the_argument(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call(tg.tensor(X34))


def test_function_forms_mirror_the_methods_and_reject_non_tensors():
    x = tg.tensor(X34)
    assert tg.sum(x, 1).tolist() == x.sum(1).tolist()
    assert tg.flatten(x).shape == (12,) and tg.argmax(x).item() == int(np.argmax(X34))
    assert tg.clamp(x, 0, 1).numpy().max() <= 1
    assert tg.max(x, tg.zeros(3, 4)).tolist() == np.maximum(X34, 0).tolist()
    assert list(tg.sum.__signature__.parameters)[0] == "input"
    with pytest.raises(TypeError, match="sum: input must be a Tensor"):
        tg.sum([1.0, 2.0])


def test_inference_mode_records_nothing_as_context_and_decorator():
    w = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert not (w * 2).requires_grad
    with tg.inference_mode(False):
        assert (w * 2).requires_grad

    @tg.inference_mode()
    def step(t):
        return t * 2

    assert not step(w).requires_grad and tg.is_grad_enabled()


def test_new_tensors_take_this_ones_dtype_and_factories_accept_the_cpu_device():
    x = tg.arange(3)
    assert x.new_zeros(2, 2).dtype == np.int64 and x.new_ones((2,)).tolist() == [1, 1]
    assert x.new_full((2,), 7).tolist() == [7, 7] and x.new_empty(4).shape == (4,)
    w = tg.zeros(1).new_tensor([1.0, 2.0], requires_grad=True)
    assert w.dtype == np.float32 and w.requires_grad and w.is_leaf
    assert tg.zeros(2, device="cpu").shape == (2,) and tg.arange(2, device=tg.device("cpu")).shape
    with pytest.raises(RuntimeError, match="only the 'cpu' device"):
        tg.randn(2, device="cuda:0")
    assert tg.randint(10, (3,)).shape == (3,)
    assert tg.finfo(tg.float32).eps == np.finfo(np.float32).eps and tg.iinfo(tg.int8).max == 127


E03, E20 = np.zeros((0, 3)), np.zeros((2, 0))
EDGE = {
    "cumsum": (lambda m, x: m.cumsum(x, 0), [E03]),
    "cumprod": (lambda m, x: m.cumprod(x, 1), [E20]),
    "logcumsumexp": (lambda m, x: m.logcumsumexp(x, 1), [E20]),
    "cummax": (lambda m, x: m.cummax(x, 0).values, [E03]),
    "sort": (lambda m, x: m.sort(x, 1).values, [E20]),
    "topk0": (lambda m, x: m.topk(x, 0).values, [np.ones(3)]),
    "amax": (lambda m, x: m.amax(x, 1), [E03]),
    "logsumexp_empty": (lambda m, x: m.logsumexp(x, 1), [E03]),
    "gather": (lambda m, x: m.gather(x, 1, m.zeros(2, 0, dtype=m.int64)), [np.ones((2, 3))]),
    "index_select": (
        lambda m, x: m.index_select(x, 0, m.zeros(0, dtype=m.int64)),
        [np.ones((2, 3))],
    ),
    "scatter_add": (
        lambda m, x: x.scatter_add(0, m.zeros(0, 3, dtype=m.int64), m.zeros(0, 3, dtype=m.float64)),
        [np.ones((2, 3))],
    ),
    "scatter_reduce": (
        lambda m, x: x.scatter_reduce(
            0, m.zeros(0, 3, dtype=m.int64), m.zeros(0, 3, dtype=m.float64), "amax"
        ),
        [np.ones((2, 3))],
    ),
    "tril": (lambda m, x: m.tril(x), [E03]),
    "diagonal": (lambda m, x: m.diagonal(x), [E03]),
    "diag_embed": (lambda m, x: m.diag_embed(x), [E03]),
    "roll": (lambda m, x: m.roll(x, 1, 0), [E03]),
    "flip": (lambda m, x: m.flip(x, (0,)), [E03]),
    "einsum": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), [E20, np.zeros((0, 2))]),
    "mm": (lambda m, a, b: m.mm(a, b), [E20, np.zeros((0, 2))]),
    "kron": (lambda m, a, b: m.kron(a, b), [E03, np.ones((2, 2))]),
    "unfold": (lambda m, x: x.unfold(0, 0, 1), [np.ones(3)]),
    "take": (lambda m, x: m.take(x, m.zeros(0, dtype=m.int64)), [np.ones(3)]),
    "masked_select": (lambda m, x: m.masked_select(x, x > 5), [np.ones(3)]),
    "repeat_interleave": (lambda m, x: m.repeat_interleave(x, 0), [np.ones(3)]),
    "tensor_split": (lambda m, x: m.tensor_split(x, 3)[2], [np.ones(2)]),
    "vector_norm": (lambda m, x: m.linalg.vector_norm(x, dim=1), [E03]),
    "nonzero": (lambda m, x: m.nonzero(x), [E03]),
    "det_0x0": (lambda m, x: m.linalg.det(x), [np.zeros((0, 0))]),
    "cross_empty": (lambda m, a, b: m.cross(a, b, dim=1), [E03, E03]),
    "searchsorted": (lambda m, a, b: m.searchsorted(a, b), [np.zeros(0), np.ones(2)]),
    "block_diag0": (lambda m: m.block_diag(m.zeros(0, 2)), []),
    "cumsum_0d": (lambda m, x: m.cumsum(x, -1), [np.array(2.0)]),
    "gather_0d": (lambda m, x: m.gather(x, 0, m.tensor(0)), [np.array(2.0)]),
    "sort_0d": (lambda m, x: m.sort(x, -1).indices, [np.array(2.0)]),
    "movedim_0d": (lambda m, x: m.movedim(x, 0, 0), [np.array(2.0)]),
    "diff_0": (lambda m, x: m.diff(x, n=0), [np.ones(3)]),
    "amax_0d_neg": (lambda m, x: m.amax(x, -1), [np.array(2.0)]),
    "count_nonzero_0d": (lambda m, x: m.count_nonzero(x), [np.array(2.0)]),
    "roll_0d": (lambda m, x: m.roll(x, 1), [np.array(2.0)]),
    "narrow_0": (lambda m, x: m.narrow(x, 0, 3, 0), [np.ones(3)]),
    "take_along_dim_0d": (lambda m, x: m.take_along_dim(x, m.tensor(0)), [np.array(2.0)]),
    "kthvalue_0d": (lambda m, x: m.kthvalue(x, 1).values, [np.array(2.0)]),
    "mode_0d": (lambda m, x: m.mode(x).values, [np.array(2.0)]),
    "median_0d_dim": (lambda m, x: m.median(x, 0).values, [np.array(2.0)]),
    "cummax_0d": (lambda m, x: m.cummax(x, 0).values, [np.array(2.0)]),
    "logcumsumexp_0d": (lambda m, x: m.logcumsumexp(x, 0), [np.array(2.0)]),
}


@pytest.mark.parametrize("name", sorted(EDGE))
def test_empty_and_0d_inputs_match_pytorch(name, torch_answer):
    fn, arrays = EDGE[name]
    ours = _shape_dtype_value_grad_shapes(tg, fn, arrays)
    theirs = torch_answer(
        lambda torch: _shape_dtype_value_grad_shapes(torch, fn, arrays), name, arrays
    )
    assert ours == theirs


def _shape_dtype_value_grad_shapes(lib, fn, arrays):
    args = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *args)
    shapes = None
    if out.requires_grad:
        out.sum().backward()
        shapes = [None if a.grad is None else tuple(a.grad.shape) for a in args]
    value = np.asarray(out.detach().numpy())
    return (tuple(out.shape), str(out.dtype).split(".")[-1], value.tolist(), shapes)


def test_every_function_form_has_its_methods_parameters_with_input_first():
    from tinygrad_cnn import functions

    for name in functions._METHODS:
        fn, method = getattr(tg, name), getattr(tg.Tensor, name)
        ours = list(inspect.signature(fn).parameters.values())
        theirs = list(inspect.signature(method).parameters.values())
        assert ours[0].name == "input" and ours[1:] == theirs[1:], name
        assert (
            inspect.unwrap(fn) is inspect.unwrap(method)
            and fn.__doc__ == method.__doc__
            and name in tg.__all__
        )


def test_the_error_boundary_names_the_op_and_hides_internal_wording():
    x = tg.tensor(X34)
    with pytest.raises(TypeError, match=r"^bmm: expected a tensor") as info:
        x.unsqueeze(0).bmm([[1.0], [2.0, 3.0]])
    assert "inhomogeneous" not in str(info.value)
    with pytest.raises(IndexError, match=r"^take_along_dim: gather: index values"):
        x.take_along_dim(tg.tensor([[9]]), 1)
    with pytest.raises(ValueError, match=r"^tensordot: invalid arguments \(a float64 tensor"):
        tg.tensordot(x, x, [[], [], []])
    guarded = tg.Tensor.sort
    assert guarded.__module__ == "tinygrad_cnn._tensor_order" and ">>>" in guarded.__doc__
    assert list(inspect.signature(guarded).parameters)[:2] == ["self", "dim"]
