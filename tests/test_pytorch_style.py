"""examples/pytorch_style.py is PyTorch code with tinygrad_cnn's imports: it runs, learns, and,
with its three imports swapped back to torch, prints the same numbers on PyTorch (run live where
torch is installed, else its output recorded in tests/goldens/live/test_pytorch_style.npz)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "pytorch_style.py"
SWAPS = {
    "import tinygrad_cnn as torch": "import torch",
    "import tinygrad_cnn.nn as nn": "import torch.nn as nn",
    "import tinygrad_cnn.nn.functional as F": "import torch.nn.functional as F",
}


def _run(path: Path, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(path)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)])


def test_the_script_imports_only_tinygrad_cnn_under_torch_names():
    text = SCRIPT.read_text()
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations", *SWAPS]


def test_runs_and_learns(tmp_path):
    out = _run(SCRIPT, tmp_path)
    losses = [float(v) for v in re.findall(r"loss (\d+\.\d+)", out)]
    assert len(losses) == 3 and losses[-1] < losses[0] - 0.2, out
    assert "unique [0, 1, 2] [0, 1, 2, 1, 0, 2, 2, 1] [2, 3, 3]" in out


def test_prints_what_pytorch_prints(tmp_path, torch_answer):
    text = SCRIPT.read_text()
    for ours, theirs in SWAPS.items():
        text = text.replace(ours, theirs)

    def run_on_torch(torch):
        torch_script = tmp_path / "torch_style.py"
        torch_script.write_text(text)
        return _run(torch_script, tmp_path)

    ours, theirs = _run(SCRIPT, tmp_path), torch_answer(run_on_torch, text)
    assert re.sub(r"-?\d+\.\d+", "#", ours) == re.sub(r"-?\d+\.\d+", "#", theirs)
    np.testing.assert_allclose(_numbers(ours), _numbers(theirs), atol=2e-4, rtol=1e-5)
