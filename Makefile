# `make test` and `make demo` work from a clean clone on a fresh Debian machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo setup lint graphviz chromium clean bench graph-docs docs figures fuzz goldens

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all]'
	touch $(STAMP)

setup: $(STAMP) graphviz chromium

# Graphviz's `dot` binary comes from Debian's package; install it where it is missing and we can.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
	      || echo "warning: could not install graphviz; tests that need 'dot' will be skipped"; \
	  else echo "warning: 'dot' not found and apt-get unusable; tests that need it will be skipped"; fi; }

# A headless Chromium checks the built docs site (tests/test_docs_site.py); Debian's package, as
# for dot. Where it cannot be installed the browser test is skipped with a message.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; the docs browser test will be skipped"; \
	  else echo "warning: 'chromium' not found and apt-get unusable; the docs browser test will be skipped"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check tinygrad_cnn tests examples benchmarks docs/make_figures.py docs/doctest_fence.py docs/hooks conftest.py
	$(BIN)/ruff format --check tinygrad_cnn tests examples benchmarks docs/make_figures.py docs/doctest_fence.py docs/hooks conftest.py

test: setup lint
	$(BIN)/python -m pytest

# The long, freshly random runs of the fuzzers (nightly-style; `make test` runs short,
# derandomized profiles of the same tests).
fuzz: setup
	FUZZ_PROFILE=nightly $(BIN)/python -m pytest -p no:cacheprovider tests/test_exception_fuzz.py
	FUZZ_RANDOM=1 FUZZ_OPS_EXAMPLES=2000 $(BIN)/python -m pytest -p no:cacheprovider tests/test_fuzz_ops.py

demo: setup
	$(BIN)/python -m tinygrad_cnn train

# The benchmark suite against PyTorch CPU, each side in its own fresh process (benchmarks/);
# writes docs/performance.md. PyTorch is only needed here (a local CPU build: never plain
# `pip install torch`, which pulls a multi-GB CUDA build). Run it on a quiet machine.
bench: setup
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m benchmarks --markdown docs/performance.md

# PyTorch's answers that `make test` checks against without PyTorch (tests/goldens/*.npz, and
# tests/goldens/live/ for the tests using the `torch_answer` fixture): rerun
# after adding or changing a registry sample (a local CPU build of torch, as for `bench`).
goldens: $(STAMP)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python tests/goldens/make_goldens.py
	TG_GOLDENS=record $(BIN)/python -m pytest -q -p no:cacheprovider \
		$$(grep -l torch_answer tests/test_*.py)

# The documentation site (MkDocs + Material + mkdocstrings) into site/; --strict fails on warnings.
# It works offline: open site/index.html, or serve it (search needs a server) with
# `python3 -m http.server -d site 8000` and browse http://localhost:8000.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "open site/index.html, or: python3 -m http.server -d site 8000"

# Every figure in docs/figures/, produced by running the pages' own code blocks.
figures: $(STAMP) graphviz
	MPLBACKEND=Agg $(BIN)/python docs/make_figures.py

# The LeNet-5 graph shown in the README.
graph-docs: setup
	$(BIN)/python -m tinygrad_cnn graph --model lenet5 --out docs/lenet5_graph.svg

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
