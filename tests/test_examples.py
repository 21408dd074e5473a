"""Every script in examples/ runs with its defaults, as a user would run it, and does what its
docstring says (files written, checks passed, a clear message where data is missing)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HAS_DOT = shutil.which("dot") is not None


def run_example(name: str, cwd: Path, *args: str, env: dict | None = None):
    full_env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc


def check_ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_every_example_is_tested():
    tested = {
        "train_digits.py",
        "train_lenet_mnist.py",
        "custom_op.py",
        "higher_order.py",
        "draw_graph.py",
        "gradcheck_model.py",
        "visualize_filters.py",
    }
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_train_digits(tmp_path):
    out = check_ok(run_example("train_digits.py", tmp_path, "--out", "run"))
    acc = float(out.strip().splitlines()[-1].split(":")[1])
    assert acc > 0.85, out
    assert "epoch 3:" in out and "Total params" in out
    assert (tmp_path / "run" / "checkpoint.npz").stat().st_size > 10_000
    assert (tmp_path / "run" / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_train_lenet_mnist_without_files_says_how_to_get_them(tmp_path):
    empty = tmp_path / "no-data"
    empty.mkdir()
    proc = run_example("train_lenet_mnist.py", tmp_path, env={"TINYGRAD_CNN_DATA": str(empty)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "MNIST files not found" in proc.stderr
    assert "--download" in proc.stderr and str(empty) in proc.stderr
    assert "Traceback" not in proc.stderr


def _write_idx(path: Path, arr: np.ndarray) -> None:
    code = {np.dtype(np.uint8): 0x08}[arr.dtype]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    path.write_bytes(header + arr.tobytes())


def test_train_lenet_mnist_trains_on_files_it_finds(tmp_path):
    # a tiny fake MNIST: class k is a bright square at a position that depends on k
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 300), ("t10k", 100)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(labels):
            r, c = 2 + (k // 5) * 12, 2 + (k % 5) * 5
            images[i, r : r + 10, c : c + 4] = 255
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels)
    proc = run_example(
        "train_lenet_mnist.py", tmp_path, "--data-dir", str(tmp_path), "--epochs", "3"
    )
    out = check_ok(proc)
    accs = [
        float(line.split("accuracy ")[1].split()[0])
        for line in out.splitlines()
        if "test accuracy" in line
    ]
    assert len(accs) == 3 and accs[-1] > 0.5, out


def test_custom_op(tmp_path):
    out = check_ok(run_example("custom_op.py", tmp_path))
    assert "gradcheck(LogCosh): True" in out and "gradgradcheck(LogCosh): True" in out
    assert "FAILED" in out  # the buggy op's report


def test_higher_order(tmp_path):
    out = check_ok(run_example("higher_order.py", tmp_path))
    assert "H symmetric: True" in out
    line = next(s for s in out.splitlines() if "after training" in s)
    with_penalty, without = (float(w) for w in line.replace(",", "").split() if w[0].isdigit())
    assert with_penalty < 0.6 * without


def test_draw_graph(tmp_path):
    out = check_ok(run_example("draw_graph.py", tmp_path))
    names = ["lenet5_layers", "lenet5_primitives", "lenet5_collapsed", "lenet5_grads"]
    names += ["lenet5_backward", "expression"]
    for name in names:
        if HAS_DOT:
            svg = (tmp_path / "runs" / "graphs" / f"{name}.svg").read_text()
            assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        else:
            assert "digraph" in (tmp_path / "runs" / "graphs" / f"{name}.gv").read_text()
    assert {p.name for p in tmp_path.iterdir()} == {"runs"}  # nothing in the current directory
    # params, input, target, and one node per op as written (conv2d, relu, ..., cross_entropy)
    grouped, opened = re.search(
        r"(\d+) nodes, \d+ edges \((\d+) nodes with composite", out
    ).groups()
    assert int(grouped) == 26 and int(opened) > 26, out


def test_gradcheck_model(tmp_path):
    out = check_ok(run_example("gradcheck_model.py", tmp_path, "--num-checks", "4"))
    assert "all gradient checks passed" in out
    assert out.count("gradgradcheck ok") == 3
    assert "LeNet5:" in out and "DigitsCNN:" in out and "WRONG" not in out


def test_visualize_filters(tmp_path):
    out = check_ok(run_example("visualize_filters.py", tmp_path))
    acc = float(out.split("epoch 3: test accuracy ")[1].split()[0])
    assert acc > 0.85
    for name in ("filters_initial.png", "filters_trained.png", "feature_maps.png"):
        data = (tmp_path / "runs" / "filters" / name).read_bytes()
        assert data[:4] == b"\x89PNG" and len(data) > 2000


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_has_usage_docstring(name):
    text = (EXAMPLES / name).read_text()
    assert text.startswith('"""') and "Run: python examples/" + name in text
