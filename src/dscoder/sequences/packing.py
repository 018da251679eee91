"""Pack tokenised documents into fixed-length training rows (report §3.1; docs/design.md "Tokenised datasets").

Documents (each already ending with EOS, see :mod:`dscoder.sequences.fim`) are concatenated in order and cut into
rows of exactly ``seq_len`` tokens. ``position_ids`` restart at 0 at every document start *and* at the start of
every row: transformers' FlashAttention-2 path finds document boundaries where position ids equal their minimum
(``prepare_fa_kwargs_from_position_ids``) and its sdpa/eager path where they do not grow by one
(``find_packed_sequence_indices``), so with these ids attention stays inside a document (``use_cache=False``), and
the piece of a long document that spills into the next row is a fresh segment there (RoPE is relative, so
restarting its positions changes nothing inside the segment).

Nothing is lost silently: the tokens of a final partial row are dropped and counted (``tokens_dropped``), as are
empty documents. With one packer over the whole stream at most ``seq_len - 1`` tokens are dropped in all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Packer", "PackingStats", "pack_documents", "segments_of"]


@dataclass
class PackingStats:
    documents: int = 0  # non-empty documents added
    empty_documents: int = 0  # documents without tokens (dropped, reason "packing:empty_document")
    tokens_in: int = 0
    tokens_kept: int = 0  # tokens in emitted rows (rows * seq_len)
    tokens_dropped: int = 0  # tokens of the final partial row (reason "packing:partial_last_row")
    rows: int = 0
    documents_split: int = 0  # documents spread over more than one row

    def as_dict(self) -> dict:
        return asdict(self)


class Packer:
    """Streaming packer: :meth:`add` documents, get full rows back; :meth:`finish` drops and counts the rest.

    Rows are ``(input_ids, position_ids)`` pairs of int32 arrays of length ``seq_len`` (fresh arrays, safe to keep).
    Memory is one row, whatever the corpus size.
    """

    def __init__(self, seq_len: int):
        if seq_len < 2:
            raise ValueError(f"seq_len must be at least 2, got {seq_len}")
        self.seq_len = seq_len
        self.stats = PackingStats()
        self._ids = np.empty(seq_len, dtype=np.int32)
        self._pos = np.empty(seq_len, dtype=np.int32)
        self._arange = np.arange(seq_len, dtype=np.int32)
        self._fill = 0
        self._position: int | None = None  # None: no document started
        self._row_closed = self._split = False
        self._finished = False

    def add(self, ids) -> list[tuple[np.ndarray, np.ndarray]]:
        """Append one document's ids; returns the rows it completed (often none)."""
        ids = np.asarray(ids, dtype=np.int32)
        if len(ids) == 0:
            self._check_open()
            self.stats.empty_documents += 1
            return []
        self.start_document()
        return self.extend(ids)

    def start_document(self) -> None:
        """Start a document whose ids come in parts through :meth:`extend` (a long document, streamed); the same
        rows and counts as :meth:`add` of all its parts concatenated. The document must get at least one id."""
        self._check_open()
        self.stats.documents += 1
        self._position = 0  # position id of the document's next token in the current row
        self._row_closed = False  # a row was completed inside this document
        self._split = False

    def extend(self, ids) -> list[tuple[np.ndarray, np.ndarray]]:
        """Append the next ids of the current document (:meth:`start_document`); returns the rows completed."""
        self._check_open()
        if self._position is None:
            raise RuntimeError("Packer.extend before start_document()")
        ids = np.asarray(ids, dtype=np.int32)
        n = len(ids)
        self.stats.tokens_in += n
        rows = []
        offset = 0
        while offset < n:
            if self._row_closed and not self._split:  # the document goes on past a row it filled
                self._split = True
                self.stats.documents_split += 1
            take = min(self.seq_len - self._fill, n - offset)
            end = self._fill + take
            self._ids[self._fill : end] = ids[offset : offset + take]
            self._pos[self._fill : end] = self._arange[self._position : self._position + take]
            self._fill = end
            self._position += take
            offset += take
            if self._fill == self.seq_len:
                rows.append((self._ids.copy(), self._pos.copy()))
                self._fill = self._position = 0
                self._row_closed = True
        self.stats.rows += len(rows)
        self.stats.tokens_kept += len(rows) * self.seq_len
        return rows

    def _check_open(self) -> None:
        if self._finished:
            raise RuntimeError("Packer.add after finish()")

    def leftover(self) -> tuple[np.ndarray, np.ndarray]:
        """The tokens of the current partial row (not yet dropped)."""
        return self._ids[: self._fill].copy(), self._pos[: self._fill].copy()

    def finish(self) -> PackingStats:
        """Drop the partial last row (counted in ``tokens_dropped``) and return the final counts."""
        if not self._finished:
            self.stats.tokens_dropped += self._fill
            self._fill = 0
            self._finished = True
        return self.stats


def pack_documents(documents: Iterable, seq_len: int, packer: Packer | None = None) -> Iterator[dict]:
    """Rows ``{"input_ids", "position_ids"}`` from an iterable of token-id sequences (streaming).

    Pass your own ``packer`` to read its ``stats`` afterwards; it is finished when the iterable is exhausted.
    Usable with ``datasets.IterableDataset.from_generator`` / ``Dataset.from_generator``.
    """
    packer = packer or Packer(seq_len)
    if packer.seq_len != seq_len:
        raise ValueError(f"packer has seq_len {packer.seq_len}, pack_documents got {seq_len}")
    for ids in documents:
        for input_ids, position_ids in packer.add(ids):
            yield {"input_ids": input_ids, "position_ids": position_ids}
    packer.finish()


def segments_of(position_ids) -> list[tuple[int, int]]:
    """``(start, end)`` of each segment of a packed row (where position ids restart at 0)."""
    position_ids = np.asarray(position_ids)
    starts = np.flatnonzero(position_ids == 0).tolist()
    if not starts or starts[0] != 0:
        raise ValueError("a packed row must start with position id 0")
    return list(zip(starts, starts[1:] + [len(position_ids)]))
