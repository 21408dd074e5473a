"""Creation functions and dtypes as PyTorch has them: tensor/as_tensor/from_numpy copying and
sharing, dtype inference, integer fills, range errors, index grids, random draws, the dtype
conversions (to, type, half, ...) and float16 storage."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg


def test_tensor_copies_and_infers_dtypes_as_pytorch():
    a = np.zeros(3)
    t = tg.tensor(a)
    a[0] = 9
    assert t.tolist() == [0.0, 0.0, 0.0] and t.dtype == np.float64
    assert tg.tensor([1.5]).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True]).dtype == np.bool_
    assert tg.tensor(2).shape == ()
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64
    w = tg.tensor([1.0], requires_grad=True)
    assert w.requires_grad and w.is_leaf
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tg.tensor([1], requires_grad=True)
    with pytest.raises(RuntimeError, match="only the 'cpu' device"):
        tg.tensor([1.0], device="cuda")


def test_as_tensor_and_from_numpy_share_memory():
    a = np.arange(4.0)
    shared, converted = tg.as_tensor(a), tg.as_tensor(a, dtype=tg.float32)
    view = tg.from_numpy(a)
    a[1] = -1
    assert shared.tolist()[1] == -1 and view.tolist()[1] == -1
    assert converted.tolist()[1] == 1.0
    view.data[2] = 7
    assert a[2] == 7
    t = tg.ones(2)
    assert tg.as_tensor(t) is t
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray"):
        tg.from_numpy([1.0])


def test_full_keeps_the_fill_values_type():
    assert tg.full((2,), 3).dtype == np.int64
    assert tg.full((2,), True).dtype == np.bool_
    assert tg.full((2,), 3.0).dtype == np.float32
    assert tg.full((2,), 3, dtype=tg.float64).dtype == np.float64
    assert tg.full_like(tg.zeros(2), 4).dtype == np.float32


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: tg.arange(0, 5, 0), "step must be nonzero"),
        (lambda: tg.arange(5, 0, 1), "upper bound and lower bound inconsistent with step sign"),
        (lambda: tg.arange(0, float("inf")), "unsupported range"),
        (lambda: tg.linspace(0, 1, -1), "number of steps must be non-negative"),
        (lambda: tg.logspace(0, 1, -2), "number of steps must be non-negative"),
        (lambda: tg.randperm(-1), "randperm: n must be"),
        (lambda: tg.multinomial(tg.tensor([0.5, 0.5]), 3), "without replacement"),
        (lambda: tg.multinomial(tg.tensor([-1.0, 2.0]), 1), "non-negative"),
        (lambda: tg.bernoulli(tg.tensor([1.5])), "probabilities must lie in"),
    ],
)
def test_range_and_sampling_errors_are_pytorchs(call, words):
    with pytest.raises(RuntimeError, match=words):
        call()


def _ranges_and_grids(m):
    """Each range and index grid's shape, dtype name and values."""
    made = [
        m.arange(1, 4, dtype=m.float32),
        m.arange(0, 1, 0.3),
        m.linspace(-1, 1, 5),
        m.logspace(0, 3, 4, base=2),
        m.tril_indices(3, 4, 1),
        m.triu_indices(4, 3, -1),
    ]
    return [(tuple(t.shape), str(t.dtype).replace("torch.", ""), t.numpy()) for t in made]


def test_ranges_and_index_grids_match_pytorch(torch_answer):
    theirs = torch_answer(_ranges_and_grids)
    for (shape, dtype, ours), (their_shape, their_dtype, want) in zip(
        _ranges_and_grids(tg), theirs
    ):
        assert shape == their_shape
        assert dtype == their_dtype
        np.testing.assert_allclose(ours, want, rtol=1e-6)
    assert len(theirs) == 6


def test_empty_and_random_draws():
    assert tg.empty(2, 3).shape == (2, 3) and tg.empty((4,), dtype=tg.int32).dtype == np.int32
    assert tg.empty_like(tg.ones(2, dtype=tg.int64)).dtype == np.int64
    tg.manual_seed(3)
    perm = tg.randperm(10)
    assert sorted(perm.tolist()) == list(range(10)) and perm.dtype == np.int64
    draws = tg.multinomial(tg.tensor([[0.0, 1.0, 3.0], [1.0, 0.0, 0.0]]), 2)
    assert draws.shape == (2, 2) and set(draws[1].tolist()) <= {0, 1, 2}
    assert draws[1, 0].item() == 0 and 0 not in draws[0].tolist()[:1]
    counts = np.bincount(tg.multinomial(tg.tensor([1.0, 3.0]), 4000, True).numpy(), minlength=2)
    assert 0.7 < counts[1] / 4000 < 0.8
    b = tg.bernoulli(tg.full((1000,), 0.25, dtype=tg.float64))
    assert b.dtype == np.float64 and 0.2 < b.mean().item() < 0.3
    tg.manual_seed(5)
    first = tg.randperm(6).tolist()
    tg.manual_seed(5)
    assert tg.randperm(6).tolist() == first


def test_dtype_conversions():
    x = tg.tensor([1.7, -2.2])
    assert x.to("cpu") is x and x.cpu() is x and x.to(tg.device("cpu")) is x
    assert x.to(tg.float64).dtype == np.float64 and x.to("cpu", tg.int64).tolist() == [1, -2]
    assert x.to(dtype=tg.float16).dtype == np.float16 and x.half().dtype == np.float16
    assert x.to(tg.zeros(1, dtype=tg.int32)).dtype == np.int32
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32
    assert x.short().dtype == np.int16 and x.char().dtype == np.int8
    assert x.byte().dtype == np.uint8 and x.bool().tolist() == [True, True]
    assert x.double().float().dtype == np.float32
    assert x.type() == "tinygrad_cnn.FloatTensor" and x.type(tg.long).dtype == np.int64
    assert x.to(tg.float32) is x and x.to(tg.float32, copy=True) is not x
    assert x.device == "cpu" and x.is_floating_point() and not tg.arange(2).is_floating_point()
    with pytest.raises(RuntimeError, match="only the 'cpu' device"):
        x.to("cuda")
    with pytest.raises(TypeError, match="to: 'complex64' is not a supported dtype"):
        x.to("complex64")


def test_dtype_names_are_numpy_dtypes():
    names = {"float16": "half", "float32": "float", "float64": "double", "int16": "short"}
    names.update(int32="int", int64="long")
    for name, alias in names.items():
        assert getattr(tg, name) is getattr(tg, alias) == np.dtype(name)
    assert tg.uint8 == np.uint8 and tg.int8 == np.int8 and tg.bool == np.bool_
    assert tg.zeros(1).dtype == tg.float32


def test_float16_is_a_storage_dtype_that_trains():
    w = tg.tensor([0.5, -1.0], dtype=tg.float16, requires_grad=True)
    y = (w * w).sum() + w.exp().mean()
    y.backward()
    assert w.grad.dtype == np.float16
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy() + np.exp(w.numpy()) / 2, rtol=1e-2)
    h = tg.ones(2, 3).half()
    assert (h @ tg.ones(3, 1).half()).dtype == np.float16
    assert h.float().requires_grad is False and h.sum().dtype == np.float16


def test_float_casts_are_differentiable_and_integer_casts_cut_the_graph():
    x = tg.tensor([1.5, 2.5], requires_grad=True)
    x.double().sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]
    assert not x.long().requires_grad
