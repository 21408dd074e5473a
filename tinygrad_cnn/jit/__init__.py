"""``tg.compile``: capture a training step (forward, backward, optimizer update) once, then
replay it as a flat program of op kernels on arrays, bit-identical to eager mode.

The first two calls run eagerly and are recorded; when both recordings did the same thing,
later calls with inputs of the same shapes and dtypes replay the program: no Tensor, Function
or graph walk per op, each intermediate array freed right after its last use. Optimizer and
scheduler calls are re-run as they are, and so is the Python that makes arrays outside any op
(label smoothing's mask of kept targets, dropout's draws) or changes a module's buffers
(BatchNorm's running statistics): jit/live.py. Kernel pairs such as a convolution and its
relu become one kernel where nothing else reads between them: jit/fuse.py. Anything the
program cannot promise to reproduce falls back to eager mode with a warning. See docs/jit.md.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autograd
from .fuse import fuse
from .live import make_live
from .program import Program
from .record import Recorder, recording

__all__ = ["compile", "CompiledStep", "CompileWarning"]


class CompileWarning(UserWarning):
    """A compiled step ran eagerly instead of replaying (the warning says why)."""


def _signature(args: tuple, kwargs: dict) -> tuple[list[Any], tuple]:
    """The step's Tensor inputs in order, and the key a replay must match: each Tensor's
    shape, dtype, strides and requires_grad, every other argument's value, and the grad mode."""
    Tensor = autograd.Tensor
    tensors: list[Any] = []
    key: list[Any] = [autograd.is_grad_enabled()]
    for name, v in [(None, a) for a in args] + sorted(kwargs.items(), key=lambda kv: kv[0]):
        if isinstance(v, np.ndarray):
            raise TypeError(
                f"tg.compile: step argument {name or len(key) - 1} is a numpy array; pass a "
                "Tensor (tg.Tensor(array)) so the step records what it does with it"
            )
        if isinstance(v, Tensor):
            tensors.append(v)
            d = v._d  # the layout too: Python may choose a kernel by it (ops/layout.py)
            key.append((name, "tensor", d.shape, d.dtype, d.strides, v.requires_grad))
        else:
            key.append((name, "value", type(v), _hashable(v)))
    return tensors, tuple(key)


def _hashable(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


class CompiledStep:
    """A step function captured by :func:`compile`; call it as the function itself.

    ``program`` is the replayed Program once compiled (None before, or after a fallback),
    ``replays`` counts the calls that replayed it, and :meth:`to_dot` draws it.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"tg.compile: expected a function, got {type(fn).__name__}")
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]
        self.fn = fn
        self.program: Program | None = None
        self.replays = 0
        self._key: tuple | None = None
        self._first: Program | None = None
        self._failed = ""
        self._warned: set[str] = set()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tensors, key = _signature(args, kwargs)
        if self._failed or autograd._state.tracer is not None:
            # NOTE: inside another step's recording (or a live part) the ops must run eagerly
            # to be seen there
            return self.fn(*args, **kwargs)
        if self._key is None:
            self._key = key
        elif key != self._key:
            self._warn(f"its inputs differ from the recorded ones ({_diff(self._key, key)})")
            return self.fn(*args, **kwargs)
        if self.program is not None:
            why = self.program.guard_failure()
            if not why:
                self.replays += 1
                return self.program.run([t._d for t in tensors])
            self._fail(why)
            return self.fn(*args, **kwargs)
        return self._record(tensors, args, kwargs)

    def _record(self, tensors: list[Any], args: tuple, kwargs: dict) -> Any:
        rec = Recorder(tensors)
        if autograd._state.anomaly:
            rec.unsupported("anomaly detection is on")
        with recording(rec):
            out = self.fn(*args, **kwargs)
        prog = rec.finish(out)
        if rec.why:
            self._fail(rec.why)
        elif self._first is None:
            prog.drop_recording()
            self._first = prog
        else:
            why = self._first.differs_from(prog) or make_live(self._first, prog, prog.slot_of)
            self._first = None
            prog.forget_recording()
            if why:
                self._fail(f"two calls did different things: {why}")
            else:
                fuse(prog)
                prog.plan_memory()
                self.program = prog
        return out

    def _fail(self, why: str) -> None:
        self._failed = why
        self.program = self._first = None
        self._warn(why)

    def _warn(self, why: str) -> None:
        if why not in self._warned:
            self._warned.add(why)
            name = getattr(self.fn, "__name__", "step")
            warnings.warn(
                f"tg.compile({name}): running eagerly, not replaying: {why}",
                CompileWarning,
                stacklevel=3,
            )

    def to_dot(self) -> str:
        """The replayed program as DOT text (one node per instruction), for ``viz.render``.

        >>> import tinygrad_cnn as tg
        >>> w = tg.nn.Parameter(tg.ones(2))
        >>> step = tg.compile(lambda x: (x * w).sum())
        >>> _ = [step(tg.ones(2)) for _ in range(3)]
        >>> "Mul" in step.to_dot()
        True
        """
        if self.program is None:
            raise RuntimeError(
                "to_dot: nothing compiled yet; call the step at least twice with inputs of the "
                "same shapes (a step that fell back to eager mode has no program)"
            )
        from .draw import program_dot

        return program_dot(self.program, getattr(self.fn, "__name__", "step"))


def _diff(old: tuple, new: tuple) -> str:
    if old[0] != new[0]:
        return f"recorded with grad mode {old[0]}, called with {new[0]}"
    for n, (a, b) in enumerate(zip(old[1:], new[1:])):
        if a != b:
            where = f"argument {a[0] if a[0] is not None else n}"
            return f"{where}: recorded {_describe(a)}, got {_describe(b)}"
    return f"recorded {len(old) - 1} arguments, got {len(new) - 1}"


def _describe(entry: tuple) -> str:
    if entry[1] == "tensor":
        _, _, shape, dtype, strides, rg = entry
        return f"a Tensor {shape} {dtype} (strides {strides}, requires_grad={rg})"
    return f"{entry[2].__name__} {entry[3]!r}"


def compile(fn: Callable[..., Any]) -> CompiledStep:
    """Capture a training step and replay it, bit-identical to eager mode; also a decorator.

    The first two calls run eagerly while recording what the ops, backward and the optimizer
    do; later calls with Tensor inputs of the same shapes, dtypes and other arguments replay
    the recording without building a graph. Calls with other inputs, and steps whose two
    recordings differ (data-dependent control flow, random numbers drawn outside ops, in-place
    ops on tensors, ``tg.grad`` or ``create_graph=True`` inside) run eagerly, with a
    :class:`CompileWarning`. A replay returns the step's Tensors detached (no grad_fn).

    >>> import tinygrad_cnn as tg
    >>> model = tg.nn.Linear(3, 1)
    >>> opt = tg.optim.SGD(model.parameters(), lr=0.1)
    >>> @tg.compile
    ... def step(x, y):
    ...     opt.zero_grad()
    ...     loss = ((model(x) - y) ** 2).mean()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> x, y = tg.ones(4, 3), tg.zeros(4, 1)
    >>> losses = [step(x, y).item() for _ in range(4)]
    >>> step.replays, losses[3] < losses[0]
    (2, True)
    """
    return CompiledStep(fn)
