"""Tensor: an array plus, when it came from ops on tensors that require grad, the op that made it.

Primitive ops live in ``ops/``; this file holds the Tensor class, its operators, and the composite
ops written from primitives (mean = sum / n, softmax, logsumexp, ...), whose gradients come free.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import autograd
from .ops import elementwise as E
from .ops import loss as L
from .ops import matmul as M
from .ops import movement as V
from .ops import reduce as R
from .ops._util import normalize_dims

DEFAULT_FLOAT = np.float32
_hook_ids = itertools.count()


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d.data if isinstance(d, Tensor) else d for d in data]
        try:
            arr = np.asarray(data)
        except ValueError as e:  # ragged nested lists
            raise ValueError(
                f"Tensor: cannot build a tensor from nested lists of unequal lengths ({e})"
            ) from None
        # NOTE: Python floats become float32 (PyTorch's default), ints int64, bools bool
        if dtype is not None and arr.dtype.kind in "fiub":
            return arr.astype(np.dtype(dtype), copy=False)
        if arr.dtype == np.float64:
            arr = arr.astype(DEFAULT_FLOAT)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "fb":
            raise TypeError(
                f"Tensor: cannot build a tensor from {type(data).__name__} "
                f"(numpy dtype {arr.dtype}); give numbers, nested lists or a numpy array"
            )
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    return arr


class Tensor:
    """An n-dimensional array that records the ops applied to it for reverse-mode autodiff.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    """

    __slots__ = ("data", "requires_grad", "grad", "_ctx", "_hooks", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # numpy defers `ndarray op Tensor` to Tensor's reflected ops

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        arr = _to_array(data, dtype)
        self.data = arr
        self.grad: Tensor | None = None
        self._ctx: autograd.Function | None = None
        self._hooks: dict[int, Any] | None = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool) -> Tensor:
        t = object.__new__(Tensor)
        t.data = data
        t.requires_grad = requires_grad
        t.grad = None
        t._ctx = None
        t._hooks = None
        t._retains_grad = False
        return t

    # -- properties -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dimension, a tuple (as numpy's ``shape``).

        >>> tg.zeros(2, 3).shape
        (2, 3)
        """
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the data (float32 by default).

        >>> tg.zeros(2).dtype
        dtype('float32')
        """
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions.

        >>> tg.zeros(2, 3).ndim
        2
        """
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded op produced (inputs, parameters); backward fills
        ``.grad`` only on leaves.

        >>> x = tg.ones(2, requires_grad=True)
        >>> x.is_leaf, (x * 2).is_leaf
        (True, False)
        """
        return self._ctx is None

    @property
    def grad_fn(self) -> autograd.Function | None:
        """The recorded op (a Function) that produced this tensor, or None for a leaf.

        >>> x = tg.ones(2, requires_grad=True)
        >>> (x * 2).grad_fn.name
        'Mul'
        """
        return self._ctx

    @property
    def T(self) -> Tensor:
        """The tensor with all its dimensions reversed (a transpose for 2-D).

        >>> tg.zeros(2, 3).T.shape
        (3, 2)
        """
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def xp(self) -> Any:
        """The array module behind this tensor (numpy; the seam for other devices)."""
        return np

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension ``dim``.

        >>> tg.zeros(2, 3).size(), tg.zeros(2, 3).size(-1)
        ((2, 3), 3)
        """
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """The number of elements.

        >>> tg.zeros(2, 3).numel()
        6
        """
        return int(self.data.size)

    def dim(self) -> int:
        """The number of dimensions (as ``ndim``).

        >>> tg.zeros(2, 3).dim()
        2
        """
        return self.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied; it carries no gradient).

        >>> tg.Tensor([1.0, 2.0]).numpy()
        array([1., 2.], dtype=float32)
        """
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number.

        >>> tg.Tensor([2.5]).item()
        2.5
        """
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python number, "
                f"got shape {self.shape}"
            )
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        """The data as nested Python lists.

        >>> tg.Tensor([[1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.reshape(()))

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, threshold=100)
        extra = f"shape={self.shape}, dtype={self.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}, {extra})"

    # -- autograd -------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf and return it.

        >>> w = (tg.randn(2) * 0.1).requires_grad_()
        >>> w.requires_grad, w.is_leaf
        (True, True)
        """
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"requires_grad: only floating-point tensors can require gradients, but this "
                f"tensor of shape {self.shape} has dtype {self.dtype}; convert it with .float()"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) only works on leaf tensors; use .detach() on the "
                "result of an op"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's data but cut out of the graph (no gradient flows).

        >>> x = tg.ones(2, requires_grad=True)
        >>> (x * 2).detach().requires_grad
        False
        """
        return Tensor._wrap(self.data, False)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor when backward runs.

        >>> x = tg.ones(2, requires_grad=True)
        >>> y = x * 3
        >>> y.retain_grad()
        >>> y.sum().backward()
        >>> y.grad.tolist()
        [1.0, 1.0]
        """
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        self._retains_grad = True

    def register_hook(self, fn: Any) -> _HookHandle:
        """Call ``fn(grad)`` when this tensor's gradient is computed; a return value replaces it.

        >>> import tinygrad_cnn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> x.sum().backward(); x.grad.tolist()
        [10.0, 10.0]
        >>> h.remove()
        """
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that does not require grad"
            )
        if self._hooks is None:
            self._hooks = {}
        key = next(_hook_ids)
        self._hooks[key] = fn
        return _HookHandle(self._hooks, key)

    def backward(
        self, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                f"backward: this tensor (shape {self.shape}) does not require grad and has no "
                "grad_fn; make an input require grad (requires_grad=True) before computing it"
            )
        g = autograd._default_grad(self, gradient, "backward")
        autograd.run_backward([self], [g], retain_graph or create_graph, create_graph)

    # -- dtype ----------------------------------------------------------------------------
    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype``; float-to-float casts are differentiable.

        >>> tg.Tensor([1.7]).astype('float64').dtype
        dtype('float64')
        """
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"astype: {dtype!r} is not a dtype; use e.g. 'float32'") from None
        if dtype == self.dtype:
            return self
        if dtype.kind not in "fc":
            return Tensor._wrap(self.data.astype(dtype), False)
        return E.Cast.apply(self, dtype=dtype)

    to = astype

    def float(self) -> Tensor:
        """Cast to float32.

        >>> tg.Tensor([1, 2]).float().dtype
        dtype('float32')
        """
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """Cast to float64 (what gradient checking uses).

        >>> tg.ones(2).double().dtype
        dtype('float64')
        """
        return self.astype(np.float64)

    def long(self) -> Tensor:
        """Cast to int64 (class labels).

        >>> tg.Tensor([1.9, 2.2]).long().tolist()
        [1, 2]
        """
        return self.astype(np.int64)

    def int(self) -> Tensor:
        """Cast to int32.

        >>> tg.Tensor([1.9]).int().dtype
        dtype('int32')
        """
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        """Cast to bool.

        >>> tg.Tensor([0.0, 2.0]).bool().tolist()
        [False, True]
        """
        return self.astype(np.bool_)

    # -- operators ------------------------------------------------------------------------
    def _coerce(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return other
        if type(other) is float and self.data.dtype.kind == "f":
            return Tensor._wrap(np.asarray(other, dtype=self.data.dtype), False)
        if isinstance(other, (bool, int, float)):
            if self.dtype.kind == "f":
                dt = self.dtype
            elif isinstance(other, float):
                dt = DEFAULT_FLOAT
            else:
                dt = self.dtype
            return Tensor._wrap(np.asarray(other, dtype=dt), False)
        return Tensor(other)

    def _binary(self, fn: type[autograd.Function], other: Any, name: str, rev: bool = False):
        other = self._coerce(other)
        a, b = (other, self) if rev else (self, other)
        try:
            return fn.apply(a, b)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            raise ValueError(
                f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast together "
                "(dimensions are compared from the right and must be equal or 1)"
            ) from None

    def __add__(self, o):
        return self._binary(E.Add, o, "add")

    def __radd__(self, o):
        return self._binary(E.Add, o, "add", True)

    def __sub__(self, o):
        return self._binary(E.Sub, o, "sub")

    def __rsub__(self, o):
        return self._binary(E.Sub, o, "sub", True)

    def __mul__(self, o):
        return self._binary(E.Mul, o, "mul")

    def __rmul__(self, o):
        return self._binary(E.Mul, o, "mul", True)

    def __truediv__(self, o):
        return self._binary(E.Div, o, "div")

    def __rtruediv__(self, o):
        return self._binary(E.Div, o, "div", True)

    def __pow__(self, o):
        if isinstance(o, (int, float)) and not isinstance(o, bool):
            return E.PowScalar.apply(self, exponent=o)
        return self._binary(E.Pow, o, "pow")

    def __rpow__(self, o):
        return self._binary(E.Pow, o, "pow", True)

    def __neg__(self):
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __matmul__(self, o):
        return self.matmul(o)

    def __rmatmul__(self, o):
        return self._coerce(o).matmul(self)

    def _compare(self, op: Any, other: Any) -> Tensor:
        o = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(op(self.data, o)), False)

    def __eq__(self, o):  # type: ignore[override]
        return self._compare(np.equal, o)

    def __ne__(self, o):  # type: ignore[override]
        return self._compare(np.not_equal, o)

    def __lt__(self, o):
        return self._compare(np.less, o)

    def __le__(self, o):
        return self._compare(np.less_equal, o)

    def __gt__(self, o):
        return self._compare(np.greater, o)

    def __ge__(self, o):
        return self._compare(np.greater_equal, o)

    def __invert__(self):
        return Tensor._wrap(~self.data, False)

    def __and__(self, o):
        return self._compare(np.logical_and, o)

    def __or__(self, o):
        return self._compare(np.logical_or, o)

    __hash__ = object.__hash__

    def add(self, o):
        """Elementwise ``self + o`` with broadcasting.

        >>> tg.Tensor([1.0, 2.0]).add(1).tolist()
        [2.0, 3.0]
        """
        return self + o

    def sub(self, o):
        """Elementwise ``self - o`` with broadcasting.

        >>> tg.Tensor([1.0, 2.0]).sub(1).tolist()
        [0.0, 1.0]
        """
        return self - o

    def mul(self, o):
        """Elementwise ``self * o`` with broadcasting.

        >>> tg.Tensor([1.0, 2.0]).mul(3).tolist()
        [3.0, 6.0]
        """
        return self * o

    def div(self, o):
        """Elementwise ``self / o`` with broadcasting.

        >>> tg.Tensor([1.0, 2.0]).div(2).tolist()
        [0.5, 1.0]
        """
        return self / o

    def pow(self, exponent):
        """``self ** exponent`` (a number or a tensor)."""
        return self**exponent

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with numpy's rules: 1-D on either side, 2-D, batched with broadcast."""
        other = self._coerce(other)
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and "
                f"{b.shape}; use * for scalars"
            )
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last dim of the "
                f"first ({ka}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} dim "
                f"of the second ({kb})"
            )
        try:
            if a.ndim > 2 or b.ndim > 2:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast"
            ) from None
        if a.ndim == 1 and b.ndim == 1:
            return (a * b).sum()
        if a.ndim == 1:
            return M.MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
        if b.ndim == 1:
            return M.MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
        return M.MatMul.apply(a, b)

    # -- elementwise ----------------------------------------------------------------------
    def neg(self):
        """Elementwise ``-self``.

        >>> tg.Tensor([1.0, -2.0]).neg().tolist()
        [-1.0, 2.0]
        """
        return -self

    def exp(self):
        """Elementwise e**x.

        >>> tg.Tensor([0.0]).exp().tolist()
        [1.0]
        """
        return E.Exp.apply(self)

    def log(self):
        """Elementwise natural logarithm.

        >>> tg.Tensor([1.0]).log().tolist()
        [0.0]
        """
        return E.Log.apply(self)

    def sqrt(self):
        """Elementwise square root.

        >>> tg.Tensor([4.0, 9.0]).sqrt().tolist()
        [2.0, 3.0]
        """
        return E.Sqrt.apply(self)

    def abs(self):
        """Elementwise absolute value.

        >>> tg.Tensor([-1.5, 2.0]).abs().tolist()
        [1.5, 2.0]
        """
        return E.Abs.apply(self)

    def reciprocal(self):
        """Elementwise ``1 / x``.

        >>> tg.Tensor([2.0, 4.0]).reciprocal().tolist()
        [0.5, 0.25]
        """
        return 1.0 / self

    def square(self):
        """Elementwise ``x ** 2``.

        >>> tg.Tensor([3.0]).square().tolist()
        [9.0]
        """
        return self * self

    def erf(self):
        """Elementwise error function.

        >>> tg.Tensor([0.0]).erf().tolist()
        [0.0]
        """
        return E.Erf.apply(self)

    def sign(self):
        """Elementwise sign (-1, 0 or 1); its gradient is zero.

        >>> tg.Tensor([-2.0, 0.0, 3.0]).sign().tolist()
        [-1.0, 0.0, 1.0]
        """
        return Tensor._wrap(np.sign(self.data), False)

    def maximum(self, other):
        """Elementwise maximum of two tensors (ties split the gradient).

        >>> tg.Tensor([1.0, 5.0]).maximum(tg.Tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
        """
        return self._binary(E.Maximum, other, "maximum")

    def minimum(self, other):
        """Elementwise minimum of two tensors (ties split the gradient).

        >>> tg.Tensor([1.0, 5.0]).minimum(tg.Tensor([3.0, 2.0])).tolist()
        [1.0, 2.0]
        """
        return self._binary(E.Minimum, other, "minimum")

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit every element to [min, max] (either bound may be None); ``clip`` is the same.

        >>> tg.Tensor([-2.0, 0.5, 3.0]).clamp(-1, 1).tolist()
        [-1.0, 0.5, 1.0]
        """
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return E.Clamp.apply(self, min=min, max=max)

    clip = clamp

    # activations
    def relu(self):
        """max(x, 0), elementwise.

        >>> tg.Tensor([-1.0, 2.0]).relu().tolist()
        [0.0, 2.0]
        """
        return E.Relu.apply(self)

    def sigmoid(self):
        """1 / (1 + exp(-x)), elementwise.

        >>> tg.Tensor([0.0]).sigmoid().tolist()
        [0.5]
        """
        return E.Sigmoid.apply(self)

    def tanh(self):
        """Hyperbolic tangent, elementwise.

        >>> tg.Tensor([0.0]).tanh().tolist()
        [0.0]
        """
        return E.Tanh.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x where x > 0, else negative_slope * x.

        >>> tg.Tensor([-10.0, 2.0]).leaky_relu(0.1).tolist()
        [-1.0, 2.0]
        """
        return E.Where.apply(self.data > 0, self, self * negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x where x > 0, else alpha * (exp(x) - 1).

        >>> tg.Tensor([0.0, 2.0]).elu().tolist()
        [0.0, 2.0]
        """
        # NOTE: exp of min(x, 0), so the unused branch never overflows into a NaN gradient
        neg = (self.minimum(0.0).exp() - 1.0) * alpha
        return E.Where.apply(self.data > 0, self, neg)

    def gelu(self) -> Tensor:
        """x * Phi(x), with Phi the standard normal CDF (exact, erf form).

        >>> tg.Tensor([0.0]).gelu().tolist()
        [0.0]
        """
        return self * 0.5 * (1.0 + (self * (1.0 / math.sqrt(2.0))).erf())

    def silu(self) -> Tensor:
        """x * sigmoid(x) (swish).

        >>> tg.Tensor([0.0]).silu().tolist()
        [0.0]
        """
        return self * self.sigmoid()

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + exp(beta x)) / beta, linear above ``threshold`` for stability.

        >>> round(tg.Tensor([0.0]).softplus().item(), 4)
        0.6931
        """
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): finite for any z
        z = self * beta if beta != 1.0 else self
        soft = z.relu() + ((-z.abs()).exp() + 1.0).log()
        out = soft / beta if beta != 1.0 else soft
        return E.Where.apply(z.data > threshold, self, out)

    # -- reductions -----------------------------------------------------------------------
    def _dims(self, dim: Any, axis: Any, name: str) -> tuple[int, ...]:
        return normalize_dims(dim if axis is None else axis, self.ndim, name)

    def sum(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Sum over ``dim`` (an int, a tuple or None for all); ``axis`` is an alias."""
        return R.Sum.apply(self, dims=self._dims(dim, axis, "sum"), keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Mean over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(1).tolist()
        [1.5, 3.5]
        """
        dims = self._dims(dim, axis, "mean")
        n = math.prod(self.shape[d] for d in dims)
        if self.dtype.kind != "f":
            return self.float().mean(dims, keepdim)
        return R.Sum.apply(self, dims=dims, keepdim=keepdim) * (1.0 / max(n, 1))

    def prod(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Product over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1).tolist()
        [2.0, 12.0]
        """
        return R.Prod.apply(self, dims=self._dims(dim, axis, "prod"), keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Largest values over ``dim``; ties share the gradient evenly."""
        dims = self._dims(dim, axis, "max")
        if self.data.size == 0:
            raise ValueError(f"max: cannot reduce an empty tensor of shape {self.shape}")
        return R.Max.apply(self, dims=dims, keepdim=keepdim)

    def min(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Minimum over ``dim`` (all elements by default).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).min(1).tolist()
        [1.0, 0.0]
        """
        return -((-self).max(dim, keepdim, axis=axis))

    def amax(self, dim=None, keepdim: bool = False):
        """Maximum over ``dim`` (as ``max``).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).amax(0).tolist()
        [3.0, 2.0]
        """
        return self.max(dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        """Minimum over ``dim`` (as ``min``).

        >>> tg.Tensor([[1.0, 2.0], [3.0, 0.0]]).amin(0).tolist()
        [1.0, 0.0]
        """
        return self.min(dim, keepdim)

    def var(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None, axis=None
    ) -> Tensor:
        """Variance; ``correction=1`` (the default, as PyTorch) divides by n - 1."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        dims = self._dims(dim, axis, "var")
        n = math.prod(self.shape[d] for d in dims)
        centered = self - self.mean(dims, keepdim=True)
        scale = 1.0 / (n - correction) if n > correction else math.nan
        return (centered * centered).sum(dims, keepdim) * scale

    def std(
        self, dim=None, keepdim: bool = False, *, correction: int = 1, unbiased=None, axis=None
    ) -> Tensor:
        """Standard deviation over ``dim``, with Bessel's correction by default (``correction=1``).

        >>> tg.Tensor([1.0, 3.0]).std().item()
        1.414...
        """
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased, axis=axis).sqrt()

    def logsumexp(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """log(sum(exp(x))) computed stably: the max is subtracted first."""
        dims = self._dims(dim, axis, "logsumexp")
        m = Tensor._wrap(self.data.max(axis=dims, keepdims=True), False)
        m = Tensor._wrap(np.where(np.isfinite(m.data), m.data, 0).astype(self.dtype), False)
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def softmax(self, dim: int = -1, *, axis=None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``dim``, computed stably.

        >>> tg.Tensor([0.0, 0.0]).softmax().tolist()
        [0.5, 0.5]
        """
        return self.log_softmax(dim, axis=axis).exp()

    def log_softmax(self, dim: int = -1, *, axis=None) -> Tensor:
        """log(softmax(x)) along ``dim``, computed stably.

        >>> tg.Tensor([0.0, 0.0]).log_softmax().exp().tolist()
        [0.5, 0.5]
        """
        (d,) = self._dims(dim, axis, "log_softmax")
        return L.LogSoftmax.apply(self, dim=d)

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the maximum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1).tolist()
        [1, 0]
        """
        d = dim if axis is None else axis
        return Tensor._wrap(np.asarray(self.data.argmax(axis=d, keepdims=keepdim)), False)

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Index of the minimum along ``dim`` (of the flattened tensor by default).

        >>> tg.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(1).tolist()
        [0, 1]
        """
        d = dim if axis is None else axis
        return Tensor._wrap(np.asarray(self.data.argmin(axis=d, keepdims=keepdim)), False)

    def all(self, dim=None) -> Tensor:
        """True where every element (along ``dim``) is non-zero.

        >>> tg.Tensor([1.0, 0.0]).all().item()
        False
        """
        return Tensor._wrap(np.asarray(self.data.all(axis=dim)), False)

    def any(self, dim=None) -> Tensor:
        """True where some element (along ``dim``) is non-zero.

        >>> tg.Tensor([1.0, 0.0]).any().item()
        True
        """
        return Tensor._wrap(np.asarray(self.data.any(axis=dim)), False)

    def norm(self, p: float = 2, dim=None, keepdim: bool = False) -> Tensor:
        """The p-norm over ``dim`` (all elements by default).

        >>> tg.Tensor([3.0, 4.0]).norm().item()
        5.0
        """
        if p == 2:
            return (self * self).sum(dim, keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    # -- shape ----------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape; one size may be -1.

        >>> tg.arange(6).reshape(2, -1).shape
        (2, 3)
        """
        target = _resolve_shape(_shape_arg(shape), self.data.size, "reshape", self.shape)
        if target == self.shape:
            return self
        return V.Reshape.apply(self, shape=target)

    def view(self, *shape: Any) -> Tensor:
        """As ``reshape``.

        >>> tg.arange(6).view(3, 2).shape
        (3, 2)
        """
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim`` to ``end_dim`` into one.

        >>> tg.zeros(2, 3, 4).flatten(1).shape
        (2, 12)
        """
        if self.ndim == 0:
            return self.reshape(1)
        (s,) = normalize_dims(start_dim, self.ndim, "flatten")
        (e,) = normalize_dims(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
                f"shape {self.shape}"
            )
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1 :])

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dimension ``dim`` into ``sizes``.

        >>> tg.zeros(2, 12).unflatten(1, (3, 4)).shape
        (2, 3, 4)
        """
        d = dim % self.ndim
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the dimensions.

        >>> tg.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        dims = tuple(d % self.ndim for d in _shape_arg(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: dims {dims} are not a permutation of the {self.ndim} dimensions of "
                f"a tensor of shape {self.shape}"
            )
        if dims == tuple(range(self.ndim)):
            return self
        return V.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int = 0, dim1: int = 1) -> Tensor:
        """Swap two dimensions.

        >>> tg.zeros(2, 3, 4).transpose(0, 2).shape
        (4, 3, 2)
        """
        if self.ndim < 2:
            return self
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(tuple(dims))

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast size-1 dimensions to ``shape`` (-1 keeps a size); its gradient is a sum.

        >>> tg.ones(3, 1).expand(3, 4).shape
        (3, 4)
        """
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: cannot expand shape {self.shape} to fewer dims {shape}")
        target = tuple(
            self.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(shape)
        )
        if target == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, target)
            if np.broadcast_shapes(self.shape, target) != target:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"expand: shape {self.shape} cannot be expanded to {target} (only size-1 "
                "dimensions can grow)"
            ) from None
        return V.Expand.apply(self, shape=target)

    def expand_as(self, other: Tensor) -> Tensor:
        """``expand`` to ``other``'s shape.

        >>> tg.ones(1, 4).expand_as(tg.zeros(3, 4)).shape
        (3, 4)
        """
        return self.expand(other.shape)

    def squeeze(self, dim=None) -> Tensor:
        """Drop size-1 dimensions (only ``dim`` if given).

        >>> tg.zeros(1, 3, 1).squeeze().shape
        (3,)
        """
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = normalize_dims(dim, self.ndim, "squeeze") if self.ndim else ()
        return self.reshape(
            tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        )

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dimension at ``dim``.

        >>> tg.zeros(3).unsqueeze(0).shape
        (1, 3)
        """
        d = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= d <= self.ndim:
            raise IndexError(
                f"unsqueeze: dim {dim} is out of range for a tensor with {self.ndim} dimensions"
            )
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def flip(self, dims) -> Tensor:
        """Reverse the order of elements along ``dims``.

        >>> tg.Tensor([1.0, 2.0, 3.0]).flip(0).tolist()
        [3.0, 2.0, 1.0]
        """
        return V.Flip.apply(self, dims=normalize_dims(dims, self.ndim, "flip"))

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes`` times along each dimension (like torch.Tensor.repeat)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ValueError(
                f"repeat: {len(sizes)} repeat counts given for a tensor of {self.ndim} dims "
                f"(shape {self.shape}); give at least {self.ndim}"
            )
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        inter = tuple(v for s in x.shape for v in (1, s))
        big = tuple(v for r, s in zip(sizes, x.shape) for v in (r, s))
        return x.reshape(inter).expand(big).reshape(tuple(r * s for r, s in zip(sizes, x.shape)))

    def pad(self, pad: Sequence[int], value: float = 0.0) -> Tensor:
        """Constant padding in F.pad's order: (last_lo, last_hi, prev_lo, prev_hi, ...)."""
        if len(pad) % 2 or len(pad) // 2 > self.ndim:
            raise ValueError(
                f"pad: padding {tuple(pad)} must have an even length of at most 2*ndim "
                f"({2 * self.ndim}) for a tensor of shape {self.shape}"
            )
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding {tuple(pad)} is not supported")
        width = [(0, 0)] * self.ndim
        for i in range(len(pad) // 2):
            width[self.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
        return V.Pad.apply(self, pad_width=tuple(width), value=value)

    def __getitem__(self, idx: Any) -> Tensor:
        try:
            return V.GetItem.apply(self, idx=_normalize_index(idx, self.shape))
        except IndexError as e:
            raise IndexError(f"index: {e} (indexing a tensor of shape {self.shape})") from None

    def split(self, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
        """Split along ``dim`` into pieces of ``split_size_or_sections`` (an int or a list).

        >>> [t.shape for t in tg.zeros(5, 2).split(2)]
        [(2, 2), (2, 2), (1, 2)]
        """
        d = dim % self.ndim
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step <= 0:
                raise ValueError(f"split: split size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(
                    f"split: sections {sizes} sum to {sum(sizes)} but dim {dim} has size {n}"
                )
        out, start = [], 0
        for s in sizes:
            out.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Split along ``dim`` into ``chunks`` pieces of (nearly) equal size.

        >>> [t.shape for t in tg.zeros(6, 2).chunk(3)]
        [(2, 2), (2, 2), (2, 2)]
        """
        n = self.shape[dim % self.ndim]
        return self.split(max(1, -(-n // chunks)), dim)

    # -- CNN ops (thin delegations to nn.functional, which validates the arguments) --------
    def conv2d(self, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
        """``F.conv2d(self, ...)``: 2-D convolution, weight (out, in/groups, kh, kw)."""
        from .nn import functional as F

        return F.conv2d(self, weight, bias, stride, padding, dilation, groups)

    def conv_transpose2d(
        self, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ) -> Tensor:
        """``F.conv_transpose2d(self, ...)``, weight (in, out/groups, kh, kw)."""
        from .nn import functional as F

        return F.conv_transpose2d(
            self, weight, bias, stride, padding, output_padding, groups, dilation
        )

    def max_pool2d(
        self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
    ):
        """``F.max_pool2d(self, ...)``."""
        from .nn import functional as F

        return F.max_pool2d(self, kernel_size, stride, padding, dilation, ceil_mode, return_indices)

    def avg_pool2d(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ) -> Tensor:
        """``F.avg_pool2d(self, ...)``."""
        from .nn import functional as F

        return F.avg_pool2d(self, kernel_size, stride, padding, ceil_mode, count_include_pad)

    def adaptive_avg_pool2d(self, output_size) -> Tensor:
        """``F.adaptive_avg_pool2d(self, output_size)``."""
        from .nn import functional as F

        return F.adaptive_avg_pool2d(self, output_size)

    def batch_norm(
        self,
        running_mean,
        running_var,
        weight=None,
        bias=None,
        training=False,
        momentum=0.1,
        eps=1e-5,
    ) -> Tensor:
        """``F.batch_norm(self, ...)``."""
        from .nn import functional as F

        return F.batch_norm(self, running_mean, running_var, weight, bias, training, momentum, eps)

    def dropout(self, p: float = 0.5, training: bool = True) -> Tensor:
        """``F.dropout(self, p, training)``."""
        from .nn import functional as F

        return F.dropout(self, p, training)

    def unfold(self, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
        """``F.unfold(self, ...)`` (im2col). NOTE: not torch.Tensor.unfold(dim, size, step)."""
        from .nn import functional as F

        return F.unfold(self, kernel_size, dilation, padding, stride)

    def fold(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
        """``F.fold(self, ...)`` (col2im)."""
        from .nn import functional as F

        return F.fold(self, output_size, kernel_size, dilation, padding, stride)

    # -- drawing --------------------------------------------------------------------------
    def draw(self, *others: Tensor, **options: Any) -> Any:
        """The computation graph behind this tensor (and ``others``) as a graphviz.Digraph;
        options as ``tinygrad_cnn.viz.draw_graph`` (params, collapse, show_grad, ...).

        >>> import tinygrad_cnn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> "Mul" in (x * 3).sum().draw().source
        True
        """
        from .viz import draw_graph

        return draw_graph(self, *others, **options)

    # -- misc -----------------------------------------------------------------------------
    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other``.

        >>> x = tg.Tensor([1.0, -2.0])
        >>> x.where(x > 0, 0.0).tolist()
        [1.0, 0.0]
        """
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """``value`` where ``mask`` is true, else ``self``.

        >>> x = tg.Tensor([1.0, -2.0])
        >>> x.masked_fill(x < 0, 9.0).tolist()
        [1.0, 9.0]
        """
        return where(mask, value, self)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (not recorded) and return self.

        >>> tg.ones(2).zero_().tolist()
        [0.0, 0.0]
        """
        self.data[...] = 0
        return self

    def fill_(self, value: float) -> Tensor:
        """Fill with ``value`` in place (not recorded) and return self.

        >>> tg.zeros(2).fill_(7).tolist()
        [7.0, 7.0]
        """
        self.data[...] = value
        return self

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src``'s values into this tensor in place (not recorded) and return self.

        >>> tg.zeros(2).copy_(tg.Tensor([1.0, 2.0])).tolist()
        [1.0, 2.0]
        """
        self.data[...] = _to_array(src)
        return self

    def clone(self) -> Tensor:
        """A copy of the data; recorded, so gradients flow back to the original.

        >>> x = tg.ones(2, requires_grad=True)
        >>> x.clone().sum().backward()
        >>> x.grad.tolist()
        [1.0, 1.0]
        """
        return self + 0.0 if self.dtype.kind == "f" else Tensor(self.data.copy())

    def contiguous(self) -> Tensor:
        """The same values in a C-contiguous array (a copy only where needed).

        >>> tg.zeros(2, 3).T.contiguous().shape
        (3, 2)
        """
        return self


autograd._tensor_cls = Tensor


class _HookHandle:
    def __init__(self, hooks: dict, key: int) -> None:
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _resolve_shape(shape, size: int, name: str, old: tuple[int, ...]) -> tuple[int, ...]:
    if sum(1 for s in shape if s == -1) > 1:
        raise ValueError(f"{name}: only one dimension can be -1, got {shape}")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError(
                f"{name}: cannot reshape a tensor of shape {old} ({size} elements) into {shape}"
            )
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError(
            f"{name}: cannot reshape a tensor of shape {old} ({size} elements) into {shape} "
            f"({known} elements)"
        )
    return tuple(shape)


def _normalize_index(idx: Any, shape: tuple[int, ...]) -> tuple:
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for i in idx:
        if isinstance(i, Tensor):
            i = i.data
        if isinstance(i, list):
            i = np.asarray(i)
        if isinstance(i, np.ndarray) and i.dtype.kind == "f":
            raise IndexError(
                f"index: tensors used as indices must be integer or bool, got {i.dtype}"
            )
        out.append(i)
    return tuple(out)


# -- free functions on tensors ---------------------------------------------------------------


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Elementwise ``x if condition else y``; differentiable in x and y.

    >>> import tinygrad_cnn as tg
    >>> tg.where(tg.Tensor([True, False]), tg.Tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    ref = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else Tensor(x)
    x = ref._coerce(x)
    y = ref._coerce(y)
    try:
        return E.Where.apply(cond.astype(bool, copy=False), x, y)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape}, {x.shape} and {y.shape} cannot be broadcast together"
        ) from None


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension.

    >>> import tinygrad_cnn as tg
    >>> tg.cat([tg.zeros(2, 3), tg.ones(1, 3)]).shape
    (3, 3)
    """
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    nd = tensors[0].ndim
    if nd == 0:
        raise ValueError("cat: 0-d tensors cannot be concatenated; use stack instead")
    (d,) = normalize_dims(dim, nd, "cat")
    for t in tensors:
        if (
            t.ndim != nd
            or t.shape[:d] + t.shape[d + 1 :] != tensors[0].shape[:d] + tensors[0].shape[d + 1 :]
        ):
            raise ValueError(
                f"cat: shapes {[t.shape for t in tensors]} differ outside dim {dim}; all "
                "dimensions but the joined one must match"
            )
    return V.Cat.apply(*tensors, dim=d)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along a new dimension.

    >>> import tinygrad_cnn as tg
    >>> tg.stack([tg.zeros(2), tg.ones(2)], dim=1).shape
    (2, 2)
    """
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    nd = tensors[0].ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(
            f"stack: dim {dim} is out of range for stacking tensors of shape {tensors[0].shape} "
            f"(expected a value in [{-nd}, {nd - 1}])"
        )
    d = dim % nd
    return cat([t.unsqueeze(d) for t in tensors], d)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Split ``tensor`` along ``dim`` into pieces of ``split_size_or_sections`` (an int or a
    list of sizes), as ``Tensor.split``.

    >>> [t.shape for t in split(tg.zeros(5, 2), [1, 4])]
    [(1, 2), (4, 2)]
    """
    return tensor.split(split_size_or_sections, dim)


def chunk(tensor: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split ``tensor`` along ``dim`` into ``chunks`` pieces of (nearly) equal size.

    >>> [t.shape for t in chunk(tg.zeros(4, 2), 2, dim=0)]
    [(2, 2), (2, 2)]
    """
    return tensor.chunk(chunks, dim)
