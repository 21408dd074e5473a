"""The benchmark's report: the main table, the scaling table and docs/performance.md's text."""

from __future__ import annotations

import os
import platform
import time

import numpy as np

from benchmarks.harness import COMPILED_SIDES, LOAD_WARNING

METHOD = """\
Each side of each workload runs in its own fresh process (`python -m benchmarks.child`), the
sides alternating round after round: tinygrad_cnn ("ours"); the same step captured by
`tg.compile` and replayed ("ours (tg.compile)", its two recording calls among the warm-up steps;
see docs/jit.md); that compiled step with the optional numba kernels ("ours (tg.compile +
numba)", `TINYGRAD_CNN_KERNELS=numba`, measured where numba is installed; the numpy kernels stay
the default, see tinygrad_cnn/ops/fast.py); PyTorch with 2 threads; and PyTorch with glibc's
malloc thresholds raised and mmap turned off, through `MALLOC_MMAP_THRESHOLD_`,
`MALLOC_TRIM_THRESHOLD_` and `MALLOC_MMAP_MAX_`, to the values tinygrad_cnn sets for itself with
`mallopt` (tinygrad_cnn/_malloc.py). Sharing one process would be unfair to both: OpenBLAS's
threads spin after each product and PyTorch's OpenMP threads then wait for the same cores. A
process runs a few untimed warm-up steps, then times each step; a side's time is the median over
its processes of the per-process median step time, with the smallest and largest per-process
median in brackets. The ratio divides ours by the faster PyTorch configuration, so below 1 means
faster than the best PyTorch we measured. The child processes unset `OPENBLAS_CORETYPE` and
`OPENBLAS_L2_SIZE` (the machines this project is built on set them for old OpenBLAS builds, and
they force a slower kernel than users get); the BLAS libraries in use, as threadpoolctl sees
them, are listed below. The FLOP floor is the step's FLOPs (2 per multiply-add of every
convolution and linear layer, forward and backward; elementwise ops, pooling and normalisation
not counted) divided by the machine's peak float32 matrix-product rate, the best of a large
numpy matmul in a child process: no implementation of that step can be faster. Peak memory is
the growth of the process's peak resident set (VmHWM, reset after warm-up) above its size before
the model was built."""

COLUMNS = {
    "ours": "ours", "ours_compiled": "ours (tg.compile)",
    "ours_numba": "ours (tg.compile + numba)", "torch": "PyTorch",
    "torch_malloc": "PyTorch + malloc env",
}  # fmt: skip


def side_cell(row: dict, side: str, torch_installed: bool) -> str:
    if side in COMPILED_SIDES and side not in row["sides"]:
        return "-"  # a workload with no compiled variant (the chain), or no numba
    if side.startswith("torch") and not torch_installed:
        return "not installed"
    s = row["sides"].get(side, {})
    if "ms" not in s:
        return f"failed: {s.get('error', 'not run')}"
    note = f", {s['failed']} failed" if s["failed"] else ""
    return f"{s['ms']:.2f} ({s['min']:.2f}..{s['max']:.2f}{note})"


def fmt(v: float | None, spec: str = ".2f") -> str:
    return "-" if v is None else format(v, spec)


def torch_peak(row: dict) -> float | None:
    side = row["faster"] or "torch"
    return row["sides"].get(side, {}).get("peak_mb")


def main_table(rows: list[dict], torch_installed: bool) -> str:
    head = [
        "workload", "batch", "MFLOP", "floor ms", "ours ms", "ours (tg.compile) ms",
        "ours (tg.compile + numba) ms", "PyTorch ms", "PyTorch + malloc env ms",
        "ours / faster PyTorch", "tg.compile / faster PyTorch",
        "tg.compile + numba / faster PyTorch", "peak MB ours", "peak MB tg.compile",
        "peak MB PyTorch", "memory ratio",
    ]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for r in rows:
        if "skipped" in r:
            cells = [r["title"], str(r["batch"]), f"skipped: {r['skipped']}"]
            lines.append("| " + " | ".join(cells + [""] * (len(head) - 3)) + " |")
            continue
        mine, theirs = r["sides"]["ours"].get("peak_mb"), torch_peak(r)
        mem = mine / theirs if mine is not None and theirs else None
        flops, floor = fmt(r["flops"] / 1e6, ".4g"), fmt(r.get("floor_ms"), ".3g")
        cells = [
            r["title"], str(r["batch"]), flops, floor,
            *(side_cell(r, s, torch_installed) for s in COLUMNS), fmt(r["ratio"], ".3g"),
            fmt(r.get("ratio_compiled"), ".3g"), fmt(r.get("ratio_numba"), ".3g"), fmt(mine, ".1f"),
            fmt(r["sides"].get("ours_compiled", {}).get("peak_mb"), ".1f"), fmt(theirs, ".1f"),
            fmt(mem),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scaling_table(rows: list[dict], torch_installed: bool) -> str:
    head = ["workload", "batch", "floor ms", "ours ms", "ours (tg.compile) ms"]
    head += ["ours (tg.compile + numba) ms", "faster PyTorch ms", "ratio", "tg.compile ratio"]
    head += ["tg.compile + numba ratio", "ours us/sample"]
    head += ["PyTorch us/sample"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for r in rows:
        if "skipped" in r:
            continue
        ours = r["sides"]["ours"].get("ms")
        theirs = r["sides"][r["faster"]]["ms"] if r["faster"] else None
        per = [None if v is None else v * 1e3 / r["batch"] for v in (ours, theirs)]
        other = fmt(theirs) if torch_installed else "not installed"
        if theirs is not None:
            other += f" ({COLUMNS[r['faster']]})"
        compiled = fmt(r["sides"].get("ours_compiled", {}).get("ms"))
        numba = fmt(r["sides"].get("ours_numba", {}).get("ms"))
        cells = [r["title"], str(r["batch"]), fmt(r.get("floor_ms"), ".3g"), fmt(ours), compiled]
        cells += [numba, other, fmt(r["ratio"], ".3g"), fmt(r.get("ratio_compiled"), ".3g")]
        cells += [fmt(r.get("ratio_numba"), ".3g")]
        cells += [fmt(per[0], ".1f"), fmt(per[1], ".1f")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def blas_text(pools: list[dict]) -> str:
    if not pools:
        return "unknown (threadpoolctl not installed)"
    out = []
    for p in pools:
        name = " ".join(x for x in (p.get("internal_api"), p.get("version")) if x)
        detail = ", ".join(
            x for x in (p.get("architecture"), f"{p.get('num_threads')} threads") if x
        )
        out.append(f"{name} ({detail})")
    return "; ".join(out)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def first_side(result: dict, side: str) -> dict:
    """The summary of `side` in the first row that measured it (for its versions and BLAS)."""
    for r in result["main"] + result["scaling"]:
        if "ms" in r.get("sides", {}).get(side, {}):
            return r["sides"][side]
    return {}


def load_warning(load: float) -> list[str]:
    if load < LOAD_WARNING:
        return []
    return [
        f"**Measured under load** (load average {load:.2f} before the run): other processes "
        "shared the cores, so these times are noisy, PyTorch's OpenMP threads most of all. "
        "Rerun on a quiet machine before reading ratios from them.",
        "",
    ]


def header(result: dict) -> str:
    opts, peak = result["opts"], result["peak"]
    theirs = first_side(result, "torch")
    torch_v = theirs.get("torch") or ("installed" if opts.torch_installed else "not installed")
    env = "kept as set" if opts.keep_openblas_env else "unset"
    rate = f"{peak['gflops']:.1f} GFLOP/s" if "gflops" in peak else f"failed ({peak['error']})"
    mode = " (--quick: a smoke run, not a measurement)" if opts.quick else ""
    return "\n".join([
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_name()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, numpy {np.__version__}, PyTorch {torch_v}; "
        f"{opts.rounds} round(s) of fresh processes per side{mode}; 1-minute load average "
        f"{result['load']:.2f} before the first child started.",
        "",
        *load_warning(result["load"]),
        f"- Peak float32 GEMM ({peak['size']}x{peak['size']} numpy matmul): {rate}",
        f"- BLAS, ours: {blas_text(first_side(result, 'ours').get('blas', []))}",
        f"- PyTorch's own kernels: {theirs.get('torch_kernels') or 'not measured'}; "
        f"thread pools threadpoolctl sees in its process: {blas_text(theirs.get('blas', []))}",
        f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the child processes: {env}",
    ])  # fmt: skip


def notes(result: dict) -> list[str]:
    out = [f"- {r['title']}: skipped ({r['skipped']})." for r in result["main"] if "skipped" in r]
    out += [f"- {r['title']}: {r['note']}." for r in result["main"] if r.get("note")]
    if not result["opts"].torch_installed:
        out.append("- PyTorch is not installed: `pip install torch==2.13.0` (a CPU build).")
    return out


# The page's last section is written by hand; `--markdown` keeps it when it rewrites the page.
HAND_WRITTEN = "## Optimisations in the engine, and what they bought"


def render(result: dict) -> str:
    """The whole report, as written to docs/performance.md."""
    ti = result["opts"].torch_installed
    parts = [
        "# Performance", "", "Regenerated by `make bench` "
        "(`python -m benchmarks --markdown docs/performance.md`): the tables are generated, only "
        "the last section is written by hand.", "",
        header(result), "", "## Method", "", METHOD, "", "## Workloads", "",
        main_table(result["main"], ti), "",
    ]  # fmt: skip
    if result["scaling"]:
        parts += ["## Scaling with batch size", "", scaling_table(result["scaling"], ti), ""]
    extra = notes(result)
    if extra:
        parts += ["## Notes", "", *extra, ""]
    return "\n".join(parts)
