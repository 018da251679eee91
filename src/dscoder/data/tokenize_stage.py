"""Tokenise -> FIM -> pack: from the pipeline's documents to a tokenised ``datasets`` dataset (report §3.1-3.2).

Reads file records / samples (JSONL[.gz] or Parquet with ``text`` and ``id``) through the pipeline's checked reader
(bad lines are counted by reason, never crash the run), applies FIM per document and tokenises
(:class:`dscoder.sequences.fim.DocumentEncoder`) in ``num_proc`` worker processes, and packs the documents in their
input order in the main process (:class:`dscoder.sequences.packing.Packer`). Rows stream into the shards of a
``save_to_disk`` folder, so memory stays flat in the corpus size; ``tokenization.json`` beside them records the
settings (docs/design.md "Tokenised datasets": tokenizer, FIM rate/mode, seed, sequence length, tokens kept/dropped).

The output is the same for every ``num_proc`` and batch size: FIM draws are seeded per document and packing
follows the input order.

Memory is bounded per document: a record over ``max_document_bytes`` (default 128 MiB, above the
repo-level stage's largest sample) is skipped while it is read and counted as ``reader:too_large``. Below the cap,
the main process lays each document out (:meth:`~dscoder.sequences.fim.DocumentEncoder.layout`: FIM cuts on the
whole text, parts over ``max_piece_chars`` cut at pre-token boundaries) and sends its texts to the workers in jobs
of at most ``_JOB_CHARS`` characters and ``batch_size`` documents; the ids come back job by job and stream into the
packer, so besides the document's text no process holds more than a few jobs of ids (``bench/tokenize_memory.py``:
peak memory flat in the document size). The workers are forked before the first document is read. A worker that
dies (killed by the kernel's out-of-memory killer, say) is an error naming the documents it held, never a hang,
and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from dscoder.data.executors import init_worker_process  # imported here: a forked worker has it before Ctrl-C can hit it
from dscoder.sequences.fim import DocumentEncoder, FIMConfig
from dscoder.sequences.packing import Packer

__all__ = ["METADATA_FILE", "run_tokenize_stage"]

#: the JSON written inside the output folder (read by ``dscoder.training.data.tokenized_metadata``)
METADATA_FILE = "tokenization.json"
_ROWS_PER_BATCH = 64
#: characters of text in one worker job, one ``encode_batch`` call (``tokenizers`` keeps ~100 bytes per token of a
#: call's encodings until it returns); a longer document is cut into several jobs
_JOB_CHARS = 1 << 18


def run_tokenize_stage(
    input_dir: str | Path,
    output_dir: str | Path,
    tokenizer_path: str | Path,
    seq_len: int = 4096,
    fim_rate: float = 0.5,
    seed: int = 0,
    num_proc: int = 2,
    *,
    fim_mode: str = "psm",
    add_bos: bool = True,
    input_format: str = "jsonl",
    text_key: str = "text",
    batch_size: int = 256,
    progress: bool = True,
    max_document_bytes: int | None = None,
    schema: str = "file-records",
) -> dict:
    """Tokenise the documents under ``input_dir`` into packed rows saved at ``output_dir``; returns the counts.

    Returned dict (also in ``output_dir/tokenization.json`` under ``counts``): ``records_in`` (= ``documents`` +
    ``empty_documents`` + the ``reader_dropped`` lines), ``documents``, ``documents_fim``, ``empty_documents``,
    ``reader_dropped`` (reason -> lines), ``unreadable_files`` (reason -> input files whose record count is
    unknown), ``tokens_in``, ``tokens_kept``, ``tokens_dropped``, ``rows``, ``documents_split``, ``seconds``,
    ``tokens_per_second``. ``max_document_bytes``: the reader's record cap (``None``: its default); ``schema``: the input's layout
    (:mod:`dscoder.data.source_schemas`).
    An existing ``output_dir`` is replaced only when it holds an earlier output of this stage, and only once the
    new one is complete. A corpus too small for one row is an error (nothing is written). The output folder may
    not be the input or lie inside it, and one run at a time writes it (:mod:`dscoder.data.output_guard`).
    """
    from dscoder.data.output_guard import check_separate_folders, output_lock

    input_dir, output_dir = Path(input_dir), Path(output_dir)
    if num_proc < 1 or batch_size < 1:
        raise ValueError(f"num_proc and batch_size must be >= 1, got {num_proc} and {batch_size}")
    check_separate_folders({"input": input_dir}, {"output": output_dir})
    _check_output(output_dir)  # before any work: a foreign folder is never touched
    with output_lock(output_dir, "tokenize"):
        return _tokenize(
            input_dir, output_dir, tokenizer_path, seq_len=seq_len, fim_rate=fim_rate, seed=seed, num_proc=num_proc,
            fim_mode=fim_mode, add_bos=add_bos, input_format=input_format, text_key=text_key, batch_size=batch_size,
            progress=progress, max_document_bytes=max_document_bytes, schema=schema,
        )  # fmt: skip


def _tokenize(input_dir: Path, output_dir: Path, tokenizer_path, *, seq_len, fim_rate, seed, num_proc, fim_mode,
              add_bos, input_format, text_key, batch_size, progress, max_document_bytes, schema) -> dict:  # fmt: skip
    from dscoder.data.readers import ReaderConfig, build_reader, no_records_message, reader_drops
    from dscoder.tokenization.loading import load_backend_tokenizer

    tokenizer = load_backend_tokenizer(tokenizer_path)
    fim = FIMConfig(rate=fim_rate, mode=fim_mode, seed=seed)
    encoder = DocumentEncoder(tokenizer, fim, add_bos=add_bos)
    cap = {} if max_document_bytes is None else {"max_record_bytes": max_document_bytes}
    reader = build_reader(ReaderConfig(format=input_format, text_key=text_key, schema=schema, **cap), folder=input_dir)
    packer = Packer(seq_len)
    tmp = output_dir.with_name(f".{output_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    start = time.perf_counter()
    documents_fim = 0
    try:
        staged = tmp / "dataset"
        bar = _progress(progress)
        with _DatasetWriter(staged, seq_len) as writer:
            for ops, pieces in _encoded_jobs(_jobs(reader, encoder, batch_size), encoder, num_proc):
                done, fim_done = _pack_job(ops, pieces, packer, writer)
                del pieces
                documents_fim += fim_done
                if bar is not None:
                    bar.update(done)
                    bar.set_postfix(rows=packer.stats.rows, refresh=False)
        if bar is not None:
            bar.close()
        stats = packer.finish()
        reader_dropped, unreadable_files = reader_drops(reader.stats)
        if stats.documents == 0:
            input_files = int(reader.stats.stats["input_files"].total) if "input_files" in reader.stats.stats else 0
            raise ValueError(no_records_message(input_dir, input_files, reader_dropped, unreadable_files))
        if stats.rows == 0:
            raise ValueError(
                f"{input_dir}: all {stats.tokens_in:,} tokens are fewer than one row of seq_len {seq_len}; "
                "lower the sequence length or add documents"
            )
        digest = _tokenizer_digest(tokenizer)
        settings = [digest, str(input_dir), seq_len, fim_rate, fim_mode, seed, add_bos, stats.as_dict()]
        writer.save(fingerprint=hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16])
        _write_json(staged / METADATA_FILE, {})  # marks the folder as this stage's output until the real one
        if output_dir.exists():
            shutil.rmtree(output_dir)  # an earlier output of this stage (checked above); replaced only on success
        staged.rename(output_dir)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"nothing written to {output_dir} (an earlier output there is unchanged); rerun the "
                                "same command to tokenise from the start") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - start
    counts = {
        "records_in": stats.documents + stats.empty_documents + sum(reader_dropped.values()),
        **stats.as_dict(),
        "documents_fim": documents_fim,
        "reader_dropped": reader_dropped,  # lines the reader skipped, by reason (reader:malformed_json, ...)
        "unreadable_files": unreadable_files,  # input files cut short or unreadable: their records are unknown
        "seconds": round(seconds, 3),
        "tokens_per_second": round(stats.tokens_in / seconds) if seconds > 0 else None,
    }
    metadata = {
        "tokenizer": str(tokenizer_path),
        "tokenizer_sha256": digest,
        "tokenizer_len": tokenizer.get_vocab_size(with_added_tokens=True),
        "input_dir": str(input_dir),
        "seq_len": seq_len,
        "fim_rate": fim_rate,
        "fim_mode": fim_mode,
        "seed": seed,
        "add_bos": add_bos,
        "columns": ["input_ids", "position_ids"],
        "counts": counts,
    }
    _write_json(output_dir / METADATA_FILE, metadata)
    return counts


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _check_output(output_dir: Path) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise FileExistsError(f"{output_dir}: output path exists and is not a folder")
    if output_dir.exists() and any(output_dir.iterdir()) and not (output_dir / METADATA_FILE).is_file():
        raise FileExistsError(f"{output_dir}: output folder exists and is not an earlier tokenize output")


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(desc="tokenise+FIM+pack", unit="doc")


class _Job:
    """Texts to tokenise in one worker call and, in order, what to do with their ids: ``_START`` a document (its
    FIM flag follows), an id array to pack as is (special tokens), ``None`` to pack the next text's ids,
    ``_EMPTY`` an empty document, ``_END`` a document done. A document longer than ``_JOB_CHARS`` spreads over
    several jobs, so no process ever holds all its ids (bounded memory per document)."""

    __slots__ = ("chars", "documents", "keys", "ops", "texts")

    def __init__(self):
        self.texts: list[str] = []
        self.ops: list = []
        self.chars = self.documents = 0
        self.keys: list = []  # the first and the last document of the job, for error messages


_START, _EMPTY, _END = "start", "empty", "end"


def _jobs(reader, encoder: DocumentEncoder, batch_size: int) -> Iterator[_Job]:
    """Jobs of at most ``_JOB_CHARS`` characters (or one piece) and ``batch_size`` documents, in input order; a
    document's texts are cut out of it only when its job is built (the caller pulls jobs as workers free up)."""
    job = _Job()
    for document in reader.run(None, rank=0, world_size=1):
        text, key = document.text, document.id
        del document
        job.keys = [job.keys[0] if job.keys else key, key]
        is_fim, items = encoder.layout(text, key)
        job.ops.extend((_START, is_fim) if text else (_EMPTY,))
        for item in items:
            if isinstance(item, tuple):
                a, b = item
                if job.texts and job.chars + b - a > _JOB_CHARS:
                    yield job
                    job = _Job()
                    job.keys = [key, key]
                job.texts.append(text[a:b])
                job.chars += b - a
                job.ops.append(None)
            else:
                job.ops.append(item)
        if text:
            job.ops.append(_END)
        job.documents += 1
        if job.documents >= batch_size:
            yield job
            job = _Job()
    if job.ops:
        yield job


def _pack_job(ops: list, pieces: list[np.ndarray], packer: Packer, writer) -> tuple[int, int]:
    """Run a job's ``ops`` (see :class:`_Job`) with its texts' ``pieces`` of ids; returns (documents done, FIM)."""
    done = fim = 0
    pieces_left = iter(pieces)
    ops_left = iter(ops)
    for op in ops_left:
        if op is None:
            rows = packer.extend(next(pieces_left))
        elif isinstance(op, np.ndarray):
            rows = packer.extend(op)
        elif op == _START:
            fim += next(ops_left)
            packer.start_document()
            continue
        elif op == _EMPTY:
            rows = packer.add(_NO_IDS)
            done += 1
        else:  # _END
            done += 1
            continue
        for row in rows:
            writer.add(*row)
    return done, fim


_NO_IDS = np.empty(0, dtype=np.int32)

# Worker side: the encoder is sent once per process (initializer), a job's ids come back as one flat array.
_WORKER_ENCODER: DocumentEncoder | None = None


def _init_worker(encoder: DocumentEncoder, parent: int) -> None:
    global _WORKER_ENCODER
    init_worker_process(parent)  # a killed stage leaves no worker behind; Ctrl-C is the main process's to handle
    _WORKER_ENCODER = encoder


def _encode_in_worker(texts: list[str]):
    return _flat(_WORKER_ENCODER.encode_pieces(texts))


def _flat(ids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(a) for a in ids), dtype=np.int64, count=len(ids))
    return (np.concatenate(ids) if ids else _NO_IDS), lengths


def _started(pid: int) -> int:
    return pid


def _encoded_jobs(jobs: Iterator[_Job], encoder: DocumentEncoder, num_proc: int):
    """``(job ops, ids of its texts)`` per job, in input order; at most ``2 * num_proc`` jobs in flight. A worker
    death (``BrokenProcessPool``; ``Pool.imap`` would wait for it forever) is a ``RuntimeError``."""
    if num_proc == 1:
        for job in jobs:
            yield job.ops, encoder.encode_pieces(job.texts)
        return
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = ProcessPoolExecutor(num_proc, mp_context=ctx, initializer=_init_worker, initargs=(encoder, os.getpid()))
    pending: deque = deque()  # (future, job) in input order

    def oldest():
        flat, lengths = pending[0][0].result()
        _, job = pending.popleft()
        return job.ops, np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []

    try:
        # the workers are forked now, before any document is read: they never inherit (and count) a long text
        pool.submit(_started, 0).result()
        for job in jobs:
            pending.append((pool.submit(_encode_in_worker, job.texts), job))
            job.texts = []  # the pickled copy is the worker's: the main process keeps none
            if len(pending) >= 2 * num_proc:
                yield oldest()
        while pending:
            yield oldest()
    except BrokenProcessPool:
        first, last = (pending[0][1].keys[0], pending[-1][1].keys[-1]) if pending else ("?", "?")
        raise RuntimeError(
            f"a tokenising worker process died (killed by the system, most often out of memory) while documents "
            f"{first!r}..{last!r} were being encoded; nothing was written. Lower --num-proc or --max-document-bytes"
        ) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class _DatasetWriter:
    """Packed rows straight into the shards of a ``Dataset.save_to_disk`` folder, through ``datasets``' own
    ``ArrowWriter`` (shards of ``datasets.config.MAX_SHARD_SIZE``, ``state.json``, ``dataset_info.json``), read back
    by ``load_from_disk``. Written by hand rather than an Arrow file copied by ``save_to_disk``: that copy reads the
    memory-mapped rows back, whose pages then count in the process's RSS (~1 GB for a 128 MiB document with a
    bytes-level tokenizer), and costs a second write of the whole output."""

    def __init__(self, folder: Path, seq_len: int):
        import pyarrow as pa
        from datasets import Features, List, Value, config
        from datasets.utils.py_utils import convert_file_size_to_int

        self._pa, self.folder, self.seq_len = pa, folder, seq_len
        self.features = Features({"input_ids": List(Value("int32")), "position_ids": List(Value("int32"))})
        self._rows_per_shard = max(1, convert_file_size_to_int(config.MAX_SHARD_SIZE) // (8 * seq_len))
        self._ids: list[np.ndarray] = []
        self._pos: list[np.ndarray] = []
        self._shards: list[Path] = []
        self._writer = None
        self._in_shard = 0

    def __enter__(self):
        self.folder.mkdir(parents=True)
        return self

    def add(self, input_ids: np.ndarray, position_ids: np.ndarray) -> None:
        self._ids.append(input_ids)
        self._pos.append(position_ids)
        if len(self._ids) >= _ROWS_PER_BATCH:
            self._flush()

    def _flush(self) -> None:
        from datasets.arrow_writer import ArrowWriter

        while self._ids:
            if self._writer is None:
                self._shards.append(self.folder / f"shard-{len(self._shards):05d}.arrow")
                self._writer, self._in_shard = ArrowWriter(features=self.features, path=str(self._shards[-1])), 0
            take = min(len(self._ids), self._rows_per_shard - self._in_shard)
            pa = self._pa
            offsets = pa.array(np.arange(0, (take + 1) * self.seq_len, self.seq_len, dtype=np.int32))
            columns = [pa.ListArray.from_arrays(offsets, pa.array(np.concatenate(rows[:take])))
                       for rows in (self._ids, self._pos)]  # fmt: skip
            self._writer.write_table(pa.table(columns, names=["input_ids", "position_ids"]))
            del self._ids[:take], self._pos[:take]
            self._in_shard += take
            if self._in_shard == self._rows_per_shard:
                self._close_shard()

    def _close_shard(self) -> None:
        self._writer.finalize()
        self._writer.close()
        self._writer = None

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._flush()
        if self._writer is not None:
            self._close_shard()

    def save(self, fingerprint: str) -> None:
        """Name the shards as ``save_to_disk`` does and write its ``state.json`` and ``dataset_info.json``."""
        from datasets import DatasetInfo, config

        names = [f"data-{i:05d}-of-{len(self._shards):05d}.arrow" for i in range(len(self._shards))]
        for shard, name in zip(self._shards, names):
            shard.rename(self.folder / name)
        state = {"_data_files": [{"filename": name} for name in names], "_fingerprint": fingerprint,
                 "_format_columns": None, "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False,
                 "_split": None}  # fmt: skip
        (self.folder / config.DATASET_STATE_JSON_FILENAME).write_text(json.dumps(state, indent=2, sort_keys=True))
        DatasetInfo(features=self.features).write_to_directory(str(self.folder))


def _tokenizer_digest(tokenizer) -> str:
    return hashlib.sha256(tokenizer.to_str().encode("utf-8")).hexdigest()[:16]
