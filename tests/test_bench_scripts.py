"""Every bench script starts: ``--help`` prints its options, and ``--smoke`` (where a script has one) runs.

Run the way users run them (``python bench/NAME.py``), so that a script named like a standard-library module
(the former ``bench/tokenize.py``) would break every other script here, as it did.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))
STDLIB_AND_DEPENDENCIES = set(sys.stdlib_module_names) | {"torch", "transformers", "datasets", "datatrove", "trl"}


def test_no_bench_script_shadows_a_module():
    assert SCRIPTS, "bench/ has no scripts"
    assert not {p.stem for p in SCRIPTS} & STDLIB_AND_DEPENDENCIES


@pytest.fixture(scope="module")
def helps() -> dict[str, tuple[int, str, str]]:
    """``--help`` of every script, started together: most of the time is importing torch/datatrove."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    procs = {p.name: subprocess.Popen([sys.executable, str(p), "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, cwd=BENCH.parent, env=env) for p in SCRIPTS}  # fmt: skip
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        out[name] = (proc.returncode, stdout, stderr)
    return out


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_help(script, helps):
    returncode, stdout, stderr = helps[script.name]
    assert returncode == 0, stderr[-2000:]
    assert stdout.startswith("usage:") and script.name in stdout.splitlines()[0]


SMOKE = [p for p in SCRIPTS if "--smoke" in p.read_text(encoding="utf-8")]


@pytest.mark.slow  # bench/gpu_train.py --smoke trains two tiny models on CPU (~40 s on 2 shared cores)
@pytest.mark.parametrize("script", SMOKE, ids=lambda p: p.name)
def test_smoke(script):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, str(script), "--smoke"], capture_output=True, text=True, cwd=BENCH.parent,
                          env=env, timeout=600, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
