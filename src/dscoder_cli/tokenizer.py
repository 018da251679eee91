"""``dscoder tokenizer ...``: train a DeepSeek-Coder-style tokenizer, rebuild or import the released one, inspect."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=None, parser=parser)
    sub = parser.add_subparsers(dest="tokenizer_command", metavar="STEP")
    _add_train(sub)
    _add_from_gguf(sub)
    _add_import(sub)
    _add_encode(sub)


def _add_train(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a byte-level BPE with DeepSeek-Coder's pre-tokeniser and special tokens",
        description="Train a byte-level BPE tokenizer (Hugging Face tokenizers) on documents with a 'text' field "
        "(JSONL[.gz] or Parquet files under INPUT): the released pre-tokeniser (newlines, letter runs with one "
        "leading space, punctuation runs, CJK runs, single digits), VOCAB_SIZE learned tokens, then BOS, EOS, "
        "FIM hole/begin/end, <pad>, <|User|>, <|Assistant|>, <|EOT|> in the released order; BOS added by default "
        "(report §3.2). Writes tokenizer.json + tokenizer_config.json (loads with AutoTokenizer) + training.json.",
    )
    p.add_argument("input", help="folder of documents (the pipeline's output or a demo corpus)")
    p.add_argument("output", help="tokenizer folder to write")
    p.add_argument("--vocab-size", type=int, default=32_000, help="learned tokens incl. 256 bytes (default: 32000)")
    p.add_argument("--min-frequency", type=int, default=2, help="minimum pair count for a merge (default: 2)")
    p.add_argument("--max-documents", type=int, default=None, help="train on at most this many documents")
    p.add_argument("--format", dest="input_format", choices=["jsonl", "parquet"], default="jsonl")
    p.set_defaults(handler=_run_train, parser=p)


def _add_from_gguf(sub) -> None:
    p = sub.add_parser(
        "from-gguf",
        help="rebuild the released DeepSeek-Coder tokenizer exactly from a vocabulary GGUF file",
        description="Build the released tokenizer (32,022 entries, ids as released, the 'deepseek-coder' "
        "pre-tokeniser) from a GGUF file such as llama.cpp's ggml-vocab-deepseek-coder.gguf and save it so that "
        "AutoTokenizer loads it with the right whitespace under transformers 5.",
    )
    p.add_argument("gguf", help="path of the .gguf file")
    p.add_argument("output", help="tokenizer folder to write")
    p.add_argument("--instruct", action="store_true", help="use <|EOT|> as EOS (instruct models)")
    p.set_defaults(handler=_run_from_gguf, parser=p)


def _add_import(sub) -> None:
    p = sub.add_parser(
        "import",
        help="load a released tokenizer (folder or Hub id) and save it in a whitespace-safe form",
        description="Load a tokenizer.json-based tokenizer (e.g. deepseek-ai/deepseek-coder-6.7b-base, whose "
        "config names LlamaTokenizerFast) through PreTrainedTokenizerFast, avoiding transformers 5's "
        "SentencePiece-style rebuild that strips whitespace, and save it with tokenizer_class "
        "PreTrainedTokenizerFast.",
    )
    p.add_argument("source", help="tokenizer folder, Hub id or .gguf file")
    p.add_argument("output", help="tokenizer folder to write")
    p.add_argument("--revision", default=None, help="Hub revision")
    p.set_defaults(handler=_run_import, parser=p)


def _add_encode(sub) -> None:
    p = sub.add_parser(
        "encode",
        help="show the tokens and ids of a text",
        description="Encode TEXT (or a file with --file) with a tokenizer folder, Hub id or .gguf file and print a "
        "table of ids and tokens, with the embedding rows the model needs for this tokenizer.",
    )
    p.add_argument("tokenizer", help="tokenizer folder, Hub id or .gguf file")
    p.add_argument("text", nargs="?", default=None, help="text to encode (escape sequences like \\n are read)")
    p.add_argument("--file", default=None, help="encode this file's contents instead")
    p.add_argument("--no-bos", action="store_true", help="do not add BOS")
    p.set_defaults(handler=_run_encode, parser=p)


def _summary(tokenizer, output) -> None:
    from rich.console import Console
    from rich.table import Table

    from dscoder.terminal import wrap_cells
    from dscoder.tokenization.special_tokens import SPECIAL_TOKENS, padded_vocab_size

    table = Table(title=f"tokenizer -> {output}")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("entries (len)", f"{len(tokenizer):,}")
    table.add_row("model vocab_size (x256)", f"{padded_vocab_size(len(tokenizer)):,}")
    for token in SPECIAL_TOKENS:
        table.add_row(token, str(tokenizer.convert_tokens_to_ids(token)))
    Console().print(wrap_cells(table))


def _run_train(args) -> int:
    from dscoder.tokenization import load_tokenizer, train_tokenizer

    out = train_tokenizer(
        args.input,
        args.output,
        vocab_size=args.vocab_size,
        min_frequency=args.min_frequency,
        max_documents=args.max_documents,
        input_format=args.input_format,
    )
    _summary(load_tokenizer(out), out)
    return 0


def _run_from_gguf(args) -> int:
    from dscoder.tokenization import save_tokenizer, tokenizer_from_gguf
    from dscoder.tokenization.special_tokens import EOT

    tokenizer = tokenizer_from_gguf(args.gguf, **({"eos_token": EOT} if args.instruct else {}))
    _summary(tokenizer, save_tokenizer(tokenizer, args.output))
    return 0


def _run_import(args) -> int:
    from dscoder.tokenization import load_tokenizer, save_tokenizer

    tokenizer = load_tokenizer(args.source, revision=args.revision)
    _summary(tokenizer, save_tokenizer(tokenizer, args.output))
    return 0


def _run_encode(args) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from dscoder.terminal import wrap_cells
    from dscoder.tokenization import load_tokenizer

    if (args.text is None) == (args.file is None):
        raise ValueError("give either TEXT or --file")
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{args.file}: cannot read as UTF-8 text ({exc})") from None
    else:
        text = args.text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    tokenizer = load_tokenizer(args.tokenizer)
    ids = tokenizer(text, add_special_tokens=not args.no_bos).input_ids
    table = Table(title=f"{len(ids)} tokens, {len(text)} characters")
    table.add_column("#", justify="right")
    table.add_column("id", justify="right")
    table.add_column("token")
    table.add_column("text")
    for i, token_id in enumerate(ids):
        table.add_row(str(i), str(token_id), tokenizer.convert_ids_to_tokens(token_id), repr(tokenizer.decode([token_id])))
    Console().print(wrap_cells(table))
    return 0
