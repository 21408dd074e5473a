"""The error boundary of the op surface's public functions and methods: what escapes names the op
and never carries numpy's or Python's internal wording.

``guard(fn)`` wraps a public op. An error that already speaks the library's language (its message
starts with the name of a library function, ``"gather: index ..."``) passes through, prefixed
with the outer op's name when it came from an inner one (``"take_along_dim: gather: ..."``).
Anything else (an AttributeError from a wrongly typed argument, numpy's AxisError, Python's
"too many values to unpack") becomes the matching builtin error with a message that names the op
and describes the arguments it was given. Specific checks inside the ops give the precise
messages; the guard is the net under them.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from typing import Any

_NAMED = re.compile(r"^([A-Za-z_][\w.]*)(?:\(\))?: ")
_EXTRA_NAMES = {"Tensor", "index", "device", "sizes and dims must be integers"}


def _speaks_library(msg: str) -> bool:
    m = _NAMED.match(msg)
    if not m:
        return False
    import tinygrad_cnn

    name = m.group(1)
    return (
        name in _EXTRA_NAMES
        or name.startswith("linalg.")
        or hasattr(tinygrad_cnn.Tensor, name)
        or hasattr(tinygrad_cnn, name)
    )


def _describe(v: Any) -> str:
    if hasattr(v, "requires_grad") and hasattr(v, "shape"):
        return f"a {v.dtype} tensor of shape {tuple(v.shape)}"
    if isinstance(v, (bool, int, float)) or v is None:
        return repr(v)
    return f"a {type(v).__name__}"


def _kind(e: BaseException) -> type[Exception]:
    if isinstance(e, IndexError):
        return IndexError
    if isinstance(e, (TypeError, AttributeError)):
        return TypeError
    if isinstance(e, RuntimeError) and not isinstance(e, RecursionError):
        return RuntimeError
    return ValueError


def translate(e: Exception, name: str, args: tuple, kwargs: dict) -> Exception:
    """The error to raise from op ``name`` for ``e`` (``e`` itself when it already fits)."""
    msg = str(e)
    # the library's own classes (ShapeError, OpDtypeError, ...) keep their class and message
    library = type(e).__module__.split(".")[0] == "tinygrad_cnn" or (
        type(e).__module__ == "builtins"
        and not isinstance(
            e, (AttributeError, ZeroDivisionError, OverflowError, MemoryError, RecursionError)
        )
    )
    if library and _speaks_library(msg):
        if msg.lower().startswith(name.lower()):
            return e
        return type(e)(f"{name}: {msg}")
    if isinstance(e, MemoryError):
        return ValueError(f"{name}: the result would be too large to allocate")
    import tinygrad_cnn

    given = [_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
    where = f"tg.Tensor.{name}" if hasattr(tinygrad_cnn.Tensor, name) else f"tg.{name}"
    return _kind(e)(
        f"{name}: invalid arguments ({', '.join(given)}); see help({where}) for what each "
        "argument takes"
    )


def operand(self: Any, x: Any, name: str) -> Any:
    """``x`` as a tensor beside ``self`` (numbers take self's dtype), or a TypeError naming op
    ``name`` when it is not a tensor, a number or nested lists of numbers of equal lengths."""
    if hasattr(x, "requires_grad"):
        return x
    try:
        return self._coerce(x)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: expected a tensor, a number or nested lists of numbers of equal lengths, "
            f"got {_describe(x)}"
        ) from None


def guard(fn: Callable, name: str | None = None) -> Callable:
    """``fn`` with the error boundary; its docstring, signature and module stay ``fn``'s (so
    doctests and the API pages still find it)."""
    name = name or fn.__name__
    convert, is_method = translate, _is_method  # closure cells: the wrapper reads no globals

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FloatingPointError:
            raise  # tg.detect_anomaly's report: it names the op and the user's line already
        except Exception as e:  # noqa: BLE001 - re-raised, named, below
            given = args[1:] if is_method(args, name) else args
            raise convert(e, name, given, kwargs) from None

    # NOTE: built with fn's globals, so doctest (which matches a function to its module by
    # __globals__) still collects fn's examples from fn's own module
    out = types.FunctionType(call.__code__, fn.__globals__, fn.__name__, None, call.__closure__)
    return functools.update_wrapper(out, fn)


def _is_method(args: tuple, name: str) -> bool:
    return bool(args) and hasattr(args[0], "requires_grad") and hasattr(type(args[0]), name)


def guard_methods(cls: type, names: Any = None) -> type:
    """Put the boundary on ``cls``'s public methods (or only on ``names``)."""
    for key, value in list(vars(cls).items()):
        if isinstance(value, types.FunctionType) and not key.startswith("_"):
            if names is None or key in names:
                setattr(cls, key, guard(value))
    return cls
