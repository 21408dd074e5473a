"""The benchmark's compiled variant ("ours (tg.compile)") and its ResNet-20 workload: the
compiled step computes what the eager one does, the child and the report carry it, and the
ResNet-20 row runs tinygrad_cnn.models' network. No timing is asserted."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import harness, report, workloads  # noqa: E402


@pytest.mark.parametrize("name, batch", [("mlp_train", 8), ("lenet5_train", 4)])
def test_compiled_step_replays_and_matches_the_eager_one(name: str, batch: int) -> None:
    fw = workloads.framework("ours")
    eager = workloads.build_step(fw, name, batch)
    compiled = workloads.build_step(fw, name, batch, compiled=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(4):
            a, b = eager(), compiled()
            assert a.numpy().tobytes() == b.numpy().tobytes()
    assert compiled.replays == 2


def test_compiled_inference_matches_and_chain_has_no_compiled_variant() -> None:
    fw = workloads.framework("ours")
    eager = workloads.build_step(fw, "lenet5_infer", 2)
    compiled = workloads.build_step(fw, "lenet5_infer", 2, compiled=True)
    outs = [(eager().numpy(), compiled().numpy()) for _ in range(3)]
    assert all(np.array_equal(a, b) for a, b in outs) and compiled.replays == 1
    assert not workloads.compilable("chain_backward")
    with pytest.raises(ValueError, match="no compiled variant"):
        workloads.build_step(fw, "chain_backward", 1, compiled=True)


def test_child_times_the_compiled_step() -> None:
    cmd = [sys.executable, "-m", "benchmarks.child", "--side", "ours", "--workload"]
    cmd += ["mlp_train", "--batch", "4", "--steps", "3", "--warmup", "1", "--compile"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "CompileWarning" not in proc.stderr  # the warm-up covers both recording calls
    res = json.loads(proc.stdout)
    assert res["side"] == "ours (tg.compile)" and len(res["times_ms"]) == 3


def test_report_has_the_compiled_column() -> None:
    opts = harness.Options(rounds=1, quick=True, keep_openblas_env=True, torch_installed=False)
    opts.log = io.StringIO()
    result = harness.run_all(opts, only=["mlp_train"], scaling=False)
    numba = ["ours_numba"] if opts.numba_installed else []
    assert set(result["main"][0]["sides"]) == {"ours", "ours_compiled", *numba}
    text = report.render(result)
    body = text.split("## Workloads", 1)[1].strip().split("\n\n")[0].splitlines()
    head, row = (
        [c.strip() for c in line.strip().strip("|").split("|")] for line in (body[0], body[2])
    )
    assert float(row[head.index("ours (tg.compile) ms")].split()[0]) > 0
    assert float(row[head.index("peak MB tg.compile")]) >= 0
    assert row[head.index("tg.compile / faster PyTorch")] == "-"  # no PyTorch here
    if numba:  # the compiled step again, with the numba kernels (the child says it used them)
        assert result["main"][0]["sides"]["ours_numba"]["kernels"] == "numba"
        assert float(row[head.index("ours (tg.compile + numba) ms")].split()[0]) > 0
    chain = {"title": "chain", "batch": 1, "flops": 2.0, "ratio": None, "faster": None}
    chain["sides"] = {"ours": {"ms": 1.0, "min": 1.0, "max": 1.0, "failed": 0, "peak_mb": 1.0}}
    line = report.main_table([chain], torch_installed=False).splitlines()[-1]
    assert line.split("|")[6].strip() == "-"  # the chain has no compiled variant


def test_resnet20_workload_runs_our_resnet20() -> None:
    nn = workloads.framework("ours").nn
    model = workloads.our_resnet20(nn)
    assert sum(p.numpy().size for p in model.parameters()) == 272_474
    assert workloads.architecture_note("resnet20_train") is None
    assert workloads.count_flops("resnet20_train", 1) > 0
