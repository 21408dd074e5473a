"""Normalization in ``torch.nn.functional``'s names: layer, group, instance and local response
normalization, and ``normalize`` (unit p-norm). Each is a composition of differentiable ops.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> x = tg.Tensor([[1.0, 3.0], [2.0, 6.0]])
>>> [[round(v, 3) for v in row] for row in F.layer_norm(x, (2,)).tolist()]
[[-1.0, 1.0], [-1.0, 1.0]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..autograd import composite, no_grad
from ..tensor import Tensor
from ._argcheck import real
from ._argcheck import tensor as _check_tensor


def _check_param(t: Tensor | None, shape: tuple[int, ...], name: str, op: str) -> None:
    if t is not None and _check_tensor(t, name, op).shape != shape:
        raise ValueError(f"{op}: {name} must have shape {shape}, got {t.shape}")


def _standardize(x: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    """(x - mean) / sqrt(biased var + eps) over ``dims``."""
    centered = x - x.mean(dims, keepdim=True)
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * (var + eps) ** -0.5


def _channel_affine(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if weight is not None:
        x = x * weight.reshape(shape)
    if bias is not None:
        x = x + bias.reshape(shape)
    return x


@composite("layer_norm")
def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims, then scale and shift elementwise.

    >>> F.layer_norm(tg.Tensor([[0.0, 2.0]]), 2, tg.Tensor([2.0, 2.0])).tolist()
    [[-1.99999..., 1.99999...]]
    """
    op = "layer_norm"
    x = _check_tensor(input, "input", op)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    if not isinstance(shape, (tuple, list)) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in shape
    ):
        raise TypeError(
            f"{op}: normalized_shape must be an int or a sequence of ints, got "
            f"{type(normalized_shape).__name__}"
        )
    shape = tuple(shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ValueError(
            f"{op}: normalized_shape {shape} must match the trailing dims of the input, got "
            f"input shape {x.shape}"
        )
    _check_param(weight, shape, "weight", op)
    _check_param(bias, shape, "bias", op)
    out = _standardize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


@composite("group_norm")
def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels of (N, C, *) into ``num_groups`` groups and normalize each group of
    each sample; then a per-channel scale and shift.

    >>> F.group_norm(tg.Tensor([[[1.0], [3.0], [5.0], [5.0]]]), 2).reshape(-1).tolist()
    [-0.99999..., 0.99999..., 0.0, 0.0]
    """
    op = "group_norm"
    x = _check_tensor(input, "input", op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input of shape (N, C, *), got {x.shape}")
    n, c = x.shape[:2]
    if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups <= 0:
        raise ValueError(f"{op}: num_groups must be a positive int, got {num_groups!r}")
    if c % num_groups:
        raise ValueError(
            f"{op}: num_channels {c} (input shape {x.shape}) must be divisible by num_groups "
            f"{num_groups}"
        )
    _check_param(weight, (c,), "weight", op)
    _check_param(bias, (c,), "bias", op)
    grouped = x.reshape(n, num_groups, -1)
    out = _standardize(grouped, (2,), eps).reshape(x.shape)
    return _channel_affine(out, weight, bias)


@composite("instance_norm")
def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel of each sample of (N, C, *) over its spatial dims. With running
    statistics given, training updates them (the mean of the per-sample statistics, variance
    unbiased) and ``use_input_stats=False`` normalizes with them instead.

    >>> F.instance_norm(tg.Tensor([[[1.0, 3.0]]])).tolist()
    [[[-0.99999..., 0.99999...]]]
    """
    op = "instance_norm"
    x = _check_tensor(input, "input", op)
    if x.ndim < 3:
        raise ValueError(f"{op}: expected an input of shape (N, C, *spatial), got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_param(t, (c,), name, op)
    _check_param(weight, (c,), "weight", op)
    _check_param(bias, (c,), "bias", op)
    dims = tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: use_input_stats=False needs running_mean and running_var")
        out = (x - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps) ** -0.5
        return _channel_affine(out, weight, bias)
    m = math.prod(x.shape[2:])
    if m <= 1:
        raise ValueError(
            f"{op}: expected more than 1 spatial element per channel, got input shape {x.shape}"
        )
    if running_mean is not None or running_var is not None:
        _update_running(x, dims, m, running_mean, running_var, momentum)
    return _channel_affine(_standardize(x, dims, eps), weight, bias)


def _update_running(x, dims, m, running_mean, running_var, momentum) -> None:
    with no_grad():
        mean = x.data.mean(axis=dims)  # (N, C)
        var = x.data.var(axis=dims) * (m / (m - 1))
        for buf, stat in ((running_mean, mean), (running_var, var)):
            if buf is not None:
                new = (1 - momentum) * buf.data + momentum * stat.mean(axis=0)
                buf.data[...] = new.astype(buf.dtype)


@composite("local_response_norm")
def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta (AlexNet's LRN).

    >>> round(F.local_response_norm(tg.ones(1, 3, 1, 1), 3, alpha=3.0).reshape(-1)[1].item(), 4)
    0.3536
    """
    op = "local_response_norm"
    x = _check_tensor(input, "input", op)
    if x.ndim < 3:
        raise ValueError(f"{op}: expected an input of 3 or more dims (N, C, *), got {x.shape}")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError(f"{op}: size must be a positive int, got {size!r}")
    alpha, beta, k = (real(v, what, op) for v, what in ((alpha, "alpha"), (beta, "beta"), (k, "k")))
    c = x.shape[1]
    sq = (x * x).transpose(1, -1)  # channels last, so the window slides along one dim
    padded = sq.pad((size // 2, (size - 1) // 2))
    total = padded[..., 0:c]
    for j in range(1, size):
        total = total + padded[..., j : j + c]
    div = ((total * (alpha / size)) + k) ** beta
    return x / div.transpose(1, -1)


@composite("normalize")
def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``.

    >>> F.normalize(tg.Tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    op = "normalize"
    x = _check_tensor(input, "input", op)
    if out is not None:
        raise TypeError(f"{op}: out= is not supported; use the returned tensor")
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"{op}: p must be a number, got {p!r}")
    return x / x.vector_norm(p, dim, keepdim=True).clamp(min=eps)


__all__ = ["layer_norm", "group_norm", "instance_norm", "local_response_norm", "normalize"]
