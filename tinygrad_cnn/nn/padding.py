"""Padding Modules: Zero/Constant/Reflection/Replication/CircularPad in 1, 2 and 3 spatial
dims, each one ``F.pad`` call with a fixed padding and mode (PyTorch's names and reprs).

>>> import tinygrad_cnn as tg
>>> tg.nn.ReflectionPad2d(1)(tg.ones(1, 1, 2, 2)).shape
(1, 1, 4, 4)
"""

from __future__ import annotations

from collections.abc import Sequence

from ..tensor import Tensor
from .functional_pad import pad
from .module import Module


class _PadNd(Module):
    """``F.pad(x, padding, mode, value)`` with the padding given as an int (every side) or
    ``2 * dims`` ints (last dim's left, right first, as F.pad)."""

    dims = 2
    mode = "constant"

    def __init__(self, padding: int | Sequence[int], value: float = 0.0) -> None:
        super().__init__()
        n = 2 * self.dims
        if isinstance(padding, int) and not isinstance(padding, bool):
            padding = (padding,) * n
        padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,)
        ints = all(isinstance(p, int) and not isinstance(p, bool) for p in padding)
        if len(padding) != n or not ints:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of {n} ints, got "
                f"{padding!r}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{type(self).__name__}: value must be a number, got {value!r}")
        self.padding, self.value = padding, value

    def forward(self, input: Tensor) -> Tensor:
        value = self.value if self.mode == "constant" else None
        return pad(input, self.padding, self.mode, value)

    def extra_repr(self) -> str:
        return str(self.padding)


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)


def _pad_class(name: str, base: type, dims: int, mode: str) -> type:
    doc = f"Pad the last {dims} dim(s) of the input with F.pad(mode='{mode}')."
    return type(name, (base,), {"dims": dims, "mode": mode, "__doc__": doc, "__module__": __name__})


ZeroPad1d = _pad_class("ZeroPad1d", _ZeroPadNd, 1, "constant")
ZeroPad2d = _pad_class("ZeroPad2d", _ZeroPadNd, 2, "constant")
ZeroPad3d = _pad_class("ZeroPad3d", _ZeroPadNd, 3, "constant")
ConstantPad1d = _pad_class("ConstantPad1d", _ConstantPadNd, 1, "constant")
ConstantPad2d = _pad_class("ConstantPad2d", _ConstantPadNd, 2, "constant")
ConstantPad3d = _pad_class("ConstantPad3d", _ConstantPadNd, 3, "constant")
ReflectionPad1d = _pad_class("ReflectionPad1d", _PadNd, 1, "reflect")
ReflectionPad2d = _pad_class("ReflectionPad2d", _PadNd, 2, "reflect")
ReflectionPad3d = _pad_class("ReflectionPad3d", _PadNd, 3, "reflect")
ReplicationPad1d = _pad_class("ReplicationPad1d", _PadNd, 1, "replicate")
ReplicationPad2d = _pad_class("ReplicationPad2d", _PadNd, 2, "replicate")
ReplicationPad3d = _pad_class("ReplicationPad3d", _PadNd, 3, "replicate")
CircularPad1d = _pad_class("CircularPad1d", _PadNd, 1, "circular")
CircularPad2d = _pad_class("CircularPad2d", _PadNd, 2, "circular")
CircularPad3d = _pad_class("CircularPad3d", _PadNd, 3, "circular")

__all__ = [
    f"{kind}Pad{d}d"
    for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
    for d in (1, 2, 3)
]
