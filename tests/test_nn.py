"""nn: Module registry, containers, layers against their functional forms, init, state dicts,
loss modules, gradient clipping and summary."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.autograd import _state


def _rand(*shape, seed=0):
    return tg.Tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.blocks = [nn.Linear(4, 4), nn.Linear(4, 2)]
        self.heads = {"a": nn.Linear(2, 1), "b": nn.Identity()}
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("steps", tg.zeros(1))
        self.register_buffer("scratch", tg.zeros(2), persistent=False)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x))).mean((2, 3))
        for b in self.blocks:
            x = b(x)
        return self.heads["a"](x) * self.scale


# -- Module registry ----------------------------------------------------------------------------


def test_registration_and_state_dict_keys_in_order():
    net = Net()
    assert isinstance(net.blocks, nn.ModuleList) and isinstance(net.heads, nn.ModuleDict)
    keys = list(net.state_dict())
    assert keys == [
        "scale",
        "steps",
        "conv.weight",
        "conv.bias",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "heads.a.weight",
        "heads.a.bias",
    ]
    names = [n for n, _ in net.named_parameters()]
    assert names == [k for k in keys if "running" not in k and "num_batches" not in k][:1] + [
        "conv.weight",
        "conv.bias",
        "bn.weight",
        "bn.bias",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "heads.a.weight",
        "heads.a.bias",
    ]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_buffers()] == [
        "steps",
        "scratch",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "conv",
        "bn",
        "blocks",
        "blocks.0",
        "blocks.1",
        "heads",
        "heads.a",
        "heads.b",
    ]
    assert [type(m).__name__ for m in net.children()] == [
        "Conv2d",
        "BatchNorm2d",
        "ModuleList",
        "ModuleDict",
    ]
    assert net.state_dict()["bn.num_batches_tracked"].dtype == np.int64


def test_shared_parameters_counted_once_and_reassignment():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_modules())) == 3  # the shared Linear appears once
    m = nn.Module()
    m.w = nn.Parameter(tg.zeros(2))
    with pytest.raises(TypeError, match="Parameter or None"):
        m.w = tg.zeros(2)
    m.w = None
    assert list(m.state_dict()) == []
    m.w = nn.ReLU()  # a parameter name can become a child module
    assert list(m.named_children()) == [("w", m.w)] and list(m.parameters()) == []
    del m.w
    assert list(m.children()) == []


def test_assign_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()


def test_train_eval_zero_grad_apply_requires_grad():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(_rand(2, 1, 5, 5)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(np.abs(p.grad.data).sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Conv2d" and len(seen) == 9
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_hooks_and_module_stack():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU())
    calls = []

    def hook(mod, inputs, out):
        calls.append((type(mod).__name__, inputs[0].shape, out.shape, list(_state.module_stack)))
        return out * 2

    h = lin.register_forward_hook(hook)
    out = seq(tg.ones(1, 2))
    assert calls == [("Linear", (1, 2), (1, 2), [seq])]  # hooks run after the pop
    ref = F.relu(F.linear(tg.ones(1, 2), lin.weight, lin.bias) * 2)
    np.testing.assert_allclose(out.data, ref.data)
    h.remove()
    seq(tg.ones(1, 2))
    assert len(calls) == 1
    # ops record the innermost module they ran in
    x = tg.ones(1, 2, requires_grad=True)
    y = seq(x)
    assert y._ctx.module is seq[1]
    assert y._ctx.inputs[0]._ctx.module is lin
    assert _state.module_stack == []


def test_module_stack_popped_on_error():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError):
        lin(tg.ones(1, 4))
    assert _state.module_stack == []


def test_pre_hook_replaces_input():
    relu = nn.ReLU()
    relu.register_forward_pre_hook(lambda m, args: (args[0] * -1,))
    assert relu(tg.Tensor([-2.0, 3.0])).tolist() == [2.0, 0.0]


def test_repr_matches_pytorch_layout():
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 2, bias=False),
        nn.Dropout(0.2),
    )
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (3): Flatten(start_dim=1, end_dim=-1)\n"
        "  (4): Linear(in_features=16, out_features=2, bias=False)\n"
        "  (5): Dropout(p=0.2, inplace=False)\n"
        ")"
    )
    assert repr(nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "groups=2, bias=False)"
    )
    assert repr(nn.BatchNorm1d(3)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.ConvTranspose2d(2, 3, 2, stride=2, output_padding=1)) == (
        "ConvTranspose2d(2, 3, kernel_size=(2, 2), stride=(2, 2), output_padding=(1, 1))"
    )
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


# -- containers ---------------------------------------------------------------------------------


def test_sequential_indexing_slicing_append():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b
    seq.append(c)
    assert len(seq) == 3 and seq[2] is c and list(seq) == [a, b, c]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    assert head(tg.ones(4, 2)).shape == (4, 3)
    assert seq(tg.ones(4, 2)).shape == (4, 1)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(TypeError, match="Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    del seq[1]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(2, 2)])
    ml.append(nn.Linear(2, 3))
    assert len(ml) == 2 and ml[-1].out_features == 3
    assert [k for k in ml.state_dict()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    md = nn.ModuleDict({"x": nn.Linear(1, 1)})
    md["y"] = nn.ReLU()
    assert list(md) == ["x", "y"] and "y" in md and len(md) == 2
    with pytest.raises(NotImplementedError):
        ml(tg.ones(1))


# -- layers vs functional forms and documented shapes -----------------------------------------


def test_linear_matches_functional_and_shapes():
    lin = nn.Linear(5, 3)
    x = _rand(2, 4, 5)
    out = lin(x)
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out.data, x.data @ lin.weight.data.T + lin.bias.data, rtol=1e-5)
    out.sum().backward()
    np.testing.assert_allclose(lin.bias.grad.data, np.full(3, 8.0))
    assert nn.Linear(5, 3, bias=False).bias is None


def test_conv2d_matches_functional_and_shape_formula():
    conv = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    x = _rand(2, 4, 9, 8)
    out = conv(x)
    ref = F.conv2d(x, conv.weight, conv.bias, (2, 1), (1, 0), (1, 2), 2)
    np.testing.assert_array_equal(out.data, ref.data)
    h = (9 + 2 * 1 - 1 * (3 - 1) - 1) // 2 + 1
    w = (8 + 0 - 2 * (2 - 1) - 1) // 1 + 1
    assert out.shape == (2, 6, h, w) and conv.weight.shape == (6, 2, 3, 2)


def test_conv2d_same_and_valid_padding():
    x = _rand(1, 2, 7, 7)
    for k in (3, 4):
        conv = nn.Conv2d(2, 3, k, padding="same")
        assert conv(x).shape == (1, 3, 7, 7)
    conv = nn.Conv2d(2, 3, 4, padding="same")
    padded = x.pad((1, 2, 1, 2))  # PyTorch puts the odd extra padding at the end
    np.testing.assert_allclose(
        conv(x).data, F.conv2d(padded, conv.weight, conv.bias).data, rtol=1e-5, atol=1e-6
    )
    assert nn.Conv2d(2, 3, 3, padding="valid")(x).shape == (1, 3, 5, 5)


def test_conv_constructor_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="bogus")
    with pytest.raises(ValueError, match="in_channels"):
        nn.Conv2d(0, 4, 3)
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose2d(2, 2, 3, stride=1, output_padding=1)


def test_conv_transpose2d_matches_functional_and_shape():
    ct = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    x = _rand(2, 4, 5, 5)
    out = ct(x)
    ref = F.conv_transpose2d(x, ct.weight, ct.bias, 2, 1, 1, 2, 1)
    np.testing.assert_array_equal(out.data, ref.data)
    assert ct.weight.shape == (4, 3, 3, 3)
    assert out.shape == (2, 6, (5 - 1) * 2 - 2 + (3 - 1) + 1 + 1, 10)
    assert ct(x, output_size=(9, 9)).shape == (2, 6, 9, 9)
    with pytest.raises(ValueError, match="output size"):
        ct(x, output_size=(20, 20))


def test_pool_layers_match_functional():
    x = _rand(2, 3, 9, 9)
    mp = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
    np.testing.assert_array_equal(mp(x).data, F.max_pool2d(x, 3, 2, 1, ceil_mode=True).data)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    ap = nn.AvgPool2d(2, padding=1, count_include_pad=False)
    np.testing.assert_array_equal(
        ap(x).data, F.avg_pool2d(x, 2, 2, 1, count_include_pad=False).data
    )
    aap = nn.AdaptiveAvgPool2d((3, 1))
    np.testing.assert_allclose(aap(x).data, F.adaptive_avg_pool2d(x, (3, 1)).data)
    np.testing.assert_allclose(
        nn.AdaptiveAvgPool2d(1)(x).data, x.data.mean((2, 3), keepdims=True), rtol=1e-5
    )


def test_batchnorm2d_training_eval_and_running_stats():
    bn = nn.BatchNorm2d(3, momentum=0.2)
    with tg.no_grad():
        bn.weight.data[...] = [1.0, 2.0, 0.5]
        bn.bias.data[...] = [0.0, 1.0, -1.0]
    x = _rand(4, 3, 5, 5)
    out = bn(x)
    mean = x.data.mean((0, 2, 3))
    var = x.data.var((0, 2, 3))
    ref = (x.data - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    ref = ref * bn.weight.data[:, None, None] + bn.bias.data[:, None, None]
    np.testing.assert_allclose(out.data, ref, rtol=1e-4, atol=1e-5)
    n = 4 * 25
    np.testing.assert_allclose(bn.running_mean.data, 0.2 * mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bn.running_var.data, 0.8 + 0.2 * var * n / (n - 1), rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    rm, rv = bn.running_mean.data.copy(), bn.running_var.data.copy()
    out = bn(x)
    ref = (x.data - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5)
    ref = ref * bn.weight.data[:, None, None] + bn.bias.data[:, None, None]
    np.testing.assert_allclose(out.data, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.data, rm)  # eval leaves stats alone
    assert int(bn.num_batches_tracked.item()) == 1


def test_batchnorm_momentum_none_and_no_tracking_and_errors():
    bn = nn.BatchNorm1d(2, momentum=None)
    a, b = _rand(8, 2, seed=1), _rand(8, 2, seed=2)
    bn(a)
    bn(b)
    expected = (a.data.mean(0) + b.data.mean(0)) / 2  # cumulative average
    np.testing.assert_allclose(bn.running_mean.data, expected, rtol=1e-5, atol=1e-6)
    free = nn.BatchNorm1d(2, affine=False, track_running_stats=False).eval()
    assert list(free.state_dict()) == []
    out = free(a)  # no running stats: batch statistics even in eval
    np.testing.assert_allclose(out.data.mean(0), 0, atol=1e-5)
    assert nn.BatchNorm1d(2)(_rand(4, 2, 6)).shape == (4, 2, 6)
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(2)(_rand(4, 2))
    with pytest.raises(ValueError, match="num_features=3"):
        nn.BatchNorm2d(3)(_rand(2, 2, 3, 3))


def test_dropout_train_and_eval():
    tg.manual_seed(0)
    d = nn.Dropout(0.25)
    out = d(tg.ones(10000))
    vals = set(np.unique(out.data).tolist())
    assert vals == {0.0, np.float32(1 / 0.75).item()}
    assert abs((out.data == 0).mean() - 0.25) < 0.02
    d.eval()
    x = _rand(5)
    assert d(x) is x or np.array_equal(d(x).data, x.data)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


@pytest.mark.parametrize(
    "layer, fn",
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
        (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh),
        (nn.GELU(), lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
        (
            nn.GELU("tanh"),
            lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        ),
        (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
        (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
        (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
        (nn.Flatten(), lambda x: x.reshape(x.shape[0], -1)),
        (nn.Identity(54, unused=True), lambda x: x),
    ],
)
def test_activation_layers(layer, fn):
    x = _rand(3, 4, 2)
    np.testing.assert_allclose(layer(x).data, fn(x.data.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_softmax_default_dim_follows_pytorch_legacy_rule():
    x = _rand(2, 3)
    np.testing.assert_allclose(nn.Softmax()(x).data.sum(1), 1, rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax()(_rand(3, 2, 2)).data.sum(0), 1, rtol=1e-6)


# -- init ---------------------------------------------------------------------------------------


def test_default_init_distributions_match_pytorch():
    tg.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound
    # U(-b, b) has std b / sqrt(3)
    assert abs(lin.weight.data.std() - bound / math.sqrt(3)) < 0.01 * bound
    conv = nn.Conv2d(8, 16, 3)
    b = 1 / math.sqrt(8 * 9)
    assert np.abs(conv.weight.data).max() <= b and np.abs(conv.bias.data).max() <= b
    ct = nn.ConvTranspose2d(8, 4, 3, groups=2)  # fan_in from weight (in, out/groups, k, k)
    b = 1 / math.sqrt(2 * 9)
    assert np.abs(ct.weight.data).max() <= b and np.abs(ct.weight.data).max() > 0.8 * b
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_var.tolist() == [1.0] * 3
    assert lin.weight.dtype == np.float32


def test_init_functions():
    tg.manual_seed(1)
    w = tg.zeros(500, 200)
    nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
    assert abs(w.data.std() - math.sqrt(2 / 200)) < 0.01 * math.sqrt(2 / 200) * 5
    nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    assert abs(np.abs(w.data).max() - math.sqrt(6 / 500)) < 1e-3
    nn.init.xavier_uniform_(w, gain=2.0)
    assert abs(np.abs(w.data).max() - 2 * math.sqrt(6 / 700)) < 1e-3
    nn.init.xavier_normal_(w)
    assert abs(w.data.std() - math.sqrt(2 / 700)) < 0.02 * math.sqrt(2 / 700)
    nn.init.normal_(w, mean=3.0, std=0.5)
    assert abs(w.data.mean() - 3.0) < 0.01 and abs(w.data.std() - 0.5) < 0.01
    nn.init.uniform_(w, -2, -1)
    assert w.data.min() >= -2 and w.data.max() < -1
    assert nn.init.constant_(w, 0.5).data.max() == 0.5
    assert nn.init.ones_(w).data.min() == 1 and nn.init.zeros_(w).data.max() == 0
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="fewer than 2"):
        nn.init.xavier_uniform_(tg.zeros(3))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swishy")


def test_init_is_seeded():
    tg.manual_seed(3)
    a = nn.Linear(4, 4).weight.data.copy()
    tg.manual_seed(3)
    assert np.array_equal(nn.Linear(4, 4).weight.data, a)


# -- state dicts --------------------------------------------------------------------------------


def test_state_dict_round_trip_with_tensors_and_numpy():
    tg.manual_seed(0)
    src = Net()
    src(_rand(2, 1, 5, 5))  # move running stats
    tg.manual_seed(1)
    dst = Net()
    weight_obj = dst.conv.weight
    res = dst.load_state_dict({k: v.numpy().copy() for k, v in src.state_dict().items()})
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert dst.conv.weight is weight_obj  # loaded in place: optimizers keep their references
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=k)
        assert a.dtype == b.dtype
    src.eval(), dst.eval()
    x = _rand(3, 1, 5, 5)
    np.testing.assert_array_equal(src(x).data, dst(x).data)
    dst.load_state_dict(src.state_dict())  # Tensors work too
    # state_dict values share memory with the module but are detached
    sd = src.state_dict()
    assert not sd["conv.weight"].requires_grad
    assert np.shares_memory(sd["conv.weight"].data, src.conv.weight.data)


def test_load_state_dict_errors_name_the_keys():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    sd = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = dict(sd)
    del bad["1.running_var"]
    bad["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(bad)
    msg = str(e.value)
    assert "Missing key(s) in state_dict: 1.running_var" in msg
    assert "Unexpected key(s) in state_dict: extra.weight" in msg
    assert isinstance(e.value, ValueError)
    before = net[0].weight.data.copy()
    res = net.load_state_dict(bad, strict=False)
    assert res == (["1.running_var"], ["extra.weight"])
    mis = dict(sd)
    mis["0.weight"] = np.zeros((2, 3), np.float32)
    net[0].weight.data[...] = before
    with pytest.raises(nn.StateDictError, match=r"size mismatch for 0.weight.*\(2, 3\).*\(3, 2\)"):
        net.load_state_dict(mis, strict=False)
    np.testing.assert_array_equal(net[0].weight.data, before)  # nothing half-loaded
    with pytest.raises(TypeError, match="mapping"):
        net.load_state_dict([1, 2])


def test_load_real_torch_state_dict():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.ConvTranspose2d(4, 2, 2, stride=2),
        torch.nn.Flatten(),
        torch.nn.Linear(2 * 6 * 6, 5),
    )
    tnet.train()
    tnet(torch.randn(8, 1, 6, 6))  # non-trivial running stats
    tnet.eval()
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.ConvTranspose2d(4, 2, 2, stride=2),
        nn.Flatten(),
        nn.Linear(2 * 6 * 6, 5),
    ).eval()
    tsd = tnet.state_dict()
    assert list(tsd) == list(net.state_dict())
    net.load_state_dict({k: v.numpy() for k, v in tsd.items()})
    assert int(net[1].num_batches_tracked.item()) == 1
    x = np.random.default_rng(0).standard_normal((3, 1, 6, 6)).astype(np.float32)
    with torch.no_grad():
        ref = tnet(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net(tg.Tensor(x)).data, ref, rtol=1e-4, atol=1e-5)
    # and back: our state dict loads into torch
    back = {k: torch.from_numpy(v.numpy().copy()) for k, v in net.state_dict().items()}
    tnet.load_state_dict(back)


def test_layer_shapes_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Conv2d(3, 5, 3, stride=2, padding=2, dilation=2), torch.nn.Conv2d(3, 5, 3, 2, 2, 2)),
        (nn.ConvTranspose2d(3, 4, 3, 2, 1, 1), torch.nn.ConvTranspose2d(3, 4, 3, 2, 1, 1)),
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
        (nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]
    x = np.random.default_rng(0).standard_normal((2, 3, 11, 10)).astype(np.float32)
    for ours, theirs in pairs:
        if list(theirs.state_dict()):
            ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        with torch.no_grad():
            ref = theirs(torch.from_numpy(x)).numpy()
        out = ours(tg.Tensor(x))
        assert out.shape == ref.shape, type(ours).__name__
        np.testing.assert_allclose(out.data, ref, rtol=1e-4, atol=1e-5)


# -- loss modules -------------------------------------------------------------------------------


def test_loss_modules_match_functional():
    logits = _rand(4, 3)
    target = tg.Tensor([0, 2, 1, 2])
    w = tg.Tensor([1.0, 2.0, 0.5])
    np.testing.assert_allclose(
        nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(logits, target).data,
        F.cross_entropy(logits, target, w, label_smoothing=0.1).data,
    )
    assert list(nn.CrossEntropyLoss(weight=w).state_dict()) == ["weight"]
    logp = logits.log_softmax(1)
    np.testing.assert_allclose(
        nn.NLLLoss(reduction="sum", ignore_index=2)(logp, target).data,
        F.nll_loss(logp, target, ignore_index=2, reduction="sum").data,
    )
    a, b = _rand(5, seed=1), _rand(5, seed=2)
    assert nn.MSELoss()(a, b).item() == pytest.approx(float(((a.data - b.data) ** 2).mean()))
    assert nn.L1Loss(reduction="none")(a, b).shape == (5,)
    p = a.sigmoid()
    y = tg.Tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(
        nn.BCELoss()(p, y).data, nn.BCEWithLogitsLoss()(a, y).data, rtol=1e-5
    )
    pw = tg.Tensor([2.0] * 5)
    np.testing.assert_allclose(
        nn.BCEWithLogitsLoss(pos_weight=pw)(a, y).data,
        F.binary_cross_entropy_with_logits(a, y, pos_weight=pw).data,
    )
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


# -- utils --------------------------------------------------------------------------------------


def test_clip_grad_norm_and_value():
    a, b = nn.Parameter(tg.zeros(2)), nn.Parameter(tg.zeros(1))
    a.grad, b.grad = tg.Tensor([3.0, 0.0]), tg.Tensor([4.0])
    total = nn.utils.clip_grad_norm_([a, b], 2.5)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.data, [1.5, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, [2.0], rtol=1e-5)
    total = nn.utils.clip_grad_norm_([a, b], 100.0)
    assert total.item() == pytest.approx(2.5, rel=1e-5)
    np.testing.assert_allclose(b.grad.data, [2.0], rtol=1e-5)  # under the limit: untouched
    a.grad = tg.Tensor([-3.0, 1.0])
    assert nn.utils.clip_grad_norm_([a], 1.0, norm_type=math.inf).item() == 3.0
    np.testing.assert_allclose(a.grad.data, [-1.0, 1 / 3], rtol=1e-5)
    nn.utils.clip_grad_value_([a, b], 0.5)
    np.testing.assert_allclose(a.grad.data, [-0.5, 1 / 3], rtol=1e-5)
    assert b.grad.tolist() == [0.5]
    c = nn.Parameter(tg.zeros(1))
    c.grad = tg.Tensor([math.inf])
    with pytest.raises(RuntimeError, match="non"):
        nn.utils.clip_grad_norm_([c], 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]
    for norm_type in (2.0, 1.0, math.inf):
        ours = [nn.Parameter(tg.zeros(g.shape)) for g in grads]
        theirs = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
        for p, t, g in zip(ours, theirs, grads):
            p.grad, t.grad = tg.Tensor(g.copy()), torch.tensor(g.copy())
        n1 = nn.utils.clip_grad_norm_(ours, 0.7, norm_type)
        n2 = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type)
        assert n1.item() == pytest.approx(n2.item(), rel=1e-6)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-6, atol=1e-7)


# -- summary ------------------------------------------------------------------------------------


def test_summary_table_params_and_flops():
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1176, 10)
    )
    model.train()
    s = tg.summary(model, (1, 28, 28))
    assert [r["name"] for r in s.rows] == ["0", "1", "2", "3", "4"]
    assert [r["output_shape"] for r in s.rows] == [
        "(N, 6, 28, 28)",
        "(N, 6, 28, 28)",
        "(N, 6, 14, 14)",
        "(N, 1176)",
        "(N, 10)",
    ]
    assert [r["params"] for r in s.rows] == [156, 0, 0, 0, 11770]
    assert s.total_params == s.trainable_params == 156 + 11770
    conv = 2 * 6 * 28 * 28 * 25 + 6 * 28 * 28
    expected = conv + 6 * 28 * 28 + 6 * 14 * 14 * 4 + 2 * 1176 * 10 + 10
    assert s.flops == expected
    text = str(s)
    assert "Conv2d" in text and "(N, 6, 14, 14)" in text and "Total params: 11,926" in text
    assert "Trainable params: 11,926" in text and f"{expected:,}" in text
    assert model.training and all(m.training for m in model.modules())  # mode restored
    assert all(not m._forward_hooks for m in model.modules())  # hooks removed
    model[0].weight.requires_grad = False
    assert tg.summary(model, (1, 28, 28)).trainable_params == 11926 - 150
    with pytest.raises(ValueError, match="input_shape"):
        tg.summary(model, ())
