"""Elementwise primitives. Each backward is written with Tensor ops, so it differentiates again.

Binary ops broadcast like numpy; their backward returns gradients of the output's shape and the
engine sums them back to each input's shape (autograd._reduce_to_shape), never the op itself.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from . import fast
from ._util import const


class Add(Function):
    # d(x + y) = dx + dy
    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


class Sub(Function):
    # d(x - y) = dx - dy
    def forward(self, x, y):
        return x - y

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Function):
    # d(x * y) = y dx + x dy
    def forward(self, x, y):
        return x * y

    def backward(self, g):
        # an input is read only if the other one needs its gradient (so an input changed in
        # place since forward makes backward raise only where its value is really needed)
        nx, ny = self.needs_input_grad
        gx = g * self.inputs[1] if nx else None
        gy = g * self.inputs[0] if ny else None
        return gx, gy


class Div(Function):
    # d(x / y) = dx / y - (x / y^2) dy
    def forward(self, x, y):
        return x / y

    def backward(self, g):
        y, out = self.inputs[1], self.output
        nx, ny = self.needs_input_grad
        gx = g / y if nx else None
        gy = -(g * out) / y if ny else None
        return gx, gy


class Pow(Function):
    # d(x^y) = y x^(y-1) dx + x^y ln(x) dy
    def forward(self, x, y):
        return np.power(x, y)

    def backward(self, g):
        (x, y), out = self.inputs, self.output
        nx, ny = self.needs_input_grad
        zero = const(np.zeros((), dtype=g.dtype))
        gx = gy = None
        if nx:  # as PyTorch: 0 where the exponent is 0 (even at x == 0)
            gx = g * Where.apply(y.data == 0, zero, y * x ** (y - 1))
        if ny:
            # NOTE: as PyTorch, 0 where x == 0 and y >= 0 (log(0) * 0), NaN for x < 0; the
            # log reads 1 at those zeros so no NaN leaks into higher derivatives
            at0 = (x.data == 0) & (y.data >= 0)
            safe = Where.apply(at0, const(np.ones((), dtype=x.dtype)), x)
            gy = g * Where.apply(at0, zero, out * safe.log())
        return gx, gy


class PowScalar(Function):
    # d(x^p) = p x^(p-1) dx, p a Python number
    def forward(self, x, exponent):
        self.exponent = exponent
        return np.power(x, x.dtype.type(exponent)) if x.dtype.kind == "f" else x**exponent

    def backward(self, g):
        x, p = self.inputs[0], self.exponent
        if p == 0:
            return (g * 0,)
        if p == 1:
            return (g,)
        if p == 2:
            return (g * x * 2.0,)
        return (g * (x ** (p - 1)) * p,)

    def extra_repr(self):
        return f"exponent={self.exponent}"


class Neg(Function):
    # d(-x) = -dx
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Exp(Function):
    # d exp(x) = exp(x) dx
    def forward(self, x):
        return np.exp(x)

    def backward(self, g):
        return g * self.output


class Log(Function):
    # d log(x) = dx / x
    def forward(self, x):
        return np.log(x)

    def backward(self, g):
        (x,) = self.inputs
        return g / x


class Sqrt(Function):
    # d sqrt(x) = dx / (2 sqrt(x))
    def forward(self, x):
        return np.sqrt(x)

    def backward(self, g):
        return g / (self.output * 2.0)


class Abs(Function):
    # d|x| = sign(x) dx (0 at x == 0, as PyTorch)
    def forward(self, x):
        return np.abs(x)

    def backward(self, g):
        (x,) = self.inputs
        return g * const(np.sign(x.data))


class Relu(Function):
    # d/dx relu(x) = 1[x > 0]
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, g):
        return ReluGrad.apply(g, self.output.detach())


class ReluGrad(Function):
    # relu's vector-Jacobian product as one op: g where relu's output y is positive, else 0.
    # Linear in g (its own gradient is ReluGrad again); y only selects, so it gets none.
    def forward(self, g, y):
        compiled = fast.relu_grad(g, y)
        return g * (y > 0) if compiled is None else compiled

    def backward(self, gg):
        return ReluGrad.apply(gg, self.inputs[1]), None


class Sigmoid(Function):
    # d sigmoid(x) = s (1 - s) dx
    def forward(self, x):
        # NOTE: exp(-|x|) never overflows, so this stays finite for |x| of 1e4 and beyond
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, g):
        s = self.output
        return g * s * (1.0 - s)


class Tanh(Function):
    # d tanh(x) = (1 - tanh(x)^2) dx
    def forward(self, x):
        return np.tanh(x)

    def backward(self, g):
        t = self.output
        return g * (1.0 - t * t)


def _erf(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:  # scipy is optional: fall back to the math module, exactly
        erf = np.vectorize(math.erf, otypes=[np.float64])
    return np.asarray(erf(x)).astype(x.dtype, copy=False)


class Erf(Function):
    # d erf(x) = 2/sqrt(pi) exp(-x^2) dx
    def forward(self, x):
        return _erf(x)

    def backward(self, g):
        (x,) = self.inputs
        return g * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


class Maximum(Function):
    # d max(x, y): the gradient goes to the larger input, split evenly on ties
    def forward(self, x, y):
        return np.maximum(x, y)

    def backward(self, g):
        x, y = self.inputs
        wx = (x.data > y.data) + 0.5 * (x.data == y.data)
        return g * const(wx.astype(g.dtype)), g * const((1.0 - wx).astype(g.dtype))


class Minimum(Function):
    # d min(x, y): the gradient goes to the smaller input, split evenly on ties
    def forward(self, x, y):
        return np.minimum(x, y)

    def backward(self, g):
        x, y = self.inputs
        wx = (x.data < y.data) + 0.5 * (x.data == y.data)
        return g * const(wx.astype(g.dtype)), g * const((1.0 - wx).astype(g.dtype))


class Clamp(Function):
    # d clamp(x, lo, hi) = 1[lo <= x <= hi] dx (as PyTorch: boundaries pass the gradient)
    def forward(self, x, min=None, max=None):
        self.lo, self.hi = min, max
        return np.clip(x, min, max)

    def backward(self, g):
        (x,) = self.inputs
        inside = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x.data >= self.lo
        if self.hi is not None:
            inside &= x.data <= self.hi
        return g * const(inside)

    def extra_repr(self):
        return f"min={self.lo}, max={self.hi}"


class Where(Function):
    # d where(c, x, y) = c dx + (1 - c) dy
    def forward(self, cond, x, y):
        return np.where(cond, x, y)

    def backward(self, g):
        _, nx, ny = self.needs_input_grad
        c = np.asarray(self.inputs[0]).astype(bool, copy=False)
        gx = g * const(c) if nx else None
        gy = g * const(~c) if ny else None
        return None, gx, gy


class Cast(Function):
    # a dtype change; the gradient is cast back to the input's dtype
    def forward(self, x, dtype=None):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return Cast.apply(g, dtype=self.in_dtype)

    def extra_repr(self):
        return f"{self.in_dtype} -> ..."
