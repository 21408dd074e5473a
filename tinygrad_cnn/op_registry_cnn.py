"""Registry specs of the CNN ops, with naive-loop numpy references (slow, obviously right).

Samples are tiny, so gradgradcheck's full Jacobians stay cheap, and they combine options:
stride, padding, dilation and groups together, overlapping pool windows with padding, ceil
mode, unbatched input, non-contiguous input. Max-pool inputs are distinct values 0.1 apart,
so no window has a tie that finite differences could cross.
"""

from __future__ import annotations

import math

import numpy as np

from .op_registry import OpSpec, Sample, _noncontig, _rng


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _unbatched(ref, ndim=3):
    """Let a reference that takes batched input accept the unbatched form too."""

    def wrapped(x, *args, **kwargs):
        if x.ndim == ndim:
            return ref(x[None], *args, **kwargs)[0]
        return ref(x, *args, **kwargs)

    return wrapped


def _pad(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv2d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    o, cg, kh, kw = w.shape
    if padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        xp = np.pad(x, ((0, 0), (0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2)))
    else:
        xp = _pad(x, *_pair(padding))
    n, _, hp, wp = xp.shape
    ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo))
    for y in range(ho):
        for z in range(wo):
            patch = xp[:, :, y * sh : y * sh + dh * (kh - 1) + 1 : dh, z * sw :: dw][..., :kw]
            for g in range(groups):
                out[:, g * og : (g + 1) * og, y, z] = np.einsum(
                    "nckl,ockl->no", patch[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og]
                )
    if b is not None:
        out += b[None, :, None, None]
    return out[0] if unbatched else out


def conv_transpose2d_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oph, opw = _pair(output_padding)
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = cin // groups
    full = np.zeros(
        (
            n,
            og * groups,
            (h - 1) * sh + dh * (kh - 1) + 1 + oph,
            (wd - 1) * sw + dw * (kw - 1) + 1 + opw,
        )
    )
    for y in range(h):
        for z in range(wd):
            for i in range(kh):
                for j in range(kw):
                    for g in range(groups):
                        full[:, g * og : (g + 1) * og, y * sh + i * dh, z * sw + j * dw] += (
                            x[:, g * cg : (g + 1) * cg, y, z] @ w[g * cg : (g + 1) * cg, :, i, j]
                        )
    out = full[:, :, ph : full.shape[2] - ph, pw : full.shape[3] - pw]
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def _pool_grid(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= size + p else out


def max_pool2d_ref(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    (kh, kw), (ph, pw), (dh, dw) = _pair(kernel_size), _pair(padding), _pair(dilation)
    sh, sw = _pair(stride if stride is not None else kernel_size)
    n, c, h, w = x.shape
    ho, wo = _pool_grid(h, kh, sh, ph, dh, ceil_mode), _pool_grid(w, kw, sw, pw, dw, ceil_mode)
    out = np.full((n, c, ho, wo), -np.inf)
    for y in range(ho):
        for z in range(wo):
            for i in range(kh):
                for j in range(kw):
                    r, q = y * sh - ph + i * dh, z * sw - pw + j * dw
                    if 0 <= r < h and 0 <= q < w:
                        out[:, :, y, z] = np.maximum(out[:, :, y, z], x[:, :, r, q])
    return out[0] if unbatched else out


def avg_pool2d_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(stride if stride is not None else kernel_size)
    n, c, h, w = x.shape
    ho, wo = _pool_grid(h, kh, sh, ph, 1, ceil_mode), _pool_grid(w, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((n, c, ho, wo))
    for y in range(ho):
        for z in range(wo):
            r0, q0 = y * sh - ph, z * sw - pw
            r1, q1 = min(r0 + kh, h + ph), min(q0 + kw, w + pw)
            full = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            total = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3))
            out[:, :, y, z] = total / (full if count_include_pad else (r1 - r0) * (q1 - q0))
    return out[0] if unbatched else out


def adaptive_avg_pool2d_ref(x, output_size):
    if x.ndim == 3:
        return adaptive_avg_pool2d_ref(x[None], output_size)[0]
    n, c, h, w = x.shape
    oh, ow = _pair(output_size)
    oh, ow = oh or h, ow or w
    out = np.zeros((n, c, oh, ow))
    for y in range(oh):
        for z in range(ow):
            r0, r1 = (y * h) // oh, math.ceil((y + 1) * h / oh)
            q0, q1 = (z * w) // ow, math.ceil((z + 1) * w / ow)
            out[:, :, y, z] = x[:, :, r0:r1, q0:q1].mean(axis=(2, 3))
    return out


def unfold_ref(x, kernel_size, dilation=1, padding=0, stride=1):
    (kh, kw), (dh, dw), (sh, sw) = _pair(kernel_size), _pair(dilation), _pair(stride)
    xp = _pad(x, *_pair(padding))
    n, c, hp, wp = xp.shape
    ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, kh, kw, ho, wo))
    for i in range(kh):
        for j in range(kw):
            for y in range(ho):
                for z in range(wo):
                    out[:, :, i, j, y, z] = xp[:, :, y * sh + i * dh, z * sw + j * dw]
    return out.reshape(n, c * kh * kw, ho * wo)


def fold_ref(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    (h, w), (kh, kw), (dh, dw) = _pair(output_size), _pair(kernel_size), _pair(dilation)
    (ph, pw), (sh, sw) = _pair(padding), _pair(stride)
    n, ck, _ = x.shape
    ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = x.reshape(n, ck // (kh * kw), kh, kw, ho, wo)
    out = np.zeros((n, ck // (kh * kw), h + 2 * ph, w + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            for y in range(ho):
                for z in range(wo):
                    out[:, :, y * sh + i * dh, z * sw + j * dw] += cols[:, :, i, j, y, z]
    return out[:, :, ph : ph + h, pw : pw + w]


def batch_norm_ref(x, rm, rv, w=None, b=None, training=False, momentum=0.1, eps=1e-5):
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=dims, keepdims=True), x.var(axis=dims, keepdims=True)
    else:
        mean, var = rm.reshape(shape), rv.reshape(shape)
    out = (x - mean) / np.sqrt(var + eps)
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return out


def _flatten_batch_last(t):
    """Flatten an image stored batch-last (the layout conv and pool produce)."""
    from .ops.layout import BatchLast, FlattenBatchLast

    return FlattenBatchLast.apply(BatchLast.apply(t), shape=(t.shape[0], -1))


def _distinct(shape, seed):
    """Values 0.1 apart in random order: no ties in any pooling window."""
    n = math.prod(shape)
    return (_rng(seed).permutation(n) * 0.1 - n * 0.05).reshape(shape)


def specs() -> list[OpSpec]:
    from . import random as tg_random
    from .nn import functional as F

    r = _rng(21)
    x = r.standard_normal

    def dropout_fn(t, p):
        tg_random.manual_seed(0)
        return F.dropout(t, p)

    def dropout_ref(a, p):
        keep = np.random.default_rng(0).random(a.shape, dtype=np.float32) >= p
        return a * keep / (1 - p)

    return [
        OpSpec(
            "conv2d",
            lambda *a, **k: F.conv2d(*a, **k),
            conv2d_ref,
            [
                Sample((x((2, 2, 5, 5)), x((3, 2, 3, 3)), x(3))),
                Sample(
                    (x((1, 4, 7, 6)), x((4, 2, 3, 2)), x(4)),
                    {"stride": 2, "padding": (2, 1), "dilation": (2, 1), "groups": 2},
                    note="stride, padding, dilation and groups together",
                ),
                Sample((x((2, 5, 5)), x((2, 2, 2, 2))), {"padding": 1}, note="unbatched, no bias"),
                Sample((x((1, 1, 5, 4)), x((2, 1, 3, 2))), {"padding": "same"}, note="'same'"),
                Sample((_noncontig((1, 2, 4, 5)), x((2, 2, 2, 3))), note="non-contiguous input"),
            ],
        ),
        OpSpec(
            "conv_transpose2d",
            lambda *a, **k: F.conv_transpose2d(*a, **k),
            _unbatched(conv_transpose2d_ref),
            [
                Sample((x((1, 2, 3, 3)), x((2, 3, 2, 2)), x(3))),
                Sample(
                    (x((1, 4, 3, 2)), x((4, 1, 3, 2)), x(2)),
                    {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2, "dilation": 2},
                    note="stride, padding, output_padding, groups and dilation together",
                ),
                Sample((x((2, 3, 2)), x((2, 1, 2, 3))), {"stride": (1, 2)}, note="unbatched"),
            ],
        ),
        OpSpec(
            "max_pool2d",
            lambda *a, **k: F.max_pool2d(*a, **k),
            max_pool2d_ref,
            [
                Sample((_distinct((2, 2, 4, 4), 1), 2)),
                Sample(
                    (_distinct((1, 2, 5, 6), 2), 3),
                    {"stride": 2, "padding": 1},
                    note="overlapping windows with padding",
                ),
                Sample(
                    (_distinct((1, 1, 6, 5), 3), (2, 3)),
                    {"stride": 1, "padding": 1, "dilation": (2, 1), "ceil_mode": True},
                    note="dilation, ceil_mode",
                ),
                Sample((_distinct((2, 5, 5), 4), 3), {"stride": 2, "ceil_mode": True}, note="3-D"),
            ],
            kinky=True,
        ),
        OpSpec(
            "avg_pool2d",
            lambda *a, **k: F.avg_pool2d(*a, **k),
            avg_pool2d_ref,
            [
                Sample((x((2, 2, 4, 4)), 2)),
                Sample((x((1, 2, 5, 6)), 3), {"stride": 2, "padding": 1}, note="overlap, pad"),
                Sample(
                    (x((1, 1, 5, 5)), 3),
                    {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
                    note="ceil_mode, count_include_pad=False",
                ),
                Sample((x((2, 4, 3)), 2), {"stride": 1}, note="unbatched, overlapping"),
            ],
        ),
        OpSpec(
            "adaptive_avg_pool2d",
            lambda *a, **k: F.adaptive_avg_pool2d(*a, **k),
            adaptive_avg_pool2d_ref,
            [
                Sample((x((2, 2, 4, 6)), (2, 3)), note="sizes that divide"),
                Sample((x((1, 2, 5, 5)), 1), note="global"),
                Sample((x((1, 1, 5, 7)), (3, 4)), note="sizes that do not divide"),
                Sample((x((2, 4, 4)), (2, None)), note="unbatched, None keeps the width"),
            ],
        ),
        OpSpec(
            "unfold",
            lambda *a, **k: F.unfold(*a, **k),
            _unbatched(unfold_ref),
            [
                Sample((x((1, 2, 4, 4)), 2)),
                Sample(
                    (x((2, 1, 5, 4)), (2, 3)),
                    {"dilation": (2, 1), "padding": 1, "stride": (1, 2)},
                    note="dilation, padding, stride",
                ),
                Sample((x((2, 3, 3)), 2), {"stride": 1}, note="unbatched"),
            ],
        ),
        OpSpec(
            "fold",
            lambda *a, **k: F.fold(*a, **k),
            _unbatched(fold_ref, 2),
            [
                Sample((x((1, 8, 9)), (4, 4), 2), note="overlapping blocks add up"),
                Sample(
                    (x((2, 6, 10)), (5, 4), (2, 3)),
                    {"dilation": (2, 1), "padding": 1, "stride": (1, 2)},
                    note="dilation, padding, stride",
                ),
                Sample((x((4, 4)), (3, 3), 2), note="unbatched"),
            ],
        ),
        OpSpec(
            "batch_norm",
            lambda *a, **k: F.batch_norm(*a, **k),
            batch_norm_ref,
            [
                Sample(
                    (x((3, 2, 2, 2)), np.zeros(2), np.ones(2), x(2), x(2)),
                    {"training": True},
                    diff=(True, False, False, True, True),
                    note="4-D, training",
                ),
                Sample(
                    (x((4, 3)), np.zeros(3), np.ones(3)),
                    {"training": True},
                    diff=(True, False, False),
                    note="2-D, training, no affine",
                ),
                Sample(
                    (x((2, 2, 3, 2)), x(2), np.abs(x(2)) + 0.5, x(2), x(2)),
                    diff=(True, False, False, True, True),
                    note="4-D, eval",
                ),
            ],
        ),
        OpSpec(
            "flatten_batch_last",
            _flatten_batch_last,
            lambda a: a.reshape(a.shape[0], -1),
            [Sample((x((3, 2, 2, 3)),)), Sample((x((2, 3, 4)),), note="1-D image")],
        ),
        OpSpec(
            "dropout",
            dropout_fn,
            dropout_ref,
            [Sample((x((4, 5)), 0.3)), Sample((x((2, 2, 3, 3)), 0.5))],
        ),
    ]
