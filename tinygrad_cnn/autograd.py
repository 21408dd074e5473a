"""The engine: `Function` (one primitive op), grad mode, and the graph walk behind backward().

A Function's ``forward`` computes on raw numpy arrays; its ``backward`` receives the output's
gradient as a Tensor and returns one gradient Tensor (or None) per positional input, written
with the framework's own differentiable ops. With ``create_graph=False`` the engine runs backward
under no_grad, so nothing is recorded; with ``create_graph=True`` the gradients are themselves
part of a graph, which is what makes higher-order derivatives work.
"""

from __future__ import annotations

import threading
import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

# --------------------------------------------------------------------------------------------
# grad mode (thread-local)
# --------------------------------------------------------------------------------------------


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.module_stack: list[Any] = []


_state = _State()
_tensor_cls: Any = None  # set by tensor.py (Tensor imports this module, not the reverse)


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default).

    >>> import tinygrad_cnn as tg
    >>> with tg.no_grad():
    ...     print(tg.is_grad_enabled())
    False
    >>> tg.is_grad_enabled()
    True
    """
    return _state.grad_enabled


class set_grad_enabled:
    """Turn graph recording on or off, as a context manager, a decorator or a plain call.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0], requires_grad=True)
    >>> with tg.set_grad_enabled(False):
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        self.prev = _state.grad_enabled
        self.mode = bool(mode)
        _state.grad_enabled = self.mode

    def __enter__(self) -> set_grad_enabled:
        return self

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode
        _state.grad_enabled = self.prev  # used as a decorator: do not change the mode now

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = fn.__doc__
        return wrapper


class _GradModeContext:
    mode = True

    def __enter__(self) -> _GradModeContext:
        self.prev = _state.grad_enabled
        _state.grad_enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        ctx_type = type(self)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with ctx_type():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = fn.__doc__
        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator: ops inside record nothing.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: turn recording back on inside a no_grad block.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     with tg.enable_grad():
    ...         (x * 2).requires_grad
    True
    """

    mode = True


# --------------------------------------------------------------------------------------------
# Function
# --------------------------------------------------------------------------------------------


class _SavedOutput:
    """Marks a saved array that is the op's own output (kept as a weak reference: no cycle)."""

    __slots__ = ()


_SAVED_OUTPUT = _SavedOutput()


def _freed_message(ctx: Function) -> str:
    return (
        f"{type(ctx).__name__}: trying to backward through the graph a second time (or to read "
        "saved tensors after they were freed). Saved intermediate values are freed after "
        "backward(); pass retain_graph=True to the first backward() call if you need to "
        "backward through the graph again."
    )


class Function:
    """Base class of every primitive op, and of users' custom ops.

    Subclass it with ``forward(self, *arrays, **options)`` returning a numpy array and
    ``backward(self, grad)`` returning one gradient Tensor (or None) per positional input of
    forward. Call it with ``MyOp.apply(*tensors, **options)``. Inside forward,
    ``self.save_for_backward(*arrays)`` keeps what backward needs: an input's array comes back
    as that input Tensor, the output array as the output Tensor, so a backward written with
    Tensor ops is differentiable again (higher-order gradients).

    >>> import numpy as np, tinygrad_cnn as tg
    >>> class Cube(tg.Function):
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x ** 3
    ...     def backward(self, grad):
    ...         (x,) = self.saved_tensors
    ...         return grad * 3 * x * x
    >>> x = tg.Tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad.tolist()
    [12.0]
    """

    # set on each instance by apply()
    inputs: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]

    def forward(self, *args: Any, **kwargs: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad: Tensor) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    # -- saved state -----------------------------------------------------------------------
    def save_for_backward(self, *items: Any) -> None:
        self._saved_raw = items

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if getattr(self, "_freed", False):
            raise RuntimeError(_freed_message(self))
        saved = self.__dict__.get("_saved")
        if saved is None:
            return ()
        out = []
        for s in saved:
            if s is _SAVED_OUTPUT:
                ref = self._output_ref
                s = ref() if ref is not None else None
                if s is None:
                    raise RuntimeError(
                        f"{type(self).__name__}: the output saved for backward no longer exists"
                    )
            out.append(s)
        return tuple(out)

    def _resolve_saved(self, out_data: np.ndarray, orig_out: Any) -> None:
        Tensor = _tensor_cls
        raw = self.__dict__.pop("_saved_raw")
        resolved = []
        for item in raw:
            if item is orig_out or item is out_data:
                resolved.append(_SAVED_OUTPUT)
                continue
            if isinstance(item, np.generic):
                item = np.asarray(item)
            if type(item) is np.ndarray:
                if item is out_data:
                    resolved.append(_SAVED_OUTPUT)
                    continue
                for t in self.inputs:
                    if type(t) is not np.ndarray and getattr(t, "data", None) is item:
                        resolved.append(t)
                        break
                else:
                    resolved.append(Tensor._wrap(item, False))
            else:
                resolved.append(item)
        self._saved = tuple(resolved)

    def _release(self) -> None:
        self.__dict__.pop("_saved", None)
        self._freed = True

    @property
    def name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """Key settings shown by the graph renderer (subclasses may override)."""
        return ""

    # -- apply -----------------------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        Tensor = _tensor_cls
        ctx = cls()
        ctx.inputs = args
        raw, needs = [], []
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a.data)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        state = _state
        ctx.needs_input_grad = tuple(needs)
        record = state.grad_enabled and any(needs)
        out_data = orig_out = ctx.forward(*raw, **kwargs)
        if type(out_data) is not np.ndarray:  # numpy turns 0-d results into scalars
            out_data = np.asarray(out_data)
        if not record:
            if state.anomaly:
                _check_forward_anomaly(ctx, args, out_data)
            return Tensor._wrap(out_data, False)
        if "_saved_raw" in ctx.__dict__:
            ctx._resolve_saved(out_data, orig_out)
        out = Tensor._wrap(out_data, True)
        out._ctx = ctx
        ctx._output_ref = weakref.ref(out)
        stack = state.module_stack
        ctx.module = stack[-1] if stack else None
        if state.anomaly:
            ctx._trace = traceback.format_stack()[:-1]
            _check_forward_anomaly(ctx, args, out_data)
        return out


# --------------------------------------------------------------------------------------------
# anomaly detection
# --------------------------------------------------------------------------------------------


class detect_anomaly:
    """Context manager: raise at the first op that produces NaN/Inf from finite inputs.

    In forward the error names the op, its input shapes and the calling source line; in
    backward it names the op whose gradient became non-finite and shows where that op was
    created in forward.

    >>> import tinygrad_cnn as tg
    >>> with tg.detect_anomaly():
    ...     tg.Tensor([0.0]).log()
    Traceback (most recent call last):
    ...
    FloatingPointError: Log produced -inf ...
    """

    def __enter__(self) -> detect_anomaly:
        self.prev = _state.anomaly
        _state.anomaly = True
        self._err = np.seterr(all="ignore")
        return self

    def __exit__(self, *exc: object) -> None:
        _state.anomaly = self.prev
        np.seterr(**self._err)


def _user_frame() -> str:
    import os

    pkg = os.path.dirname(os.path.abspath(__file__))
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(pkg):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown>"


def _describe_bad(arr: np.ndarray) -> str:
    if np.isnan(arr).any():
        return "NaN"
    return "+inf" if np.isposinf(arr).any() else "-inf"


def _check_forward_anomaly(ctx: Function, args: Sequence[Any], out_data: Any) -> None:
    from .tensor import Tensor

    if not isinstance(out_data, np.ndarray) or out_data.dtype.kind != "f":
        return
    if np.isfinite(out_data).all():
        return
    ins = [a for a in args if isinstance(a, Tensor)]
    if not all(a.data.dtype.kind != "f" or np.isfinite(a.data).all() for a in ins):
        return
    shapes = ", ".join(str(tuple(a.shape)) for a in ins)
    raise FloatingPointError(
        f"{ctx.name} produced {_describe_bad(out_data)} from finite inputs of shapes {shapes}; "
        f"called from {_user_frame()}"
    )


def _check_backward_anomaly(ctx: Function, grads: Sequence[Any]) -> None:
    for g in grads:
        if g is None:
            continue
        arr = g.data
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            where = "".join(getattr(ctx, "_trace", ["(no forward trace recorded)\n"]))
            raise FloatingPointError(
                f"{ctx.name} backward returned {_describe_bad(arr)} in a gradient of shape "
                f"{tuple(arr.shape)}. The op was created in forward at:\n{where}"
            )


# --------------------------------------------------------------------------------------------
# the graph walk
# --------------------------------------------------------------------------------------------


def _topo_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Non-leaf tensors reachable from roots, each once, outputs before inputs (iterative)."""
    from .tensor import Tensor

    order: list[Tensor] = []
    visited: set[int] = set()
    for root in roots:
        if root._ctx is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack: list[tuple[Tensor, int]] = [(root, 0)]
        while stack:
            node, i = stack[-1]
            inputs = node._ctx.inputs
            while i < len(inputs):
                child = inputs[i]
                i += 1
                if (
                    isinstance(child, Tensor)
                    and child._ctx is not None
                    and id(child) not in visited
                ):
                    visited.add(id(child))
                    stack[-1] = (node, i)
                    stack.append((child, 0))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def run_backward(
    roots: Sequence[Tensor],
    grad_roots: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
) -> list[Tensor | None] | None:
    """Propagate grad_roots from roots. With ``inputs`` given, return their gradients instead
    of accumulating into leaves' ``.grad`` (what ``grad()`` does)."""
    from .tensor import Tensor

    grads: dict[int, Tensor] = {}
    for r, g in zip(roots, grad_roots):
        grads[id(r)] = grads[id(r)] + g if id(r) in grads else g
    wanted = {id(t) for t in inputs} if inputs is not None else None
    captured: dict[int, Tensor] = {}
    # leaf gradients are summed first, so a leaf's hooks see its whole gradient once
    leaves: dict[int, tuple[Tensor, Tensor]] = {}

    def add_leaf(t: Tensor, g: Tensor) -> None:
        prev = leaves.get(id(t))
        leaves[id(t)] = (t, g if prev is None else prev[1] + g)

    with set_grad_enabled(create_graph):
        for t in roots:
            if t._ctx is None and t.requires_grad and id(t) in grads:
                add_leaf(t, grads.pop(id(t)))
        for node in _topo_order(roots):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._hooks:
                g = _run_hooks(node, g)
            if wanted is not None:
                if id(node) in wanted:
                    captured[id(node)] = g
            elif node._retains_grad:
                node.grad = g if create_graph else g.detach()
            ctx = node._ctx
            if getattr(ctx, "_freed", False):
                raise RuntimeError(_freed_message(ctx))
            if _state.anomaly:
                # NOTE: blame the op whose backward went non-finite (checked below), not the
                # primitive inside that backward that happened to compute the inf
                _state.anomaly = False
                try:
                    in_grads = ctx.backward(g)
                finally:
                    _state.anomaly = True
            else:
                in_grads = ctx.backward(g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if len(in_grads) != len(ctx.inputs):
                raise RuntimeError(
                    f"{ctx.name}.backward returned {len(in_grads)} gradients but forward took "
                    f"{len(ctx.inputs)} positional inputs"
                )
            if _state.anomaly:
                _check_backward_anomaly(ctx, in_grads)
            if not retain_graph:
                ctx._release()
            for inp, ig in zip(ctx.inputs, in_grads):
                if ig is None or not isinstance(inp, Tensor) or not inp.requires_grad:
                    continue
                if not isinstance(ig, Tensor):
                    ig = Tensor(ig)
                if ig.shape != inp.shape:
                    ig = _reduce_to_shape(ig, inp.shape, ctx.name)
                if ig.data.dtype != inp.data.dtype:
                    ig = ig.astype(inp.data.dtype)
                if inp._ctx is None:
                    add_leaf(inp, ig)
                else:
                    k = id(inp)
                    grads[k] = grads[k] + ig if k in grads else ig
        for t, g in leaves.values():
            if t._hooks:
                g = _run_hooks(t, g)
            if wanted is not None:
                if id(t) in wanted:
                    captured[id(t)] = g
            elif t.grad is None:
                # NOTE: copy, since one gradient array may be shared by several inputs (add)
                t.grad = g if create_graph else Tensor._wrap(np.array(g.data, copy=True), False)
            elif create_graph:
                t.grad = t.grad + g
            else:
                t.grad = Tensor._wrap(t.grad.data + g.data, False)
    if inputs is None:
        return None
    result: list[Tensor | None] = []
    for t in inputs:
        g = captured.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(
                "grad: one of the differentiated tensors (shape "
                f"{tuple(t.shape)}) was not used in the graph; pass allow_unused=True to get None"
            )
        result.append(g)
    return result


def _run_hooks(t: Tensor, g: Tensor) -> Tensor:
    for hook in list(t._hooks.values()):
        new = hook(g)
        if new is not None:
            g = new
    return g


def _reduce_to_shape(g: Tensor, shape: tuple[int, ...], opname: str) -> Tensor:
    """The one place where a broadcast gradient is summed back to its input's shape."""
    from .ops.reduce import SumTo

    try:
        np.broadcast_shapes(shape, g.shape)
    except ValueError:
        raise RuntimeError(
            f"{opname}.backward returned a gradient of shape {tuple(g.shape)} for an input of "
            f"shape {tuple(shape)}"
        ) from None
    if np.broadcast_shapes(shape, g.shape) != tuple(g.shape):
        raise RuntimeError(
            f"{opname}.backward returned a gradient of shape {tuple(g.shape)} for an input of "
            f"shape {tuple(shape)}"
        )
    return SumTo.apply(g, shape=tuple(shape))


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> (dx,) = tg.grad(x ** 3, x, create_graph=True)
    >>> (d2x,) = tg.grad(dx, x)
    >>> dx.item(), d2x.item()
    (12.0, 12.0)
    """
    from .tensor import Tensor

    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        gos: list[Tensor | None] = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor):
        gos = [grad_outputs]
    else:
        gos = list(grad_outputs)
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError(
                f"grad: an input of shape {tuple(t.shape)} does not require grad; "
                "create it with requires_grad=True"
            )
    roots, groots = [], []
    for o, go in zip(outs, gos):
        if not o.requires_grad:
            raise RuntimeError(
                f"grad: output of shape {tuple(o.shape)} does not require grad (it was computed "
                "under no_grad or from tensors that do not require grad)"
            )
        roots.append(o)
        groots.append(_default_grad(o, go, "grad"))
    if retain_graph is None:
        retain_graph = create_graph
    return tuple(run_backward(roots, groots, retain_graph, create_graph, ins, allow_unused))


def _default_grad(out: Tensor, gradient: Any, opname: str) -> Tensor:
    from .tensor import Tensor

    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"{opname}: gradient can be implicitly created only for scalar outputs, but the "
                f"output has shape {tuple(out.shape)}; pass gradient=<tensor of that shape> "
                "(or reduce the output, e.g. .sum())"
            )
        return Tensor._wrap(np.ones_like(out.data), False)
    if not isinstance(gradient, Tensor):
        gradient = Tensor(np.asarray(gradient, dtype=out.data.dtype))
    if gradient.shape != out.shape:
        raise RuntimeError(
            f"{opname}: gradient has shape {tuple(gradient.shape)} but the output has shape "
            f"{tuple(out.shape)}; they must match"
        )
    return gradient
