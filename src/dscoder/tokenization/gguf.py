"""The released DeepSeek-Coder tokenizer, rebuilt exactly from a vocabulary GGUF file (report §3.2; docs/paper.md).

The GGUF (llama.cpp's ``ggml-vocab-deepseek-coder.gguf``, read with the ``gguf`` package) holds the 32,000
learned tokens, the 31,757 merges, the 22 added tokens and 234 ``[PAD32022]``... rows that only pad the embedding
matrix to 32,256. transformers' own GGUF loader builds a generic byte-level pre-tokeniser from it and gets one of
llama.cpp's 47 reference strings wrong; here the ``deepseek-coder`` pre-tokeniser (``tokenizer.ggml.pre``) is the
released one (:mod:`.components`), the padding rows are left out, and every added token keeps its released id and
``special`` flag (GGUF token type CONTROL = special, USER_DEFINED = ordinary added token), which gives all 47.

The 13 added Latin-1 letters (ids 32000-32012) are exactly the 13 byte values that never occur in UTF-8
(0xC0, 0xC1, 0xF5-0xFF), written as GPT-2's byte-to-unicode characters: the release's BPE trainer never saw those
bytes, so they were appended to complete the byte alphabet. Being added tokens, they are matched in the raw text:
``"ü"`` (U+00FC) encodes to 32009 and decodes to byte 0xFC, so ``"Führer"`` does not round-trip in the release.
That quirk is reproduced here on purpose (the ids must match); dscoder's own trained tokenizers do not have it.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import AddedToken

from dscoder.tokenization.components import assemble_tokenizer

__all__ = ["GGUFVocab", "read_gguf_vocab", "tokenizer_from_gguf"]

#: GGUF token types (llama.cpp ``llama_token_type``).
_NORMAL, _CONTROL, _USER_DEFINED = 1, 3, 4
_SUPPORTED_PRE = ("deepseek-coder",)


class GGUFVocab:
    """The tokenizer fields of a GGUF file: tokens, types, merges, pre-tokeniser name, special ids."""

    def __init__(self, path: str | Path):
        from gguf import GGUFReader

        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"GGUF file not found: {self.path}")
        try:
            reader = GGUFReader(str(self.path))
        except (ValueError, OSError) as exc:
            raise ValueError(f"{self.path}: not a readable GGUF file ({exc})") from None

        def field(key: str, required: bool = True):
            f = reader.fields.get(key)
            if f is None:
                if required:
                    raise ValueError(f"{self.path}: GGUF field {key!r} is missing")
                return None
            return f.contents()

        self.model: str = field("tokenizer.ggml.model")
        self.pre: str | None = field("tokenizer.ggml.pre", required=False)
        self.tokens: list[str] = list(field("tokenizer.ggml.tokens"))
        self.token_types: list[int] = [int(t) for t in field("tokenizer.ggml.token_type")]
        self.merges: list[str] = list(field("tokenizer.ggml.merges"))
        self.bos_id = field("tokenizer.ggml.bos_token_id", required=False)
        self.eos_id = field("tokenizer.ggml.eos_token_id", required=False)
        if len(self.tokens) != len(self.token_types):
            raise ValueError(f"{self.path}: {len(self.tokens)} tokens but {len(self.token_types)} token types")


def read_gguf_vocab(path: str | Path) -> GGUFVocab:
    return GGUFVocab(path)


def tokenizer_from_gguf(path: str | Path, **wrap_kwargs):
    """The released tokenizer as a transformers ``PreTrainedTokenizerFast`` (32,022 entries; ids as released).

    ``wrap_kwargs`` go to :func:`dscoder.tokenization.loading.to_transformers` (e.g. ``eos_token=EOT``).
    """
    from dscoder.tokenization.loading import to_transformers

    vocab = read_gguf_vocab(path)
    if vocab.model != "gpt2":
        raise ValueError(f"{vocab.path}: tokenizer.ggml.model is {vocab.model!r}; only byte-level BPE ('gpt2') is read")
    if vocab.pre not in _SUPPORTED_PRE:
        raise ValueError(
            f"{vocab.path}: tokenizer.ggml.pre is {vocab.pre!r}; this builder knows {', '.join(_SUPPORTED_PRE)}"
        )
    n_learned = 0
    while n_learned < len(vocab.tokens) and vocab.token_types[n_learned] == _NORMAL:
        n_learned += 1
    learned = {tok: i for i, tok in enumerate(vocab.tokens[:n_learned])}
    merges = []
    for i, merge in enumerate(vocab.merges):
        left, sep, right = merge.partition(" ")
        if not sep:
            raise ValueError(f"{vocab.path}: merge #{i} {merge!r} is not two space-separated tokens")
        merges.append((left, right))
    added = []
    for i in range(n_learned, len(vocab.tokens)):
        content, kind = vocab.tokens[i], vocab.token_types[i]
        if kind == _USER_DEFINED and content == f"[PAD{i}]":
            break  # llama.cpp's embedding-padding rows: not part of the released tokenizer
        if kind not in (_CONTROL, _USER_DEFINED):
            raise ValueError(f"{vocab.path}: token {i} {content!r} has type {kind} after the learned vocabulary")
        added.append(AddedToken(content, special=kind == _CONTROL, normalized=False))
    tokenizer = assemble_tokenizer(learned, merges, added)
    hf = to_transformers(tokenizer, **wrap_kwargs)
    for name, expected in (("bos_token_id", vocab.bos_id), ("eos_token_id", vocab.eos_id)):
        got = getattr(hf, name)
        if expected is not None and "eos_token" not in wrap_kwargs and got != int(expected):
            raise ValueError(f"{vocab.path}: {name} is {expected} in the GGUF but {got} in the rebuilt tokenizer")
    return hf
