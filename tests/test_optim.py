"""optim: each optimizer against hand-computed updates and against PyTorch over hundreds of
steps; parameter groups, zero_grad, state dicts, errors; every LR scheduler."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.optim import lr_scheduler as sched


def _param(values):
    return nn.Parameter(tg.Tensor(np.asarray(values, dtype=np.float32)))


def _run(opt_cls, kw, grads, start=(1.0, -2.0)):
    """Apply a fixed sequence of gradients; return the parameter after each step."""
    p = _param(start)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = tg.Tensor(np.asarray(g, dtype=np.float32))
        opt.step()
        out.append(p.data.astype(np.float64).copy())
    return out


GRADS = [[0.5, -1.0], [0.25, 2.0], [-1.0, 0.5]]


# -- hand-computed updates ----------------------------------------------------------------------


def test_sgd_plain_momentum_dampening_nesterov_weight_decay():
    lr, m, damp, wd = 0.1, 0.9, 0.2, 0.01
    got = _run(optim.SGD, dict(lr=lr), GRADS)
    p = np.array([1.0, -2.0])
    for g, out in zip(GRADS, got):
        p = p - lr * np.array(g)
        np.testing.assert_allclose(out, p, rtol=1e-6)
    got = _run(optim.SGD, dict(lr=lr, momentum=m, dampening=damp, weight_decay=wd), GRADS)
    p, buf = np.array([1.0, -2.0]), None
    for g, out in zip(GRADS, got):
        g = np.array(g) + wd * p
        buf = g.copy() if buf is None else m * buf + (1 - damp) * g  # no dampening at step 1
        p = p - lr * buf
        np.testing.assert_allclose(out, p, rtol=1e-6)
    got = _run(optim.SGD, dict(lr=lr, momentum=m, nesterov=True), GRADS)
    p, buf = np.array([1.0, -2.0]), None
    for g, out in zip(GRADS, got):
        g = np.array(g)
        buf = g.copy() if buf is None else m * buf + g
        p = p - lr * (g + m * buf)
        np.testing.assert_allclose(out, p, rtol=1e-6)
    got = _run(optim.SGD, dict(lr=lr, maximize=True), GRADS[:1])
    np.testing.assert_allclose(got[0], [1.05, -2.1], rtol=1e-6)


def _adam_ref(grads, lr, b1, b2, eps, wd, amsgrad, decoupled):
    p = np.array([1.0, -2.0])
    m = np.zeros(2)
    v = np.zeros(2)
    vmax = np.zeros(2)
    out = []
    for t, g in enumerate(grads, 1):
        g = np.array(g, dtype=np.float64)
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - b2**t)
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(vhat) + eps)
        out.append(p)
    return out


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_adam_and_adamw_hand_computed(cls, amsgrad):
    kw = dict(lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=amsgrad)
    got = _run(cls, kw, GRADS)
    ref = _adam_ref(GRADS, 0.1, 0.8, 0.95, 1e-6, 0.1, amsgrad, decoupled=cls is optim.AdamW)
    for out, r in zip(got, ref):
        np.testing.assert_allclose(out, r, rtol=1e-5)
    assert optim.AdamW([_param([1.0])]).defaults["weight_decay"] == 0.01


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_rmsprop_hand_computed(centered, momentum):
    lr, alpha, eps, wd = 0.01, 0.9, 1e-6, 0.05
    kw = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum, centered=centered)
    got = _run(optim.RMSprop, kw, GRADS)
    p, sq, ga, buf = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2), np.zeros(2)
    for g, out in zip(GRADS, got):
        g = np.array(g) + wd * p
        sq = alpha * sq + (1 - alpha) * g * g
        if centered:
            ga = alpha * ga + (1 - alpha) * g
            avg = np.sqrt(sq - ga * ga) + eps
        else:
            avg = np.sqrt(sq) + eps
        if momentum:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
        np.testing.assert_allclose(out, p, rtol=1e-5)


def test_params_without_grad_are_skipped_and_dtype_kept():
    a, b = _param([1.0]), _param([2.0])
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tg.Tensor([1.0])
    opt.step()
    assert b.tolist() == [2.0] and b not in opt.state
    assert a.dtype == np.float32 and a.data.dtype == np.float32
    d = nn.Parameter(tg.Tensor(np.array([1.0])))  # float64 stays float64
    opt = optim.SGD([d], lr=0.1)
    d.grad = tg.Tensor(np.array([1.0]))
    opt.step()
    assert d.dtype == np.float64 and d.item() == pytest.approx(0.9, abs=1e-15)


def test_step_records_no_graph_and_trains_a_model():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    x = tg.randn(32, 3)
    y = (x * tg.Tensor([1.0, -2.0, 0.5])).sum(1, keepdim=True)
    opt = optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(150):
        loss = nn.MSELoss()(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * first
    assert all(p.is_leaf and p._ctx is None for p in model.parameters())


def test_closure_is_called_with_grad_enabled():
    p = _param([3.0])
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and p.item() == pytest.approx(2.4)


# -- against PyTorch over hundreds of steps -----------------------------------------------------


CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, betas=(0.8, 0.99))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, eps=1e-6)),
]


@pytest.mark.parametrize("name, kw", CONFIGS)
def test_matches_torch_over_300_steps(name, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20, 5)).astype(np.float32)
    y = (10 + rng.standard_normal((20, 3))).astype(np.float32)
    c = rng.standard_normal(7).astype(np.float32)
    init = [
        rng.standard_normal((5, 3)).astype(np.float32),
        rng.standard_normal(7).astype(np.float32),
    ]

    # a least-squares problem whose optimum lies far away: well-conditioned, so float32
    # rounding differences stay at rounding level instead of being amplified
    def grads(w, b):
        return (a.T @ (a @ w - y) / 20).astype(np.float32), (b - c - 5).astype(np.float32)

    ours = [nn.Parameter(tg.Tensor(v.copy())) for v in init]
    theirs = [torch.nn.Parameter(torch.tensor(v.copy())) for v in init]
    opt = getattr(optim, name)(ours, **kw)
    topt = getattr(torch.optim, name)(theirs, **kw)
    worst = 0.0
    for _ in range(300):
        for p, g in zip(ours, grads(*[p.data for p in ours])):
            p.grad = tg.Tensor(g)
        for p, g in zip(theirs, grads(*[p.detach().numpy() for p in theirs])):
            p.grad = torch.tensor(g)
        opt.step()
        topt.step()
        for p, t in zip(ours, theirs):
            tv = t.detach().numpy()
            worst = max(worst, float(np.abs(p.data - tv).max() / np.abs(tv).max()))
    assert worst < 2e-6
    # optimizer state has PyTorch's names and values
    tstate = topt.state_dict()["state"]
    state = opt.state_dict()["state"]
    assert set(state) == set(tstate)
    for i in state:
        assert set(state[i]) == set(tstate[i])
        for k, v in state[i].items():
            tv = tstate[i][k]
            tv = tv.item() if k == "step" else tv.numpy()
            np.testing.assert_allclose(v, tv, rtol=1e-4, atol=1e-5)


# -- groups, zero_grad, state dicts, errors -----------------------------------------------------


def test_param_groups_use_their_own_options():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.5}], lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0.0 and opt.param_groups[1]["lr"] == 0.5
    for _ in range(2):
        a.grad, b.grad = tg.Tensor([1.0]), tg.Tensor([1.0])
        opt.step()
    assert a.item() == pytest.approx(0.8)
    assert b.item() == pytest.approx(1 - 0.5 - 0.5 * 1.5)
    c = _param([0.0])
    opt.add_param_group({"params": c, "lr": 0.01})
    assert opt.param_groups[2]["momentum"] == 0.0 and opt.param_groups[2]["params"] == [c]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_zero_grad():
    p = _param([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1)
    p.grad = tg.Tensor([1.0, 1.0])
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_constructor_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    model = nn.ReLU()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(model.parameters())
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        optim.SGD([_param([1.0]), np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(_param([1.0]))
    with pytest.raises(TypeError, match="iterable"):
        optim.Adam(3)
    with pytest.raises(ValueError, match="invalid lr"):
        optim.SGD([_param([1.0])], lr=-1)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([_param([1.0])], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([_param([1.0])], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="non-leaf"):
        x = _param([1.0])
        optim.SGD([x * 2], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([tg.Tensor([1, 2])], lr=0.1)
    p = _param([1.0])
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)


@pytest.mark.parametrize(
    "cls, kw",
    [
        (optim.SGD, dict(lr=0.1, momentum=0.9)),
        (optim.Adam, dict(lr=0.1, amsgrad=True)),
        (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    ],
)
def test_state_dict_round_trip_continues_identically(cls, kw):
    def grads(step):
        return [tg.Tensor([math.sin(step), 0.5]), tg.Tensor([[math.cos(step)]])]

    ps = [_param([1.0, 2.0]), _param([[3.0]])]
    opt = cls(ps, **kw)
    for s in range(3):
        for p, g in zip(ps, grads(s)):
            p.grad = g
        opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1] and set(sd["state"]) == {0, 1}
    clones = [_param(p.data.copy()) for p in ps]
    opt2 = cls(clones, lr=123.0)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == kw["lr"]
    for s in range(3, 6):
        for p, q, g in zip(ps, clones, grads(s)):
            p.grad, q.grad = g, g
        opt.step()
        opt2.step()
    for p, q in zip(ps, clones):
        np.testing.assert_array_equal(p.data, q.data)
    # the saved state is a copy: later steps do not change it
    key = next(iter(sd["state"][0]))
    if isinstance(sd["state"][0][key], np.ndarray):
        assert not np.shares_memory(sd["state"][0][key], opt.state[ps[0]][key])


def test_load_state_dict_errors():
    opt = optim.SGD([_param([1.0]), _param([2.0])], lr=0.1, momentum=0.9)
    other = optim.SGD([_param([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="group sizes"):
        other.load_state_dict(opt.state_dict())
    two = optim.SGD([{"params": [_param([1.0])]}, {"params": [_param([1.0])]}], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups"):
        other.load_state_dict(two.state_dict())
    group = {**other.defaults, "params": [0]}
    bad = {"state": {0: {"momentum_buffer": np.zeros(3)}}, "param_groups": [group]}
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict(bad)
    # a group without the optimizer's options was saved from another optimizer (or is junk)
    with pytest.raises(ValueError, match="lacks 'lr'"):
        other.load_state_dict({"state": {}, "param_groups": [{"params": [0]}]})


def test_load_state_dict_checks_everything_before_changing_anything():
    w = _param([1.0, 2.0])
    sgd = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = tg.Tensor([1.0, 1.0])
    sgd.step()
    before = (sgd.state_dict(), [dict(g) for g in sgd.param_groups])
    adam = optim.Adam([_param([1.0, 2.0])], lr=0.5)
    cases = [
        ([1, 2], TypeError, "SGD.load_state_dict: expected a dict, got list"),
        ({"state": 5, "param_groups": []}, ValueError, "expected keys 'state'"),
        ({"state": {}, "param_groups": [5]}, ValueError, "param group 0 is not a dict"),
        (adam.state_dict(), ValueError, "another kind of optimizer"),
        (
            {"state": {0: "x"}, "param_groups": [{**sgd.defaults, "params": [0]}]},
            ValueError,
            "the state of parameter 0 is a str",
        ),
        (
            {"state": {0: {"step": "x"}}, "param_groups": [{**sgd.defaults, "params": [0]}]},
            ValueError,
            "'step' of parameter 0 is not a number",
        ),
        (
            {"state": {}, "param_groups": [{**sgd.defaults, "lr": "0.1", "params": [0]}]},
            TypeError,
            "SGD: lr must be a number",
        ),
    ]
    for bad, exc, needle in cases:
        with pytest.raises(exc) as info:
            sgd.load_state_dict(bad)
        assert needle in str(info.value), (needle, str(info.value))
    assert sgd.param_groups[0]["lr"] == before[1][0]["lr"] == 0.1
    np.testing.assert_array_equal(
        sgd.state[w]["momentum_buffer"], before[0]["state"][0]["momentum_buffer"]
    )


def test_load_torch_optimizer_state_dict():
    torch = pytest.importorskip("torch")
    t = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    topt = torch.optim.Adam([t], lr=0.05)
    for _ in range(3):
        t.grad = torch.tensor([0.3, -0.2])
        topt.step()
    p = _param(t.detach().numpy().copy())
    opt = optim.Adam([p], lr=0.05)
    opt.load_state_dict(topt.state_dict())
    assert opt.state[p]["step"] == 3.0
    t.grad = torch.tensor([0.1, 0.1])
    p.grad = tg.Tensor([0.1, 0.1])
    topt.step()
    opt.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-6)


# -- LR schedulers ------------------------------------------------------------------------------


def _opt(lr=1.0, cls=optim.SGD, **kw):
    return cls([_param([0.0])], lr=lr, **kw)


def _lrs(s, n, metric=None):
    out = []
    for i in range(n):
        s.optimizer.step()
        s.step() if metric is None else s.step(metric[i])
        out.append(s.get_last_lr()[0])
    return out


def test_step_multistep_exponential_hand_computed():
    s = sched.StepLR(_opt(), step_size=3, gamma=0.5)
    assert s.get_last_lr() == [1.0]
    assert _lrs(s, 7) == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    s = sched.MultiStepLR(_opt(), milestones=[2, 5, 5], gamma=0.1)
    assert _lrs(s, 6) == pytest.approx([1.0, 0.1, 0.1, 0.1, 0.001, 0.001])
    s = sched.ExponentialLR(_opt(2.0), gamma=0.5)
    assert _lrs(s, 3) == [1.0, 0.5, 0.25]
    s.step(epoch=5)  # jumps use the closed form
    assert s.get_last_lr() == [2.0 * 0.5**5]


def test_cosine_annealing_hand_computed():
    s = sched.CosineAnnealingLR(_opt(1.0), T_max=10, eta_min=0.1)
    got = _lrs(s, 20)
    ref = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(1, 21)]
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_onecycle_hand_computed_and_momentum():
    opt = _opt(0.1, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    lrs, moms = [s.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])

    def cos(a, b, pct):
        return b + (a - b) / 2 * (1 + math.cos(math.pi * pct))

    init, low = 1.0 / 25, 1.0 / 25 / 1e4
    ref = [cos(init, 1.0, t / 2) for t in range(3)] + [
        cos(1.0, low, (t - 2) / 7) for t in range(3, 10)
    ]
    np.testing.assert_allclose(lrs, ref, rtol=1e-12)
    assert moms[0] == 0.95 and moms[2] == pytest.approx(0.85) and moms[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="total_steps is 10"):
        opt.step()
        s.step()
        s.step()
    adam = _opt(0.1, cls=optim.Adam)
    sched.OneCycleLR(adam, max_lr=0.5, epochs=2, steps_per_epoch=5)
    assert adam.param_groups[0]["betas"] == (0.95, 0.999)
    with pytest.raises(ValueError, match="total_steps"):
        sched.OneCycleLR(_opt(), max_lr=1.0)


def test_reduce_on_plateau_hand_computed():
    opt = _opt(1.0)
    s = sched.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1, min_lr=0.2)
    metrics = [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3]
    got = _lrs(s, len(metrics), metrics)
    assert got == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    got = _lrs(s, 4, [3, 3, 3, 3])
    assert got[-1] == 0.2  # floored at min_lr
    s = sched.ReduceLROnPlateau(
        _opt(1.0), mode="max", patience=0, threshold=0.1, threshold_mode="abs"
    )
    assert _lrs(s, 3, [1.0, 1.05, 1.2]) == [1.0, 0.1, 0.1]
    with pytest.raises(ValueError, match="factor"):
        sched.ReduceLROnPlateau(_opt(), factor=1.5)
    with pytest.raises(TypeError, match="Optimizer"):
        sched.StepLR(object(), 2)


def test_scheduler_state_dict_round_trip():
    s = sched.StepLR(_opt(), step_size=2, gamma=0.5)
    _lrs(s, 3)
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3
    s2 = sched.StepLR(_opt(), step_size=7)
    s2.load_state_dict(sd)
    assert s2.step_size == 2 and s2.last_epoch == 3 and s2.get_last_lr() == [0.5]


@pytest.mark.parametrize(
    "name, kw, steps",
    [
        ("StepLR", dict(step_size=7, gamma=0.3), 50),
        ("MultiStepLR", dict(milestones=[3, 10, 10, 40], gamma=0.5), 50),
        ("ExponentialLR", dict(gamma=0.97), 200),
        ("CosineAnnealingLR", dict(T_max=30, eta_min=0.01), 200),
        ("OneCycleLR", dict(max_lr=0.8, total_steps=120), 119),
        (
            "OneCycleLR",
            dict(max_lr=0.8, total_steps=99, three_phase=True, anneal_strategy="linear"),
            98,
        ),
    ],
)
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_schedulers_match_torch(name, kw, steps, opt_name):
    torch = pytest.importorskip("torch")
    import warnings

    okw = dict(momentum=0.9) if opt_name == "SGD" else {}
    ours_opt = getattr(optim, opt_name)([_param([0.0]), _param([1.0])], lr=0.3, **okw)
    ours_opt.add_param_group({"params": [_param([2.0])], "lr": 0.05})
    t_opt = getattr(torch.optim, opt_name)([torch.nn.Parameter(torch.zeros(1))], lr=0.3, **okw)
    t_opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05})
    ours = getattr(sched, name)(ours_opt, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(t_opt, **kw)
    key = "momentum" if opt_name == "SGD" else "betas"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            assert ours.get_last_lr() == theirs.get_last_lr()
            for g, tg_ in zip(ours_opt.param_groups, t_opt.param_groups):
                assert g[key] == tg_[key]
            ours_opt.step()
            t_opt.step()
            ours.step()
            theirs.step()


def test_reduce_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    metrics = np.concatenate([np.linspace(1, 0.5, 10), 0.5 + 0.01 * rng.random(60)])
    for kw in [dict(patience=3, cooldown=2, factor=0.3), dict(mode="max", threshold_mode="abs")]:
        ours = sched.ReduceLROnPlateau(_opt(0.5), **kw)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(
            torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5), **kw
        )
        for m in metrics:
            ours.step(float(m))
            theirs.step(float(m))
            assert ours.get_last_lr() == theirs.get_last_lr()
