"""Top-level functions mirroring Tensor methods (``tg.sum(x, 1)`` is ``x.sum(1)``), the
functions PyTorch has no method for (meshgrid, broadcast_tensors, searchsorted, bucketize,
one-argument where), and ``inference_mode``. The elementwise maths and activations have their
function forms in ``functions_pointwise.py``.

>>> import tinygrad_cnn as tg
>>> x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
>>> tg.sum(x, 1).tolist(), tg.flatten(x).shape, tg.argmax(x).item()
([3.0, 7.0], (4,), 3)
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ._errors import guard
from ._tensor_linalg import einsum, tensordot
from ._tensor_pointwise import where as _where3
from .autograd import no_grad
from .nn.functional import _tensor_method
from .ops._util import const
from .tensor import Tensor, cat

__all__ = ["einsum", "tensordot"]


# NOTE: the loop below defines sum, any, all, max, min, ... in this module: use builtins.X here
_METHODS = """
sum mean prod amax amin argmax argmin var std var_mean std_mean logsumexp norm count_nonzero
all any softmax log_softmax
cumsum cumprod cummax cummin logcumsumexp sort argsort msort topk kthvalue median mode
gather scatter scatter_add scatter_reduce index_select index_add take take_along_dim
masked_fill masked_select nonzero argwhere
reshape flatten unflatten squeeze unsqueeze permute transpose swapaxes swapdims movedim moveaxis
t narrow select unbind tensor_split tile repeat_interleave flip fliplr flipud rot90
roll broadcast_to tril triu diag diagonal diag_embed trace
matmul mm bmm mv dot inner outer ger addmm baddbmm addmv kron det inverse
clone detach unique diff
aminmax nansum nanmean ravel hsplit vsplit dsplit bincount index_fill index_copy
unique_consecutive vdot addr addbmm cross matrix_power slogdet logdet
""".split()

for _name in _METHODS:
    globals()[_name] = guard(_tensor_method(getattr(Tensor, _name)))
__all__ += _METHODS


def max(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 (PyTorch's name)
    """``tg.max(x)``, ``tg.max(x, dim)`` as ``x.max(...)``; ``tg.max(x, other)`` with a tensor
    is the elementwise ``maximum``.

    >>> tg.max(tg.Tensor([1.0, 3.0]), tg.Tensor([2.0, 0.0])).tolist()
    [2.0, 3.0]
    """
    if args and isinstance(args[0], Tensor):
        return input.maximum(args[0])
    return input.max(*args, **kwargs)


def min(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """``tg.min(x)``, ``tg.min(x, dim)`` as ``x.min(...)``; ``tg.min(x, other)`` with a tensor
    is the elementwise ``minimum``.

    >>> tg.min(tg.Tensor([1.0, 3.0]), tg.Tensor([2.0, 0.0])).tolist()
    [1.0, 0.0]
    """
    if args and isinstance(args[0], Tensor):
        return input.minimum(args[0])
    return input.min(*args, **kwargs)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """``tg.where(cond, x, y)`` picks elementwise; ``tg.where(cond)`` is
    ``cond.nonzero(as_tuple=True)``.

    >>> [t.tolist() for t in tg.where(tg.Tensor([0.0, 2.0, 3.0]) > 1)]
    [[1, 2]]
    """
    if input is None and other is None:
        cond = condition if isinstance(condition, Tensor) else Tensor(condition)
        return cond.nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: give both input and other, or only the condition")
    return _where3(condition, input, other)


def concat(tensors: Any, dim: int = 0) -> Tensor:
    """Alias of ``cat``.

    >>> tg.concat([tg.zeros(1, 2), tg.ones(1, 2)]).shape
    (2, 2)
    """
    return cat(tensors, dim)


concatenate = concat


def atleast_1d(*tensors: Tensor) -> Any:
    """Each tensor with at least 1 dimension (one tensor in, one out).

    >>> tg.atleast_1d(tg.tensor(3.0)).shape
    (1,)
    """
    return _at_least(tensors, 1, lambda t: t.reshape(1))


def atleast_2d(*tensors: Tensor) -> Any:
    """Each tensor with at least 2 dimensions (a 1-D one becomes a row).

    >>> tg.atleast_2d(tg.ones(3)).shape
    (1, 3)
    """
    return _at_least(tensors, 2, lambda t: t.reshape(1, -1))


def atleast_3d(*tensors: Tensor) -> Any:
    """Each tensor with at least 3 dimensions ((n,) -> (1, n, 1), (m, n) -> (m, n, 1)).

    >>> tg.atleast_3d(tg.ones(2, 3)).shape
    (2, 3, 1)
    """

    def up(t: Tensor) -> Tensor:
        return t.reshape(1, -1, 1) if t.ndim < 2 else t.unsqueeze(-1)

    return _at_least(tensors, 3, up)


def _at_least(tensors: tuple, n: int, up: Callable) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = tuple(t if t.ndim >= n else up(t) for t in tensors)
    return out[0] if len(out) == 1 else out


def hstack(tensors: Any) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors).

    >>> tg.hstack([tg.ones(2), tg.zeros(3)]).shape
    (5,)
    """
    ts = atleast_1d(*tensors)
    ts = ts if isinstance(ts, tuple) else (ts,)
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    """Join along dim 0, 1-D tensors as rows.

    >>> tg.vstack([tg.ones(2), tg.zeros(2)]).shape
    (2, 2)
    """
    ts = atleast_2d(*tensors)
    return cat(ts if isinstance(ts, tuple) else (ts,), 0)


row_stack = vstack


def dstack(tensors: Any) -> Tensor:
    """Join along dim 2 (depth), after ``atleast_3d``.

    >>> tg.dstack([tg.ones(2, 2), tg.zeros(2, 2)]).shape
    (2, 2, 2)
    """
    ts = atleast_3d(*tensors)
    return cat(ts if isinstance(ts, tuple) else (ts,), 2)


def column_stack(tensors: Any) -> Tensor:
    """Join as columns: 1-D tensors become (n, 1) columns.

    >>> tg.column_stack([tg.ones(3), tg.zeros(3, 2)]).shape
    (3, 3)
    """
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in tensors], 1)


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix of the given (0-D, 1-D or 2-D) tensors (differentiable).

    >>> tg.block_diag(tg.ones(1, 2), tg.tensor(5.0)).tolist()
    [[1.0, 1.0, 0.0], [0.0, 0.0, 5.0]]
    """
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    if builtins.any(m.ndim != 2 for m in mats):
        raise RuntimeError(
            f"block_diag: expects 0-D, 1-D or 2-D tensors, got {[t.shape for t in tensors]}"
        )
    width = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        rows.append(m.pad((left, width - left - m.shape[1])))
        left += m.shape[1]
    return cat(rows, 0) if rows else Tensor(np.zeros((0, 0)))


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, one per row (differentiable).

    >>> tg.cartesian_prod(tg.tensor([1, 2]), tg.tensor([3, 4])).tolist()
    [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    if len(tensors) == 1:
        return tensors[0]
    from .tensor import stack

    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def numel(input: Tensor) -> int:
    """The number of elements.

    >>> tg.numel(tg.zeros(2, 3))
    6
    """
    return input.numel()


def is_tensor(obj: Any) -> bool:
    """True for a Tensor.

    >>> tg.is_tensor(tg.zeros(1)), tg.is_tensor([1])
    (True, False)
    """
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """True for a float16/32/64 tensor.

    >>> tg.is_floating_point(tg.zeros(1))
    True
    """
    return input.is_floating_point()


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to.

    >>> tg.broadcast_shapes((2, 1), (3,))
    (2, 3)
    """
    try:
        return tuple(
            np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes])
        )
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {shapes} cannot be broadcast") from None


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (differentiable).

    >>> [t.shape for t in tg.broadcast_tensors(tg.zeros(2, 1), tg.zeros(3))]
    [(2, 3), (2, 3)]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors: Tensor, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: with ``indexing="ij"`` output i varies along dim i;
    ``"xy"`` swaps the first two dims (as numpy's meshgrid). Differentiable.

    >>> gx, gy = tg.meshgrid(tg.arange(2), tg.arange(3), indexing="xy")
    >>> gx.shape, gy.tolist()
    ((3, 2), [[0, 0], [1, 1], [2, 2]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-D or 1-D tensors, got shape {t.shape}")
    ts = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    n = len(ts)
    grids = [
        t.reshape([-1 if j == i else 1 for j in range(n)]).expand(shape) for i, t in enumerate(ts)
    ]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def searchsorted(
    sorted_sequence: Any,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Any = None,
) -> Tensor:
    """Where each value of ``input`` would be inserted to keep ``sorted_sequence`` sorted
    (row by row when the sequence is N-D); ``right=True`` puts equal values after.

    >>> tg.searchsorted(tg.Tensor([1, 3, 5]), tg.Tensor([3, 6])).tolist()
    [1, 3]
    """
    seq = sorted_sequence
    seq = seq.data if isinstance(seq, Tensor) else np.asarray(seq)
    vals = input.data if isinstance(input, Tensor) else np.asarray(input)
    side = side or ("right" if right else "left")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if sorter is not None:
        order = sorter.data if isinstance(sorter, Tensor) else np.asarray(sorter)
        seq = np.take_along_axis(seq, order, -1)
    if seq.ndim <= 1:
        out = np.searchsorted(seq, vals, side=side)
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                f"searchsorted: sorted_sequence {seq.shape} and input {vals.shape} must share "
                "all but the last dimension"
            )
        flat_s = seq.reshape(-1, seq.shape[-1])
        flat_v = vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(flat_s, flat_v)])
        out = out.reshape(vals.shape)
    return const(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (``right=True``:
    boundaries[i-1] <= x < boundaries[i]).

    >>> tg.bucketize(tg.Tensor([1, 5, 9]), tg.Tensor([1, 5])).tolist()
    [0, 1, 2]
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape {boundaries.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


class inference_mode(no_grad):  # noqa: N801 (PyTorch's name)
    """Context manager and decorator: nothing is recorded (as ``no_grad``);
    ``inference_mode(False)`` leaves recording as it is.

    >>> x = tg.ones(2, requires_grad=True)
    >>> with tg.inference_mode():
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, mode: bool = True) -> None:
        self.active = bool(mode)

    def __enter__(self) -> inference_mode:
        if self.active:
            super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            super().__exit__(*exc)

    def __call__(self, fn: Callable) -> Callable:
        active = self.active

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(active):
                return fn(*args, **kwargs)

        return wrapper


__all__ += [
    "concat",
    "concatenate",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "hstack",
    "vstack",
    "row_stack",
    "dstack",
    "column_stack",
    "block_diag",
    "cartesian_prod",
    "max",
    "min",
    "where",
    "numel",
    "is_tensor",
    "is_floating_point",
    "broadcast_shapes",
    "broadcast_tensors",
    "meshgrid",
    "searchsorted",
    "bucketize",
    "inference_mode",
]

# the error boundary (see _errors.py) on the functions written here
for _name in __all__[2:]:
    if _name not in _METHODS and not isinstance(globals()[_name], type):
        globals()[_name] = guard(globals()[_name])
