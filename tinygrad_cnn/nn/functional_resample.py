"""Resampling in ``torch.nn.functional``'s names: interpolate (nearest, nearest-exact, linear,
bilinear, bicubic, trilinear, area), pixel_shuffle / pixel_unshuffle, channel_shuffle,
grid_sample and affine_grid.

Interpolation is separable: along each spatial axis the output is a product with a small
(out, in) interpolation matrix built in numpy (nearest modes pick rows by index instead). Both
are ordinary differentiable ops, so gradients of any order come for free. grid_sample gathers
the corner pixels by integer indexing and weights them with differentiable functions of the
grid, so it is differentiable in the input and in the grid.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> F.interpolate(tg.Tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
[[[1.0, 1.0, 2.0, 2.0]]]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import composite
from ..ops._util import const
from ..tensor import Tensor
from . import _argcheck as ac
from ._argcheck import library_errors


class ResampleError(ValueError, RuntimeError):
    """A shape or argument error in a resampling function (PyTorch raises RuntimeError)."""


class UnsupportedResampleError(ValueError, NotImplementedError):
    """A mode that does not fit the input's rank (PyTorch raises NotImplementedError)."""


_MODES = {
    "nearest": None,
    "nearest-exact": None,
    "area": None,
    "linear": 1,
    "bilinear": 2,
    "bicubic": 2,
    "trilinear": 3,
}


_tensor = ac.tensor


def _per_axis(value: Any, k: int, name: str) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != k:
            raise ValueError(
                f"interpolate: {name} {tuple(value)} must give one value per spatial dimension "
                f"({k}); the input is (N, C, d1, ..., d{k})"
            )
        return list(value)
    return [value] * k


def _output_geometry(x: Tensor, size, scale_factor, recompute) -> tuple[list, list]:
    """(output sizes, scales used for the coordinate transform: None means in/out)."""
    k = x.ndim - 2
    if (size is None) == (scale_factor is None):
        which = "only one of" if size is not None else "either"
        raise ValueError(f"interpolate: {which} size or scale_factor should be defined")
    if size is not None:
        sizes = [ac.integer(s, "size", "interpolate") for s in _per_axis(size, k, "size")]
        if any(s <= 0 for s in sizes):
            raise ValueError(f"interpolate: output size {tuple(sizes)} must be positive")
        return sizes, [None] * k
    per_axis = _per_axis(scale_factor, k, "scale_factor")
    factors = [ac.real(f, "scale_factor", "interpolate") for f in per_axis]
    if not all(0 < f < math.inf for f in factors):
        raise ValueError(f"interpolate: scale_factor {tuple(factors)} must be positive and finite")
    sizes = [math.floor(n * f) for n, f in zip(x.shape[2:], factors)]
    if any(s <= 0 for s in sizes):
        raise ValueError(
            f"interpolate: scale_factor {tuple(factors)} gives output size {tuple(sizes)} for "
            f"input {x.shape}; every output size must be positive"
        )
    return sizes, [None] * k if recompute else factors


def _scale(n_in: int, n_out: int, factor: float | None, align_corners: bool) -> float:
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / factor if factor else n_in / n_out


def _nearest_index(n_in: int, n_out: int, factor: float | None, exact: bool) -> np.ndarray:
    # NOTE: float32 arithmetic, as PyTorch's kernels, so ties at .5 land on the same pixel
    scale = np.float32(1.0 / factor if factor else n_in / n_out)
    dst = np.arange(n_out, dtype=np.float32) + np.float32(0.5 if exact else 0.0)
    return np.minimum(np.floor(dst * scale).astype(np.int64), n_in - 1)


def _linear_matrix(n_in, n_out, factor, align_corners, dtype) -> np.ndarray:
    scale = _scale(n_in, n_out, factor, align_corners)
    dst = np.arange(n_out, dtype=np.float64)
    src = dst * scale if align_corners else np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    m = np.zeros((n_out, n_in), dtype)
    np.add.at(m, (np.arange(n_out), i0), 1.0 - lam)
    np.add.at(m, (np.arange(n_out), i1), lam)
    return m


def _cubic_weights(t: np.ndarray, a: float = -0.75) -> list[np.ndarray]:
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic_matrix(n_in, n_out, factor, align_corners, dtype) -> np.ndarray:
    scale = _scale(n_in, n_out, factor, align_corners)
    dst = np.arange(n_out, dtype=np.float64)
    src = dst * scale if align_corners else (dst + 0.5) * scale - 0.5
    i = np.floor(src).astype(np.int64)
    m = np.zeros((n_out, n_in), dtype)
    for offset, w in zip((-1, 0, 1, 2), _cubic_weights(src - i)):
        np.add.at(m, (np.arange(n_out), np.clip(i + offset, 0, n_in - 1)), w)
    return m


def _area_matrix(n_in, n_out, dtype) -> np.ndarray:
    m = np.zeros((n_out, n_in), dtype)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def _along(x: Tensor, axis: int, m: np.ndarray) -> Tensor:
    """Apply the (out, in) matrix m along one axis of x."""
    last = x.ndim - 1
    moved = x if axis == last else x.transpose(axis, last)
    out = moved @ const(m.T)
    return out if axis == last else out.transpose(axis, last)


def _check_interpolate_args(x: Tensor, mode: str, align_corners, antialias: bool) -> None:
    ac.optional_flag(align_corners, "align_corners", "interpolate")
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {sorted(_MODES)}, got {mode!r}")
    if x.ndim not in (3, 4, 5):
        raise UnsupportedResampleError(
            f"interpolate: input must be 3-D, 4-D or 5-D (N, C, d1, ...), got shape {x.shape} "
            f"for mode {mode!r}"
        )
    dims = _MODES[mode]
    if dims is not None and x.ndim - 2 != dims:
        raise UnsupportedResampleError(
            f"interpolate: got a {x.ndim}-D input of shape {x.shape}, but {mode} mode needs a "
            f"{dims + 2}-D input"
        )
    if align_corners is not None and dims is None:
        raise ValueError(
            "interpolate: align_corners can only be set with the interpolating modes linear, "
            f"bilinear, bicubic and trilinear (got mode {mode!r})"
        )
    if ac.flag(antialias, "antialias", "interpolate"):
        raise ValueError("interpolate: antialias=True is not supported; use antialias=False")
    if x.dtype.kind != "f" and mode not in ("nearest", "nearest-exact"):
        raise TypeError(
            f"interpolate: mode {mode!r} needs a floating-point input, got {x.dtype}; convert "
            "with .float()"
        )


@composite("interpolate")
@library_errors("interpolate")
def interpolate(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, d1, ..., dK) spatially to ``size`` or by ``scale_factor``, with PyTorch's
    coordinate conventions for each mode (``align_corners`` for the linear and cubic ones).

    >>> x = tg.Tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> F.interpolate(x, size=(2, 3), mode="bilinear", align_corners=True).tolist()
    [[[[0.0, 0.5, 1.0], [2.0, 2.5, 3.0]]]]
    """
    x = _tensor(input, "input", "interpolate")
    _check_interpolate_args(x, mode, align_corners, antialias)
    recompute_scale_factor = ac.optional_flag(
        recompute_scale_factor, "recompute_scale_factor", "interpolate"
    )
    sizes, factors = _output_geometry(x, size, scale_factor, recompute_scale_factor)
    corners = bool(align_corners)
    dtype = x.dtype
    out = x
    for k, (n_in, n_out, f) in enumerate(zip(x.shape[2:], sizes, factors)):
        axis = k + 2
        if mode in ("nearest", "nearest-exact"):
            idx = _nearest_index(n_in, n_out, f, mode == "nearest-exact")
            out = out[(slice(None),) * axis + (idx,)]
        elif mode == "area":
            out = _along(out, axis, _area_matrix(n_in, n_out, dtype))
        elif mode == "bicubic":
            out = _along(out, axis, _cubic_matrix(n_in, n_out, f, corners, dtype))
        else:
            out = _along(out, axis, _linear_matrix(n_in, n_out, f, corners, dtype))
    return out


@library_errors("upsample")
def upsample(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``interpolate`` (kept because PyTorch keeps it).

    >>> F.upsample(tg.ones(1, 1, 2), scale_factor=2).shape
    (1, 1, 4)
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


@library_errors("upsample_nearest")
def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``.

    >>> F.upsample_nearest(tg.ones(1, 1, 2, 2), size=3).shape
    (1, 1, 3, 3)
    """
    return interpolate(input, size, scale_factor, mode="nearest")


@library_errors("upsample_bilinear")
def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``.

    >>> F.upsample_bilinear(tg.Tensor([[[[0.0, 1.0]]]]), size=(1, 3)).tolist()
    [[[[0.0, 0.5, 1.0]]]]
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _shuffle_check(op: str, x: Tensor, factor: Any, name: str) -> int:
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor <= 0:
        raise ValueError(f"{op}: {name} must be a positive int, got {factor!r}")
    if x.ndim < 3:
        raise ResampleError(
            f"{op}: input must have at least 3 dimensions (*, C, H, W), got shape {x.shape}"
        )
    return int(factor)


@composite("pixel_shuffle")
@library_errors("pixel_shuffle")
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r) (sub-pixel convolution).

    >>> F.pixel_shuffle(tg.arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
    [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    op = "pixel_shuffle"
    x = _tensor(input, "input", op)
    r = _shuffle_check(op, x, upscale_factor, "upscale_factor")
    *batch, c, h, w = x.shape
    if c % (r * r):
        raise ResampleError(
            f"{op}: the channel dimension {c} of input {x.shape} must be divisible by "
            f"upscale_factor**2 = {r * r}"
        )
    nb = len(batch)
    y = x.reshape(*batch, c // (r * r), r, r, h, w)
    perm = tuple(range(nb)) + tuple(nb + i for i in (0, 3, 1, 4, 2))
    return y.permute(perm).reshape(*batch, c // (r * r), h * r, w * r)


@composite("pixel_unshuffle")
@library_errors("pixel_unshuffle")
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange (*, C, H r, W r) into (*, C r^2, H, W), the inverse of ``pixel_shuffle``.

    >>> F.pixel_unshuffle(tg.arange(4.0).reshape(1, 1, 2, 2), 2).reshape(-1).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    op = "pixel_unshuffle"
    x = _tensor(input, "input", op)
    r = _shuffle_check(op, x, downscale_factor, "downscale_factor")
    *batch, c, h, w = x.shape
    if h % r or w % r:
        raise ResampleError(
            f"{op}: the height {h} and width {w} of input {x.shape} must be divisible by "
            f"downscale_factor {r}"
        )
    nb = len(batch)
    y = x.reshape(*batch, c, h // r, r, w // r, r)
    perm = tuple(range(nb)) + tuple(nb + i for i in (0, 2, 4, 1, 3))
    return y.permute(perm).reshape(*batch, c * r * r, h // r, w // r)


@composite("channel_shuffle")
@library_errors("channel_shuffle")
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Split the C channels of (N, C, *) into ``groups`` groups and interleave them
    (channel g*k + i moves to i*groups + g), as in ShuffleNet.

    >>> F.channel_shuffle(tg.arange(4.0).reshape(1, 4, 1), 2).reshape(-1).tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    op = "channel_shuffle"
    x = _tensor(input, "input", op)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if x.ndim < 3:
        raise ResampleError(f"{op}: input must be (N, C, *) with at least 3 dims, got {x.shape}")
    n, c, *rest = x.shape
    if c % groups:
        raise ResampleError(
            f"{op}: number of channels {c} of input {x.shape} must be divisible by groups {groups}"
        )
    y = x.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return y.reshape(n, c, *rest)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1.0) * ((size - 1) / 2)
    return ((coord + 1.0) * size - 1.0) * 0.5


def _reflect(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """Mirror coordinates into [0, size - 1] (pixel centres) or [-0.5, size - 0.5] (edges):
    piecewise a * coord + b with a = +-1, so the gradient flows (with its sign)."""
    low, span = (0.0, size - 1.0) if align_corners else (-0.5, float(size))
    c = coord.data
    if span <= 0:
        return coord * 0.0
    dist = np.abs(c - low)
    flips = np.floor(dist / span)
    extra = dist - flips * span
    odd = flips % 2 == 1
    mirrored = np.where(odd, span - extra, extra) + low
    a = np.where(c >= low, 1.0, -1.0) * np.where(odd, -1.0, 1.0)
    return coord * const(a.astype(c.dtype)) + const((mirrored - a * c).astype(c.dtype))


def _gather(x: Tensor, idx: list[np.ndarray]) -> Tensor:
    """x[n, :, i1, i2, ...] as (N, *out, C); out-of-range corners read 0."""
    valid = np.ones(idx[0].shape, bool)
    for i, size in zip(idx, x.shape[2:]):
        valid &= (i >= 0) & (i < size)
    batch = np.arange(x.shape[0]).reshape((-1,) + (1,) * (idx[0].ndim - 1))
    clipped = [np.clip(i, 0, size - 1) for i, size in zip(idx, x.shape[2:])]
    picked = x[(batch, slice(None), *clipped)]
    return picked * const(valid[..., None].astype(x.dtype))


def _check_grid_args(x: Tensor, g: Tensor, mode: str, padding_mode: str) -> None:
    op = "grid_sample"
    if not isinstance(mode, str) or mode not in ("bilinear", "nearest"):
        raise ValueError(f"{op}: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if not isinstance(padding_mode, str) or padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"{op}: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}"
        )
    if x.ndim not in (4, 5) or g.ndim != x.ndim or g.shape[-1] != x.ndim - 2:
        raise ResampleError(
            f"{op}: expected an input (N, C, H, W) with a grid (N, H_out, W_out, 2), or "
            f"(N, C, D, H, W) with (N, D_out, H_out, W_out, 3); got input {x.shape} and grid "
            f"{g.shape}"
        )
    if g.shape[0] != x.shape[0]:
        raise ResampleError(
            f"{op}: grid and input must have the same batch size, got grid {g.shape} and "
            f"input {x.shape}"
        )


@composite("grid_sample")
@library_errors("grid_sample")
def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample (N, C, H, W) at the normalized (x, y) locations of ``grid`` (N, H_out, W_out, 2)
    (or a volume (N, C, D, H, W) at (x, y, z) locations (N, D_out, H_out, W_out, 3)), where
    -1 and 1 are the edges of the image (pixel centres with ``align_corners``);
    ``padding_mode`` 'zeros' reads zeros outside, 'border' the nearest edge pixel,
    'reflection' the image mirrored at its border. 'bilinear' is trilinear for volumes.

    >>> x = tg.Tensor([[[[1.0, 3.0]]]])
    >>> F.grid_sample(x, tg.Tensor([[[[0.0, 0.0]]]]), align_corners=True).tolist()
    [[[[2.0]]]]
    """
    x, g = _tensor(input, "input", "grid_sample"), _tensor(grid, "grid", "grid_sample")
    _check_grid_args(x, g, mode, padding_mode)
    if x.dtype.kind != "f" or g.dtype.kind != "f":
        raise TypeError(
            f"grid_sample: input and grid must be floating point, got {x.dtype} and {g.dtype}"
        )
    corners = bool(ac.optional_flag(align_corners, "align_corners", "grid_sample"))
    k = x.ndim - 2
    coords = []  # one per spatial axis (D,) H, W; the grid lists them as x, y (, z)
    for axis, size in enumerate(x.shape[2:]):
        c = _unnormalize(g[..., k - 1 - axis], size, corners)
        if padding_mode == "reflection":
            c = _reflect(c, size, corners)
        coords.append(c if padding_mode == "zeros" else c.clamp(0, size - 1))
    back = (0, k + 1) + tuple(range(1, k + 1))  # (N, *out, C) -> (N, C, *out)
    if mode == "nearest":
        return _gather(x, [np.rint(c.data).astype(np.int64) for c in coords]).permute(back)
    lows = [np.floor(c.data).astype(np.int64) for c in coords]
    highs = [c - const(lo.astype(x.dtype)) for c, lo in zip(coords, lows)]  # weight of lo + 1
    out = None
    for corner in itertools.product((0, 1), repeat=k):
        weight = None
        for bit, hi in zip(corner, highs):
            w = hi if bit else 1.0 - hi
            weight = w if weight is None else weight * w
        term = _gather(x, [lo + bit for lo, bit in zip(lows, corner)]) * weight.unsqueeze(-1)
        out = term if out is None else out + term
    return out.permute(back)


def _base_coords(n: int, align_corners: bool) -> np.ndarray:
    if align_corners:
        return np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    return (np.arange(n) * 2.0 + 1.0) / n - 1.0


@composite("affine_grid")
@library_errors("affine_grid")
def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps: theta (N, 2, 3) with size (N, C, H, W)
    gives (N, H, W, 2); theta (N, 3, 4) with size (N, C, D, H, W) gives (N, D, H, W, 3).
    Feed it to ``grid_sample`` for a spatial transformer.

    >>> eye = tg.Tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> F.affine_grid(eye, (1, 1, 1, 2), align_corners=False).tolist()
    [[[[-0.5, 0.0], [0.5, 0.0]]]]
    """
    op = "affine_grid"
    t = _tensor(theta, "theta", op)
    size = ac.int_tuple(size, "size", op)
    align_corners = ac.optional_flag(align_corners, "align_corners", op)
    if len(size) not in (4, 5):
        raise UnsupportedResampleError(
            f"{op}: size must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got {size}"
        )
    k = len(size) - 2
    if t.dtype.kind != "f" or t.shape != (size[0], k, k + 1):
        raise ValueError(
            f"{op}: expected a batch of {k}-D affine matrices of shape ({size[0]}, {k}, {k + 1}) "
            f"(floating point) for size {size}, got {t.shape} ({t.dtype})"
        )
    if min(size[2:]) <= 0:
        raise ValueError(f"{op}: spatial sizes must be positive, got {size}")
    axes = [_base_coords(n, bool(align_corners)) for n in reversed(size[2:])]  # x, y (, z)
    mesh = [np.transpose(m) for m in np.meshgrid(*axes, indexing="ij")]
    base = np.stack(mesh + [np.ones_like(mesh[0])], axis=-1).astype(t.dtype)
    points = const(base.reshape(1, -1, k + 1))
    grid = points @ t.transpose(1, 2)
    return grid.reshape(size[0], *size[2:], k)


__all__ = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "grid_sample",
    "affine_grid",
]
