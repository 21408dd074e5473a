"""Top-level functions for the elementwise Tensor methods PyTorch also has as ``torch.<name>``:
``tg.sin(x)`` is ``x.sin()``, ``tg.atan2(y, x)`` is ``y.atan2(x)``, with the tensor named
``input`` and the method's own arguments, defaults and docstring. They are generated from the
methods (one implementation each), so this module only lists the names.

>>> import tinygrad_cnn as tg
>>> tg.atan2(tg.Tensor([1.0]), tg.Tensor([1.0])).tolist(), tg.isnan(tg.Tensor([0.0])).tolist()
([0.7854], [False])
"""

from __future__ import annotations

from .nn.functional import _tensor_method
from .tensor import Tensor

NAMES = (
    # arithmetic
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "neg",
    "negative", "reciprocal", "square",
    "remainder", "fmod", "floor_divide", "copysign", "hypot", "lerp", "addcmul", "addcdiv",
    "maximum", "minimum", "clamp", "clip", "abs", "absolute", "sign",
    # exponentials and logarithms
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "logaddexp",
    "xlogy", "erf",
    # trigonometric and hyperbolic
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh",
    "atanh", "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh",
    # rounding and floating-point tests
    "floor", "ceil", "trunc", "fix", "round", "frac", "isnan", "isinf", "isposinf", "isneginf",
    "isfinite", "isclose", "allclose", "equal", "nan_to_num",
    # comparison, logical, bitwise
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    # activations PyTorch has at the top level
    "relu", "sigmoid", "tanh", "celu", "selu", "prelu", "rrelu", "hardshrink", "threshold",
)  # fmt: skip

for _name in NAMES:
    globals()[_name] = _tensor_method(getattr(Tensor, _name))

__all__ = list(NAMES)
