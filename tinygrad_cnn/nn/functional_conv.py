"""Convolutions in 1, 2 and 3 spatial dims and unfold/fold, in ``torch.nn.functional``'s names.

Each parses its arguments into one ``Window`` (errors name the op, the shapes and the fix) and
composes the kernels of ops/conv.py: a convolution is im2col plus ONE matrix product (batched
over groups); a transposed convolution is one matrix product plus col2im.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> F.conv2d(tg.ones(1, 3, 8, 8), tg.ones(4, 3, 3, 3), padding=1).shape
(1, 4, 8, 8)
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd import composite
from ..ops import layout
from ..ops.conv import Col2Im, ColumnMatMul, Conv, Im2Col
from ..ops.matmul import MatMul
from ..ops.window import Window
from ..tensor import Tensor
from . import _window_args as A
from ._window_args import IntTuple

_WEIGHT = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}


def _weight(op: str, w: Any, nd: int, transposed: bool) -> Tensor:
    w = A.tensor(w, "weight", op)
    if w.ndim != nd + 2:
        lead = "in, out/groups" if transposed else "out, in/groups"
        raise ValueError(f"{op}: weight must be {nd + 2}-D ({lead}, {_WEIGHT[nd]}), got {w.shape}")
    if min(w.shape[2:]) == 0:  # PyTorch's RuntimeError: a zero-size kernel sees nothing
        raise RuntimeError(
            f"{op}: kernel size should be greater than zero, but got kernel size "
            f"{tuple(w.shape[2:])} (weight shape {w.shape})"
        )
    return w


def _conv(op: str, nd: int, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    x, unbatched = A.batched(input, nd, op)
    w = _weight(op, weight, nd, False)
    s = A.positive(stride, nd, "stride", op)
    d = A.positive(dilation, nd, "dilation", op)
    lo, hi = A.conv_pads(op, padding, nd, s, w.shape[2:], d)
    g = A.groups_arg(groups, op)
    c, o = x.shape[1], w.shape[0]
    if c % g or o % g:
        raise ValueError(
            f"{op}: groups={g} must divide both the input channels ({c}) and the output "
            f"channels ({o}) (input shape {input.shape}, weight shape {w.shape})"
        )
    if c != w.shape[1] * g:
        raise ValueError(
            f"{op}: input has {c} channels but weight expects {w.shape[1] * g} (weight shape "
            f"{w.shape}, groups={g}); weight must be (out, in/groups, {_WEIGHT[nd]})"
        )
    A.check_bias(op, bias, o)
    A.check_dtypes(op, x, w, bias)
    win = Window(x.shape[2:], w.shape[2:], s, lo, hi, d)
    A.check_fits(op, x, win)
    out = _conv_columns(x, w, bias, win, g)
    return out.squeeze(0) if unbatched else out


def _conv_columns(x: Tensor, w: Tensor, b: Tensor | None, win: Window, g: int) -> Tensor:
    """x (N, C, *size) * w (O, C/g, *kernel) -> (N, O, *grid): unfold, then one GEMM."""
    if g == 1:  # one Function: fewer ops per step than the composition below
        return Conv.apply(x, w, b, window=win)
    o = w.shape[0]
    cols = Im2Col.apply(x, window=win)
    k = math.prod(w.shape[1:])
    wm = w.reshape(o, k) if g == 1 else w.reshape(g, o // g, k)
    if b is not None:
        b = b.reshape(o, 1) if g == 1 else b.reshape(g, o // g, 1)
    out = ColumnMatMul.apply(wm, layout.column_matrix(cols, g), b)
    return layout.image_from_rows(out, o, win.grid, x.shape[0])


def _conv_transpose(
    op: str, nd: int, input, weight, bias, stride, padding, output_padding, groups, dilation
) -> Tensor:
    x, unbatched = A.batched(input, nd, op)
    w = _weight(op, weight, nd, True)
    g = A.groups_arg(groups, op)
    c = x.shape[1]
    if c % g:
        raise ValueError(
            f"{op}: groups={g} must divide the input channels ({c}) (input shape "
            f"{input.shape}, weight shape {w.shape})"
        )
    if c != w.shape[0]:
        raise ValueError(
            f"{op}: input has {c} channels but weight expects {w.shape[0]} (weight shape "
            f"{w.shape}); weight must be (in, out/groups, {_WEIGHT[nd]})"
        )
    win = A.transposed_window(op, x, w, stride, padding, output_padding, dilation)
    A.check_bias(op, bias, w.shape[1] * g)
    A.check_dtypes(op, x, w, bias)
    # one GEMM per group: (out/g * K, in/g) @ (in/g, L) -> columns, then fold them
    og, k = w.shape[1], math.prod(w.shape[2:])
    wm = w.reshape(g, c // g, og * k).permute(0, 2, 1)
    rows = MatMul.apply(wm, layout.rows_from_image(x, g))
    cols = layout.columns_from_rows(rows, og * g, win.kernel, win.grid, x.shape[0])
    out = Col2Im.apply(cols, window=win)
    if bias is not None:
        out = out + bias.reshape((1, og * g) + (1,) * nd)
    return out.squeeze(0) if unbatched else out


@composite("conv1d")
def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntTuple = 1,
    padding: IntTuple | str = 0,
    dilation: IntTuple = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation over (N, C, L), weight (out, in/groups, k); padding ints, 'valid'
    or 'same'.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_conv import conv1d
    >>> conv1d(tg.ones(2, 3, 10), tg.ones(4, 3, 3), stride=2).shape
    (2, 4, 4)
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@composite("conv2d")
def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntTuple = 1,
    padding: IntTuple | str = 0,
    dilation: IntTuple = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, weight (out, in/groups, kh, kw); padding an int, pair, 'valid'
    or 'same'.

    >>> import tinygrad_cnn as tg
    >>> F.conv2d(tg.ones(1, 3, 32, 32), tg.ones(6, 3, 5, 5)).shape
    (1, 6, 28, 28)
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@composite("conv3d")
def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntTuple = 1,
    padding: IntTuple | str = 0,
    dilation: IntTuple = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation over (N, C, D, H, W), weight (out, in/groups, kd, kh, kw).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_conv import conv3d
    >>> conv3d(tg.ones(1, 2, 4, 5, 6), tg.ones(3, 2, 2, 2, 2), padding="same").shape
    (1, 3, 4, 5, 6)
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@composite("conv_transpose1d")
def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntTuple = 1,
    padding: IntTuple = 0,
    output_padding: IntTuple = 0,
    groups: int = 1,
    dilation: IntTuple = 1,
) -> Tensor:
    """Transposed 1-D convolution (conv1d's gradient w.r.t. its input), weight
    (in, out/groups, k).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_conv import conv_transpose1d
    >>> conv_transpose1d(tg.ones(1, 4, 5), tg.ones(4, 2, 3), stride=2).shape
    (1, 2, 11)
    """
    return _conv_transpose(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


@composite("conv_transpose2d")
def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntTuple = 1,
    padding: IntTuple = 0,
    output_padding: IntTuple = 0,
    groups: int = 1,
    dilation: IntTuple = 1,
) -> Tensor:
    """Transposed convolution (the gradient of conv2d w.r.t. its input), weight
    (in, out/groups, kh, kw).

    >>> import tinygrad_cnn as tg
    >>> F.conv_transpose2d(tg.ones(1, 4, 5, 5), tg.ones(4, 2, 3, 3), stride=2).shape
    (1, 2, 11, 11)
    """
    return _conv_transpose(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


@composite("conv_transpose3d")
def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntTuple = 1,
    padding: IntTuple = 0,
    output_padding: IntTuple = 0,
    groups: int = 1,
    dilation: IntTuple = 1,
) -> Tensor:
    """Transposed 3-D convolution, weight (in, out/groups, kd, kh, kw).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.functional_conv import conv_transpose3d
    >>> conv_transpose3d(tg.ones(1, 2, 2, 3, 3), tg.ones(2, 1, 2, 2, 2), stride=2).shape
    (1, 1, 4, 6, 6)
    """
    return _conv_transpose(
        "conv_transpose3d",
        3,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


# -- unfold / fold ------------------------------------------------------------------------------


@composite("unfold")
def unfold(
    input: Tensor,
    kernel_size: IntTuple,
    dilation: IntTuple = 1,
    padding: IntTuple = 0,
    stride: IntTuple = 1,
) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), column l holding the l-th window.

    >>> import tinygrad_cnn as tg
    >>> F.unfold(tg.ones(2, 3, 5, 5), 3).shape
    (2, 27, 9)
    """
    op = "unfold"
    x, unbatched = A.batched(input, 2, op)
    k = A.positive(kernel_size, 2, "kernel_size", op)
    d = A.positive(dilation, 2, "dilation", op)
    p = A.non_negative(padding, 2, "padding", op)
    s = A.positive(stride, 2, "stride", op)
    win = Window.conv(x.shape[2:], k, s, p, d)
    A.check_fits(op, x, win)
    out = layout.unfold_from_columns(Im2Col.apply(x, window=win), x.shape[0])
    return out.squeeze(0) if unbatched else out


@composite("fold")
def fold(
    input: Tensor,
    output_size: IntTuple,
    kernel_size: IntTuple,
    dilation: IntTuple = 1,
    padding: IntTuple = 0,
    stride: IntTuple = 1,
) -> Tensor:
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), overlapping values summed (unfold's adjoint).

    >>> import tinygrad_cnn as tg
    >>> F.fold(tg.ones(1, 4, 9), (4, 4), 2, stride=1)[0, 0].tolist()[1]
    [2.0, 4.0, 4.0, 2.0]
    """
    op = "fold"
    x = A.tensor(input, "input", op)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected a 2-D (C*kh*kw, L) or 3-D (N, C*kh*kw, L) input, got {x.shape}"
        )
    unbatched = x.ndim == 2
    x = x.unsqueeze(0) if unbatched else x
    size = A.positive(output_size, 2, "output_size", op)
    k = A.positive(kernel_size, 2, "kernel_size", op)
    d = A.positive(dilation, 2, "dilation", op)
    p = A.non_negative(padding, 2, "padding", op)
    s = A.positive(stride, 2, "stride", op)
    ck, length = x.shape[1:]
    if ck % (k[0] * k[1]):
        raise ValueError(
            f"{op}: input dim 1 ({ck}, shape {input.shape}) must be divisible by the kernel "
            f"area {k[0]}*{k[1]}"
        )
    win = Window.conv(size, k, s, p, d)
    grid = win.grid
    if min(grid) <= 0 or grid[0] * grid[1] != length:
        raise ValueError(
            f"{op}: output_size {size} with kernel {k}, dilation {d}, padding {p} and stride "
            f"{s} gives {max(grid[0], 0)}x{max(grid[1], 0)} blocks, but the input (shape "
            f"{input.shape}) has L={length}"
        )
    out = Col2Im.apply(layout.columns_from_unfold(x, ck // (k[0] * k[1]), k, grid), window=win)
    return out.squeeze(0) if unbatched else out


__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
]
