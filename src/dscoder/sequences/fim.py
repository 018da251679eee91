"""Fill-in-the-middle per document, then tokens: the transform applied before packing (report §3.1.2; docs/paper.md).

With probability ``rate`` (0.5 in the report) a document is cut at two character positions drawn uniformly
(character level, as a DeepSeek-Coder maintainer says; a cut never splits a UTF-8 sequence because Python strings
index code points) into prefix / middle / suffix and laid out PSM::

    <｜fim▁begin｜> prefix <｜fim▁hole｜> suffix <｜fim▁end｜> middle <｜end▁of▁sentence｜>

or, with ``mode="spm"`` (not used by the report; Bavarian et al. 2022 §D), ``<｜fim▁begin｜><｜fim▁hole｜> suffix
<｜fim▁end｜> prefix middle <EOS>``. Other documents are ``text <EOS>``. Every document starts with BOS by default,
as the released tokenizer frames every prompt at inference (FIM prompts included).

Decisions (documented, tested):

* **FIM on text, then each part tokenised on its own.** BPE never merges across a cut, exactly as at inference
  where prefix and suffix arrive as separate strings; the token count can differ by a few from the plain text's.
* **Reproducible whatever the batching or ``num_proc``:** each document's draw comes from its own RNG, seeded by
  ``blake2b(seed, document key)``, the key being the record's ``id`` (or its index when there is none).
* **Whole documents:** FIM sees the whole document, also one longer than the context; the packer then spreads
  it over rows. Empty documents give no tokens (the caller counts them); one-character documents are valid.
* **Bounded tokeniser memory:** ``tokenizers`` holds ~200 bytes per input character while it encodes one string,
  so a part longer than ``max_piece_chars`` is encoded in chunks cut at pre-token boundaries
  (:func:`chunk_bounds`); the ids are the same as encoding it whole (BPE never merges across pre-tokens).
  :meth:`DocumentEncoder.layout` gives a document as special ids and such chunks without encoding it, so a caller
  can stream a long document's ids (``dscoder data tokenize`` does) instead of holding them all.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Literal

import numpy as np

from dscoder.tokenization.special_tokens import BOS, EOS, FIM_BEGIN, FIM_END, FIM_HOLE

__all__ = ["DocumentEncoder", "FIMConfig", "chunk_bounds", "document_rng", "fim_split", "fim_text"]

#: characters of one tokeniser call (~60 MB of tokenizers' working memory); longer parts are chunked
MAX_PIECE_CHARS = 1 << 18
#: characters around a chunk cut where pre-tokenisation is the same as on the whole text (:func:`chunk_bounds`)
CHUNK_MARGIN = 4096


@dataclass
class FIMConfig:
    """FIM settings of a tokenised dataset (report §3.1.2: 50% PSM)."""

    rate: float = 0.5
    mode: Literal["psm", "spm"] = "psm"
    seed: int = 0

    def __post_init__(self):
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fim rate must be in [0, 1], got {self.rate}")
        if self.mode not in ("psm", "spm"):
            raise ValueError(f"fim mode must be 'psm' or 'spm', got {self.mode!r}")


def document_rng(seed: int, key: object) -> random.Random:
    """The RNG of one document: a function of the global seed and the document's key only."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


def fim_split(text: str, rng: random.Random, rate: float) -> tuple[str, str, str] | None:
    """``(prefix, middle, suffix)`` with probability ``rate``, else ``None``; cuts are uniform character positions."""
    cuts = _fim_cuts(text, rng, rate)
    if cuts is None:
        return None
    a, b = cuts
    return text[:a], text[a:b], text[b:]


def _fim_cuts(text: str, rng: random.Random, rate: float) -> tuple[int, int] | None:
    """The two cut positions of :func:`fim_split` (same draws), without copying the parts."""
    if not text or rng.random() >= rate:
        return None
    a, b = sorted((rng.randint(0, len(text)), rng.randint(0, len(text))))
    return a, b


def chunk_bounds(pre_tokenizer, text: str, max_chars: int, margin: int = CHUNK_MARGIN, start: int = 0,
                 end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` chunks of ``text[start:end]`` (offsets in ``text``) of at most ``max_chars`` characters, each
    cut at the start of a pre-token.

    Only the last ``3 * margin`` characters of each window are pre-tokenised (pre-tokenising it all would cost
    more than encoding it), and the cut is the last pre-token start at least ``margin`` characters from both ends
    of that stretch: pre-token regexes look a few characters around, so there they split as on the whole text.
    Without a pre-tokenizer, or inside a pre-token longer than ``margin`` (junk such as a base64 run), the cut falls
    at ``max_chars``: only then can the ids around the cut differ from encoding the text whole.
    The chunks of a span are the same as those of the span cut out on its own (no copy of it is made).
    """
    return list(_iter_chunk_bounds(pre_tokenizer, text, max_chars, margin, start, len(text) if end is None else end))


def _iter_chunk_bounds(pre_tokenizer, text: str, max_chars: int, margin: int, start: int, end: int):
    """:func:`chunk_bounds` one chunk at a time (a long document's chunks are found as its jobs are built)."""
    margin = min(margin, max_chars // 4)
    while end - start > max_chars:
        cut = max_chars
        if pre_tokenizer is not None:
            offset = max_chars - 3 * margin
            stretch = pre_tokenizer.pre_tokenize_str(text[start + offset : start + max_chars])
            safe = [s for _, (s, _) in stretch if margin <= s <= 2 * margin]
            if safe:
                cut = offset + safe[-1]
        yield start, start + cut
        start += cut
    yield start, end


def fim_text(text: str, key: object, config: FIMConfig | None = None, add_bos: bool = True) -> str:
    """The training text of one document with its special tokens spelled out (for inspection and tests).

    Tokenising this string is *not* how :class:`DocumentEncoder` builds ids (it tokenises each part on its own).
    """
    config = config or FIMConfig()
    if not text:
        return ""
    parts = fim_split(text, document_rng(config.seed, key), config.rate)
    head = BOS if add_bos else ""
    if parts is None:
        return f"{head}{text}{EOS}"
    prefix, middle, suffix = parts
    if config.mode == "psm":
        return f"{head}{FIM_BEGIN}{prefix}{FIM_HOLE}{suffix}{FIM_END}{middle}{EOS}"
    return f"{head}{FIM_BEGIN}{FIM_HOLE}{suffix}{FIM_END}{prefix}{middle}{EOS}"


class DocumentEncoder:
    """Documents -> token ids with FIM applied per document (module docstring), fast and picklable.

    ``tokenizer`` is a ``tokenizers.Tokenizer``, a transformers fast tokenizer, or a tokenizer folder / file.
    Use :meth:`encode` directly, or the instance as a ``datasets.map`` function::

        ds.map(DocumentEncoder(tok, FIMConfig(0.5)), batched=True, with_indices=True, num_proc=4,
               remove_columns=ds.column_names)   # -> columns input_ids, fim

    The special ids are looked up in the tokenizer (a dscoder-trained tokenizer has other ids than the release).
    """

    def __init__(self, tokenizer, fim: FIMConfig | None = None, add_bos: bool = True, text_column: str = "text",
                 id_column: str | None = "id", max_piece_chars: int | None = None):
        self.fim = fim or FIMConfig()
        self.add_bos = add_bos
        self.max_piece_chars = max_piece_chars or MAX_PIECE_CHARS
        self.text_column, self.id_column = text_column, id_column
        self.tokenizer = _backend(tokenizer)
        needed = [EOS] + ([BOS] if add_bos else []) + ([FIM_BEGIN, FIM_HOLE, FIM_END] if self.fim.rate > 0 else [])
        ids = {t: self.tokenizer.token_to_id(t) for t in needed}
        missing = [t for t, i in ids.items() if i is None]
        if missing:
            raise ValueError(f"the tokenizer lacks the special token(s) {missing} needed for this FIM/BOS setting")
        self._eos = np.array([ids[EOS]], dtype=np.int32)
        self._head = np.array([ids[BOS]] if add_bos else [], dtype=np.int32)
        if self.fim.rate > 0:
            self._begin, self._hole, self._end = (np.array([ids[t]], dtype=np.int32) for t in (FIM_BEGIN, FIM_HOLE, FIM_END))
        encode = getattr(self.tokenizer, "encode_batch_fast", None)  # tokenizers >= 0.20: no offsets, faster
        self._encode_batch = encode or self.tokenizer.encode_batch

    def layout(self, text: str, key: object) -> tuple[bool, Iterator[np.ndarray | tuple[int, int]]]:
        """Whether ``text`` gets FIM, and its ids in order as special-id arrays and ``(start, end)`` spans of
        ``text`` to tokenise, each span at most ``max_piece_chars`` (a longer FIM part is cut by
        :func:`chunk_bounds`, lazily); nothing for an empty text. :meth:`encode_pieces` of the spans' texts,
        interleaved with the special ids, is the document's ids: the way to stream a long document (the stage)."""
        if not isinstance(text, str):
            raise TypeError(f"document {key!r}: text must be a string, got {type(text).__name__}")
        if not text:
            return False, iter(())
        cuts = _fim_cuts(text, document_rng(self.fim.seed, key), self.fim.rate) if self.fim.rate > 0 else None
        n = len(text)
        if cuts is None:
            return False, chain([self._head], self._spans(text, 0, n), [self._eos])
        a, b = cuts
        prefix, middle, suffix = self._spans(text, 0, a), self._spans(text, a, b), self._spans(text, b, n)
        if self.fim.mode == "psm":
            return True, chain([self._head, self._begin], prefix, [self._hole], suffix, [self._end], middle, [self._eos])
        return True, chain([self._head, self._begin, self._hole], suffix, [self._end], prefix, middle, [self._eos])

    def _spans(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        if end - start <= self.max_piece_chars:
            return iter([(start, end)] if end > start else [])
        return _iter_chunk_bounds(self.tokenizer.pre_tokenizer, text, self.max_piece_chars, CHUNK_MARGIN, start, end)

    def encode(self, texts: Sequence[str], keys: Sequence[object]) -> tuple[list[np.ndarray], list[bool]]:
        """Token ids (int32) of each document and whether it got FIM; an empty text gives an empty array."""
        if len(texts) != len(keys):
            raise ValueError(f"encode got {len(texts)} texts but {len(keys)} keys")
        layouts = [(is_fim, list(items)) for is_fim, items in map(self.layout, texts, keys)]
        pieces = [text[a:b] for text, (_, items) in zip(texts, layouts) for a, b in _span_items(items)]
        encodings = iter(self.encode_pieces(pieces))
        del pieces
        out = [
            np.concatenate([next(encodings) if isinstance(item, tuple) else item for item in items])
            if items else np.empty(0, dtype=np.int32)
            for _, items in layouts
        ]  # fmt: skip
        return out, [is_fim for is_fim, _ in layouts]

    def encode_pieces(self, pieces: Sequence[str]) -> list[np.ndarray]:
        """int32 ids of each piece (no special tokens added), in batch calls of at most ``4 * max_piece_chars``
        characters (``tokenizers`` keeps ~100 bytes per token of every encoding of a call until it returns)."""
        out: list[np.ndarray] = []
        group: list[str] = []
        size = 0

        def flush():
            out.extend(np.asarray(e.ids, dtype=np.int32) for e in self._encode_batch(group, add_special_tokens=False))
            group.clear()

        for piece in pieces:
            if size + len(piece) > 4 * self.max_piece_chars and group:
                flush()
                size = 0
            group.append(piece)
            size += len(piece)
        if group:
            flush()
        return out

    def __call__(self, batch: dict[str, list], indices: list[int] | None = None) -> dict[str, list]:
        """``datasets.map(batched=True[, with_indices=True])``: adds ``input_ids`` and ``fim`` columns."""
        if self.text_column not in batch:
            raise KeyError(f"column {self.text_column!r} not in the batch (columns: {sorted(batch)})")
        texts = batch[self.text_column]
        if self.id_column and self.id_column in batch:
            keys = batch[self.id_column]
        elif indices is not None:
            keys = indices
        else:
            raise ValueError(
                f"no {self.id_column!r} column to seed FIM per document: pass with_indices=True to datasets.map"
            )
        ids, flags = self.encode(texts, keys)
        return {"input_ids": [a.tolist() for a in ids], "fim": flags}

    def __getstate__(self):  # tokenizers.Tokenizer pickles; the bound encode method is rebuilt
        state = dict(self.__dict__)
        state.pop("_encode_batch")
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._encode_batch = getattr(self.tokenizer, "encode_batch_fast", None) or self.tokenizer.encode_batch


def _span_items(items: list) -> list[tuple[int, int]]:
    return [item for item in items if isinstance(item, tuple)]


def _backend(tokenizer):
    """The ``tokenizers.Tokenizer`` behind ``tokenizer`` (object, transformers tokenizer, folder or file)."""
    from tokenizers import Tokenizer

    if isinstance(tokenizer, Tokenizer):
        return tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        return backend
    if isinstance(tokenizer, (str, Path)):
        from dscoder.tokenization.loading import load_tokenizer

        return load_tokenizer(tokenizer).backend_tokenizer
    raise TypeError(f"expected a tokenizers.Tokenizer, a fast transformers tokenizer or a path, got {type(tokenizer)}")
