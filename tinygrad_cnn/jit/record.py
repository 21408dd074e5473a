"""Recording one eager run of a step into a Program: the engine calls ``kernel`` for each op
forward (autograd.Function.apply) and ``leaf_grad`` for each gradient backward leaves on a
leaf (graph.py), and ``enter_backward``/``exit_backward`` around each op's backward.
Optimizer and scheduler calls are noted as host calls, and the ops of a module call that
changed the module's buffers as one part to re-run live (jit/live.py).

Arrays are told apart by identity. The recorder does not keep the arrays ops make alive (a
recording costs about what the eager step costs in memory): a weak reference drops an array's
number when it is freed, before its id can come back as another array's; the same for ops.
"""

from __future__ import annotations

import contextlib
import sys
import types
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import autograd
from ..nn.module import Module
from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from ..optim.optimizer import Optimizer
from .program import CONST, INPUT, MADE, TENSOR, HostCall, Kernel, LeafGrad, Pack, Program

_SKIP_ATTRS = frozenset({"inputs", "needs_input_grad", "_versions", "_parents", "_output_ref"})


class Recorder:
    """Builds a Program while a step runs eagerly (installed as ``autograd._state.tracer``)."""

    def __init__(self, inputs: list[Any]) -> None:
        self.kinds: list[str] = []
        self.values: list[Any] = []
        self.slot_of: dict[int, int] = {}
        self.refs: list[Any] = []  # weak references that forget freed arrays and ops
        self.instrs: list[Any] = []
        self.why = ""  # why the step cannot be replayed ('' while it can)
        self.host_depth = 0
        self.versions: dict[int, tuple[Any, int]] = {}
        self.modules: dict[int, tuple[Any, bool]] = {}
        self.ctx_index: dict[int, int] = {}  # id(op) -> index of its forward's Kernel
        self.bwd: list[tuple[int | None, int | None]] = []  # (forward index, grad slot)
        self.calls: dict[int, Any] = {}  # composite calls seen (kept alive: ids stay unique)
        for n, t in enumerate(inputs):
            self._new(INPUT, n, t._d)

    # -- slots ---------------------------------------------------------------------------
    def _new(self, kind: str, value: Any, obj: Any) -> int:
        self.kinds.append(kind)
        self.values.append(value)
        s = len(self.kinds) - 1
        if isinstance(obj, np.ndarray):
            self.slot_of[id(obj)] = s
            if kind == MADE:  # (the other kinds are held by self.values)
                self.refs.append(weakref.ref(obj, _forget(self.slot_of, id(obj), s)))
        return s

    def ref(self, v: Any) -> Any:
        """The slot of an op argument: a Tensor's array, an array, or a constant."""
        Tensor = autograd.Tensor
        if isinstance(v, Tensor):
            s = self.slot_of.get(id(v._d))
            if s is not None:
                return s
            self._watch(v)
            return self._new(TENSOR, v, v._d)
        if isinstance(v, np.ndarray):
            s = self.slot_of.get(id(v))
            return s if s is not None else self._new(CONST, v, v)
        if isinstance(v, (tuple, list)) and any(isinstance(x, np.ndarray) for x in v):
            return Pack(self.ref(x) for x in v)
        return self._new(CONST, v, v)

    def _watch(self, t: Any) -> None:
        if id(t) not in self.versions:
            self.versions[id(t)] = (weakref.ref(t, _forget(self.versions, id(t))), t._version)

    # -- engine hooks --------------------------------------------------------------------
    def kernel(self, ctx: Any, args: tuple, kwargs: dict, out: np.ndarray) -> None:
        if self.host_depth:
            return
        for a in args:
            if isinstance(a, autograd.Tensor):
                self._watch(a)
        state = autograd._state
        if state.composite_stack and not self.bwd:
            self._note_call(state.composite_stack[0])
        refs = tuple(self.ref(a) for a in args)
        kw = tuple((k, self.ref(v)) for k, v in kwargs.items())
        out_slot = self._new(MADE, None, out)
        fetch = []
        for attr, v in ctx.__dict__.items():
            if attr in _SKIP_ATTRS:
                continue
            if isinstance(v, np.ndarray) and id(v) not in self.slot_of:
                fetch.append((attr, None, self._new(MADE, None, v)))
            elif isinstance(v, tuple):
                for i, x in enumerate(v):
                    if isinstance(x, np.ndarray) and id(x) not in self.slot_of:
                        fetch.append((attr, i, self._new(MADE, None, x)))
        needs = tuple(ctx.needs_input_grad)
        label = _label(ctx)
        ins = Kernel(type(ctx), refs, kw, out_slot, tuple(fetch), needs, state.grad_enabled, label)
        if self.bwd:
            ins.seg = ("bwd",) + self.bwd[-1]
        elif state.composite_stack:
            ins.seg = ("call", state.composite_stack[0])
        self.ctx_index[id(ctx)] = len(self.instrs)
        self.refs.append(weakref.ref(ctx, _forget(self.ctx_index, id(ctx))))
        self.instrs.append(ins)

    def _note_call(self, call: Any) -> None:
        """Number the Tensor arguments of a composite call at its first op: a live replay of
        the call (jit/live.py) reads them, even one no op reads (cross_entropy's targets)."""
        if id(call) not in self.calls:
            self.calls[id(call)] = call
            for v in list(call.args) + list(call.kwargs.values()):
                if isinstance(v, autograd.Tensor):
                    self.ref(v)

    def live_module(self, m: Any, args: tuple, kwargs: dict, start: int) -> None:
        """The ops since instruction ``start`` ran in a call of module m that changed its
        buffers: the replay re-runs the call (jit/live.py), so the buffers change as here."""
        Tensor = autograd.Tensor

        def ref(v: Any) -> Any:
            return (self.ref(v), v.requires_grad) if isinstance(v, Tensor) else ("value", v)

        seg = ("module", [m], tuple(ref(v) for v in args))
        seg += (tuple((k, ref(v)) for k, v in kwargs.items()),)
        for ins in self.instrs[start:]:
            if isinstance(ins, Kernel):
                ins.seg = seg

    def enter_backward(self, ctx: Any, g: Any) -> None:
        self.bwd.append((self.ctx_index.get(id(ctx)), self.ref(g)))

    def exit_backward(self) -> None:
        self.bwd.pop()

    def backward(self, create_graph: bool, for_grad: bool) -> None:
        if create_graph:
            self.unsupported("backward(create_graph=True) runs in the step")
        if for_grad:
            self.unsupported("tg.grad(...) runs in the step")

    def leaf_grad(self, t: Any, g: np.ndarray) -> None:
        if not self.host_depth:
            self.instrs.append(LeafGrad(t, self.ref(g), f"grad of {tuple(t.shape)}"))

    def unsupported(self, why: str) -> None:
        self.why = self.why or why

    # -- host calls ----------------------------------------------------------------------
    def host(self, fn: Any, args: tuple, kwargs: dict, label: str) -> None:
        a = tuple(self._host_ref(x) for x in args)
        kw = tuple((k, self._host_ref(v)) for k, v in kwargs.items())
        self.instrs.append(HostCall(fn, a, kw, label))

    def _recorded_slot(self, t: Any, where: str) -> int | None:
        """The slot of a tensor the recorded ops made, or None (and the step cannot be
        replayed) for one made outside them."""
        s = self.slot_of.get(id(t._d))
        if s is None:
            self.unsupported(f"{where} a tensor made outside the recorded ops")
        return s

    def _host_ref(self, v: Any) -> Any:
        if isinstance(v, autograd.Tensor):
            s = self._recorded_slot(v, "a host call takes")
            return ("value", v) if s is None else s
        if callable(v) and not isinstance(v, type):
            self.unsupported("an optimizer step with a closure runs in the step")
        return ("value", v)

    def rebaseline(self) -> None:
        """In-place writes inside host calls are replayed by re-running them: accept them."""
        for k, (ref, _) in list(self.versions.items()):
            t = ref()
            if t is not None:
                self.versions[k] = (ref, t._version)

    def finish(self, outputs: Any) -> Program:
        for ref, v in list(self.versions.values()):
            t = ref()
            if t is not None and t._version != v:
                self.unsupported(
                    f"an in-place op changed a tensor of shape {tuple(t.shape)} outside the "
                    "recorded ops (x.add_(...), x[i] = ..., x += ...); write it out of place"
                )
        out_spec = self._output_spec(outputs)
        guards = [
            (t, t._d.shape, t._d.dtype, t._d.strides, t.requires_grad)
            for k, t in zip(self.kinds, self.values)
            if k == TENSOR
        ]
        prog = Program(self.kinds, self.values, self.instrs, out_spec, guards)
        prog.modules = list(self.modules.values())
        prog.slot_of = self.slot_of
        return prog

    def _output_spec(self, out: Any) -> Any:
        if isinstance(out, autograd.Tensor):
            s = self._recorded_slot(out, "the step returns")
            return ("value", out) if s is None else ("slot", s)
        if isinstance(out, (tuple, list)):
            return ("seq", (type(out), tuple(self._output_spec(v) for v in out)))
        if isinstance(out, dict):
            return ("dict", tuple((k, self._output_spec(v)) for k, v in out.items()))
        return ("value", out)


def _forget(table: dict, key: int, value: Any = None) -> Any:
    """A weak-reference callback: drop ``table[key]`` (when it still is ``value``, if given)."""

    def drop(_: Any) -> None:
        if value is None or table.get(key) == value:
            table.pop(key, None)

    return drop


def _label(ctx: Any) -> str:
    try:
        extra = ctx.extra_repr()
    except Exception:  # noqa: BLE001 - some settings are read from the output, not made yet
        extra = ""
    return f"{ctx.name} {extra}" if extra else ctx.name


# -- noting host calls: optimizer and scheduler methods, modules that change their buffers --


def _subclasses(cls: type) -> list[type]:
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(c.__subclasses__())
    return out


def _noting(rec: Recorder, fn: Any, name: str) -> Any:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = rec.host_depth == 0
        if outer:
            rec.host(types.MethodType(fn, self), args, kwargs, f"{type(self).__name__}.{name}")
        rec.host_depth += 1
        try:
            return fn(self, *args, **kwargs)
        finally:
            rec.host_depth -= 1
            if outer:
                rec.rebaseline()

    return call


class _ModuleWatch(list):
    """Stands in for the module stack while recording: notes each module call, and a call that
    changed the module's own buffers (BatchNorm's running statistics) becomes a live part (a
    host call when it ran no op)."""

    def __init__(self, rec: Recorder, items: list) -> None:
        super().__init__(items)
        self.rec = rec
        self.frames: list[tuple[Any, Any, list]] = []

    def append(self, m: Any) -> None:
        super().append(m)
        frame = sys._getframe(1)
        loc = frame.f_locals if frame.f_code is Module.__call__.__code__ else {}
        own = getattr(m, "_buffers", {}).values()
        bufs = [(t, t._d, t._d.copy()) for t in own if t is not None]
        self.frames.append((loc.get("args"), loc.get("kwargs"), bufs, len(self.rec.instrs)))
        self.rec.modules.setdefault(id(m), (m, m.training))

    def pop(self, *i: Any) -> Any:
        m = super().pop(*i)
        args, kwargs, bufs, start = self.frames.pop()
        rec = self.rec
        changed = any(t._d is not d or not np.array_equal(d, c) for t, d, c in bufs)
        if changed and not rec.host_depth:
            if args is None:
                rec.unsupported(f"{type(m).__name__} changed its buffers in an unseen call")
            elif any(isinstance(ins, Kernel) for ins in rec.instrs[start:]):
                rec.live_module(m, args, kwargs or {}, start)
            else:
                rec.host(_no_grad_call(m), args, kwargs or {}, f"{type(m).__name__} (buffers)")
        return m


def _no_grad_call(m: Any) -> Any:
    def rerun(*args: Any, **kwargs: Any) -> Any:
        with autograd.no_grad():
            return m(*args, **kwargs)

    rerun.__self__ = m  # type: ignore[attr-defined] - compared by owner (Program.differs_from)
    rerun.__name__ = "forward"
    return rerun


@contextlib.contextmanager
def recording(rec: Recorder) -> Iterator[Recorder]:
    """Install the recorder for the engine, the module stack and host methods, then undo it."""
    state = autograd._state
    patched = []
    hosts = ((Optimizer, ("step", "zero_grad")), (LRScheduler, ("step",)))
    for base, names in hosts + ((ReduceLROnPlateau, ("step",)),):
        for cls in _subclasses(base):
            for name in names:
                if name in cls.__dict__:
                    patched.append((cls, name, cls.__dict__[name]))
    patched.append((Module, "zero_grad", Module.__dict__["zero_grad"]))
    for cls, name, fn in patched:
        setattr(cls, name, _noting(rec, fn, name))
    # `x.grad = ...` in the step itself (not in zero_grad) is a host call too: else a replay
    # would leave .grad as the last step left it and add the new gradient to it
    tensor, grad = autograd.Tensor, autograd.Tensor.__dict__["grad"]
    tensor.grad = property(grad.fget, _noting(rec, grad.fset, "grad"), doc=grad.__doc__)
    stack = state.module_stack
    state.module_stack = _ModuleWatch(rec, stack)
    state.tracer = rec
    try:
        yield rec
    finally:
        state.tracer = None
        state.module_stack = stack
        tensor.grad = grad
        for cls, name, fn in patched:
            setattr(cls, name, fn)
