"""Run the documentation's code and collect the figures it draws (``make figures``).

Every ```python block of a page runs, in order, in one namespace per page (later blocks use
names from earlier ones), in a scratch working directory. Blocks that draw write into
``figures/``; this script copies what they wrote into ``docs/figures/``, so every picture on
the site is produced by the code printed next to it. A ```text block titled "Output" right
after a python block is what that block prints, and is checked (``...`` in it matches
anything, as in doctest).

The same functions drive ``tests/test_docs.py``, so a page whose code breaks, whose printed
output changes, or that shows a figure its code no longer draws, fails the test suite.

Run: python docs/make_figures.py [page.md ...]
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)(.*)$")
_FIGURE = re.compile(r"\(((?:\.\./)*figures/[\w.-]+)\)")


@dataclass
class Block:
    """One fenced code block: its page line, language, attributes and text."""

    line: int
    lang: str
    attrs: str
    code: str
    expected_output: str | None = None


def code_blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, indented ones (in admonitions) included."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang, attrs = m.groups()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence) and lines[j].strip().strip(fence[0]) == ""
        ):
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        blocks.append(Block(i + 1, lang.lower(), attrs.strip(), "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def python_blocks(text: str) -> list[Block]:
    """The python blocks of a page, each with the "Output" block that follows it, if any."""
    blocks = code_blocks(text)
    lines = text.splitlines()
    out: list[Block] = []
    for k, b in enumerate(blocks):
        if b.lang not in ("python", "py"):
            continue
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        if nxt is not None and nxt.lang == "text" and 'title="Output"' in nxt.attrs:
            end = b.line + b.code.count("\n") + 1  # the line after the closing fence of b
            between = lines[end : nxt.line - 1]
            if all(not s.strip() for s in between):
                b.expected_output = nxt.code
        out.append(b)
    return out


def figure_refs(text: str) -> set[str]:
    """The figure files a page shows, as names inside figures/."""
    return {Path(m).name for m in _FIGURE.findall(text)}


def _normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def output_matches(got: str, want: str) -> bool:
    """Compare printed output with an Output block; ``...`` in the block matches anything
    (as doctest's ELLIPSIS), for numbers that differ between machines."""
    got, want = _normalize(got), _normalize(want)
    pattern = ".*?".join(re.escape(part) for part in want.split("..."))
    return re.fullmatch(pattern, got, flags=re.DOTALL) is not None


class DocsError(AssertionError):
    """A page's code failed, or printed something other than its Output block."""


def run_page(path: Path, workdir: Path, echo: bool = False) -> dict:
    """Run the python blocks of ``path`` in ``workdir``; return the page's namespace."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import tinygrad_cnn as tg

    text = path.read_text(encoding="utf-8")
    namespace: dict = {"__name__": "__docs__"}
    (workdir / "figures").mkdir(parents=True, exist_ok=True)
    old = os.getcwd()
    os.chdir(workdir)
    tg.manual_seed(0)
    try:
        for b in python_blocks(text):
            where = f"{path.name}:{b.line}"
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf):
                    exec(compile(b.code, where, "exec"), namespace)  # noqa: S102
            except Exception as e:
                tb = traceback.format_exc(limit=-3)
                raise DocsError(
                    f"{where}: the code block raised {type(e).__name__}\n{tb}"
                ) from None
            finally:
                if "matplotlib.pyplot" in sys.modules:
                    sys.modules["matplotlib.pyplot"].close("all")
            if echo and buf.getvalue():
                print(buf.getvalue(), end="")
            if b.expected_output is not None:
                got, want = _normalize(buf.getvalue()), _normalize(b.expected_output)
                if not output_matches(got, want):
                    raise DocsError(
                        f"{where}: the block printed\n{got}\n\nbut the page's Output block "
                        f"says\n{want}"
                    )
    finally:
        os.chdir(old)
    return namespace


def figure_signature(path: Path) -> tuple:
    """What a figure shows, without what varies between machines and library versions: a
    Graphviz SVG's texts in order (not its coordinates), a PNG's size in pixels."""
    data = Path(path).read_bytes()
    if path.suffix == ".svg":
        texts = re.findall(rb"<text[^>]*>([^<]*)</text>", data)
        return ("svg", [t.decode("utf-8") for t in texts])
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return ("png", (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")))
    return (path.suffix, len(data))


def same_figure(drawn: Path, committed: Path) -> bool:
    """Whether ``committed`` is what the code draws now (``drawn``); PNG sizes may differ by a
    few pixels between matplotlib versions."""
    a, b = figure_signature(drawn), figure_signature(committed)
    if a[0] == "png" == b[0]:
        return all(abs(x - y) <= max(4, 0.03 * y) for x, y in zip(a[1], b[1]))
    return a == b


def pages() -> list[Path]:
    """The Markdown pages with code: docs/*.md (the API pages hold no python blocks)."""
    return sorted(DOCS.glob("*.md"))


def main(argv: list[str]) -> int:
    chosen = [DOCS / a if not Path(a).exists() else Path(a) for a in argv] or pages()
    dest = DOCS / "figures"
    dest.mkdir(exist_ok=True)
    total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tinygrad-cnn-docs-") as tmp:
        for page in chosen:
            work = Path(tmp) / page.stem
            work.mkdir()
            t0 = time.perf_counter()
            run_page(page, work)
            made = sorted((work / "figures").iterdir())
            for f in made:
                if f.suffix in (".png", ".svg"):
                    shutil.copyfile(f, dest / f.name)
            names = ", ".join(f.name for f in made if f.suffix in (".png", ".svg")) or "-"
            print(f"{page.name:18s} {time.perf_counter() - t0:6.1f} s  figures: {names}")
    print(f"done in {time.perf_counter() - total:.1f} s; figures are in {dest}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
