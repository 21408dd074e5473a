"""Registry specs of the N-d convolution, pooling and padding ops, with naive-loop numpy
references over any number of spatial dims (slow, obviously right): every output position
and kernel offset is visited by ``itertools.product``.

Samples are tiny so gradgradcheck's full Jacobians stay cheap; max-pool inputs are distinct
values 0.1 apart so no window has a tie that finite differences could cross.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .op_registry import OpSpec, Sample, _noncontig, _rng


def _tup(v, n):
    return (v,) * n if isinstance(v, (int, np.integer)) else tuple(v)


def _unb(ref, ndim):
    """Let a batched reference take an unbatched input of ``ndim`` dims too."""

    def wrapped(x, *args, **kwargs):
        if x.ndim == ndim:
            return ref(x[None], *args, **kwargs)[0]
        return ref(x, *args, **kwargs)

    return wrapped


def _grid(shape):
    return itertools.product(*(range(n) for n in shape))


def _conv_nd(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    nd = w.ndim - 2
    s, d, k = _tup(stride, nd), _tup(dilation, nd), w.shape[2:]
    if padding == "same":
        pads = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, d)]
    else:
        pads = [(p, p) for p in _tup(0 if padding == "valid" else padding, nd)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    grid = [(xp.shape[2 + a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(nd)]
    o, cg = w.shape[:2]
    og = o // groups
    out = np.zeros((x.shape[0], o, *grid))
    axes = list(range(1, nd + 2))
    for pos in _grid(grid):
        box = tuple(
            slice(q * sa, q * sa + da * (ka - 1) + 1, da) for q, sa, da, ka in zip(pos, s, d, k)
        )
        patch = xp[(slice(None), slice(None)) + box]
        for g in range(groups):
            part = np.tensordot(
                patch[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og], (axes, axes)
            )
            out[(slice(None), slice(g * og, (g + 1) * og)) + pos] = part
    if b is not None:
        out += b.reshape((1, -1) + (1,) * nd)
    return out


def _conv_t_nd(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    nd = w.ndim - 2
    s, p, d = _tup(stride, nd), _tup(padding, nd), _tup(dilation, nd)
    op, k = _tup(output_padding, nd), w.shape[2:]
    cg, og = x.shape[1] // groups, w.shape[1]
    full = [
        (n - 1) * sa + da * (ka - 1) + 1 + oa for n, sa, da, ka, oa in zip(x.shape[2:], s, d, k, op)
    ]
    out = np.zeros((x.shape[0], og * groups, *full))
    for pos in _grid(x.shape[2:]):
        for off in _grid(k):
            at = tuple(q * sa + o * da for q, sa, o, da in zip(pos, s, off, d))
            for g in range(groups):
                xs = x[(slice(None), slice(g * cg, (g + 1) * cg)) + pos]
                ws = w[(slice(g * cg, (g + 1) * cg), slice(None)) + off]
                out[(slice(None), slice(g * og, (g + 1) * og)) + at] += xs @ ws
    out = out[(slice(None), slice(None)) + tuple(slice(pa, f - pa) for pa, f in zip(p, full))]
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * nd)
    return out


def _pool_len(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= size + p else out


def _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode):
    nd = x.ndim - 2
    k = _tup(kernel_size, nd)
    s = k if stride is None else _tup(stride, nd)
    p, d = _tup(padding, nd), _tup(dilation, nd)
    grid = [_pool_len(x.shape[2 + a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(nd)]
    return k, s, p, d, grid


def max_pool_nd_ref(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    k, s, p, d, grid = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode)
    out = np.full(x.shape[:2] + tuple(grid), -np.inf)
    for pos in _grid(grid):
        for off in _grid(k):
            at = tuple(q * sa - pa + o * da for q, sa, pa, o, da in zip(pos, s, p, off, d))
            if all(0 <= i < n for i, n in zip(at, x.shape[2:])):
                cell = (Ellipsis,) + pos
                out[cell] = np.maximum(out[cell], x[(Ellipsis,) + at])
    return out


def avg_pool_nd_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                    count_include_pad=True, divisor_override=None):  # fmt: skip
    k, s, p, _, grid = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode)
    out = np.zeros(x.shape[:2] + tuple(grid))
    for pos in _grid(grid):
        start = [q * sa - pa for q, sa, pa in zip(pos, s, p)]
        end = [min(a + ka, n + pa) for a, ka, n, pa in zip(start, k, x.shape[2:], p)]
        full = math.prod(e - a for a, e in zip(start, end))
        box = tuple(slice(max(a, 0), min(e, n)) for a, e, n in zip(start, end, x.shape[2:]))
        inside = math.prod(sl.stop - sl.start for sl in box)
        total = x[(Ellipsis,) + box].sum(axis=tuple(range(2, x.ndim)))
        div = divisor_override or (full if count_include_pad else inside)
        out[(Ellipsis,) + pos] = total / div
    return out


def _adaptive_boxes(x, output_size):
    nd = x.ndim - 2
    size = [x.shape[2 + a] if v is None else v for a, v in enumerate(_tup(output_size, nd))]
    for pos in _grid(size):
        yield (
            pos,
            tuple(
                slice((i * n) // o, math.ceil((i + 1) * n / o))
                for i, n, o in zip(pos, x.shape[2:], size)
            ),
            size,
        )


def adaptive_avg_nd_ref(x, output_size):
    out = None
    for pos, box, size in _adaptive_boxes(x, output_size):
        out = np.zeros(x.shape[:2] + tuple(size)) if out is None else out
        out[(Ellipsis,) + pos] = x[(Ellipsis,) + box].mean(axis=tuple(range(2, x.ndim)))
    return out


def adaptive_max_nd_ref(x, output_size):
    out = None
    for pos, box, size in _adaptive_boxes(x, output_size):
        out = np.zeros(x.shape[:2] + tuple(size)) if out is None else out
        out[(Ellipsis,) + pos] = x[(Ellipsis,) + box].max(axis=tuple(range(2, x.ndim)))
    return out


def max_unpool_ref(y, idx, kernel_size, stride=None, padding=0, output_size=None):
    nd = y.ndim - 2
    k = _tup(kernel_size, nd)
    s = k if stride is None else _tup(stride, nd)
    p = _tup(padding, nd)
    size = [(n - 1) * sa - 2 * pa + ka for n, sa, pa, ka in zip(y.shape[2:], s, p, k)]
    size = list(output_size)[-nd:] if output_size is not None else size
    out = np.zeros(y.shape[:2] + (math.prod(size),))
    for n, c in _grid(y.shape[:2]):
        out[n, c, idx[n, c].ravel()] = y[n, c].ravel()
    return out.reshape(y.shape[:2] + tuple(size))


def lp_pool_ref(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    k = _tup(kernel_size, x.ndim - 2)
    mean = avg_pool_nd_ref(x**norm_type, k, stride, 0, ceil_mode)
    return (mean * math.prod(k)) ** (1.0 / norm_type)


def pad_ref(x, pad, mode="constant", value=None):
    width = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        width[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode != "constant":
        np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        return np.pad(x, width, mode=np_mode)
    crop = tuple(slice(max(-lo, 0), x.shape[a] - max(-hi, 0)) for a, (lo, hi) in enumerate(width))
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in width]
    return np.pad(x[crop], grow, constant_values=0.0 if value is None else value)


def _distinct(shape, seed):
    n = math.prod(shape)
    return (_rng(seed).permutation(n) * 0.1 - n * 0.05).reshape(shape)


def _unpool_indices(shape, kernel, seed):
    """Valid, distinct max_pool indices for non-overlapping windows (stride = kernel)."""
    r, nd = _rng(seed), len(kernel)
    size = [g * k for g, k in zip(shape[2:], kernel)]
    idx = np.zeros(shape, np.int64)
    for pos in _grid(shape):
        at = [pos[2 + a] * kernel[a] + int(r.integers(kernel[a])) for a in range(nd)]
        idx[pos] = np.ravel_multi_index(at, size)
    return idx


def specs() -> list[OpSpec]:
    from .nn import functional_conv as FC
    from .nn import functional_pad as FD
    from .nn import functional_pool as FP

    r = _rng(31)
    x = r.standard_normal
    pos = lambda shape: np.abs(x(shape)) + 0.5  # noqa: E731
    return [
        OpSpec("conv1d", FC.conv1d, _unb(_conv_nd, 2), [
            Sample((x((2, 2, 7)), x((3, 2, 3)), x(3))),
            Sample((x((1, 4, 9)), x((4, 2, 2)), x(4)),
                   {"stride": 2, "padding": 1, "dilation": 2, "groups": 2},
                   note="stride, padding, dilation, groups"),
            Sample((x((2, 6)), x((2, 2, 4))), {"padding": "same"}, note="unbatched, even 'same'"),
            Sample((_noncontig((2, 2, 5)), x((1, 2, 2))), note="non-contiguous input"),
        ]),
        OpSpec("conv3d", FC.conv3d, _unb(_conv_nd, 4), [
            Sample((x((1, 2, 3, 4, 3)), x((2, 2, 2, 2, 2)), x(2))),
            Sample((x((1, 2, 4, 3, 3)), x((2, 1, 2, 1, 2))),
                   {"stride": (2, 1, 1), "padding": (1, 0, 1), "dilation": (1, 2, 1), "groups": 2},
                   note="stride, padding, dilation, groups"),
            Sample((x((1, 3, 2, 3)), x((1, 1, 2, 2, 2))), {"padding": "same"}, note="unbatched"),
        ]),
        OpSpec("conv_transpose1d", FC.conv_transpose1d, _unb(_conv_t_nd, 2), [
            Sample((x((2, 2, 4)), x((2, 3, 3)), x(3)), {"stride": 2, "padding": 1}),
            Sample((x((1, 4, 3)), x((4, 1, 2)), x(2)),
                   {"stride": 3, "padding": 1, "output_padding": 2, "groups": 2, "dilation": 2},
                   note="output_padding, groups, dilation"),
            Sample((x((2, 3)), x((2, 1, 2))), {"stride": 1, "dilation": 2, "output_padding": 1},
                   note="unbatched, output_padding from dilation"),
        ]),
        OpSpec("conv_transpose3d", FC.conv_transpose3d, _unb(_conv_t_nd, 4), [
            Sample((x((1, 2, 2, 2, 3)), x((2, 1, 2, 2, 2)), x(1)), {"stride": 2}),
            Sample((x((2, 2, 2, 2)), x((2, 2, 1, 2, 2))),
                   {"stride": (1, 2, 1), "padding": (0, 1, 0), "output_padding": (0, 1, 0)},
                   note="unbatched, padding, output_padding"),
        ]),
        OpSpec("max_pool1d", FP.max_pool1d, _unb(max_pool_nd_ref, 2), [
            Sample((_distinct((2, 2, 6), 1), 2)),
            Sample((_distinct((1, 2, 9), 2), 3),
                   {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
                   note="stride, padding, dilation, ceil_mode"),
            Sample((_distinct((2, 7), 3), 3), {"stride": 1, "padding": 1}, note="unbatched"),
        ], kinky=True),
        OpSpec("max_pool3d", FP.max_pool3d, _unb(max_pool_nd_ref, 4), [
            Sample((_distinct((1, 2, 4, 4, 4), 4), 2)),
            Sample((_distinct((1, 1, 5, 4, 3), 5), (3, 2, 2)),
                   {"stride": (2, 1, 2), "padding": (1, 0, 1), "ceil_mode": True},
                   note="stride, padding, ceil_mode"),
            Sample((_distinct((1, 3, 3, 4), 6), 2), {"dilation": (1, 1, 2)}, note="unbatched"),
        ], kinky=True),
        OpSpec("avg_pool1d", FP.avg_pool1d, _unb(avg_pool_nd_ref, 2), [
            Sample((x((2, 2, 6)), 2)),
            Sample((x((1, 2, 7)), 3),
                   {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
                   note="ceil_mode, count_include_pad=False"),
            Sample((x((2, 5)), 3), {"stride": 1, "padding": 1}, note="unbatched"),
        ]),
        OpSpec("avg_pool3d", FP.avg_pool3d, _unb(avg_pool_nd_ref, 4), [
            Sample((x((1, 2, 4, 4, 4)), 2)),
            Sample((x((1, 1, 5, 4, 3)), (3, 2, 2)),
                   {"stride": (2, 1, 2), "padding": (1, 0, 1), "ceil_mode": True,
                    "count_include_pad": False}, note="ceil_mode, count_include_pad=False"),
            Sample((x((1, 3, 3, 4)), 2), {"stride": 1, "divisor_override": 3},
                   note="unbatched, divisor_override"),
        ]),
        OpSpec("adaptive_avg_pool1d", FP.adaptive_avg_pool1d, _unb(adaptive_avg_nd_ref, 2), [
            Sample((x((2, 2, 7)), 3)), Sample((x((2, 5)), 1), note="unbatched, global"),
        ]),
        OpSpec("adaptive_avg_pool3d", FP.adaptive_avg_pool3d, _unb(adaptive_avg_nd_ref, 4), [
            Sample((x((1, 2, 5, 4, 3)), (2, None, 2))),
            Sample((x((2, 3, 3, 5)), 2), note="unbatched"),
        ]),
        OpSpec("adaptive_max_pool1d", FP.adaptive_max_pool1d, _unb(adaptive_max_nd_ref, 2), [
            Sample((_distinct((2, 2, 7), 7), 3)),
            Sample((_distinct((2, 5), 8), 2), note="unbatched"),
        ], kinky=True),
        OpSpec("adaptive_max_pool2d", FP.adaptive_max_pool2d, _unb(adaptive_max_nd_ref, 3), [
            Sample((_distinct((2, 2, 5, 7), 9), (2, 3))),
            Sample((_distinct((1, 1, 4, 5), 10), (None, 2)), note="None keeps the height"),
            Sample((_distinct((2, 5, 4), 11), 3), note="unbatched, overlapping windows"),
        ], kinky=True),
        OpSpec("adaptive_max_pool3d", FP.adaptive_max_pool3d, _unb(adaptive_max_nd_ref, 4), [
            Sample((_distinct((1, 2, 4, 3, 5), 12), (2, 2, 3))),
        ], kinky=True),
        OpSpec("max_unpool2d", FP.max_unpool2d, max_unpool_ref, [
            Sample((x((2, 2, 2, 3)), _unpool_indices((2, 2, 2, 3), (2, 2), 1), 2)),
            Sample((x((1, 2, 2, 2)), _unpool_indices((1, 2, 2, 2), (2, 3), 2), (2, 3)),
                   {"output_size": (5, 7)}, note="output_size"),
        ]),
        OpSpec("lp_pool2d", FP.lp_pool2d, lp_pool_ref, [
            Sample((pos((1, 2, 4, 4)), 2, 2)),
            Sample((pos((2, 1, 5, 4)), 3, (3, 2)), {"stride": (2, 1), "ceil_mode": True},
                   note="p=3, ceil_mode"),
        ]),
        OpSpec("pad", FD.pad, pad_ref, [
            Sample((x((2, 3, 4)), (1, 2, 0, 1)), {"value": 0.5}, note="constant"),
            Sample((x((2, 3, 4)), (-1, 2, 1, -2)), note="negative pads crop"),
            Sample((x((2, 3, 4)), (2, 3)), {"mode": "reflect"}, note="reflect 1-D"),
            Sample((x((1, 2, 3, 4)), (1, 2, 2, 0)), {"mode": "replicate"}, note="replicate 2-D"),
            Sample((x((1, 2, 2, 3, 3)), (1, 2, 0, 3, 2, 1)), {"mode": "circular"},
                   note="circular 3-D"),
            Sample((_noncontig((2, 3, 4)), (3, 1, 2, 2)), {"mode": "reflect"},
                   note="reflect 2-D, unbatched, non-contiguous"),
        ]),
    ]  # fmt: skip
