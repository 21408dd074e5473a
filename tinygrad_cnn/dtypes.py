"""The default floating-point dtype (float32, as PyTorch) that new float tensors get."""

from __future__ import annotations

from typing import Any

import numpy as np

_default_float = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and float factories (zeros, randn, ...) produce.

    >>> import tinygrad_cnn as tg
    >>> tg.get_default_dtype()
    dtype('float32')
    """
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (float32 or float64) the default floating-point dtype.

    >>> import tinygrad_cnn as tg
    >>> tg.set_default_dtype("float64"); tg.zeros(1).dtype
    dtype('float64')
    >>> tg.set_default_dtype("float32")
    """
    global _default_float
    if dtype is None:  # np.dtype(None) would be float64
        raise TypeError("set_default_dtype: give a dtype (tg.float32 or tg.float64), got None")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"set_default_dtype: {dtype!r} is not a dtype") from None
    if dt not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 can be the default, got {dt}")
    _default_float = dt
