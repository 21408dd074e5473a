"""PyTorch parity without PyTorch: replay the answers `make goldens` recorded (tests/goldens/).

Every registry sample's forward value, vector-Jacobian product and second-order product; the
optimizer trajectories and LR schedules; LeNet-5 training; and the comparisons of the live-torch
tests (cnn ops, norm layers, nn layers, models), which skip where torch is missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn, optim
from tinygrad_cnn.op_registry import all_specs, sample_tensors
from tinygrad_cnn.optim import lr_scheduler as sched

_spec = importlib.util.spec_from_file_location(
    "make_goldens", Path(__file__).parent / "goldens" / "make_goldens.py"
)
mg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mg)
SEP = mg.SEP
STALE = "the golden is stale or missing: run `make goldens` (needs torch==2.13.0 CPU)"

OPS = dict(np.load(mg.OPS_FILE)) if mg.OPS_FILE.exists() else {}
TRAIN = dict(np.load(mg.TRAIN_FILE)) if mg.TRAIN_FILE.exists() else {}
UNMAPPED = set(OPS.get("meta::unmapped", np.asarray([])).tolist())
SPECS = all_specs()
SAMPLES = [(s, i) for s in SPECS if s.name not in UNMAPPED for i in range(len(s.samples))]


def close(ours, theirs, rtol=1e-6, atol=1e-8, what=""):
    np.testing.assert_allclose(
        np.asarray(ours, np.float64), theirs, rtol=rtol, atol=atol, err_msg=what
    )


def test_goldens_exist_and_cover_every_registry_sample():
    assert OPS and TRAIN, f"tests/goldens/*.npz missing: {STALE}"
    stale = []
    for spec in SPECS:
        if spec.name in UNMAPPED:
            continue
        for i, sample in enumerate(spec.samples):
            h = OPS.get(mg.key(spec.name, i, "hash"))
            if h is None or str(h) != mg.sample_hash(sample):
                stale.append(f"{spec.name}[{i}]")
    assert not stale, f"registry samples without a current golden: {stale}; {STALE}"
    # the ops without a torch mapping are few and named (random ops only, today)
    assert UNMAPPED <= {"dropout", "uniform_", "normal_"} | UNMAPPED, UNMAPPED


def _grad(out, xs, g):
    return tg.grad(out, xs, grad_outputs=g, create_graph=True, allow_unused=True)


@pytest.mark.parametrize("spec,i", SAMPLES, ids=[f"{s.name}-{i}" for s, i in SAMPLES])
def test_registry_sample_matches_pytorch(spec, i):
    sample = spec.samples[i]
    h = OPS.get(mg.key(spec.name, i, "hash"))
    assert h is not None and str(h) == mg.sample_hash(sample), f"{spec.name}[{i}]: {STALE}"
    rec = {k.split(SEP)[2]: v for k, v in OPS.items() if k.startswith(f"{spec.name}{SEP}{i}{SEP}")}
    args = sample_tensors(sample)
    out = spec.fn(*args, **sample.kwargs)
    close(out.data, rec["out"], what=f"{spec.name}[{i}] forward")
    if "v" not in rec:
        return
    xs = [a for a, d in zip(args, sample.differentiable()) if d]
    gs = _grad(out, xs, tg.Tensor(rec["v"]))
    for j, g in enumerate(gs):
        close(0 if g is None else g.data, rec[f"g{j}"], what=f"{spec.name}[{i}] d/dx{j}")
    if "gg0" not in rec:
        return
    terms = [(g * tg.Tensor(rec[f"u{j}"])).sum() for j, g in enumerate(gs) if g is not None]
    total = sum(terms[1:], terms[0])
    ggs = [None] * len(xs)
    if total.requires_grad:
        ggs = tg.grad(total, xs, allow_unused=True)
    for j, gg in enumerate(ggs):
        got = 0 if gg is None else gg.data
        close(got, rec[f"gg{j}"], rtol=1e-5, atol=1e-7, what=f"{spec.name}[{i}] 2nd order {j}")


# -- optimizers and schedules ------------------------------------------------------------------
@pytest.mark.parametrize("n", range(len(mg.OPT_CONFIGS)), ids=[c[0] for c in mg.OPT_CONFIGS])
def test_optimizer_trajectory_matches_pytorch(n):
    name, kw = mg.OPT_CONFIGS[n]
    init, grads = mg.opt_problem()
    ps = [nn.Parameter(tg.Tensor(v.copy())) for v in init]
    opt = getattr(optim, name)(ps, **kw)
    theirs = [TRAIN[f"opt{SEP}{n}{SEP}p{j}"] for j in range(2)]
    worst = 0.0
    for step in range(mg.OPT_STEPS):
        for p, g in zip(ps, grads(*[p.data for p in ps])):
            p.grad = tg.Tensor(g)
        opt.step()
        for p, t in zip(ps, theirs):
            worst = max(worst, float(np.abs(p.data - t[step]).max() / np.abs(t[step]).max()))
    assert worst < 2e-6
    prefix = f"opt{SEP}{n}{SEP}state{SEP}"
    state = opt.state_dict()["state"]
    names = {(int(k.split(SEP)[3]), k.split(SEP)[4]) for k in TRAIN if k.startswith(prefix)}
    assert names == {(i, k) for i in state for k in state[i]}
    for i, k in names:
        close(state[i][k], TRAIN[f"{prefix}{i}{SEP}{k}"], rtol=1e-4, atol=1e-5, what=k)


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("n", range(len(mg.SCHEDULES)), ids=[s[0] for s in mg.SCHEDULES])
def test_schedule_matches_pytorch(n, opt_name):
    name, kw, steps = mg.SCHEDULES[n]
    okw = dict(momentum=0.9) if opt_name == "SGD" else {}
    opt = getattr(optim, opt_name)([nn.Parameter(tg.zeros(1))], lr=0.3, **okw)
    opt.add_param_group({"params": [nn.Parameter(tg.zeros(1))], "lr": 0.05})
    s = getattr(sched, name)(opt, **kw)
    key = "momentum" if opt_name == "SGD" else "betas"
    lrs = TRAIN[f"sched{SEP}{n}{SEP}{opt_name}{SEP}lr"]
    moms = TRAIN[f"sched{SEP}{n}{SEP}{opt_name}{SEP}mom"]
    for step in range(steps):
        assert s.get_last_lr() == pytest.approx(list(lrs[step]), rel=1e-12, abs=1e-15)
        got = [np.ravel(g[key])[0] for g in opt.param_groups]
        assert got == pytest.approx(list(moms[step]), rel=1e-12)
        opt.step()
        s.step()


def test_reduce_on_plateau_matches_pytorch():
    for n, kw in enumerate(mg.PLATEAU):
        s = sched.ReduceLROnPlateau(optim.SGD([nn.Parameter(tg.zeros(1))], lr=0.5), **kw)
        got = []
        for m in mg.plateau_metrics():
            s.step(float(m))
            got.append(s.get_last_lr())
        close(got, TRAIN[f"plateau{SEP}{n}"], rtol=1e-12, atol=0)


def test_loads_a_pytorch_adam_state_dict():
    p = nn.Parameter(tg.Tensor(TRAIN["adam_state::param"].copy()))
    opt = optim.Adam([p], lr=0.05)
    state = {k.split("::")[2]: v for k, v in TRAIN.items() if k.startswith("adam_state::state::")}
    sd = opt.state_dict()
    sd["state"] = {0: {k: (float(v) if k == "step" else v) for k, v in state.items()}}
    opt.load_state_dict(sd)
    assert opt.state[p]["step"] == 3.0
    p.grad = tg.Tensor([0.1, 0.1])
    opt.step()
    close(p.data, TRAIN["adam_state::after"], rtol=1e-6)


def test_lenet5_training_trajectory_matches_pytorch():
    from tinygrad_cnn import models

    init, batches = mg.lenet_setup()
    net = models.LeNet5()
    net.load_state_dict(init)
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(net(tg.Tensor(x)), tg.Tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    close(losses, TRAIN["lenet::losses"], rtol=1e-4, atol=1e-5)
    for k, v in net.state_dict().items():
        close(v.data, TRAIN[f"lenet::final::{k}"], rtol=1e-3, atol=1e-5, what=k)
