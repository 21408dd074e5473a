"""The Window geometry object, the batch-last layout owner and the window-argument parser."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.nn import _window_args as A
from tinygrad_cnn.ops import layout
from tinygrad_cnn.ops.window import Window


def _brute_grid(size, k, s, lo, hi, d):
    """Count window starts whose dilated kernel lies inside the padded input."""
    return sum(1 for start in range(0, size + lo + hi, s) if start + d * (k - 1) < size + lo + hi)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_grid_counts_every_window_that_fits(nd):
    rng = np.random.default_rng(nd)
    for _ in range(30):
        size = tuple(int(v) for v in rng.integers(3, 9, nd))
        kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
        stride = tuple(int(v) for v in rng.integers(1, 4, nd))
        lo = tuple(int(v) for v in rng.integers(0, 2, nd))
        hi = tuple(int(v) for v in rng.integers(0, 3, nd))
        dil = tuple(int(v) for v in rng.integers(1, 3, nd))
        win = Window(size, kernel, stride, lo, hi, dil)
        if any(sp > p for sp, p in zip(win.spans, win.padded)):
            continue  # the F parsers reject a kernel that does not fit
        assert win.grid == tuple(map(_brute_grid, size, kernel, stride, lo, hi, dil))
        assert win.spans == tuple(d * (k - 1) + 1 for k, d in zip(kernel, dil))
        assert len(win.taps) == int(np.prod(kernel))


def test_slices_pick_what_each_kernel_offset_sees():
    win = Window.conv((7, 6), (3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 3))
    xp = np.arange(np.prod(win.padded)).reshape(win.padded)
    for _, offset, sl in win.taps:
        seen = xp[sl]
        assert seen.shape == win.grid
        for (r, c), v in np.ndenumerate(seen):
            assert v == xp[r * 2 + offset[0] * 2, c + offset[1] * 3]
    assert [k for k, _, _ in win.taps] == list(range(6))
    assert win.taps[3][1] == (1, 1)  # C order: k = i * kw + j


def test_pool_ceil_mode_keeps_a_last_partial_window_that_starts_inside():
    # PyTorch: floor((5 - 2) / 2) + 1 = 2 windows, ceil mode 3 (the last starts at 4 < 5)
    assert Window.pool((5,), (2,), (2,), (0,), (1,), False).grid == (2,)
    ceil = Window.pool((5,), (2,), (2,), (0,), (1,), True)
    assert ceil.grid == (3,) and ceil.pad_hi == (1,)
    # the last window would start in the right padding only: dropped, as PyTorch
    assert Window.pool((4,), (3,), (3,), (1,), (1,), True).grid == (2,)


def test_transposed_window_size_and_grid():
    win = Window.transposed((5, 3), (3, 2), (2, 1), (1, 0), (1, 2), (1, 0))
    assert win.size == ((5 - 1) * 2 - 2 + 2 + 1 + 1, (3 - 1) * 1 - 0 + 2 * 1 + 0 + 1)
    assert win.grid == (5, 3)  # the conv over the output has the input as its grid


def test_repr_names_the_geometry():
    win = Window.conv((5, 5), (3, 3), padding=(1, 1), dilation=(2, 1))
    assert repr(win) == (
        "Window(size=(5, 5), kernel=(3, 3), stride=(1, 1), pads=((1, 1), (1, 1)), "
        "dilation=(2, 1), grid=(3, 5))"
    )
    out = tg.nn.functional.max_pool2d(tg.ones(1, 1, 4, 4, requires_grad=True), 2)
    assert out._ctx.extra_repr() == "size=(4, 4), kernel=(2, 2), stride=(2, 2), grid=(2, 2)"
    with pytest.raises(AttributeError):
        win.size = (1, 1)


def test_one_parser_with_one_error_wording():
    assert A.ntuple(3, 2, "stride", "op") == (3, 3)
    assert A.ntuple((3,), 3, "stride", "op") == (3, 3, 3)
    assert A.ntuple([1, 2], 2, "stride", "op") == (1, 2)
    for bad in [(1, 2, 3), 1.5, True, "2", (1, None)]:
        with pytest.raises(TypeError, match=r"conv2d: stride must be an int or a tuple of 2 ints"):
            A.ntuple(bad, 2, "stride", "conv2d")


@pytest.mark.parametrize("shape", [(3, 2, 5), (3, 2, 4, 5), (2, 3, 2, 3, 4)])
def test_layout_allocators_and_padding(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    assert not layout.is_batch_last(x) or shape[0] == 1
    bl = layout.as_batch_last(x)
    assert layout.is_batch_last(bl) and layout.batch_innermost(bl)
    np.testing.assert_array_equal(bl, x)
    nd = len(shape) - 2
    lo, hi = (1,) * nd, (2,) * nd
    padded = layout.pad_spatial(x, lo, hi, value=-1.0)
    assert layout.is_batch_last(padded)
    ref = np.pad(x, ((0, 0), (0, 0)) + ((1, 2),) * nd, constant_values=-1.0)
    np.testing.assert_array_equal(padded, ref)
    assert layout.pad_spatial(bl, (0,) * nd, (0,) * nd) is bl


def test_flatten_of_a_batch_last_image_keeps_the_gradient_batch_last():
    x = tg.Tensor(layout.as_batch_last(np.arange(24.0).reshape(2, 3, 4)), requires_grad=True)
    assert layout.flattens_batch_last(x.data, (2, 12))
    flat = layout.FlattenBatchLast.apply(x, shape=(2, 12))
    np.testing.assert_array_equal(flat.numpy(), np.arange(24.0).reshape(2, 12))
    (flat * tg.Tensor(np.arange(24.0).reshape(2, 12))).sum().backward()
    assert layout.is_batch_last(x.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(24.0).reshape(2, 3, 4))
    assert not layout.flattens_batch_last(np.zeros((2, 3, 4)), (2, 12))
