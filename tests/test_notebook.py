"""Notebooks: gradient-check reports display as tables, and examples/tour.ipynb runs top to
bottom in a real Jupyter kernel (nbclient + ipykernel, from the dev extra)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.gradcheck import check_model_grads

ROOT = Path(__file__).resolve().parents[1]


class Wrong(tg.Function):
    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        return grad * 3 * x  # should be 2x


def test_gradcheck_result_shows_as_a_table():
    x = tg.randn(3, dtype="float64", requires_grad=True)
    good = tg.check_gradients(lambda t: t.exp(), x)
    html = good._repr_html_()
    assert html.count("<tr") == 2 and "gradcheck: passed" in html  # header + one pair
    assert "MISMATCH" not in html and "color:#b00020" not in html
    md = good._repr_markdown_().splitlines()
    assert md[0] == "**gradcheck: passed (eps 1e-06, atol 1e-05, rtol 0.001)**"
    assert md[2].startswith("| output | input | status |") and md[4].startswith("| 0 (3,) | 0")
    bad = tg.check_gradients(lambda t: Wrong.apply(t), x)
    assert not bad.ok
    assert "MISMATCH" in bad._repr_html_() and "color:#b00020" in bad._repr_html_()
    assert "| MISMATCH |" in bad._repr_markdown_()


def test_model_gradient_check_shows_one_row_per_parameter():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = np.random.default_rng(0).standard_normal((2, 3))
    report = check_model_grads(model, x, np.array([0, 1]), num_checks=3)
    html = report._repr_html_()
    assert html.count("<tr") == 1 + 4  # header + 0.weight, 0.bias, 2.weight, 2.bias
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"<td>{name}</td>" in html
    md = report._repr_markdown_()
    assert md.startswith("**model gradient check: passed") and md.count("| good |") == 4


def test_tour_notebook_runs_in_a_jupyter_kernel(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[dev]' (nbformat)")
    nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[dev]' (nbclient)")
    pytest.importorskip("ipykernel", reason="pip install -e '.[dev]' (ipykernel)")
    pytest.importorskip("matplotlib")
    nb = nbformat.read(ROOT / "examples" / "tour.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored clean
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, if one fails
    outputs = [c.outputs for c in nb.cells if c.cell_type == "code"]
    kinds = [{k for o in outs for k in o.get("data", {})} for outs in outputs]
    graph = "image/svg+xml" if shutil.which("dot") else "text/plain"
    assert graph in kinds[2]  # draw_graph's Digraph (the DOT text where dot is missing)
    assert "text/html" in kinds[3] and "text/html" in kinds[4]  # the two check reports
    html = "".join(o["data"]["text/html"] for outs in outputs[3:5] for o in outs if "data" in o)
    assert html.count("<table>") == 2 and "conv.weight" in html
    assert "image/png" in kinds[-1]  # the learning curves
    assert "test accuracy" in "".join(o.get("text", "") for o in outputs[5])
    assert not any(o.output_type == "error" for outs in outputs for o in outs)
