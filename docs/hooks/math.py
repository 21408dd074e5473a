"""MkDocs hook: formulas become MathML when the site is built, so pages show them with no
script and no network (browsers render MathML natively). ``$$ ... $$`` is a display formula,
``$ ... $`` an inline one; code spans and code blocks are left alone."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any

from latex2mathml.converter import convert
from markdown import Extension
from markdown.blockprocessors import BlockProcessor
from markdown.inlinepatterns import InlineProcessor

_DISPLAY = re.compile(r"^\s*\$\$(.+?)\$\$\s*$", re.S)


def mathml(latex: str, display: bool) -> str:
    """The MathML of one LaTeX formula.

    >>> mathml("x^2", False).startswith("<math")
    True
    """
    return convert(latex.strip(), display="block" if display else "inline")


class _DisplayMath(BlockProcessor):
    def test(self, parent: etree.Element, block: str) -> bool:
        return bool(_DISPLAY.match(block))

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        latex = _DISPLAY.match(blocks.pop(0)).group(1)
        div = etree.SubElement(parent, "div", {"class": "math-display"})
        div.text = self.parser.md.htmlStash.store(mathml(latex, True))


class _InlineMath(InlineProcessor):
    def handleMatch(self, m: re.Match, data: str) -> tuple[Any, int, int]:
        return self.md.htmlStash.store(mathml(m.group(1), False)), m.start(0), m.end(0)


class MathMLExtension(Extension):
    def extendMarkdown(self, md: Any) -> None:
        md.parser.blockprocessors.register(_DisplayMath(md.parser), "mathml_display", 95)
        # after code spans (190), before backslash escapes (180): LaTeX keeps its backslashes
        md.inlinePatterns.register(
            _InlineMath(r"(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\w)", md), "mathml_inline", 185
        )


def on_config(config: Any) -> Any:
    config.markdown_extensions.append(MathMLExtension())
    return config
