"""Tensor: an array plus, when it came from ops on tensors that require grad, the op that made it.

Primitive ops live in ``ops/``. This file holds the Tensor class itself (construction,
properties, autograd methods, dtype casts, in-place fills and copies) and the functions that
join tensors (cat, stack, split, chunk). Its other methods are grouped by what they do, one
mixin file each: ``_tensor_pointwise.py`` (operators, maths functions, activations),
``_tensor_reduce.py`` (sum, mean, max, softmax, ...), ``_tensor_movement.py`` (reshape,
permute, indexing, ...), ``_tensor_linalg.py`` (matrix products), ``_tensor_dtype.py`` (to,
half, ...), ``_tensor_diagonal.py`` (tril, diagonal, ...), ``_tensor_order.py`` (cumsum, sort,
topk, ...) and ``_tensor_index.py`` (gather, scatter, ...).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import autograd, dtypes, graph
from ._tensor_activations import ActivationMethods
from ._tensor_diagonal import DiagonalMethods
from ._tensor_dtype import DtypeMethods, as_dtype
from ._tensor_index import IndexMethods
from ._tensor_inplace import InplaceMethods
from ._tensor_linalg import LinalgMethods
from ._tensor_logic import LogicMethods
from ._tensor_math_funcs import MathMethods, truth_value
from ._tensor_movement import MovementMethods
from ._tensor_order import OrderMethods
from ._tensor_pointwise import PointwiseMethods, where  # noqa: F401 (tg.where)
from ._tensor_reduce import ReduceMethods, return_types  # noqa: F401 (tg.return_types)
from .errors import ShapeError
from .ops import layout, movement
from .ops._util import normalize_dims

_hook_ids = itertools.count()


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    dt = None if dtype is None else as_dtype(dtype, "Tensor")
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
        _check_kind(arr, data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d.data if isinstance(d, Tensor) else d for d in data]
        try:
            arr = np.asarray(data)
        except ValueError:
            raise ValueError(
                f"Tensor: {_ragged(data) or 'cannot build a tensor from these nested lists'}; "
                "give nested lists of equal lengths"
            ) from None
        # NOTE: Python floats become float32 (PyTorch's default), ints int64, bools bool
        if dt is not None and arr.dtype.kind in "fiub":
            return arr.astype(dt, copy=False)
        if arr.dtype == np.float64:
            arr = arr.astype(dtypes.get_default_dtype())
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "fb":
            raise TypeError(
                f"Tensor: cannot build a tensor from {type(data).__name__} "
                f"(numpy dtype {arr.dtype}); give numbers, nested lists or a numpy array"
            )
    if dt is not None:
        arr = arr.astype(dt, copy=False)
    return arr


def _check_kind(arr: np.ndarray, data: Any) -> None:
    """Refuse string, object, void and datetime arrays (PyTorch's TypeError), naming the dtype."""
    if arr.dtype.kind in "OSUVMm":
        raise TypeError(
            f"Tensor: can't convert np.ndarray of type numpy.{arr.dtype.type.__name__} "
            f"(dtype {arr.dtype}); the supported types are float64, float32, float16, int64, "
            "int32, int16, int8, uint8 and bool: convert it with .astype(np.float32) first"
        )


def _ragged(data: Any, depth: int = 0) -> str | None:
    """Where nested lists stop being rectangular, in PyTorch's words (None if they do not)."""
    if not isinstance(data, (list, tuple)) or not data:
        return None
    lengths = [len(d) if isinstance(d, (list, tuple)) else None for d in data]
    for n in lengths[1:]:
        if n != lengths[0]:
            if lengths[0] is None or n is None:
                return f"mixed numbers and sequences at dim {depth + 1} of the nested lists"
            return (
                f"nested lists of unequal lengths: expected sequence of length {lengths[0]} at "
                f"dim {depth + 1} (got {n})"
            )
    return next((r for d in data if (r := _ragged(d, depth + 1)) is not None), None)


class Tensor(
    PointwiseMethods,
    ReduceMethods,
    MovementMethods,
    LinalgMethods,
    DtypeMethods,
    DiagonalMethods,
    OrderMethods,
    IndexMethods,
    MathMethods,
    LogicMethods,
    ActivationMethods,
    InplaceMethods,
):
    """An n-dimensional array that records the ops applied to it for reverse-mode autodiff.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    """

    __slots__ = (
        "_d",  # the array (the `data` property)
        "requires_grad",
        "_g",  # the gradient (the `grad` property)
        "_ctx",
        "_hooks",
        "_retains_grad",
        "_vc",  # the VersionCounter shared with views and detach() (None until needed)
        "_base",  # the tensor this one is a view of, or None
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy defers `ndarray op Tensor` to Tensor's reflected ops

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self._d = _to_array(data, dtype)
        self._g: Tensor | None = None
        self._ctx: autograd.Function | None = None
        self._hooks: dict[int, Any] | None = None
        self._retains_grad = False
        self._vc: autograd.VersionCounter | None = None
        self._base: Tensor | None = None
        self.requires_grad = False
        if truth_value(requires_grad, "requires_grad", "Tensor"):
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool) -> Tensor:
        t = object.__new__(Tensor)
        t._d = data
        t.requires_grad = requires_grad
        t._g = None
        t._ctx = None
        t._hooks = None
        t._retains_grad = False
        t._vc = None
        t._base = None
        return t

    # -- data, grad and version ------------------------------------------------------------
    data = property(
        operator.attrgetter("_d"),
        doc="""The values as a numpy array (shared, not copied, and outside the graph).

        Assigning a Tensor stores its array (as PyTorch's ``w.data = t``); assigning a numpy
        array stores it; anything else raises TypeError.

        >>> w = tg.zeros(2)
        >>> w.data = tg.Tensor([1.0, 2.0]); w.data
        array([1., 2.], dtype=float32)
        """,
    )

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            value = value._d
        elif isinstance(value, np.generic):
            value = np.asarray(value)
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"data: assign a Tensor or a numpy array to .data, got {type(value).__name__}; "
                "wrap values with tg.Tensor(...) first"
            )
        if self.requires_grad and value.dtype.kind not in "fc":
            raise TypeError(
                f"data: this tensor requires grad, so .data must stay floating point; got an "
                f"array of dtype {value.dtype} (shape {value.shape})"
            )
        self._d = value

    grad = property(
        operator.attrgetter("_g"),
        doc="""The gradient accumulated by backward (a Tensor of this tensor's shape and
        dtype), or None. Assigning a Tensor of another shape or dtype raises.

        >>> x = tg.ones(2, requires_grad=True)
        >>> (x * 3).sum().backward(); x.grad.tolist()
        [3.0, 3.0]
        """,
    )

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"grad: assigned grad must be a Tensor or None, got {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise ShapeError(
                    f"grad: attempting to assign a gradient of shape {value.shape} to a tensor "
                    f"of shape {self.shape}; the gradient and the tensor must have the same shape"
                )
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"grad: attempting to assign a gradient of dtype {value.dtype} (shape "
                    f"{value.shape}) to a tensor of dtype {self.dtype} (shape {self.shape}); "
                    f"cast it first (g.astype({str(self.dtype)!r}))"
                )
        self._g = value

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has seen (as PyTorch's ``_version``).

        >>> x = tg.zeros(2); x.add_(1); x._version
        Tensor([1., 1.], shape=(2,), dtype=float32)
        1
        """
        vc = self._vc
        return 0 if vc is None else vc.v

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
        if dim is None:
            return self.shape
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size: dim must be an int, got {type(dim).__name__}")
        if self.ndim == 0:  # PyTorch's IndexError
            raise IndexError(f"size: Dimension specified as {dim} but tensor has no dimensions")
        (d,) = normalize_dims(dim, self.ndim, "size")
        return self.shape[d]

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
        requires_grad = truth_value(requires_grad, "requires_grad", "requires_grad_")
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
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's data but cut out of the graph (no gradient flows).

        >>> x = tg.ones(2, requires_grad=True)
        >>> (x * 2).detach().requires_grad
        False

        It shares the version counter too: changing it in place is seen by backward.
        """
        out = Tensor._wrap(self._d, False)
        vc = self._vc
        if vc is None:
            vc = self._vc = autograd.VersionCounter()
        out._vc = vc
        return out

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
        g = graph.default_grad(self, gradient, "backward")
        graph.run_backward([self], [g], retain_graph or create_graph, create_graph)

    # -- copies -----------------------------------------------------------------------------
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

        >>> t = tg.zeros(2, 3).T
        >>> t.numpy().flags.c_contiguous, t.contiguous().numpy().flags.c_contiguous
        (False, True)
        """
        if self.data.flags.c_contiguous:
            return self
        return layout.Contiguous.apply(self)


autograd.Tensor = Tensor


class _HookHandle:
    def __init__(self, hooks: dict, key: int) -> None:
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


# -- free functions on tensors ---------------------------------------------------------------


def _tensor_sequence(tensors: Any, op: str) -> list[Tensor]:
    """The tensors of a cat/stack call: a non-empty list or tuple (arrays and numbers are
    converted), or a TypeError/ValueError naming ``op``."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}: tensors must be a list or tuple of Tensors, got {type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    out = []
    for i, t in enumerate(tensors):
        try:
            out.append(t if isinstance(t, Tensor) else Tensor(t))
        except (TypeError, ValueError) as e:
            raise TypeError(f"{op}: element {i} of tensors is not a tensor ({e})") from None
    return out


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension.

    >>> import tinygrad_cnn as tg
    >>> tg.cat([tg.zeros(2, 3), tg.ones(1, 3)]).shape
    (3, 3)
    """
    tensors = _tensor_sequence(tensors, "cat")
    nd = tensors[0].ndim
    if nd == 0:
        raise ValueError("cat: 0-d tensors cannot be concatenated; use stack instead")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"cat: dim must be an int, got {type(dim).__name__}")
    (d,) = normalize_dims(dim, nd, "cat")
    for t in tensors:
        if (
            t.ndim != nd
            or t.shape[:d] + t.shape[d + 1 :] != tensors[0].shape[:d] + tensors[0].shape[d + 1 :]
        ):
            raise ShapeError(
                f"cat: shapes {[t.shape for t in tensors]} differ outside dim {dim}; all "
                "dimensions but the joined one must match"
            )
    return movement.Cat.apply(*tensors, dim=d)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along a new dimension.

    >>> import tinygrad_cnn as tg
    >>> tg.stack([tg.zeros(2), tg.ones(2)], dim=1).shape
    (2, 2)
    """
    tensors = _tensor_sequence(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    nd = tensors[0].ndim + 1
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"stack: dim must be an int, got {type(dim).__name__}")
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
    if not isinstance(tensor, Tensor):
        raise TypeError(f"split: input must be a Tensor, got {type(tensor).__name__}")
    return tensor.split(split_size_or_sections, dim)


def chunk(tensor: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split ``tensor`` along ``dim`` into ``chunks`` pieces of (nearly) equal size.

    >>> [t.shape for t in chunk(tg.zeros(4, 2), 2, dim=0)]
    [(2, 2), (2, 2)]
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"chunk: input must be a Tensor, got {type(tensor).__name__}")
    return tensor.chunk(chunks, dim)
