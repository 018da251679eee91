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

``reader.schema`` names the dataset's layout (:mod:`dscoder.data.source_schemas`: The Stack v1/v2/v3,
starcoderdata, github-code, or a ``columns:`` mapping); a preset's flags, licence filter and per-repository cap
drop with their own reasons (``reader:is_vendor``, ``reader:license_type``, ``reader:repo_over_cap``), fetched
contents with ``reader:content_missing`` / ``reader:undecodable``. Notebooks (``.ipynb``) are converted to scripts
as they are read (:mod:`dscoder.data.notebooks`; ``reader:malformed_notebook`` when one is not a notebook).

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
from dataclasses import dataclass, field
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

from dscoder.config import BoundedConfig, bounded
from dscoder.data.notebooks import NOTEBOOK_LANGUAGE_KEY, is_notebook_path, notebook_to_script
from dscoder.data.source_schemas import SCHEMAS, SourceSchema, guess_schema

#: default input file patterns per format (a stats.json or README beside the shards is not input)
DEFAULT_GLOBS = {"jsonl": "**/*.jsonl*", "parquet": "**/*.parquet"}
#: default ``max_record_bytes``: a memory guard above the repo-level stage's largest sample (``max_repo_bytes``,
#: 100 MB), not a quality filter (the rule filters drop any line over 1000 characters long before this)
DEFAULT_MAX_RECORD_BYTES = 128 * 2**20
#: default ``max_repo_bytes``: what one repository of a repository-grouped dataset may send on (a memory guard far
#: above the repository stage's 100 MB parts, not a quality filter)
DEFAULT_MAX_REPO_BYTES = 2**30
#: Arrow data one Parquet batch of a preset should hold (batches are sized from the row groups' byte counts)
_BATCH_BYTES = 64 * 2**20
#: reasons that count files with an unknown number of records, not records
FILE_REASONS = frozenset({"reader:truncated_file", "reader:unreadable_file"})


class _RecordChecks:
    """Checks a raw record before datatrove builds a ``Document``; counts and keeps what it rejects. Maps the
    record's columns with the reader's source schema (:meth:`configure`) and converts notebooks to scripts."""

    rejects_folder = None
    max_record_bytes = DEFAULT_MAX_RECORD_BYTES
    source: SourceSchema = SCHEMAS["file-records"]
    drop_flagged: frozenset[str] = frozenset({"is_vendor", "is_generated"})
    license_types: frozenset[str] = frozenset()
    _filters_license = False  # license_types given and the dataset has a license_type column
    notebooks = "script"
    _rejects_file = None
    _rank = 0

    def configure(self, config: ReaderConfig) -> None:
        """Take ``config``'s source schema, flags, licence filter and notebook handling."""
        self.source = config.source_schema()
        self.text_key, self.id_key = self.source.text or "text", self.source.id or "id"
        self.drop_flagged = frozenset(config.drop_flagged)
        self.license_types = frozenset(config.license_types)
        self._filters_license = bool(self.license_types) and "license_type" in dict(self.source.extra)
        self.notebooks = config.notebooks

    def _default_adapter(self, data: dict, path: str, id_in_file: int | str):
        if self.source.name == "file-records":  # this project's layout: datatrove's own adapter
            return super()._default_adapter(data, path, id_in_file)
        return self.source.record(data, f"{path}/{id_in_file}")

    def drop_reason(self, data: dict) -> str | None:
        """The dataset's own reason to leave a record out: a flag of ``drop_flagged`` (``is_vendor``), or a
        ``license_type`` outside ``license_types``."""
        for flag in self.source.flags:
            if flag in self.drop_flagged and data.get(flag) is True:
                return flag
        if self._filters_license and data.get("license_type") not in self.license_types:
            return "license_type"
        return None

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
        return self.get_document_from_dict(data, source, line)

    def get_document_from_dict(self, data: dict, source_file: str, id_in_file: int | str):
        reason = self.drop_reason(data)
        if reason is not None:
            self.reject(reason, data, source_file, id_in_file)
            return None
        return self.document_from_checked(data, source_file, id_in_file)

    def document_from_checked(self, data: dict, source_file: str, id_in_file: int | str) -> Document | None:
        """The ``Document`` of a record the dataset keeps: text checks, column mapping, notebook conversion."""
        problem = self.text_problem(data)
        if problem is not None:
            self.reject(problem, data, source_file, id_in_file)
            return None
        document = super().get_document_from_dict(data, source_file, id_in_file)
        if document is None or self.notebooks != "script" or not is_notebook_path(document.metadata.get("path")):
            return document
        if NOTEBOOK_LANGUAGE_KEY in document.metadata:  # converted by an earlier stage
            return document
        try:
            script, kernel = notebook_to_script(document.text)
        except ValueError as exc:
            self.reject("malformed_notebook", file_record_adapter(None, document), source_file, id_in_file, detail=str(exc))
            return None
        if not script:
            self.reject("empty_text", file_record_adapter(None, document), source_file, id_in_file)
            return None
        document.text = script
        document.metadata[NOTEBOOK_LANGUAGE_KEY] = kernel
        return document

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
    """datatrove's ``ParquetReader``; rows without a string ``text`` are counted and kept in the rejects.

    With a preset schema it streams the file itself: only the columns the schema names, one row group at a time,
    in batches sized from the row group's byte count (about 64 MB of Arrow data; one row at a time where rows are
    whole repositories of that size), never the whole file. A repository-grouped schema's files are taken one by one
    from the repository's Arrow list (their texts become Python strings only when kept), within
    ``max_repo_bytes`` per repository; fetched contents (The Stack v2) come ``fetch_workers`` at a time."""

    name = "📒 Parquet (checked)"

    def __init__(self, data_folder, *, rejects_folder=None, glob_pattern: str | None = DEFAULT_GLOBS["parquet"],
                 max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES, **kwargs):  # fmt: skip
        super().__init__(data_folder, glob_pattern=glob_pattern, **kwargs)
        self.rejects_folder = rejects_folder
        self.max_record_bytes = max_record_bytes
        self.add_file_path = False
        self.max_repo_bytes = DEFAULT_MAX_REPO_BYTES
        self.content_fetcher = None  # a SoftwareHeritageContent, built on first use for fetched schemas

    def configure(self, config: ReaderConfig) -> None:
        super().configure(config)
        self.max_repo_bytes = config.max_repo_bytes
        if self.source.fetch and self.content_fetcher is None:
            from dscoder.data.swh_content import SoftwareHeritageContent

            self.content_fetcher = SoftwareHeritageContent(config.fetch_workers, config.fetch_retries)

    def read_file(self, filepath: str):
        import pyarrow as pa

        plain = self.source.keep_other_columns and not self.source.files and not self.source.fetch
        rows = 0
        try:
            for document in super().read_file(filepath) if plain else self._read_schema(filepath):
                rows += 1
                yield document
        except (pa.ArrowException, OSError, EOFError) as exc:  # not Parquet, or cut short
            self.reject_file(filepath, rows, exc)

    def _read_schema(self, filepath: str):
        import pyarrow.parquet as pq

        with self.data_folder.open(filepath, "rb") as f, pq.ParquetFile(f) as pqf:
            columns = self._columns(pqf.schema_arrow, filepath)
            first_row = 0
            for group in range(pqf.num_row_groups):
                meta = pqf.metadata.row_group(group)
                rows = max(1, min(self.batch_size, int(_BATCH_BYTES * meta.num_rows / max(meta.total_byte_size, 1))))
                for batch in pqf.iter_batches(batch_size=rows, row_groups=[group], columns=columns):
                    if self.source.files:
                        items = self._repository_files(batch, filepath, first_row)
                    else:
                        items = ((row, filepath, first_row + i) for i, row in enumerate(batch.to_pylist()))
                    yield from self._documents(items)
                    first_row += batch.num_rows

    def _columns(self, arrow_schema, filepath: str) -> list[str] | None:
        """The columns to read; ``ValueError`` naming the file when the schema's own are missing."""
        problem = _schema_problem(self.source, arrow_schema)
        if problem:
            raise ValueError(f"{self.full_path(filepath)}: {problem}")
        wanted = self.source.row_columns()
        return None if wanted is None else [c for c in wanted if c in arrow_schema.names]

    def _repository_files(self, batch, filepath: str, first_row: int):
        """``(file dict, source, line)`` for each file of each repository row a repository may send on."""
        import pyarrow.compute as pc

        schema = self.source
        injected = {}
        for dotted, name in schema.repo_columns:
            root, _, sub = dotted.partition(".")
            if root in batch.schema.names:
                column = batch.column(root)
                if sub:
                    if sub not in {f.name for f in column.type}:
                        continue
                    column = pc.struct_field(column, sub)
                injected[name] = column.to_pylist()
        files_column = batch.column(schema.files)
        for i in range(batch.num_rows):
            self.stat_update("repositories")
            files = files_column[i].values
            if files is None or not len(files):
                continue
            fields = [f.name for f in files.type]
            light = {name: files.field(name).to_pylist() for name in fields if name != schema.text}
            texts = files.field(schema.text) if schema.text in fields and not schema.fetch else None
            if schema.size in light:
                sizes = [n or 0 for n in light[schema.size]]
            else:
                sizes = pc.binary_length(texts).fill_null(0).to_pylist() if texts is not None else [0] * len(files)
            sent = 0
            for j in range(len(files)):
                data = {name: values[j] for name, values in light.items()}
                data.update((name, values[i]) for name, values in injected.items())
                line = f"{first_row + i}/{j}"
                reason = self.drop_reason(data)
                if reason is None and sizes[j] > self.max_record_bytes:
                    reason = "too_large"
                if reason is None and sent + sizes[j] > self.max_repo_bytes:
                    reason = "repo_over_cap"
                if reason is not None:  # the text is read only to keep it in the rejects
                    if texts is not None and self.rejects_folder is not None and reason != "too_large":
                        data[schema.text] = texts[j].as_py()
                    self.reject(reason, data, filepath, line, size=sizes[j] or None)
                    continue
                sent += sizes[j]
                if texts is not None:
                    data[schema.text] = texts[j].as_py()
                yield data, filepath, line

    def _documents(self, items):
        checked = bool(self.source.files)  # a repository's files passed drop_reason in _repository_files
        if not self.source.fetch:
            document_of = self.document_from_checked if checked else self.get_document_from_dict
            for data, source, line in items:
                document = document_of(data, source, line)
                if document is not None:
                    yield document
            return
        pending: list = []
        for data, source, line in items:
            reason = None if checked else self.drop_reason(data)
            if reason is not None:
                self.reject(reason, data, source, line)
                continue
            pending.append((data, source, line))
            if len(pending) >= 4 * self.content_fetcher.workers:
                yield from self._fetched(pending)
                pending = []
        yield from self._fetched(pending)

    def _fetched(self, pending: list):
        """The documents of ``pending`` rows once their contents are fetched (The Stack v2)."""
        results = self.content_fetcher.fetch([(d.get("blob_id"), d.get("src_encoding")) for d, _, _ in pending])
        for (data, source, line), result in zip(pending, results):
            if isinstance(result, tuple):
                self.reject(result[0], data, source, line, detail=result[1])
                continue
            data[self.source.text] = result
            document = self.document_from_checked(data, source, line)
            if document is not None:
                yield document


def _struct_fields(arrow_schema, column: str) -> list[str] | None:
    """The field names of the structs in the list column ``column`` (``None`` when it is not a list of structs)."""
    import pyarrow as pa

    if column not in arrow_schema.names:
        return None
    kind = arrow_schema.field(column).type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) or not pa.types.is_struct(kind.value_type):
        return None
    return [f.name for f in kind.value_type]


def _schema_problem(schema: SourceSchema, arrow_schema) -> str | None:
    """What a Parquet file of ``arrow_schema`` lacks for ``schema``: its columns and, for a repository-grouped
    schema, the fields of its files' structs (``None`` when it fits)."""
    files = _struct_fields(arrow_schema, schema.files) if schema.files else None
    return missing_columns(schema, arrow_schema.names, files)


def missing_columns(schema: SourceSchema, columns: list[str], file_fields: list[str] | None = None) -> str | None:
    """What a dataset with ``columns`` (and, for a repository-grouped schema, per-file struct ``file_fields``)
    lacks for ``schema``, as the message a user reads, naming the preset it looks like; ``None`` when it fits."""
    if schema.files:
        if file_fields is None:
            missing = [f"{schema.files} (a list of per-file structs)"]
        else:
            missing = [c for c in (*schema.required, schema.path) if c and c not in file_fields]
    else:
        missing = [c for c in schema.required if c not in columns]
    if not missing:
        return None
    guess = guess_schema(columns)
    hint = f"; it looks like --schema {guess} (reader.schema: {guess})" if guess and guess != schema.name else (
        "; map its columns with reader.columns (text, id, repo, path, language)")
    shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
    return f"schema {schema.name!r} needs column(s) {', '.join(missing)}; found: {shown}{hint}"


class FileRecordHubReader(_RecordChecks, HuggingFaceDatasetReader):
    """datatrove's ``HuggingFaceDatasetReader`` (Hub id, or a ``save_to_disk`` folder) with the record checks."""

    name = "🤗 Hub dataset (checked)"

    def __init__(self, dataset: str, *, rejects_folder=None, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES, **kwargs):
        super().__init__(dataset, **kwargs)
        self.rejects_folder = rejects_folder
        self.max_record_bytes = max_record_bytes


SchemaName = Literal["file-records", "the-stack", "the-stack-v2", "the-stack-v2-repos", "the-stack-v3", "starcoderdata",
                     "github-code"]  # fmt: skip


@dataclass
class ColumnMap:
    """A dataset's own column names for the parts of a file record (``reader.columns``), for a dataset no preset
    describes; parts left unset keep the schema's names, other columns are kept as metadata, and language labels
    map to the paper's spelling."""

    text: str | None = None
    id: str | None = None
    repo: str | None = None
    path: str | None = None
    language: str | None = None


@dataclass
class ReaderConfig(BoundedConfig):
    """Where file records come from. ``folder`` for JSONL/Parquet shards (a local or remote folder, e.g.
    ``hf://datasets/HuggingFaceCode/stack-v3-train/data``); ``dataset`` for a Hub dataset id (or, with
    ``load_from_disk``, a folder written by ``datasets.save_to_disk``).

    ``schema``: the dataset's layout (:mod:`dscoder.data.source_schemas`); ``columns``: column names for any other
    dataset. ``drop_flagged``: the dataset's boolean flags that drop a file (``is_vendor``, ``is_generated``;
    ``[]`` keeps them, marked). ``license_types``: keep only these ``license_type`` values (The Stack v2/v3:
    ``permissive``, ``no_license``; empty: all). ``max_repo_bytes``: what one repository of a repository-grouped
    schema may send on. ``notebooks``: ``script`` converts ``.ipynb`` files to scripts as they are read
    (:mod:`dscoder.data.notebooks`), ``raw`` keeps their JSON. ``fetch_workers``/``fetch_retries``: Software
    Heritage requests in flight and retries per request (The Stack v2's contents)."""

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
    schema: SchemaName = "file-records"
    columns: ColumnMap | None = None
    drop_flagged: list[str] = field(default_factory=lambda: ["is_vendor", "is_generated"])
    license_types: list[str] = field(default_factory=list)
    max_repo_bytes: int = bounded(DEFAULT_MAX_REPO_BYTES, ge=1)
    notebooks: Literal["script", "raw"] = "script"
    fetch_workers: int = bounded(32, ge=1)
    fetch_retries: int = bounded(5, ge=0)

    def __post_init__(self):
        if self.format == "hub" and not self.dataset:
            raise ValueError("format 'hub' needs 'dataset' (a Hub id or a save_to_disk folder)")
        if self.schema not in SCHEMAS:
            raise ValueError(f"schema: unknown schema {self.schema!r}; known: {', '.join(SCHEMAS)}")
        preset = SCHEMAS[self.schema]
        if (preset.files or preset.fetch) and self.format != "parquet":
            raise ValueError(f"schema {self.schema!r} reads the dataset's Parquet shards (format: parquet), from a "
                             "local copy or straight from the Hub (folder: hf://datasets/<id>/<data folder>)")
        if self.columns is not None and preset.files:
            raise ValueError(f"columns: schema {self.schema!r} names its per-file columns itself")
        super().__post_init__()

    def source_schema(self) -> SourceSchema:
        """The schema records are read with: the preset, with ``text_key``/``id_key`` (this project's layout) and
        ``columns`` applied."""
        import dataclasses

        schema = SCHEMAS[self.schema]
        if self.schema == "file-records":
            schema = schema.with_columns(text=self.text_key, id=self.id_key)
        if self.columns is not None:
            schema = schema.with_columns(**dataclasses.asdict(self.columns))
            if self.schema == "file-records":
                schema = dataclasses.replace(schema, name="columns", map_language=True)
        return schema


def detect_format(folder: str | Path) -> str:
    """``parquet`` for a local folder of Parquet shards only, else ``jsonl`` (what the stages read by default)."""
    root = Path(folder)
    parquet = next(root.glob(DEFAULT_GLOBS["parquet"]), None) is not None
    return "parquet" if parquet and next(root.glob(DEFAULT_GLOBS["jsonl"]), None) is None else "jsonl"


def build_reader(config: ReaderConfig, folder: str | Path | None = None, rejects_folder: str | Path | None = None):
    """The checked reader for ``config``; ``folder`` overrides ``config.folder`` (JSONL/Parquet). A local Parquet
    input's columns are checked against the schema here, and a fetched schema's credentials, so a wrong schema or a
    missing key fails at once, in one line, instead of in every task."""
    common = {"text_key": config.text_key, "id_key": config.id_key, "limit": config.limit,
              "max_record_bytes": config.max_record_bytes}  # fmt: skip
    rejects = str(rejects_folder) if rejects_folder is not None else None
    if config.format == "hub":
        options = {"split": config.split}
        if config.dataset_config:
            options["name"] = config.dataset_config
        reader = FileRecordHubReader(
            config.dataset, rejects_folder=rejects, dataset_options=options, streaming=config.streaming,
            load_from_disk=config.load_from_disk, **common,
        )  # fmt: skip
        reader.configure(config)
        return reader
    folder = folder if folder is not None else config.folder
    if folder is None:
        raise ValueError(f"reader: format {config.format!r} needs an input folder")
    glob = config.glob_pattern or DEFAULT_GLOBS[config.format]
    first = None
    if "://" not in str(folder):  # a remote folder is listed by datatrove itself
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"input folder not found: {folder}")
        first = next(Path(folder).glob(glob), None)
        if first is None:
            raise FileNotFoundError(f"{folder}: no input file matches {glob!r} (reader format {config.format!r})")
    cls = FileRecordJsonlReader if config.format == "jsonl" else FileRecordParquetReader
    reader = cls(str(folder), rejects_folder=rejects, glob_pattern=glob, **common)
    reader.configure(config)
    if first is not None and config.format == "parquet":
        _check_parquet_columns(reader.source, first)
    if reader.source.fetch:
        from dscoder.data.swh_content import check_credentials

        check_credentials()
    return reader


def _check_parquet_columns(schema: SourceSchema, path: Path) -> None:
    """``ValueError`` naming ``path`` when its columns do not fit ``schema`` (an unreadable file is left to the
    reader, which counts it as ``reader:unreadable_file``)."""
    import pyarrow.parquet as pq

    try:
        arrow_schema = pq.read_schema(path)
    except Exception:  # noqa: BLE001 - not Parquet: the reader counts it with its cause
        return
    problem = _schema_problem(schema, arrow_schema)
    if problem:
        raise ValueError(f"{path}: {problem}")


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
