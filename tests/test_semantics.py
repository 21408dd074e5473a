"""PyTorch's numerics and return types: type promotion, the default dtype, max/min with indices,
0-d reductions, empty means, var corrections, sign and pow gradients, index placement and the
errors PyTorch users catch as RuntimeError.

Each case is one function run on a small adapter over tinygrad_cnn or torch (the same code: the
names are PyTorch's). The expected answers are PyTorch 2.13's, written here; where torch is
installed each case also runs on torch and must give them (so this table cannot drift).
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import tinygrad_cnn as tg


def _torch() -> Any:
    try:
        import torch
    except ModuleNotFoundError:
        return None
    return torch


def _lib(name: str) -> Any:
    if name == "tg":
        return SimpleNamespace(
            T=lambda d, dtype=None, rg=False: tg.Tensor(d, dtype=dtype, requires_grad=rg),
            set_default_dtype=tg.set_default_dtype,
            get_default_dtype=lambda: str(tg.get_default_dtype()),
            grad=tg.grad,
            zeros=tg.zeros,
            cat=tg.cat,
        )
    torch = _torch()
    return SimpleNamespace(
        T=lambda d, dtype=None, rg=False: torch.tensor(
            d, dtype=getattr(torch, dtype) if dtype else None, requires_grad=rg
        ),
        set_default_dtype=lambda d: torch.set_default_dtype(getattr(torch, d)),
        get_default_dtype=lambda: str(torch.get_default_dtype()).replace("torch.", ""),
        grad=torch.autograd.grad,
        zeros=torch.zeros,
        cat=torch.cat,
    )


def summary(t: Any) -> tuple[str, Any]:
    """(dtype name, values) of a tensor, comparable between the libraries."""
    dt = str(t.dtype).replace("torch.", "")
    vals = t.detach().numpy() if hasattr(t, "detach") else t
    return dt, np.asarray(vals).tolist()


def _ints(lib: Any) -> Any:
    return lib.T([1, 2])


CASES: dict[str, tuple[Any, Any]] = {
    # type promotion
    "int * python float": (lambda L: summary(_ints(L) * 1.5), ("float32", [1.5, 3.0])),
    "int / int": (lambda L: summary(_ints(L) / L.T([2, 2])), ("float32", [0.5, 1.0])),
    "int + float32 tensor": (
        lambda L: summary(_ints(L) + L.T([0.5, 0.5])),
        ("float32", [1.5, 2.5]),
    ),
    "int + 0-d float64": (
        lambda L: summary(_ints(L) + L.T(0.5, "float64")),
        ("float64", [1.5, 2.5]),
    ),
    "float32 + 0-d float64": (
        lambda L: summary(L.T([1.0]) + L.T(0.5, "float64")),
        ("float32", [1.5]),
    ),
    "uint8 + 0-d int64": (
        lambda L: summary(L.T([1, 2], "uint8") + L.T(5)),
        ("uint8", [6, 7]),
    ),
    "bool + int": (lambda L: summary(L.T([True, False]) + 1), ("int64", [2, 1])),
    "sigmoid of int": (lambda L: summary(L.T([0]).sigmoid()), ("float32", [0.5])),
    "exp of int": (lambda L: summary(L.T([0]).exp()), ("float32", [1.0])),
    "sqrt of int": (lambda L: summary(L.T([4]).sqrt()), ("float32", [2.0])),
    "int ** float": (lambda L: summary(L.T([4]) ** 0.5), ("float32", [2.0])),
    # max/min with indices, exact min
    "max(dim)": (
        lambda L: [summary(t) for t in L.T([[1.0, 5.0], [7.0, 2.0]]).max(1)],
        [("float32", [5.0, 7.0]), ("int64", [1, 0])],
    ),
    "min(dim, keepdim)": (
        lambda L: [summary(t) for t in L.T([[1.0, 5.0], [7.0, 2.0]]).min(0, keepdim=True)],
        [("float32", [[1.0, 2.0]]), ("int64", [[0, 1]])],
    ),
    "max(dim) names": (lambda L: type(L.T([[1.0]]).max(1)).__name__, "max"),
    "min of uint8": (lambda L: summary(L.T([3, 0, 255], "uint8").min()), ("uint8", 0)),
    "min of int64": (
        lambda L: summary(L.T([-(2**63), 5]).min()),
        ("int64", -(2**63)),
    ),
    "min of bool": (lambda L: summary(L.T([True, False]).min()), ("bool", False)),
    # 0-d tensors take dim 0 and -1
    "0-d max(0)": (
        lambda L: [summary(t) for t in L.T(3.0).max(0)],
        [("float32", 3.0), ("int64", 0)],
    ),
    "0-d sum(-1)": (lambda L: summary(L.T(3.0).sum(-1)), ("float32", 3.0)),
    "0-d mean(0)": (lambda L: summary(L.T(3.0).mean(0)), ("float32", 3.0)),
    "0-d prod(0)": (lambda L: summary(L.T(3.0).prod(0)), ("float32", 3.0)),
    "0-d logsumexp(0)": (lambda L: summary(L.T(3.0).logsumexp(0)), ("float32", 3.0)),
    "0-d softmax(0)": (lambda L: summary(L.T(3.0).softmax(0)), ("float32", 1.0)),
    "0-d log_softmax(-1)": (lambda L: summary(L.T(3.0).log_softmax(-1)), ("float32", 0.0)),
    "0-d argmax(0)": (lambda L: summary(L.T(2.0).argmax(0)), ("int64", 0)),
    "0-d var(0, correction=0)": (
        lambda L: summary(L.T(3.0).var(0, correction=0)),
        ("float32", 0.0),
    ),
    # empty means and corrections >= N
    "mean of an empty axis": (
        lambda L: summary(L.zeros(2, 0).mean(1)),
        ("float32", [math.nan] * 2),
    ),
    "var correction > N, spread": (
        lambda L: summary(L.T([1.0, 2.0]).var(correction=2)),
        ("float32", math.inf),
    ),
    "var correction > N, equal": (
        lambda L: summary(L.T([1.0, 1.0]).var(correction=3)),
        ("float32", math.nan),
    ),
    "var of one element": (lambda L: summary(L.T([1.0]).var()), ("float32", math.nan)),
    "std of 0-d": (lambda L: summary(L.T(2.0).std(0)), ("float32", math.nan)),
}


def _sign_grad(L: Any) -> Any:
    x = L.T([-1.0, 0.0, 2.0], rg=True)
    s = x.sign()
    (g,) = L.grad(s.sum(), x)
    return s.requires_grad, summary(g)


def _pow_grads(base: list[float], exp: list[float]) -> Any:
    def fn(L: Any) -> Any:
        x, y = L.T(base, rg=True), L.T(exp, rg=True)
        gx, gy = L.grad((x**y).sum(), [x, y])
        return summary(gx), summary(gy)

    return fn


def _pow_scalar_grad(p: float) -> Any:
    def fn(L: Any) -> Any:
        x = L.T([0.0, -1.0, 2.0], rg=True)
        (g,) = L.grad((x**p).sum(), x)
        return summary(g)

    return fn


def _index_shapes(L: Any) -> Any:
    x = L.zeros(4, 3, 5)
    idx = L.T([0, 2])
    m = L.T([True, False, True, False])
    forms = [x[0, :, idx], x[idx, :, 0], x[:, 0, idx], x[idx, 0, idx], x[0, idx]]
    forms += [x[L.T(0), :, idx], x[..., 0, idx], x[None, 0, :, idx], x[m, 0, idx]]
    return [tuple(t.shape) for t in forms]


CASES.update(
    {
        "sign has a zero gradient": (_sign_grad, (True, ("float32", [0.0, 0.0, 0.0]))),
        "pow gradients at 0 and negative bases": (
            _pow_grads([0.0, -1.0, 2.0], [0.0, 2.0, 0.5]),
            (("float32", [0.0, -2.0, 0.35355339]), ("float32", [0.0, math.nan, 0.98025814])),
        ),
        "pow gradients at negative exponents": (
            _pow_grads([0.0, 0.0, -2.0], [-1.0, 0.0, 2.0]),
            (("float32", [-math.inf, 0.0, -4.0]), ("float32", [-math.inf, 0.0, math.nan])),
        ),
        "x ** 0 gradient": (_pow_scalar_grad(0), ("float32", [0.0, 0.0, 0.0])),
        "x ** 0.5 gradient": (_pow_scalar_grad(0.5), ("float32", [math.inf, math.nan, 0.35355339])),
        "index placement": (
            _index_shapes,
            [(3, 2), (2, 3), (4, 2), (2,), (2, 5), (3, 2), (4, 2), (1, 3, 2), (2,)],
        ),
    }
)


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(want, float) and isinstance(got, (int, float)):
        return (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-6)
    return got == want


@pytest.mark.parametrize("name", list(CASES))
def test_behaves_as_pytorch(name):
    fn, want = CASES[name]
    got = fn(_lib("tg"))
    assert _same(got, want), f"{name}: tinygrad_cnn gives {got}, PyTorch {want}"
    if _torch() is not None:  # the table is PyTorch's own answer
        theirs = fn(_lib("torch"))
        assert _same(theirs, want), f"{name}: torch gives {theirs}, the table says {want}"


def test_default_dtype_reaches_factories_and_promotion():
    for name in ("tg",) + (("torch",) if _torch() is not None else ()):
        L = _lib(name)
        assert L.get_default_dtype() == "float32"
        L.set_default_dtype("float64")
        try:
            got = [summary(L.T([1.0]))[0], summary(L.zeros(2))[0], summary(_ints(L) * 1.5)[0]]
            got.append(summary(L.T([1, 2]).sigmoid())[0])
        finally:
            L.set_default_dtype("float32")
        assert got == ["float64"] * 4, name


def test_max_with_indices_unpacks_and_routes_the_gradient_to_the_index():
    out = tg.Tensor([[0.1, 0.9, 0.9], [0.8, 0.2, 0.0]], requires_grad=True)
    _, pred = out.max(1)
    assert pred.tolist() == [1, 0]  # the first of tied maxima, as PyTorch
    values, indices = out.max(dim=1)
    values.sum().backward()
    assert out.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    from tinygrad_cnn._tensor_reduce import return_types

    assert isinstance(out.max(1), return_types.max)
    assert out.max().item() == pytest.approx(0.9)  # no dim: a tensor


@pytest.mark.parametrize(
    "fn",
    [
        lambda: tg.zeros(2, 3) @ tg.zeros(2, 3),
        lambda: tg.zeros(2, 3).reshape(4, 2),
        lambda: tg.zeros(2, 3) + tg.zeros(4, 3),
        lambda: tg.cat([tg.zeros(2, 3), tg.zeros(2, 4)]),
        lambda: tg.zeros(3).add_(tg.zeros(2, 3)),
    ],
    ids=["matmul", "reshape", "broadcast", "cat", "in-place broadcast"],
)
def test_shape_errors_are_runtime_errors_and_value_errors(fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    assert isinstance(info.value, ValueError)
    assert "(2, 3)" in str(info.value) or "(3,)" in str(info.value)
