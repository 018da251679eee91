# dscoder: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The CPU wheel of torch that lies on this machine's disk; setup.cfg keeps the range open for users.
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo demo-quick test test-full lint clean toolchains slurm

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

# `make test` plus the exhaustive differential runs against the official harness (compiled languages, all MBPP
# references): tens of minutes on 2 cores.
test-full: install
	$(PY) -m pytest -q -m ""

lint: install
	$(VENV)/bin/ruff check src tests bench datatrove_pipelines

# Compilers/runtimes of the multilingual HumanEval (C++, Java + javatuples, PHP, TypeScript, C#, Bash, JS);
# `dscoder eval` skips a language whose toolchain is missing. Debian/Ubuntu packages, npm for tsc otherwise.
toolchains:
	$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update -q
	$$([ "$$(id -u)" = 0 ] || echo sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		g++ default-jdk-headless libjavatuples-java php-cli nodejs node-typescript mono-mcs mono-runtime \
		libmono-system-numerics4.0-cil bash
	command -v tsc >/dev/null || npm install -g typescript

# A one-node Slurm (controller, node daemon, client commands, munge authentication) for running the data pipelines
# with `executor.kind: slurm` on this machine; tests/test_slurm.py starts its own slurmctld + slurmd from these.
# Debian/Ubuntu packages. The daemons are not started or enabled here.
slurm:
	$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update -q
	$$([ "$$(id -u)" = 0 ] || echo sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		slurmctld slurmd slurm-client munge

clean:
	rm -rf demo_output demo_output_quick .pytest_cache
