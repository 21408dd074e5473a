"""In-place weight initializers, with PyTorch's names, fan rules and gains.

All draw from the one generator behind ``tinygrad_cnn.manual_seed``.

>>> import tinygrad_cnn as tg
>>> w = tg.zeros(64, 32)
>>> _ = tg.nn.init.kaiming_uniform_(w, a=5 ** 0.5)
>>> bool(w.abs().max().item() <= 1 / 32 ** 0.5)
True
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .. import random as _random
from ..tensor import Tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    >>> round(calculate_gain("relu"), 4), calculate_gain("tanh")
    (1.4142, 1.6666666666666667)
    """
    if not isinstance(nonlinearity, str):
        raise TypeError(
            f"calculate_gain: nonlinearity must be a str such as 'relu', got "
            f"{type(nonlinearity).__name__}"
        )
    linear = {"linear", "conv1d", "conv2d", "conv3d", "sigmoid"}
    linear |= {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"}
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor, op: str = "init") -> tuple[int, int]:
    _tensor(tensor, op)
    if tensor.ndim < 2:
        raise ValueError(
            f"{op}: fan in and fan out cannot be computed for a tensor with fewer than 2 "
            f"dimensions (shape {tensor.shape})"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str, op: str) -> int:
    if not isinstance(mode, str) or mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r:.40}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, op)
    return fan_in if mode == "fan_in" else fan_out


def _tensor(tensor: Any, op: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: tensor must be a Tensor, got {type(tensor).__name__}")


def _number(value: Any, what: str, op: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {what} must be a number, got {type(value).__name__}")
    return float(value)


def _fill(tensor: Tensor, arr: Any, op: str) -> Tensor:
    try:
        tensor.data[...] = arr
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"{op}: cannot fill a {tensor.dtype} tensor of shape {tensor.shape} with {arr!r:.40}"
        ) from None
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b).

    >>> import tinygrad_cnn as tg
    >>> bool((uniform_(tg.zeros(100), -1, 1).abs() <= 1).all())
    True
    """
    return _draw(tensor, "uniform_", "uniform", ("a", a), ("b", b))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2).

    >>> import tinygrad_cnn as tg
    >>> normal_(tg.zeros(3), std=0.0).tolist()
    [0.0, 0.0, 0.0]
    """
    return _draw(tensor, "normal_", "normal", ("mean", mean), ("std", std))


def _draw(tensor: Any, op: str, dist: str, *params: tuple[str, Any]) -> Tensor:
    _tensor(tensor, op)
    values = [_number(v, what, op) for what, v in params]
    if dist == "uniform" and not (math.isfinite(values[0]) and values[0] <= values[1] < math.inf):
        raise RuntimeError(
            f"{op}: expects a finite range [a, b) with a <= b, got a={values[0]}, b={values[1]}"
        )
    if dist == "normal" and not (math.isfinite(values[0]) and 0 <= values[1] < math.inf):
        raise RuntimeError(
            f"{op}: expects a finite mean and std >= 0, got mean={values[0]}, std={values[1]}"
        )
    return _fill(tensor, getattr(_random.get_generator(), dist)(*values, tensor.shape), op)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    >>> import tinygrad_cnn as tg
    >>> constant_(tg.zeros(2), 3.0).tolist()
    [3.0, 3.0]
    """
    _tensor(tensor, "constant_")
    return _fill(tensor, _number(val, "val", "constant_"), "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0.

    >>> from tinygrad_cnn.nn import init
    >>> init.zeros_(tg.ones(2)).tolist()
    [0.0, 0.0]
    """
    _tensor(tensor, "zeros_")
    return _fill(tensor, 0, "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1.

    >>> from tinygrad_cnn.nn import init
    >>> init.ones_(tg.zeros(2)).tolist()
    [1.0, 1.0]
    """
    _tensor(tensor, "ones_")
    return _fill(tensor, 1, "ones_")


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot).

    >>> import tinygrad_cnn as tg
    >>> w = xavier_uniform_(tg.zeros(3, 5))
    >>> bool((w.abs() <= (6 / 8) ** 0.5).all())
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_uniform_")
    gain = _number(gain, "gain", "xavier_uniform_")
    if fan_in + fan_out == 0:
        return tensor  # nothing to fill
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _draw(tensor, "xavier_uniform_", "uniform", ("a", -bound), ("b", bound))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    >>> import tinygrad_cnn as tg
    >>> xavier_normal_(tg.zeros(3, 5)).shape
    (3, 5)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_normal_")
    gain = _number(gain, "gain", "xavier_normal_")
    if fan_in + fan_out == 0:
        return tensor  # nothing to fill
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _draw(tensor, "xavier_normal_", "normal", ("mean", 0.0), ("std", std))


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He). ``a=sqrt(5)`` gives PyTorch's default
    Linear/Conv init, b = 1 / sqrt(fan_in).

    >>> import tinygrad_cnn as tg
    >>> w = kaiming_uniform_(tg.zeros(8, 4), nonlinearity="relu")
    >>> bool((w.abs() <= (6 / 4) ** 0.5).all())
    True
    """
    fan = _fan(tensor, mode, "kaiming_uniform_")
    _number(a, "a", "kaiming_uniform_")
    if fan == 0:
        return tensor
    std = _gain(nonlinearity, a, "kaiming_uniform_") / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return _draw(tensor, "kaiming_uniform_", "uniform", ("a", -bound), ("b", bound))


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan) (He).

    >>> import tinygrad_cnn as tg
    >>> kaiming_normal_(tg.zeros(8, 4), mode="fan_out").shape
    (8, 4)
    """
    fan = _fan(tensor, mode, "kaiming_normal_")
    _number(a, "a", "kaiming_normal_")
    if fan == 0:
        return tensor
    std = _gain(nonlinearity, a, "kaiming_normal_") / math.sqrt(fan)
    return _draw(tensor, "kaiming_normal_", "normal", ("mean", 0.0), ("std", std))


def _gain(nonlinearity: Any, a: float, op: str) -> float:
    try:
        return calculate_gain(nonlinearity, a)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{op}: {e}") from None


__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]
