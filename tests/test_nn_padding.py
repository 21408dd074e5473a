"""Padding Modules: shapes, values, reprs and errors; compared with PyTorch (live where installed,
else its recorded answers in tests/goldens/live/)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn

KINDS = [
    (name, d)
    for name in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")
    for d in (1, 2, 3)
]


def _make(lib, name, d, padding):
    cls = getattr(lib, f"{name}{d}d")
    return cls(padding, 2.5) if name == "ConstantPad" else cls(padding)


@pytest.mark.parametrize("name,d", KINDS, ids=[f"{n}{d}d" for n, d in KINDS])
def test_padding_modules_pad_the_last_dims(name, d):
    x = tg.Tensor(np.arange(2 * 3**d, dtype=np.float64).reshape((1, 2) + (3,) * d))
    out = _make(nn, name, d, 1)(x)
    assert out.shape == (1, 2) + (5,) * d
    mode = {"Zero": "constant", "Constant": "constant", "Reflection": "reflect"}.get(
        name[: -len("Pad")], {"Replication": "edge", "Circular": "wrap"}.get(name[: -len("Pad")])
    )
    width = [(0, 0), (0, 0)] + [(1, 1)] * d
    kw = {"constant_values": 2.5 if name == "ConstantPad" else 0.0} if mode == "constant" else {}
    np.testing.assert_array_equal(out.numpy(), np.pad(x.numpy(), width, mode=mode, **kw))


def test_padding_module_errors_and_reprs():
    assert repr(nn.ZeroPad2d((1, 2, 3, 4))) == "ZeroPad2d((1, 2, 3, 4))"
    assert repr(nn.ConstantPad2d(1, 3.5)) == "ConstantPad2d(padding=(1, 1, 1, 1), value=3.5)"
    with pytest.raises(
        ValueError, match=r"ReflectionPad2d: padding must be an int or a tuple of 4"
    ):
        nn.ReflectionPad2d((1, 2, 3))


def _torch_padding(name, d, padding, x):
    def compute(torch):
        theirs = _make(torch.nn, name, d, padding)
        tx = torch.tensor(x, requires_grad=True)
        t_out = theirs(tx)
        t_out.backward(torch.tensor(np.random.default_rng(1).standard_normal(t_out.shape)))
        return repr(theirs), t_out.detach().numpy(), tx.grad.numpy()

    return compute


@pytest.mark.parametrize("name,d", KINDS, ids=[f"{n}{d}d" for n, d in KINDS])
def test_padding_modules_match_pytorch(name, d, torch_answer):
    padding = (1, 2) * d
    x = np.random.default_rng(0).standard_normal((2, 1) + (4,) * d)
    their_repr, t_out, t_grad = torch_answer(_torch_padding(name, d, padding, x), name, d, x)
    ours = _make(nn, name, d, padding)
    assert repr(ours) == their_repr
    ox = tg.Tensor(x, requires_grad=True)
    o_out = ours(ox)
    np.testing.assert_allclose(o_out.numpy(), t_out)
    o_out.backward(tg.Tensor(np.random.default_rng(1).standard_normal(t_out.shape)))
    np.testing.assert_allclose(ox.grad.numpy(), t_grad, atol=1e-12)
