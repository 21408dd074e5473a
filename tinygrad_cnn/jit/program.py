"""A recorded training step as a flat program: the instructions, their comparison (two
recordings must agree), the memory plan (each intermediate freed after its last use) and the
replay loop, which runs the op kernels on arrays with no Tensor, Function or graph per op.

Every value an instruction reads or writes lives in a numbered slot: a step input, a tensor
that outlives the step (a parameter, a buffer: read afresh from the tensor on each replay), a
constant, or an array an earlier instruction made (an op's result, or an array its forward kept
for its backward, such as max-pool indices).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import autograd
from ..graph import accumulate_leaf_grad

# slot kinds
INPUT, TENSOR, CONST, MADE = "input", "tensor", "const", "made"


class Pack(tuple):
    """Slots read as one tuple argument (an op option holding several arrays)."""


@dataclass
class Kernel:
    """One primitive op's forward: ``out = cls().forward(*args, **kwargs)`` on arrays."""

    cls: type
    args: tuple[Any, ...]  # slot numbers (or Packs of them)
    kwargs: tuple[tuple[str, Any], ...]
    out: int
    fetch: tuple[tuple[str, Any, int], ...]  # (attribute, index or None, slot): kept arrays
    needs: tuple[bool, ...]
    grad_mode: bool
    label: str = ""
    free: tuple[int, ...] = ()
    seg: Any = None  # ("call", CompositeCall) or ("bwd", forward's index, grad slot) or None
    keep: int | None = None  # slot that keeps the op itself, for a backward re-run live

    def __post_init__(self) -> None:
        refs = self.args + tuple(v for _, v in self.kwargs)
        self.packed = any(type(r) is Pack for r in refs)

    def key(self) -> tuple:
        return ("kernel", self.cls, self.args, self.kwargs, self.out, self.fetch, self.needs,
                self.grad_mode)  # fmt: skip

    def reads(self) -> list[int]:
        return _flat(self.args) + _flat(tuple(v for _, v in self.kwargs))

    def makes(self) -> list[int]:
        keep = [] if self.keep is None else [self.keep]
        return [self.out] + [f[2] for f in self.fetch] + keep


@dataclass
class LeafGrad:
    """``tensor.grad += slot`` (a copy when .grad is None), as backward does for a leaf."""

    tensor: Any
    slot: int
    label: str = ""
    free: tuple[int, ...] = ()

    def key(self) -> tuple:
        return ("leaf", id(self.tensor), self.slot)

    def reads(self) -> list[int]:
        return [self.slot]

    def makes(self) -> list[int]:
        return []


@dataclass
class HostCall:
    """A Python call re-run as it is on each replay (an optimizer's step or zero_grad, a
    module whose forward changes its buffers): ``fn(*args)`` with Tensor args from slots."""

    fn: Any
    args: tuple[Any, ...]  # slot numbers of Tensor arguments, or ("value", v) for the others
    kwargs: tuple[tuple[str, Any], ...]
    label: str = ""
    free: tuple[int, ...] = ()

    def key(self) -> tuple:
        owner = getattr(self.fn, "__self__", None)
        name = getattr(self.fn, "__name__", "")
        return ("host", id(owner) if owner is not None else id(self.fn), name,
                self.args, self.kwargs)  # fmt: skip

    def reads(self) -> list[int]:
        return [a for a in list(self.args) + [v for _, v in self.kwargs] if isinstance(a, int)]

    def makes(self) -> list[int]:
        return []


def _flat(refs: tuple) -> list[int]:
    out: list[int] = []
    for r in refs:
        out.extend(r if isinstance(r, Pack) else [r])
    return out


@dataclass
class Program:
    """What one recording of a step produced; replayed by :meth:`run`."""

    kinds: list[str]  # per slot: INPUT, TENSOR, CONST or MADE
    values: list[Any]  # per slot: the input's position, the Tensor, the constant, or None
    instrs: list[Any]
    outputs: Any  # the step's return value with slots in place of its Tensors
    guards: list[tuple] = field(default_factory=list)  # (tensor, shape, dtype, strides, rg)
    modules: list[tuple[Any, bool]] = field(default_factory=list)  # (module, training)
    slot_of: dict[int, int] = field(default_factory=dict)  # while compiling: id(array) -> slot
    input_slots: list[int] = field(default_factory=list)  # (set by plan_memory)
    tensor_slots: list[int] = field(default_factory=list)

    # -- comparison ----------------------------------------------------------------------
    def differs_from(self, other: Program) -> str:
        """'' when both recordings ran the same instructions on the same slots, else what
        differed (for the warning). Constants are compared by jit/live.py (make_live)."""
        if [i.key() for i in self.instrs] != [i.key() for i in other.instrs]:
            for n, (a, b) in enumerate(zip(self.instrs, other.instrs)):
                if a.key() != b.key():
                    return f"instruction {n} was {a.label or a.key()[0]}, then {b.label}"
            return f"{len(self.instrs)} instructions, then {len(other.instrs)}"
        if self.kinds != other.kinds or _shape_of(self.outputs) != _shape_of(other.outputs):
            return "the step's inputs, tensors or outputs were used differently"
        for k, a, b in zip(self.kinds, self.values, other.values):
            if k == INPUT and a != b:
                return "the step's inputs were used differently"
        return ""

    def drop_recording(self) -> None:
        """Drop the recording's array numbers and composite calls (which hold activations):
        what remains is what two recordings compare."""
        self.slot_of = {}
        for ins in self.instrs:
            for k in ins.kernels if hasattr(ins, "kernels") else [ins]:
                if isinstance(k, Kernel):
                    k.seg = None

    def forget_recording(self) -> None:
        """Drop what only compiling needed, and constants and tensors read only inside live
        parts, so a compiled step keeps no array of the recorded calls."""
        self.drop_recording()
        used = {s for ins in self.instrs for s in ins.reads()}
        for s, k in enumerate(self.kinds):
            if k in (CONST, TENSOR) and s not in used:  # read only inside live parts
                self.kinds[s], self.values[s] = CONST, None
        kept = {id(v) for k, v in zip(self.kinds, self.values) if k == TENSOR}
        self.guards = [g for g in self.guards if id(g[0]) in kept]

    # -- memory plan ---------------------------------------------------------------------
    def plan_memory(self) -> None:
        """Free each intermediate array right after the last instruction that reads it."""
        keep = set(_flat_outputs(self.outputs))
        last: dict[int, int] = {}
        for n, ins in enumerate(self.instrs):
            for s in ins.reads():
                last[s] = n
            for s in ins.makes():
                last.setdefault(s, n)  # made but never read: freed at once
        frees: dict[int, list[int]] = {}
        for s, n in last.items():
            if self.kinds[s] == MADE and s not in keep:
                frees.setdefault(n, []).append(s)
        for n, ins in enumerate(self.instrs):
            ins.free = tuple(sorted(frees.get(n, ())))
        self.input_slots = [s for s, k in enumerate(self.kinds) if k == INPUT]
        self.tensor_slots = [s for s, k in enumerate(self.kinds) if k == TENSOR]

    # -- replay --------------------------------------------------------------------------
    def guard_failure(self) -> str:
        """'' when every tensor the step reads still has its recorded shape, dtype, memory
        layout (strides) and requires_grad, and every module its training mode; else what
        changed."""
        for t, shape, dtype, strides, rg in self.guards:
            d = t._d
            if (
                d.shape != shape
                or d.dtype != dtype
                or d.strides != strides
                or t.requires_grad != rg
            ):
                return (
                    f"a tensor the step reads changed from {shape} {dtype} strides {strides} "
                    f"requires_grad={rg} to {d.shape} {d.dtype} strides {d.strides} "
                    f"requires_grad={t.requires_grad}"
                )
        for m, training in self.modules:
            if m.training != training:
                return f"{type(m).__name__}.training changed to {m.training}"
        return ""

    def run(self, arrays: list[np.ndarray]) -> Any:
        """Replay the step on the input arrays (in the order of the step's Tensor inputs)."""
        slots = list(self.values)
        for n in self.input_slots:
            slots[n] = arrays[slots[n]]
        for n in self.tensor_slots:
            slots[n] = slots[n]._d
        state = autograd._state
        mode = state.grad_enabled
        try:
            for ins in self.instrs:
                if type(ins) is Kernel:
                    _run_kernel(ins, slots, state)
                elif type(ins) is LeafGrad:
                    _leaf_grad(ins, slots)
                elif type(ins) is HostCall:
                    state.grad_enabled = mode
                    _run_host(ins, slots)
                else:
                    ins.run(slots, state)
                for s in ins.free:
                    slots[s] = None
        finally:
            state.grad_enabled = mode
        return _build_outputs(self.outputs, slots)


def _run_kernel(ins: Kernel, slots: list[Any], state: Any) -> None:
    ctx = ins.cls()
    ctx.needs_input_grad = ins.needs
    state.grad_enabled = ins.grad_mode
    if ins.packed:
        args = [tuple(slots[s] for s in r) if type(r) is Pack else slots[r] for r in ins.args]
        kw = {k: tuple(slots[s] for s in r) if type(r) is Pack else slots[r] for k, r in ins.kwargs}
    else:
        args = [slots[r] for r in ins.args]
        kw = {k: slots[r] for k, r in ins.kwargs}
    out = ctx.forward(*args, **kw)
    slots[ins.out] = out if type(out) is np.ndarray else np.asarray(out)
    for attr, index, s in ins.fetch:
        v = getattr(ctx, attr)
        slots[s] = v if index is None else v[index]
    if ins.keep is not None:
        slots[ins.keep] = ready_for_backward(ctx, args, ins.needs, slots[ins.out])


def _leaf_grad(ins: LeafGrad, slots: list[Any]) -> None:
    """accumulate_leaf_grad of the slot's array. Where this is the array's last reader and
    nothing else holds it or the memory it views (an array an op made afresh this step, or a
    view of one, such as a transposed weight gradient: no other slot, kept op or cache shares
    it), that array becomes .grad rather than a copy of it.
    NOTE: measured (docs/performance.md): without the copies a compiled CIFAR-style step at
    batch 16 ran 7.95 -> 7.75 ms."""
    g = slots[ins.slot]
    if ins.slot in ins.free:
        slots[ins.slot] = None
    held, base_held = _holders(g)
    base = g.base
    alone = g.flags.writeable and held <= _ALONE[0]
    if base is not None:
        alone = alone and type(base) is np.ndarray and base.base is None
        alone = alone and base_held <= _ALONE[1]
    accumulate_leaf_grad(ins.tensor, g, owned=alone)


def _holders(a: np.ndarray) -> tuple[int, int]:
    """The reference counts of a and of the array it views (0 for none), as seen from here:
    compared with _ALONE, measured the same way."""
    return sys.getrefcount(a), (0 if a.base is None else sys.getrefcount(a.base))


def _alone() -> tuple[int, int]:
    a = np.empty((1, 1)).T  # held by this local only; its base by it only
    return _holders(a)


_ALONE = _alone()


def ready_for_backward(ctx: Any, args: Any, needs: tuple, out: np.ndarray) -> Any:
    """An op made in a replay, given what its backward reads (its inputs and output as
    Tensors), so that jit/live.py can re-run that backward."""
    wrap = autograd.Tensor._wrap
    ctx.inputs = tuple(wrap(a, n) if isinstance(a, np.ndarray) else a for a, n in zip(args, needs))
    output = wrap(out, False)
    ctx._output_ref = lambda: output  # (held strongly: the replay keeps no other reference)
    return ctx


def _run_host(ins: HostCall, slots: list[Any]) -> None:
    Tensor = autograd.Tensor
    args = [_host_value(a, slots, Tensor) for a in ins.args]
    kwargs = {k: _host_value(a, slots, Tensor) for k, a in ins.kwargs}
    ins.fn(*args, **kwargs)


def _host_value(a: Any, slots: list[Any], Tensor: Any) -> Any:
    return Tensor._wrap(slots[a], False) if isinstance(a, int) else a[1]


def _build_outputs(spec: Any, slots: list[Any]) -> Any:
    kind, val = spec
    if kind == "slot":
        return autograd.Tensor._wrap(slots[val], False)
    if kind == "seq":
        return val[0](_build_outputs(v, slots) for v in val[1])
    if kind == "dict":
        return {k: _build_outputs(v, slots) for k, v in val}
    return val


def _flat_outputs(spec: Any) -> list[int]:
    kind, val = spec
    if kind == "slot":
        return [val]
    if kind == "seq":
        return [s for v in val[1] for s in _flat_outputs(v)]
    if kind == "dict":
        return [s for _, v in val for s in _flat_outputs(v)]
    return []


def _shape_of(spec: Any) -> Any:
    kind, val = spec
    if kind == "seq":
        return (kind, val[0], tuple(_shape_of(v) for v in val[1]))
    if kind == "dict":
        return (kind, tuple((k, _shape_of(v)) for k, v in val))
    return (kind, val) if kind == "slot" else (kind,)


def same_constant(a: Any, b: Any) -> bool:
    """Whether two recordings saw the same constant (arrays by dtype, shape and bits)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_constant, a, b))
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an object without a usable ==: only itself is equal
        return a is b


def _describe(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array {v.shape} {v.dtype}"
    return type(v).__name__
