"""The benchmark harness: every side of every workload in its own fresh process, alternating.

Sides: "ours" (tinygrad_cnn), "ours_compiled" (the same step captured by tg.compile, for the
training and inference workloads), "ours_numba" (that compiled step with the optional numba
kernels, TINYGRAD_CNN_KERNELS=numba, where numba is installed), "torch" (PyTorch, 2 threads)
and "torch_malloc" (the same, with glibc's malloc thresholds raised through MALLOC_* variables
to what tinygrad_cnn sets with mallopt). Each child is `python -m benchmarks.child`; see
docs/performance.md for the method.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import workloads

ROOT = Path(__file__).resolve().parents[1]
SIDES = ("ours", "ours_compiled", "ours_numba", "torch", "torch_malloc")
COMPILED_SIDES = ("ours_compiled", "ours_numba")
TORCH_SIDES = ("torch", "torch_malloc")
# NOTE: the values tinygrad_cnn/_malloc.py passes to mallopt (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD,
# M_MMAP_MAX)
MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
    "MALLOC_MMAP_MAX_": "0",
}
# Set on the machines this project is built on for old OpenBLAS builds; users have neither.
OPENBLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
LOAD_WARNING = 0.5  # the 1-minute load average above which a run is flagged as noisy
CHILD_SIDE = {
    "ours": "ours", "ours_compiled": "ours", "ours_numba": "ours", "torch": "torch",
    "torch_malloc": "torch", "numpy": "numpy",
}  # fmt: skip


@dataclass
class Options:
    rounds: int = 3
    quick: bool = False
    threads: int = 2
    keep_openblas_env: bool = False
    timeout: float = 900.0
    torch_installed: bool = field(default_factory=lambda: bool(importlib.util.find_spec("torch")))
    numba_installed: bool = field(default_factory=lambda: bool(importlib.util.find_spec("numba")))
    log: Any = field(default_factory=lambda: sys.stdout)  # where progress lines go


def child_env(side: str, opts: Options) -> dict[str, str]:
    env = dict(os.environ)
    if not opts.keep_openblas_env:
        for name in OPENBLAS_ENV:
            env.pop(name, None)
    if side == "torch_malloc":
        env.update(MALLOC_ENV)
    env.pop("TINYGRAD_CNN_KERNELS", None)  # the numpy kernels, the default, on every other side
    if side == "ours_numba":
        env["TINYGRAD_CNN_KERNELS"] = "numba"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_child(side: str, name: str, batch: int, steps: int, opts: Options) -> dict:
    """One fresh process measuring one side; its JSON, or {"error": ...} if it failed."""
    cmd = [sys.executable, "-m", "benchmarks.child", "--side", CHILD_SIDE[side]]
    cmd += ["--workload", name, "--batch", str(batch), "--steps", str(steps)]
    cmd += ["--threads", str(opts.threads)] + (["--warmup", "1"] if opts.quick else [])
    cmd += ["--compile"] if side in COMPILED_SIDES else []
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=child_env(side, opts), capture_output=True, text=True,
            timeout=opts.timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {opts.timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    try:
        res = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit status {proc.returncode}: {tail}"}
    return res


def steps_for(w: workloads.Workload, batch: int, opts: Options) -> int:
    """Timed steps per process: about the same total work at every batch size."""
    if opts.quick:
        return 1 if w.kind == "chain" else 3
    return max(3, min(4 * w.steps, round(w.steps * w.batch / batch)))


def measure(name: str, batch: int, sides: list[str], opts: Options) -> dict[str, list[dict]]:
    """`opts.rounds` fresh processes per side, the sides alternating round by round."""
    steps = steps_for(workloads.WORKLOADS[name], batch, opts)
    runs: dict[str, list[dict]] = {s: [] for s in sides}
    for i in range(opts.rounds):
        # NOTE: the order rotates too, so no side always runs right after the same other one
        for side in sides[i % len(sides) :] + sides[: i % len(sides)]:
            runs[side].append(run_child(side, name, batch, steps, opts))
    return runs


def summarise(runs: list[dict]) -> dict:
    """Median of the per-process medians, their min and max, and the median peak memory
    growth (VmHWM after warm-up above the RSS before the model was built)."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"error": runs[0]["error"] if runs else "not run"}
    medians = [statistics.median(r["times_ms"]) for r in good]
    return {
        "ms": statistics.median(medians),
        "min": min(medians),
        "max": max(medians),
        "processes": len(good),
        "failed": len(runs) - len(good),
        "peak_mb": statistics.median(r["peak_rss_mb"] - r["base_rss_mb"] for r in good),
        "blas": good[0].get("blas", []),
        "torch": good[0].get("torch"),
        "torch_kernels": good[0].get("torch_kernels"),
        "kernels": good[0].get("kernels"),
    }


def compare(summ: dict[str, dict], ours: str = "ours") -> tuple[str | None, float | None]:
    """The faster PyTorch configuration and `ours` / its time (None where either is missing)."""
    torch_ok = [s for s in TORCH_SIDES if "ms" in summ.get(s, {})]
    if not torch_ok or "ms" not in summ.get(ours, {}):
        return None, None
    faster = min(torch_ok, key=lambda s: summ[s]["ms"])
    return faster, summ[ours]["ms"] / summ[faster]["ms"]


def gemm_peak(opts: Options) -> dict:
    """The machine's peak float32 GEMM rate: the best of `rounds` numpy processes."""
    size, steps = (512, 3) if opts.quick else (2048, 8)
    runs = [run_child("numpy", "gemm", size, steps, opts) for _ in range(opts.rounds)]
    good = [r for r in runs if "gflops_best" in r]
    if not good:
        return {"error": runs[0].get("error", "no result"), "size": size}
    best = max(good, key=lambda r: r["gflops_best"])
    return {"gflops": best["gflops_best"], "size": size, "blas": best.get("blas", [])}


def measure_row(name: str, batch: int, opts: Options, peak: dict) -> dict:
    """One line of a table: every side of workload `name` at `batch`, and its FLOP floor."""
    w = workloads.WORKLOADS[name]
    row = {"name": name, "title": w.title, "batch": batch}
    try:
        row["flops"] = workloads.count_flops(name, batch)
        row["note"] = workloads.architecture_note(name)
    except workloads.Unavailable as e:
        return {**row, "skipped": str(e)}
    if "gflops" in peak:
        row["floor_ms"] = row["flops"] / peak["gflops"] / 1e6
    sides = [s for s in SIDES if opts.torch_installed or s not in TORCH_SIDES]
    if not workloads.compilable(name) or not opts.numba_installed:
        sides.remove("ours_numba")
    if not workloads.compilable(name):
        sides.remove("ours_compiled")
    row["sides"] = {s: summarise(r) for s, r in measure(name, batch, sides, opts).items()}
    numba = row["sides"].get("ours_numba", {})
    if "ms" in numba and numba.get("kernels") != "numba":  # never report numpy as numba
        row["sides"]["ours_numba"] = {"error": "the numba kernels were not in use"}
    row["faster"], row["ratio"] = compare(row["sides"])
    row["ratio_compiled"] = compare(row["sides"], "ours_compiled")[1]
    row["ratio_numba"] = compare(row["sides"], "ours_numba")[1]
    print(progress_line(row), file=opts.log, flush=True)
    return row


def progress_line(row: dict) -> str:
    parts = [f"{row['name']} b{row['batch']}:"]
    for side, s in row["sides"].items():
        parts.append(f"{side} {s['ms']:.2f} ms" if "ms" in s else f"{side} failed ({s['error']})")
    if row["ratio"] is not None:
        parts.append(f"-> ratio {row['ratio']:.2f} against {row['faster']}")
    return " ".join(parts)


def run_all(opts: Options, only: list[str] | None = None, scaling: bool = True) -> dict:
    """The main table, the scaling table and the peak GEMM rate, as data for benchmarks.report."""
    names = [n for n in workloads.WORKLOADS if not only or n in only]
    load = os.getloadavg()[0]  # before our own children add to it
    if load >= LOAD_WARNING:
        print(f"warning: load average {load:.2f}: other processes will disturb the times",
              file=opts.log, flush=True)  # fmt: skip
    peak = gemm_peak(opts)
    print(f"peak float32 GEMM: {peak.get('gflops', 0):.1f} GFLOP/s", file=opts.log, flush=True)
    done: dict[tuple[str, int], dict] = {}

    def row(name: str, batch: int) -> dict:
        if (name, batch) not in done:
            done[name, batch] = measure_row(name, batch, opts, peak)
        return done[name, batch]

    main = [row(n, workloads.WORKLOADS[n].batch) for n in names]
    scale = [row(n, b) for n in names if scaling for b in workloads.WORKLOADS[n].scaling]
    return {"main": main, "scaling": scale, "peak": peak, "load": load, "opts": opts}
