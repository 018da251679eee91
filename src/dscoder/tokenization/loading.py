"""Wrap, save and load DeepSeek-Coder tokenizers for transformers 5 without its whitespace trap (docs/paper.md).

The released ``tokenizer_config.json`` names ``LlamaTokenizerFast``; some transformers 5 releases then rebuild the
tokenizer as a SentencePiece-style Llama tokenizer that strips and rewrites whitespace (transformers #46489), which
silently breaks code. Two defences:

* what dscoder saves names ``PreTrainedTokenizerFast`` (the plain ``tokenizer.json`` backend, an alias of
  ``TokenizersBackend`` in transformers 5), so ``AutoTokenizer`` loads it as is;
* :func:`load_tokenizer` loads any byte-level ``tokenizer.json`` (local folder or Hub id) through
  ``PreTrainedTokenizerFast`` whatever its config says, and a ``.gguf`` file through :mod:`.gguf`.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Tokenizer
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from dscoder.tokenization.special_tokens import (
    BOS,
    CHAT_TEMPLATE,
    EOS,
    MODEL_MAX_LENGTH,
)

__all__ = ["SAVED_TOKENIZER_CLASS", "load_tokenizer", "save_tokenizer", "to_transformers"]

#: ``tokenizer_class`` written by :func:`save_tokenizer`: loads as the plain fast tokenizer in transformers 4 and 5.
SAVED_TOKENIZER_CLASS = "PreTrainedTokenizerFast"
#: Config classes that transformers 5 may rebuild SentencePiece-style from a byte-level ``tokenizer.json``.
_TRAP_CLASSES = frozenset({"LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast"})


def to_transformers(
    tokenizer: Tokenizer,
    *,
    eos_token: str = EOS,
    chat_template: str | None = CHAT_TEMPLATE,
    model_max_length: int = MODEL_MAX_LENGTH,
) -> PreTrainedTokenizerFast:
    """A transformers tokenizer around ``tokenizer`` with the released settings (report §3.2).

    BOS is added to every encoded input, EOS is not; pad is EOS as released. Pass ``eos_token=EOT`` for an instruct
    model. ``chat_template`` defaults to the instruct template with ``{% generation %}`` markers.
    """
    for token in (BOS, eos_token):
        if tokenizer.token_to_id(token) is None:
            raise ValueError(f"the tokenizer has no {token!r} token; build it with dscoder.tokenization")
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=eos_token,
        pad_token=EOS,
        add_bos_token=True,
        add_eos_token=False,
        model_max_length=model_max_length,
        clean_up_tokenization_spaces=False,
        chat_template=chat_template,
    )


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, output_dir: str | Path) -> Path:
    """``save_pretrained`` with ``tokenizer_class: PreTrainedTokenizerFast`` (module docstring); returns the folder."""
    output_dir = Path(output_dir)
    tokenizer.save_pretrained(str(output_dir))
    config_path = output_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.update(tokenizer_class=SAVED_TOKENIZER_CLASS, add_bos_token=True, add_eos_token=False)
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return output_dir


def load_tokenizer(name_or_path: str | Path, revision: str | None = None, **kwargs) -> PreTrainedTokenizerFast:
    """Load a tokenizer from a folder, a Hub id or a ``.gguf`` file, with the released ids and whitespace.

    A byte-level BPE ``tokenizer.json`` always loads through ``PreTrainedTokenizerFast`` (also when its config says
    ``LlamaTokenizerFast``); a SentencePiece or other tokenizer goes to ``AutoTokenizer``. ``kwargs`` go to
    ``from_pretrained``.
    """
    source = str(name_or_path)
    if source.endswith(".gguf"):
        from dscoder.tokenization.gguf import tokenizer_from_gguf

        return tokenizer_from_gguf(source)
    local = Path(source).expanduser()
    if not local.exists() and source.startswith(("/", ".", "~")):
        raise FileNotFoundError(f"tokenizer folder not found: {source}")
    source = str(local) if local.exists() else source
    if local.exists() and not local.is_dir():
        raise ValueError(f"{source}: expected a tokenizer folder, a Hub id or a .gguf file")
    if local.is_dir() and not (local / "tokenizer.json").is_file() and not (local / "tokenizer_config.json").is_file():
        raise FileNotFoundError(f"{source}: no tokenizer.json or tokenizer_config.json in this folder")
    tokenizer_json = _resolve(source, "tokenizer.json", revision)
    if tokenizer_json is not None and _is_byte_level(tokenizer_json):
        config_path = _resolve(source, "tokenizer_config.json", revision)
        tokenizer_class = _read_json(config_path).get("tokenizer_class") if config_path else None
        if tokenizer_class in _TRAP_CLASSES or tokenizer_class in (None, SAVED_TOKENIZER_CLASS, "TokenizersBackend"):
            return PreTrainedTokenizerFast.from_pretrained(source, revision=revision, **kwargs)
    return AutoTokenizer.from_pretrained(source, revision=revision, **kwargs)


def load_backend_tokenizer(name_or_path: str | Path, revision: str | None = None) -> Tokenizer:
    """The ``tokenizers.Tokenizer`` alone (what encoding needs), without building a transformers tokenizer.

    A local folder's ``tokenizer.json`` is read directly (about 5x faster than :func:`load_tokenizer`); anything
    else goes through :func:`load_tokenizer`.
    """
    local = Path(str(name_or_path)).expanduser()
    if local.is_dir() and (local / "tokenizer.json").is_file():
        try:
            return Tokenizer.from_file(str(local / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - tokenizers raises a bare Exception on a bad file
            raise ValueError(f"{local / 'tokenizer.json'}: not a readable tokenizer ({exc})") from None
    return load_tokenizer(name_or_path, revision=revision).backend_tokenizer


def _resolve(source: str, filename: str, revision: str | None) -> Path | None:
    local = Path(source)
    if local.is_dir():
        path = local / filename
        return path if path.is_file() else None
    from transformers.utils.hub import cached_file

    path = cached_file(source, filename, revision=revision, _raise_exceptions_for_missing_entries=False)
    return Path(path) if path else None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc})") from None


def _is_byte_level(tokenizer_json: Path) -> bool:
    """Whether the tokenizer is byte-level BPE (its pre-tokeniser or decoder is, or contains, ``ByteLevel``)."""
    data = _read_json(tokenizer_json)
    if (data.get("model") or {}).get("type") != "BPE":
        return False
    text = json.dumps([data.get("pre_tokenizer"), data.get("decoder")])
    return '"ByteLevel"' in text
