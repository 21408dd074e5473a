"""Tensor factories: constant fills, ranges, and random draws from the manual_seed generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import random as _random
from .dtypes import get_default_dtype
from .tensor import Tensor


def _dt(dtype: Any) -> np.dtype:
    return np.dtype(get_default_dtype() if dtype is None else dtype)


def _size(shape: tuple, op: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"{op}: sizes must be ints, got {shape}")
    if any(s < 0 for s in shape):
        raise ValueError(f"{op}: sizes must be non-negative, got {tuple(shape)}")
    return tuple(int(s) for s in shape)


def _make(arr: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros. ``zeros(2, 3)`` and ``zeros((2, 3))`` are the same.

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3).shape
    (2, 3)
    """
    return _make(np.zeros(_size(shape, "zeros"), _dt(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> import tinygrad_cnn as tg
    >>> tg.ones(2).tolist()
    [1.0, 1.0]
    """
    return _make(np.ones(_size(shape, "ones"), _dt(dtype)), requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``.

    >>> import tinygrad_cnn as tg
    >>> tg.full((2,), 7.0).tolist()
    [7.0, 7.0]
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _make(np.full(shape, fill_value, _dt(dtype)), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from start to end (exclusive); integer arguments give int64, as PyTorch.

    >>> import tinygrad_cnn as tg
    >>> tg.arange(4).tolist()
    [0, 1, 2, 3]
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _make(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive.

    >>> import tinygrad_cnn as tg
    >>> tg.linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    return _make(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix.

    >>> import tinygrad_cnn as tg
    >>> tg.eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return _make(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1).

    >>> import tinygrad_cnn as tg
    >>> tg.rand(2, 2).shape
    (2, 2)
    """
    arr = _random.get_generator().random(_size(shape, "rand"))
    return _make(arr.astype(_dt(dtype)), requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples.

    >>> import tinygrad_cnn as tg
    >>> tg.randn(3).dtype
    dtype('float32')
    """
    arr = _random.get_generator().standard_normal(_size(shape, "randn"))
    return _make(arr.astype(_dt(dtype)), requires_grad)


def uniform(
    *shape: Any, low: float = 0.0, high: float = 1.0, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples in [low, high).

    >>> import tinygrad_cnn as tg
    >>> bool((tg.uniform(100, low=-1, high=1).abs() <= 1).all())
    True
    """
    arr = _random.get_generator().uniform(low, high, _size(shape, "uniform"))
    return _make(arr.astype(_dt(dtype)), requires_grad)


def normal(
    *shape: Any, mean: float = 0.0, std: float = 1.0, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Normal samples with the given mean and standard deviation.

    >>> import tinygrad_cnn as tg
    >>> tg.normal(2, 3, mean=5.0).shape
    (2, 3)
    """
    arr = _random.get_generator().normal(mean, std, _size(shape, "normal"))
    return _make(arr.astype(_dt(dtype)), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = np.int64) -> Tensor:
    """Random integers in [low, high) (``randint(high, size=...)`` also works).

    >>> import tinygrad_cnn as tg
    >>> bool((tg.randint(0, 3, size=(10,)) < 3).all())
    True
    """
    if high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    return Tensor(_random.get_generator().integers(low, high, size).astype(dtype))


def _like(fn: Any, t: Tensor, dtype: Any, requires_grad: bool, **kw: Any) -> Tensor:
    return fn(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad, **kw)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of t's shape and dtype.

    >>> zeros_like(tg.ones(2, 3)).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    return _like(zeros, t, dtype, requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of t's shape and dtype.

    >>> ones_like(tg.zeros(2), dtype='float64').dtype
    dtype('float64')
    """
    return _like(ones, t, dtype, requires_grad)


def full_like(t: Tensor, fill_value: float, dtype: Any = None, requires_grad: bool = False):
    """``fill_value`` in t's shape and dtype.

    >>> full_like(tg.zeros(2), 7.0).tolist()
    [7.0, 7.0]
    """
    return full(
        t.shape, fill_value, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad
    )


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples in t's shape.

    >>> r = rand_like(tg.zeros(100))
    >>> r.shape, bool((r.numpy() >= 0).all() and (r.numpy() < 1).all())
    ((100,), True)
    """
    return _like(rand, t, dtype, requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples in t's shape.

    >>> randn_like(tg.zeros(2, 3)).shape
    (2, 3)
    """
    return _like(randn, t, dtype, requires_grad)
