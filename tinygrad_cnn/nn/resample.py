"""Resampling Modules: Upsample (and the fixed-mode UpsamplingNearest2d / UpsamplingBilinear2d),
PixelShuffle and PixelUnshuffle, each holding its settings and calling ``nn.functional``.

>>> import tinygrad_cnn as tg
>>> tg.nn.Upsample(scale_factor=2, mode="bilinear")(tg.ones(1, 1, 2, 2)).shape
(1, 1, 4, 4)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import _argcheck as ac
from . import functional as F
from .module import Module


class Upsample(Module):
    """``F.interpolate`` as a layer: resize (N, C, d1, ..., dK) to ``size`` or by
    ``scale_factor`` with ``mode`` nearest, nearest-exact, linear, bilinear, bicubic,
    trilinear or area.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Upsample(scale_factor=2)
    Upsample(scale_factor=2.0, mode='nearest')
    """

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        name = self.name = type(self).__name__
        if size is not None:
            ac.int_tuple(size, "size", name)
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(ac.real(f, "scale_factor", name) for f in scale_factor)
        elif scale_factor is not None:
            self.scale_factor = ac.real(scale_factor, "scale_factor", name) or None
        else:
            self.scale_factor = None
        if not isinstance(mode, str):
            raise TypeError(f"{name}: mode must be a string, got {type(mode).__name__}")
        self.mode = mode
        self.align_corners = ac.optional_flag(align_corners, "align_corners", name)
        self.recompute_scale_factor = ac.optional_flag(
            recompute_scale_factor, "recompute_scale_factor", name
        )

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour 2-D upsampling (``Upsample(mode='nearest')``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.UpsamplingNearest2d(scale_factor=2)(tg.Tensor([[[[1.0, 2.0]]]])).tolist()
    [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear 2-D upsampling with ``align_corners=True`` (as PyTorch's).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.UpsamplingBilinear2d(size=(1, 3))(tg.Tensor([[[[0.0, 1.0]]]])).tolist()
    [[[[0.0, 0.5, 1.0]]]]
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r) (see ``F.pixel_shuffle``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.PixelShuffle(2)(tg.ones(1, 8, 3, 3)).shape
    (1, 2, 6, 6)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = ac.integer(upscale_factor, "upscale_factor", "PixelShuffle", 1)

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W) (see ``F.pixel_unshuffle``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.PixelUnshuffle(2)(tg.ones(1, 2, 6, 6)).shape
    (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = ac.integer(
            downscale_factor, "downscale_factor", "PixelUnshuffle", 1
        )

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


__all__ = [
    "Upsample",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "PixelShuffle",
    "PixelUnshuffle",
]
