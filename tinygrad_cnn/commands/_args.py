"""Argument types shared by the subcommands: each refuses a bad value with a message that
argparse prints after the flag's name (``argument --seed: must be ...``), exit status 2."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """An int > 0.

    >>> positive_int("3")
    3
    """
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid positive integer: {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"invalid positive integer: {text!r} (must be >= 1)")
    return v


def non_negative_int(text: str) -> int:
    """An int >= 0 (seeds).

    >>> non_negative_int("0")
    0
    """
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text}")
    return v


def finite_non_negative_float(text: str) -> float:
    """A finite float >= 0 (learning rates: inf and nan would train to NaN).

    >>> finite_non_negative_float("1e-3")
    0.001
    """
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return v


def positive_float(text: str) -> float:
    """A finite float > 0 (timeouts).

    >>> positive_float("2.5")
    2.5
    """
    v = finite_non_negative_float(text)
    if v == 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
