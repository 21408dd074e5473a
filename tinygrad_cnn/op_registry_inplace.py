"""Registry samples for the in-place methods: each runs on a copy made inside the graph
(``x * 1``), so gradcheck and gradgradcheck go through the recorded in-place op to ``x``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .op_registry import OpSpec, Sample, _away_from, _rng


def _iadd(x: Any, y: Any) -> Any:
    z = x * 1
    z += y
    return z


def _isub(x: Any, y: Any) -> Any:
    z = x * 1
    z -= y
    return z


def _imul(x: Any, y: Any) -> Any:
    z = x * 1
    z *= y
    return z


def _idiv(x: Any, y: Any) -> Any:
    z = x * 1
    z /= y
    return z


def _imatmul(x: Any, y: Any) -> Any:
    z = x * 1
    z @= y
    return z


def _setitem(idx: Any) -> Any:
    def fn(x: Any, v: Any) -> Any:
        z = x * 1
        z[idx() if callable(idx) else idx] = v
        return z

    return fn


def _put_ref(idx: Any, accumulate: bool = False) -> Any:
    def ref(x: np.ndarray, v: np.ndarray) -> np.ndarray:
        z = x.copy()
        if accumulate:
            np.add.at(z, idx, v)
        else:
            z[idx] = v
        return z

    return ref


def _seeded_fill(method: str, *args: float) -> Any:
    def fn(x: Any) -> Any:
        from .random import manual_seed

        manual_seed(0)  # the same draws on every call, so finite differences see a function
        z = x * 1
        getattr(z, method)(*args)
        return z * x

    return fn


def specs() -> list[OpSpec]:
    from .tensor import Tensor

    r = _rng(21)
    x34 = r.standard_normal((3, 4))
    y34 = r.standard_normal((3, 4))
    pos34 = np.abs(r.standard_normal((3, 4))) + 0.5
    y4 = r.standard_normal(4)
    mask = x34 > 0
    v0 = np.asarray(0.7)

    def ix(*parts: Any) -> Any:  # tensor indices built when called (torch or tg alike)
        return lambda: parts

    def pair(a: np.ndarray, b: Any) -> list[Sample]:
        return [Sample((a, b))]

    return [
        OpSpec(
            "add_",
            lambda x, y: (x * 1).add_(y, alpha=0.5),
            lambda x, y: x + 0.5 * y,
            pair(x34, y34) + [Sample((x34, y4), note="broadcast other")],
        ),
        OpSpec("sub_", lambda x, y: (x * 1).sub_(y), np.subtract, pair(x34, y4)),
        OpSpec(
            "mul_",
            lambda x, y: (x * 1).mul_(y),
            np.multiply,
            pair(x34, y34) + [Sample((x34, 2.5), note="a number")],
        ),
        OpSpec("div_", lambda x, y: (x * 1).div_(y), np.divide, pair(x34, pos34)),
        OpSpec(
            "pow_",
            lambda x, y: (x * 1).pow_(y),
            np.power,
            pair(pos34, y34) + [Sample((pos34, 1.5), note="a number")],
        ),
        OpSpec(
            "clamp_",
            lambda x: (x * 1).clamp_(-0.5, 0.7),
            lambda x: np.clip(x, -0.5, 0.7),
            [Sample((_away_from(x34, (-0.5, 0.7)),))],
            kinky=True,
        ),
        OpSpec(
            "relu_",
            lambda x: (x * 2).relu_(),
            lambda x: np.maximum(2 * x, 0),
            [Sample((_away_from(x34),))],
            kinky=True,
        ),
        OpSpec("zero_", lambda x: (x * 1).zero_() + x, lambda x: x, [Sample((x34,))]),
        OpSpec("fill_", lambda x, v: (x * 1).fill_(v) * x, lambda x, v: v * x, pair(x34, v0)),
        OpSpec("copy_", lambda x, y: (x * 2).copy_(y) * x, lambda x, y: y * x, pair(x34, y4)),
        OpSpec(
            "masked_fill_",
            lambda x, v: (x * 1).masked_fill_(Tensor(mask), v),
            lambda x, v: np.where(mask, v, x),
            pair(x34, v0),
        ),
        OpSpec(
            "index_put_",
            lambda x, v: (x * 1).index_put_((Tensor(np.array([0, 2, 0])),), v, accumulate=True),
            _put_ref((np.array([0, 2, 0]),), accumulate=True),
            pair(x34, y4),
        ),
        OpSpec("setitem_int", _setitem(1), _put_ref(1), pair(x34, y4)),
        OpSpec(
            "setitem_slice",
            _setitem((slice(None), slice(1, 3))),
            _put_ref((slice(None), slice(1, 3))),
            pair(x34, r.standard_normal((3, 1))),
        ),
        OpSpec("setitem_mask", _setitem(ix(Tensor(mask))), _put_ref(mask), pair(x34, v0)),
        OpSpec(
            "setitem_mixed",
            _setitem(ix(0, Tensor(np.array([1, 3])))),
            _put_ref((0, np.array([1, 3]))),
            pair(x34, r.standard_normal(2)),
        ),
        OpSpec("iadd", _iadd, np.add, pair(x34, y4)),
        OpSpec("isub", _isub, np.subtract, pair(x34, y34)),
        OpSpec("imul", _imul, np.multiply, pair(x34, y4)),
        OpSpec("itruediv", _idiv, np.divide, pair(x34, pos34)),
        OpSpec("imatmul", _imatmul, np.matmul, pair(x34, r.standard_normal((4, 4)))),
        OpSpec("uniform_", _seeded_fill("uniform_", -1.0, 1.0), None, [Sample((x34,))]),
        OpSpec("normal_", _seeded_fill("normal_", 0.0, 1.0), None, [Sample((x34,))]),
    ]
