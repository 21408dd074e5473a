"""Tensor construction, properties, creation functions, operators and clear errors."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F


@pytest.mark.parametrize(
    "data,dtype",
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([[1, 2], [3, 4]], np.int64),
        (3, np.int64),
        ([True, False], np.bool_),
        (np.ones(2, dtype=np.float64), np.float64),
        (np.ones(2, dtype=np.float32), np.float32),
        (np.ones(2, dtype=np.int32), np.int32),
        (np.float64(2.0), np.float64),
    ],
)
def test_construction_dtypes(data, dtype):
    assert tg.Tensor(data).dtype == dtype


def test_construction_from_tensor_and_explicit_dtype():
    a = tg.Tensor([1.0, 2.0])
    b = tg.Tensor(a, requires_grad=True)
    assert b.requires_grad and b.is_leaf and b.tolist() == [1.0, 2.0]
    c = tg.Tensor(0.1, dtype="float64")
    assert c.dtype == np.float64 and c.item() == 0.1  # no float32 detour


def test_properties_and_conversions():
    x = tg.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(1) == 3
    assert x.numel() == 6 and len(x) == 2 and x.is_leaf and x.grad_fn is None
    assert x.T.shape == (3, 2)
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.astype(np.float64).dtype == np.float64
    assert x.sum().item() == 15.0 and isinstance(x.sum().item(), float)
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert isinstance(x.numpy(), np.ndarray)
    y = tg.Tensor([1.0])
    assert y.requires_grad_() is y and y.requires_grad


def test_repr_shows_values_shape_dtype_and_grad_fn():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    r = repr(x * 2)
    assert "2." in r and "4." in r and "shape=(2,)" in r and "float32" in r and "Mul" in r
    assert "requires_grad=True" in repr(x)


def test_item_on_many_elements_is_clear():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        tg.Tensor([1.0, 2.0]).item()


def test_creation_functions():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).dtype == np.float32
    assert tg.ones(3).tolist() == [1.0, 1.0, 1.0]
    assert tg.full((2,), 3.0).tolist() == [3.0, 3.0]
    assert tg.arange(3).dtype == np.int64 and tg.arange(0.0, 1.0, 0.5).tolist() == [0.0, 0.5]
    assert tg.linspace(0, 1, 5).shape == (5,)
    assert tg.eye(3).numpy().trace() == 3
    x = tg.randn(4, 5, dtype="float64", requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad
    assert tg.zeros_like(x).dtype == np.float64 and tg.ones_like(x).shape == (4, 5)
    assert tg.full_like(x, 2.0).numpy().max() == 2.0
    assert tg.rand_like(x).shape == (4, 5) and tg.randn_like(x).shape == (4, 5)
    u = tg.uniform(1000, low=-2, high=-1)
    assert u.numpy().min() >= -2 and u.numpy().max() < -1
    n = tg.normal(20000, mean=3.0, std=0.5)
    assert abs(n.numpy().mean() - 3.0) < 0.02 and abs(n.numpy().std() - 0.5) < 0.02
    r = tg.randint(0, 4, size=(100,))
    assert r.dtype == np.int64 and set(r.tolist()) <= {0, 1, 2, 3}


def test_manual_seed_reproduces_every_random_creation():
    def draw():
        return [
            f().numpy()
            for f in (lambda: tg.rand(3), lambda: tg.randn(3), lambda: tg.randint(0, 9, size=(3,)))
        ]

    tg.manual_seed(42)
    a = draw()
    tg.manual_seed(42)
    b = draw()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    tg.manual_seed(43)
    assert not np.array_equal(draw()[0], a[0])


def test_operators_and_reflected_forms():
    x = tg.Tensor([1.0, 2.0, 4.0])
    assert (2 - x).tolist() == [1.0, 0.0, -2.0]
    assert (1 / x).tolist() == [1.0, 0.5, 0.25]
    assert (x**2).tolist() == [1.0, 4.0, 16.0]
    assert (2**x).tolist() == [2.0, 4.0, 16.0]
    assert (-x).tolist() == [-1.0, -2.0, -4.0]
    assert (x + x).dtype == np.float32 and (x * 2).dtype == np.float32
    assert (x > 1.5).tolist() == [False, True, True] and (x > 1.5).dtype == np.bool_
    assert (x == 2).tolist() == [False, True, False]
    assert not (x > 0).requires_grad
    m = tg.Tensor(np.eye(2))
    assert (np.ones((2, 2)) @ m).shape == (2, 2)


def test_comparisons_return_non_differentiable_bools():
    x = tg.Tensor([1.0, -1.0], requires_grad=True)
    c = x > 0
    assert c.dtype == np.bool_ and not c.requires_grad


def test_indexing_forms():
    x = tg.Tensor(np.arange(24.0).reshape(2, 3, 4))
    ref = np.arange(24.0).reshape(2, 3, 4)
    for idx in [
        1,
        -1,
        slice(None, None, -1),
        (Ellipsis, 2),
        (None, 0),
        (0, slice(1, 3), -1),
        ([0, 1, 1],),
        (ref > 10,),
        (tg.Tensor([1, 0]),),
    ]:
        expected = ref[
            tuple(i.numpy() if isinstance(i, tg.Tensor) else i for i in idx)
            if isinstance(idx, tuple)
            else idx
        ]
        np.testing.assert_array_equal(x[idx].numpy(), expected)


def test_index_out_of_range_is_clear():
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        tg.Tensor([1.0, 2.0, 3.0])[5]


def test_shape_ops():
    x = tg.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.reshape(6, -1).shape == (6, 4) and x.view(-1).shape == (24,)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.unflatten(2, (2, 2)).shape == (2, 3, 2, 2)
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.transpose(0, 2).shape == (4, 3, 2)
    assert x[:, :1].expand(2, 5, 4).shape == (2, 5, 4)
    assert x[:, :1].squeeze().shape == (2, 4) and x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert x.flip(0).numpy()[0, 0, 0] == 12.0
    assert x.repeat(1, 2, 1).shape == (2, 6, 4)
    assert x.pad((1, 1)).shape == (2, 3, 6)
    parts = x.split(1, dim=1)
    assert len(parts) == 3 and parts[0].shape == (2, 1, 4)
    assert [p.shape[2] for p in x.chunk(3, 2)] == [2, 2]
    assert tg.cat([x, x], 1).shape == (2, 6, 4) and tg.stack([x, x]).shape == (2, 2, 3, 4)
    assert tg.split(x, [1, 2], 1)[1].shape == (2, 2, 4) and len(tg.chunk(x, 2, 0)) == 2


def test_reductions_accept_dim_axis_keepdim():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(dim=0).tolist() == [3.0, 5.0, 7.0]
    assert x.sum(axis=1, keepdim=True).shape == (2, 1)
    assert x.mean((0, 1)).item() == 2.5
    assert x.max(1).values.tolist() == [2.0, 5.0] and x.min(0).values.tolist() == [0.0, 1.0, 2.0]
    assert x.argmax(1).tolist() == [2, 2] and x.argmin().item() == 0
    np.testing.assert_allclose(x.var().item(), np.arange(6.0).var(ddof=1))
    np.testing.assert_allclose(x.std(1, correction=0).numpy(), np.arange(6.0).reshape(2, 3).std(1))
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.sum(2)


def test_stability_for_large_inputs():
    big = tg.Tensor([1e4, -1e4, 0.0], requires_grad=True)
    for y in (big.sigmoid(), big.softplus(), big.tanh()):
        assert np.all(np.isfinite(y.numpy()))
        y.sum().backward()
        assert np.all(np.isfinite(big.grad.numpy()))
    x = tg.Tensor([[1e3, -1e3, 0.0]], requires_grad=True)
    for y in (x.softmax(1), x.log_softmax(1), x.logsumexp(1)):
        assert np.all(np.isfinite(y.numpy()))
    np.testing.assert_allclose(x.logsumexp(1).numpy(), [1e3])
    loss = F.cross_entropy(x, tg.Tensor([1]))
    assert loss.item() == pytest.approx(2e3)
    loss.backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    bce = F.binary_cross_entropy_with_logits(tg.Tensor([1e4, -1e4]), tg.Tensor([0.0, 1.0]))
    assert bce.item() == pytest.approx(1e4)


def test_sigmoid_family_matches_closed_forms():
    v = np.linspace(-5, 5, 11)
    x = tg.Tensor(v)
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp(-v)))
    np.testing.assert_allclose(x.softplus().numpy(), np.log1p(np.exp(v)))
    np.testing.assert_allclose(x.silu().numpy(), v / (1 + np.exp(-v)))


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        tg.ones(2, 3) + tg.ones(4)


def test_matmul_error_names_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        tg.ones(2, 3) @ tg.ones(4, 5)


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        tg.ones(2, 3).reshape(4, 2)


def test_cross_entropy_target_errors():
    logits = tg.randn(3, 4)
    with pytest.raises(IndexError, match="class 4 but the input has 4 classes"):
        F.cross_entropy(logits, tg.Tensor([0, 1, 4]))
    with pytest.raises(TypeError, match="must be integers"):
        F.cross_entropy(logits, tg.Tensor([0.0, 1.0, 2.0]))


def test_cross_entropy_closed_forms():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    t = np.array([0, 2])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    x = tg.Tensor(logits)
    np.testing.assert_allclose(F.cross_entropy(x, t).item(), -logp[[0, 1], t].mean())
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        F.cross_entropy(x, t, weight=tg.Tensor(w)).item(),
        -(w[t] * logp[[0, 1], t]).sum() / w[t].sum(),
    )
    eps = 0.1
    smooth = (1 - eps) * -logp[[0, 1], t] + eps / 3 * -logp.sum(1)
    np.testing.assert_allclose(F.cross_entropy(x, t, label_smoothing=eps).item(), smooth.mean())
    np.testing.assert_allclose(F.cross_entropy(x, tg.Tensor([0, -100])).item(), -logp[0, 0])
    probs = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        F.cross_entropy(x, tg.Tensor(probs)).item(), -(probs * logp).sum(1).mean()
    )
    # (N, C, d) input: the class dimension is 1
    x3 = tg.Tensor(logits.T[None])  # (1, 3, 2)
    np.testing.assert_allclose(
        F.cross_entropy(x3, tg.Tensor([[0, 2]])).item(), -logp[[0, 1], t].mean()
    )


def test_where_and_clamp():
    x = tg.Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = tg.where(x > 0, x, tg.zeros(3))
    assert y.tolist() == [0.0, 0.5, 3.0]
    c = x.clamp(-1.0, 1.0)
    assert c.tolist() == [-1.0, 0.5, 1.0]
    c.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_functional_pad_matches_tensor_pad_and_rejects_unknown_modes():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = F.pad(x, (1, 0, 0, 2), value=-1.0)
    np.testing.assert_array_equal(
        out.numpy(), np.pad(np.arange(6.0).reshape(2, 3), ((0, 2), (1, 0)), constant_values=-1)
    )
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    reflected = F.pad(tg.Tensor([[1.0, 2.0, 3.0]]), (1, 1), mode="reflect")
    assert reflected.tolist() == [[2.0, 1.0, 2.0, 3.0, 2.0]]
    with pytest.raises(NotImplementedError, match="pad: unrecognised padding mode 'bogus'"):
        F.pad(x, (1, 1), mode="bogus")
