"""Optimized paths against the plain ones they replace: same values, same gradients."""

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.ops import conv, layout, pool
from tinygrad_cnn.ops.conv import ColumnMatMul, Conv, ConvInputGrad, ConvWeightGrad, Im2Col
from tinygrad_cnn.ops.elementwise import ReluGrad
from tinygrad_cnn.ops.window import Window


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def plain_conv(x, w, b, win):
    """The composition grouped convolutions use: Im2Col, then ColumnMatMul, then a view."""
    cols = Im2Col.apply(x, window=win)
    o = w.shape[0]
    out = ColumnMatMul.apply(
        w.reshape(o, math.prod(w.shape[1:])),
        layout.column_matrix(cols, 1),
        None if b is None else b.reshape(o, 1),
    )
    return layout.image_from_rows(out, o, win.grid, x.shape[0])


def conv_and_grads(fn, x, w, b, win, g):
    ts = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
    out = fn(*ts, win)
    out.backward(tg.Tensor(g))
    return [out.numpy()] + [t.grad.numpy() for t in ts]


CASES = [  # (input shape, weight shape, Window.conv arguments)
    ((4, 3, 9, 8), (5, 3, 3, 3), {}),
    ((2, 2, 7, 6), (3, 2, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((3, 2, 11), (4, 2, 3), {"stride": (2,), "padding": (1,)}),
    ((2, 2, 4, 5, 3), (2, 2, 2, 3, 2), {"padding": (1, 0, 1)}),
]


@pytest.fixture
def small_panels(monkeypatch):
    """Panels of a few columns, so that small tests cut every product into several (wide
    products are cut only where BLAS runs one thread)."""
    monkeypatch.setattr(conv, "SERIAL_BLAS", True)
    monkeypatch.setattr(conv, "PANEL_BYTES", 256)
    monkeypatch.setattr(conv, "_MIN_PANEL", 1)


@pytest.fixture
def big_columns(monkeypatch):
    """Every column matrix counts as large: training convolutions run tile by tile."""
    monkeypatch.setattr(conv, "SERIAL_BLAS", True)
    monkeypatch.setattr(conv, "BIG_COLUMNS", 1)
    monkeypatch.setattr(conv, "BIG_TILE_BYTES", 300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, ws, kw", CASES)
def test_conv_function_is_bit_identical_to_the_composition(xs, ws, kw, dtype):
    x, w, b = rand(*xs, dtype=dtype), rand(*ws, seed=1, dtype=dtype), rand(ws[0], seed=2)
    b = b.astype(dtype)
    win = Window.conv(xs[2:], ws[2:], **kw)
    g = rand(xs[0], ws[0], *win.grid, seed=3, dtype=dtype)
    fused = conv_and_grads(lambda *a: Conv.apply(*a[:3], window=a[3]), x, w, b, win, g)
    plain = conv_and_grads(plain_conv, x, w, b, win, g)
    for got, want in zip(fused, plain):
        assert got.dtype == want.dtype
    for got, want in zip(fused[:3], plain[:3]):  # the output, x's and w's gradients
        np.testing.assert_array_equal(got, want)
    # the bias gradient: Conv sums g's rows with BLAS (a product with ones, faster), the
    # composition with numpy's pairwise sum
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fused[3], plain[3], rtol=tol, atol=tol)
    exact = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    np.testing.assert_allclose(fused[3], exact, rtol=tol, atol=tol)


@pytest.mark.parametrize("xs, ws, kw", CASES)
def test_panelled_products_match_the_plain_path(small_panels, xs, ws, kw):
    x, w, b = rand(*xs, dtype=np.float32), rand(*ws, seed=1, dtype=np.float32), rand(ws[0])
    b = b.astype(np.float32)
    win = Window.conv(xs[2:], ws[2:], **kw)
    g = rand(xs[0], ws[0], *win.grid, seed=3, dtype=np.float32)
    fused = conv_and_grads(lambda *a: Conv.apply(*a[:3], window=a[3]), x, w, b, win, g)
    plain = conv_and_grads(plain_conv, x, w, b, win, g)
    for got, want in zip(fused, plain):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("path", ["small_panels", "big_columns"])  # panels; training tiles
@pytest.mark.parametrize("xs, ws, kw", CASES[:3])
def test_optimised_conv_passes_gradcheck_and_gradgradcheck(request, path, xs, ws, kw):
    request.getfixturevalue(path)
    x = tg.Tensor(rand(*xs), requires_grad=True)
    w = tg.Tensor(rand(*ws, seed=1), requires_grad=True)
    b = tg.Tensor(rand(ws[0], seed=2), requires_grad=True)
    win = Window.conv(xs[2:], ws[2:], **kw)
    fn = lambda x, w, b: Conv.apply(x, w, b, window=win)  # noqa: E731
    assert tg.gradcheck(fn, (x, w, b))
    assert tg.gradgradcheck(fn, (x, w, b))


def test_panel_helpers_equal_one_product_with_a_remainder_panel(small_panels):
    a, b = rand(3, 5), rand(5, 70, seed=1)  # 256 B / (8 * 8 B) = 4 columns a panel: 17.5 panels
    assert conv.panel_width(8, 70, 8) == 4
    np.testing.assert_allclose(conv.wide_matmul(a, b), a @ b, rtol=1e-12)
    c, d = rand(3, 70, seed=2), rand(70, 2, seed=3)
    np.testing.assert_allclose(conv.long_inner_matmul(c, d), c @ d, rtol=1e-12)


def test_long_inner_panels_with_a_threaded_blas_only_where_a_side_is_tiny(monkeypatch):
    monkeypatch.setattr(conv, "SERIAL_BLAS", False)
    assert conv.long_inner_width(25, 6, 294912, 4) == 2114  # LeNet's first weight gradient
    assert conv.long_inner_width(27, 32, 262144, 4) == 0  # CIFAR's first at batch 256
    monkeypatch.setattr(conv, "SERIAL_BLAS", True)
    assert conv.long_inner_width(27, 32, 262144, 4) == 1110


def test_panels_only_for_thin_products():
    # LeNet's first convolution at batch 64: 6 filters of 25 taps over 36864 columns
    assert conv.panel_width(6 + 25, 36864, 4) == 2114
    # CIFAR's second: 64 filters of 288 taps; one call is faster there
    assert conv.panel_width(64 + 288, 65536, 4) == 0
    assert conv.panel_width(6 + 25, 3000, 4) == 0  # too short to cut
    a, b = rand(6, 25, dtype=np.float32), rand(25, 3000, seed=1, dtype=np.float32)
    np.testing.assert_array_equal(conv.wide_matmul(a, b), np.matmul(a, b))


def test_conv2d_routes_ungrouped_convolutions_to_one_function():
    x = tg.Tensor(rand(2, 4, 6, 6), requires_grad=True)
    w = tg.Tensor(rand(4, 4, 3, 3, seed=1), requires_grad=True)
    assert F.conv2d(x, w).grad_fn.name == "Conv"
    grouped = F.conv2d(x, tg.Tensor(rand(4, 2, 3, 3, seed=1), requires_grad=True), groups=2)
    assert grouped.grad_fn.name != "Conv"


def test_second_order_functions_are_the_adjoint_triple():
    x = tg.Tensor(rand(2, 2, 5, 5), requires_grad=True)
    w = tg.Tensor(rand(3, 2, 3, 3, seed=1), requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    gx, gw = tg.grad(out, [x, w], tg.ones(*out.shape, dtype=tg.float64), create_graph=True)
    assert isinstance(gx.grad_fn, ConvInputGrad) and isinstance(gw.grad_fn, ConvWeightGrad)


POOLS = [  # Window.pool(size, kernel, stride, padding, dilation, ceil_mode)
    ((6, 7), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((7, 7), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((9,), (3,), (1,), (1,), (2,), False),
    ((4, 5, 4), (2, 2, 2), (2, 1, 2), (0, 1, 0), (1, 1, 1), True),
    ((5, 5), (1, 1), (2, 2), (0, 0), (1, 1), False),
]


@pytest.mark.parametrize("args", POOLS)
def test_max_pool_without_offsets_equals_max_pool(args):
    win = Window.pool(*args)
    x = rand(3, 2, *args[0]).astype(np.float32)
    x[0, 0].flat[::3] = 0.0  # ties
    x[1, 1].flat[1] = np.nan
    x[2, 0].flat[2] = -np.inf
    want, _ = pool.max_pool(layout.as_batch_last(x), win)
    got = pool.max_only(layout.as_batch_last(x), win)
    np.testing.assert_array_equal(got, want)
    plain_got = pool.max_only(x, win)  # an NCHW input too
    np.testing.assert_array_equal(plain_got, want)


def test_inference_max_pool_equals_training_max_pool():
    x = tg.Tensor(rand(2, 3, 8, 8).astype(np.float32), requires_grad=True)
    train = F.max_pool2d(x, 2)
    with tg.no_grad():
        infer = F.max_pool2d(x, 2)
        _, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(infer.numpy(), train.numpy())
    np.testing.assert_array_equal(idx.numpy(), F.max_pool2d(x, 2, return_indices=True)[1].numpy())


def row_tiles(x, w, win, training):
    return conv.tile_rows(w.shape[0], w[0].size, x.shape[0], win, x.itemsize, training)


@pytest.mark.parametrize("tile_bytes", [1, 300])  # one output row a tile; a few rows a tile
@pytest.mark.parametrize("xs, ws, kw", CASES)
def test_inference_row_tiles_match_the_training_path(
    small_panels, monkeypatch, tile_bytes, xs, ws, kw
):
    monkeypatch.setattr(conv, "TILE_BYTES", tile_bytes)
    x, w, b = rand(*xs, dtype=np.float32), rand(*ws, seed=1, dtype=np.float32), rand(ws[0])
    b = b.astype(np.float32)
    win = Window.conv(xs[2:], ws[2:], **kw)
    rows = row_tiles(x, w, win, training=False)
    assert rows and not row_tiles(x, w, win, training=True)
    tiled = conv.conv_tiled(x, w, b, win, rows)
    want, _ = conv.conv_forward(x, w, b, win)
    np.testing.assert_allclose(tiled, want, rtol=1e-6, atol=1e-6)
    with tg.no_grad():
        got = Conv.apply(tg.Tensor(x), tg.Tensor(w), tg.Tensor(b), window=win)
    np.testing.assert_array_equal(got.numpy(), tiled)
    assert layout.is_batch_last(got.numpy())


@pytest.mark.parametrize("serial", [True, False])
def test_row_tiles_only_for_thin_products_of_several_tiles(monkeypatch, serial):
    monkeypatch.setattr(conv, "SERIAL_BLAS", serial)
    win = Window.conv((28, 28), (5, 5))
    x, w = np.zeros((256, 1, 28, 28), np.float32), np.zeros((6, 1, 5, 5), np.float32)
    assert row_tiles(x, w, win, training=False)  # LeNet's first, batch 256
    assert not row_tiles(x, w, win, training=True)  # 14.7 MB of columns: kept for backward
    assert not row_tiles(x[:4], w, win, training=False)  # all rows fit in one tile
    cifar = Window.conv((16, 16), (3, 3), padding=(1, 1))  # CIFAR's second: a wide product
    x2, w2 = np.zeros((32, 32, 16, 16), np.float32), np.zeros((64, 32, 3, 3), np.float32)
    assert not row_tiles(x2, w2, cifar, training=False)  # 9.4 MB of columns
    # batch 256: 75 MB of columns, tiled in training too (one 4.7 MB output row a tile) where
    # BLAS runs one thread; with threads, one product beats 16 smaller ones
    big = np.zeros((256,) + x2.shape[1:], np.float32)
    assert row_tiles(big, w2, cifar, training=True) == (1 if serial else 0)


@pytest.mark.parametrize(
    "env, cpus, serial",
    [
        ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "4"}, 8, True),
        ({"OPENBLAS_NUM_THREADS": "2"}, 8, False),
        ({"OMP_NUM_THREADS": " 1 "}, 8, True),
        ({"GOTO_NUM_THREADS": "3", "OMP_NUM_THREADS": "1"}, 8, False),
        ({}, 1, True),
        ({}, 2, False),
    ],
)
def test_serial_blas_is_read_as_openblas_reads_its_thread_count(monkeypatch, env, cpus, serial):
    for var in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setattr(conv.os, "cpu_count", lambda: cpus)
    assert conv._serial_blas() is serial


@pytest.mark.parametrize("xs, ws, kw", CASES)
def test_training_row_tiles_match_one_column_matrix(big_columns, xs, ws, kw):
    x, w, b = rand(*xs), rand(*ws, seed=1), rand(ws[0], seed=2)
    win = Window.conv(xs[2:], ws[2:], **kw)
    g = rand(xs[0], ws[0], *win.grid, seed=3)
    assert 0 < row_tiles(x, w, win, training=True) < win.grid[0]
    tiled = conv_and_grads(lambda *a: Conv.apply(*a[:3], window=a[3]), x, w, b, win, g)
    plain = conv_and_grads(plain_conv, x, w, b, win, g)
    for got, want in zip(tiled, plain):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert layout.is_batch_last(tiled[0]) and layout.is_batch_last(tiled[1])


@pytest.mark.parametrize("path", ["whole", "row_tiles", "big_columns"])
@pytest.mark.parametrize("xs, ws, kw", CASES)
def test_conv_with_relu_equals_relu_of_the_conv(request, monkeypatch, path, xs, ws, kw):
    # the option a compiled step's fused kernel uses (jit/fuse.py): the same bits
    if path != "whole":
        request.getfixturevalue("small_panels" if path == "row_tiles" else path)
        monkeypatch.setattr(conv, "TILE_BYTES", 300)
    x, w, b = rand(*xs, dtype=np.float32), rand(*ws, seed=1, dtype=np.float32), rand(ws[0])
    b = b.astype(np.float32)
    win = Window.conv(xs[2:], ws[2:], **kw)
    with tg.set_grad_enabled(path == "big_columns"):
        want = Conv().forward(x, w, b, window=win)
        tiled = []  # whether the relu'd conv took the row-tiled path
        real = conv.conv_tiled
        monkeypatch.setattr(conv, "conv_tiled", lambda *a: tiled.append(1) or real(*a))
        got = Conv().forward(x, w, b, window=win, relu=True)
    assert bool(tiled) == (path != "whole")
    np.testing.assert_array_equal(got, np.maximum(want, 0))
    assert got.strides == np.maximum(want, 0).strides


POOL_RELU = [  # windows that do not overlap (the only ones jit/fuse.py fuses)
    ((8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((7, 6), (3, 2), (3, 2), (1, 0), (1, 1), True),
    ((9,), (3,), (3,), (0,), (1,), False),
    ((4, 5, 4), (2, 2, 2), (2, 2, 2), (0, 1, 0), (1, 1, 1), True),
]


@pytest.mark.parametrize("args", POOL_RELU)
def test_scatter_of_positive_pooled_gradient_is_relu_grad_of_the_scatter(args):
    win = Window.pool(*args)
    z = np.maximum(rand(3, 2, *args[0], dtype=np.float32), 0)  # a relu's output: many ties
    z[0, 0].flat[::2] = 0.0
    p, idx = pool.max_pool(layout.as_batch_last(z), win)
    g = rand(*p.shape, seed=4, dtype=np.float32)
    want = ReluGrad().forward(pool.scatter(g, idx, win, True), z)
    got = pool.PoolScatter().forward(g, idx=idx, window=win, batch_last=True, positive=p)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))  # zeros of the same sign too


def test_pool_scatter_with_positive_passes_gradcheck_and_gradgradcheck():
    win = Window.pool((6, 6), (2, 2), (2, 2), (0, 0), (1, 1), False)
    z = np.maximum(rand(2, 3, 6, 6), 0)
    p, idx = pool.max_pool(z, win)
    g = tg.Tensor(rand(*p.shape, seed=5), requires_grad=True)
    fn = lambda g: pool.PoolScatter.apply(g, idx=idx, window=win, positive=p)  # noqa: E731
    assert tg.gradcheck(fn, (g,))
    assert tg.gradgradcheck(fn, (g,))
