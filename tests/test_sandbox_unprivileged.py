"""The sandbox without root (a researcher's own account): user + PID + network namespaces instead of a uid switch.

Runs a system interpreter as ``nobody`` that loads ``sandbox.py`` by path (it needs only the standard library), so
it needs root to start, a system ``python3`` that ``nobody`` can run, and unprivileged user namespaces.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SANDBOX = Path(__file__).resolve().parents[1] / "src" / "dscoder" / "evaluation" / "sandbox.py"
SYSTEM_PYTHON = "/usr/bin/python3"

SCRIPT = r"""
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("sbx", sys.argv[1])
m = importlib.util.module_from_spec(spec); sys.modules["sbx"] = m; spec.loader.exec_module(m)
out = {}
with m.Sandbox(allow_code_execution=True, workers=2, root_dir=sys.argv[2]) as sb:
    out["network_isolated"] = sb.network_isolated
    def py(code, zygote, **kw):
        step = m.Step((sb.python, "main.py"), limits=m.Limits(**kw), python_script="main.py" if zygote else None)
        return sb.run({"main.py": code}, [step])
    for zygote in (True, False):
        key = "zygote" if zygote else "process"
        out[key] = {
            "plain": py("print('hi')", zygote).stdout,
            "socket": py("import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('1.1.1.1', 80))", zygote).ok,
            "loop": py("while True:\n    pass", zygote, timeout_s=1).status,
            "memory": py("x = bytearray(10 * 1024 ** 3)", zygote).ok,
            "parent": py("import os, signal\nif os.getppid():\n    os.kill(os.getppid(), signal.SIGKILL)\n"
                         "print(os.getpid(), os.getppid())", zygote).stdout.split(),
            "exit": py("raise SystemExit(3)", zygote).returncode,
        }
print(json.dumps(out))
"""


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="needs root to start a process as nobody")
def test_unprivileged_sandbox_contains_programs():
    if not (os.path.exists(SYSTEM_PYTHON) and shutil.which("setpriv") is not None):
        pytest.skip(f"needs {SYSTEM_PYTHON} and setpriv")
    root = tempfile.mkdtemp(prefix="dscoder-unpriv-", dir="/tmp")
    try:
        os.chmod(root, 0o777)
        proc = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SYSTEM_PYTHON, "-c", SCRIPT,
             str(SANDBOX), root],
            capture_output=True, text=True, timeout=120, cwd=root, check=False,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if not out["network_isolated"]:
        pytest.skip("unprivileged user namespaces are disabled on this machine")
    for mode in ("zygote", "process"):
        got = out[mode]
        assert got["plain"] == "hi\n" and got["socket"] is False and got["loop"] == "timeout"
        assert got["memory"] is False and got["exit"] == 3
        assert got["parent"] == ["1", "0"]  # alone in its PID namespace: the harness is out of reach
