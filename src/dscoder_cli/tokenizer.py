"""``dscoder tokenizer ...``: train a DeepSeek-Coder-style tokenizer, rebuild or import the released one, inspect.

Each step's options are the fields of its dataclass below (:mod:`dscoder_cli.options` derives the parser).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Literal

from dscoder_cli.options import Options, add_command, arg


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=None, parser=parser)
    sub = parser.add_subparsers(dest="tokenizer_command", metavar="STEP")
    for name, cls, run in (("train", TrainTokenizerOptions, run_train), ("from-gguf", FromGGUFOptions, run_from_gguf),
                           ("import", ImportOptions, run_import), ("encode", EncodeOptions, run_encode)):  # fmt: skip
        add_command(sub, name, cls, run)


@dataclass
class TrainTokenizerOptions(Options):
    """train a byte-level BPE with DeepSeek-Coder's pre-tokeniser and special tokens

    Train a byte-level BPE tokenizer (Hugging Face tokenizers) on documents with a 'text' field (JSONL[.gz] or
    Parquet files under INPUT): the released pre-tokeniser (newlines, letter runs with one leading space,
    punctuation runs, CJK runs, single digits), VOCAB_SIZE learned tokens, then BOS, EOS, FIM hole/begin/end, <pad>,
    <|User|>, <|Assistant|>, <|EOT|> in the released order; BOS added by default (report §3.2). Writes
    tokenizer.json + tokenizer_config.json (loads with AutoTokenizer) + training.json.
    """

    input: str = arg(positional=True, help="folder of documents (the pipeline's output or a demo corpus)")
    output: str = arg(positional=True, help="tokenizer folder to write")
    vocab_size: int = arg(32_000, help="learned tokens incl. 256 bytes")
    min_frequency: int = arg(2, help="minimum pair count for a merge")
    max_documents: int | None = arg(None, help="train on at most this many documents")
    input_format: Literal["jsonl", "parquet"] = arg("jsonl", flag="--format", help="input file format")


@dataclass
class FromGGUFOptions(Options):
    """rebuild the released DeepSeek-Coder tokenizer exactly from a vocabulary GGUF file

    Build the released tokenizer (32,022 entries, ids as released, the 'deepseek-coder' pre-tokeniser) from a GGUF
    file such as llama.cpp's ggml-vocab-deepseek-coder.gguf and save it so that AutoTokenizer loads it with the
    right whitespace under transformers 5.
    """

    gguf: str = arg(positional=True, help="path of the .gguf file")
    output: str = arg(positional=True, help="tokenizer folder to write")
    instruct: bool = arg(False, help="use <|EOT|> as EOS (instruct models)")


@dataclass
class ImportOptions(Options):
    """load a released tokenizer (folder or Hub id) and save it in a whitespace-safe form

    Load a tokenizer.json-based tokenizer (e.g. deepseek-ai/deepseek-coder-6.7b-base, whose config names
    LlamaTokenizerFast) through PreTrainedTokenizerFast, avoiding transformers 5's SentencePiece-style rebuild that
    strips whitespace, and save it with tokenizer_class PreTrainedTokenizerFast.
    """

    source: str = arg(positional=True, help="tokenizer folder, Hub id or .gguf file")
    output: str = arg(positional=True, help="tokenizer folder to write")
    revision: str | None = arg(None, help="Hub revision")


@dataclass
class EncodeOptions(Options):
    """show the tokens and ids of a text

    Encode TEXT (or a file with --file) with a tokenizer folder, Hub id or .gguf file and print a table of ids and
    tokens, with the embedding rows the model needs for this tokenizer.
    """

    tokenizer: str = arg(positional=True, help="tokenizer folder, Hub id or .gguf file")
    text: str | None = arg(None, positional=True, help="text to encode (escape sequences like \\n are read)")
    file: str | None = arg(None, help="encode this file's contents instead")
    add_bos: bool = arg(True, flag="--no-bos", help="do not add BOS")


def _summary(tokenizer, output) -> None:
    from dscoder.tokenization.special_tokens import SPECIAL_TOKENS, padded_vocab_size
    from dscoder_cli.console import print_table

    print_table(f"tokenizer -> {output}", [
        ("entries (len)", len(tokenizer)), ("model vocab_size (x256)", padded_vocab_size(len(tokenizer))),
        *((token, str(tokenizer.convert_tokens_to_ids(token))) for token in SPECIAL_TOKENS),
    ])  # fmt: skip


def run_train(o: TrainTokenizerOptions) -> int:
    from dscoder.tokenization import load_tokenizer, train_tokenizer

    out = train_tokenizer(o.input, o.output, **o.stage_kwargs())
    _summary(load_tokenizer(out), out)
    return 0


def run_from_gguf(o: FromGGUFOptions) -> int:
    from dscoder.tokenization import save_tokenizer, tokenizer_from_gguf
    from dscoder.tokenization.special_tokens import EOT

    tokenizer = tokenizer_from_gguf(o.gguf, **({"eos_token": EOT} if o.instruct else {}))
    _summary(tokenizer, save_tokenizer(tokenizer, o.output))
    return 0


def run_import(o: ImportOptions) -> int:
    from dscoder.tokenization import load_tokenizer, save_tokenizer

    tokenizer = load_tokenizer(o.source, revision=o.revision)
    _summary(tokenizer, save_tokenizer(tokenizer, o.output))
    return 0


def run_encode(o: EncodeOptions) -> int:
    from pathlib import Path

    from dscoder.tokenization import load_tokenizer
    from dscoder_cli.console import print_table

    if (o.text is None) == (o.file is None):
        raise ValueError("give either TEXT or --file")
    if o.file is not None:
        try:
            text = Path(o.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{o.file}: cannot read as UTF-8 text ({exc})") from None
    else:
        text = o.text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    tokenizer = load_tokenizer(o.tokenizer)
    ids = tokenizer(text, add_special_tokens=o.add_bos).input_ids
    rows = [(i, token_id, tokenizer.convert_ids_to_tokens(token_id), repr(tokenizer.decode([token_id])))
            for i, token_id in enumerate(ids)]  # fmt: skip
    print_table(f"{len(ids)} tokens, {len(text)} characters", rows, ("#", "id", "token", "text"), right=("#", "id"))
    return 0
