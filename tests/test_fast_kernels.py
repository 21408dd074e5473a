"""The optional numba kernels (ops/fast.py) against the numpy kernels they stand in for: the
same bits for pooling, its scatter, im2col, col2im and relu's backward (NaN, infinities, ties
and signed zeros included), the direct convolution within rounding, whole training steps bit
for bit, and the numpy kernels whenever numba is not asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.ops import conv, fast, pool
from tinygrad_cnn.ops.elementwise import ReluGrad
from tinygrad_cnn.ops.layout import as_batch_last, is_batch_last, pad_spatial
from tinygrad_cnn.ops.window import Window

pytest.importorskip("numba")

FLOATS = [np.float32, np.float64]
POOLS = [  # Window.pool(size, kernel, stride, padding, dilation, ceil_mode)
    ((8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((7, 7), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((9, 6), (3, 2), (1, 2), (1, 0), (2, 1), False),
    ((6, 5), (3, 2), (3, 2), (1, 0), (1, 1), True),
]
CONVS = [  # (input shape, weight shape, Window.conv keyword arguments)
    ((4, 3, 9, 8), (5, 3, 3, 3), {}),
    ((3, 2, 7, 6), (3, 2, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((2, 4, 10, 10), (2, 4, 3, 3), {"stride": (2, 2), "padding": (1, 1)}),
    ((3, 2, 5, 9), (2, 2, 3, 3), {"padding": (3, 3), "dilation": (1, 2)}),  # rows of padding
]


@pytest.fixture
def numba_kernels(monkeypatch):
    """The numba kernels on; yields a Counter of the compiled kernels each test ran (so a
    comparison cannot pass by both sides falling back to numpy)."""
    assert fast.enable()
    ran: Counter = Counter()
    for name in [n for n in vars(fast) if n.startswith("_") and n.endswith("_kernel")]:
        kernel = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _k=kernel, _n=name: ran.update([_n]) or _k(*a))
    yield ran
    fast.enable(False)


def _numpy(fn, *args, **kwargs):
    """fn run with the numpy kernels."""
    was = fast.ENABLED
    fast.ENABLED = False
    try:
        return fn(*args, **kwargs)
    finally:
        fast.ENABLED = was


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(np.signbit(a), np.signbit(b))  # zeros of the same sign


def _image(shape, dtype, seed=0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    x.reshape(-1)[::7] = 0.0  # ties
    x.reshape(-1)[3::11] = -0.0
    return as_batch_last(x)


def test_numpy_kernels_unless_numba_is_asked_for(monkeypatch) -> None:
    if os.environ.get("TINYGRAD_CNN_KERNELS", "").strip().lower() == "numba":
        pytest.skip("this run asked for the numba kernels (TINYGRAD_CNN_KERNELS=numba)")
    assert not fast.ENABLED  # the default, numba installed or not
    win = Window.pool((4, 4), (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert fast.max_pool(_image((2, 2, 4, 4), np.float32), win, True) is None
    code = "import tinygrad_cnn.ops.fast as f; print(f.ENABLED)"
    for env, want in (("numba", "True"), ("numpy", "False"), ("", "False")):
        monkeypatch.setenv("TINYGRAD_CNN_KERNELS", env)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.stdout.strip() == want, out.stderr


def test_asking_for_numba_without_it_warns_and_keeps_numpy(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    with pytest.warns(RuntimeWarning, match="numba is not installed"):
        assert fast.enable() is False
    assert not fast.ENABLED


@pytest.fixture(params=["window order", "row order"])
def row_order(request, monkeypatch):
    """Runs a test with the window-order pooling and scatter kernels, then with the row-order
    ones (fast.ROW_ORDER_BATCH, which picks them for short batches, moved past either side)."""
    rows = request.param == "row order"
    monkeypatch.setattr(fast, "ROW_ORDER_BATCH", 10**9 if rows else 0)
    orders = []  # the rows_first flag of each pooling kernel call
    kernel = fast._bias_relu_pool_kernel
    monkeypatch.setattr(
        fast, "_bias_relu_pool_kernel", lambda *a: orders.append(a[-1]) or kernel(*a)
    )
    yield rows
    assert set(orders) <= {rows}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("args", POOLS)
def test_max_pool_and_its_scatter_are_the_numpy_bits(numba_kernels, row_order, args, dtype):
    win = Window.pool(*args)
    x = _image((3, 4) + args[0], dtype)
    x[1, 1].flat[2] = np.nan
    x[2, 2].flat[1] = -np.inf
    out, idx = pool.max_pool(x, win)
    want_out, want_idx = _numpy(pool.max_pool, x, win)
    _same(out, want_out)
    _same(idx, want_idx)
    _same(pool.max_only(x, win), _numpy(pool.max_only, x, win))
    assert numba_kernels["_max_pool_kernel"] == 2
    g = _image(out.shape, dtype, seed=1)
    for positive in (None, out):
        _same(pool.scatter(g, idx, win, True, positive), _numpy(pool.scatter, g, idx, win, True,
                                                                 positive))  # fmt: skip
    # windows that overlap add tap by tap; windows that do not are written window by window
    assert numba_kernels[_scatter_kernel_for(win, row_order)] == 2


def _scatter_kernel_for(win: Window, row_order: bool) -> str:
    if win.overlapping:
        return "_scatter_kernel"
    return "_scatter_windows_rows_kernel" if row_order else "_scatter_windows_kernel"


def test_scatter_of_a_strided_gradient(numba_kernels, row_order) -> None:
    # a cropped padded gradient (what a padded convolution's input gradient is)
    win = Window.pool((8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False)
    _, idx = pool.max_pool(_image((4, 3, 8, 8), np.float32), win)
    padded = pad_spatial(_image((4, 3, 4, 4), np.float32, seed=2), (1, 1), (1, 1))
    g = padded[:, :, 1:5, 1:5]
    assert not is_batch_last(g)
    _same(pool.scatter(g, idx, win, True), _numpy(pool.scatter, g, idx, win, True))
    assert numba_kernels[_scatter_kernel_for(win, row_order)] == 1


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("args", [a for a in POOLS if not any(a[3])])  # (unpadded windows)
def test_bias_relu_pool_is_the_numpy_bits(numba_kernels, row_order, args, dtype) -> None:
    win = Window.pool(*args)
    out = _image((3, 4) + args[0], dtype)  # a product (O, grid, N) before its bias
    raw = np.ascontiguousarray(out.transpose(1, 2, 3, 0))
    raw[1, 1].flat[2], raw[2, 2].flat[1], raw[2, 0, 0, 0] = np.nan, -np.inf, -0.0
    b = np.array([0.5, -0.25, 0.0, 1.0], dtype)
    rows = raw.reshape(4, -1)
    pooled, idx = fast.bias_relu_pool(rows.copy(), b, args[0], 3, win)
    want = rows + b[:, None]
    np.maximum(want, 0, out=want)
    image = want.reshape(raw.shape).transpose(3, 0, 1, 2)
    want_pooled, want_idx = _numpy(pool.max_pool, image, win)
    _same(pooled, want_pooled)
    _same(idx, want_idx)
    assert numba_kernels["_bias_relu_pool_kernel"] == 1  # in the order asked for (row_order)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("xs, ws, kw", CONVS)
def test_im2col_and_col2im_are_the_numpy_bits(numba_kernels, xs, ws, kw, dtype) -> None:
    win = Window.conv(xs[2:], ws[2:], **kw)
    for x in (_image(xs, dtype), np.random.default_rng(3).standard_normal(xs).astype(dtype)):
        _same(conv.im2col(x, win), _numpy(conv.im2col, x, win))  # batch-last and NCHW inputs
    cols = np.random.default_rng(4).standard_normal((xs[1],) + ws[2:] + win.grid + (xs[0],))
    cols = cols.astype(dtype)
    _same(conv.col2im(cols, win), _numpy(conv.col2im, cols, win))
    # a stride of 1 along the rows: whole rows at a time
    rows = "_rows" if win.stride[1] == 1 else ""
    assert numba_kernels[f"_im2col{rows}_kernel"] == 2
    assert numba_kernels[f"_col2im{rows}_kernel"] == 1


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_grad_is_the_numpy_bits(numba_kernels, dtype) -> None:
    y = _image((4, 3, 5, 5), dtype)
    y.flat[5] = np.nan
    g = _image((4, 3, 5, 5), dtype, seed=5)
    g.flat[::13] = np.inf
    _same(ReluGrad().forward(g, y), _numpy(ReluGrad().forward, g, y))
    assert numba_kernels["_relu_grad_kernel"] == 1
    c_order = np.ascontiguousarray(y)  # another layout than g's: the numpy kernel runs
    assert fast.relu_grad(g, c_order) is None
    _same(ReluGrad().forward(g, c_order), _numpy(ReluGrad().forward, g, c_order))


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs, ws, kw", [
    ((32, 1, 12, 12), (6, 1, 5, 5), {}),
    ((40, 3, 9, 8), (4, 3, 3, 3), {"stride": (2, 1), "padding": (1, 2)}),
])  # fmt: skip
def test_direct_convolution_matches_the_gemm_path(numba_kernels, xs, ws, kw, bias, relu) -> None:
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32) if bias else None
    win = Window.conv(xs[2:], ws[2:], **kw)
    got = fast.direct_conv(x, w, b, win, relu)
    want, _ = conv.conv_forward(x, w, b, win, relu)
    assert is_batch_last(got)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    with tg.no_grad():  # what Conv2d runs in inference
        out = conv.Conv().forward(x, w, b, window=win, relu=relu)
    np.testing.assert_array_equal(out, got)


def test_direct_convolution_only_for_thin_convolutions_in_inference(numba_kernels) -> None:
    win = Window.conv((12, 12), (5, 5))
    x, w = np.ones((32, 1, 12, 12), np.float32), np.ones((6, 1, 5, 5), np.float32)
    assert fast.direct_conv(x[:8], w, None, win, False) is None  # a small batch: the GEMM
    assert fast.direct_conv(np.ones((32, 6, 12, 12), np.float32), np.ones((16, 6, 5, 5),
                            np.float32), None, win, False) is None  # fmt: skip
    op = conv.Conv()
    op.forward(x, w, window=win)  # grad mode on: the columns are kept for the weight gradient
    assert op._saved


@pytest.fixture
def direct_training(monkeypatch):
    """Thin convolutions sum directly in training at any size (not only past 16 MB of
    columns)."""
    monkeypatch.setattr(fast, "DIRECT_TRAIN_COLUMNS", 1)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("xs, ws, pad", [
    ((32, 1, 12, 11), (6, 1, 5, 5), (0, 0)),
    ((33, 2, 9, 8), (8, 2, 3, 3), (1, 2)),  # 8 filters: a pass of six, then one at a time
    ((32, 3, 7, 7), (4, 3, 2, 2), (1, 0)),  # 4: a pass of three, then one
])  # fmt: skip
def test_direct_weight_gradient_matches_the_gemm_path(
    numba_kernels, direct_training, dtype, xs, ws, pad
) -> None:
    x = _image(xs, dtype)
    win = Window.conv(xs[2:], ws[2:], padding=pad)
    g = _image((xs[0], ws[0]) + win.grid, dtype, seed=5)
    got = conv.conv_weight_grad(x, g, win)
    want = _numpy(conv.conv_weight_grad, x, g, win)
    assert numba_kernels["_direct_weight_grad_kernel"] == 1 and got.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


def test_direct_convolution_in_training_only_past_the_caches(numba_kernels) -> None:
    # LeNet's first convolution: 29 MB of columns at batch 512, 15 MB at batch 256
    win, w = Window.conv((28, 28), (5, 5)), np.ones((6, 1, 5, 5), np.float32)
    assert fast.direct_in_training(np.ones((512, 1, 28, 28), np.float32), w.shape, win)
    assert not fast.direct_in_training(np.ones((256, 1, 28, 28), np.float32), w.shape, win)
    strided = Window.conv((28, 28), (5, 5), stride=(2, 2))
    assert not fast.direct_in_training(np.ones((2048, 1, 28, 28), np.float32), w.shape, strided)


@pytest.mark.parametrize("compiled", [False, True])
def test_training_with_direct_convolutions_matches_the_numpy_kernels(
    numba_kernels, direct_training, sgd_steps, compiled
) -> None:
    # LeNet-5 at batch 32: its first convolution (6 filters of 25 taps) sums directly, forward
    # and weight gradient, in another order than BLAS: equal within rounding
    shape = (32, 1, 28, 28)
    losses, model, _ = sgd_steps(tg.models.LeNet5, shape, compiled)
    want_losses, want_model, _ = _numpy(sgd_steps, tg.models.LeNet5, shape, compiled)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for p, q in zip(model.parameters(), want_model.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-4, atol=1e-5)
    assert numba_kernels["_direct_conv_kernel"] and numba_kernels["_direct_weight_grad_kernel"]


def test_direct_training_convolution_passes_gradcheck(numba_kernels, direct_training) -> None:
    x = tg.Tensor(np.random.default_rng(7).standard_normal((32, 1, 6, 6)), requires_grad=True)
    w = tg.Tensor(np.random.default_rng(8).standard_normal((3, 1, 3, 3)), requires_grad=True)
    b = tg.Tensor(np.random.default_rng(9).standard_normal(3), requires_grad=True)
    fn = lambda x, w, b: tg.nn.functional.conv2d(x, w, b, padding=1)  # noqa: E731
    assert tg.gradcheck(fn, (x, w, b))
    assert tg.gradgradcheck(fn, (x, w, b))
    assert numba_kernels["_direct_conv_kernel"] and numba_kernels["_direct_weight_grad_kernel"]


def _cnn() -> nn.Module:  # a strided convolution, a padded and an overlapping pool
    return nn.Sequential(
        nn.Conv2d(3, 5, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(2, padding=1),
        nn.Conv2d(5, 4, 2), nn.ReLU(), nn.MaxPool2d(2, stride=1), nn.Flatten(),
        nn.Linear(4 * 3 * 3, 10),
    )  # fmt: skip


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("name", ["lenet5", "cnn"])
def test_training_steps_with_numba_kernels_are_bit_identical(
    numba_kernels, row_order, sgd_steps, name, compiled
):
    build, shape = {"lenet5": (tg.models.LeNet5, (8, 1, 28, 28)), "cnn": (_cnn, (8, 3, 16, 16))}[
        name
    ]
    losses, model, _ = sgd_steps(build, shape, compiled)
    want_losses, want_model, _ = _numpy(sgd_steps, build, shape, compiled)
    for a, b in zip(losses, want_losses):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(model.parameters(), want_model.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    used = {"_max_pool_kernel", "_col2im_rows_kernel", "_im2col_rows_kernel"}
    if compiled and name == "lenet5":  # its conv + relu + max pool fused (jit/fuse.py)
        used = {"_bias_relu_pool_kernel", "_col2im_rows_kernel", "_im2col_rows_kernel"}
    assert used <= set(numba_kernels)
    scatter = "_scatter_windows_rows_kernel" if row_order else "_scatter_windows_kernel"
    assert {"_scatter_kernel", scatter} & set(numba_kernels)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("relu", [False, True])
def test_bias_and_relu_in_place_are_the_numpy_bits(numba_kernels, dtype, relu) -> None:
    rows = np.random.default_rng(8).standard_normal((5, 300)).astype(dtype)
    rows[0, :4] = [np.nan, -0.0, 0.0, -np.inf]
    b = np.array([0.0, -0.5, 0.25, -0.0, 3.0], dtype)
    for bias in (b, None):
        got, want = rows.copy(), rows.copy()
        conv._bias_relu(got, bias, relu)
        _numpy(conv._bias_relu, want, bias, relu)
        _same(got, want)
    assert numba_kernels["_bias_relu_kernel"] == 2


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_sgd_momentum_update_is_the_numpy_bits(numba_kernels, dtype, foreach) -> None:
    def run() -> list[np.ndarray]:
        rng = np.random.default_rng(9)
        params = [tg.nn.Parameter(rng.standard_normal(s).astype(dtype)) for s in [(7, 3), (11,)]]
        opt = tg.optim.SGD(params, lr=0.1, momentum=0.9, foreach=foreach)
        for _ in range(3):
            for p in params:
                p.grad = tg.Tensor(rng.standard_normal(p.shape).astype(dtype))
            opt.step()
        return [p.numpy() for p in params] + [opt.state[p]["momentum_buffer"] for p in params]

    for a, b in zip(run(), _numpy(run)):
        _same(np.asarray(a), np.asarray(b))
    assert numba_kernels["_sgd_momentum_kernel"] == (2 if foreach else 4)  # steps 2 and 3
