"""The foreach (flat-buffer) optimizer path against the per-parameter one: bit-identical
parameters and state, through state changes that make the flat buffers stale."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.optim import _flat

SHAPES = [(3, 4), (4,), (2, 3, 2), (1,)]

CONFIGS = [
    (tg.optim.SGD, dict(lr=0.1)),
    (tg.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (tg.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True)),
    (tg.optim.SGD, dict(lr=0.1, momentum=0.8, nesterov=True)),
    (tg.optim.Adam, dict(lr=0.01)),
    (tg.optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (tg.optim.AdamW, dict(lr=0.01, maximize=True)),
    (tg.optim.AdamW, dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
]


def make_params(dtype=np.float32):
    rng = np.random.default_rng(0)
    return [tg.nn.Parameter(tg.Tensor(rng.standard_normal(s).astype(dtype))) for s in SHAPES]


def set_grads(params, step, skip=()):
    rng = np.random.default_rng(100 + step)
    for i, p in enumerate(params):
        g = rng.standard_normal(p.shape).astype(p.dtype)
        p.grad = None if i in skip else tg.Tensor(g)


def run(cls, kw, foreach, steps=4, between=None, skip_at=None):
    params = make_params()
    opt = cls(params, foreach=foreach, **kw)
    for step in range(steps):
        set_grads(params, step, skip=(1,) if step == skip_at else ())
        opt.step()
        if between is not None:
            between(step, params, opt)
    return params, opt


def assert_same(a, b):
    (pa, oa), (pb, ob) = a, b
    for x, y in zip(pa, pb):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    sa, sb = oa.state_dict()["state"], ob.state_dict()["state"]
    assert sa.keys() == sb.keys()
    for i in sa:
        assert sa[i].keys() == sb[i].keys()
        for k in sa[i]:
            np.testing.assert_array_equal(sa[i][k], sb[i][k])


@pytest.mark.parametrize("cls, kw", CONFIGS)
def test_flat_update_is_bit_identical_to_the_per_parameter_one(cls, kw):
    flat = run(cls, kw, True)
    assert_same(flat, run(cls, kw, False))
    params = flat[0]
    assert all(p.data.base is params[0].data.base for p in params)  # the flat path ran
    assert params[0].data.base is not None


@pytest.mark.parametrize("cls, kw", [CONFIGS[1], CONFIGS[5]])
def test_a_step_with_a_missing_gradient_runs_per_parameter(cls, kw):
    assert_same(run(cls, kw, True, skip_at=1), run(cls, kw, False, skip_at=1))
    assert_same(run(cls, kw, True, skip_at=0), run(cls, kw, False, skip_at=0))


@pytest.mark.parametrize("cls, kw", [CONFIGS[1], CONFIGS[5]])
def test_replaced_arrays_are_copied_into_fresh_flat_buffers(cls, kw):
    def replace(step, params, opt):
        if step == 1:  # a new parameter array, as `p.data = ...` or Module.load_state_dict
            params[2].data = params[2].data * 0.5
        if step == 2:  # state from load_state_dict: new arrays, not the flat views
            opt.load_state_dict(opt.state_dict())

    assert_same(run(cls, kw, True, between=replace), run(cls, kw, False, between=replace))


def test_a_checkpoint_moves_between_the_two_paths():
    cls, kw = CONFIGS[5]
    params, flat = run(cls, kw, True, steps=2)
    again = make_params()
    for p, q in zip(again, params):
        p.data = q.data.copy()
    plain = cls(again, foreach=False, **kw)
    plain.load_state_dict(flat.state_dict())
    for step in (2, 3):
        set_grads(params, step)
        set_grads(again, step)
        flat.step()
        plain.step()
    assert_same((params, flat), (again, plain))


def test_foreach_none_picks_flat_buffers_for_small_parameters_only(monkeypatch):
    small = make_params()
    opt = tg.optim.SGD(small, lr=0.1)
    set_grads(small, 0)
    opt.step()
    assert small[0].data.base is not None and small[0].data.base is small[1].data.base
    monkeypatch.setattr(_flat, "MEAN_SIZE", 2)
    large = make_params()
    opt = tg.optim.SGD(large, lr=0.1)
    set_grads(large, 0)
    opt.step()
    assert large[0].data.base is None


def test_mixed_dtypes_run_per_parameter():
    params = make_params()[:2] + make_params(np.float64)[2:]
    opt = tg.optim.Adam(params, foreach=True)
    set_grads(params, 0)
    opt.step()
    assert params[0].data.base is None
    assert params[2].dtype == tg.float64


def test_a_wrong_shaped_gradient_still_names_the_parameter():
    params = make_params()
    opt = tg.optim.SGD(params, lr=0.1, foreach=True)
    set_grads(params, 0)
    params[1]._g = tg.Tensor(np.zeros(5, np.float32))
    with pytest.raises(ValueError, match="gradients must have their parameter's shape"):
        opt.step()


@pytest.mark.parametrize("bad", ["yes", 1, 0.0])
def test_foreach_must_be_none_or_a_bool(bad):
    for cls in (tg.optim.SGD, tg.optim.Adam, tg.optim.AdamW):
        with pytest.raises(TypeError, match="foreach must be None or a bool"):
            cls(make_params(), foreach=bad)
