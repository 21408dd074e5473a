"""Live parts of a replayed program: where ops read arrays that Python code computed outside any
op from the step's data (cross_entropy with label smoothing masks the kept targets with numpy),
the replay re-runs that Python as it is: the whole composite call (``F.cross_entropy``) or the
one op's backward, in the grad mode it ran in. A
module call that changed the module's buffers (BatchNorm's running statistics) is re-run the
same way, so its ops run once and its buffers change as in eager mode. Each op inside
is matched to the recorded one, in order, and its results go to the recorded slots, so the
compiled instructions around it read them as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import autograd
from .program import (
    CONST,
    MADE,
    TENSOR,
    Kernel,
    Program,
    ready_for_backward,
    same_constant,
)


class _Mapper:
    """Stands in for the recorder while live Python runs in a replay: each op's result (and
    the arrays it keeps) goes to the slots of the next recorded op."""

    def __init__(self, kernels: list[Kernel], slots: list[Any], label: str) -> None:
        self.kernels, self.slots, self.label, self.i = kernels, slots, label, 0

    def kernel(self, ctx: Any, args: tuple, kwargs: dict, out: Any) -> None:
        ks = self.kernels
        if self.i >= len(ks) or type(ctx) is not ks[self.i].cls:
            self._diverged(ctx.name)
        ins = ks[self.i]
        self.i += 1
        slots = self.slots
        slots[ins.out] = out
        for attr, index, s in ins.fetch:
            v = getattr(ctx, attr)
            slots[s] = v if index is None else v[index]
        if ins.keep is not None:
            slots[ins.keep] = ready_for_backward(ctx, args, ins.needs, out)

    def _diverged(self, got: str) -> None:
        want = self.kernels[self.i].label if self.i < len(self.kernels) else "nothing more"
        raise RuntimeError(
            f"tg.compile: the replayed step took another path in {self.label}: it ran {got} "
            f"where the recording ran {want}; the step's control flow depends on its data, "
            "so it cannot be compiled (call the function itself instead)"
        )

    def done(self) -> None:
        if self.i != len(self.kernels):
            self._diverged("nothing more")

    def backward(self, *a: Any) -> None:
        self.unsupported("")

    def leaf_grad(self, *a: Any) -> None:
        self.unsupported("")

    def enter_backward(self, *a: Any) -> None:
        pass

    def exit_backward(self) -> None:
        pass

    def unsupported(self, why: str) -> None:
        raise RuntimeError(f"tg.compile: {self.label} ran backward while it was re-run live")


@dataclass
class _Live:
    kernels: list[Kernel]
    label: str
    free: tuple[int, ...] = ()
    key: Any = None

    def reads(self) -> list[int]:
        made = {s for k in self.kernels for s in k.makes()}
        return [s for s in self._inputs() if s not in made]

    def makes(self) -> list[int]:
        return [s for k in self.kernels for s in k.makes()]

    def _inputs(self) -> list[int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, slots: list[Any], state: Any) -> None:
        mapper = _Mapper(self.kernels, slots, self.label)
        state.tracer, mode = mapper, state.grad_enabled
        # NOTE: in the grad mode it was recorded in, so each op's forward sees what it saw then
        state.grad_enabled = self.kernels[0].grad_mode
        try:
            self._call(slots)
        finally:
            state.tracer, state.grad_enabled = None, mode
        mapper.done()

    def _call(self, slots: list[Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class LiveCall(_Live):
    """A composite op (``F.cross_entropy``) re-run on each replay."""

    fn: Any = None
    args: tuple = ()  # (slot, requires_grad) for a Tensor, ("value", v) for the rest
    kwargs: tuple = ()

    def _inputs(self) -> list[int]:
        refs = list(self.args) + [v for _, v in self.kwargs]
        return [r[0] for r in refs if isinstance(r[0], int)]

    def _call(self, slots: list[Any]) -> None:
        wrap = autograd.Tensor._wrap

        def value(r: Any) -> Any:
            return wrap(slots[r[0]], r[1]) if isinstance(r[0], int) else r[1]

        self.fn(*[value(r) for r in self.args], **{k: value(r) for k, r in self.kwargs})


@dataclass
class LiveBackward(_Live):
    """One op's backward re-run on each replay (on the op its forward made in this replay)."""

    op_slot: int = -1
    grad_slot: int = -1

    def _inputs(self) -> list[int]:
        return [self.op_slot, self.grad_slot]

    def _call(self, slots: list[Any]) -> None:
        slots[self.op_slot].backward(autograd.Tensor._wrap(slots[self.grad_slot], False))


def _seg_key(seg: Any) -> Any:
    return None if seg is None else (seg[0], seg[1] if seg[0] == "bwd" else id(seg[1]))


def make_live(first: Program, prog: Program, slot_of: dict[int, int]) -> str:
    """Turn the parts of ``prog`` (composite calls, one op's backward, module calls that
    changed buffers) whose ops read arrays that Python made outside any op into live parts:
    arrays that differ from ``first``, and arrays of more than one element made afresh by each
    call (they may come from the data and agree by chance). '' when done, else why the step
    cannot be compiled (an array that differs is read outside any such part)."""
    changing, fresh = _made_by_python(first, prog)
    live: set[Any] = set()
    for ins in prog.instrs:
        reads_changing = not changing.isdisjoint(ins.reads())
        if reads_changing and (not isinstance(ins, Kernel) or ins.seg is None):
            return f"{ins.label} reads an array computed from the step's data outside any op"
        if isinstance(ins, Kernel) and ins.seg is not None:
            if reads_changing or ins.seg[0] == "module" or not fresh.isdisjoint(ins.reads()):
                live.add(_seg_key(ins.seg))
    out: list[Any] = []
    for ins in prog.instrs:
        key = _seg_key(ins.seg) if isinstance(ins, Kernel) else None
        if key not in live:
            out.append(ins)
        elif out and isinstance(out[-1], _Live) and out[-1].key == key:
            out[-1].kernels.append(ins)
        else:
            part = _live_part(prog, ins, slot_of)
            if isinstance(part, str):
                return part
            part.key = key
            out.append(part)
    prog.instrs = out
    for ins in out:
        made_here = [s for s in ins.reads() if prog.kinds[s] == TENSOR]
        if isinstance(ins, LiveCall) and any(
            first.values[s] is not prog.values[s] for s in made_here
        ):
            return f"{ins.label} takes a tensor that Python made inside the step"
    return ""


def _made_by_python(first: Program, prog: Program) -> tuple[set[int], set[int]]:
    """Slots of constants (and tensors made in the step) that differ between the two
    recordings, and of arrays equal in both but made afresh by each call."""
    changing, fresh = set(), set()
    for s, (k, a, b) in enumerate(zip(prog.kinds, first.values, prog.values)):
        if k == TENSOR and a is not b:
            a, b = a._d, b._d  # a tensor made inside the step
        elif k != CONST:
            continue
        if not same_constant(a, b):
            changing.add(s)
        elif a is not b and isinstance(b, np.ndarray) and b.size > 1:
            fresh.add(s)  # made again by each call: maybe from the data, equal by chance
    return changing, fresh


def _live_part(prog: Program, ins: Kernel, slot_of: dict[int, int]) -> _Live | str:
    seg = ins.seg
    if seg[0] == "bwd":
        fwd_index, grad_slot = seg[1], seg[2]
        if fwd_index is None or grad_slot is None:
            return f"the backward of {ins.label} reads data of an op recorded outside the step"
        fwd = prog.instrs[fwd_index]
        if fwd.keep is None:
            prog.kinds.append(MADE)
            prog.values.append(None)
            fwd.keep = len(prog.kinds) - 1
        return LiveBackward(
            [ins], f"backward of {fwd.label}", op_slot=fwd.keep, grad_slot=grad_slot
        )
    if seg[0] == "module":
        m, args, kwargs = seg[1][0], seg[2], seg[3]
        return LiveCall([ins], f"{type(m).__name__} (buffers)", fn=m, args=args, kwargs=kwargs)
    call = seg[1]
    Tensor = autograd.Tensor

    def ref(v: Any) -> Any:
        if isinstance(v, Tensor):
            s = slot_of.get(id(v._d))
            return (s, v.requires_grad) if s is not None else None
        return ("value", v)

    args = tuple(ref(v) for v in call.args)
    kwargs = tuple((k, ref(v)) for k, v in call.kwargs.items())
    if any(r is None for r in args) or any(r is None for _, r in kwargs):
        return f"{call.name} takes a tensor made outside the recorded ops"
    return LiveCall([ins], call.name, fn=call.fn, args=args, kwargs=kwargs)
