"""Ctrl-C, failing tasks, a full disk, concurrent runs and output-inside-input on the local data pipelines
(``dscoder.data.executors``, ``dscoder.data.output_guard``): one line, exit 130 or 1, nothing partial left, and a
rerun that completes."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dscoder.data.executors import PARTIAL_FOLDER, ExecutorConfig, LocalExecutor, TaskFailed, build_executor
from dscoder.data.output_guard import FolderOverlap, OutputFolderInUse, check_separate_folders, output_lock

# A stage as the CLI runs it (dscoder_cli.run_handler) on a 4-task pipeline whose tasks 1-3 block when BLOCK is
# set: task 0 finishes, the others are mid-way when the signal comes.
SCRIPT = textwrap.dedent('''
    import sys, types
    from dscoder.data.executors import ExecutorConfig, build_executor
    from dscoder.data.readers import file_record_writer
    from dscoder_cli import run_handler

    out, logs = sys.argv[1], sys.argv[2]

    def documents(data, rank=0, world_size=1):
        import time  # dill sends this function by value, without the module's globals
        from datatrove.data import Document

        for i in range(3):
            yield Document(text=f"document {i} of task {rank}", id=f"{rank}-{i}", metadata={})
            if rank:  # tasks 1-3 block mid-way
                time.sleep(120)

    def run(args):
        executor = build_executor([documents, file_record_writer(out)], ExecutorConfig(tasks=4, workers=2, start_method=sys.argv[3]), logs)
        executor.run()

    if __name__ == "__main__":  # the forkserver imports this file again
        sys.exit(run_handler(types.SimpleNamespace(handler=run), "dscoder data"))
''')


def _documents(data, rank=0, world_size=1):
    """The script's pipeline source without the blocking: what the rerun runs."""
    from datatrove.data import Document

    for i in range(3):
        yield Document(text=f"document {i} of task {rank}", id=f"{rank}-{i}", metadata={})


def _records(folder: Path) -> list[str]:
    return sorted(json.loads(line)["id"] for f in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(f, "rt"))


def _alive_in_group(pgid: int) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "pgid=,stat=,args="], capture_output=True, text=True, check=True)
    out = ps.stdout.splitlines()
    return [line for line in out if line.split()[0] == str(pgid) and not line.split()[1].startswith("Z")]


@pytest.mark.slow  # a real process group with a pool of 2 worker processes: ~6 s each on 2 cores
@pytest.mark.parametrize(("target", "start_method"), [("group", "forkserver"), ("main", "fork")])
def test_one_ctrl_c_stops_the_run_within_seconds_and_the_rerun_completes_it(tmp_path, target, start_method):
    """A terminal's Ctrl-C reaches every process of the group; ``kill -INT PID`` only the main one. Either way: one
    line, exit 130 in seconds, no process left, the finished task kept, the unfinished tasks' files removed."""
    script = tmp_path / "stage.py"
    script.write_text(SCRIPT, encoding="utf-8")
    out, logs = tmp_path / "out", tmp_path / "logs"
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(logs), start_method], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not ((logs / "completions" / "00000").exists() and (out / "00001.jsonl.gz").exists()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)  # task 0 done, task 1 blocked mid-way with its file started
    os.killpg(proc.pid, signal.SIGINT) if target == "group" else os.kill(proc.pid, signal.SIGINT)
    start = time.monotonic()
    _, err = proc.communicate(timeout=30)
    stopped = time.monotonic() - start
    assert proc.returncode == 130, err
    assert stopped < 5, f"stopped after {stopped:.1f} s"
    ours = [line for line in err.splitlines() if line.startswith("dscoder")]  # the rest: datatrove's task log
    assert ours == [(f"dscoder data: interrupted: 1 of 4 tasks of {logs} finished and are kept, the others' files "
                     "removed; rerun the same command to do them")], err  # fmt: skip
    assert "Traceback" not in err and "leaked" not in err
    assert _alive_in_group(proc.pid) == []
    assert _records(out) == ["0-0", "0-1", "0-2"]  # the blocked tasks' partial files are gone
    assert not list((logs / PARTIAL_FOLDER).iterdir())
    # the rerun (same folders) redoes tasks 1-3 only
    from dscoder.data.readers import file_record_writer

    build_executor([_documents, file_record_writer(out)], ExecutorConfig(tasks=4, workers=1), logs).run()
    assert _records(out) == [f"{r}-{i}" for r in range(4) for i in range(3)]


def _filter_corpus(folder: Path, shards: int = 3) -> Path:
    folder.mkdir(parents=True)
    for shard in range(shards):
        with gzip.open(folder / f"{shard:05d}.jsonl.gz", "wt") as f:
            for i in range(4):
                text = f"def function_{shard}_{i}(value):\n    return value * {i} + {shard}\n"
                f.write(json.dumps({"id": f"{shard}-{i}", "text": text, "repo": f"r{shard}", "path": f"m{i}.py"}) + "\n")
    return folder


@pytest.mark.parametrize("failure", ["symlink_loop", "unreadable_file", "full_disk"])
def test_a_failing_task_is_one_line_naming_its_log_and_leaves_no_partial_file(tmp_path, capfd, failure):
    """A worker failure ends the run with one line (the task, the error, the input file, the log with the
    traceback), no traceback on the console; the files of the unfinished tasks are removed; the rerun, once the
    cause is gone, gives the same records as a clean run."""
    from dscoder.data.filters import run_filter_stage

    corpus = _filter_corpus(tmp_path / "corpus")
    out, excluded, logs = tmp_path / "out" / "filtered", tmp_path / "out" / "excluded", tmp_path / "out" / "logs"
    if failure in ("symlink_loop", "unreadable_file"):
        (corpus / "00001.jsonl.gz").rename(tmp_path / "00001.jsonl.gz")
    if failure == "symlink_loop":
        os.symlink("loop", corpus / "00001.jsonl.gz")
        os.symlink("00001.jsonl.gz", corpus / "loop")
        expected = "Too many levels of symbolic links"
    elif failure == "unreadable_file":  # readable by nobody, root included: reading it fails with an I/O error
        os.symlink("/proc/self/mem", corpus / "00001.jsonl.gz")
        expected = "(last input file opened: 00001.jsonl.gz)"
    else:  # task 1's output shard is on a full disk
        out.mkdir(parents=True)
        os.symlink("/dev/full", out / "00001.jsonl.gz")
        expected = "No space left on device"
    with pytest.raises(TaskFailed) as info:
        run_filter_stage(corpus, out, excluded, logs, tasks=3, workers=1)
    message = str(info.value)
    assert "\n" not in message and expected in message, message
    assert message.startswith(f"task 1 of {logs} failed: ") and f"traceback in {logs}/logs/task_00001.log" in message
    assert "Traceback" in (logs / "logs" / "task_00001.log").read_text()
    assert "Traceback" not in capfd.readouterr().err
    assert sorted(p.name for p in out.glob("*")) == ["00000.jsonl.gz"]  # task 1's shard removed, task 2 never ran
    assert not list((logs / PARTIAL_FOLDER).iterdir())
    if failure != "full_disk":
        return  # the input changed once fixed: the logging folder refuses a resume (test_pipeline_reruns)
    (out / "00001.jsonl.gz").unlink(missing_ok=True)  # space again: the same command completes the run
    run_filter_stage(corpus, out, excluded, logs, tasks=3, workers=1)
    clean = tmp_path / "clean"
    run_filter_stage(corpus, clean / "filtered", clean / "excluded", clean / "logs", tasks=3, workers=1)
    assert _records(out) == _records(clean / "filtered") and len(_records(out)) == 12


def test_a_failing_task_in_a_worker_process_stops_the_run_in_one_line(tmp_path):
    """The same with worker processes: the pool is stopped at the first failure, the error names the task."""
    from dscoder.data.readers import file_record_writer

    def failing(data, rank=0, world_size=1):
        from datatrove.data import Document

        yield Document(text="x", id=f"{rank}", metadata={})
        if rank == 1:
            raise OSError(28, "No space left on device")

    out, logs = tmp_path / "out", tmp_path / "logs"
    executor = LocalExecutor([failing, file_record_writer(out)], tasks=2, workers=2, logging_dir=str(logs),
                             start_method="fork")  # fmt: skip
    with pytest.raises(TaskFailed, match=r"^task 1 of .* failed: OSError: \[Errno 28\] No space left on device; "):
        executor.run()
    assert not (out / "00001.jsonl.gz").exists()


def test_a_second_run_on_the_same_output_folder_is_refused_while_the_first_holds_it(tmp_path):
    out = tmp_path / "out"
    with output_lock(out, "filter") as lock:
        assert lock == tmp_path / ".out.lock" and json.loads(lock.read_text())["pid"] == os.getpid()
        with pytest.raises(OutputFolderInUse, match=rf"^{out}: another dscoder run is writing this folder \(pid "), \
                output_lock(out, "filter"):
            pass
        from dscoder.data.filters import run_filter_stage

        corpus = _filter_corpus(tmp_path / "corpus", shards=1)
        with pytest.raises(OutputFolderInUse):
            run_filter_stage(corpus, out, tmp_path / "excluded", tmp_path / "logs", tasks=1, workers=1)
    assert not lock.exists()
    with output_lock(out, "filter"):  # released: the next run takes it
        pass


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    import dscoder.data.output_guard as guard

    out = tmp_path / "out"
    code = textwrap.dedent(f"""
        import importlib.util, time  # the module alone (stdlib only), not the dscoder package: a fast start
        spec = importlib.util.spec_from_file_location("guard", {guard.__file__!r})
        guard = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(guard)
        with guard.output_lock({str(out)!r}, "test"):
            print("locked", flush=True)
            time.sleep(60)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(OutputFolderInUse, match=f"pid {holder.pid} on "), output_lock(out, "filter"):
        pass
    holder.kill()
    holder.wait()
    with output_lock(out, "filter"):  # the kernel released the dead holder's lock; its file is reused
        pass


@pytest.mark.parametrize(("output", "why"), [
    ("corpus", "is the input folder"),
    ("corpus/out", "is inside the input folder"),
    (".", "holds the input folder"),
])  # fmt: skip
def test_an_output_folder_overlapping_the_input_is_refused_by_every_stage(tmp_path, monkeypatch, output, why):
    from dscoder.data.decontamination.stage import run_decontamination_stage
    from dscoder.data.filters import run_filter_stage
    from dscoder.data.repo_level import run_repo_level_stage
    from dscoder.data.tokenize_stage import run_tokenize_stage

    monkeypatch.chdir(tmp_path)
    corpus = _filter_corpus(tmp_path / "corpus", shards=1)
    before = sorted(p.name for p in corpus.rglob("*"))
    out = tmp_path / output
    stages = [
        lambda: run_filter_stage(corpus, out, tmp_path / "x" / "excluded", tmp_path / "x" / "logs", tasks=1, workers=1),
        lambda: run_repo_level_stage(corpus, out, tmp_path / "x" / "logs", tasks=1, workers=1),
        lambda: run_decontamination_stage(corpus, out, tmp_path / "x" / "excluded", tmp_path / "x" / "logs",
                                          tmp_path / "x" / "index"),
        lambda: run_tokenize_stage(corpus, out, tmp_path / "no-tokenizer", num_proc=1),
    ]
    for run in stages:
        with pytest.raises(FolderOverlap, match=f"the output folder {out.resolve()} {why}"):
            run()
    assert sorted(p.name for p in corpus.rglob("*")) == before  # nothing written into the input
    check_separate_folders({"input": corpus}, {"output": tmp_path / "elsewhere", "logs": "s3://bucket/logs"})
