"""Registry specs of the resampling functions (interpolate in every mode, pixel_shuffle,
pixel_unshuffle, channel_shuffle, grid_sample, affine_grid). The numpy references compute each
output element from its definition with explicit loops, independently of the per-axis matrices
the implementation uses."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .op_registry import OpSpec, Sample, _rng


def _source(dst, n_in, n_out, align_corners, clamp):
    if align_corners:
        return dst * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    src = (dst + 0.5) * n_in / n_out - 0.5
    return max(src, 0.0) if clamp else src


def _taps_linear(dst, n_in, n_out, align_corners):
    src = _source(dst, n_in, n_out, align_corners, True)
    i0 = min(int(math.floor(src)), n_in - 1)
    lam = src - i0
    return [(i0, 1 - lam), (min(i0 + 1, n_in - 1), lam)]


def _cubic(t, a=-0.75):
    t = abs(t)
    if t <= 1:
        return (a + 2) * t**3 - (a + 3) * t**2 + 1
    return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a if t < 2 else 0.0


def _taps_cubic(dst, n_in, n_out, align_corners):
    src = _source(dst, n_in, n_out, align_corners, False)
    i = math.floor(src)
    return [(min(max(j, 0), n_in - 1), _cubic(src - j)) for j in range(i - 1, i + 3)]


def _taps_nearest(dst, n_in, n_out, exact):
    return [(min(int(math.floor((dst + 0.5 * exact) * n_in / n_out)), n_in - 1), 1.0)]


def _resize_ref(x, size, taps):
    """Separable resampling: out[..., o1, o2] = sum over taps of w1 w2 x[..., i1, i2]."""
    spatial = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(size))
    for o in itertools.product(*[range(s) for s in size]):
        per_axis = [taps(d, n_in, n_out) for d, n_in, n_out in zip(o, spatial, size)]
        for combo in itertools.product(*per_axis):
            idx = tuple(i for i, _ in combo)
            out[(...,) + o] += np.prod([w for _, w in combo]) * x[(...,) + idx]
    return out


def _interp_ref(x, size, mode, align_corners=None):
    ac = bool(align_corners)
    taps = {
        "nearest": lambda d, i, o: _taps_nearest(d, i, o, False),
        "nearest-exact": lambda d, i, o: _taps_nearest(d, i, o, True),
        "bicubic": lambda d, i, o: _taps_cubic(d, i, o, ac),
    }.get(mode, lambda d, i, o: _taps_linear(d, i, o, ac))
    return _resize_ref(x, size, taps)


def _pixel_shuffle_ref(x, r):
    n, c, h, w = x.shape
    out = np.zeros((n, c // (r * r), h * r, w * r))
    for ch, y, z in itertools.product(range(c), range(h), range(w)):
        oc, sub = divmod(ch, r * r)
        out[:, oc, y * r + sub // r, z * r + sub % r] = x[:, ch, y, z]
    return out


def _pixel_unshuffle_ref(x, r):
    n, c, h, w = x.shape
    out = np.zeros((n, c * r * r, h // r, w // r))
    for ch, i, j in itertools.product(range(c), range(r), range(r)):
        out[:, ch * r * r + i * r + j] = x[:, ch, i::r, j::r]
    return out


def _channel_shuffle_ref(x, g):
    c = x.shape[1]
    order = [(i % g) * (c // g) + i // g for i in range(c)]
    return x[:, order]


def _fold_into(f, size, align_corners, padding_mode):
    """A pixel coordinate moved inside the image as padding_mode says ('zeros': unchanged)."""
    if padding_mode == "reflection":
        lo, hi = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
        while not lo <= f <= hi:  # mirror at whichever edge it crossed
            f = 2 * lo - f if f < lo else 2 * hi - f
    return f if padding_mode == "zeros" else min(max(f, 0.0), size - 1.0)


def _grid_sample_ref(x, grid, mode, align_corners, padding_mode="zeros"):
    sizes = x.shape[2:]
    k = len(sizes)
    out = np.zeros(x.shape[:2] + grid.shape[1:-1])
    for b in range(x.shape[0]):
        for o in itertools.product(*map(range, grid.shape[1:-1])):
            g = grid[(b,) + o][::-1]  # the grid lists x, y (, z): reverse to the axes' order
            f = [
                (gi + 1) / 2 * (n - 1) if align_corners else ((gi + 1) * n - 1) / 2
                for gi, n in zip(g, sizes)
            ]
            f = [_fold_into(fi, n, align_corners, padding_mode) for fi, n in zip(f, sizes)]
            if mode == "nearest":
                taps = [(tuple(round(fi) for fi in f), 1.0)]
            else:
                taps = [
                    (
                        tuple(math.floor(fi) + c for fi, c in zip(f, corner)),
                        np.prod([1 - abs(fi - math.floor(fi) - c) for fi, c in zip(f, corner)]),
                    )
                    for corner in itertools.product((0, 1), repeat=k)
                ]
            for idx, wt in taps:
                if all(0 <= i < n for i, n in zip(idx, sizes)):
                    out[(b, slice(None)) + o] += wt * x[(b, slice(None)) + idx]
    return out


def _affine_grid_ref(theta, size, align_corners):
    def coords(k):
        return np.linspace(-1, 1, k) if align_corners else (np.arange(k) * 2 + 1) / k - 1

    n, _, h, w = size
    out = np.zeros((n, h, w, 2))
    for b, i, j in itertools.product(range(n), range(h), range(w)):
        out[b, i, j] = theta[b] @ np.array([coords(w)[j], coords(h)[i], 1.0])
    return out


def _interp_specs(F, r) -> list[OpSpec]:
    x1, x2 = r.standard_normal((1, 2, 4)), r.standard_normal((2, 1, 3, 4))
    x3 = r.standard_normal((1, 1, 2, 3, 2))
    cases = [
        (x1, (7,), "linear", False),
        (x1, (3,), "linear", True),
        (x1, (6,), "nearest", None),
        (x2, (5, 3), "bilinear", False),
        (x2, (2, 6), "bilinear", True),
        (x2, (5, 7), "bicubic", False),
        (x2, (4, 5), "bicubic", True),
        (x2, (5, 6), "nearest-exact", None),
        (x3, (3, 4, 3), "trilinear", False),
    ]
    return [
        OpSpec(
            "interpolate",
            lambda x, size, mode, ac: F.interpolate(x, size, mode=mode, align_corners=ac),
            _interp_ref,
            [Sample(c, note=f"{c[2]}, align_corners={c[3]}") for c in cases],
        ),
        OpSpec(
            "interpolate_scale_factor",
            lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
            lambda x: _interp_ref(x, (6, 8), "bilinear"),
            [Sample((x2,))],
        ),
    ]


def _shuffle_specs(F, r) -> list[OpSpec]:
    x = r.standard_normal((2, 8, 2, 3))
    return [
        OpSpec(
            "pixel_shuffle",
            lambda x: F.pixel_shuffle(x, 2),
            lambda x: _pixel_shuffle_ref(x, 2),
            [Sample((x,))],
        ),
        OpSpec(
            "pixel_unshuffle",
            lambda x: F.pixel_unshuffle(x, 2),
            lambda x: _pixel_unshuffle_ref(x, 2),
            [Sample((r.standard_normal((2, 2, 4, 6)),))],
        ),
        OpSpec(
            "channel_shuffle",
            lambda x: F.channel_shuffle(x, 4),
            lambda x: _channel_shuffle_ref(x, 4),
            [Sample((x,))],
        ),
    ]


def _off_integer(grid, sizes, align_corners, gap=0.08):
    """Move normalized grid points whose pixel coordinates fall near an integer (a kink of
    bilinear sampling) or a half-integer (a jump of nearest sampling) off it. ``sizes`` are
    the image sizes in the grid's order: (W, H) or (W, H, D)."""
    out = grid.copy()
    for k, size in enumerate(sizes):
        g = out[..., k]
        f = (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2
        frac = f * 2 - np.floor(f * 2)
        f = np.where(frac < gap, f + gap, np.where(frac > 1 - gap, f - gap, f))
        out[..., k] = f * 2 / (size - 1) - 1 if align_corners else (2 * f + 1) / size - 1
    return out


def _grid_specs(F, r) -> list[OpSpec]:
    x = r.standard_normal((2, 2, 3, 4))
    g = _off_integer(r.uniform(-1.2, 1.2, (2, 3, 2, 2)), (4, 3), False)
    g_ac = _off_integer(r.uniform(-1.2, 1.2, (2, 3, 2, 2)), (4, 3), True)
    g_far = _off_integer(r.uniform(-3.0, 3.0, (2, 3, 2, 2)), (4, 3), False)
    g_far_ac = _off_integer(r.uniform(-3.0, 3.0, (2, 3, 2, 2)), (4, 3), True)
    vol = r.standard_normal((1, 2, 2, 3, 2))
    g_vol = r.uniform(-1.2, 1.2, (1, 2, 1, 2, 3))
    g_vol = _off_integer(g_vol, (2, 3, 2), False)
    theta = r.standard_normal((2, 2, 3))
    return [
        OpSpec(
            "grid_sample",
            lambda x, g, mode, ac, **k: F.grid_sample(x, g, mode=mode, align_corners=ac, **k),
            _grid_sample_ref,
            [
                Sample((x, g_far, "bilinear", False), {"padding_mode": "reflection"}),
                Sample((x, g_far_ac, "bilinear", True), {"padding_mode": "reflection"}),
                Sample((x, g_far, "bilinear", True), {"padding_mode": "border"}),
                Sample((vol, g_vol, "bilinear", False), note="trilinear on a volume"),
                Sample((x, g, "bilinear", False)),
                Sample((x, g_ac, "bilinear", True)),
                Sample((x, g, "nearest", False), diff=(True, False, False, False)),
            ],
            kinky=True,
        ),
        OpSpec(
            "affine_grid",
            lambda t, size, ac: F.affine_grid(t, size, align_corners=ac),
            _affine_grid_ref,
            [Sample((theta, (2, 1, 3, 4), False)), Sample((theta, (2, 3, 2, 3), True))],
        ),
    ]


def specs() -> list[OpSpec]:
    from .nn import functional as F

    r = _rng(51)
    return _interp_specs(F, r) + _shuffle_specs(F, r) + _grid_specs(F, r)
