"""Tokenizer of DeepSeek-Coder (report §3.2; docs/paper.md): training, the released tokenizer rebuilt exactly, loading.

* :func:`train_tokenizer`: byte-level BPE with the released pre-tokeniser and special tokens (``dscoder tokenizer
  train``);
* :func:`tokenizer_from_gguf`: the released tokenizer from its vocabulary GGUF (``dscoder tokenizer from-gguf``);
* :func:`load_tokenizer`: any tokenizer folder / Hub id / GGUF, avoiding transformers 5's whitespace trap;
* :func:`save_tokenizer`, :func:`to_transformers`: wrap a ``tokenizers.Tokenizer`` with the released settings.

Special-token strings, ids, chat templates and the embedding-row rule live in :mod:`.special_tokens`.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "train_tokenizer": "dscoder.tokenization.trainer",
    "tokenizer_from_gguf": "dscoder.tokenization.gguf",
    "load_tokenizer": "dscoder.tokenization.loading",
    "save_tokenizer": "dscoder.tokenization.loading",
    "to_transformers": "dscoder.tokenization.loading",
    "bytes_only_tokenizer": "dscoder.tokenization.components",
}
__all__ = [
    "bytes_only_tokenizer",
    "load_tokenizer",
    "save_tokenizer",
    "to_transformers",
    "tokenizer_from_gguf",
    "train_tokenizer",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
