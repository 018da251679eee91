"""The parts of a DeepSeek-Coder tokenizer, as Hugging Face ``tokenizers`` objects (report §3.2; docs/paper.md).

Byte-level BPE with no normaliser and this pre-tokeniser, the same one the released ``tokenizer.json`` uses and
llama.cpp spells for its ``deepseek-coder`` pre-tokeniser type (``llama-vocab.cpp``): five regex splits applied in
turn, each keeping its matches as separate pieces, then byte-level mapping without GPT-2's own regex:

1. ``[\\r\\n]``: every newline character on its own;
2. ``\\s?\\p{L}+``: letter runs with at most one leading whitespace character;
3. ``\\s?\\p{P}+``: punctuation runs with at most one leading whitespace character;
4. ``[一-龥ࠀ-一가-퟿]+``: CJK (and Hangul) runs;
5. every digit on its own (``Digits(individual_digits=True)``, llama.cpp's ``\\p{N}``).

Whitespace runs that no rule takes (indentation) stay pieces of their own, so BPE learns merges such as eight
spaces. Tokens after the learned vocabulary are added tokens, matched in the raw text before pre-tokenisation.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    pre_tokenizers,
    processors,
)
from tokenizers.models import BPE

from dscoder.tokenization.special_tokens import BOS, EOS, SPECIAL_TOKENS

__all__ = [
    "PRE_TOKENIZER_SPLITS",
    "add_bos_post_processor",
    "add_in_order",
    "assemble_tokenizer",
    "bytes_only_tokenizer",
    "deepseek_coder_pre_tokenizer",
    "special_added_tokens",
]

#: The regex splits of the released pre-tokeniser, in order (digits are split by ``Digits`` after them).
PRE_TOKENIZER_SPLITS: tuple[str, ...] = (
    r"[\r\n]",
    r"\s?\p{L}+",
    r"\s?\p{P}+",
    "[一-龥ࠀ-一가-퟿]+",
)

#: Special in the release (``special: true``; skipped by ``decode(skip_special_tokens=True)``): BOS and EOS only.
#: The FIM, pad and chat tokens are ordinary added tokens there (GGUF token type USER_DEFINED), and stay so here.
_RELEASED_SPECIAL = frozenset({BOS, EOS})


def deepseek_coder_pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    """The pre-tokeniser of the released tokenizer (module docstring)."""
    splits = [pre_tokenizers.Split(Regex(p), behavior="isolated", invert=False) for p in PRE_TOKENIZER_SPLITS]
    return pre_tokenizers.Sequence(
        [*splits, pre_tokenizers.Digits(individual_digits=True),
         pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]
    )  # fmt: skip


def special_added_tokens() -> list[AddedToken]:
    """BOS, EOS, FIM hole/begin/end, pad, User, Assistant, EOT as added tokens, in the released order and flags."""
    return [AddedToken(t, special=t in _RELEASED_SPECIAL, normalized=False) for t in SPECIAL_TOKENS]


def add_bos_post_processor(tokenizer: Tokenizer) -> None:
    """``add_bos_token: true, add_eos_token: false`` (report §3.2): BOS before each sequence of an encoded input."""
    bos_id = tokenizer.token_to_id(BOS)
    if bos_id is None:
        raise ValueError(f"the tokenizer has no {BOS!r} token")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS}:0 $A:0", pair=f"{BOS}:0 $A:0 {BOS}:1 $B:1", special_tokens=[(BOS, bos_id)]
    )


def assemble_tokenizer(
    vocab: dict[str, int] | None,
    merges: Iterable[tuple[str, str]] | None,
    added_tokens: Iterable[AddedToken] = (),
) -> Tokenizer:
    """A DeepSeek-Coder-style byte-level BPE ``Tokenizer``; ``vocab=None`` gives an empty model to train.

    ``added_tokens`` get the ids after the learned vocabulary, in the given order; BOS is added by default when
    it is among them.
    """
    model = BPE(vocab=vocab, merges=list(merges) if merges is not None else None, fuse_unk=False) if vocab else BPE()
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = deepseek_coder_pre_tokenizer()
    tokenizer.decoder = decoders.ByteLevel()
    add_in_order(tokenizer, added_tokens)
    if tokenizer.token_to_id(BOS) is not None:
        add_bos_post_processor(tokenizer)
    return tokenizer


def add_in_order(tokenizer: Tokenizer, added_tokens: Iterable[AddedToken]) -> None:
    """Append added tokens one by one so each gets the next id (``add_tokens`` of a mixed list keeps no order)."""
    for token in added_tokens:
        expected = tokenizer.get_vocab_size(with_added_tokens=True)
        if tokenizer.token_to_id(token.content) is not None:
            raise ValueError(f"added token {token.content!r} is already in the vocabulary")
        (tokenizer.add_special_tokens if token.special else tokenizer.add_tokens)([token])
        got = tokenizer.token_to_id(token.content)
        if got != expected:
            raise ValueError(f"added token {token.content!r} got id {got}, expected {expected}")


def bytes_only_tokenizer() -> Tokenizer:
    """The smallest DeepSeek-Coder-style tokenizer: the 256 byte symbols (no merges) + the 9 special tokens.

    Every UTF-8 byte is one token, so token counts are byte counts: handy for fast tests and smoke runs of the
    FIM/packing/training code without a trained vocabulary.
    """
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    return assemble_tokenizer({symbol: i for i, symbol in enumerate(alphabet)}, [], special_added_tokens())
