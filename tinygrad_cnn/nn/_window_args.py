"""Argument parsing for the sliding-window ops (conv, pool, unfold/fold) and their Modules:
one int-tuple parser with one error wording, and the checks that name the op and the shapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops.window import Window
from ..tensor import Tensor
from ._argcheck import tensor  # noqa: F401 (the one Tensor check, used as A.tensor)

IntTuple = int | Sequence[int]
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def ntuple(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int (repeated n times) or a sequence of n ints (or of one) -> a tuple of n ints."""
    if type(value) is int:  # the common case first: this runs on every call
        return (value,) * n
    if _is_int(value):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) in (1, n) and all(map(_is_int, value)):
        return tuple(int(v) for v in value) * (n // len(value) if len(value) == 1 else 1)
    raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")


def positive(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    out = ntuple(value, n, name, op)
    if min(out) <= 0:
        raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return out


def non_negative(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    out = ntuple(value, n, name, op)
    if min(out) < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {value!r}")
    return out


def batched(x: Any, nd: int, op: str) -> tuple[Tensor, bool]:
    """(input with a batch dim, whether it came unbatched) for an op over nd spatial dims."""
    x = tensor(x, "input", op)
    if x.ndim == nd + 2:
        return x, False
    if x.ndim == nd + 1:
        return x.unsqueeze(0), True
    sp = _SPATIAL[nd]
    raise ValueError(
        f"{op}: expected a {nd + 1}-D (C, {sp}) or {nd + 2}-D (N, C, {sp}) input, got shape "
        f"{x.shape}"
    )


def groups_arg(groups: Any, op: str) -> int:
    if not _is_int(groups) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def check_dtypes(op: str, x: Tensor, *others: Tensor | None) -> None:
    for t in others:
        if t is not None and t.dtype != x.dtype:
            raise TypeError(
                f"{op}: input dtype {x.dtype} and parameter dtype {t.dtype} (shape {t.shape}) "
                "differ; convert one of them with .float() or .double()"
            )


def check_bias(op: str, bias: Tensor | None, channels: int) -> None:
    if bias is not None and (tensor(bias, "bias", op).shape != (channels,)):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {bias.shape}")


def check_fits(op: str, x: Tensor, win: Window, symmetric: bool = False) -> None:
    """The dilated kernel must fit the padded input (``symmetric``: padded by pad_lo on both
    sides, as pooling's check ignores ceil_mode's extra right padding)."""
    spans = win.spans
    his = win.pad_lo if symmetric else win.pad_hi
    padded = tuple(n + a + b for n, a, b in zip(win.size, win.pad_lo, his))
    if any(s > p for s, p in zip(spans, padded)):
        raise ValueError(
            f"{op}: kernel {win.kernel} with dilation {win.dilation} spans "
            f"{'x'.join(map(str, spans))} but the padded input is only "
            f"{'x'.join(map(str, padded))} (input shape {x.shape}, padding "
            f"{tuple(zip(win.pad_lo, his))}); use a smaller kernel or more padding"
        )


def same_pads(kernel: Sequence[int], dilation: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """'same' padding (before, after) per axis; an even kernel pads the extra at the end."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)


def conv_pads(op: str, padding: Any, nd: int, stride, kernel, dilation):
    """padding (ints, 'valid' or 'same') -> (pads before, pads after) per spatial axis."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            return same_pads(kernel, dilation)
        raise ValueError(f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}")
    p = non_negative(padding, nd, "padding", op)
    return p, p


def transposed_window(
    op: str, x: Tensor, w: Tensor, stride, padding, output_padding, dilation
) -> Window:
    """The Window of a transposed convolution, its ``size`` the output size."""
    nd = x.ndim - 2
    s = positive(stride, nd, "stride", op)
    d = positive(dilation, nd, "dilation", op)
    p = non_negative(padding, nd, "padding", op)
    o = non_negative(output_padding, nd, "output_padding", op)
    if any(oa >= max(sa, da) for oa, sa, da in zip(o, s, d)):
        raise ValueError(
            f"{op}: output_padding {o} must be smaller than either stride {s} or dilation {d}"
        )
    win = Window.transposed(x.shape[2:], w.shape[2:], s, p, d, o)
    if min(win.size) <= 0:
        raise ValueError(
            f"{op}: the output size {win.size} is not positive (input shape {x.shape}, weight "
            f"shape {w.shape}, stride {s}, padding {p}, dilation {d}); reduce the padding"
        )
    return win


def requested_size(output_size: Any, nd: int, op: str) -> tuple[int, ...]:
    """The spatial sizes of an ``output_size`` argument (nd ints, or nd + 2 with N and C)."""
    ints = isinstance(output_size, (list, tuple)) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in output_size
    )
    if not ints:
        raise TypeError(
            f"{op}: output_size must be a list or tuple of ints, got "
            f"{type(output_size).__name__} {output_size!r:.40}"
        )
    if len(output_size) not in (nd, nd + 2):
        raise ValueError(
            f"{op}: output_size must have {nd} or {nd + 2} elements (got {len(output_size)})"
        )
    return tuple(int(v) for v in output_size)[-nd:]


def output_padding_for(op: str, input_shape, output_size, kernel, stride, padding, dilation):
    """The output_padding that makes a transposed convolution produce ``output_size``."""
    nd = len(kernel)
    size = requested_size(output_size, nd, op)
    base = Window.transposed(input_shape[-nd:], kernel, stride, padding, dilation, (0,) * nd)
    extra = tuple(want - got for want, got in zip(size, base.size))
    for i, (e, s, d) in enumerate(zip(extra, stride, dilation)):
        if not 0 <= e < max(s, d):
            raise ValueError(
                f"{op}: requested output size {size} is not reachable from input of shape "
                f"{tuple(input_shape)} (sizes {base.size[i]} to {base.size[i] + max(s, d) - 1} "
                f"are possible in dim {i})"
            )
    return extra
