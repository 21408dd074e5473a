"""Elementwise maths primitives: trigonometric, hyperbolic, exp/log variants, rounding (zero
gradient), remainders and the two-argument functions (atan2, hypot, copysign, logaddexp, xlogy).

Each backward is written with Tensor ops, so it differentiates again. Binary ops return
gradients of the output's shape; the engine sums them back to each input's shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import Function
from ._util import const
from .elementwise import Where

_LN2, _LN10 = math.log(2.0), math.log(10.0)

# name: (numpy forward, d out / d x as Tensor ops of the input x and the output y)
UNARY: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[Any, Any], Any]]] = {
    "sin": (np.sin, lambda x, y: x.cos()),
    "cos": (np.cos, lambda x, y: -x.sin()),
    "tan": (np.tan, lambda x, y: y * y + 1.0),
    "asin": (np.arcsin, lambda x, y: (1.0 - x * x).rsqrt()),
    "acos": (np.arccos, lambda x, y: -(1.0 - x * x).rsqrt()),
    "atan": (np.arctan, lambda x, y: (x * x + 1.0).reciprocal()),
    "sinh": (np.sinh, lambda x, y: x.cosh()),
    "cosh": (np.cosh, lambda x, y: x.sinh()),
    "asinh": (np.arcsinh, lambda x, y: (x * x + 1.0).rsqrt()),
    "acosh": (np.arccosh, lambda x, y: (x * x - 1.0).rsqrt()),
    "atanh": (np.arctanh, lambda x, y: (1.0 - x * x).reciprocal()),
    "exp2": (np.exp2, lambda x, y: y * _LN2),
    "expm1": (np.expm1, lambda x, y: y + 1.0),
    "log2": (np.log2, lambda x, y: (x * _LN2).reciprocal()),
    "log10": (np.log10, lambda x, y: (x * _LN10).reciprocal()),
    "log1p": (np.log1p, lambda x, y: (x + 1.0).reciprocal()),
    "rsqrt": (lambda x: np.reciprocal(np.sqrt(x)), lambda x, y: y * y * y * -0.5),
}


class UnaryMath(Function):
    # d f(x) = f'(x) dx, with f and f' from the UNARY table (one line per op)
    def forward(self, x, op: str = "sin"):
        self.op = op
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf/nan, as PyTorch
            return UNARY[op][0](x)

    def backward(self, g):
        return g * UNARY[self.op][1](self.inputs[0], self.output)

    @property
    def name(self) -> str:
        return self.op.capitalize()


class Step(Function):
    # floor, ceil, round, trunc, rounded division: piecewise constant, so every gradient is 0
    def forward(self, *arrays, op: str = "floor", kernel: Callable[..., np.ndarray] = np.floor):
        self.op = op
        return kernel(*arrays)

    def backward(self, g):
        zero = const(np.zeros(g.shape, dtype=g.dtype))
        return tuple(zero if n else None for n in self.needs_input_grad)

    @property
    def name(self) -> str:
        return self.op.capitalize()


class Remainder(Function):
    # x - q y with q = floor(x / y) (remainder) or trunc(x / y) (fmod): dx = 1, dy = -q
    def forward(self, x, y, mode: str = "floor"):
        self.mode = mode
        return np.remainder(x, y) if mode == "floor" else np.fmod(x, y)

    def backward(self, g):
        x, y = (t.data for t in self.inputs)
        rounder = np.floor if self.mode == "floor" else np.trunc
        ny = self.needs_input_grad[1]
        return g, (-g * const(rounder(x / y)) if ny else None)

    @property
    def name(self) -> str:
        return "Remainder" if self.mode == "floor" else "Fmod"


class Atan2(Function):
    # d atan2(a, b) = (b da - a db) / (a^2 + b^2)
    def forward(self, a, b):
        return np.arctan2(a, b)

    def backward(self, g):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        r = g / (a * a + b * b)
        return (r * b if na else None), (-r * a if nb else None)


class Hypot(Function):
    # d sqrt(a^2 + b^2) = (a da + b db) / out
    def forward(self, a, b):
        return np.hypot(a, b)

    def backward(self, g):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        r = g / self.output
        return (r * a if na else None), (r * b if nb else None)


class Copysign(Function):
    # copysign(a, b) = |a| sign(b): da carries sign(a) sign(b) (0 at a == 0), db is 0
    def forward(self, a, b):
        return np.copysign(a, b)

    def backward(self, g):
        a, out = self.inputs[0].data, self.output.data
        na, nb = self.needs_input_grad
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(a == 0, 0, out / np.where(a == 0, 1, a)).astype(g.dtype)
        ga = g * const(ratio) if na else None
        return ga, (const(np.zeros(g.shape, dtype=g.dtype)) if nb else None)


class Logaddexp(Function):
    # d log(e^a + e^b) = e^(a - out) da + e^(b - out) db
    def forward(self, a, b):
        return np.logaddexp(a, b)

    def backward(self, g):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        out = self.output
        return (g * (a - out).exp() if na else None), (g * (b - out).exp() if nb else None)


class Xlogy(Function):
    # x log(y), 0 where x == 0 (unless y is nan): dx = log(y) (0 where x == 0 and y <= 0, as
    # PyTorch), dy = x / y
    def forward(self, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), 0, out).astype(out.dtype, copy=False)

    def backward(self, g):
        x, y = self.inputs
        nx, ny = self.needs_input_grad
        gx = None
        if nx:
            undefined = (x.data == 0) & (y.data <= 0)
            gx = Where.apply(undefined, const(np.zeros((), g.dtype)), Xlogy.apply(g, y))
        return gx, (g * x / y if ny else None)
