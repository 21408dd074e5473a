"""The `torch_answer` fixture's store (tests/torch_answers.py): what a live comparison records
with torch is what its replay returns without torch, and stale or missing answers fail loudly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "torch_answers_under_test", Path(__file__).parent / "torch_answers.py"
)
ta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ta)


class FakeTorch:
    """Stands in for the torch module: the store only passes it to the compute function."""


@pytest.fixture
def recording(tmp_path, monkeypatch):
    monkeypatch.setattr(ta, "LIVE_DIR", tmp_path)
    monkeypatch.setattr(ta, "RECORD", True)
    return ta.Store()


def _record_then_replay(store, compute, *inputs):
    live = ta.make_answer(store, "tests/test_x.py::test_y[a]", FakeTorch())(compute, *inputs)
    store.write()
    replayed = ta.make_answer(ta.Store(), "tests/test_x.py::test_y[a]", None)(compute, *inputs)
    return live, replayed


def test_nested_answers_come_back_identical(recording):
    value = {
        "out": np.arange(6.0).reshape(2, 3),
        "grads": [np.float32(2.5), None, (np.array([1, 2]), 3, True, "mean")],
        "edge": [float("nan"), float("-inf")],
    }
    live, replayed = _record_then_replay(recording, lambda torch: value, np.ones(3), {"p": 2})
    for got in (live, replayed):
        np.testing.assert_array_equal(got["out"], value["out"])
        assert got["grads"][0] == np.float32(2.5) and got["grads"][1] is None
        np.testing.assert_array_equal(got["grads"][2][0], [1, 2])
        assert got["grads"][2][1:] == (3, True, "mean") and isinstance(got["grads"][2], tuple)
        assert np.isnan(got["edge"][0]) and got["edge"][1] == float("-inf")


def test_torch_errors_replay_as_torch_raised(recording):
    def compute(torch):
        raise RuntimeError("The size of tensor a (3) must match the size of tensor b (4)")

    with pytest.raises(ta.TorchRaised, match="size of tensor a"):
        ta.make_answer(recording, "tests/test_x.py::test_e", FakeTorch())(compute, 1)
    recording.write()
    with pytest.raises(ta.TorchRaised) as info:
        ta.make_answer(ta.Store(), "tests/test_x.py::test_e", None)(compute, 1)
    assert info.value.type_name == "RuntimeError"


def test_changed_inputs_or_missing_answers_say_run_make_goldens(recording):
    ta.make_answer(recording, "tests/test_x.py::test_s", FakeTorch())(lambda t: 1.0, np.ones(3))
    recording.write()
    replay = ta.make_answer(ta.Store(), "tests/test_x.py::test_s", None)
    with pytest.raises(AssertionError, match="changed since it was recorded.*make goldens"):
        replay(lambda t: 1.0, np.zeros(3))
    with pytest.raises(AssertionError, match="no recorded PyTorch answer.*make goldens"):
        replay(lambda t: 1.0, np.ones(3))  # a second call of the test was never recorded


def test_each_call_of_a_test_is_its_own_answer(recording):
    live = ta.make_answer(recording, "tests/test_x.py::test_c", FakeTorch())
    assert [live(lambda t, i=i: np.array(i), i) for i in range(3)] == [0, 1, 2]
    recording.write()
    replay = ta.make_answer(ta.Store(), "tests/test_x.py::test_c", None)
    assert [int(replay(lambda t: None, i)) for i in range(3)] == [0, 1, 2]
