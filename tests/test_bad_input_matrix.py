"""Every class of bad input through every ``dscoder data`` command (issue 18): each cell ends either in one error
line naming the folder or file, or in a run whose summary counts the drop, with records in = kept + dropped.

Commands run in this process (``dscoder_cli.main``) with one task and one worker, on a handful of records.
"""

from __future__ import annotations

import gzip
import json
import re
import sys

import pytest

from dscoder_cli import main

GOOD = [
    {"id": f"g{i}", "text": f"def f{i}(x):\n    return x + {i}\n", "repo": "r", "path": f"m{i}.py", "language": "python"}
    for i in range(3)
]
CAP = 4096  # max_record_bytes / --max-document-bytes of every run here


def _lines(records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _truncated_gzip() -> bytes:
    records = [{**GOOD[0], "id": f"t{i}", "path": f"t{i}.py", "text": f"x{i} = {i * 7919}\n"} for i in range(400)]
    blob = gzip.compress(_lines(records).encode(), compresslevel=9, mtime=0)
    return blob[: len(blob) // 2]


# class -> (bad file name, its bytes, expected record drops, expected file drops (records unknown))
CLASSES = {
    "malformed_json": ("bad.jsonl", b'{"id": "b", "text": \n', {"reader:malformed_json": 1}, {}),
    "non_utf8": ("bad.jsonl", b'{"id": "b", "text": "caf\xe9"}\n', {"reader:non_utf8": 1}, {}),
    # bytes 0..255 twice: three lines, the first ASCII control characters (not JSON), the others invalid UTF-8
    "binary": ("bad.jsonl", bytes(range(256)) * 2, {"reader:malformed_json": 1, "reader:non_utf8": 2}, {}),
    "plain_text_named_gz": ("bad.jsonl.gz", _lines(GOOD[:2]).encode(), {}, {"reader:unreadable_file": 1}),
    "truncated_gzip": ("bad.jsonl.gz", _truncated_gzip(), {}, {"reader:truncated_file": 1}),
    "huge_line": ("bad.jsonl", (json.dumps({"id": "h", "text": "x" * 3 * CAP}) + "\n").encode(),
                  {"reader:too_large": 1}, {}),
    "missing_field": ("bad.jsonl", b'{"id": "m", "content": "x = 1"}\n', {"reader:missing_text": 1}, {}),
}
EMPTY = {"empty_folder": None, "blank_file": b"\n\n"}
COMMANDS = ("filter", "decontaminate", "repo-level", "tokenize")


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    from dscoder.tokenization import bytes_only_tokenizer, save_tokenizer, to_transformers

    root = tmp_path_factory.mktemp("tools")
    (root / "filter.yaml").write_text(f"blocks: [rules]\nreader: {{max_record_bytes: {CAP}}}\n")
    (root / "repo.yaml").write_text(f"reader: {{max_record_bytes: {CAP}}}\n")
    (root / "protected.txt").write_text("def candidate_protected_function_name(alpha, beta):\n")
    tokenizer = save_tokenizer(to_transformers(bytes_only_tokenizer()), root / "tok")
    return root, tokenizer


@pytest.fixture(autouse=True)
def _decontamination_reader_cap(monkeypatch):
    """``data decontaminate`` has no reader option: give its reader the same record cap as the other runs."""
    from dscoder.data.decontamination import stage

    original = stage._reader

    def capped(*args, **kwargs):
        reader = original(*args, **kwargs)
        reader.max_record_bytes = CAP
        return reader

    monkeypatch.setattr(stage, "_reader", capped)


@pytest.fixture(autouse=True)
def _logs_to_the_current_stderr():
    """datatrove's loguru handler keeps the stderr of the test that imported it: write to this test's instead."""
    from loguru import logger

    logger.remove()
    handler = logger.add(lambda message: sys.stderr.write(message), level="WARNING")
    yield
    try:
        logger.remove(handler)
    except ValueError:  # a datatrove task logger replaced it already
        pass
    logger.add(lambda message: sys.stderr.write(message))


def _run(command: str, folder, work, tools) -> list[str]:
    root, tokenizer = tools
    out = work / command / "out"
    if command == "filter":
        args = ["filter", str(folder), str(out), "--tasks", "1", "--workers", "1", "--config", str(root / "filter.yaml")]
    elif command == "decontaminate":
        args = ["decontaminate", str(folder), str(out), "--benchmarks", "humaneval", "--background", "none",
                "--extra", str(root / "protected.txt"), "--index-dir", str(root / "index"), "--tasks", "1",
                "--workers", "1"]  # fmt: skip
    elif command == "repo-level":
        args = ["repo-level", str(folder), str(out), "--config", str(root / "repo.yaml"), "--tasks", "1",
                "--workers", "1", "--buckets", "1", "--no-dedup"]  # fmt: skip
    else:
        args = ["tokenize", str(folder), str(out), "--tokenizer", str(tokenizer), "--seq-len", "8", "--num-proc", "1",
                "--fim-rate", "0", "--max-document-bytes", str(CAP)]  # fmt: skip
    return ["data", *args]


def _table(text: str) -> dict[str, str]:
    """The rows of the rich tables printed by a command: ``label -> value``."""
    return {m[1].strip(): m[2].strip() for m in re.finditer(r"[│┃]\s*([^│┃\n]+?)\s*[│┃]\s*([^│┃\n]*?)\s*[│┃]", text)}


def _int(value: str) -> int:
    return int(value.split()[0].replace(",", ""))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(EMPTY))
def test_no_usable_input_is_one_error_line_naming_the_folder(case, command, tools, tmp_path, capfd):
    folder = tmp_path / "in"
    folder.mkdir()
    if EMPTY[case] is not None:
        (folder / "a.jsonl").write_bytes(EMPTY[case])
    assert main(_run(command, folder, tmp_path, tools)) == 1
    err = capfd.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("dscoder data: error:")]
    assert len(errors) == 1 and "Traceback" not in err
    if case == "empty_folder":  # decontaminate words it its own way
        expected = r"no (input file matches|\*\.jsonl, \*\.jsonl\.gz or \*\.parquet files)"
    else:  # decontaminate's summary does not say how many files the reader opened
        expected = r"no usable record in (1 input file|its input files) \(blank\)"
    assert re.search(f"error: [A-Za-z]+: {re.escape(str(folder))}: {expected}", errors[0])


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(CLASSES))
def test_bad_input_is_counted_and_every_record_accounted_for(case, command, tools, tmp_path, capfd):
    name, data, record_drops, file_drops = CLASSES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.jsonl").write_text(_lines(GOOD))
    (folder / name).write_bytes(data)
    assert main(_run(command, folder, tmp_path, tools)) == 0
    captured = capfd.readouterr()
    out, err = captured.out, captured.err
    assert "Traceback" not in err
    for reason in file_drops:  # the file and the cause are logged; its record count is said to be unknown
        assert re.search(rf"{re.escape(str(folder / name))}: (unreadable|input ends early).*unknown", err)
    drops = sum(record_drops.values())
    if command == "filter":
        assert main(["data", "report", str(tmp_path / "filter" / "logs" / "filter"), "--json"]) == 0
        funnel = json.loads(capfd.readouterr().out)
        assert {k: v for k, v in funnel["dropped"].items() if k.startswith("reader:")} == record_drops
        assert funnel["unreadable_files"] == file_drops and funnel["input_files"] == 2
        assert funnel["files_in"] == funnel["files_kept"] + sum(funnel["dropped"].values())
        assert funnel["files_kept"] >= 3
    elif command == "decontaminate":
        kept, total = map(int, re.search(r"kept ([\d,]+) of ([\d,]+) documents", out).groups())
        assert total == kept + drops and kept >= 3  # nothing here is contaminated: every drop is the reader's
        for reason, n in file_drops.items():
            assert f"input files {reason}: {n}" in out
    elif command == "repo-level":
        rows = _table(out)
        reader_rows = {k.replace(" ", "_"): _int(v) for k, v in rows.items() if k.startswith("reader:")}
        assert {k: v for k, v in reader_rows.items() if "records_unknown" not in k} == record_drops
        assert {k.split("_(")[0]: v for k, v in reader_rows.items() if "records_unknown" in k} == file_drops
        assert _int(rows["files in"]) >= 3
    else:
        rows = _table(out)
        dropped = {k.removeprefix("dropped: "): _int(v) for k, v in rows.items() if k.startswith("dropped: ")}
        assert dropped == record_drops
        assert _int(rows["records_in"]) == _int(rows["documents"]) + _int(rows["empty_documents"]) + drops
        unknown = {k.split()[2]: _int(v) for k, v in rows.items() if k.startswith("input files ")}
        assert unknown == file_drops
