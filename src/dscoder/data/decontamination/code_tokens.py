"""Code tokenisation and n-gram hashing for decontamination (report §2.4; docs/paper.md), vectorised with numpy.

The report does not say what a "gram" is; this project uses **code tokens after whitespace normalisation**:

* a token is a maximal run of word bytes (``A-Z a-z 0-9 _`` and every non-ASCII byte, so identifiers,
  numbers and non-English words stay whole) or one single punctuation byte (``(``, ``=``, ``.`` ...);
* whitespace only separates tokens: re-indenting, re-wrapping or re-spacing code changes nothing.

The *normalised text* is the tokens joined by single spaces, with one space before the first and after the
last token (``" def f ( x ) : "``). Exact matching of short protected strings (Aho-Corasick) runs over it, and
the hash of an n-gram is the hash of its bytes in it, so both views agree token for token.

Written with numpy array passes rather than a per-token Python loop (``re.findall`` + a hash per token):
``bench/decontam.py`` measures both on the same corpus.
N-gram hashes are a polynomial rolling hash mod 2**64 (odd base, so every power is invertible and the prefix
sums vectorise), finished with the splitmix64 mixer so that every bit is usable by the index's bit filter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOKENIZER_VERSION = "code-tokens-v1"

_WORD, _SPACE, _PUNCT = 0, 1, 2
_CLASS = np.full(256, _PUNCT, dtype=np.uint8)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_":
    _CLASS[_c] = _WORD
_CLASS[0x80:] = _WORD
for _c in b" \t\n\r\f\v":
    _CLASS[_c] = _SPACE

_IS_WORD = _CLASS == _WORD

_BASE = np.uint64(0x100000001B3)  # odd (the FNV-1 64-bit prime)
_BASE_INV = np.uint64(pow(int(_BASE), -1, 2**64))
_SPACE_BYTE = 32


class _Powers:
    """Cached powers of the hash base and of its inverse mod 2**64, grown on demand."""

    def __init__(self) -> None:
        self.pow = np.ones(1, dtype=np.uint64)
        self.inv = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.pow) >= n:
            return
        size = max(n, 2 * len(self.pow), 1 << 16)
        with np.errstate(over="ignore"):
            self.pow = np.concatenate(([np.uint64(1)], np.cumprod(np.full(size - 1, _BASE, dtype=np.uint64))))
            self.inv = np.concatenate(([np.uint64(1)], np.cumprod(np.full(size - 1, _BASE_INV, dtype=np.uint64))))


_POWERS = _Powers()


@dataclass
class TokenStream:
    """A text as code tokens: the normalised bytes and each token's span in them and in the original bytes."""

    normalized: np.ndarray  # uint8: " tok tok tok "
    norm_starts: np.ndarray  # int64 index of each token's first byte in ``normalized``
    norm_ends: np.ndarray  # int64 one past each token's last byte in ``normalized``
    orig_starts: np.ndarray  # int64 byte offset of each token in the UTF-8 original

    @property
    def n_tokens(self) -> int:
        return len(self.norm_starts)

    def normalized_text(self) -> str:
        return self.normalized.tobytes().decode("utf-8", "surrogatepass")

    def span_text(self, first: int, last: int) -> str:
        """Normalised text of tokens ``first..last`` (inclusive)."""
        return self.normalized[self.norm_starts[first] : self.norm_ends[last]].tobytes().decode("utf-8", "replace")


def tokenize(text: str | bytes, words_only: bool = False) -> TokenStream:
    """Split ``text`` into code tokens and build its normalised form (see the module docstring).

    ``words_only``: keep only the word tokens (identifiers, numbers, words); punctuation separates them like
    whitespace does (``"f(x)+1"`` -> ``" f x 1 "``). The ``words`` decontamination mode counts grams over
    these with :func:`word_ngram_hashes`.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    b = np.frombuffer(raw, dtype=np.uint8)
    n = len(b)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return TokenStream(np.zeros(0, dtype=np.uint8), empty, empty, empty)
    cls = _CLASS[b]
    word = cls == _WORD
    keep = word if words_only else cls != _SPACE
    punct = keep ^ word
    # a token starts at a punctuation byte or where a word run begins, ends at punctuation or where a run ends
    is_start = np.empty(n, dtype=bool)
    is_start[0] = keep[0]
    np.greater(word[1:], word[:-1], out=is_start[1:])
    is_start[1:] |= punct[1:]
    is_end = np.empty(n, dtype=bool)
    is_end[-1] = keep[-1]
    np.greater(word[:-1], word[1:], out=is_end[:-1])
    is_end[:-1] |= punct[:-1]
    orig_starts = np.flatnonzero(is_start)
    lengths = np.flatnonzero(is_end) + 1 - orig_starts
    # token i starts after one space per token so far and the bytes of the tokens before it
    norm_starts = np.empty(len(orig_starts), dtype=np.int64)
    if len(orig_starts):
        norm_starts[0] = 1
        np.cumsum(lengths[:-1] + 1, out=norm_starts[1:])
        norm_starts[1:] += 1
    norm_ends = norm_starts + lengths
    total = int(norm_ends[-1]) + 1 if len(norm_ends) else 1
    normalized = np.full(total, _SPACE_BYTE, dtype=np.uint8)
    lands = np.ones(total, dtype=bool)  # where the kept bytes go: everywhere but the separating spaces
    lands[norm_starts - 1] = False
    lands[-1] = False
    normalized[lands] = b[keep]
    return TokenStream(normalized=normalized, norm_starts=norm_starts, norm_ends=norm_ends, orig_starts=orig_starts)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, elementwise on uint64."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(30))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        h = h ^ (h >> np.uint64(27))
        h = h * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def ngram_hashes(stream: TokenStream, n: int) -> np.ndarray:
    """uint64 hash of every run of ``n`` consecutive tokens (``n_tokens - n + 1`` values, in order).

    The hash covers the run's bytes in the normalised text, so it depends on the tokens and nothing else.
    """
    count = stream.n_tokens - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    data = stream.normalized
    _POWERS.ensure(len(data) + 1)
    with np.errstate(over="ignore"):
        # C[i] = sum_{j<i} b[j] * BASE^-j, so sum_{s<=j<e} b[j] * BASE^(e-1-j) = BASE^(e-1) * (C[e] - C[s])
        prefix = np.zeros(len(data) + 1, dtype=np.uint64)
        np.multiply(data, _POWERS.inv[: len(data)], out=prefix[1:])
        np.cumsum(prefix[1:], out=prefix[1:])
        s = stream.norm_starts[:count]
        e = stream.norm_ends[n - 1 :]
        return _mix(_POWERS.pow[e - 1] * (prefix[e] - prefix[s]))


def word_token_hashes(text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
    """The word tokens of ``text`` (those of ``tokenize(text, words_only=True)``) without building the normalised
    text: each token's byte offset in the UTF-8 original and the uint64 hash of its bytes (equal tokens, equal
    hashes)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    b = np.frombuffer(raw, dtype=np.uint8)
    if not len(b):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.uint64)
    word = np.zeros(len(b) + 2, dtype=bool)
    np.take(_IS_WORD, b, out=word[1:-1])
    bounds = np.flatnonzero(word[1:] != word[:-1])  # a word run's start, then its end, alternately
    starts, ends = bounds[0::2], bounds[1::2]
    _POWERS.ensure(len(b) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(b) + 1, dtype=np.uint64)
        np.multiply(b, _POWERS.inv[: len(b)], out=prefix[1:])
        np.cumsum(prefix[1:], out=prefix[1:])
        # sum_{s<=j<e} b[j] * BASE^(e-1-j): the same value wherever the token sits
        return starts, _mix(_POWERS.pow[ends - 1] * (prefix[ends] - prefix[starts]))


_DEF = None
_DEFINED_NAME = np.uint64(0x5F)  # what every name defined in the text hashes to


def mask_defined_names(tokens: np.ndarray) -> np.ndarray:
    """Word token hashes where every name the text defines with ``def`` (the definition and each use: calls,
    doctest examples) is one stand-in token, so a copied function keeps its grams when it is renamed."""
    global _DEF
    if _DEF is None:
        _DEF = word_token_hashes(b"def")[1][0]
    is_def = tokens[:-1] == _DEF
    if not is_def.any():
        return tokens
    defined = np.unique(tokens[1:][is_def])
    at = np.minimum(np.searchsorted(defined, tokens), len(defined) - 1)
    return np.where(defined[at] == tokens, _DEFINED_NAME, tokens)


def token_ngram_hashes(tokens: np.ndarray, n: int) -> np.ndarray:
    """uint64 hash of every run of ``n`` consecutive token hashes (a polynomial rolling hash, mixed)."""
    count = len(tokens) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    _POWERS.ensure(len(tokens) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(tokens) + 1, dtype=np.uint64)
        np.multiply(tokens, _POWERS.inv[: len(tokens)], out=prefix[1:])
        np.cumsum(prefix[1:], out=prefix[1:])
        return _mix(_POWERS.pow[n - 1 : len(tokens)] * (prefix[n:] - prefix[:count]))


def word_ngram_hashes(text: str | bytes, n: int) -> np.ndarray:
    """The ``words`` mode's n-grams of ``text``: :func:`token_ngram_hashes` of its word tokens with
    :func:`mask_defined_names` applied."""
    return token_ngram_hashes(mask_defined_names(word_token_hashes(text)[1]), n)


def normalize(text: str) -> str:
    """The normalised text of ``text`` without its outer spaces (``"def f ( x ) :"``)."""
    return tokenize(text).normalized_text().strip(" ")
