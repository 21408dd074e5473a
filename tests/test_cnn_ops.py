"""CNN ops: the textbook convolution, PyTorch oracles, errors, memory, second order, LeNet."""

import tracemalloc

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.op_registry_cnn import conv2d_ref


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def T(a, rg=True):
    return tg.Tensor(a, requires_grad=rg)


# -- the explanation CNN users start from ---------------------------------------------------------


def test_textbook_image_convolved_with_six_filters():
    rng = np.random.default_rng(0)
    image = rng.random((32, 32, 3))  # height x width x channels, as the picture shows it
    filters = rng.standard_normal((6, 5, 5, 3))  # six 5x5x3 filters
    bias = rng.standard_normal(6)
    x = tg.Tensor(image.transpose(2, 0, 1)[None])  # NCHW
    w = tg.Tensor(filters.transpose(0, 3, 1, 2))  # (out, in, kh, kw)
    maps = F.conv2d(x, w, tg.Tensor(bias))
    assert maps.shape == (1, 6, 28, 28)  # six 28x28 feature maps
    out = maps.numpy()
    for f in range(6):
        for r in range(28):
            for c in range(28):
                chunk = image[r : r + 5, c : c + 5, :]  # the 5x5x3 chunk under the filter
                expected = np.sum(chunk * filters[f]) + bias[f]
                assert out[0, f, r, c] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_padding_same_valid_and_unbatched():
    x, w = rand(3, 7, 6), rand(2, 3, 4, 3, seed=1)
    same = F.conv2d(T(x), T(w), padding="same", dilation=(1, 2))
    assert same.shape == (2, 7, 6)
    np.testing.assert_allclose(
        same.numpy(), conv2d_ref(x, w, padding="same", dilation=(1, 2)), rtol=1e-12
    )
    valid = F.conv2d(T(x), T(w), padding="valid")
    np.testing.assert_allclose(valid.numpy(), conv2d_ref(x, w), rtol=1e-12)
    assert F.max_pool2d(T(x), 2).shape == (3, 3, 3)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = T(np.zeros((1, 1, 2, 4)))  # all windows tie (relu outputs do this)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(idx.numpy(), [[[[0, 2]]]])


def test_float32_stays_float32_forward_and_backward():
    x = T(rand(2, 3, 8, 8, dtype=np.float32))
    w = T(rand(4, 3, 3, 3, seed=1, dtype=np.float32))
    b = T(rand(4, seed=2, dtype=np.float32))
    bw, bb = T(np.ones(4, np.float32)), T(np.zeros(4, np.float32))
    h = F.conv2d(x, w, b, padding=1)
    h = F.batch_norm(h, tg.zeros(4), tg.ones(4), bw, bb, training=True)
    h = F.max_pool2d(h.relu(), 2)
    h = F.avg_pool2d(h, 2) + F.adaptive_avg_pool2d(h, 2) + F.dropout(h, 0.2)[:, :, :2, :2]
    h = F.conv_transpose2d(h, T(rand(4, 2, 2, 2, seed=3, dtype=np.float32)), stride=2)
    assert h.dtype == np.float32
    h.sum().backward()
    for t in (x, w, b, bw, bb):
        assert t.grad.dtype == np.float32


# -- PyTorch as the oracle ------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def _check_against_torch(ours_fn, torch_fn, arrays, seed=0, rtol=1e-9):
    torch = _torch()
    ours_in = [T(a) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ours_fn(*ours_in)
    ref = torch_fn(*theirs_in)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=1e-10)
    g = rand(*out.shape, seed=seed + 100)
    out.backward(tg.Tensor(g))
    ref.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=1e-10)


CONV_CASES = [
    ((2, 3, 9, 8), (4, 3, 3, 3), dict()),
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=2, padding=(1, 2), dilation=(2, 1), groups=2)),
    ((1, 6, 7, 7), (6, 1, 3, 3), dict(padding=1, groups=6)),  # depthwise
    ((3, 2, 10, 11), (5, 2, 4, 3), dict(stride=(3, 2), padding="valid")),
    ((2, 2, 6, 7), (3, 2, 3, 4), dict(padding="same", dilation=2)),
]


@pytest.mark.parametrize("xs,ws,kw", CONV_CASES)
def test_conv2d_matches_torch(xs, ws, kw):
    torch = _torch()
    arrays = [rand(*xs), rand(*ws, seed=1), rand(ws[0], seed=2)]
    _check_against_torch(
        lambda x, w, b: F.conv2d(x, w, b, **kw),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw),
        arrays,
    )


@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((2, 3, 4, 5), (3, 2, 3, 3), dict()),
        ((1, 4, 3, 4), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
        ((2, 2, 4, 3), (2, 3, 2, 2), dict(stride=(1, 2), dilation=(3, 1), output_padding=(2, 1))),
    ],
)
def test_conv_transpose2d_matches_torch(xs, ws, kw):
    torch = _torch()
    groups = kw.get("groups", 1)
    arrays = [rand(*xs), rand(*ws, seed=1), rand(ws[1] * groups, seed=2)]
    _check_against_torch(
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
        lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kw),
        arrays,
    )


POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True),
    dict(kernel_size=3, stride=2, ceil_mode=True),
]


@pytest.mark.parametrize("kw", POOL_CASES + [dict(kernel_size=2, padding=1, dilation=2)])
def test_max_pool2d_matches_torch_with_indices(kw):
    torch = _torch()
    x = rand(2, 3, 9, 8)
    _check_against_torch(
        lambda t: F.max_pool2d(t, **kw), lambda t: torch.nn.functional.max_pool2d(t, **kw), [x]
    )
    _, idx = F.max_pool2d(T(x), **kw, return_indices=True)
    _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), **kw, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize("cip", [True, False])
@pytest.mark.parametrize("kw", POOL_CASES)
def test_avg_pool2d_matches_torch(kw, cip):
    torch = _torch()
    _check_against_torch(
        lambda t: F.avg_pool2d(t, **kw, count_include_pad=cip),
        lambda t: torch.nn.functional.avg_pool2d(t, **kw, count_include_pad=cip),
        [rand(2, 3, 9, 8)],
    )


@pytest.mark.parametrize("size", [1, (3, 4), (3, None), (4, 3), 5])
def test_adaptive_avg_pool2d_matches_torch(size):
    torch = _torch()
    _check_against_torch(
        lambda t: F.adaptive_avg_pool2d(t, size),
        lambda t: torch.nn.functional.adaptive_avg_pool2d(t, size),
        [rand(2, 3, 9, 8)],
    )


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 6)])
def test_batch_norm_training_matches_torch_and_updates_running_stats(shape):
    torch = _torch()
    x, w, b = rand(*shape), rand(3, seed=1), rand(3, seed=2)
    rm, rv = tg.Tensor(rand(3, seed=3)), tg.Tensor(np.abs(rand(3, seed=4)) + 0.5)
    trm, trv = torch.tensor(rm.numpy().copy()), torch.tensor(rv.numpy().copy())
    _check_against_torch(
        lambda t, w_, b_: F.batch_norm(t, rm, rv, w_, b_, training=True, momentum=0.3),
        lambda t, w_, b_: torch.nn.functional.batch_norm(
            t, trm, trv, w_, b_, training=True, momentum=0.3
        ),
        [x, w, b],
    )
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    # the running variance is the unbiased one
    dims = (0,) + tuple(range(2, len(shape)))
    n = x.size // 3
    expected = 0.7 * rand(3, seed=3) + 0.3 * x.mean(axis=dims)
    np.testing.assert_allclose(rm.numpy(), expected, rtol=1e-12)
    # eval mode uses the running statistics
    _check_against_torch(
        lambda t: F.batch_norm(t, rm, rv, training=False),
        lambda t: torch.nn.functional.batch_norm(t, trm, trv, training=False),
        [x],
    )
    assert n > 1


def test_unfold_fold_match_torch():
    torch = _torch()
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    x = rand(2, 3, 6, 7)
    _check_against_torch(
        lambda t: F.unfold(t, **kw), lambda t: torch.nn.functional.unfold(t, **kw), [x]
    )
    cols = F.unfold(T(x), **kw).numpy()
    _check_against_torch(
        lambda t: F.fold(t, (6, 7), **kw),
        lambda t: torch.nn.functional.fold(t, (6, 7), **kw),
        [cols],
    )


def test_second_order_through_a_small_cnn_matches_torch():
    """A gradient penalty: d/dw |d loss / dx|^2, through conv, relu, max pool and conv."""
    torch = _torch()
    x, w1, w2 = rand(2, 2, 8, 8), rand(3, 2, 3, 3, seed=1), rand(2, 3, 2, 2, seed=2)

    def ours():
        xt, a, b = T(x), T(w1), T(w2)
        h = F.max_pool2d(F.conv2d(xt, a, padding=1).relu(), 3, 2, 1)
        loss = F.conv2d(h, b, stride=2).square().sum()
        (gx,) = tg.grad(loss, xt, create_graph=True)
        (gx * gx).sum().backward()
        return a.grad.numpy(), b.grad.numpy()

    def theirs():
        tf = torch.nn.functional
        xt, a, b = (torch.tensor(v, requires_grad=True) for v in (x, w1, w2))
        h = tf.max_pool2d(tf.conv2d(xt, a, padding=1).relu(), 3, 2, 1)
        loss = tf.conv2d(h, b, stride=2).square().sum()
        (gx,) = torch.autograd.grad(loss, xt, create_graph=True)
        (gx * gx).sum().backward()
        return a.grad.numpy(), b.grad.numpy()

    for o, t in zip(ours(), theirs()):
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-10)


def test_gradgradcheck_of_a_conv_pool_stack():
    x = T(rand(1, 2, 6, 6))
    w = T(rand(2, 1, 3, 3, seed=1))
    fn = lambda a, b: F.max_pool2d(F.conv2d(a, b, stride=1, padding=1, groups=2), 2)  # noqa: E731
    assert tg.gradcheck(fn, (x, w))
    assert tg.gradgradcheck(fn, (x, w))


# -- dropout ---------------------------------------------------------------------------------------


def test_dropout_draws_from_manual_seed_and_scales():
    x = T(np.ones((200, 50)))
    tg.manual_seed(3)
    a = F.dropout(x, 0.3)
    tg.manual_seed(3)
    b = F.dropout(x, 0.3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    vals = a.numpy()
    np.testing.assert_allclose(np.unique(vals), [0.0, 1 / 0.7], rtol=1e-12)
    assert abs((vals == 0).mean() - 0.3) < 0.02
    c = F.dropout(x, 0.3)  # the generator moved on: a different mask
    assert not np.array_equal(c.numpy(), vals)
    a.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), vals)  # d/dx = mask / (1 - p)
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    with pytest.raises(ValueError, match=r"dropout: .*between 0 and 1.*1\.5"):
        F.dropout(x, 1.5)


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda: F.conv2d(tg.zeros(1, 3, 8, 8), tg.zeros(6, 1, 5, 5)),
            r"conv2d: input has 3 ch.*"
            r"weight expects 1 \(weight shape \(6, 1, 5, 5\)",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 6, 8, 8), tg.zeros(4, 2, 3, 3), groups=4),
            r"conv2d: groups=4 must divide.*input channels \(6\)",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 4, 8, 8), tg.zeros(6, 1, 3, 3), groups=4),
            r"conv2d: groups=4 must divide.*output channels \(6\)",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 5, 5)),
            r"conv2d: kernel \(5, 5\).*spans 5x5.*padded input is only 4x4.*\(1, 1, 4, 4\)",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), dilation=2),
            r"conv2d: kernel \(3, 3\) with dilation \(2, 2\) spans 5x5",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), stride=0),
            r"conv2d: stride must be positive, got 0",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), dilation=(1, -1)),
            r"conv2d: dilation must be positive",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), padding=-1),
            r"conv2d: padding must be non-negative, got -1",
        ),
        (
            lambda: F.conv2d(tg.zeros(4, 4), tg.zeros(1, 1, 3, 3)),
            r"conv2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(4, 4\)",
        ),
        (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 3, 3)), r"conv2d: weight must be 4-D"),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(2, 1, 3, 3), tg.zeros(3)),
            r"conv2d: bias must have shape \(2,\), got \(3,\)",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), stride=2, padding="same"),
            r"conv2d: padding='same' needs stride 1",
        ),
        (
            lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3).double()),
            r"conv2d: input dtype float32 and parameter dtype float64",
        ),
        (
            lambda: F.conv_transpose2d(tg.zeros(1, 3, 4, 4), tg.zeros(2, 1, 3, 3)),
            r"conv_transpose2d: input has 3 channels but weight expects 2",
        ),
        (
            lambda: F.conv_transpose2d(
                tg.zeros(1, 2, 4, 4), tg.zeros(2, 1, 3, 3), output_padding=1
            ),
            r"conv_transpose2d: output_padding \(1, 1\) must be smaller than either stride",
        ),
        (
            lambda: F.conv_transpose2d(tg.zeros(1, 3, 4, 4), tg.zeros(3, 1, 3, 3), groups=2),
            r"conv_transpose2d: groups=2 must divide the input channels \(3\)",
        ),
        (
            lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 3, padding=2),
            r"max_pool2d: padding \(2, 2\) must be at most half the kernel size \(3, 3\)",
        ),
        (
            lambda: F.max_pool2d(tg.zeros(1, 1, 2, 2), 3),
            r"max_pool2d: kernel \(3, 3\).*padded input is only 2x2",
        ),
        (
            lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, stride=0),
            r"max_pool2d: stride must be positive",
        ),
        (lambda: F.max_pool2d(tg.zeros(2, 1, 1, 4, 4), 2), r"max_pool2d: expected a 3-D"),
        (
            lambda: F.avg_pool2d(tg.zeros(1, 1, 4, 4), 2, padding=-1),
            r"avg_pool2d: padding must be non-negative",
        ),
        (lambda: F.unfold(tg.zeros(1, 1, 2, 2), 3), r"unfold: kernel \(3, 3\)"),
        (
            lambda: F.fold(tg.zeros(1, 4, 8), (4, 4), 2),
            r"fold: output_size \(4, 4\).*gives 3x3 blocks.*L=8",
        ),
        (lambda: F.fold(tg.zeros(1, 5, 9), (4, 4), 2), r"fold: input dim 1 \(5.*kernel area"),
        (
            lambda: F.batch_norm(tg.zeros(1, 3), None, None, training=True),
            r"batch_norm: expected more than 1 value per channel",
        ),
        (
            lambda: F.batch_norm(tg.zeros(2, 3), tg.zeros(2), tg.ones(3)),
            r"batch_norm: running_mean must have shape \(3,\), got \(2,\)",
        ),
        (
            lambda: F.conv2d(np.zeros((1, 1, 4, 4)), tg.zeros(1, 1, 3, 3)),
            r"conv2d: input must be a Tensor",
        ),
    ],
)
def test_errors_name_the_op_and_the_shapes(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# -- memory and graph hygiene --------------------------------------------------------------------


def test_conv2d_memory_stays_within_a_few_im2col_buffers():
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((64, 3, 32, 32)).astype(np.float32), requires_grad=True)
    w = tg.Tensor(rng.standard_normal((64, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = tg.Tensor(np.zeros(64, np.float32), requires_grad=True)
    g = tg.Tensor(rng.standard_normal((64, 64, 32, 32)).astype(np.float32))
    cols_bytes = 3 * 3 * 3 * 64 * 32 * 32 * 4  # one im2col buffer: 7.1 MB
    out_bytes = 64 * 64 * 32 * 32 * 4  # the output, and its gradient: 16.8 MB each
    tracemalloc.start()
    try:
        out = F.conv2d(x, w, b, padding=1)
        forward_peak = tracemalloc.get_traced_memory()[1]
        out.backward(g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # forward: the columns and the output; backward adds the output's gradient in matrix form
    # and the columns' gradient. Measured: 23.9 MB forward, 47.7 MB in all.
    assert forward_peak < cols_bytes + out_bytes + 2e6
    assert peak < 2 * cols_bytes + 2 * out_bytes + 3e6
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


def test_max_pool_frees_its_indices_after_backward():
    x = T(rand(1, 1, 4, 4))
    out = F.max_pool2d(x, 2)
    ctx = out._ctx
    out.sum().backward()
    assert not hasattr(ctx, "idx")
    with pytest.raises(RuntimeError, match="second time"):
        out.sum().backward()


# -- a LeNet-style network trains ----------------------------------------------------------------


def test_lenet_style_network_trains():
    rng = np.random.default_rng(0)
    n_classes, n = 3, 48
    templates = rng.standard_normal((n_classes, 1, 28, 28))
    labels = np.arange(n) % n_classes
    images = (templates[labels] + 0.5 * rng.standard_normal((n, 1, 28, 28))).astype(np.float32)

    def param(*shape, fan_in):
        return T((rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))

    c1, b1 = param(6, 1, 5, 5, fan_in=25), T(np.zeros(6, np.float32))
    c2, b2 = param(16, 6, 5, 5, fan_in=150), T(np.zeros(16, np.float32))
    f1, fb1 = param(32, 256, fan_in=256), T(np.zeros(32, np.float32))
    f2, fb2 = param(n_classes, 32, fan_in=32), T(np.zeros(n_classes, np.float32))
    params = [c1, b1, c2, b2, f1, fb1, f2, fb2]
    x, y = tg.Tensor(images), tg.Tensor(labels)

    def loss_fn():
        h = F.max_pool2d(F.conv2d(x, c1, b1).relu(), 2)  # (n, 6, 12, 12)
        h = F.max_pool2d(F.conv2d(h, c2, b2).relu(), 2)  # (n, 16, 4, 4)
        h = F.linear(h.flatten(1), f1, fb1).relu()
        return F.cross_entropy(F.linear(h, f2, fb2), y)

    losses = []
    for _ in range(12):
        loss = loss_fn()
        losses.append(loss.item())
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p.data -= 0.05 * p.grad.data
    assert losses[-1] < 0.5 * losses[0], losses
    assert all(np.isfinite(losses))


def test_activations_stay_batch_last_through_conv_relu_pool():
    """Layout contract behind the speed (ops/conv.py): conv and pool results, and the gradients
    flowing back through them, are stored (C, H, W, N), so no layer pays for a relayout copy."""
    from tinygrad_cnn.ops.layout import is_batch_last

    x = T(rand(4, 3, 10, 10))
    h1 = F.conv2d(x, T(rand(5, 3, 3, 3, seed=1)), padding=1)
    h2 = F.max_pool2d(h1.relu(), 2)
    out = F.conv2d(h2, T(rand(2, 5, 3, 3, seed=2)))
    assert all(is_batch_last(t.numpy()) for t in (h1, h2, out))
    h1.retain_grad()
    out.backward(tg.Tensor(rand(*out.shape, seed=3)))
    assert is_batch_last(h1.grad.numpy())


def test_gradients_keep_the_batch_last_layout_through_flatten_and_pool():
    # conv/pool outputs live batch-last; the gradients coming back through a flatten and a
    # max pool must stay batch-last too (mixed layouts make later ops several times slower).
    # NOTE: FlattenBatchLast is the Function Tensor.reshape/flatten use for a batch-last image
    from tinygrad_cnn.ops.layout import FlattenBatchLast, is_batch_last

    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((4, 3, 8, 8)))
    w = tg.Tensor(rng.standard_normal((5, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1).relu()
    y.retain_grad()
    p = F.max_pool2d(y, 2)
    p.retain_grad()
    flat = FlattenBatchLast.apply(p, shape=(4, 80))
    (flat * tg.Tensor(rng.standard_normal(flat.shape))).sum().backward()
    assert is_batch_last(p.grad.numpy()) and is_batch_last(y.grad.numpy())
    # and the values are those of the plain NCHW computation
    y_ref = np.ascontiguousarray(y.numpy())
    g_ref = np.ascontiguousarray(p.grad.numpy())
    win = y_ref.reshape(4, 5, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(4, 5, 4, 4, 4)
    first = win.argmax(-1)  # ties (all-zero windows after relu) go to the first, as PyTorch
    hit = np.arange(4) == first[..., None]
    expect = (hit * g_ref[..., None]).reshape(4, 5, 4, 4, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    np.testing.assert_allclose(y.grad.numpy(), expect.reshape(4, 5, 8, 8))
