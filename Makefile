# `make test` and `make demo` work from a clean clone on a fresh Debian machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo setup lint graphviz clean bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all]'
	touch $(STAMP)

setup: $(STAMP) graphviz

# Graphviz's `dot` binary comes from Debian's package; install it where it is missing and we can.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
	      || echo "warning: could not install graphviz; tests that need 'dot' will be skipped"; \
	  else echo "warning: 'dot' not found and apt-get unusable; tests that need it will be skipped"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check tinygrad_cnn tests examples benchmarks
	$(BIN)/ruff format --check tinygrad_cnn tests examples benchmarks

test: setup lint
	$(BIN)/python -m pytest

demo: setup
	$(BIN)/python -m tinygrad_cnn.demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
