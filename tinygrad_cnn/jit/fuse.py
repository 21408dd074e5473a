"""Kernel fusions in a compiled program: pairs of kernels replaced by one that does both in
fewer passes over memory, where the program shows that nothing else reads what lies between.

All come from ``Conv -> ReLU -> MaxPool``, the block of most small CNNs:

- **Conv then Relu**, the convolution's output read by the Relu alone: one Conv kernel with
  ``relu=True`` applies relu in the convolution's own buffer (tile by tile, while each tile is
  in cache, where the convolution is tiled), instead of a second pass into a new array.
- **PoolScatter then ReluGrad** (relu's backward of a max pool's input gradient), the scatter's
  result read by the ReluGrad alone, over windows that do not overlap: one PoolScatter with
  ``positive=p``, p the pool's output, masks the pooled gradient (a quarter of the size for 2x2
  pools) before scattering it. Each window's gradient lands only at its arg-max, where the
  pooled input equals p, so ``y > 0`` there exactly when ``p > 0``; elsewhere both write a
  zero of the gradient's sign.
- **Conv + relu then MaxPool** (after the two above), relu's output read by the pool alone (its
  backward now reads the pooled values): one Conv kernel with ``pool=window`` pools the
  product, adding the bias and applying relu on the way (ops/fast.py), and keeps the arg-max
  offsets as ``pool_idx``; relu(conv) is never written back and read again. Without the numba
  kernels it runs the same steps as the two kernels it replaces.

All give the same bits as the kernels they replace (tests/test_jit_fuse.py), except where a
pooling window holds a NaN (the arg-max offset then depends on where the NaN lies).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..ops.conv import Conv
from ..ops.elementwise import Relu, ReluGrad
from ..ops.pool import MaxPool, PoolScatter
from .program import CONST, Kernel, Program, _flat_outputs


def fuse(prog: Program) -> None:
    """Replace fusable kernel pairs in ``prog.instrs`` (before its memory plan is made)."""
    readers = _readers(prog)
    dropped: set[int] = set()
    for n, ins in enumerate(prog.instrs):
        if _plain(ins) and ins.cls is Conv:
            _conv_relu(prog, n, readers, dropped)
        elif _plain(ins) and ins.cls is PoolScatter:
            _scatter_relu_grad(prog, n, readers, dropped)
    prog.instrs = [ins for n, ins in enumerate(prog.instrs) if n not in dropped]
    readers, dropped = _readers(prog), set()  # relu's output now read by the pool alone
    for n, ins in enumerate(prog.instrs):
        if _plain(ins) and ins.cls is Conv and "relu" in dict(ins.kwargs):
            _conv_pool(prog, n, readers, dropped)
    prog.instrs = [ins for n, ins in enumerate(prog.instrs) if n not in dropped]


def _readers(prog: Program) -> dict[int, list[int]]:
    """slot -> the instructions that read it (-1 for the step's outputs)."""
    readers: dict[int, list[int]] = {}
    for n, ins in enumerate(prog.instrs):
        for s in ins.reads():
            readers.setdefault(s, []).append(n)
    for s in _flat_outputs(prog.outputs):
        readers.setdefault(s, []).append(-1)
    return readers


def _plain(ins: Any) -> bool:
    # a kernel with no live backward re-run (which would need the op object it makes)
    return type(ins) is Kernel and not ins.packed and ins.keep is None


def _only_reader(
    prog: Program, slot: int, readers: dict[int, list[int]], cls: type, fetches: int = 0
):
    """(index, kernel) of the one instruction reading ``slot`` if it is a plain ``cls``
    kernel keeping ``fetches`` arrays for its backward, else None."""
    rs = readers.get(slot, [])
    if len(rs) != 1 or rs[0] < 0:
        return None
    ins = prog.instrs[rs[0]]
    return (rs[0], ins) if _plain(ins) and ins.cls is cls and len(ins.fetch) == fetches else None


def _const(prog: Program, value: Any) -> int:
    prog.kinds.append(CONST)
    prog.values.append(value)
    return len(prog.kinds) - 1


def _drop(prog: Program, n: int, between: int, dropped: set[int]) -> None:
    # instruction n is done by the fused kernel, and the array between the two never exists
    dropped.add(n)
    prog.kinds[between], prog.values[between] = CONST, None


def _conv_relu(prog: Program, n: int, readers: dict, dropped: set[int]) -> None:
    conv = prog.instrs[n]
    found = _only_reader(prog, conv.out, readers, Relu)
    if found is None or "relu" in dict(conv.kwargs):
        return
    m, relu = found
    if relu.args != (conv.out,) or relu.kwargs:
        return
    kwargs = conv.kwargs + (("relu", _const(prog, True)),)
    prog.instrs[n] = dataclasses.replace(
        conv, kwargs=kwargs, out=relu.out, label=f"{conv.label} + relu"
    )
    _drop(prog, m, conv.out, dropped)


def _conv_pool(prog: Program, n: int, readers: dict, dropped: set[int]) -> None:
    conv = prog.instrs[n]
    found = _only_reader(prog, conv.out, readers, MaxPool, fetches=1)  # its arg-max offsets
    if found is None:
        return
    m, pool = found
    kw = dict(pool.kwargs)
    if not (pool.grad_mode and conv.grad_mode) or pool.args != (conv.out,) or set(kw) != {"window"}:
        return
    _, _, idx = pool.fetch[0]
    prog.instrs[n] = dataclasses.replace(
        conv,
        kwargs=conv.kwargs + (("pool", kw["window"]),),
        out=pool.out,
        fetch=conv.fetch + (("pool_idx", None, idx),),
        label=f"{conv.label} + max pool",
    )
    _drop(prog, m, conv.out, dropped)


def _scatter_relu_grad(prog: Program, n: int, readers: dict, dropped: set[int]) -> None:
    scatter = prog.instrs[n]
    found = _only_reader(prog, scatter.out, readers, ReluGrad)
    kw = dict(scatter.kwargs)
    if found is None or "positive" in kw or "idx" not in kw or "window" not in kw:
        return
    m, grad = found
    window = prog.values[kw["window"]]
    if len(grad.args) != 2 or grad.args[0] != scatter.out or window.overlapping:
        return
    pooled = _pool_output(prog, n, grad.args[1], kw["idx"])
    if pooled is None:
        return
    kwargs = scatter.kwargs + (("positive", pooled),)
    prog.instrs[n] = dataclasses.replace(
        scatter, kwargs=kwargs, out=grad.out, label=f"{scatter.label} + relu grad"
    )
    _drop(prog, m, scatter.out, dropped)


def _pool_output(prog: Program, before: int, pooled_input: int, idx: int) -> int | None:
    """The output slot of the MaxPool (before instruction ``before``) that pooled
    ``pooled_input`` and kept the arg-max offsets ``idx``, or None."""
    for ins in prog.instrs[:before]:
        if (
            _plain(ins)
            and ins.cls is MaxPool
            and ins.args[:1] == (pooled_input,)
            and any(slot == idx for _, _, slot in ins.fetch)
        ):
            return ins.out
    return None
