"""The training loop and the `train` / `eval` commands, end to end on the built-in digits."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.cli import main
from tinygrad_cnn.training import TrainConfig, fit

pytest.importorskip("sklearn")


def _weights(path):
    state = tg.load(path)
    return {
        k: np.asarray(v.numpy() if isinstance(v, tg.Tensor) else v)
        for k, v in state["model"].items()
    }


def test_train_command_writes_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--epochs", "1", "--out", str(out), "--no-progress", "--seed", "3"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "wall time" in printed
    for name in ("checkpoint.npz", "metrics.csv", "config.json"):
        assert (out / name).is_file(), name
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert len(rows) == 1 and rows[0]["epoch"] == "1"
    assert 0.5 < float(rows[0]["test_acc"]) <= 1.0  # one epoch already learns digits
    config = json.load(open(out / "config.json"))
    assert config["data"] == "digits" and config["seed"] == 3 and config["epochs"] == 1
    state = tg.load(out / "checkpoint.npz")
    assert int(state["epoch"]) == 1 and "conv1.weight" in state["model"]


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    common = dict(epochs=3, batch_size=64, seed=7)
    full = fit(
        TrainConfig(out=str(tmp_path / "full"), **common),
        progress=False,
        artifacts=False,
        log=lambda *a: None,
    )
    part = TrainConfig(out=str(tmp_path / "part"), **{**common, "epochs": 2})
    fit(part, progress=False, artifacts=False, log=lambda *a: None)
    resumed = fit(
        TrainConfig(out=str(tmp_path / "resumed"), epochs=3),
        resume=str(tmp_path / "part" / "checkpoint.npz"),
        progress=False,
        artifacts=False,
        log=lambda *a: None,
    )
    a = _weights(tmp_path / "full" / "checkpoint.npz")
    b = _weights(tmp_path / "resumed" / "checkpoint.npz")
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    assert [h["test_acc"] for h in full["history"]] == [h["test_acc"] for h in resumed["history"]]


def test_eval_command_prints_accuracy_and_confusion(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["eval", str(out / "checkpoint.npz")]) == 0
    text = capsys.readouterr().out
    assert "accuracy" in text and "true\\pred" in text
    lines = text.strip().splitlines()
    matrix = [list(map(int, line.split()[1:])) for line in lines[-10:]]
    assert sum(map(sum, matrix)) == 359  # every test sample counted once


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["train", "--epochs", "0"], "positive integer"),
        (["train", "--data", "imagenet"], "invalid choice"),
        (["train", "--resume", "/no/such/checkpoint.npz"], "does not exist"),
        (["eval", "/no/such/checkpoint.npz"], "does not exist"),
    ],
)
def test_cli_errors_are_one_line_with_status_2(argv, needle):
    res = subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert res.returncode == 2
    assert needle in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) <= 2  # argparse: usage line + error line
