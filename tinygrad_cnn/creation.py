"""Tensor factories: tensor/as_tensor/from_numpy, constant fills, ranges, index grids, and random
draws from the manual_seed generator."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from . import random as _random
from ._errors import guard
from ._tensor_dtype import Device, as_dtype
from .dtypes import get_default_dtype
from .tensor import Tensor, _to_array


def _dt(dtype: Any) -> np.dtype:
    return np.dtype(get_default_dtype() if dtype is None else dtype)


def _size(shape: tuple, op: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"{op}: sizes must be ints, got {shape}")
    if any(s < 0 for s in shape):  # PyTorch's RuntimeError and wording
        neg = next(int(s) for s in shape if s < 0)
        raise RuntimeError(
            f"{op}: Trying to create tensor with negative dimension {neg}: "
            f"{[int(s) for s in shape]}; sizes must be non-negative"
        )
    return tuple(int(s) for s in shape)


def _accepts_device(fn: Any) -> Any:
    """Let a factory take PyTorch's ``device=`` keyword: "cpu" (or None) is accepted, any other
    device raises."""

    @functools.wraps(fn)
    def call(*args: Any, device: Any = None, **kwargs: Any) -> Tensor:
        if device is not None:
            Device(device)
        return fn(*args, **kwargs)

    sig = inspect.signature(fn)
    extra = inspect.Parameter("device", inspect.Parameter.KEYWORD_ONLY, default=None)
    params = list(sig.parameters.values())
    at = next((i for i, q in enumerate(params) if q.kind == q.VAR_KEYWORD), len(params))
    call.__signature__ = sig.replace(parameters=params[:at] + [extra] + params[at:])
    del call.__wrapped__
    return guard(call)


def _make(arr: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(arr, requires_grad=requires_grad)


@_accepts_device
def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros. ``zeros(2, 3)`` and ``zeros((2, 3))`` are the same.

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3).shape
    (2, 3)
    """
    return _make(np.zeros(_size(shape, "zeros"), _dt(dtype)), requires_grad)


@_accepts_device
def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> import tinygrad_cnn as tg
    >>> tg.ones(2).tolist()
    [1.0, 1.0]
    """
    return _make(np.ones(_size(shape, "ones"), _dt(dtype)), requires_grad)


@_accepts_device
def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``.

    >>> import tinygrad_cnn as tg
    >>> tg.full((2,), 7.0).tolist(), tg.full((2,), 7).dtype
    ([7.0, 7.0], dtype('int64'))
    """
    shape = _size((shape,) if isinstance(shape, (int, np.integer)) else tuple(shape), "full")
    if dtype is None:  # as PyTorch: a bool fill gives bool, an int fill int64
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.bool_
        elif isinstance(fill_value, (int, np.integer)):
            dtype = np.int64
    return _make(np.full(shape, fill_value, _dt(dtype)), requires_grad)


@_accepts_device
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
    _check_range(start, end, step)
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _make(np.arange(start, end, step).astype(dtype), requires_grad)


@_accepts_device
def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive.

    >>> import tinygrad_cnn as tg
    >>> tg.linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    _check_steps(steps, "linspace")
    return _make(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad)


@_accepts_device
def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values from base**start to base**end, evenly spaced in the exponent.

    >>> import tinygrad_cnn as tg
    >>> tg.logspace(0, 2, 3).tolist()
    [1.0, 10.0, 100.0]
    """
    _check_steps(steps, "logspace")
    arr = np.power(float(base), np.linspace(start, end, steps))
    return _make(arr.astype(_dt(dtype)), requires_grad)


def _check_steps(steps: Any, op: str) -> None:
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{op}: steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"{op}: number of steps must be non-negative, got {steps}")


def _check_range(start: Any, end: Any, step: Any) -> None:
    vals = [float(v.item() if hasattr(v, "item") else v) for v in (start, end, step)]
    if not all(np.isfinite(vals)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step})")
    if vals[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign (start {start}, "
            f"end {end}, step {step})"
        )


@_accepts_device
def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix.

    >>> import tinygrad_cnn as tg
    >>> tg.eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    for what, v in (("n", n), ("m", m)):
        if v is None and what == "m":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye: {what} must be an int, got {type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"eye: {what} must be greater or equal to 0, got {v}")
    return _make(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


@_accepts_device
def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1).

    >>> import tinygrad_cnn as tg
    >>> tg.rand(2, 2).shape
    (2, 2)
    """
    arr = _random.get_generator().random(_size(shape, "rand"))
    return _make(arr.astype(_dt(dtype)), requires_grad)


@_accepts_device
def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples.

    >>> import tinygrad_cnn as tg
    >>> tg.randn(3).dtype
    dtype('float32')
    """
    arr = _random.get_generator().standard_normal(_size(shape, "randn"))
    return _make(arr.astype(_dt(dtype)), requires_grad)


@_accepts_device
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


@_accepts_device
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


@_accepts_device
def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = np.int64) -> Tensor:
    """Random integers in [low, high) (``randint(high, size=...)`` also works).

    >>> import tinygrad_cnn as tg
    >>> bool((tg.randint(0, 3, size=(10,)) < 3).all())
    True
    """
    if isinstance(high, (tuple, list)):  # randint(high, size), as PyTorch
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    for what, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"randint: {what} must be an int, got {type(v).__name__}")
    if low >= high:
        raise RuntimeError(
            f"randint: random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    size = _size((size,), "randint")
    arr = _random.get_generator().integers(low, high, size)
    return Tensor(arr.astype(as_dtype(dtype, "randint")))


def _like(fn: Any, t: Tensor, dtype: Any, requires_grad: bool, **kw: Any) -> Tensor:
    return fn(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad, **kw)


@_accepts_device
def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of t's shape and dtype.

    >>> zeros_like(tg.ones(2, 3)).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    return _like(zeros, t, dtype, requires_grad)


@_accepts_device
def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of t's shape and dtype.

    >>> ones_like(tg.zeros(2), dtype='float64').dtype
    dtype('float64')
    """
    return _like(ones, t, dtype, requires_grad)


@_accepts_device
def full_like(t: Tensor, fill_value: float, dtype: Any = None, requires_grad: bool = False):
    """``fill_value`` in t's shape and dtype.

    >>> full_like(tg.zeros(2), 7.0).tolist()
    [7.0, 7.0]
    """
    return full(
        t.shape, fill_value, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad
    )


@_accepts_device
def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples in t's shape.

    >>> r = rand_like(tg.zeros(100))
    >>> r.shape, bool((r.numpy() >= 0).all() and (r.numpy() < 1).all())
    ((100,), True)
    """
    return _like(rand, t, dtype, requires_grad)


@_accepts_device
def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples in t's shape.

    >>> randn_like(tg.zeros(2, 3)).shape
    (2, 3)
    """
    return _like(randn, t, dtype, requires_grad)


# -- from data ---------------------------------------------------------------------------------


@guard
def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array or a tensor):
    Python floats give the default dtype, ints int64, bools bool; arrays keep their dtype.

    >>> import tinygrad_cnn as tg
    >>> tg.tensor([1, 2]).dtype, tg.tensor(2.5).shape
    (dtype('int64'), ())
    """
    if device is not None:
        from ._tensor_dtype import Device

        Device(device)
    dt = None if dtype is None else as_dtype(dtype, "tensor")
    arr = np.array(_to_array(data, dt), copy=True)
    return Tensor(arr, requires_grad=requires_grad)


@guard
def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory with a numpy array or tensor when no conversion is
    needed (copying otherwise).

    >>> import numpy as np, tinygrad_cnn as tg
    >>> a = np.zeros(2); t = tg.as_tensor(a); a[0] = 5
    >>> t.tolist(), t.dtype
    ([5.0, 0.0], dtype('float64'))
    """
    dt = None if dtype is None else as_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if dt is None else data.to(dt)
    return Tensor(_to_array(data, dt))


@guard
def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing ``ndarray``'s memory and dtype: writes to either show in both.

    >>> import numpy as np, tinygrad_cnn as tg
    >>> a = np.arange(3); t = tg.from_numpy(a); t[0:1].tolist()
    [0]
    >>> a[0] = 7; t.tolist()
    [7, 1, 2]
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    as_dtype(ndarray.dtype, "from_numpy")
    return Tensor._wrap(ndarray, False)


@_accepts_device
def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor in PyTorch; here filled with zeros, so results are repeatable.

    >>> import tinygrad_cnn as tg
    >>> tg.empty(2, 3).shape
    (2, 3)
    """
    return _make(np.zeros(_size(size, "empty"), _dt(dtype)), requires_grad)


@_accepts_device
def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``empty`` in t's shape and dtype.

    >>> empty_like(tg.ones(2, dtype=tg.int64)).dtype
    dtype('int64')
    """
    return _like(empty, t, dtype, requires_grad)


def _triangle_indices(row: int, col: int, offset: int, keep: Any, name: str) -> Tensor:
    if row < 0 or col < 0:
        raise RuntimeError(f"{name}: row ({row}) and col ({col}) must be >= 0")
    r, c = np.indices((row, col)).reshape(2, -1)
    sel = keep(c - r, offset)
    return Tensor(np.stack([r[sel], c[sel]]).astype(np.int64))


@_accepts_device
def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a row x col matrix.

    >>> import tinygrad_cnn as tg
    >>> tg.tril_indices(2, 2).tolist()
    [[0, 1, 1], [0, 0, 1]]
    """
    return _triangle_indices(row, col, offset, lambda d, o: d <= o, "tril_indices").to(dtype)


@_accepts_device
def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64) -> Tensor:
    """The (2, N) row and column indices of the upper triangle of a row x col matrix.

    >>> import tinygrad_cnn as tg
    >>> tg.triu_indices(2, 2).tolist()
    [[0, 0, 1], [0, 1, 1]]
    """
    return _triangle_indices(row, col, offset, lambda d, o: d >= o, "triu_indices").to(dtype)


# -- random --------------------------------------------------------------------------------------


@_accepts_device
def randperm(n: int, *, dtype: Any = np.int64, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1.

    >>> import tinygrad_cnn as tg
    >>> sorted(tg.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, got {n!r}")
    return _make(_random.get_generator().permutation(int(n)).astype(dtype), requires_grad)


@guard
def bernoulli(input: Tensor, p: float | None = None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (or ``p``) elementwise, in input's dtype.

    >>> import tinygrad_cnn as tg
    >>> tg.bernoulli(tg.Tensor([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """
    probs = input.data if p is None else np.full(input.shape, p)
    if probs.size and (np.nanmin(probs) < 0 or np.nanmax(probs) > 1):
        raise RuntimeError("bernoulli: probabilities must lie in [0, 1]")
    draw = _random.get_generator().random(input.shape) < probs
    return Tensor(draw.astype(input.dtype))


@guard
def multinomial(input: Tensor, num_samples: int, replacement: bool = False) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of ``input`` (1-D or
    2-D, non-negative weights); without replacement each category is drawn at most once.

    >>> import tinygrad_cnn as tg
    >>> tg.multinomial(tg.Tensor([0.0, 1.0, 0.0]), 1).tolist()
    [1]
    """
    w = input.data.astype(np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: input must be 1-D or 2-D, got shape {input.shape}")
    rows = w.reshape(-1, w.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(1) <= 0).any():
        raise RuntimeError("multinomial: weights must be finite, non-negative, with a positive sum")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{rows.shape[1]} categories"
        )
    gen = _random.get_generator()
    out = np.empty((len(rows), num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        p = row / row.sum()
        nz = int((p > 0).sum())
        if not replacement and num_samples > nz:  # zero-weight categories come last
            first = gen.choice(len(p), nz, replace=False, p=p)
            rest = gen.permutation(np.flatnonzero(p == 0))[: num_samples - nz]
            out[i] = np.concatenate([first, rest])
        else:
            out[i] = gen.choice(len(p), num_samples, replace=replacement, p=p)
    return Tensor(out.reshape(w.shape[:-1] + (num_samples,)))
