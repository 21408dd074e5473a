"""The documentation cannot rot: every ```python block of docs/*.md and README.md runs (the
blocks of a page in order, in one namespace, in a scratch directory), its "Output" block must
match what it prints, and every figure a page shows must be drawn by that page's code and be
what it draws now. The runner is docs/make_figures.py, which `make figures` uses to redraw
docs/figures/ from the same code. The site build is checked in test_docs_site.py."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
mf = importlib.util.module_from_spec(_spec)
sys.modules["make_figures"] = mf
_spec.loader.exec_module(mf)

PAGES = [*mf.pages(), ROOT / "README.md"]
HAS_DOT = shutil.which("dot") is not None


def _needs_dot(text: str) -> bool:
    return ".render(" in text or '"graph"' in text or '"train"' in text


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_code_runs_and_draws_its_figures(page, tmp_path):
    text = page.read_text(encoding="utf-8")
    if not mf.python_blocks(text):
        pytest.skip(f"{page.name} has no python blocks")
    if not HAS_DOT and _needs_dot(text):
        pytest.skip(f"{page.name} renders graphs and Graphviz's 'dot' is not installed")
    pytest.importorskip("matplotlib")
    mf.run_page(page, tmp_path)
    drawn = {p.name for p in (tmp_path / "figures").iterdir()}
    shown = mf.figure_refs(text)
    assert shown <= drawn, f"{page.name} shows figures its code does not draw: {shown - drawn}"
    for name in shown:  # the committed copy exists and is what the code draws now
        committed = DOCS / "figures" / name
        assert committed.is_file(), f"run `make figures`: {name} is missing"
        assert mf.same_figure(tmp_path / "figures" / name, committed), (
            f"docs/figures/{name} is not what {page.name}'s code draws now: run `make figures`"
        )


def test_every_figure_in_docs_is_used_and_drawn_by_code():
    shown = set().union(*(mf.figure_refs(p.read_text(encoding="utf-8")) for p in PAGES))
    committed = {p.name for p in (DOCS / "figures").iterdir()}
    assert committed <= shown, f"figures no page shows (delete them): {committed - shown}"
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for name in mf.figure_refs(text):
            code = "".join(b.code for b in mf.python_blocks(text))
            assert f"figures/{name}" in code or name.rsplit(".", 1)[0] in code, (
                f"{page.name} shows figures/{name}, but none of its code writes it"
            )


def test_output_blocks_are_checked():
    # a broken Output block is an error, and "..." matches anything
    assert mf.output_matches("a 1.234 b\nc", "a ... b\nc")
    assert not mf.output_matches("a 1 b", "a 2 b")
    page = '```python\nprint(1 + 1)\n```\n\n```text title="Output"\n3\n```\n'
    (block,) = mf.python_blocks(page)
    assert block.expected_output == "3\n"
    assert mf.python_blocks(page.replace('title="Output"', ""))[0].expected_output is None


def test_runner_reports_the_failing_block(tmp_path):
    page = tmp_path / "bad.md"
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\n```python\nprint(x)\n```\n\n"
        '```text title="Output"\n2\n```\n'
    )
    with pytest.raises(mf.DocsError, match=r"bad.md:7: the block printed"):
        mf.run_page(page, tmp_path)
    page.write_text("```python\nraise ValueError('boom')\n```\n")
    with pytest.raises(mf.DocsError, match=r"bad.md:1: the code block raised ValueError"):
        mf.run_page(page, tmp_path)


def test_nav_lists_every_page():
    config = (ROOT / "mkdocs.yml").read_text()
    for page in DOCS.rglob("*.md"):
        rel = page.relative_to(DOCS).as_posix()
        assert re.search(rf":\s*{re.escape(rel)}\s*$", config, re.M), f"{rel} is not in the nav"


def test_api_reference_covers_every_public_module():
    api = "".join(p.read_text() for p in (DOCS / "api").glob("*.md"))
    documented = set(re.findall(r"^::: (tinygrad_cnn[\w.]*)", api, re.M))
    modules = set()
    for path in (ROOT / "tinygrad_cnn").rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        if any(p.startswith("_") for p in parts) or "ops" in parts or "commands" in parts:
            continue
        modules.add(".".join(parts))
    internal = {
        "tinygrad_cnn.op_registry",
        "tinygrad_cnn.op_registry_cnn",
        "tinygrad_cnn.bench",
        "tinygrad_cnn.demo",
        "tinygrad_cnn.nn.functional_cnn",
    }
    internal |= {m for m in modules if m.startswith("tinygrad_cnn.op_registry")}
    missing = modules - documented - internal
    assert not missing, f"public modules without an API page: {sorted(missing)}"


# the site build (mkdocs build --strict) and its offline checks: tests/test_docs_site.py
