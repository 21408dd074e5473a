"""Normalization Modules beside BatchNorm: LayerNorm, GroupNorm, InstanceNorm1d/2d/3d,
LocalResponseNorm and BatchNorm3d, with PyTorch's arguments, state-dict keys and initial values.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> nn.LayerNorm(8)
LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)
>>> nn.GroupNorm(2, 4)
GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import creation
from ..tensor import Tensor
from . import functional_norm as FN
from .conv import _BatchNorm
from .module import Module, Parameter


def _positive_int(value: object, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


def _shape(value: object, owner: str) -> tuple[int, ...]:
    """normalized_shape: an int or a sequence of positive ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(
            f"{owner}: normalized_shape must be an int or a non-empty sequence of ints, got "
            f"{type(value).__name__}"
        )
    return tuple(_positive_int(s, "normalized_shape", owner) for s in value)


def _flag(value: object, name: str, owner: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {type(value).__name__}")
    return bool(value)


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` dims; ``weight`` (ones) and ``bias``
    (zeros) of that shape when ``elementwise_affine``.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.LayerNorm(3)(tg.Tensor([[1.0, 2.0, 3.0]])).shape
    (1, 3)
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.normalized_shape = _shape(normalized_shape, "LayerNorm")
        self.eps = _eps(eps, "LayerNorm")
        self.elementwise_affine = _flag(elementwise_affine, "elementwise_affine", "LayerNorm")
        bias = _flag(bias, "bias", "LayerNorm")
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*self.normalized_shape))
            if bias:
                self.bias = Parameter(creation.zeros(*self.normalized_shape))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return FN.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalize groups of channels of each sample; per-channel ``weight`` and ``bias``.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.GroupNorm(2, 4)(tg.randn(3, 4, 5)).shape
    (3, 4, 5)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_groups = _positive_int(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _positive_int(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels {num_channels} must be divisible by num_groups "
                f"{num_groups}"
            )
        self.eps, self.affine = eps, affine
        if affine:
            self.weight = Parameter(creation.ones(num_channels))
            if bias:
                self.bias = Parameter(creation.zeros(num_channels))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return FN.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_BatchNorm):
    """InstanceNorm: BatchNorm's parameters and buffers, statistics per sample and channel."""

    _spatial = 2

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (self._spatial + 1, self._spatial + 2):
            raise ValueError(
                f"{name}: expected a {self._spatial + 1}-D (unbatched) or {self._spatial + 2}-D "
                f"input, got shape {input.shape}"
            )
        unbatched = input.ndim == self._spatial + 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"{name}: expected {self.num_features} channels, got input shape {input.shape}"
            )
        use_input = self.training or not self.track_running_stats
        out = FN.instance_norm(
            x,
            self.running_mean if self.track_running_stats else None,
            self.running_var if self.track_running_stats else None,
            self.weight,
            self.bias,
            use_input,
            self.momentum if self.momentum is not None else 0.1,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.InstanceNorm1d(2)(tg.randn(3, 2, 5)).shape
    (3, 2, 5)
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.InstanceNorm2d(3, affine=True)(tg.randn(2, 3, 4, 4)).shape
    (2, 3, 4, 4)
    """

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.InstanceNorm3d(1)(tg.randn(1, 1, 2, 3, 3)).shape
    (1, 1, 2, 3, 3)
    """

    _spatial = 3


class LocalResponseNorm(Module):
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.LocalResponseNorm(2)
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return FN.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W), per channel.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.BatchNorm3d(2)(tg.randn(3, 2, 2, 2, 2)).shape
    (3, 2, 2, 2, 2)
    """

    _dims = (5,)


def _eps(value: object, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{owner}: eps must be a non-negative number, got {value!r}")
    return float(value)
