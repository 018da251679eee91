"""Checked readers (bad input is counted and kept, never fatal), the file-record writer, executor config, funnel."""

from __future__ import annotations

import base64
import gzip
import json

import orjson
import pytest
from datatrove.data import Document

from dscoder.config import ConfigError, config_from_dict
from dscoder.data.executors import ExecutorConfig, build_executor
from dscoder.data.filters.pipeline import FilterPipelineConfig
from dscoder.data.funnel import funnel_table, load_funnel, plot_funnel
from dscoder.data.readers import (
    FileRecordJsonlReader,
    FileRecordParquetReader,
    ReaderConfig,
    build_reader,
    file_record_writer,
)

GOOD = {"id": "g1", "text": "print(1)\n", "repo": "r", "path": "a.py", "language": "python", "size": 9}


def write_bad_shard(folder):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        orjson.dumps(GOOD),
        b'{"id": "broken", "text": "unterminated',  # malformed JSON
        b'{"id": "latin1", "text": "caf\xe9"}',  # not UTF-8
        b'{"id": "surrogate", "text": "\\ud800"}',  # valid JSON, a lone surrogate escape
        b"[1, 2, 3]",  # not an object
        b'{"id": "notext", "path": "b.py"}',  # no text
        b'{"id": "numtext", "text": 42}',  # text not a string
        b'{"id": "empty", "text": ""}',  # empty text
        b"",  # blank line: skipped, not an error
        orjson.dumps({**GOOD, "id": "g2"}),
    ]
    with gzip.open(folder / "00000.jsonl.gz", "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    (folder / "00001.jsonl").write_bytes(b"")  # an empty shard
    (folder / "stats.json").write_text("{}")  # not input: the default glob leaves it out
    whole = gzip.compress(b"\n".join(orjson.dumps({**GOOD, "id": f"t{i}"}) for i in range(200)) + b"\n")
    (folder / "00002.jsonl.gz").write_bytes(whole[: len(whole) // 2])  # truncated


def test_jsonl_reader_counts_every_bad_line_and_keeps_it(tmp_path):
    write_bad_shard(tmp_path / "in")
    reader = FileRecordJsonlReader(str(tmp_path / "in"), rejects_folder=str(tmp_path / "rejects"))
    docs = list(reader.run())
    ids = [d.id for d in docs]
    assert ids[:2] == ["g1", "g2"] and all(i.startswith("t") for i in ids[2:]) and 0 < len(ids) - 2 < 200
    assert docs[0].metadata == {"repo": "r", "path": "a.py", "language": "python", "size": 9}  # no file_path
    stats = reader.stats
    counts = {k: int(v.total) for k, v in stats.stats.items() if k.startswith("dropped_reader:")}
    assert counts == {
        "dropped_reader:malformed_json": 1,
        "dropped_reader:non_utf8": 2,
        "dropped_reader:not_an_object": 1,
        "dropped_reader:missing_text": 2,
        "dropped_reader:empty_text": 1,
        "dropped_reader:truncated_file": 1,
    }
    assert stats["input_files"].total == 3  # stats.json is not read
    rejects = [json.loads(line) for line in (tmp_path / "rejects" / "00000.jsonl").read_text().splitlines()]
    by_reason = {}
    for r in rejects:
        by_reason.setdefault(r["reason"], []).append(r)
    latin1 = next(r for r in by_reason["reader:non_utf8"] if "raw_base64" in r)

    assert base64.b64decode(latin1["raw_base64"]) == b'{"id": "latin1", "text": "caf\xe9"}'
    assert by_reason["reader:malformed_json"][0]["raw"] == '{"id": "broken", "text": "unterminated'
    assert by_reason["reader:malformed_json"][0]["line"] == 1
    assert by_reason["reader:truncated_file"][0]["source_file"] == "00002.jsonl.gz"
    assert sum(len(v) for v in by_reason.values()) == 8


def test_parquet_reader_counts_rows_without_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "in").mkdir()
    table = pa.table({"id": ["a", "b", "c"], "text": ["x = 1\n", None, ""], "path": ["a.py", "b.py", "c.py"]})
    pq.write_table(table, tmp_path / "in" / "part.parquet")
    reader = build_reader(ReaderConfig(format="parquet"), tmp_path / "in")
    assert isinstance(reader, FileRecordParquetReader)
    docs = list(reader.run())
    assert [(d.id, d.metadata) for d in docs] == [("a", {"path": "a.py"})]
    assert reader.stats["dropped_reader:missing_text"].total == 1
    assert reader.stats["dropped_reader:empty_text"].total == 1


def test_reader_config_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="input folder not found"):
        build_reader(ReaderConfig(), tmp_path / "missing")
    with pytest.raises(ValueError, match="needs 'dataset'"):
        ReaderConfig(format="hub")
    with pytest.raises(ConfigError, match="reader.formt: unknown key"):
        config_from_dict({"reader": {"formt": "jsonl"}}, FilterPipelineConfig)


def test_hub_reader_reads_a_saved_dataset(tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_list([GOOD, {**GOOD, "id": "g2", "text": None}]).save_to_disk(str(tmp_path / "ds"))
    reader = build_reader(ReaderConfig(format="hub", dataset=str(tmp_path / "ds"), load_from_disk=True, streaming=False))
    docs = list(reader.run())
    assert [d.id for d in docs] == ["g1"] and docs[0].metadata["path"] == "a.py"
    assert reader.stats["dropped_reader:missing_text"].total == 1


def test_file_record_writer_round_trips_flat_records(tmp_path):
    doc = Document(text="x = 1\n", id="a", metadata={"repo": "r", "path": "a.py", "language": "python"})
    with file_record_writer(tmp_path) as writer:
        writer.write(doc, rank=3)
    line = gzip.decompress((tmp_path / "00003.jsonl.gz").read_bytes()).decode()
    assert json.loads(line) == {"id": "a", "text": "x = 1\n", "repo": "r", "path": "a.py", "language": "python"}
    back = list(FileRecordJsonlReader(str(tmp_path)).run())
    assert back[0].id == "a" and back[0].metadata == doc.metadata


def test_executor_config_validation_and_local_build(tmp_path):
    with pytest.raises(ValueError, match="slurm.partition"):
        ExecutorConfig(kind="slurm")
    with pytest.raises(ValueError, match="tasks"):
        ExecutorConfig(tasks=0)
    with pytest.raises(ConfigError, match="must be one of"):
        config_from_dict({"kind": "k8s"}, ExecutorConfig)
    ex = build_executor([], ExecutorConfig(tasks=3, workers=1), tmp_path / "logs")
    assert type(ex).__name__ == "LocalExecutor" and ex.tasks == 3 and ex.workers == 1
    cfg = config_from_dict({"kind": "slurm", "tasks": 8, "slurm": {"partition": "cpu", "time": "1:00:00"}}, ExecutorConfig)
    slurm = build_executor([], cfg, tmp_path / "logs2", job_name="j")
    assert type(slurm).__name__ == "SlurmPipelineExecutor" and slurm.partition == "cpu" and slurm.job_name == "j"


def _write_stats(folder, rank, steps):
    (folder / "stats").mkdir(parents=True, exist_ok=True)
    (folder / "stats" / f"{rank:05d}.json").write_text(json.dumps(steps))


def _step(name, **stats):
    return {"name": name, "time_stats": {"total": 0.1}, "stats": stats}


def test_funnel_merges_tasks_and_orders_reasons(tmp_path):
    for rank in range(2):
        _write_stats(
            tmp_path,
            rank,
            [
                _step("📖 - READER: x", input_files=2,
                      **{"dropped_reader:malformed_json": 1, "bytes_dropped_reader:malformed_json": 7,
                         "dropped_reader:unreadable_file": 1, "bytes_dropped_reader:unreadable_file": 0}),
                _step("🔻 - FILTER: lang", total=10, bytes_in={"total": 1000}, forwarded=8, bytes_kept={"total": 900},
                      **{"dropped_language:unsupported": 2, "bytes_dropped_language:unsupported": {"total": 100}}),
                _step("🔻 - FILTER: rules", total=8, bytes_in={"total": 900}, forwarded=7, bytes_kept={"total": 850},
                      **{"dropped_rules:alpha_fraction": 1, "bytes_dropped_rules:alpha_fraction": {"total": 50}}),
                _step("💽 - WRITER: w", total=7),
            ],
        )  # fmt: skip
    funnel = load_funnel(tmp_path)
    assert funnel.to_dict() == {
        "files_in": 22,
        "bytes_in": 2014,
        "files_kept": 14,
        "bytes_kept": 1700,
        "dropped": {"reader:malformed_json": 2, "language:unsupported": 4, "rules:alpha_fraction": 2},
        "dropped_bytes": {"reader:malformed_json": 14, "language:unsupported": 200, "rules:alpha_fraction": 100},
        "input_files": 4,
        "unreadable_files": {"reader:unreadable_file": 2},  # files, never mixed into the record counts
    }
    assert funnel.tasks == 2 and funnel.files_in == funnel.files_kept + funnel.files_dropped
    assert funnel_table(funnel).row_count == 6
    png = plot_funnel(funnel, tmp_path / "f.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_funnel_errors_name_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no datatrove stats"):
        load_funnel(tmp_path)
    _write_stats(tmp_path, 0, [_step("💽 - WRITER: w", total=7)])
    with pytest.raises(ValueError, match="no dscoder filter stats"):
        load_funnel(tmp_path)


def test_unreadable_shards_are_counted_as_files_and_rejected_with_their_path(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from dscoder.data.readers import reader_drops

    pq.write_table(pa.table({"id": ["g1", "g2"], "text": ["x = 1\n", "y = 2\n"]}), tmp_path / "good.parquet")
    (tmp_path / "bad.parquet").write_text(json.dumps(GOOD) + "\n")  # JSON named .parquet
    rejects = tmp_path / "rejects"
    reader = FileRecordParquetReader(str(tmp_path), rejects_folder=str(rejects))
    assert [d.id for d in reader.run()] == ["g1", "g2"]
    assert reader_drops(reader.stats) == ({}, {"reader:unreadable_file": 1})
    (record,) = [json.loads(line) for line in (rejects / "00000.jsonl").read_text().splitlines()]
    assert record["source_file"] == "bad.parquet" and record["records_after_line"] == "unknown"
    assert record["reason"] == "reader:unreadable_file" and record["detail"].startswith("ArrowInvalid")
