"""Normalization layers: shapes, state dicts, train/eval behaviour and errors; compared with
PyTorch where it is installed (forward, input gradients, running statistics)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_layer_norm_normalizes_trailing_dims_and_keeps_pytorch_keys():
    ln = nn.LayerNorm((3, 4))
    assert list(ln.state_dict()) == ["weight", "bias"]
    out = ln(tg.Tensor(_x(2, 3, 4)))
    np.testing.assert_allclose(out.numpy().mean(axis=(1, 2)), 0, atol=1e-6)
    np.testing.assert_allclose(out.numpy().var(axis=(1, 2)), 1, atol=1e-3)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(5,\)"):
        F.layer_norm(tg.ones(2, 3), (5,))


def test_group_norm_checks_divisibility_and_channels():
    with pytest.raises(ValueError, match="num_channels 6 must be divisible by num_groups 4"):
        nn.GroupNorm(4, 6)
    with pytest.raises(
        ValueError, match=r"group_norm: num_channels 5 .* divisible by num_groups 2"
    ):
        F.group_norm(tg.ones(1, 5, 3), 2)
    gn = nn.GroupNorm(2, 4, bias=False)
    assert list(gn.state_dict()) == ["weight"]


def test_instance_norm_tracks_running_stats_only_when_asked():
    plain = nn.InstanceNorm2d(3)
    assert list(plain.state_dict()) == []
    tracked = nn.InstanceNorm2d(3, track_running_stats=True)
    x = tg.Tensor(_x(2, 3, 4, 4) + 2.0)
    tracked(x)
    assert tracked.running_mean.numpy().mean() > 0.1  # moved towards the data's mean of ~2
    tracked.eval()
    a = tracked(x).numpy()
    b = plain.eval()(x).numpy()  # without running stats, eval still uses the input's stats
    assert not np.allclose(a, b)
    assert nn.InstanceNorm1d(2)(tg.Tensor(_x(2, 5))).shape == (2, 5)  # unbatched (C, L)


def test_batch_norm_3d_shape_check():
    with pytest.raises(ValueError, match="BatchNorm3d: expected 5D input"):
        nn.BatchNorm3d(2)(tg.ones(2, 2, 3, 3))


def test_norm_layers_train_in_a_model():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.ReLU(), nn.Linear(6, 2))
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    x, y = tg.Tensor(_x(16, 4)), tg.Tensor(np.arange(16) % 2)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: live comparison skipped")


MODULES = [
    ("LayerNorm", ((4, 5),), {}, (3, 4, 5)),
    ("LayerNorm", (5,), {"bias": False}, (2, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (1, 4), {"affine": False}, (2, 4, 2, 2)),
    ("InstanceNorm1d", (3,), {"affine": True}, (2, 3, 6)),
    ("InstanceNorm2d", (3,), {"track_running_stats": True}, (2, 3, 4, 4)),
    ("InstanceNorm3d", (2,), {}, (2, 2, 3, 3, 3)),
    ("LocalResponseNorm", (3,), {"alpha": 0.1}, (2, 5, 3, 3)),
    ("BatchNorm3d", (2,), {}, (4, 2, 2, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_pytorch(name, args, kwargs, shape):
    torch = _torch()
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    with torch.no_grad():  # non-trivial affine parameters, loaded through the state dict
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = _x(*shape, seed=3)
    tx = torch.tensor(x, requires_grad=True)
    ox = tg.Tensor(x, requires_grad=True)
    for mode in ("train", "eval"):
        getattr(theirs, mode)()
        getattr(ours, mode)()
        t_out, o_out = theirs(tx), ours(ox)
        np.testing.assert_allclose(o_out.numpy(), t_out.detach().numpy(), rtol=1e-7, atol=1e-9)
        g = _x(*t_out.shape, seed=4)
        t_out.backward(torch.tensor(g))
        o_out.backward(tg.Tensor(g))
        np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-9)
        tx.grad, ox.grad = None, None
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-7)
