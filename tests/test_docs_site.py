"""The documentation site works offline: it builds with `mkdocs build --strict`, fetches no
script, style or font from the network, links page to page as plain .html files (so it also
works opened from disk), lists every public API member once, and, in a real headless
Chromium (Debian's `chromium`, which `make` installs where apt-get works), the index and CNN
pages show their figures and a formula from file://."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
# injected into a copy of a page: after load, report its images, formulas and errors
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.href))));
}, true);
window.addEventListener("load", function () {
  var imgs = Array.from(document.querySelectorAll("article img")).map(function (i) {
    return {src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0};
  });
  var maths = Array.from(document.querySelectorAll("math")).map(function (m) {
    var r = m.getBoundingClientRect();
    return {w: r.width, h: r.height, display: getComputedStyle(m).display};
  });
  var out = document.createElement("pre");
  out.id = "probe-result";
  out.textContent = JSON.stringify({imgs: imgs, maths: maths, errors: window.__errors});
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for mod, why in [
        ("mkdocs", "the docs extra is not installed: pip install -e '.[docs]'"),
        ("mkdocstrings", "mkdocstrings[python] is not installed"),
        ("material", "mkdocs-material is not installed"),
        ("latex2mathml", "latex2mathml is not installed: pip install -e '.[docs]'"),
    ]:
        pytest.importorskip(mod, reason=why)
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_nothing_is_fetched_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 15
    remote = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*(?:src|href)=\"(?:https?:)?//")
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not remote.search(text), f"{page.name} loads {remote.search(text)[0]}"
        assert "fonts.googleapis" not in text and "mathjax" not in text.lower(), page.name
    css = "".join(p.read_text(errors="ignore") for p in site.rglob("*.css"))
    assert not re.search(r"@import\s+url\([\"']?https?:", css)


def test_pages_link_as_files_and_the_formula_is_mathml(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="cnn.html"' in index  # use_directory_urls: false
    assert not (site / "cnn").exists() and (site / "api" / "nn.html").is_file()
    cnn = (site / "cnn.html").read_text(encoding="utf-8")
    assert re.search(r'<math [^>]*display="block"', cnn) and "<mfrac>" in cnn  # at build time
    assert "cnn_filters_photos.png" in cnn and "cnn_filters_trained.png" in cnn
    assert (site / "search" / "search_index.json").is_file()  # search, when served


def test_api_pages_list_every_public_member_once(site):
    nn_page = (site / "api" / "nn.html").read_text(encoding="utf-8")
    assert 'id="tinygrad_cnn.nn.conv.Conv2d"' in nn_page
    assert "&gt;&gt;&gt;" in nn_page  # docstring examples are rendered as code
    for name in ("parameters", "modules", "children", "buffers", "requires_grad_"):
        assert f'id="tinygrad_cnn.nn.module.Module.{name}"' in nn_page, name
    for page in sorted((site / "api").glob("*.html")):
        ids = re.findall(r'<h\d id="(tinygrad_cnn[\w.]*)"', page.read_text(encoding="utf-8"))
        short = [i.rsplit(".", 1)[1] for i in ids if i.count(".") >= 2]
        functional = [s for s in short if s in ("conv2d", "max_pool2d", "avg_pool2d")]
        assert len(functional) == len(set(functional)), (page.name, functional)
        assert len(ids) == len(set(ids)), page.name


def _render(page: Path) -> dict:
    probe = page.with_name(page.stem + "_probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1))
    args = [CHROMIUM, "--headless", "--disable-gpu", "--no-first-run", "--mute-audio"]
    args.append("--disable-dev-shm-usage")  # containers often have a tiny /dev/shm
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    args += ["--virtual-time-budget=15000", "--dump-dom", probe.as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"chromium printed no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(html.unescape(found[1]))


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless Chromium: `make setup` installs Debian's chromium where apt-get works "
    "(sudo apt-get install chromium)",
)
def test_index_and_cnn_pages_render_from_disk_in_chromium(site):
    index = _render(site / "index.html")
    assert index["imgs"] and all(i["ok"] for i in index["imgs"]), index["imgs"]
    cnn = _render(site / "cnn.html")
    assert len(cnn["imgs"]) >= 10 and all(i["ok"] for i in cnn["imgs"]), cnn["imgs"]
    assert any(i["src"].endswith("cnn_filters_photos.png") for i in cnn["imgs"])
    formula = [m for m in cnn["maths"] if m["display"].endswith("math")]
    assert formula and all(m["w"] > 20 and m["h"] > 10 for m in formula), cnn["maths"]
    for result in (index, cnn):
        assert not result["errors"], result["errors"]
