"""CNN ops in ``torch.nn.functional``'s names, arguments and NCHW layout.

This module parses and validates arguments (errors name the op, the shapes and the fix) and
calls the kernels in ``ops/conv.py`` and ``ops/pool.py``; batch_norm, dropout and the average
pools are compositions of existing differentiable ops.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> x = tg.randn(2, 3, 8, 8)
>>> F.max_pool2d(F.conv2d(x, tg.randn(4, 3, 3, 3), padding=1), 2).shape
(2, 4, 4, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import random as _random
from ..autograd import composite, no_grad
from ..ops import conv as C
from ..ops import pool as P
from ..ops._util import const
from ..tensor import Tensor

IntPair = int | Sequence[int]

# -- argument parsing ---------------------------------------------------------------------------


def _pair(value: Any, name: str, op: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) in (1, 2):
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
            return int(value[0]), int(value[-1])
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def _positive(value: Any, name: str, op: str) -> tuple[int, int]:
    pair = _pair(value, name, op)
    if min(pair) <= 0:
        raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return pair


def _non_negative(value: Any, name: str, op: str) -> tuple[int, int]:
    pair = _pair(value, name, op)
    if min(pair) < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {value!r}")
    return pair


def _tensor(x: Any, name: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _batched(x: Any, op: str) -> tuple[Tensor, bool]:
    """(4-D input, whether it was unbatched 3-D)."""
    x = _tensor(x, "input", op)
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x.unsqueeze(0), True
    raise ValueError(
        f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}"
    )


def _check_dtypes(op: str, x: Tensor, *others: Tensor | None) -> None:
    for t in others:
        if t is not None and t.dtype != x.dtype:
            raise TypeError(
                f"{op}: input dtype {x.dtype} and parameter dtype {t.dtype} (shape {t.shape}) "
                "differ; convert one of them with .float() or .double()"
            )


def _check_fits(op: str, x: Tensor, kernel, dilation, pads) -> None:
    pt, pb, pl, pr = pads
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = (x.shape[2] + pt + pb, x.shape[3] + pl + pr)
    if span[0] > padded[0] or span[1] > padded[1]:
        raise ValueError(
            f"{op}: kernel {tuple(kernel)} with dilation {tuple(dilation)} spans "
            f"{span[0]}x{span[1]} but the padded input is only {padded[0]}x{padded[1]} (input "
            f"shape {x.shape}, padding {pads}); use a smaller kernel or more padding"
        )


def _check_bias(op: str, bias: Tensor | None, channels: int) -> None:
    if bias is not None and (_tensor(bias, "bias", op).shape != (channels,)):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {bias.shape}")


# -- convolutions -------------------------------------------------------------------------------


@composite("conv2d")
def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, weight (out, in/groups, kh, kw); padding an int, pair, 'valid'
    or 'same'.

    >>> import tinygrad_cnn as tg
    >>> F.conv2d(tg.ones(1, 3, 32, 32), tg.ones(6, 3, 5, 5)).shape
    (1, 6, 28, 28)
    """
    op = "conv2d"
    x, unbatched = _batched(input, op)
    w = _tensor(weight, "weight", op)
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D (out, in/groups, kh, kw), got {w.shape}")
    s = _positive(stride, "stride", op)
    d = _positive(dilation, "dilation", op)
    kernel = w.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if s != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride!r}")
            th, tw = d[0] * (kernel[0] - 1), d[1] * (kernel[1] - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        else:
            raise ValueError(f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}")
    else:
        ph, pw = _non_negative(padding, "padding", op)
        pads = (ph, ph, pw, pw)
    if not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    c, o = x.shape[1], w.shape[0]
    if c % groups or o % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide both the input channels ({c}) and the output "
            f"channels ({o}) (input shape {input.shape}, weight shape {w.shape})"
        )
    if c != w.shape[1] * groups:
        raise ValueError(
            f"{op}: input has {c} channels but weight expects {w.shape[1] * groups} "
            f"(weight shape {w.shape}, groups={groups}); weight must be (out, in/groups, kh, kw)"
        )
    _check_bias(op, bias, o)
    _check_dtypes(op, x, w, bias)
    _check_fits(op, x, kernel, d, pads)
    out = C.conv2d(x, w, bias, s, pads, d, groups)
    return out.squeeze(0) if unbatched else out


@composite("conv_transpose2d")
def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Tensor:
    """Transposed convolution (the gradient of conv2d w.r.t. its input), weight
    (in, out/groups, kh, kw).

    >>> import tinygrad_cnn as tg
    >>> F.conv_transpose2d(tg.ones(1, 4, 5, 5), tg.ones(4, 2, 3, 3), stride=2).shape
    (1, 2, 11, 11)
    """
    op = "conv_transpose2d"
    x, unbatched = _batched(input, op)
    w = _tensor(weight, "weight", op)
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D (in, out/groups, kh, kw), got {w.shape}")
    s = _positive(stride, "stride", op)
    d = _positive(dilation, "dilation", op)
    p = _non_negative(padding, "padding", op)
    op_pad = _non_negative(output_padding, "output_padding", op)
    if not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    c = x.shape[1]
    if c % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the input channels ({c}) (input shape "
            f"{input.shape}, weight shape {w.shape})"
        )
    if c != w.shape[0]:
        raise ValueError(
            f"{op}: input has {c} channels but weight expects {w.shape[0]} (weight shape "
            f"{w.shape}); weight must be (in, out/groups, kh, kw)"
        )
    for a in range(2):
        if op_pad[a] >= max(s[a], d[a]):
            raise ValueError(
                f"{op}: output_padding {op_pad} must be smaller than either stride {s} or "
                f"dilation {d}"
            )
    kernel = w.shape[2:]
    size = tuple(
        (x.shape[2 + a] - 1) * s[a] - 2 * p[a] + d[a] * (kernel[a] - 1) + op_pad[a] + 1
        for a in range(2)
    )
    if min(size) <= 0:
        raise ValueError(
            f"{op}: the output size {size} is not positive (input shape {x.shape}, weight shape "
            f"{w.shape}, stride {s}, padding {p}, dilation {d}); reduce the padding"
        )
    _check_bias(op, bias, w.shape[1] * groups)
    _check_dtypes(op, x, w, bias)
    out = C.conv_transpose2d(x, w, bias, s, (p[0], p[0], p[1], p[1]), d, groups, size)
    return out.squeeze(0) if unbatched else out


# -- pooling ------------------------------------------------------------------------------------


def _pool_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    # NOTE: as PyTorch, the last window must start inside the input or its left padding
    return out - 1 if (out - 1) * s >= size + p else out


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _positive(kernel_size, "kernel_size", op)
    s = (
        kernel
        if stride is None or stride == [] or stride == ()
        else _positive(stride, "stride", op)
    )
    p = _non_negative(padding, "padding", op)
    d = _positive(dilation, "dilation", op)
    if p[0] > kernel[0] // 2 or p[1] > kernel[1] // 2:
        raise ValueError(
            f"{op}: padding {p} must be at most half the kernel size {kernel} (input shape "
            f"{x.shape})"
        )
    _check_fits(op, x, kernel, d, (p[0], p[0], p[1], p[1]))
    h, w = x.shape[2:]
    grid = tuple(_pool_size((h, w)[a], kernel[a], s[a], p[a], d[a], ceil_mode) for a in range(2))
    # extra bottom/right padding so every window of the grid (ceil_mode) lies inside the array
    hi = tuple(
        max(p[a], (grid[a] - 1) * s[a] + d[a] * (kernel[a] - 1) + 1 - (h, w)[a] - p[a])
        for a in range(2)
    )
    return ((h, w), kernel, s, (p[0], hi[0], p[1], hi[1]), d), grid, p


@composite("max_pool2d")
def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window (padding counts as -inf); stride defaults to kernel_size.

    >>> import tinygrad_cnn as tg
    >>> F.max_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    op = "max_pool2d"
    x, unbatched = _batched(input, op)
    geom, _, _ = _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    out = P.MaxPool2d.apply(x, geom=geom)
    ctx = out._ctx
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    if ctx is None:  # nothing recorded: recompute the arg-max offsets
        _, idx = P.max_pool(x.data, geom)
    else:
        idx = ctx.saved_tensors[0].data
    indices = P.flat_indices(idx, geom)
    return out, Tensor._wrap(indices[0] if unbatched else indices, False)


@composite("avg_pool2d")
def avg_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window (zero padding counted unless count_include_pad=False).

    >>> import tinygrad_cnn as tg
    >>> F.avg_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    op = "avg_pool2d"
    x, unbatched = _batched(input, op)
    geom, grid, p = _pool_geometry(op, x, kernel_size, stride, padding, 1, ceil_mode)
    size, kernel, s, pads, _ = geom
    if divisor_override is not None and (
        not isinstance(divisor_override, int) or divisor_override <= 0
    ):
        raise ValueError(f"{op}: divisor_override must be a positive int, got {divisor_override}")
    cols = C.Im2Col.apply(x, kernel=kernel, stride=s, pads=pads, dilation=(1, 1), grid=grid)
    sums = cols.sum((1, 2)).permute(3, 0, 1, 2)  # (C, Ho, Wo, N) -> (N, C, Ho, Wo)
    if divisor_override is not None:
        out = sums * (1.0 / divisor_override)
    else:
        counts = []
        for a in range(2):
            start = np.arange(grid[a]) * s[a] - p[a]
            end = np.minimum(start + kernel[a], size[a] + p[a])
            if count_include_pad:
                counts.append(end - start)
            else:
                counts.append(np.minimum(end, size[a]) - np.maximum(start, 0))
        divisor = counts[0][:, None] * counts[1][None, :]
        out = sums * const((1.0 / divisor).astype(x.dtype))
    return out.squeeze(0) if unbatched else out


def _adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    # as PyTorch: window i covers [floor(i * size / out), ceil((i + 1) * size / out))
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        lo, hi = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


@composite("adaptive_avg_pool2d")
def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size (None keeps that input size; 1 is global).

    >>> import tinygrad_cnn as tg
    >>> F.adaptive_avg_pool2d(tg.ones(2, 3, 7, 7), 1).shape
    (2, 3, 1, 1)
    """
    op = "adaptive_avg_pool2d"
    x, unbatched = _batched(input, op)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
        oh, ow = (x.shape[2 + a] if v is None else v for a, v in enumerate(output_size))
    else:
        oh = ow = output_size
    oh, ow = _positive((oh, ow), "output_size", op)
    if (oh, ow) == (1, 1):
        out = x.mean((2, 3), keepdim=True)
    else:
        # the pooling is separable and linear: out = Ph @ x @ Pw^T with averaging matrices
        ph = const(_adaptive_matrix(x.shape[2], oh, x.dtype))
        pw = const(_adaptive_matrix(x.shape[3], ow, x.dtype).T)
        out = ph.matmul(x).matmul(pw)
    return out.squeeze(0) if unbatched else out


# -- unfold / fold ------------------------------------------------------------------------------


@composite("unfold")
def unfold(
    input: Tensor,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), column l holding the l-th window.

    >>> import tinygrad_cnn as tg
    >>> F.unfold(tg.ones(2, 3, 5, 5), 3).shape
    (2, 27, 9)
    """
    op = "unfold"
    x, unbatched = _batched(input, op)
    k = _positive(kernel_size, "kernel_size", op)
    d = _positive(dilation, "dilation", op)
    p = _non_negative(padding, "padding", op)
    s = _positive(stride, "stride", op)
    pads = (p[0], p[0], p[1], p[1])
    _check_fits(op, x, k, d, pads)
    cols = C.Im2Col.apply(x, kernel=k, stride=s, pads=pads, dilation=d)
    c, n, length = x.shape[1], x.shape[0], cols.shape[3] * cols.shape[4]
    out = cols.reshape(c * k[0] * k[1], length, n).permute(2, 0, 1)
    return out.squeeze(0) if unbatched else out


@composite("fold")
def fold(
    input: Tensor,
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), overlapping values summed (unfold's adjoint).

    >>> import tinygrad_cnn as tg
    >>> F.fold(tg.ones(1, 4, 9), (4, 4), 2, stride=1)[0, 0].tolist()[1]
    [2.0, 4.0, 4.0, 2.0]
    """
    op = "fold"
    x = _tensor(input, "input", op)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected a 2-D (C*kh*kw, L) or 3-D (N, C*kh*kw, L) input, got {x.shape}"
        )
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(0)
    size = _positive(output_size, "output_size", op)
    k = _positive(kernel_size, "kernel_size", op)
    d = _positive(dilation, "dilation", op)
    p = _non_negative(padding, "padding", op)
    s = _positive(stride, "stride", op)
    n, ck, length = x.shape
    if ck % (k[0] * k[1]):
        raise ValueError(
            f"{op}: input dim 1 ({ck}, shape {input.shape}) must be divisible by the kernel "
            f"area {k[0]}*{k[1]}"
        )
    grid = tuple(C.out_size(size[a], k[a], s[a], p[a], p[a], d[a]) for a in range(2))
    if min(grid) <= 0 or grid[0] * grid[1] != length:
        raise ValueError(
            f"{op}: output_size {size} with kernel {k}, dilation {d}, padding {p} and stride "
            f"{s} gives {max(grid[0], 0)}x{max(grid[1], 0)} blocks, but the input (shape "
            f"{input.shape}) has L={length}"
        )
    cols = x.permute(1, 2, 0).reshape(ck // (k[0] * k[1]), k[0], k[1], grid[0], grid[1], n)
    out = C.Col2Im.apply(cols, size=size, stride=s, pads=(p[0], p[0], p[1], p[1]), dilation=d)
    return out.squeeze(0) if unbatched else out


# -- normalization and dropout ------------------------------------------------------------------


@composite("batch_norm")
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) of a (N, C), (N, C, L) or (N, C, H, W) input.

    Training uses the batch's statistics and updates the running ones in place, as PyTorch:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased).
    Evaluation uses the running statistics.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0], [3.0]])
    >>> rm, rv = tg.zeros(1), tg.ones(1)
    >>> [round(v, 3) for v in F.batch_norm(x, rm, rv, training=True).reshape(-1).tolist()]
    [-1.0, 1.0]
    >>> rm.tolist(), rv.tolist()
    ([0.2], [1.1])
    """
    op = "batch_norm"
    x = _tensor(input, "input", op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input of 2 or more dims (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and _tensor(t, name, op).shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},), got {t.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and _tensor(t, name, op).shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},), got {t.shape}")
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        n = x.numel() // c
        if n <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got input shape "
                f"{x.shape}"
            )
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dims, keepdim=True)
        with no_grad():
            if running_mean is not None:
                running_mean.data[...] = (
                    (1 - momentum) * running_mean.data + momentum * mean.data.reshape(c)
                ).astype(running_mean.dtype)
            if running_var is not None:
                unbiased = var.data.reshape(c) * (n / (n - 1))
                running_var.data[...] = (
                    (1 - momentum) * running_var.data + momentum * unbiased
                ).astype(running_var.dtype)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: running_mean and running_var are required when not training")
        centered = x - running_mean.reshape(shape)
        var = running_var.reshape(shape)
    scale = (var + eps) ** -0.5
    if weight is not None:  # folded into the per-channel scale: one full-size pass fewer
        scale = scale * weight.reshape(shape)
    out = centered * scale
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@composite("dropout")
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), drawing from
    the generator behind ``manual_seed``. Identity when not training. (``inplace`` is accepted
    for PyTorch compatibility; the result is always a new tensor.)

    >>> import tinygrad_cnn as tg
    >>> _ = tg.manual_seed(0)
    >>> sorted(set(F.dropout(tg.ones(100), 0.5).tolist()))
    [0.0, 2.0]
    """
    op = "dropout"
    x = _tensor(input, "input", op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * const(np.zeros((), dtype=x.dtype))
    keep = _random.get_generator().random(x.shape, dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * const(mask)


__all__ = [
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "batch_norm",
    "dropout",
    "unfold",
    "fold",
]
