"""Tokenise -> FIM -> pack: from the pipeline's documents to a tokenised ``datasets`` dataset (report §3.1-3.2).

Reads file records / samples (JSONL[.gz] or Parquet with ``text`` and ``id``) through the pipeline's checked reader
(bad lines are counted by reason, never crash the run), applies FIM per document and tokenises
(:class:`dscoder.training.fim.DocumentEncoder`) in ``num_proc`` worker processes, and packs the documents in their
input order in the main process (:class:`dscoder.training.packing.Packer`). Rows stream into an Arrow file, so memory
stays flat in the corpus size; the result is written with ``save_to_disk`` together with ``tokenization.json``
(DESIGN "Tokenised datasets": tokenizer, FIM rate/mode, seed, sequence length, token counts kept and dropped).

The output is the same for every ``num_proc`` and batch size: FIM draws are seeded per document and packing
follows the input order.

Memory is bounded per document: a record over ``max_document_bytes`` (default 128 MiB, above the repo-level
stage's largest sample) is skipped while it is read and counted as ``reader:too_large``; a long document is
tokenised in chunks (:class:`~dscoder.training.fim.DocumentEncoder`), and batches are cut at
``_BATCH_CHARS`` characters as well as ``batch_size`` documents. A worker that dies (killed by the kernel's
out-of-memory killer, say) is an error naming the documents it held, never a hang, and nothing is written.
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

from dscoder.training.fim import DocumentEncoder, FIMConfig
from dscoder.training.packing import Packer

__all__ = ["METADATA_FILE", "run_tokenize_stage"]

#: the JSON written inside the output folder (read by ``dscoder.training.data.tokenized_metadata``)
METADATA_FILE = "tokenization.json"
_ROWS_PER_BATCH = 64
#: characters of text in one batch (a larger document is a batch of its own)
_BATCH_CHARS = 1 << 22


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
) -> dict:
    """Tokenise the documents under ``input_dir`` into packed rows saved at ``output_dir``; returns the counts.

    Returned dict (also in ``output_dir/tokenization.json`` under ``counts``): ``records_in`` (= ``documents`` +
    ``empty_documents`` + the ``reader_dropped`` lines), ``documents``, ``documents_fim``, ``empty_documents``,
    ``reader_dropped`` (reason -> lines), ``unreadable_files`` (reason -> input files whose record count is
    unknown), ``tokens_in``, ``tokens_kept``, ``tokens_dropped``, ``rows``, ``documents_split``, ``seconds``,
    ``tokens_per_second``. ``max_document_bytes``: the reader's record cap (``None``: its default).
    An existing ``output_dir`` is replaced only when it holds an earlier output of this stage, and only once the
    new one is complete. A corpus too small for one row is an error (nothing is written).
    """
    from datasets import Dataset

    from dscoder.data.readers import ReaderConfig, build_reader, no_records_message, reader_drops
    from dscoder.tokenization.loading import load_backend_tokenizer

    input_dir, output_dir = Path(input_dir), Path(output_dir)
    if num_proc < 1 or batch_size < 1:
        raise ValueError(f"num_proc and batch_size must be >= 1, got {num_proc} and {batch_size}")
    _check_output(output_dir)  # before any work: a foreign folder is never touched
    tokenizer = load_backend_tokenizer(tokenizer_path)
    fim = FIMConfig(rate=fim_rate, mode=fim_mode, seed=seed)
    encoder = DocumentEncoder(tokenizer, fim, add_bos=add_bos)
    cap = {} if max_document_bytes is None else {"max_record_bytes": max_document_bytes}
    reader = build_reader(ReaderConfig(format=input_format, text_key=text_key, **cap), folder=input_dir)
    packer = Packer(seq_len)
    tmp = output_dir.with_name(f".{output_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    start = time.perf_counter()
    documents_fim = 0
    try:
        arrow_path = tmp / "rows.arrow"
        bar = _progress(progress)
        with _ArrowRowWriter(arrow_path, seq_len) as writer:
            for ids, flags in _encoded_batches(reader, encoder, batch_size, num_proc):
                for doc_ids in ids:
                    for row in packer.add(doc_ids):
                        writer.add(*row)
                documents_fim += sum(flags)
                if bar is not None:
                    bar.update(len(ids))
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
        staged = tmp / "dataset"
        _save_dataset(Dataset.from_file(str(arrow_path)), staged, progress)
        _write_json(staged / METADATA_FILE, {})  # marks the folder as this stage's output until the real one
        if output_dir.exists():
            shutil.rmtree(output_dir)  # an earlier output of this stage (checked above); replaced only on success
        staged.rename(output_dir)
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
        "tokenizer_sha256": _tokenizer_digest(tokenizer),
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


def _save_dataset(dataset, output_dir: Path, progress: bool) -> None:
    from datasets.utils import (
        disable_progress_bars,
        enable_progress_bars,
        is_progress_bar_enabled,
    )

    was_enabled = is_progress_bar_enabled()
    if not progress and was_enabled:
        disable_progress_bars()
    try:
        dataset.save_to_disk(str(output_dir))
    finally:
        if not progress and was_enabled:
            enable_progress_bars()


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


def _document_batches(reader, batch_size: int) -> Iterator[tuple[list[str], list[str]]]:
    texts, keys = [], []
    chars = 0
    for document in reader.run(None, rank=0, world_size=1):
        if texts and chars + len(document.text) > _BATCH_CHARS:
            yield texts, keys
            texts, keys, chars = [], [], 0
        texts.append(document.text)
        keys.append(document.id)
        chars += len(document.text)
        if len(texts) == batch_size:
            yield texts, keys
            texts, keys, chars = [], [], 0
    if texts:
        yield texts, keys


# Worker side: the encoder is sent once per process (initializer), batches come back as one flat array.
_WORKER_ENCODER: DocumentEncoder | None = None


def _init_worker(encoder: DocumentEncoder, parent: int) -> None:
    from dscoder.data.executors import die_with_parent

    global _WORKER_ENCODER
    die_with_parent(parent)  # a killed stage leaves no worker behind
    _WORKER_ENCODER = encoder


def _encode_in_worker(batch: tuple[list[str], list[str]]):
    ids, flags = _WORKER_ENCODER.encode(*batch)
    lengths = np.fromiter((len(a) for a in ids), dtype=np.int64, count=len(ids))
    flat = np.concatenate(ids) if ids else np.empty(0, dtype=np.int32)
    return flat, lengths, flags


def _encoded_batches(reader, encoder: DocumentEncoder, batch_size: int, num_proc: int):
    """``(list of id arrays, fim flags)`` per input batch, in input order; at most ``2 * num_proc`` batches in
    flight. A worker death (``BrokenProcessPool``; ``Pool.imap`` would wait for it forever) is a ``RuntimeError``."""
    batches = _document_batches(reader, batch_size)
    if num_proc == 1:
        for batch in batches:
            yield encoder.encode(*batch)
        return
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = ProcessPoolExecutor(num_proc, mp_context=ctx, initializer=_init_worker, initargs=(encoder, os.getpid()))
    pending: deque = deque()  # (future, (first key, last key)) in input order

    def oldest():
        flat, lengths, flags = pending[0][0].result()
        pending.popleft()
        return np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else [], flags

    try:
        for batch in batches:
            pending.append((pool.submit(_encode_in_worker, batch), (batch[1][0], batch[1][-1])))
            if len(pending) >= 2 * num_proc:
                yield oldest()
        while pending:
            yield oldest()
    except BrokenProcessPool:
        first, last = pending[0][1] if pending else ("?", "?")
        raise RuntimeError(
            f"a tokenising worker process died (killed by the system, most often out of memory) while documents "
            f"{first!r}..{last!r} were being encoded; nothing was written. Lower --num-proc or --max-document-bytes"
        ) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class _ArrowRowWriter:
    """Append packed rows to an Arrow stream file (the format ``Dataset.from_file`` memory-maps)."""

    def __init__(self, path: Path, seq_len: int):
        import pyarrow as pa

        self._pa = pa
        self.path, self.seq_len = path, seq_len
        self.schema = pa.schema([("input_ids", pa.list_(pa.int32())), ("position_ids", pa.list_(pa.int32()))])
        self._ids: list[np.ndarray] = []
        self._pos: list[np.ndarray] = []

    def __enter__(self):
        self._sink = self._pa.OSFile(str(self.path), "wb")
        self._writer = self._pa.ipc.new_stream(self._sink, self.schema)
        return self

    def add(self, input_ids: np.ndarray, position_ids: np.ndarray) -> None:
        self._ids.append(input_ids)
        self._pos.append(position_ids)
        if len(self._ids) >= _ROWS_PER_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._ids:
            return
        pa = self._pa
        offsets = pa.array(np.arange(0, (len(self._ids) + 1) * self.seq_len, self.seq_len, dtype=np.int32))
        columns = [pa.ListArray.from_arrays(offsets, pa.array(np.concatenate(rows))) for rows in (self._ids, self._pos)]
        self._writer.write_batch(pa.record_batch(columns, schema=self.schema))
        self._ids, self._pos = [], []

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._flush()
        self._writer.close()
        self._sink.close()


def _tokenizer_digest(tokenizer) -> str:
    return hashlib.sha256(tokenizer.to_str().encode("utf-8")).hexdigest()[:16]
