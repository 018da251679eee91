"""Issues 18 and 23's hostile suite: every attack on the sandbox, per language where a toolchain is here.

Each program of ``tests/data/hostile`` attacks the harness (a forged pass, an escape, a leak, an answer key) and its
own tests fail, so every verdict must be a failure; all of them run at once through one sandbox, as ``dscoder eval
--allow-code-execution`` runs completions, and the Python ones again as the official harness runs programs
(``protocol: deepseek``) and with their tests apart (``checks: isolated``). Then nothing of them may be left on the
host: no process, no file outside their dirs, no secret of the harness's environment in their output, no listing of
the host's folders. The harness is also killed (SIGKILL, which covers SIGTERM's default action) and interrupted
(SIGINT) while programs run: nothing survives, nothing runs twice. ``tests/data/hostile/residual`` holds the
documented residual (eval/README "Security model"): programs of the languages without a runner, written against
this harness, that print the end token from their own stdin -- measured to still win.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dscoder.evaluation.languages import missing_toolchain
from dscoder.evaluation.sandbox import _UID_BLOCK, Sandbox, _UidPool
from dscoder.evaluation.tasks.base import Program, execute_programs, with_tests

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux")

DATA = Path(__file__).parent / "data" / "hostile"
PY_DRIVER = "\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n\n\ncheck(add)\npass\n"
SECRET = "hf_dscoderHostileSuiteSecret0123456789"
LANGUAGES = ("python", "sh", "cpp", "js", "ts", "java")  # those with attacks in tests/data/hostile
#: attacks that forge or read what the program must not (issue 23): the flush chain and its variants, my own
FLUSH_CHAIN = ("flush_chain", "flush_chain_atexit", "flush_chain_del", "flush_chain_thread", "flush_chain_sys_modules",
               "flush_chain_gc_callback")
ANSWER_KEY = ("answer_key_files", "answer_key_frames", "answer_key_bytecode", "answer_key_fds")
HOST_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock", "/etc", "/usr", "/")


def _host_processes_with(word: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if word in cmdline:
                found.append(f"{pid}: {cmdline}")
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """Every hostile program through one sandbox; (verdicts by name, the unique word, the sandbox's dirs)."""
    name = f"{random.randint(900, 999)}.{random.randint(100000, 999999)}"  # a file name and a `sleep` argument
    os.environ["HF_TOKEN"] = SECRET  # in the harness's environment: it must reach no program
    names, programs = [], []
    for language in LANGUAGES:
        if missing_toolchain(language):
            continue
        for path in sorted((DATA / language).glob("*")):
            source = path.read_text().replace("@NAME@", name).replace("@SECRET@", SECRET)
            names.append(f"{language}/{path.stem}")
            programs.append(with_tests(language, source + PY_DRIVER, PY_DRIVER) if language == "python"
                            else Program(language, source))
    try:
        with Sandbox(allow_code_execution=True, workers=4, memory_bytes=320 << 20, disk_bytes=48 << 20) as sb:
            dirs = {"tmp_root": str(sb._tmp()), "cgroups": sb._cgroups is not None,
                    "uids": (sb._uids.base, sb._uids.size) if sb._uids else None}
            # strict: protocol deepseek reproduces the official harness's own rules for JS/TS/C# (where a silent
            # early exit passes, see languages.official_passed); this suite checks dscoder's verdicts
            verdicts = execute_programs(sb, programs, timeout_s=8, protocol="strict")
            dirs["zygote_environ"] = Path(f"/proc/{sb._zygote.proc.pid}/environ").read_bytes()
    finally:
        del os.environ["HF_TOKEN"]
    return dict(zip(names, verdicts)), name, dirs


def test_every_attack_fails(attacked):
    verdicts, _, _ = attacked
    forged = {n: (v["status"], v["stdout"][-300:]) for n, v in verdicts.items() if v["passed"]}
    assert not forged, forged
    assert len(verdicts) >= 19  # the Python attacks at least


@pytest.mark.parametrize("attack", ["settrace_jump", "threading_settrace", "ctypes_calls", "exec_true", "gc_hook",
                                    "connect_from_frames", "connect_from_thread", "answer_key_bytecode",
                                    "unsafe_modules"])
def test_the_runner_refuses_the_attack(attacked, attack):
    """The audit hook refuses the attack's key operation (the verdict would be a failure anyway)."""
    v = attacked[0][f"python/{attack}"]
    assert "not allowed in evaluated programs" in v["stderr"] + v["stdout"], v


def test_exits_before_the_end_are_reported_as_such(attacked):
    verdicts = attacked[0]
    for name in ("python/sys_exit_zero", "python/os_exit_zero", "python/read_own_source", "python/connect_from_child",
                 "python/replace_print_exc",  # its replacement of print_exception (called on the failure) exits 0
                 "python/flush_chain_del", "python/flush_chain_thread", "python/flush_chain_gc_callback",
                 "python/audit_hook_chain", "python/weakref_callback_chain", "python/unraisable_hook_chain",
                 "python/exit_code_chain", "python/subinterpreter", "python/fork_child_returns",
                 "sh/exit_zero", "sh/exit_trap_source", "cpp/read_source_then_exit", "js/exit_zero",
                 "js/read_own_source", "ts/read_source_then_exit", "java/read_source_then_halt"):
        if name in verdicts:
            assert verdicts[name]["status"] == "exited_before_end", (name, verdicts[name])


def test_no_secret_no_fd_no_host_process_reaches_a_program(attacked):
    verdicts, _, _ = attacked
    for name, v in verdicts.items():
        assert SECRET not in v["stdout"] + v["stderr"], name
    # the warm interpreter every Python program is forked from started with a minimal environment (issue 18 read
    # HF_TOKEN from the initial environment block on its stack)
    assert b"HF_TOKEN" not in attacked[2]["zygote_environ"] and b"PATH=" in attacked[2]["zygote_environ"]
    assert "open fds above 2: []" in verdicts["python/secrets_and_fds"]["stdout"]
    if "sh/host_reach" in verdicts:
        seen = verdicts["sh/host_reach"]["stdout"]
        pids = [line.split(":")[0] for line in seen.splitlines() if line.startswith("pid ")]
        assert len(pids) <= 3, seen  # its own PID namespace: bash and its command substitutions only
        assert "pytest" not in seen and "wrote /etc" not in seen and "wrote /usr" not in seen
        fds = [line.split(" -> ")[0].split()[-1] for line in seen.splitlines() if " -> " in line]
        assert fds == ["0", "1", "2", "3"], seen  # 3: ls's own /proc/self/fd; no pipe of the harness or zygote


def test_writes_stay_inside_and_disk_is_capped(attacked):
    verdicts, name, _ = attacked
    for d in HOST_DIRS:
        assert not os.path.exists(os.path.join(d, name)), d
    wrote = verdicts["python/write_outside"]["stdout"]
    # fresh private tmpfs over the scratch dirs (gone with the program); everything else is read-only
    assert "refused /etc" in wrote and "refused /usr" in wrote and "refused / " in wrote
    if os.geteuid() == 0:
        mb = int(verdicts["python/fill_disk"]["stdout"].split("MB written:")[1])
        assert mb <= 48 and "No space left" in verdicts["python/fill_disk"]["stdout"]


def test_no_network_no_vsock(attacked):
    out = attacked[0]["python/network_escape"]["stdout"]
    assert "CONNECTED" not in out and "refused 40 Address family not supported" in out, out


def test_memory_cap_covers_all_processes(attacked):
    verdicts, _, dirs = attacked
    if not dirs["cgroups"]:
        pytest.skip("no writable memory cgroup here: the per-program cap is RLIMIT_AS x RLIMIT_NPROC")
    out = verdicts["python/memory_all_processes"]["stdout"]
    assert "children that allocated: 4" not in out, out
    # the OOM killer ended one of them at once (a program born in its slot's cgroup is an ordinary candidate)
    assert verdicts["python/memory_all_processes"]["status"] == "failed", verdicts["python/memory_all_processes"]


def test_nothing_survives_on_the_host(attacked):
    _, name, dirs = attacked
    deadline = time.monotonic() + 5
    while _host_processes_with(name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _host_processes_with(name)  # the daemon died with its program's PID namespace
    assert not os.path.exists(dirs["tmp_root"])
    if dirs["uids"]:
        first, count = dirs["uids"]
        owned = [p for p in os.listdir("/proc") if p.isdigit() and _uid_of(p) in range(first, first + count)]
        assert not owned


def test_a_fresh_interpreter_runs_the_same_runner():
    """Without the warm zygote (or when it died) a Python program runs in a fresh interpreter, with the same
    runner: the same attacks fail, an honest program passes, and /proc holds no process."""
    attacks = ["sys_exit_zero", "settrace_jump", "connect_from_frames", "read_own_source", "exec_true"]
    programs = [Program("python", (DATA / "python" / f"{a}.py").read_text() + PY_DRIVER) for a in attacks]
    honest = "import os\nassert sorted(os.listdir('/proc')) == ['cpuinfo', 'meminfo', 'stat']\n"
    with Sandbox(allow_code_execution=True, workers=2, use_zygote=False) as sb:
        verdicts = execute_programs(sb, [*programs, Program("python", honest)], timeout_s=20)
    assert [v["passed"] for v in verdicts] == [False] * len(attacks) + [True], verdicts[-1]["stderr"]
    assert [v["status"] for v in verdicts[:4]] == ["exited_before_end", "failed", "failed", "exited_before_end"]


def _uid_of(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def test_uid_blocks_of_two_harnesses_never_overlap(monkeypatch):
    """Issue 18: ranges overlapped at >= 61 workers. Now each pid owns a fixed block, whatever the worker count."""
    pools = []
    for pid in (1000, 1001, 4194303):
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        pools.append(_UidPool(700))
    ranges = sorted((p.base, p.base + p.size) for p in pools)
    assert all(end <= nxt for (_, end), (nxt, _) in itertools.pairwise(ranges))
    assert ranges[-1][1] < 2**32 - 2
    with pytest.raises(ValueError, match="at most"):
        _UidPool(_UID_BLOCK + 1)


HARNESS = r"""
import importlib.util, json, os, sys, threading, time
spec = importlib.util.spec_from_file_location("sbx", sys.argv[1])  # stdlib only: no heavy package import
sandbox_module = importlib.util.module_from_spec(spec)
sys.modules["sbx"] = sandbox_module
spec.loader.exec_module(sandbox_module)
Sandbox, Step, Limits = sandbox_module.Sandbox, sandbox_module.Step, sandbox_module.Limits
name = os.environ["HOSTILE_NAME"]  # not in this harness's command line
reruns = []
real_run_process = Sandbox._run_process
def counting(self, step, cfg, start):
    if step.python_script:
        reruns.append(step.python_script)
    return real_run_process(self, step, cfg, start)
Sandbox._run_process = counting
sb = Sandbox(allow_code_execution=True, workers=2)
code = f"import subprocess, time\nsubprocess.Popen(['sleep', '{name}'], start_new_session=True)\ntime.sleep(60)\n"
jobs = [({"main.py": code}, [Step((sb.python, "main.py"), limits=Limits(timeout_s=60), python_script="main.py")]),
        ({"main.sh": f"sleep {name} & sleep 60"}, [Step(("bash", "main.sh"), limits=Limits(timeout_s=60))])]
print(json.dumps({"tmp_root": str(sb._tmp()), "cgroup": str(sb._cgroups.top) if sb._cgroups else None}), flush=True)
threading.Timer(1.5, lambda: print("running", flush=True)).start()
try:
    sb.run_many(jobs)
except KeyboardInterrupt:
    sb.close()
    print(json.dumps({"interrupted": True, "reruns": reruns}), flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the reaper's uid sweep needs root; without root the PID namespace does it")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_harness_leaves_nothing(sig):
    """SIGKILL stands for SIGTERM too (its default action ends the harness the same way, with no clean-up)."""
    name = f"{random.randint(900, 999)}.{random.randint(100000, 999999)}"
    src = str(Path(__file__).resolve().parents[1] / "src" / "dscoder" / "evaluation" / "sandbox.py")
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, src], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, HOSTILE_NAME=name))
    try:
        dirs = json.loads(proc.stdout.readline())
        assert proc.stdout.readline().strip() == "running"
        deadline = time.monotonic() + 10
        while len(_host_processes_with(name)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_host_processes_with(name)) == 2  # both programs' background processes run
        proc.send_signal(sig)
        rest = proc.communicate(timeout=30)[0]
    finally:
        proc.kill()
    if sig == signal.SIGINT:  # handled: the programs were killed, never re-run through the fallback path
        assert json.loads(rest.strip().splitlines()[-1]) == {"interrupted": True, "reruns": []}
    deadline = time.monotonic() + 10
    while (_host_processes_with(name) or os.path.exists(dirs["tmp_root"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _host_processes_with(name)
    assert not os.path.exists(dirs["tmp_root"])
    assert dirs["cgroup"] is None or not os.path.exists(dirs["cgroup"])



def _python_attacks(name: str) -> list[tuple[str, str]]:
    return [(path.stem, path.read_text().replace("@NAME@", name).replace("@SECRET@", SECRET))
            for path in sorted((DATA / "python").glob("*.py"))
            if path.stem not in ("fill_disk", "memory_all_processes")]  # resource caps: covered above, same processes


@pytest.fixture(scope="module")
def attacked_python_modes():
    """The Python attacks as the official harness runs programs (deepseek: ``exec`` in a fresh namespace, its
    stdin/stdout and guard) and with the tests in a process of their own (strict, ``checks: isolated``)."""
    from dscoder.evaluation.tasks.base import isolated_checks

    name = f"{random.randint(900, 999)}.{random.randint(100000, 999999)}"
    attacks = _python_attacks(name)
    checks = isolated_checks("", PY_DRIVER, ["add"])
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        deepseek = execute_programs(sb, [with_tests("python", source + PY_DRIVER, PY_DRIVER, official_exec=True)
                                         for _, source in attacks], timeout_s=8, protocol="deepseek")
        isolated = execute_programs(sb, [Program("python", source, checks=checks) for _, source in attacks],
                                    timeout_s=8, protocol="strict")
    names = [n for n, _ in attacks]
    return {"deepseek": dict(zip(names, deepseek)), "isolated": dict(zip(names, isolated))}


@pytest.mark.parametrize("mode", ["deepseek", "isolated"])
def test_python_attacks_also_fail_as_the_official_harness_runs_them_and_under_isolated_checks(
        attacked_python_modes, mode):
    verdicts = attacked_python_modes[mode]
    # under isolated checks the forked child of fork_child_returns is simply a correct program answering the tests
    forged = {n: (v["status"], v["stdout"][-300:]) for n, v in verdicts.items()
              if v["passed"] and not (mode == "isolated" and n == "fork_child_returns")}
    assert not forged, forged
    assert len(verdicts) >= 37


def test_the_flush_chain_and_the_answer_key_score_nothing_in_any_mode(attacked, attacked_python_modes):
    """Issue 23: the flush chain (and its variants: streams, atexit, __del__, threads, sys.modules, gc) and the
    answer key (files, frames, the tests' bytecode, fds) forged 164/164 and 155/164 of HumanEval."""
    runs = {"strict, shared checks": {n.split("/")[1]: v for n, v in attacked[0].items() if n.startswith("python/")},
            **attacked_python_modes}
    for mode, verdicts in runs.items():
        assert {n: verdicts[n]["status"] for n in FLUSH_CHAIN + ANSWER_KEY if verdicts[n]["passed"]} == {}, mode
    shared = runs["strict, shared checks"]
    assert "reading the code of the program and its tests" in shared["answer_key_bytecode"]["stdout"]  # f_code
    assert "reading the code of the program" in attacked_python_modes["deepseek"]["answer_key_bytecode"]["stdout"]
    assert "unreadable: main.py" in shared["read_own_source"]["stdout"]  # the text is in no file
    assert "imported: []" in shared["unsafe_modules"]["stdout"]


def test_host_folders_are_not_listable(attacked):
    """Every top-level folder of the host outside the operating system's is empty for a program but for the
    path to what it runs with (the interpreter, its venv)."""
    from dscoder.evaluation.sandbox import SYSTEM_DIRS

    listings = [line for line in attacked[0]["python/host_folders"]["stdout"].splitlines() if line.startswith("listing")]
    assert listings, attacked[0]["python/host_folders"]
    kept = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)]
    for line in listings:
        folder, entries = line[len("listing "):].split(": ", 1)
        if folder.lstrip("/") in SYSTEM_DIRS or not os.path.isdir(folder) or os.path.islink(folder):
            continue
        allowed = {Path(p).relative_to(folder).parts[0] for p in kept if p.startswith(folder + "/")}
        assert set(ast.literal_eval(entries)) <= allowed, line


def test_residual_non_python_programs_reading_their_stdin_still_win():
    """The documented residual (eval/README, "Security model"): without a runner around it, a C++, Java, JavaScript
    or Bash program written against this harness prints the end token from its own stdin and passes."""
    programs, names = [], []
    for path in sorted((DATA / "residual").glob("*/*")):
        language = path.parent.name
        if language in LANGUAGES and not missing_toolchain(language):
            names.append(f"{language}/{path.stem}")
            programs.append(Program(language, path.read_text()))
    if not programs:
        pytest.skip("no toolchain of the residual's languages here")
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        verdicts = execute_programs(sb, programs, timeout_s=30, protocol="strict")
    assert {n: v["passed"] for n, v in zip(names, verdicts)} == dict.fromkeys(names, True)
