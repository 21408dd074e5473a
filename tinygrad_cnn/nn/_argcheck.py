"""Argument checks for the loss, resampling and dropout functions and their Modules: each check
raises TypeError or ValueError naming the function (or Module) and the argument, so no numpy or
Python internal message reaches the user. ``library_errors`` is the safety net around a public
function: an error from inside that does not name the function gets its name prefixed, and an
exception that is no library error type (AttributeError, numpy's own, ...) becomes a TypeError
naming it, with the original chained as the cause."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import name_the_op
from ..tensor import Tensor

_LIBRARY = (ValueError, TypeError, RuntimeError, IndexError, KeyError, NotImplementedError)


def library_errors(op: str) -> Callable[[Callable], Callable]:
    """Decorate a public function so every error it raises names ``op``."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except _LIBRARY as e:
                foreign = type(e).__module__.split(".")[0] == "numpy"
                if not foreign:
                    name_the_op(e, op)
                    raise
                raise TypeError(f"{op}: unsupported argument types or values") from e
            except (ArithmeticError, AttributeError, AssertionError) as e:
                raise TypeError(f"{op}: unsupported argument types or values") from e

        return checked

    return wrap


def tensor(x: Any, name: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}: {name} must be a Tensor, got {type(x).__name__}; wrap it with tg.Tensor(...)"
        )
    return x


def floating(x: Any, name: str, op: str) -> Tensor:
    t = tensor(x, name, op)
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be floating point, got {t.dtype}; use .float()")
    return t


def real(x: Any, name: str, op: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {type(x).__name__} {x!r:.40}")
    return float(x)


def integer(x: Any, name: str, op: str, minimum: int | None = None) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {type(x).__name__} {x!r:.40}")
    if minimum is not None and x < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {x}")
    return int(x)


def flag(x: Any, name: str, op: str) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {type(x).__name__} {x!r:.40}")
    return bool(x)


def optional_flag(x: Any, name: str, op: str) -> bool | None:
    return None if x is None else flag(x, name, op)


def probability(p: Any, op: str) -> float:
    p = real(p, "p", op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return p


def reduction(op: str, value: Any, allowed: tuple[str, ...] = ("none", "mean", "sum")) -> str:
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{op}: reduction must be one of {choices}, got {value!r:.40}")
    return value


def int_tuple(x: Any, name: str, op: str) -> tuple[int, ...]:
    """An int or a sequence of ints, as a tuple."""
    if isinstance(x, (list, tuple)):
        return tuple(integer(v, name, op) for v in x)
    return (integer(x, name, op),)
