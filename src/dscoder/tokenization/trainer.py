"""Train a DeepSeek-Coder-style tokenizer with Hugging Face ``tokenizers`` (report §3.2; docs/paper.md).

Byte-level BPE with the released pre-tokeniser (:mod:`.components`), ``vocab_size`` learned tokens (32,000 in the
report; the 256 byte symbols count among them), then the 9 added tokens of the release in its order (BOS, EOS,
FIM hole/begin/end, pad, User, Assistant, EOT), BOS added to every input. The model's embedding rows are
``padded_vocab_size(len(tokenizer))`` (multiple of 256: 32,022 -> 32,256 as released).

The release's 13 extra Latin-1 letters (ids 32000-32012) are *not* reproduced: they are the 13 byte values that
never occur in UTF-8, missing from its trainer's alphabet and appended afterwards as added tokens, which makes
``ü``, ``ö``, ... in raw text bypass byte-level encoding and decode to invalid bytes (see :mod:`.gguf`). Training
here starts from the full 256-byte alphabet instead, so every byte is a learned token and every text round-trips;
the special tokens then sit at ``vocab_size .. vocab_size + 8`` (32000-32008 for the default size).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from tokenizers import pre_tokenizers, trainers

from dscoder.tokenization.components import (
    add_bos_post_processor,
    add_in_order,
    assemble_tokenizer,
    special_added_tokens,
)

__all__ = ["iter_texts", "train_tokenizer"]


def iter_texts(input_dir: str | Path, input_format: str = "jsonl", max_documents: int | None = None,
               text_key: str = "text") -> Iterator[str]:
    """Texts of the file records under ``input_dir`` (JSONL[.gz] or Parquet), through the pipeline's checked reader.

    Malformed lines, non-UTF-8 and records without text are counted by the reader (``dropped_reader:<reason>``)
    and skipped; an input folder without any document is an error.
    """
    from dscoder.data.readers import ReaderConfig, build_reader

    reader = build_reader(ReaderConfig(format=input_format, text_key=text_key), folder=input_dir)
    n = 0
    for document in reader.run(None, rank=0, world_size=1):
        yield document.text
        n += 1
        if max_documents is not None and n >= max_documents:
            break
    if n == 0:
        raise ValueError(f"{input_dir}: no {input_format} document with a non-empty {text_key!r} field")


def train_tokenizer(
    input_dir: str | Path,
    output_dir: str | Path,
    vocab_size: int = 32_000,
    *,
    min_frequency: int = 2,
    max_documents: int | None = None,
    input_format: str = "jsonl",
    text_key: str = "text",
    progress: bool = True,
) -> Path:
    """Train on the documents under ``input_dir`` and save ``tokenizer.json`` + ``tokenizer_config.json``.

    Returns ``output_dir``. A ``training.json`` beside them records the settings and the learned vocabulary size
    (smaller than ``vocab_size`` when the corpus has too few distinct pairs).
    """
    from dscoder.tokenization.loading import save_tokenizer, to_transformers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    if vocab_size < len(alphabet):
        raise ValueError(f"vocab_size must be at least the {len(alphabet)} byte symbols, got {vocab_size}")
    tokenizer = assemble_tokenizer(None, None)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        initial_alphabet=alphabet,
        special_tokens=[],
        show_progress=progress,
    )
    tokenizer.train_from_iterator(iter_texts(input_dir, input_format, max_documents, text_key), trainer=trainer)
    learned = tokenizer.get_vocab_size(with_added_tokens=True)
    add_in_order(tokenizer, special_added_tokens())
    add_bos_post_processor(tokenizer)
    output_dir = save_tokenizer(to_transformers(tokenizer), output_dir)
    info = {
        "input_dir": str(input_dir),
        "vocab_size_requested": vocab_size,
        "vocab_size_learned": learned,
        "tokenizer_len": tokenizer.get_vocab_size(with_added_tokens=True),
        "min_frequency": min_frequency,
        "max_documents": max_documents,
    }
    (output_dir / "training.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return output_dir
