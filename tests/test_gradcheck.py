"""The gradient checker itself: it must catch wrong backward passes and say where, excuse
kinks (and only kinks), check in fast mode, check whole models, and drive the CLI table."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.cli import main
from tinygrad_cnn.gradcheck import GradcheckError, GradcheckResult, check_gradients
from tinygrad_cnn.op_registry import OpSpec, Sample
from tinygrad_cnn.testing import assert_gradcheck, assert_gradgradcheck, assert_model_grads

ROOT = Path(__file__).resolve().parents[1]


def t64(arr, rg=True):
    return tg.Tensor(np.asarray(arr, dtype=np.float64), requires_grad=rg)


class MulWrongAt(tg.Function):
    """x * y whose gradient for x is off by `factor` at one element (a user's custom op)."""

    def forward(self, x, y, where=(1, 2), factor=2.0):
        self.save_for_backward(x, y)
        self.where, self.factor = where, factor
        return x * y

    def backward(self, g):
        x, y = self.saved_tensors
        scale = np.ones(x.shape)
        scale[self.where] = self.factor
        return g * y * tg.Tensor(scale), g * x


class SquareNotTwiceDifferentiable(tg.Function):
    """x^2 whose backward uses raw data: right first derivative, wrong second (zero)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * tg.Tensor(2 * x.data)


def _xy(seed=0, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return t64(rng.standard_normal(shape)), t64(rng.standard_normal(shape) + 3.0)


# -- catching wrong gradients ---------------------------------------------------------------


def test_wrong_backward_is_caught_and_located():
    x, y = _xy()
    result = check_gradients(lambda a, b: MulWrongAt.apply(a, b), (x, y))
    assert not result.ok and not bool(result)
    assert len(result.pairs) == 2
    bad, good = result.pairs
    assert (bad.input_index, bad.output_index, bad.ok, good.ok) == (0, 0, False, True)
    assert bad.mismatches == 1
    assert bad.worst_input_element == (1, 2) and bad.worst_output_element == (1, 2)
    assert bad.analytic == pytest.approx(2 * y.data[1, 2], rel=1e-9)
    assert bad.numerical == pytest.approx(y.data[1, 2], rel=1e-6)
    assert bad.max_abs_error == pytest.approx(abs(y.data[1, 2]), rel=1e-6)
    assert bad.max_rel_error == pytest.approx(1 / 3, rel=1e-5)
    assert good.max_abs_error < 1e-8
    report = str(result)
    assert report.startswith("gradcheck: FAILED (1 of 2 pairs)")
    assert "! d(output 0)/d(input 0): MISMATCH" in report
    assert "input 0 element (1, 2)" in report
    assert f"analytic {bad.analytic:.6g}, numerical {bad.numerical:.6g}" in report
    assert "d(output 0)/d(input 1): ok" in report


def test_gradcheck_raises_returns_false_or_returns_the_result():
    x, y = _xy()
    fn = lambda a, b: MulWrongAt.apply(a, b, where=(0, 3), factor=0.5)  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(fn, (x, y))
    assert isinstance(info.value, RuntimeError)
    assert info.value.result.pairs[0].worst_input_element == (0, 3)
    assert "input 0 element (0, 3)" in str(info.value)
    assert tg.gradcheck(fn, (x, y), raise_exception=False) is False
    res = tg.gradcheck(fn, (x, y), raise_exception=False, return_result=True)
    assert isinstance(res, GradcheckResult) and not res.ok
    ok = tg.gradcheck(lambda a, b: a * b, (x, y), return_result=True)
    assert isinstance(ok, GradcheckResult) and ok.ok and ok.max_abs_error < 1e-8


def test_assert_gradcheck_message_is_the_report():
    x, y = _xy()
    with pytest.raises(AssertionError) as info:
        assert_gradcheck(lambda a, b: MulWrongAt.apply(a, b, where=(2, 0), factor=-1.0), (x, y))
    msg = str(info.value)
    assert msg.startswith("gradcheck: FAILED")
    assert "input 0 element (2, 0)" in msg
    assert assert_gradcheck(lambda a, b: a * b, (x, y)).ok


def test_wrong_second_derivative_is_caught_by_gradgradcheck_only():
    x = t64(np.random.default_rng(1).standard_normal(5))
    assert tg.gradcheck(SquareNotTwiceDifferentiable.apply, x)
    result = tg.gradgradcheck(
        SquareNotTwiceDifferentiable.apply, x, raise_exception=False, return_result=True
    )
    assert not result.ok and result.order == 2
    # d(vjp)/dx should be 2 * grad_output on the diagonal; the op's backward gives 0
    first = result.pairs[0]
    assert first.input_index == 0 and not first.ok and first.mismatches == 5
    assert first.analytic == 0.0 and abs(first.numerical) > 1e-3
    assert str(result).startswith("gradgradcheck: FAILED")
    with pytest.raises(AssertionError, match="gradgradcheck: FAILED"):
        assert_gradgradcheck(SquareNotTwiceDifferentiable.apply, x)


def test_nan_gradient_fails():
    class NanGrad(tg.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, g):
            return g * float("nan")

    result = check_gradients(NanGrad.apply, t64([1.0, 2.0]))
    pair = result.pairs[0]
    assert not result.ok and pair.mismatches == 4  # NaN * 0 poisons the zero entries too
    assert pair.max_abs_error == pair.max_rel_error == np.inf


def test_multiple_outputs_and_inputs_every_pair():
    a, b = _xy(2, (2, 3))
    result = check_gradients(lambda p, q: (p * q, (p - q).sum(1), q.exp()), (a, b))
    assert result.ok
    assert [(p.output_index, p.input_index) for p in result.pairs] == [
        (0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1),
    ]  # fmt: skip
    # q.exp() does not depend on p: its block must be exactly zero on both sides
    assert result.pairs[4].max_abs_error == 0.0


def test_non_differentiable_inputs_are_skipped_and_float32_is_upcast():
    x = tg.Tensor(np.arange(4.0, dtype=np.float32), requires_grad=True)
    mask = tg.Tensor(np.array([1.0, 0.0, 1.0, 1.0]))
    with pytest.warns(UserWarning, match="float64"):
        result = check_gradients(lambda t, m: t * m, (x, mask))
    assert result.ok and [p.input_index for p in result.pairs] == [0]
    assert x.dtype == np.float32  # the caller's tensor is untouched
    with pytest.raises(ValueError, match="none of the inputs requires grad"):
        check_gradients(lambda m: m * 2, mask)


# -- kinks ---------------------------------------------------------------------------------

KINK_CASES = [
    # name, fn, input with an element exactly at (or within eps of) a kink, kink elements
    ("relu", lambda t: t.relu(), [-1.0, 0.0, 2.0, 3e-7], 2),
    ("leaky_relu", lambda t: t.leaky_relu(0.1), [0.0, -0.5, 1.5], 1),
    ("abs", lambda t: t.abs(), [0.3, -2e-7, -1.0], 1),
    ("clamp", lambda t: t.clamp(-0.5, 0.7), [0.7, -0.5, 0.1], 2),
]


@pytest.mark.parametrize("name,fn,values,n_kinks", KINK_CASES, ids=[c[0] for c in KINK_CASES])
def test_correct_op_at_a_kink_is_not_a_failure(name, fn, values, n_kinks):
    x = t64(values)
    result = check_gradients(fn, x)
    assert result.ok, str(result)
    assert result.kinks == n_kinks
    assert "at a kink, not counted" in str(result)
    strict = check_gradients(fn, x, kinks=False)  # without the excuse, those entries fail
    assert not strict.ok and strict.pairs[0].mismatches == n_kinks


def test_ties_in_max_min_and_max_pool():
    # exact ties: the gradient is split between the tied elements, as central differences see it
    a = t64([[1.0, 3.0, 3.0, -2.0]])
    b = t64([[1.0, 0.5, 3.0, 4.0]])
    for fn in (lambda p, q: p.maximum(q), lambda p, q: p.minimum(q)):
        assert check_gradients(fn, (a, b)).ok
    for fn in (lambda p: p.amax(1), lambda p: p.amin(0), lambda p: p.max()):
        assert check_gradients(fn, t64([[1.0, 3.0, 3.0], [2.0, 0.0, 3.0]])).ok
    # max_pool2d gives a tie to one winner: every tied entry is at a kink
    pool = t64(np.array([[[[1.0, 1.0, 0.0, 2.0], [0.5, 1.0, 2.0, -1.0]]]]))
    r = check_gradients(lambda p: tg.nn.functional.max_pool2d(p, 2), pool)
    assert r.ok and r.kinks == 5, str(r)
    tied = {(0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 0, 3), (0, 0, 1, 2)}
    assert r.pairs[0].max_abs_error < 1e-8 and r.pairs[0].worst_input_element not in tied
    # near ties: x +- eps changes which element wins, so those entries are at a kink
    near = t64([[1.0, 3.0, 3.0 + 4e-7, -2.0]])
    for fn in (lambda p, q: p.maximum(q), lambda p, q: p.minimum(q)):
        r = check_gradients(fn, (near, b))
        assert r.ok and r.kinks == 2, str(r)  # element 2 of each input
        assert "input element (0, 2) -> output element (0, 2)" in str(r)
        assert not check_gradients(fn, (near, b), kinks=False).ok
    r = check_gradients(lambda p: p.amax(1), near)
    assert r.ok and r.kinks == 2 and r.pairs[0].kink_elements == [((0,), (0, 1)), ((0,), (0, 2))]
    pool = t64(np.array([[[[1.0, 1.0 - 3e-7, 0.0, 2.0], [0.5, 0.2, 2.0 + 5e-7, -1.0]]]]))
    r = check_gradients(lambda p: tg.nn.functional.max_pool2d(p, 2), pool)
    assert r.ok and r.kinks == 4, str(r)  # two near-tied elements in each window
    assert not check_gradients(lambda p: tg.nn.functional.max_pool2d(p, 2), pool, kinks=False).ok


def test_kink_excuse_does_not_hide_a_wrong_gradient():
    class ReluTwice(tg.Function):  # wrong: slope 2 on the positive side
        def forward(self, x):
            self.save_for_backward(x)
            return np.maximum(x, 0)

        def backward(self, g):
            (x,) = self.saved_tensors
            return g * tg.Tensor(2.0 * (x.data > 0))

    x = t64([-1.0, 0.0, 2.0, 0.5])
    result = check_gradients(ReluTwice.apply, x)
    assert not result.ok
    pair = result.pairs[0]
    assert pair.mismatches == 2 and pair.kinks == 1  # (2,) and (3,) wrong; (1,) at the kink
    assert pair.worst_input_element in ((2,), (3,))


def test_second_order_at_a_kink():
    x = t64([-1.0, 0.0, 2.0])
    r = tg.gradgradcheck(lambda t: t.relu() * t, x, raise_exception=False, return_result=True)
    assert r.ok and r.kinks >= 1, str(r)


# -- fast mode -----------------------------------------------------------------------------


def test_fast_mode_passes_correct_ops_with_projections():
    a, b = _xy(3, (3, 2))
    result = check_gradients(lambda p, q: (p @ q.T, (p * q).tanh()), (a, b), fast_mode=True)
    assert result.ok and result.fast_mode
    assert len(result.pairs) == 4 and all(p.mode == "fast" for p in result.pairs)
    assert all(p.max_abs_error < 1e-7 for p in result.pairs)
    assert abs(result.pairs[0].analytic) > 1e-3  # a real projection, not an empty one
    assert "fast mode" in str(result)
    assert tg.gradgradcheck(lambda p: (p**3).sum(1), a, fast_mode=True)


def test_fast_mode_failure_triggers_a_full_check_of_that_pair():
    x, y = _xy()
    result = check_gradients(lambda a, b: MulWrongAt.apply(a, b), (x, y), fast_mode=True)
    assert not result.ok
    bad, good = result.pairs
    assert bad.mode == "full" and bad.worst_input_element == (1, 2) and bad.mismatches == 1
    assert good.mode == "fast" and good.ok
    assert any("ran the full check of that pair" in n for n in result.notes)
    assert "input 0 element (1, 2)" in str(result)


def test_fast_mode_crossing_a_kink_falls_back_and_is_excused():
    x = t64([0.0, 0.0, 0.0])  # every direction crosses relu's kink
    result = check_gradients(lambda t: t.relu(), x, fast_mode=True)
    assert result.ok and result.pairs[0].mode == "full" and result.kinks == 3
    assert result.notes  # the fast check did fail first


# -- user custom op and example ------------------------------------------------------------


def test_custom_op_example_runs(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["custom_op.py"])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(str(ROOT / "examples" / "custom_op.py"), run_name="__main__")
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "gradcheck(LogCosh): True" in out and "gradgradcheck(LogCosh): True" in out
    assert "gradcheck: FAILED" in out and "input 0, element (1, 2)" in out


# -- whole models --------------------------------------------------------------------------


class _MLP(nn.Module):
    def __init__(self, bad: bool = False):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 6), nn.Linear(6, 3)
        self.drop = nn.Dropout(0.0 if bad else 0.5)
        self.bad = bad

    def forward(self, x):
        h = self.fc1(x).tanh()
        if self.bad:  # a custom op with a wrong backward inside the model
            h = MulWrongAt.apply(h, tg.ones(*h.shape), where=(0, 0), factor=3.0)
        return self.fc2(self.drop(h))


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((5, 4)).astype(np.float32), np.array([0, 1, 2, 1, 0])


def test_check_model_grads_good_model_and_restores_state():
    tg.manual_seed(0)
    model = _MLP()
    x, t = _data()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    rng_before = tg.random.get_rng_state()
    report = tg.check_model_grads(model, x, t, num_checks=8, seed=1)
    assert report.ok and bool(report)
    assert [p.name for p in report.params] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p.checked for p in report.params] == [8, 6, 8, 3]
    assert all(p.verdict == "good" for p in report.params), str(report)  # dropout replayed
    assert report.max_rel_error < 1e-7
    for k, v in model.state_dict().items():  # cast back: same dtype, same values, no grads
        assert v.dtype == np.float32 and np.array_equal(v.numpy(), before[k])
    assert all(p.grad is None for p in model.parameters())
    assert tg.random.get_rng_state() == rng_before
    text = str(report)
    assert "model gradient check: passed" in text and "fc2.bias" in text and "good" in text


def test_check_model_grads_finds_the_wrong_parameter():
    tg.manual_seed(0)
    model = _MLP(bad=True)
    x, t = _data()
    report = tg.check_model_grads(model, x, t, num_checks=24, seed=0)
    assert not report.ok
    verdicts = {p.name: p.verdict for p in report.params}
    # the wrong factor sits between fc1 and fc2: fc1's gradients are wrong, fc2's are not
    assert verdicts["fc1.weight"] == "WRONG" and verdicts["fc1.bias"] == "WRONG"
    assert verdicts["fc2.weight"] == "good" and verdicts["fc2.bias"] == "good"
    assert "FAILED" in str(report) and "WRONG" in str(report)
    with pytest.raises(AssertionError, match="fc1.weight"):
        assert_model_grads(model, x, t, num_checks=24)


def test_check_model_grads_custom_loss_and_errors():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    x = np.random.default_rng(0).standard_normal((4, 3))
    y = np.random.default_rng(1).standard_normal((4, 1))
    report = tg.check_model_grads(model, x, y, loss_fn=tg.nn.functional.mse_loss)
    assert report.ok and {p.verdict for p in report.params} <= {"good", "fine at kinks"}
    with pytest.raises(ValueError, match="scalar"):
        tg.check_model_grads(model, x, y, loss_fn=lambda out, tgt: (out - tgt) ** 2)
    with pytest.raises(TypeError, match="nn.Module"):
        tg.check_model_grads(object(), x, y)


def test_check_model_grads_lenet5():
    models = pytest.importorskip("tinygrad_cnn.models")
    tg.manual_seed(0)
    model = models.get_model("lenet5")
    x = np.random.default_rng(0).standard_normal((2, *model.input_shape))
    report = tg.check_model_grads(model, x, np.array([3, 7]), num_checks=5)
    assert report.ok, str(report)
    assert {p.name for p in report.params} >= {"conv1.weight", "conv2.bias", "fc3.weight"}
    assert model.conv1.weight.dtype == np.float32


# -- the command line ----------------------------------------------------------------------


def test_cli_table_for_a_subset_of_ops(capsys):
    code = main(["gradcheck", "--op", "relu", "--op", "mul", "--op", "max_pool2d"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "op", "samples", "max", "abs", "err", "max", "rel", "err", "1st", "order", "2nd", "order",
        "kinks",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[2:5]}
    assert list(rows) == ["relu", "mul", "max_pool2d"]
    assert rows["relu"][1] == "4" and rows["relu"][4:6] == ["ok", "ok"]
    assert float(rows["mul"][2]) < 1e-6
    assert "3 ops" in out and "all passed" in out


def test_cli_json_and_fast(capsys):
    assert main(["gradcheck", "--op", "tanh", "--op", "matmul", "--json", "--fast"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["fast"] is True
    assert [r["op"] for r in data["ops"]] == ["tanh", "matmul"]
    row = data["ops"][1]
    assert row["samples"] == 7 and row["first_order"] == row["second_order"] == "ok"
    assert row["max_abs_error"] < 1e-6 and row["failures"] == []


def test_cli_failure_exit_status_and_report(capsys, monkeypatch):
    import tinygrad_cnn.op_registry as registry

    rng = np.random.default_rng(0)
    bad = OpSpec(
        "bad_mul",
        lambda a, b: MulWrongAt.apply(a, b, where=(1, 1)),
        np.multiply,
        [Sample((rng.standard_normal((2, 3)), rng.standard_normal((2, 3)) + 3))],
        second_order=False,
    )
    monkeypatch.setattr(registry, "all_specs", lambda: [bad])
    assert main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    row = out.splitlines()[2].split()
    assert row[0] == "bad_mul" and row[4:6] == ["FAIL", "skipped"]
    assert "1 FAILED" in out and "input 0 element (1, 1)" in out
    assert main(["gradcheck", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and "input 0 element (1, 1)" in data["ops"][0]["failures"][0]


def test_cli_unknown_op_is_a_usage_error(capsys):
    assert main(["gradcheck", "--op", "no_such_op"]) == 2
    err = capsys.readouterr().err
    assert "unknown op 'no_such_op'" in err and "relu" in err


def test_cli_model(capsys):
    pytest.importorskip("tinygrad_cnn.models")
    assert main(["gradcheck", "--model", "lenet5", "--num-checks", "3"]) == 0
    out = capsys.readouterr().out
    assert "lenet5: input (2, 1, 28, 28), 10 classes" in out
    assert "model gradient check: passed" in out and "conv1.weight" in out
    assert main(["gradcheck", "--model", "lenet5", "--num-checks", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["params"][0]["name"] == "conv1.weight"
    assert data["params"][0]["checked"] == 2
