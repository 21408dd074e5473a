"""The committed pictures are what the code draws now: the README's LeNet-5 graph against
`tinygrad-cnn graph`, and the comparison itself (docs pages' figures are compared in
test_docs.py, which runs the pages)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
mf = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("make_figures", mf)
_spec.loader.exec_module(mf)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's 'dot' is not installed")
def test_readme_lenet5_graph_is_current(tmp_path):
    from tinygrad_cnn.cli import main

    assert main(["graph", "--model", "lenet5", "--out", str(tmp_path / "g.svg")]) == 0
    committed = ROOT / "docs" / "lenet5_graph.svg"
    assert mf.same_figure(tmp_path / "g.svg", committed), "run `make graph-docs`"
    texts = mf.figure_signature(committed)[1]
    assert "conv2d" in texts and "(1, 1, 28, 28) float32" in texts  # the image, NCHW
    assert not any("ColumnMatMul" in t or "Permute" in t for t in texts)


def test_figure_comparison_ignores_layout_but_not_content(tmp_path):
    svg = '<svg><g><text x="{x}" y="1">{t}</text><text x="3">(1, 6)</text></g></svg>'
    (tmp_path / "a.svg").write_text(svg.format(x=1, t="conv2d"))
    (tmp_path / "b.svg").write_text(svg.format(x=9, t="conv2d"))  # moved: the same figure
    (tmp_path / "c.svg").write_text(svg.format(x=1, t="Permute"))  # other content
    assert mf.same_figure(tmp_path / "a.svg", tmp_path / "b.svg")
    assert not mf.same_figure(tmp_path / "a.svg", tmp_path / "c.svg")
    header = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR"
    for name, (w, h) in {"p": (400, 300), "q": (402, 300), "r": (800, 300)}.items():
        (tmp_path / f"{name}.png").write_bytes(header + w.to_bytes(4, "big") + h.to_bytes(4, "big"))
    assert mf.same_figure(tmp_path / "p.png", tmp_path / "q.png")
    assert not mf.same_figure(tmp_path / "p.png", tmp_path / "r.png")
