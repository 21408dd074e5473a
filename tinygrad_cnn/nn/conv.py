"""Convolution layers in 1, 2 and 3 spatial dims and batch norm, over the functional CNN ops
(the pooling layers live in ``nn.pooling`` and are re-exported here).

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> nn.Conv2d(1, 6, 5)
Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import creation
from ..tensor import Tensor
from . import _argcheck as ac
from . import _window_args as A
from . import functional as F
from . import functional_conv as FC
from . import init
from .functional_pad import pad as _pad
from .module import Module, Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401 (summary.py's import)

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_channels(name: str, in_channels: Any, out_channels: Any, groups: Any) -> int:
    for k, v in (("in_channels", in_channels), ("out_channels", out_channels)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"{name}: {k} must be a positive int, got {v!r}")
    groups = A.groups_arg(groups, name)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
            f"both be divisible by groups ({groups})"
        )
    return groups


class _ConvNd(Module):
    transposed = False
    nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: Any = 0,
    ) -> None:
        super().__init__()
        name, nd = type(self).__name__, self.nd
        groups = _check_channels(name, in_channels, out_channels, groups)
        if not isinstance(padding_mode, str) or padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode={padding_mode!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(
                f'{name}: Only "zeros" padding mode is supported, got {padding_mode!r}'
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = A.ntuple(kernel_size, nd, "kernel_size", name)
        if min(self.kernel_size) < 0:  # PyTorch: RuntimeError creating the weight
            raise RuntimeError(
                f"{name}: kernel_size must be non-negative, got {kernel_size!r} (a zero size is "
                "accepted here, as PyTorch, and refused by forward)"
            )
        self.stride = A.ntuple(stride, nd, "stride", name)
        self.dilation = A.ntuple(dilation, nd, "dilation", name)
        self.padding: Any = self._padding(name, padding)
        self.output_padding = A.ntuple(output_padding, nd, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        if self.transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(creation.zeros(shape))
        if bias:
            self.bias = Parameter(creation.zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _padding(self, name: str, padding: Any) -> Any:
        if not isinstance(padding, str):
            return A.ntuple(padding, self.nd, "padding", name)
        if padding not in ("same", "valid") or self.transposed:
            raise ValueError(f"{name}: padding must be 'same', 'valid' or ints, got {padding!r}")
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(
                f"{name}: padding='same' is not supported for strided convolutions (stride "
                f"{self.stride})"
            )
        return padding

    def reset_parameters(self) -> None:
        # PyTorch: kaiming_uniform_(a=sqrt(5)); bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)) where
        # fan_in is computed from the weight tensor (so from out/groups for transposed convs)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.numel() // self.weight.shape[0]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _mode_pads(self) -> tuple[int, ...]:
        """F.pad sizes (last dim first) for a padding_mode other than zeros."""
        if self.padding == "valid":
            return (0,) * (2 * self.nd)
        if self.padding == "same":
            lo, hi = A.same_pads(self.kernel_size, self.dilation)
        else:
            lo = hi = self.padding
        return tuple(p for a in reversed(range(self.nd)) for p in (lo[a], hi[a]))

    def _conv_input(self, input: Tensor) -> tuple[Tensor, Any]:
        """(input padded by padding_mode, the padding left for the convolution)."""
        if self.padding_mode == "zeros":
            return input, self.padding
        return _pad(input, self._mode_pads(), mode=self.padding_mode), 0

    def extra_repr(self) -> str:
        zeros, ones = (0,) * self.nd, (1,) * self.nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != zeros:
            s += f", padding={self.padding}"
        if self.dilation != ones:
            s += f", dilation={self.dilation}"
        if self.output_padding != zeros:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _fn: Any = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode,
        )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._conv_input(input)
        return type(self)._fn(
            x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L); ``weight`` is (out, in/groups, k).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.conv import Conv1d
    >>> conv = Conv1d(2, 4, 3, padding=1, padding_mode="circular")
    >>> conv(tg.ones(5, 2, 10)).shape, conv.weight.shape
    ((5, 4, 10), (4, 2, 3))
    """

    nd, _fn = 1, staticmethod(FC.conv1d)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W); ``weight`` is (out, in/groups, kh, kw).

    Output size per spatial dim: floor((H + 2p - d(k-1) - 1) / s) + 1. ``padding_mode``
    'reflect', 'replicate' or 'circular' pads with ``F.pad`` before a convolution without
    padding.

    >>> import tinygrad_cnn as tg
    >>> conv = tg.nn.Conv2d(1, 6, 5, padding=2)
    >>> conv(tg.ones(2, 1, 28, 28)).shape, conv.weight.shape
    ((2, 6, 28, 28), (6, 1, 5, 5))
    """

    nd, _fn = 2, staticmethod(FC.conv2d)


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W); ``weight`` is (out, in/groups, kd, kh, kw).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.conv import Conv3d
    >>> Conv3d(2, 3, (1, 3, 3), padding="same")(tg.ones(1, 2, 4, 5, 5)).shape
    (1, 3, 4, 5, 5)
    """

    nd, _fn = 3, staticmethod(FC.conv3d)


class _ConvTranspose(_ConvNd):
    transposed = True
    _fn: Any = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, output_padding,
        )  # fmt: skip
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise ValueError(
                    f"{type(self).__name__}: output_padding {self.output_padding} must be "
                    f"smaller than either stride {self.stride} or dilation {self.dilation}"
                )

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding
        A.tensor(input, "input", type(self).__name__)
        if output_size is not None:
            output_padding = A.output_padding_for(
                type(self).__name__, input.shape, output_size, self.kernel_size, self.stride,
                self.padding, self.dilation,
            )  # fmt: skip
        return type(self)._fn(
            input, self.weight, self.bias, self.stride, self.padding, output_padding,
            self.groups, self.dilation,
        )  # fmt: skip


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution; ``weight`` is (in, out/groups, k).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.conv import ConvTranspose1d
    >>> ConvTranspose1d(4, 2, 3, stride=2)(tg.ones(1, 4, 5)).shape
    (1, 2, 11)
    """

    nd, _fn = 1, staticmethod(FC.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution (the gradient of conv2d w.r.t. its input);
    ``weight`` is (in, out/groups, kh, kw).

    Output size: (H - 1)s - 2p + d(k - 1) + output_padding + 1.

    >>> import tinygrad_cnn as tg
    >>> up = tg.nn.ConvTranspose2d(4, 2, 2, stride=2)
    >>> up(tg.ones(1, 4, 5, 5)).shape, up.weight.shape
    ((1, 2, 10, 10), (4, 2, 2, 2))
    """

    nd, _fn = 2, staticmethod(FC.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution; ``weight`` is (in, out/groups, kd, kh, kw).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.conv import ConvTranspose3d
    >>> ConvTranspose3d(2, 1, 2, stride=2)(tg.ones(1, 2, 2, 3, 3)).shape
    (1, 1, 4, 6, 6)
    """

    nd, _fn = 3, staticmethod(FC.conv_transpose3d)


# -- batch norm ---------------------------------------------------------------------------------


class _BatchNorm(Module):
    _dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(
                f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}"
            )
        name = type(self).__name__
        self.num_features = num_features
        self.eps = ac.real(eps, "eps", name)
        self.momentum = None if momentum is None else ac.real(momentum, "momentum", name)
        self.affine = affine = ac.flag(affine, "affine", name)
        self.track_running_stats = track_running_stats = ac.flag(
            track_running_stats, "track_running_stats", name
        )
        bias = ac.flag(bias, "bias", name)
        if affine:
            self.weight = Parameter(creation.ones(num_features))
            if bias:
                self.bias = Parameter(creation.zeros(num_features))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features))
            self.register_buffer("running_var", creation.ones(num_features))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(
                f"{name}: expected {want} input (got {input.ndim}D input of shape {input.shape})"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: input of shape {input.shape} has {input.shape[1]} channels but the "
                f"layer was built for num_features={self.num_features}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): normalize each channel by batch statistics in
    training (updating running_mean / running_var) and by the running ones in eval.

    >>> import tinygrad_cnn as tg
    >>> bn = tg.nn.BatchNorm1d(3)
    >>> bn(tg.randn(8, 3)).shape, list(bn.state_dict())
    ((8, 3), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'])
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W), per channel.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.BatchNorm2d(6)(tg.randn(4, 6, 5, 5)).shape
    (4, 6, 5, 5)
    """

    _dims = (4,)
