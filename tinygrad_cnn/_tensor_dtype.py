"""Tensor methods that change the dtype or name the device: to, type, half/float/double/long/
int/bool, cpu; and the dtype names (tg.float32, tg.int64, ...).

A mixin of Tensor (tensor.py). Float-to-float casts are the differentiable Cast primitive of
``ops/elementwise.py``; casts to integers and bool cut the graph, as in PyTorch. float16 is a
storage dtype: numpy computes with it (upcasting internally where it has no kernel).
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import guard_methods
from .ops import elementwise

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001 (PyTorch's name)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001

finfo = np.finfo  # tg.finfo(tg.float32).eps, .max, .tiny, .bits, as torch.finfo
iinfo = np.iinfo

_TYPE_NAMES = {
    "float16": "HalfTensor",
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "uint8": "ByteTensor",
    "int8": "CharTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}


class Device:
    """The device a tensor lives on; only "cpu" exists.

    >>> import tinygrad_cnn as tg
    >>> tg.device("cpu") == tg.zeros(1).device
    True
    """

    def __init__(self, type: str = "cpu", index: Any = None) -> None:  # noqa: A002
        if isinstance(type, Device):
            type = type.type
        name = str(type).split(":")[0]
        if name != "cpu":
            raise RuntimeError(
                f"device: only the 'cpu' device exists in tinygrad_cnn, got {type!r}"
            )
        self.type, self.index = "cpu", None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (Device, str)) and str(other).split(":")[0] == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"


device = Device  # PyTorch's spelling: tg.device("cpu")


def as_dtype(dtype: Any, name: str) -> np.dtype:
    """A numpy dtype from a dtype, a name ("float32") or a Python type; errors name the op."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind not in "fiub":
        raise TypeError(
            f"{name}: {dtype!r} is not a supported dtype; use one of tg.float16, tg.float32, "
            "tg.float64, tg.uint8, tg.int8, tg.int16, tg.int32, tg.int64, tg.bool"
        )
    return dt


def _is_device(arg: Any) -> builtins.bool:
    if isinstance(arg, Device):
        return True
    if isinstance(arg, str):
        try:
            np.dtype(arg)
        except TypeError:
            return True
    return False


class DtypeMethods:
    """dtype and device conversions of Tensor."""

    __slots__ = ()

    @property
    def device(self) -> Device:
        """Where the data lives: always the CPU.

        >>> tg.zeros(1).device
        device(type='cpu')
        """
        return Device("cpu")

    @property
    def is_cuda(self) -> builtins.bool:
        """False: tinygrad_cnn computes on the CPU only.

        >>> tg.zeros(1).is_cuda
        False
        """
        return False

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype`` (self when it already has it); float-to-float casts
        are differentiable.

        >>> tg.Tensor([1.7]).astype('float64').dtype
        dtype('float64')
        """
        dt = as_dtype(dtype, "astype")
        if dt == self.dtype:
            return self
        if dt.kind not in "fc":
            return type(self)._wrap(self.data.astype(dt), False)
        if self.dtype.kind not in "fc":
            return type(self)._wrap(self.data.astype(dt), False)
        return elementwise.Cast.apply(self, dtype=dt)

    def to(self, *args: Any, dtype: Any = None, device: Any = None, **kwargs: Any) -> Tensor:
        """Convert to a dtype, a device ("cpu": nothing to do) or another tensor's dtype:
        ``to(tg.float64)``, ``to("cpu")``, ``to("cpu", tg.int64)``, ``to(other)``.

        >>> x = tg.Tensor([1.5])
        >>> x.to("cpu") is x, x.to(tg.int64).tolist()
        (True, [1])
        """
        unknown = set(kwargs) - {"non_blocking", "copy", "memory_format"}
        if unknown:
            raise TypeError(f"to: unexpected keyword arguments {sorted(unknown)}")
        for a in args:
            if hasattr(a, "requires_grad") and hasattr(a, "dtype"):
                dtype = a.dtype
            elif a is not None and _is_device(a):
                device = a
            elif a is not None:
                dtype = a
        if device is not None:
            Device(device)  # raises for anything but the CPU
        out = self if dtype is None else self.astype(as_dtype(dtype, "to"))
        if kwargs.get("copy") and out is self:
            return self.clone()
        return out

    def cpu(self) -> Tensor:
        """The tensor itself: data always lives on the CPU.

        >>> x = tg.zeros(1); x.cpu() is x
        True
        """
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Always raises: there is no CUDA device.

        >>> tg.zeros(1).cuda()
        Traceback (most recent call last):
        RuntimeError: cuda: tinygrad_cnn runs on the CPU only; drop .cuda() or use .cpu()
        """
        raise RuntimeError("cuda: tinygrad_cnn runs on the CPU only; drop .cuda() or use .cpu()")

    def type(self, dtype: Any = None) -> Any:
        """Without an argument, the type name ("tinygrad_cnn.FloatTensor"); with a dtype or a
        type name ("torch.DoubleTensor"), ``to``.

        >>> tg.zeros(1).type(), tg.zeros(1).type(tg.int64).dtype
        ('tinygrad_cnn.FloatTensor', dtype('int64'))
        >>> tg.zeros(1).type("torch.DoubleTensor").dtype
        dtype('float64')
        """
        if dtype is None:
            return "tinygrad_cnn." + _TYPE_NAMES.get(self.dtype.name, self.dtype.name)
        if isinstance(dtype, str) and dtype.endswith("Tensor"):  # "torch.DoubleTensor"
            by_type = {v: k for k, v in _TYPE_NAMES.items()}
            dtype = by_type.get(dtype.rsplit(".", 1)[-1], dtype)
        return self.to(dtype)

    def type_as(self, other: Any) -> Tensor:
        """Convert to ``other``'s dtype.

        >>> tg.zeros(1).type_as(tg.zeros(1, dtype=tg.float64)).dtype
        dtype('float64')
        """
        return self.astype(other.dtype)

    def is_floating_point(self) -> builtins.bool:
        """True for float16/32/64 tensors.

        >>> tg.zeros(1).is_floating_point(), tg.arange(2).is_floating_point()
        (True, False)
        """
        return self.dtype.kind == "f"

    def element_size(self) -> builtins.int:
        """Bytes per element.

        >>> tg.zeros(1, dtype=tg.float16).element_size()
        2
        """
        return self.dtype.itemsize

    def half(self) -> Tensor:
        """Cast to float16 (a storage dtype).

        >>> tg.ones(2).half().dtype
        dtype('float16')
        """
        return self.astype(float16)

    def float(self) -> Tensor:
        """Cast to float32.

        >>> tg.Tensor([1, 2]).float().dtype
        dtype('float32')
        """
        return self.astype(float32)

    def double(self) -> Tensor:
        """Cast to float64 (what gradient checking uses).

        >>> tg.ones(2).double().dtype
        dtype('float64')
        """
        return self.astype(float64)

    def long(self) -> Tensor:
        """Cast to int64 (class labels); floats are truncated towards zero.

        >>> tg.Tensor([1.9, -2.2]).long().tolist()
        [1, -2]
        """
        return self.astype(int64)

    def int(self) -> Tensor:
        """Cast to int32.

        >>> tg.Tensor([1.9]).int().dtype
        dtype('int32')
        """
        return self.astype(int32)

    def short(self) -> Tensor:
        """Cast to int16.

        >>> tg.Tensor([3]).short().dtype
        dtype('int16')
        """
        return self.astype(int16)

    def char(self) -> Tensor:
        """Cast to int8.

        >>> tg.Tensor([3]).char().dtype
        dtype('int8')
        """
        return self.astype(int8)

    def byte(self) -> Tensor:
        """Cast to uint8.

        >>> tg.Tensor([3]).byte().dtype
        dtype('uint8')
        """
        return self.astype(uint8)

    def bool(self) -> Tensor:
        """Cast to bool.

        >>> tg.Tensor([0.0, 2.0]).bool().tolist()
        [False, True]
        """
        return self.astype(bool)

    # -- new tensors with this one's dtype (PyTorch's new_* methods) -------------------------
    def _new(self, arr: np.ndarray, dtype: Any, requires_grad: builtins.bool, device: Any):
        if device is not None:
            Device(device)
        dt = self.dtype if dtype is None else as_dtype(dtype, "new_tensor")
        out = type(self)(arr.astype(dt))
        return out.requires_grad_() if requires_grad else out

    def new_tensor(
        self, data: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
    ) -> Tensor:
        """A copy of ``data`` with this tensor's dtype (or ``dtype``).

        >>> tg.zeros(1, dtype=tg.float64).new_tensor([1, 2]).dtype
        dtype('float64')
        """
        arr = np.array(data.data if hasattr(data, "requires_grad") else data)
        return self._new(arr, dtype, requires_grad, device)

    def new_zeros(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype.

        >>> tg.arange(3).new_zeros(2, 2).dtype
        dtype('int64')
        """
        return self._new(np.zeros(_sizes(size)), dtype, requires_grad, device)

    def new_ones(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """Ones of ``size`` with this tensor's dtype.

        >>> tg.zeros(1).new_ones((2,)).tolist()
        [1.0, 1.0]
        """
        return self._new(np.ones(_sizes(size)), dtype, requires_grad, device)

    def new_full(
        self,
        size: Any,
        fill_value: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """``fill_value`` in ``size`` with this tensor's dtype.

        >>> tg.zeros(1).new_full((2,), 3).tolist()
        [3.0, 3.0]
        """
        return self._new(np.full(_sizes((size,)), fill_value), dtype, requires_grad, device)

    def new_empty(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        """An (in fact zero-filled) tensor of ``size`` with this tensor's dtype.

        >>> tg.zeros(1).new_empty(3).shape
        (3,)
        """
        return self._new(np.zeros(_sizes(size)), dtype, requires_grad, device)


def _sizes(size: tuple) -> tuple[builtins.int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, (builtins.int, np.integer)) and n >= 0 for n in size):
        raise TypeError(f"new_*: sizes must be non-negative ints, got {size}")
    return tuple(builtins.int(n) for n in size)


guard_methods(DtypeMethods)
