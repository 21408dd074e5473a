"""The benchmark harness (benchmarks/): FLOP counts, aggregation, child environment, and a
quick end-to-end run producing well-formed tables. No timing is asserted anywhere."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import cli, harness, report, workloads  # noqa: E402


def conv_flops(n, cin, cout, k, out_hw):
    return 2 * n * cout * out_hw * out_hw * cin * k * k


def linear_flops(n, fin, fout):
    return 2 * n * fin * fout


def test_lenet_flops_match_a_hand_count():
    n = 64
    c1, c2 = conv_flops(n, 1, 6, 5, 24), conv_flops(n, 6, 16, 5, 8)
    fc = linear_flops(n, 256, 120) + linear_flops(n, 120, 84) + linear_flops(n, 84, 10)
    forward = c1 + c2 + fc
    # backward: weight and input gradient everywhere but conv1, whose input is data
    assert workloads.count_flops("lenet5_train", n) == forward + c1 + 2 * (c2 + fc)
    assert workloads.count_flops("lenet5_infer", 256) == forward * 256 / n


def test_cifar_and_mlp_flops_match_a_hand_count():
    n = 16
    c1, c2 = conv_flops(n, 3, 32, 3, 32), conv_flops(n, 32, 64, 3, 16)
    fc = linear_flops(n, 4096, 128) + linear_flops(n, 128, 10)
    assert workloads.count_flops("cifar_train", n) == 2 * c1 + 3 * (c2 + fc)
    first, rest = linear_flops(8, 32, 32), linear_flops(8, 32, 32) + linear_flops(8, 32, 10)
    assert workloads.count_flops("mlp_train", 8) == 2 * first + 3 * rest


def test_reference_resnet20_has_resnet20_size():
    nn = workloads.framework("ours").nn
    model = workloads.resnet20(nn)
    assert sum(p.numpy().size for p in model.parameters()) == 272_474
    import tinygrad_cnn as tg

    assert model(tg.zeros(2, 3, 32, 32)).shape == (2, 10)


def run(times, peak=60.0, base=40.0):
    return {"times_ms": times, "peak_rss_mb": peak, "base_rss_mb": base, "blas": []}


def test_summary_is_the_median_of_per_process_medians():
    runs = [run([1.0, 9.0, 2.0]), run([4.0, 4.0, 100.0], peak=50.0), run([3.0]), {"error": "x"}]
    s = harness.summarise(runs)
    assert (s["ms"], s["min"], s["max"]) == (3.0, 2.0, 4.0)
    assert (s["processes"], s["failed"]) == (3, 1)
    assert s["peak_mb"] == 20.0
    assert harness.summarise([{"error": "boom"}]) == {"error": "boom"}


def test_ratio_is_against_the_faster_pytorch_configuration():
    summ = {"ours": {"ms": 6.0}, "torch": {"ms": 4.0}, "torch_malloc": {"ms": 3.0}}
    assert harness.compare(summ) == ("torch_malloc", 2.0)
    summ["torch_malloc"] = {"error": "crashed"}
    assert harness.compare(summ) == ("torch", 1.5)
    assert harness.compare({"ours": {"ms": 1.0}}) == (None, None)


def test_child_env_unsets_openblas_only_for_the_children(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1048576")
    env = harness.child_env("ours", harness.Options())
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"  # the parent keeps it
    assert "MALLOC_MMAP_THRESHOLD_" not in env
    kept = harness.child_env("torch", harness.Options(keep_openblas_env=True))
    assert kept["OPENBLAS_CORETYPE"] == "Haswell"
    from tinygrad_cnn import _malloc

    env = harness.child_env("torch_malloc", harness.Options())
    assert env["MALLOC_TRIM_THRESHOLD_"] == str(_malloc._LIMIT)
    assert int(env["MALLOC_MMAP_THRESHOLD_"]) == 32 * 1024 * 1024
    assert env["MALLOC_MMAP_MAX_"] == "0"


def child(*args):
    cmd = [sys.executable, "-m", "benchmarks.child", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_child_prints_one_json_line():
    proc = child("--side", "ours", "--workload", "mlp_train", "--batch", "4", "--steps", "3")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["side"] == "ours" and res["batch"] == 4
    assert len(res["times_ms"]) == 3 and all(t > 0 for t in res["times_ms"])
    assert res["peak_rss_mb"] >= res["base_rss_mb"] > 0


def test_child_reports_a_bad_workload_as_json():
    proc = child("--side", "ours", "--workload", "nope", "--batch", "4", "--steps", "1")
    assert proc.returncode == 1
    assert "nope" in json.loads(proc.stdout)["error"]


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The cells of the markdown table under `heading`, header row first; checks its shape."""
    body = text.split(heading, 1)[1].strip().split("\n\n")[0].splitlines()
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in body]
    assert all(line.startswith("|") and line.endswith("|") for line in body)
    assert all(len(row) == len(cells[0]) for row in cells), body
    assert set("".join(cells[1])) <= set("-: ")
    return [cells[0]] + cells[2:]


def test_quick_run_without_torch_says_not_installed():
    opts = harness.Options(rounds=1, quick=True, keep_openblas_env=True, torch_installed=False)
    opts.log = io.StringIO()
    result = harness.run_all(opts, only=["lenet5_train", "mlp_train"])
    text = report.render(result)
    head, *rows = table_rows(text, "## Workloads")
    assert [r[0] for r in rows] == ["LeNet-5 train", "MLP train"]
    col = head.index("PyTorch ms")
    assert all(r[col] == "not installed" and r[head.index("ours / faster PyTorch")] == "-"
               for r in rows)  # fmt: skip
    assert float(rows[0][head.index("ours ms")].split()[0]) > 0
    assert float(rows[0][head.index("MFLOP")]) == pytest.approx(97.09, abs=0.01)
    head, *rows = table_rows(text, "## Scaling with batch size")
    assert [int(r[1]) for r in rows] == [8, 32, 128, 512]
    assert "PyTorch is not installed" in text


def test_unavailable_workload_is_a_skipped_row():
    rows = [{"title": "ResNet-20 train", "batch": 64, "skipped": "no ResNet-20 yet"}]
    text = "## T\n\n" + report.main_table(rows, torch_installed=True) + "\n"
    head, row = table_rows(text, "## T")
    assert row[2] == "skipped: no ResNet-20 yet"


def test_quick_command_writes_the_report(tmp_path):
    md, raw = tmp_path / "perf.md", tmp_path / "raw.json"
    cmd = [sys.executable, "-m", "tinygrad_cnn", "bench", "--quick", "--only", "mlp_train"]
    cmd += ["--no-scaling", "--keep-openblas-env", "--markdown", str(md), "--json", str(raw)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    text = md.read_text()
    assert text.startswith("# Performance") and "## Method" in text
    head, row = table_rows(text, "## Workloads")
    torch_cell = row[head.index("PyTorch ms")]
    if "not installed" not in torch_cell:  # with PyTorch: a time and a ratio
        assert float(torch_cell.split()[0]) > 0
        assert float(row[head.index("ours / faster PyTorch")]) >= 0  # a number, not "-"
    assert json.loads(raw.read_text())["main"][0]["name"] == "mlp_train"


def test_resnet_workload_is_skipped_or_checked_against_the_reference(monkeypatch):
    def missing(nn):
        raise workloads.Unavailable("no ResNet-20 here")

    monkeypatch.setattr(workloads, "our_resnet20", missing)
    row = harness.measure_row("resnet20_train", 8, harness.Options(), {})
    assert row["skipped"] == "no ResNet-20 here" and "sides" not in row
    monkeypatch.setattr(workloads, "our_resnet20", workloads.resnet20)
    assert workloads.architecture_note("resnet20_train") is None
    monkeypatch.setattr(workloads, "our_resnet20", workloads.lenet5)
    note = workloads.architecture_note("resnet20_train")
    lenet_size = sum(
        p.numpy().size for p in workloads.lenet5(workloads.framework("ours").nn).parameters()
    )
    assert f"{lenet_size} parameters" in note and "272474" in note


def test_bad_option_is_a_one_line_usage_error(capsys):
    from tinygrad_cnn import cli

    with pytest.raises(SystemExit) as e:
        cli.main(["bench", "--rounds", "0"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--rounds" in err and "positive integer" in err


def test_rewriting_the_page_keeps_its_hand_written_section(tmp_path):
    page = tmp_path / "performance.md"
    hand = f"{report.HAND_WRITTEN}\n\n- a measured optimisation, written by hand\n"
    page.write_text("# Performance\n\nold table\n\n" + hand)
    cli.write_page(str(page), "# Performance\n\nnew table\n")
    assert page.read_text() == "# Performance\n\nnew table\n\n" + hand
    fresh = tmp_path / "fresh.md"
    cli.write_page(str(fresh), "# Performance\n\nnew table\n")
    assert fresh.read_text() == "# Performance\n\nnew table\n"
