"""Readers of file records that count bad input instead of crashing, and the matching file-record writer.

datatrove's stock ``JsonlReader`` logs a malformed line and moves on without counting it, skips records without
``text`` after one warning, and abandons the rest of a file at the first non-UTF-8 byte. On terabytes a user must
know what was lost, so :class:`FileRecordJsonlReader` reads bytes line by line and sorts every bad line into a
reason, counted in the reader's stats as ``dropped_reader:<reason>`` and ``bytes_dropped_reader:<reason>``:

* ``reader:malformed_json``: not JSON;
* ``reader:non_utf8``: invalid UTF-8, or JSON with a lone surrogate escape (``"\\ud800"``);
* ``reader:not_an_object``: JSON but not an object;
* ``reader:missing_text``: no ``text`` field, or one that is not a string;
* ``reader:empty_text``: an empty ``text``;
* ``reader:too_large``: a record over ``max_record_bytes`` (a JSONL line is skipped while it is read, so one
  huge line never sits in memory whole).

Two reasons count *files* whose record count is unknown (:data:`FILE_REASONS`; summaries list them apart, so
records in = kept + dropped still adds up):

* ``reader:truncated_file``: the (compressed) file ends in the middle (the lines read until then are kept);
* ``reader:unreadable_file``: not one record could be read: a ``.gz`` that is not gzip, a ``.parquet`` that is
  not Parquet, ... (logged with the file name and the cause).

With ``rejects_folder`` set, every rejected line is kept there (``<rank>.jsonl``: source file, line number,
reason and the raw line, base64 when it is not UTF-8), so nothing is lost. Parquet files and Hub datasets go
through datatrove's ``ParquetReader`` / ``HuggingFaceDatasetReader`` with the same record checks.

:func:`file_record_writer` writes the docs/design.md layout back: one flat JSON object per file (``id``, ``text`` and
the metadata keys as columns), gzip by default. :func:`reader_drops` reads a reader's drops back from its stats.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import get_datafolder
from datatrove.pipeline.readers import (
    HuggingFaceDatasetReader,
    JsonlReader,
    ParquetReader,
)
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.logging import logger

from dscoder.config import bounded, check_bounds

#: default input file patterns per format (a stats.json or README beside the shards is not input)
DEFAULT_GLOBS = {"jsonl": "**/*.jsonl*", "parquet": "**/*.parquet"}
#: default ``max_record_bytes``: a memory guard above the repo-level stage's largest sample (``max_repo_bytes``,
#: 100 MB), not a quality filter (the rule filters drop any line over 1000 characters long before this)
DEFAULT_MAX_RECORD_BYTES = 128 * 2**20
#: reasons that count files with an unknown number of records, not records
FILE_REASONS = frozenset({"reader:truncated_file", "reader:unreadable_file"})


class _RecordChecks:
    """Checks a raw record before datatrove builds a ``Document``; counts and keeps what it rejects."""

    rejects_folder = None
    max_record_bytes = DEFAULT_MAX_RECORD_BYTES
    _rejects_file = None
    _rank = 0

    def reject(self, reason: str, raw: bytes | str | dict, source: str, line: int | str, size: int | None = None,
               detail: str | None = None) -> None:
        """Count (and keep, with ``rejects_folder``) one rejected record, or one file for :data:`FILE_REASONS`.
        ``size``: its byte count when ``raw`` is not the whole record (a skipped huge line)."""
        if isinstance(raw, dict):
            raw = orjson.dumps(raw, default=str)
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        self.stat_update(f"dropped_reader:{reason}")
        self.stat_update(f"bytes_dropped_reader:{reason}", value=len(raw) if size is None else size, unit="doc")
        if self.rejects_folder is None:
            return
        if self._rejects_file is None:
            self._rejects_file = get_datafolder(self.rejects_folder).open(f"{self._rank:05d}.jsonl", "wb")
        record = {"source_file": source, "line": line, "reason": f"reader:{reason}"}
        if detail is not None:
            record["detail"] = detail
        if f"reader:{reason}" in FILE_REASONS:
            record["records_after_line"] = "unknown"
        try:
            record["raw"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            record["raw_base64"] = base64.b64encode(raw).decode("ascii")
        self._rejects_file.write(orjson.dumps(record) + b"\n")

    def reject_file(self, filepath: str, records_read: int, exc: BaseException) -> None:
        """A file that ends early (``truncated_file``) or gives no record at all (``unreadable_file``)."""
        reason = "truncated_file" if records_read else "unreadable_file"
        cause = f"{type(exc).__name__}: {exc}"
        where = self.full_path(filepath)
        if records_read:
            logger.warning(f"{where}: input ends early after line {records_read} ({cause}); kept what was read, "
                           "the number of records after it is unknown")  # fmt: skip
        else:
            logger.warning(f"{where}: unreadable, dropped with an unknown number of records ({cause})")
        self.reject(reason, b"", filepath, records_read, detail=cause)

    def full_path(self, filepath: str) -> str:
        """``filepath`` (relative to the input folder) as the user can find it."""
        folder = getattr(self, "data_folder", None)
        return folder.resolve_paths(filepath) if folder is not None else filepath

    def text_problem(self, data: dict) -> str | None:
        """Why the record's text is unusable (``missing_text``, ``empty_text``, ``too_large``), or ``None``."""
        text = data.get(self.text_key)
        if not isinstance(text, str):
            return "missing_text"
        if len(text) * 4 > self.max_record_bytes and _utf8_length(text) > self.max_record_bytes:
            return "too_large"
        return None if text else "empty_text"

    def checked_document(self, data, source: str, line: int | str) -> Document | None:
        if not isinstance(data, dict):
            self.reject("not_an_object", json.dumps(data, default=str), source, line)
            return None
        problem = self.text_problem(data)
        if problem is not None:
            self.reject(problem, data, source, line)
            return None
        return self.get_document_from_dict(data, source, line)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._rank = rank
        try:
            yield from super().run(data, rank, world_size)
        finally:
            if self._rejects_file is not None:
                self._rejects_file.close()
                self._rejects_file = None


class FileRecordJsonlReader(_RecordChecks, JsonlReader):
    """datatrove's ``JsonlReader`` with every bad line counted by reason (see the module docstring)."""

    name = "🐿 Jsonl (checked)"

    def __init__(self, data_folder, *, rejects_folder=None, glob_pattern: str | None = DEFAULT_GLOBS["jsonl"],
                 max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES, **kwargs):  # fmt: skip
        kwargs.setdefault("add_file_path", False)
        super().__init__(data_folder, glob_pattern=glob_pattern, **kwargs)
        self.rejects_folder = rejects_folder
        self.max_record_bytes = max_record_bytes

    def read_file(self, filepath: str):
        limit = self.max_record_bytes
        with self.data_folder.open(filepath, "rb", compression=self.compression) as f:
            line_no = -1
            try:
                while raw := f.readline(limit + 1):  # a line never grows past the cap in memory
                    line_no += 1
                    if len(raw) > limit and not raw.endswith(b"\n"):
                        head, size = raw[:200], len(raw)
                        del raw
                        size += _skip_line(f)
                        logger.warning(f"{self.full_path(filepath)}: line {line_no} is {size:,} bytes, over max_record_bytes "
                                       f"{limit:,}; dropped as reader:too_large")  # fmt: skip
                        self.reject("too_large", head, filepath, line_no, size=size)
                        continue
                    if not raw.strip():
                        continue
                    with self.track_time():
                        document = self._parse(raw, filepath, line_no)
                    del raw  # not held while the consumer works on the document (a long line: its size again)
                    if document is not None:
                        yield document
            except (EOFError, zlib.error, OSError) as exc:  # gzip.BadGzipFile is an OSError
                self.reject_file(filepath, line_no + 1, exc)

    def _parse(self, raw: bytes, filepath: str, line_no: int) -> Document | None:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            try:
                json.loads(raw.decode("utf-8"))
                reason = "non_utf8"  # valid JSON that orjson refuses: a lone surrogate escape
            except UnicodeDecodeError:
                reason = "non_utf8"
            except ValueError:
                reason = "malformed_json"
            self.reject(reason, raw.rstrip(b"\r\n"), filepath, line_no)
            return None
        return self.checked_document(data, filepath, line_no)


def _utf8_length(text: str, block: int = 1 << 20) -> int:
    """UTF-8 size of ``text`` without a copy of it (a record near the cap would be one more in memory)."""
    if text.isascii():
        return len(text)
    return sum(len(text[i : i + block].encode("utf-8", "surrogatepass")) for i in range(0, len(text), block))


def _skip_line(f, block: int = 1 << 20) -> int:
    """Read ``f`` to the end of the current line in bounded blocks; returns the bytes skipped."""
    skipped = 0
    while chunk := f.readline(block):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


class FileRecordParquetReader(_RecordChecks, ParquetReader):
    """datatrove's ``ParquetReader``; rows without a string ``text`` are counted and kept in the rejects."""

    name = "📒 Parquet (checked)"

    def __init__(self, data_folder, *, rejects_folder=None, glob_pattern: str | None = DEFAULT_GLOBS["parquet"],
                 max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES, **kwargs):  # fmt: skip
        super().__init__(data_folder, glob_pattern=glob_pattern, **kwargs)
        self.rejects_folder = rejects_folder
        self.max_record_bytes = max_record_bytes

    def read_file(self, filepath: str):
        import pyarrow as pa

        rows = 0
        try:
            for document in super().read_file(filepath):
                rows += 1
                yield document
        except (pa.ArrowException, OSError, EOFError) as exc:  # not Parquet, or cut short
            self.reject_file(filepath, rows, exc)

    def get_document_from_dict(self, data: dict, source_file: str, id_in_file: int | str):
        problem = self.text_problem(data)
        if problem is not None:
            self.reject(problem, data, source_file, id_in_file)
            return None
        document = super().get_document_from_dict(data, source_file, id_in_file)
        if document is not None:
            document.metadata.pop("file_path", None)
        return document


class FileRecordHubReader(_RecordChecks, HuggingFaceDatasetReader):
    """datatrove's ``HuggingFaceDatasetReader`` (Hub id, or a ``save_to_disk`` folder) with the record checks."""

    name = "🤗 Hub dataset (checked)"

    def __init__(self, dataset: str, *, rejects_folder=None, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES, **kwargs):
        super().__init__(dataset, **kwargs)
        self.rejects_folder = rejects_folder
        self.max_record_bytes = max_record_bytes

    def get_document_from_dict(self, data: dict, source_file: str, id_in_file: int | str):
        problem = self.text_problem(data)
        if problem is not None:
            self.reject(problem, data, source_file, id_in_file)
            return None
        return super().get_document_from_dict(data, source_file, id_in_file)


@dataclass
class ReaderConfig:
    """Where file records come from. ``folder`` for JSONL/Parquet shards; ``dataset`` for a Hub dataset id (or,
    with ``load_from_disk``, a folder written by ``datasets.save_to_disk``)."""

    format: Literal["jsonl", "parquet", "hub"] = "jsonl"
    folder: Path | None = None
    glob_pattern: str | None = None
    dataset: str | None = None
    dataset_config: str | None = None
    split: str = "train"
    streaming: bool = True
    load_from_disk: bool = False
    text_key: str = "text"
    id_key: str = "id"
    limit: int = bounded(-1, ge=1, special={-1: "all records"})
    max_record_bytes: int = bounded(DEFAULT_MAX_RECORD_BYTES, ge=1)

    def __post_init__(self):
        if self.format == "hub" and not self.dataset:
            raise ValueError("format 'hub' needs 'dataset' (a Hub id or a save_to_disk folder)")
        check_bounds(self)


def build_reader(config: ReaderConfig, folder: str | Path | None = None, rejects_folder: str | Path | None = None):
    """The checked reader for ``config``; ``folder`` overrides ``config.folder`` (JSONL/Parquet)."""
    common = {"text_key": config.text_key, "id_key": config.id_key, "limit": config.limit,
              "max_record_bytes": config.max_record_bytes}  # fmt: skip
    rejects = str(rejects_folder) if rejects_folder is not None else None
    if config.format == "hub":
        options = {"split": config.split}
        if config.dataset_config:
            options["name"] = config.dataset_config
        return FileRecordHubReader(
            config.dataset, rejects_folder=rejects, dataset_options=options, streaming=config.streaming,
            load_from_disk=config.load_from_disk, **common,
        )  # fmt: skip
    folder = folder if folder is not None else config.folder
    if folder is None:
        raise ValueError(f"reader: format {config.format!r} needs an input folder")
    glob = config.glob_pattern or DEFAULT_GLOBS[config.format]
    if "://" not in str(folder):  # a remote folder is listed by datatrove itself
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"input folder not found: {folder}")
        if next(Path(folder).glob(glob), None) is None:
            raise FileNotFoundError(f"{folder}: no input file matches {glob!r} (reader format {config.format!r})")
    cls = FileRecordJsonlReader if config.format == "jsonl" else FileRecordParquetReader
    return cls(str(folder), rejects_folder=rejects, glob_pattern=glob, **common)


def reader_drops(stats) -> tuple[dict[str, int], dict[str, int]]:
    """What a checked reader dropped: ``(records per reason, files per reason)``, reasons as ``reader:<reason>``;
    the files (:data:`FILE_REASONS`) hold an unknown number of records. ``stats``: the reader's datatrove
    ``Stats``, or its stats as a mapping (key -> total, a stats.json entry, or a ``MetricStats``)."""
    records: dict[str, int] = {}
    files: dict[str, int] = {}
    for key, value in getattr(stats, "stats", stats).items():
        if key.startswith("dropped_reader:"):
            reason = key[len("dropped_") :]
            total = value.get("total", 0) if isinstance(value, dict) else getattr(value, "total", value)
            (files if reason in FILE_REASONS else records)[reason] = int(total)
    return records, files


def no_records_message(folder, input_files: int | None, records: dict[str, int], files: dict[str, int]) -> str:
    """The one-line error of a stage that read no usable record from ``folder`` (counts from :func:`reader_drops`;
    ``input_files``: how many files the reader opened, ``None`` when unknown)."""
    why = [f"{reason}: {n:,} file{'s' * (n != 1)}, records unknown (logged with its name)" for reason, n in files.items()]
    why += [f"{reason}: {n:,} line{'s' * (n != 1)}" for reason, n in records.items()]
    where = "its input files" if input_files is None else f"{input_files:,} input file{'s' * (input_files != 1)}"
    return f"{folder}: no usable record in {where} ({'; '.join(why) if why else 'blank'})"


def file_record_adapter(self, document: Document) -> dict:
    """A ``Document`` as a flat file record (docs/design.md): ``id``, ``text``, then every metadata key."""
    return {"id": document.id, "text": document.text, **document.metadata}


def file_record_writer(folder: str | Path, output_filename: str = "${rank}.jsonl.gz", compression: str | None = "gzip"):
    """A datatrove ``JsonlWriter`` that writes file records in docs/design.md's layout (flat, gzip by default)."""
    return JsonlWriter(str(folder), output_filename=output_filename, compression=compression, adapter=file_record_adapter)
