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
* ``reader:truncated_file``: the (compressed) file ends in the middle (counted once per file; the lines read
  until then are kept).

With ``rejects_folder`` set, every rejected line is kept there (``<rank>.jsonl``: source file, line number,
reason and the raw line, base64 when it is not UTF-8), so nothing is lost. Parquet files and Hub datasets go
through datatrove's ``ParquetReader`` / ``HuggingFaceDatasetReader`` with the same record checks.

:func:`file_record_writer` writes the DESIGN layout back: one flat JSON object per file (``id``, ``text`` and
the metadata keys as columns), gzip by default.
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

#: default input file patterns per format (a stats.json or README beside the shards is not input)
DEFAULT_GLOBS = {"jsonl": "**/*.jsonl*", "parquet": "**/*.parquet"}


class _RecordChecks:
    """Checks a raw record before datatrove builds a ``Document``; counts and keeps what it rejects."""

    rejects_folder = None
    _rejects_file = None
    _rank = 0

    def reject(self, reason: str, raw: bytes | str | dict, source: str, line: int | str) -> None:
        if isinstance(raw, dict):
            raw = orjson.dumps(raw, default=str)
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        self.stat_update(f"dropped_reader:{reason}")
        self.stat_update(f"bytes_dropped_reader:{reason}", value=len(raw), unit="doc")
        if self.rejects_folder is None:
            return
        if self._rejects_file is None:
            self._rejects_file = get_datafolder(self.rejects_folder).open(f"{self._rank:05d}.jsonl", "wb")
        record = {"source_file": source, "line": line, "reason": f"reader:{reason}"}
        try:
            record["raw"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            record["raw_base64"] = base64.b64encode(raw).decode("ascii")
        self._rejects_file.write(orjson.dumps(record) + b"\n")

    def text_problem(self, data: dict) -> str | None:
        """Why the record's text is unusable (``missing_text``, ``empty_text``), or ``None``."""
        text = data.get(self.text_key)
        if not isinstance(text, str):
            return "missing_text"
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

    def __init__(self, data_folder, *, rejects_folder=None, glob_pattern: str | None = DEFAULT_GLOBS["jsonl"], **kwargs):
        kwargs.setdefault("add_file_path", False)
        super().__init__(data_folder, glob_pattern=glob_pattern, **kwargs)
        self.rejects_folder = rejects_folder

    def read_file(self, filepath: str):
        with self.data_folder.open(filepath, "rb", compression=self.compression) as f:
            line_no = -1
            try:
                for line_no, raw in enumerate(f):
                    if not raw.strip():
                        continue
                    with self.track_time():
                        document = self._parse(raw, filepath, line_no)
                    if document is not None:
                        yield document
            except (EOFError, zlib.error, OSError) as exc:  # gzip.BadGzipFile is an OSError
                logger.warning(f"{filepath}: input ends early after line {line_no + 1} ({exc}); kept what was read")
                self.reject("truncated_file", b"", filepath, line_no + 1)

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


class FileRecordParquetReader(_RecordChecks, ParquetReader):
    """datatrove's ``ParquetReader``; rows without a string ``text`` are counted and kept in the rejects."""

    name = "📒 Parquet (checked)"

    def __init__(self, data_folder, *, rejects_folder=None, glob_pattern: str | None = DEFAULT_GLOBS["parquet"], **kwargs):
        super().__init__(data_folder, glob_pattern=glob_pattern, **kwargs)
        self.rejects_folder = rejects_folder

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

    def __init__(self, dataset: str, *, rejects_folder=None, **kwargs):
        super().__init__(dataset, **kwargs)
        self.rejects_folder = rejects_folder

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
    limit: int = -1

    def __post_init__(self):
        if self.format == "hub" and not self.dataset:
            raise ValueError("format 'hub' needs 'dataset' (a Hub id or a save_to_disk folder)")


def build_reader(config: ReaderConfig, folder: str | Path | None = None, rejects_folder: str | Path | None = None):
    """The checked reader for ``config``; ``folder`` overrides ``config.folder`` (JSONL/Parquet)."""
    common = {"text_key": config.text_key, "id_key": config.id_key, "limit": config.limit}
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
    if not ("://" in str(folder) or Path(folder).is_dir()):
        raise FileNotFoundError(f"input folder not found: {folder}")
    glob = config.glob_pattern or DEFAULT_GLOBS[config.format]
    cls = FileRecordJsonlReader if config.format == "jsonl" else FileRecordParquetReader
    return cls(str(folder), rejects_folder=rejects, glob_pattern=glob, **common)


def file_record_adapter(self, document: Document) -> dict:
    """A ``Document`` as a flat file record (DESIGN): ``id``, ``text``, then every metadata key."""
    return {"id": document.id, "text": document.text, **document.metadata}


def file_record_writer(folder: str | Path, output_filename: str = "${rank}.jsonl.gz", compression: str | None = "gzip"):
    """A datatrove ``JsonlWriter`` that writes file records in the DESIGN layout (flat keys, gzip by default)."""
    return JsonlWriter(str(folder), output_filename=output_filename, compression=compression, adapter=file_record_adapter)
