"""A datatrove logging folder belongs to one run (issue 15 point 5): datatrove_pipelines/filter_code.py and
``dscoder data filter`` resume the same run, refuse another one with one line, and never exit 0 having done
nothing; the logging folder follows ``--output``."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from dscoder.data.run_fingerprint import FINGERPRINT_FILE, LoggingFolderInUse, claim_logging_folder

SCRIPT = Path(__file__).resolve().parents[1] / "datatrove_pipelines" / "filter_code.py"
FAST = ["--set", "blocks=[rules]", "--set", "executor.tasks=1", "--set", "executor.workers=1"]


def _corpus(folder: Path, prefix: str, n: int) -> Path:
    folder.mkdir(parents=True)
    with gzip.open(folder / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
        for i in range(n):
            text = f"def {prefix}{i}(x):\n    return x + {i}\n"
            f.write(json.dumps({"id": f"{prefix}{i}", "text": text, "repo": prefix, "path": f"{prefix}{i}.py",
                                "language": "python"}) + "\n")  # fmt: skip
    return folder


def _ids(folder: Path) -> set[str]:
    ids = set()
    for path in folder.rglob("*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            ids |= {json.loads(line)["id"] for line in f}
    return ids


@pytest.fixture(scope="module")
def filter_code():
    spec = importlib.util.spec_from_file_location("filter_code_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_second_run_on_a_new_input_runs_or_is_refused(filter_code, tmp_path, capsys):
    a, b = _corpus(tmp_path / "A", "a", 3), _corpus(tmp_path / "B", "b", 4)
    x, y = tmp_path / "out" / "X", tmp_path / "out" / "Y"
    assert filter_code(["--input", str(a), "--output", str(x), *FAST]) == 0
    assert _ids(x) == {"a0", "a1", "a2"}
    assert (tmp_path / "out" / "logs" / "X" / FINGERPRINT_FILE).is_file()  # the logs follow the output
    assert filter_code(["--input", str(a), "--output", str(x), *FAST]) == 0  # the same run: resumes (all done)
    capsys.readouterr()
    # another input into the same output (and so the same logs): refused, one line, nothing written
    with pytest.raises(SystemExit) as refused:
        filter_code(["--input", str(b), "--output", str(x), *FAST])
    assert refused.value.code == 1
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "different input, input_files" in message and "to start fresh" in message
    assert _ids(x) == {"a0", "a1", "a2"}
    # a new output gets its own logs: the run happens, with B's records and B's funnel
    assert filter_code(["--input", str(b), "--output", str(y), *FAST]) == 0
    assert _ids(y) == {"b0", "b1", "b2", "b3"}
    assert "4" in capsys.readouterr().out


def test_changed_config_is_refused_and_cli_says_so_in_one_line(tmp_path, capsys):
    from dscoder_cli import main

    a = _corpus(tmp_path / "A", "a", 2)
    out = tmp_path / "filtered"
    assert main(["data", "filter", str(a), str(out), "--tasks", "1", "--workers", "1"]) == 0
    config = tmp_path / "strict.yaml"
    config.write_text("rules: {max_line_length: 10}\n")
    capsys.readouterr()
    assert main(["data", "filter", str(a), str(out), "--tasks", "1", "--workers", "1", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "different config" in err


def test_a_folder_of_finished_tasks_without_fingerprint_is_refused(tmp_path):
    logs = tmp_path / "logs"
    (logs / "completions").mkdir(parents=True)
    (logs / "completions" / "00000").write_text("")
    with pytest.raises(LoggingFolderInUse, match="without a fingerprint"):
        claim_logging_folder(logs, {"input": "a"})
    assert claim_logging_folder(tmp_path / "new", {"input": "a"}) is False
    assert claim_logging_folder(tmp_path / "new", {"input": "a"}) is True
