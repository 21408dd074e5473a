"""Pooling layers in 1, 2 and 3 spatial dims, over ``nn.functional``'s pooling functions.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> nn.MaxPool2d(2)
MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import _window_args as A
from . import functional_pool as FP
from .module import Module


class _MaxPoolNd(Module):
    _fn: Any = None

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Any:
        return type(self)._fn(
            input, self.kernel_size, self.stride, self.padding, self.dilation,
            ceil_mode=self.ceil_mode, return_indices=self.return_indices,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Max over kernel_size windows of (N, C, L) (stride defaults to kernel_size).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import MaxPool1d
    >>> MaxPool1d(3, stride=2)(tg.ones(1, 4, 9)).shape
    (1, 4, 4)
    """

    _fn = staticmethod(FP.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over kernel_size windows (stride defaults to kernel_size).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.MaxPool2d(2)(tg.ones(1, 6, 24, 24)).shape
    (1, 6, 12, 12)
    """

    _fn = staticmethod(FP.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """Max over kernel_size windows of (N, C, D, H, W).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import MaxPool3d
    >>> MaxPool3d(2)(tg.ones(1, 2, 4, 6, 6)).shape
    (1, 2, 2, 3, 3)
    """

    _fn = staticmethod(FP.max_pool3d)


class _AvgPoolNd(Module):
    _fn: Any = None
    nd = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        extra = () if self.nd == 1 else (self.divisor_override,)
        return type(self)._fn(
            input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
            self.count_include_pad, *extra,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over kernel_size windows of (N, C, L) (stride defaults to kernel_size).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import AvgPool1d
    >>> AvgPool1d(2)
    AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    _fn, nd = staticmethod(FP.avg_pool1d), 1

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        # as PyTorch, the 1-d module keeps its sizes as 1-tuples
        k = A.ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        s = k if stride is None else A.ntuple(stride, 1, "stride", "AvgPool1d")
        p = A.ntuple(padding, 1, "padding", "AvgPool1d")
        super().__init__(k, s, p, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean over kernel_size windows (stride defaults to kernel_size).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.AvgPool2d(2)(tg.ones(1, 1, 4, 4)).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    _fn = staticmethod(FP.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """Mean over kernel_size windows of (N, C, D, H, W).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import AvgPool3d
    >>> AvgPool3d(2)(tg.ones(1, 1, 2, 4, 4)).shape
    (1, 1, 1, 2, 2)
    """

    _fn, nd = staticmethod(FP.avg_pool3d), 3


class _AdaptiveAvgPoolNd(Module):
    _fn: Any = None

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average-pool (N, C, L) to a fixed length, whatever the input length.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import AdaptiveAvgPool1d
    >>> AdaptiveAvgPool1d(3)(tg.ones(2, 8, 10)).shape
    (2, 8, 3)
    """

    _fn = staticmethod(FP.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average-pool to a fixed output size, whatever the input's spatial size.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.AdaptiveAvgPool2d(1)(tg.ones(2, 8, 7, 7)).shape
    (2, 8, 1, 1)
    """

    _fn = staticmethod(FP.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average-pool (N, C, D, H, W) to a fixed output size.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import AdaptiveAvgPool3d
    >>> AdaptiveAvgPool3d((1, 2, 2))(tg.ones(1, 3, 4, 5, 5)).shape
    (1, 3, 1, 2, 2)
    """

    _fn = staticmethod(FP.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(Module):
    _fn: Any = None

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        return type(self)._fn(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max-pool (N, C, L) to a fixed length.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import AdaptiveMaxPool1d
    >>> AdaptiveMaxPool1d(2)(tg.ones(1, 3, 7)).shape
    (1, 3, 2)
    """

    _fn = staticmethod(FP.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max-pool to a fixed output size (None keeps that input size).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import AdaptiveMaxPool2d
    >>> AdaptiveMaxPool2d((2, None))(tg.ones(1, 3, 7, 5)).shape
    (1, 3, 2, 5)
    """

    _fn = staticmethod(FP.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max-pool (N, C, D, H, W) to a fixed output size.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import AdaptiveMaxPool3d
    >>> AdaptiveMaxPool3d(1)(tg.ones(1, 3, 2, 4, 4)).shape
    (1, 3, 1, 1, 1)
    """

    _fn = staticmethod(FP.adaptive_max_pool3d)


class _MaxUnpoolNd(Module):
    _fn: Any = None
    nd = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name, nd = type(self).__name__, self.nd
        self.kernel_size = A.ntuple(kernel_size, nd, "kernel_size", name)
        s = stride if stride is not None else kernel_size
        self.stride = A.ntuple(s, nd, "stride", name)
        self.padding = A.ntuple(padding, nd, "padding", name)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return type(self)._fn(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d (takes its indices).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import MaxUnpool1d
    >>> MaxUnpool1d(2)
    MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    _fn, nd = staticmethod(FP.max_unpool1d), 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d: values back at their arg-max positions, zeros
    elsewhere.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import MaxUnpool2d
    >>> pool, unpool = tg.nn.MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
    >>> y, i = pool(tg.arange(16.0).reshape(1, 1, 4, 4))
    >>> unpool(y, i).shape
    (1, 1, 4, 4)
    """

    _fn, nd = staticmethod(FP.max_unpool2d), 2


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import MaxUnpool3d
    >>> MaxUnpool3d(2)
    MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))
    """

    _fn, nd = staticmethod(FP.max_unpool3d), 3


class _LPPoolNd(Module):
    _fn: Any = None

    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """Power-average pooling of (N, C, L): (sum of x^p over the window)^(1/p).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import LPPool1d
    >>> LPPool1d(2, 3)(tg.ones(1, 2, 9)).shape
    (1, 2, 3)
    """

    _fn = staticmethod(FP.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling: (sum of x^p over the window)^(1/p).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.pooling import LPPool2d
    >>> LPPool2d(2, 3)
    LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)
    """

    _fn = staticmethod(FP.lp_pool2d)


__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "LPPool1d", "LPPool2d",
]  # fmt: skip
