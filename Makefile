# dscoder: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The CPU wheel of torch that lies on this machine's disk; setup.cfg keeps the range open for users.
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo demo-quick test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PIP) install -q "$(TORCH_PIN)"
	$(PIP) install -q -e ".[dev,ray]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/dscoder demo --output demo_output

demo-quick: install
	$(VENV)/bin/dscoder demo --output demo_output_quick --quick

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check src tests bench datatrove_pipelines

clean:
	rm -rf demo_output demo_output_quick .pytest_cache
