"""Hostile programs stay contained, are reported as failures, and the harness keeps running (issue 10)."""

from __future__ import annotations

import os
import sys

import pytest

from dscoder.evaluation.sandbox import CodeExecutionNotAllowed, Limits, Sandbox, Step
from dscoder.evaluation.tasks.base import Program, execute_programs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        yield sb


def run_py(sb: Sandbox, code: str, zygote: bool = True, **limits) -> object:
    step = Step((sb.python, "main.py"), limits=Limits(**limits), python_script="main.py" if zygote else None)
    return sb.run({"main.py": code}, [step])


def test_opt_in_is_required():
    with pytest.raises(CodeExecutionNotAllowed, match="--allow-code-execution"):
        Sandbox()


@pytest.mark.parametrize("zygote", [True, False], ids=["zygote", "process"])
def test_plain_program_runs(sandbox, zygote):
    r = run_py(sandbox, "import sys\nprint('hi'); print('err', file=sys.stderr)", zygote=zygote)
    assert (r.ok, r.status, r.stdout, r.stderr) == (True, "ok", "hi\n", "err\n")
    r = run_py(sandbox, "raise SystemExit(3)", zygote=zygote)
    assert (r.ok, r.returncode, r.status) == (False, 3, "failed")


@pytest.mark.parametrize("zygote", [True, False], ids=["zygote", "process"])
def test_infinite_loop_is_killed(sandbox, zygote):
    r = run_py(sandbox, "while True:\n    pass\n", zygote=zygote, timeout_s=1.0)
    assert not r.ok and r.status == "timeout" and r.wall_s < 5


@pytest.mark.skipif(os.geteuid() != 0, reason="RLIMIT_NPROC is only bound per program with a throw-away uid (root)")
def test_fork_bomb_is_contained(sandbox):
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    r = run_py(sandbox, code, timeout_s=1.5, max_processes=8)
    assert not r.ok and r.status == "timeout"
    assert run_py(sandbox, "print(1)").ok  # the harness and the uid pool are fine afterwards


def test_huge_allocation_fails(sandbox):
    r = run_py(sandbox, "x = bytearray(10 * 1024 ** 3)\n")
    assert not r.ok and "MemoryError" in r.stderr


def test_files_outside_the_dir_are_out_of_reach(sandbox, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.chmod(tmp_path, 0o755)
    outside = tmp_path / "written.txt"
    r = run_py(sandbox, f"open({str(outside)!r}, 'w').write('x')\n")
    assert not r.ok and not outside.exists()
    r = run_py(sandbox, f"import os\nos.remove({str(victim)!r})\n")
    assert not r.ok and victim.read_text() == "keep me"
    r = run_py(sandbox, "open('inside.txt', 'w').write('ok')\nprint(open('inside.txt').read())\n")
    assert r.ok and r.stdout == "ok\n"


def test_network_is_unreachable(sandbox):
    if not sandbox.network_isolated:
        pytest.skip("no network namespace on this machine (the sandbox warned)")
    code = "import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('1.1.1.1', 80))\n"
    r = run_py(sandbox, code)
    assert not r.ok and ("unreachable" in r.stderr or "OSError" in r.stderr)


def test_the_parent_is_out_of_reach(sandbox):
    """PID 1 of its own namespace: no parent to see, and kill(0) / kill(-1) reach only the program's processes."""
    r = run_py(sandbox, "import os, signal\nprint(os.getpid(), os.getppid())\nos.kill(-1, signal.SIGKILL)\n"
                        "os.kill(0, signal.SIGKILL)\n")
    assert r.stdout.split() == ["1", "0"]
    assert run_py(sandbox, "print(2)").stdout == "2\n"


def test_huge_output_is_capped(sandbox):
    r = run_py(sandbox, "while True:\n    print('x' * 4096)\n", timeout_s=5, file_size_bytes=1 << 20,
               keep_output_bytes=1000)
    assert not r.ok and len(r.stdout) < 1100 and r.stdout.endswith("[output truncated]")


def test_exit_before_the_asserts_is_a_failure(sandbox):
    early = Program("python", "import sys\nsys.exit(0)\nassert 1 == 2\n")
    honest = Program("python", "assert 1 + 1 == 2\n")
    verdicts = execute_programs(sandbox, [early, honest, None], timeout_s=5)
    assert [v["passed"] for v in verdicts] == [False, True, False]
    assert [v["status"] for v in verdicts] == ["exited_before_end", "passed", "no_program"]


def test_run_many_keeps_job_order(sandbox):
    jobs = [({"main.py": f"print({i})"}, [Step((sandbox.python, "main.py"), python_script="main.py")])
            for i in range(6)]
    assert [r.stdout for r in sandbox.run_many(jobs)] == [f"{i}\n" for i in range(6)]


@pytest.mark.skipif(os.geteuid() != 0, reason="private scratch dirs need root (a mount namespace)")
@pytest.mark.parametrize("zygote", [True, False], ids=["zygote", "process"])
def test_scratch_dirs_are_private(sandbox, zygote):
    name = f"dscoder-test-{os.getpid()}-{zygote}"
    code = f"open('/tmp/{name}', 'w').write('x')\nopen('/dev/shm/{name}', 'w').write('x')\nprint(open('/tmp/{name}').read())"
    r = run_py(sandbox, code, zygote=zygote)
    assert r.ok and r.stdout == "x\n"
    assert not os.path.exists(f"/tmp/{name}") and not os.path.exists(f"/dev/shm/{name}")


def test_an_interpreter_installed_under_tmp_stays_visible_to_programs(tmp_path):
    """The private tmpfs over /tmp must not hide a virtual environment created there (a clone under /tmp)."""
    import subprocess

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "probe_module_of_the_venv.py").write_text("VALUE = 41 + 1\n")
    with Sandbox(allow_code_execution=True, workers=1, python=str(venv / "bin" / "python")) as sb:
        assert sb.python == str(venv / "bin" / "python")  # the sandbox uid can run it (no fallback)
        r = sb.run({"main.py": "import probe_module_of_the_venv as m\nprint(m.VALUE)\n"},
                   [Step((sb.python, "main.py"), limits=Limits(timeout_s=30))])
    assert r.ok and r.stdout.strip() == "42", r.stderr


def test_only_interpreter_folders_inside_a_scratch_dir_are_bound_back(tmp_path, monkeypatch):
    from dscoder.evaluation import sandbox as sandbox_module

    assert sandbox_module._under_scratch_dirs(["/tmp", "/tmp/v", "/usr", "/dev/shm/x"]) == ["/tmp/v", "/dev/shm/x"]
    monkeypatch.chdir(tmp_path)  # a bare interpreter name must not make the cwd's parent visible
    with Sandbox(allow_code_execution=True, workers=1, python="python3") as sb:
        assert str(tmp_path.parent) not in sb._keep and "/tmp" not in sb._keep


needs_slot_cgroups = pytest.mark.skipif(
    os.geteuid() != 0, reason="slot forkers exist where the sandbox has memory cgroups (root)"
)


@needs_slot_cgroups
def test_a_slot_reused_by_the_next_program_holds_nothing_of_the_last():
    """Programs of one worker slot share its memory cgroup, forker and network namespace, one at a time: what the
    last one left (a file in /tmp, a listening abstract socket, a background process) is gone for the next."""
    plant = (
        "import os, socket, subprocess\n"
        "open('/tmp/planted', 'w').write('x')\n"
        "s = socket.socket(socket.AF_UNIX); s.bind('\\0dscoder-planted'); s.listen(1)\n"
        "subprocess.Popen(['sleep', '30'], start_new_session=True)\n"
    )
    connect = "import socket; socket.socket(socket.AF_UNIX).connect('\\0dscoder-planted')"
    probe = (  # a child interpreter: the program's own code may not connect to unix sockets at all
        "import os, subprocess, sys\n"
        "assert not os.path.exists('/tmp/planted')\n"
        f"r = subprocess.run([sys.executable, '-c', {connect!r}], capture_output=True, text=True)\n"
        "assert 'ConnectionRefusedError' in r.stderr, r.stderr\n"
    )
    with Sandbox(allow_code_execution=True, workers=1) as sb:
        slots = sb._slots.qsize()
        assert run_py(sb, plant).ok
        for _ in range(slots - 1):  # slots are handed out in turn: the last one is the planter's again
            assert run_py(sb, "pass").ok
        r = run_py(sb, probe)
        assert r.ok, r.stderr
        cgroups = sorted(p.name for p in sb._cgroups.top.iterdir() if p.is_dir())
    assert len(cgroups) == slots  # one per slot (and cap), not one per program


@needs_slot_cgroups
def test_a_program_whose_forker_dies_is_reported_and_the_next_one_runs():
    with Sandbox(allow_code_execution=True, workers=1) as sb:
        assert run_py(sb, "pass").ok
        import threading

        results = []
        worker = threading.Thread(target=lambda: results.append(run_py(sb, "import time\ntime.sleep(30)")))
        worker.start()
        zygote = sb._zygote
        for _ in range(200):  # the program's pid, once it is forked
            with zygote._cond:
                pids = list(zygote._pids.values())
            if pids:
                break
            threading.Event().wait(0.02)
        with open(f"/proc/{pids[0]}/stat") as f:
            forker = int(f.read().rsplit(")", 1)[1].split()[1])
        os.kill(forker, 9)
        worker.join(timeout=20)
        assert results and results[0].status == "sandbox_error" and "forker" in results[0].stderr
        assert results[0].wall_s < 10
        assert run_py(sb, "print('after')").stdout == "after\n"
