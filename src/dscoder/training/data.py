"""Training data of a recipe: load each named source, bring it to packed token rows, mix by weight.

A source is a tokenised dataset written by ``dscoder data tokenize`` (docs/design.md: ``input_ids`` and
``position_ids`` rows of the sequence length, FIM already applied per document), or raw text tokenised on the
fly with the same FIM transform and packer (``dscoder.sequences.fim`` / ``dscoder.sequences.packing``). Sources are
mixed with ``datasets.interleave_datasets`` using the normalised weights (report §5 Table 9's 70/10/7/7/6 mix).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from dscoder.training.recipe import DataConfig, DataSource, ObjectiveConfig

__all__ = ["PackedCollator", "detect_kind", "load_source", "mixture_probabilities"]

_TEXT_SUFFIXES = {".jsonl": "json", ".json": "json", ".gz": "json", ".parquet": "parquet", ".txt": "text"}


def load_source(name: str, src: DataSource, streaming: bool = False):
    """Load one source as a ``datasets`` Dataset (or IterableDataset when streaming); errors name the source."""
    import datasets

    if src.hub is not None:
        return datasets.load_dataset(
            src.hub, src.hub_config, data_dir=src.data_dir, split=src.split, streaming=streaming
        )
    path = src.path
    if not path.exists():
        raise FileNotFoundError(f"data.sources.{name}.path: {path} does not exist")
    if path.is_dir() and ((path / "state.json").exists() or (path / "dataset_dict.json").exists()):
        ds = datasets.load_from_disk(str(path))
        if isinstance(ds, datasets.DatasetDict):
            if src.split not in ds:
                raise ValueError(f"data.sources.{name}: split {src.split!r} not in {path} (has {list(ds)})")
            ds = ds[src.split]
        return ds.to_iterable_dataset() if streaming else ds
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    by_builder: dict[str, list[str]] = {}
    for f in files:
        builder = _TEXT_SUFFIXES.get(f.suffix)
        if builder is not None and not f.name.startswith((".", "_")) and f.name != "stats.json":
            by_builder.setdefault(builder, []).append(str(f))
    if len(by_builder) != 1:
        found = ", ".join(f"{b}: {len(v)}" for b, v in by_builder.items()) or "none"
        raise ValueError(
            f"data.sources.{name}.path: {path} must hold one kind of data file (JSONL[.gz], Parquet or text); "
            f"found {found}"
        )
    ((builder, data_files),) = by_builder.items()
    return datasets.load_dataset(builder, data_files=data_files, split="train", streaming=streaming)


def detect_kind(name: str, src: DataSource, column_names: Sequence[str]) -> str:
    """``tokenized``, ``instructions``, ``messages`` or ``text``, from ``src.kind`` or the columns."""
    cols = set(column_names or ())
    required = {
        "tokenized": {"input_ids"},
        "instructions": {"instruction", "output"},
        "messages": {"messages"},
        "text": {src.text_field},
    }
    kind = src.kind
    if kind == "auto":
        kind = next((k for k, need in required.items() if need <= cols), None)
        if kind is None:
            raise ValueError(
                f"data.sources.{name}: cannot tell the data kind from columns {sorted(cols)}; expected input_ids, "
                f"instruction+output, messages or {src.text_field!r} (set kind/text_field)"
            )
    missing = required[kind] - cols
    if cols and missing:
        raise ValueError(f"data.sources.{name}: kind {kind!r} needs column(s) {sorted(missing)}, has {sorted(cols)}")
    return kind


def mixture_probabilities(data: DataConfig) -> list[float]:
    total = sum(s.weight for s in data.sources.values())
    return [s.weight / total for s in data.sources.values()]


def tokenized_metadata(path: Path | None) -> dict | None:
    """The JSON that ``dscoder data tokenize`` writes into a tokenised dataset (docs/design.md)."""
    from dscoder.data.tokenize_stage import METADATA_FILE

    if path is None or not (path / METADATA_FILE).is_file():
        return None
    return json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))


def check_tokenized(name: str, src: DataSource, ds, data: DataConfig, objective: ObjectiveConfig,
                    tokenizer=None) -> None:
    """A tokenised source must match the recipe: sequence length, FIM settings and tokenizer are baked into it."""
    first = next(iter(ds))
    if len(first["input_ids"]) != data.seq_length:
        raise ValueError(
            f"data.sources.{name}: rows have {len(first['input_ids'])} tokens but data.seq_length is "
            f"{data.seq_length}"
        )
    meta = tokenized_metadata(src.path) or {}
    if "fim_rate" in meta and float(meta["fim_rate"]) != objective.fim_rate:
        raise ValueError(
            f"data.sources.{name}: tokenised with fim_rate {meta['fim_rate']} but objective.fim_rate is "
            f"{objective.fim_rate}; retokenise or change the recipe"
        )
    if objective.fim_rate > 0 and meta.get("fim_mode", objective.fim_mode) != objective.fim_mode:
        raise ValueError(
            f"data.sources.{name}: tokenised with fim_mode {meta['fim_mode']!r} but objective.fim_mode is "
            f"{objective.fim_mode!r}"
        )
    if tokenizer is not None and "tokenizer_len" in meta and int(meta["tokenizer_len"]) != len(tokenizer):
        raise ValueError(
            f"data.sources.{name}: tokenised with a tokenizer of {meta['tokenizer_len']} entries ({meta.get('tokenizer')}) "
            f"but model.tokenizer has {len(tokenizer)}"
        )


@dataclass
class PackedCollator:
    """Stack packed rows into a batch; labels are the inputs, except each document's first token.

    With ``position_ids`` restarting at 0 per document, transformers' sdpa/flash paths keep attention inside a
    document, and the label of a document's first token is set to -100 so that no token is trained to predict
    the start of an unrelated next document (as transformers' ``DataCollatorWithFlattening`` does).
    """

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        lengths = {len(f["input_ids"]) for f in features}
        if len(lengths) != 1:
            raise ValueError(f"packed rows must all have the same length, got lengths {sorted(lengths)}")
        input_ids = torch.tensor([list(f["input_ids"]) for f in features], dtype=torch.long)
        labels = input_ids.clone()
        batch = {"input_ids": input_ids}
        if "position_ids" in features[0]:
            position_ids = torch.tensor([list(f["position_ids"]) for f in features], dtype=torch.long)
            labels[position_ids == 0] = -100
            batch["position_ids"] = position_ids
        batch["labels"] = labels
        return batch


def _packed_rows(encoded, seq_length: int, source: str):
    """Rows of the packer over a stream of encoded documents; what is dropped is counted and logged."""
    import logging

    from dscoder.sequences.packing import Packer, pack_documents

    packer = Packer(seq_length)
    for row in pack_documents((doc["input_ids"] for doc in encoded), seq_length, packer):
        yield {"input_ids": row["input_ids"].tolist(), "position_ids": row["position_ids"].tolist()}
    stats = packer.stats
    logging.getLogger(__name__).info(
        "data.sources.%s: %d documents -> %d rows of %d tokens; dropped %d empty documents "
        "(packing:empty_document) and %d tokens of the last partial row (packing:partial_last_row)",
        source, stats.documents, stats.rows, seq_length, stats.empty_documents, stats.tokens_dropped,
    )


def tokenize_text_source(name: str, src: DataSource, ds, tokenizer, data: DataConfig, objective: ObjectiveConfig,
                         seed: int):
    """Raw text -> tokens with FIM per document (``DocumentEncoder``) -> packed rows (``Packer``), on the fly.

    The same transform and packer as ``dscoder data tokenize``, so a recipe on raw text trains on the
    same rows a pre-tokenised dataset would hold. Map-style data is materialised once (and cached by
    ``datasets``); streaming data stays a stream.
    """
    import datasets

    from dscoder.sequences.fim import DocumentEncoder, FIMConfig

    encoder = DocumentEncoder(
        tokenizer, FIMConfig(rate=objective.fim_rate, mode=objective.fim_mode, seed=seed), text_column=src.text_field
    )
    columns = list(ds.column_names or [])
    if isinstance(ds, datasets.IterableDataset):
        encoded = ds.map(encoder, batched=True, with_indices=True, remove_columns=columns)
        return datasets.IterableDataset.from_generator(
            _packed_rows, gen_kwargs={"encoded": encoded, "seq_length": data.seq_length, "source": name}
        )
    encoded = ds.map(encoder, batched=True, with_indices=True, remove_columns=columns, num_proc=data.num_proc,
                     desc=f"tokenising {name} (FIM {objective.fim_rate:g} {objective.fim_mode})")
    packed = datasets.Dataset.from_generator(
        _packed_rows, gen_kwargs={"encoded": encoded, "seq_length": data.seq_length, "source": name}
    )
    if len(packed) == 0:
        raise ValueError(f"data.sources.{name}: fewer tokens than one row of data.seq_length {data.seq_length}")
    return packed
