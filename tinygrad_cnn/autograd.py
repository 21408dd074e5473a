"""The engine's recording side: grad mode, `Function` (one primitive op), composite-op calls and
anomaly detection. The walk back through what was recorded is in ``graph.py``.

A Function's ``forward`` computes on raw numpy arrays; its ``backward`` receives the output's
gradient as a Tensor and returns one gradient Tensor (or None) per positional input, written
with the framework's own differentiable ops, reading its inputs from ``self.inputs`` and its
result from ``self.output``. With ``create_graph=False`` the engine runs backward under no_grad,
so nothing is recorded; with ``create_graph=True`` the gradients are themselves part of a graph,
which is what makes higher-order derivatives work.
"""

from __future__ import annotations

import functools
import inspect
import threading
import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor
else:
    Tensor: Any = None  # the one way this module reaches Tensor: tensor.py sets it on import

# --------------------------------------------------------------------------------------------
# grad mode (thread-local)
# --------------------------------------------------------------------------------------------


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.module_stack: list[Any] = []
        self.composite_stack: list[CompositeCall] = []
        self.tracer: Any = None  # tinygrad_cnn/jit: its recorder while tg.compile records a step


_state = _State()


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
# version counters: what an in-place op bumps, and what backward checks
# --------------------------------------------------------------------------------------------


class VersionCounter:
    """How many in-place writes a storage has seen; shared by a tensor, its views and detach()."""

    __slots__ = ("v",)

    def __init__(self) -> None:
        self.v = 0


def link_view(out: Any, args: Sequence[Any]) -> None:
    """Give ``out`` (whose array is a numpy view) the version counter of the input it views.
    (numpy points a view of a view at the array that owns the memory, so one look suffices.)"""
    owner = out._d.base
    for a in args:
        if isinstance(a, Tensor) and (owner is a._d or owner is a._d.base):
            vc = a._vc
            if vc is None:
                vc = a._vc = VersionCounter()
            out._vc = vc
            out._base = a if a._base is None else a._base
            return


def version_error(ctx: Function, t: Any, which: str, expected: int) -> RuntimeError:
    """PyTorch's error for a tensor changed in place after an op saved it for backward."""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.dtype} {list(t.shape)}], which is {which} of {ctx.name}, is at version "
        f"{t._version}; expected version {expected} instead. Hint: {ctx.name} read this tensor "
        "in forward and needs it unchanged in backward, but an in-place op (x += ..., "
        "x.add_(...), x[i] = ..., x.zero_(), x.relu_(), ...) changed it since; do that change "
        "on a copy instead (x = x + ..., or x.clone() before changing it)"
    )


def _versions_and_parents(args: Sequence[Any]) -> tuple[list[int], list[Any]]:
    versions, parents = [], []
    for a in args:
        if isinstance(a, Tensor):
            vc = a._vc
            versions.append(0 if vc is None else vc.v)
            parents.append(a._ctx)
        else:
            versions.append(-1)
            parents.append(None)
    return versions, parents


class _CheckedInputs(tuple):
    """A Function's inputs during its backward when some input changed in place since forward:
    reading a changed one raises PyTorch's version error (reading the others is fine)."""

    def _check(self, positions: Any) -> None:
        ctx = self.ctx
        for i in positions:
            t = tuple.__getitem__(self, i)
            want = ctx._versions[i]
            if want >= 0 and t._version != want:
                raise version_error(ctx, t, f"input {i}", want)

    def __getitem__(self, i: Any) -> Any:
        self._check(range(len(self))[i] if isinstance(i, slice) else (i,))
        return tuple.__getitem__(self, i)

    def __iter__(self) -> Any:
        self._check(range(len(self)))
        return tuple.__iter__(self)


# --------------------------------------------------------------------------------------------
# Function
# --------------------------------------------------------------------------------------------


def freed_message(ctx: Function) -> str:
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
    forward. Call it with ``MyOp.apply(*tensors, **options)``. Backward reads its inputs as
    Tensors from ``self.inputs`` and the result from ``self.output``, so a backward written with
    Tensor ops is differentiable again (higher-order gradients). ``self.save_for_backward(...)``
    keeps intermediate arrays that backward needs (read back, as Tensors, from
    ``self.saved_tensors``); they are freed after backward.

    >>> import numpy as np, tinygrad_cnn as tg
    >>> class Cube(tg.Function):
    ...     def forward(self, x):
    ...         return x ** 3
    ...     def backward(self, grad):
    ...         (x,) = self.inputs
    ...         return grad * 3 * x * x
    >>> x = tg.Tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad.tolist()
    [12.0]
    """

    # set on each instance by apply()
    inputs: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]
    module: Any = None  # the Module whose forward was running, for drawing
    composite: CompositeCall | None = None  # the composite op (conv2d, ...) this op is part of
    _output_ref: Any = None
    _saved: tuple[Any, ...] = ()
    _freed: bool = False
    # versions of the Tensor inputs (-1: not a Tensor) and of the output when recorded
    _versions: Sequence[int] = ()
    _parents: Sequence[Any] = ()
    _out_version: int = 0
    _in_backward: bool = False

    def forward(self, *args: Any, **kwargs: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad: Tensor) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    # -- state for backward ------------------------------------------------------------------
    @property
    def output(self) -> Tensor:
        """The Tensor this op produced (held weakly: the graph makes no reference cycle)."""
        out = self._output_ref() if self._output_ref is not None else None
        if out is None:
            raise RuntimeError(f"{self.name}: the output of this op no longer exists")
        if self._in_backward and out._version != self._out_version:
            raise version_error(self, out, "output 0", self._out_version)
        return out

    def stale_inputs(self) -> bool:
        """True when some Tensor input changed in place since forward."""
        for t, want in zip(self.inputs, self._versions):
            if want >= 0:
                vc = t._vc
                if (0 if vc is None else vc.v) != want:
                    return True
        return False

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep intermediate arrays for backward; freed once backward has run."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        """What ``save_for_backward`` kept, as Tensors. An input's own array comes back as that
        input Tensor and the output's array as the output, so custom ops that save them stay
        differentiable to higher order."""
        if self._freed:
            raise RuntimeError(freed_message(self))
        return tuple(self._as_tensor(a) for a in self._saved)

    def _as_tensor(self, item: Any) -> Any:
        if isinstance(item, Tensor):
            return item
        if not isinstance(item, (np.ndarray, np.generic)):
            return item
        for i, t in enumerate(tuple.__iter__(self.inputs)):
            if isinstance(t, Tensor) and t.data is item:
                return self.inputs[i]  # (version-checked during backward)
        out = self._output_ref() if self._output_ref is not None else None
        if out is not None and out.data is item:
            return self.output
        return Tensor._wrap(np.asarray(item), False)

    def release(self) -> None:
        """Free what was saved for backward (called by the engine after backward)."""
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
        ctx = cls()
        ctx.inputs = args
        raw, needs = [], []
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._d)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        state = _state
        ctx.needs_input_grad = tuple(needs)
        record = state.grad_enabled and any(needs)
        out_data = ctx.forward(*raw, **kwargs)
        if type(out_data) is not np.ndarray:  # numpy turns 0-d results into scalars
            out_data = np.asarray(out_data)
        if state.anomaly:
            _check_forward_anomaly(ctx, args, out_data)
        if state.tracer is not None:  # tg.compile is recording a step (tinygrad_cnn/jit)
            state.tracer.kernel(ctx, args, kwargs, out_data)
        out = Tensor._wrap(out_data, record)
        if out_data.base is not None:  # a view of an input shares its version counter
            link_view(out, args)
        if not record:
            return out
        # each input's version and the op that made it, as they are now: an in-place op may
        # change the input later (backward checks the version) and give the object a new op
        ctx._versions, ctx._parents = _versions_and_parents(args)
        vc = out._vc
        if vc is not None:
            ctx._out_version = vc.v
        out._ctx = ctx
        ctx._output_ref = weakref.ref(out)
        if state.module_stack:
            ctx.module = state.module_stack[-1]
        if state.composite_stack:
            ctx.composite = state.composite_stack[-1]
        if state.anomaly:
            ctx._trace = traceback.format_stack()[:-1]
        return out


# --------------------------------------------------------------------------------------------
# composite ops: calls such as conv2d or cross_entropy, built from primitives
# --------------------------------------------------------------------------------------------


class CompositeCall:
    """One call of a composite op as the user wrote it (``F.conv2d(x, w, stride=2)``).

    Every Function recorded during the call points to it (``Function.composite``), so the graph
    renderer can draw the call as one node and the ONNX exporter can map it to one ONNX node.
    ``arguments`` binds the call's arguments to the op's parameter names (computed on demand:
    recording costs one small object per call).
    """

    __slots__ = ("name", "fn", "args", "kwargs", "parent", "_output_ref", "__weakref__")

    def __init__(self, name: str, fn: Callable, args: tuple, kwargs: dict, parent: Any) -> None:
        self.name, self.fn, self.args, self.kwargs, self.parent = name, fn, args, kwargs, parent
        self._output_ref: Any = None

    @property
    def arguments(self) -> dict[str, Any]:
        """Every parameter of the op by name, defaults filled in."""
        bound = inspect.signature(self.fn).bind(*self.args, **self.kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The Tensors among the call's arguments, in call order (e.g. input, weight, bias)."""
        vals = list(self.args) + list(self.kwargs.values())
        return tuple(v for v in vals if isinstance(v, Tensor))

    @property
    def output(self) -> Tensor | None:
        """The Tensor the call returned (the first one, for a tuple), if it is still alive."""
        return self._output_ref() if self._output_ref is not None else None

    @property
    def outermost(self) -> CompositeCall:
        """The outermost composite call around this one (what the user wrote)."""
        call = self
        while call.parent is not None:
            call = call.parent
        return call

    def __repr__(self) -> str:
        return f"<CompositeCall {self.name}>"


def name_the_op(e: BaseException, name: str) -> None:
    """Prefix an error's message with the op the user called, unless it names it already."""
    if e.args and isinstance(e.args[0], str) and name not in e.args[0]:
        e.args = (f"{name}: {e.args[0]}",) + e.args[1:]


def composite(name: str) -> Callable[[Callable], Callable]:
    """Mark a function built from primitives as one op named ``name`` for drawing and export.

    >>> import tinygrad_cnn as tg
    >>> @tg.autograd.composite("double")
    ... def double(x):
    ...     return x * 2
    >>> y = double(tg.ones(2, requires_grad=True))
    >>> y.grad_fn.composite.name
    'double'
    """

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            state = _state
            try:
                if not state.grad_enabled:  # nothing is recorded: nothing to mark
                    return fn(*args, **kwargs)
                stack = state.composite_stack
                rec = CompositeCall(name, fn, args, kwargs, stack[-1] if stack else None)
                stack.append(rec)
                try:
                    out = fn(*args, **kwargs)
                finally:
                    stack.pop()
            except (ValueError, TypeError, RuntimeError, IndexError) as e:
                name_the_op(e, name)  # a user called `name`: say so, not only its inner op
                raise
            first = out[0] if isinstance(out, tuple) and out else out
            if isinstance(first, Tensor):
                rec._output_ref = weakref.ref(first)
            return out

        return call

    return wrap


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


def check_backward_anomaly(ctx: Function, grads: Sequence[Any]) -> None:
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
