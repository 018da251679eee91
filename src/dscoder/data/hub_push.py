"""Publish a pipeline output folder as a Hugging Face Hub dataset, with a dataset card (``dscoder data push``).

What ``datasets.Dataset.push_to_hub`` puts in a dataset repository, written without loading the dataset into
memory: the records (the JSONL.gz or Parquet shards the datatrove writers produce) are re-written as Parquet shards
``data/train-00000-of-0000N.parquet`` of at most ``max_shard_bytes`` of Arrow data each, one schema for all (a key
only some records have is a null elsewhere), and the ``README.md`` card's YAML carries ``dataset_info``
(``features``, ``splits`` with ``num_bytes``/``num_examples``, ``download_size``, ``dataset_size``, as
``datasets.DatasetInfo`` writes it) and the ``configs`` entry ``datasets.load_dataset(repo_id)`` reads, beside the
licence, the filter funnel of the run (from its datatrove logging folder) and the decontamination report
(``contamination_report.json``) when given. :func:`export_dataset` writes that layout to a local folder;
:func:`push_dataset` exports, then uploads the folder in one commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

__all__ = ["DATA_SUFFIXES", "dataset_card", "export_dataset", "push_dataset"]

#: shard suffixes that are data (everything else in the folder stays local)
DATA_SUFFIXES = (".jsonl.gz", ".jsonl", ".parquet")
#: Arrow bytes per Parquet shard (``push_to_hub``'s default ``max_shard_size``)
DEFAULT_MAX_SHARD_BYTES = 500 * 2**20
_BATCH_ROWS = 1000
_BATCH_BYTES = 32 * 2**20


def _data_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(DATA_SUFFIXES))
    if not files:
        raise FileNotFoundError(f"{folder}: no data files ({', '.join(DATA_SUFFIXES)}) to publish")
    kinds = {".parquet" if p.name.endswith(".parquet") else ".jsonl" for p in files}
    if len(kinds) != 1:
        raise ValueError(f"{folder}: holds both JSONL and Parquet shards; publish one format per dataset")
    return files


def _batches(path: Path) -> Iterator:
    """The records of one shard as Arrow record batches / tables of bounded size."""
    import gzip

    import orjson
    import pyarrow.parquet as pq

    if path.name.endswith(".parquet"):
        with pq.ParquetFile(path) as pqf:
            yield from pqf.iter_batches(batch_size=_BATCH_ROWS)
        return
    rows, size = [], 0
    with (gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number} is not JSON ({exc})") from None
            size += len(line)
            if len(rows) >= _BATCH_ROWS or size >= _BATCH_BYTES:
                yield _table(rows, path)
                rows, size = [], 0
    if rows:
        yield _table(rows, path)


def _table(rows: list[dict], path: Path):
    """``rows`` as an Arrow table with every key any of them has (``from_pylist`` takes the first row's only)."""
    import pyarrow as pa

    keys = dict.fromkeys(k for row in rows for k in row)
    try:
        return pa.table({k: pa.array([row.get(k) for row in rows]) for k in keys})
    except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
        raise ValueError(f"{path}: a field holds values of different types ({exc})") from None


def _common_schema(files: list[Path]):
    """One Arrow schema for every record of ``files`` (types promoted as ``pyarrow.unify_schemas`` permits)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = None
    for path in files:
        # a Parquet shard's schema is in its footer; JSON lines have to be read
        schemas = [pq.read_schema(path)] if path.name.endswith(".parquet") else (b.schema for b in _batches(path))
        for batch_schema in schemas:
            try:
                schema = batch_schema if schema is None else pa.unify_schemas([schema, batch_schema],
                                                                              promote_options="permissive")
            except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
                raise ValueError(f"{path}: a column's type differs from the earlier shards' ({exc})") from None
    return schema


def export_dataset(folder: str | Path, target: str | Path, repo_id: str, license: str = "other", *,
                   logs_dir: str | Path | None = None, decontamination_report: str | Path | None = None,
                   description: str = "", split: str = "train", max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES) -> Path:
    """Write ``folder``'s records to ``target`` in the Hub layout ``push_to_hub`` produces: numbered Parquet shards
    (``data/<split>-00000-of-00002.parquet``, ...) and a ``README.md`` card with ``dataset_info`` and ``configs``.
    ``target`` is replaced."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder, target = Path(folder), Path(target)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    files = _data_files(folder)
    schema = _common_schema(files)
    shutil.rmtree(target, ignore_errors=True)
    (target / "data").mkdir(parents=True)
    shards: list[Path] = []
    writer, shard_bytes, num_bytes, num_examples = None, 0, 0, 0
    try:
        for path in files:
            for batch in _batches(path):
                table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
                table = _conform(table, schema)
                if writer is None or shard_bytes >= max_shard_bytes:
                    if writer is not None:
                        writer.close()
                    shards.append(target / "data" / f".shard-{len(shards):05d}.parquet")
                    writer, shard_bytes = pq.ParquetWriter(shards[-1], schema), 0
                writer.write_table(table)
                shard_bytes += table.nbytes
                num_bytes += table.nbytes
                num_examples += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    for i, shard in enumerate(shards):
        shard.rename(shard.with_name(f"{split}-{i:05d}-of-{len(shards):05d}.parquet"))
    card = dataset_card(target, repo_id, license, logs_dir=logs_dir, decontamination_report=decontamination_report,
                        description=description, split=split, schema=schema, num_bytes=num_bytes,
                        num_examples=num_examples)  # fmt: skip
    card.save(target / "README.md")
    return target


def _conform(table, schema):
    """``table`` with ``schema``'s columns, in its order, a missing one as nulls."""
    import pyarrow as pa

    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
               for f in schema]  # fmt: skip
    return pa.Table.from_arrays(columns, schema=schema)


def _funnel_markdown(logs_dir: Path) -> str:
    from dscoder.data.funnel import load_funnel

    funnel = load_funnel(logs_dir).to_dict()
    lines = ["| step | files | bytes |", "|---|---|---|", f"| input | {funnel['files_in']:,} | {funnel['bytes_in']:,} |"]
    for reason, files in funnel["dropped"].items():
        lines.append(f"| dropped: {reason} | {files:,} | {funnel['dropped_bytes'].get(reason, 0):,} |")
    lines.append(f"| kept | {funnel['files_kept']:,} | {funnel['bytes_kept']:,} |")
    return "\n".join(lines)


def _decontamination_markdown(report_path: Path) -> str:
    report = json.loads(report_path.read_text(encoding="utf-8"))
    summary = {k: v for k, v in report.items() if isinstance(v, (int, float, str))}
    lines = [f"- {k}: {v}" for k, v in summary.items()]
    hits = report.get("by_benchmark") or report.get("benchmarks") or {}
    if isinstance(hits, dict):
        lines += [f"- {name}: {json.dumps(value)}" for name, value in hits.items()]
    return "\n".join(lines) or "(empty report)"


def dataset_card(folder: str | Path, repo_id: str, license: str, *, logs_dir: str | Path | None = None,
                 decontamination_report: str | Path | None = None, description: str = "", split: str = "train",
                 schema=None, num_bytes: int | None = None, num_examples: int | None = None):
    """The ``huggingface_hub.DatasetCard`` for an exported folder (``data/*.parquet`` shards). ``schema``,
    ``num_bytes`` and ``num_examples`` (what :func:`export_dataset` wrote) fill ``dataset_info``."""
    from datasets import DatasetInfo, Features, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard, DatasetCardData

    folder = Path(folder)
    files = _data_files(folder)
    data = DatasetCardData(license=license, task_categories=["text-generation"], tags=["code", "dscoder"],
                           configs=[{"config_name": "default",
                                     "data_files": [{"split": split, "path": f"data/{split}-*"}]}])  # fmt: skip
    size = sum(p.stat().st_size for p in files)
    if schema is not None:
        splits = SplitDict()
        splits.add(SplitInfo(name=split, num_bytes=num_bytes, num_examples=num_examples))
        info = DatasetInfo(features=Features.from_arrow_schema(schema), splits=splits, download_size=size,
                           dataset_size=num_bytes)  # fmt: skip
        DatasetInfosDict({"default": info}).to_dataset_card_data(data)
    funnel = _funnel_markdown(Path(logs_dir)) if logs_dir else "Not given (`dscoder data push --logs LOGDIR`)."
    decontamination = (_decontamination_markdown(Path(decontamination_report)) if decontamination_report
                       else "Not given (`dscoder data push --decontamination-report FILE`).")  # fmt: skip
    records = f", {num_examples:,} records" if num_examples is not None else ""
    content = f"""---
{data.to_yaml()}
---

# {repo_id}

{description or "Code data produced by the dscoder pipeline (the DeepSeek-Coder data recipe, arXiv 2401.14196 §2)."}

{len(files)} Parquet shard(s), {size:,} bytes, under `data/`{records}. Load with `datasets.load_dataset("{repo_id}")`.

## Licence

`{license}`: each file keeps the licence of the repository it comes from; check the `repo`/`path` fields
before reuse.

## Filter funnel

{funnel}

## Decontamination

{decontamination}

## Citation

```bibtex
@article{{guo2024deepseekcoder,
  title   = {{DeepSeek-Coder: When the Large Language Model Meets Programming -- The Rise of Code Intelligence}},
  journal = {{arXiv preprint arXiv:2401.14196}},
  year    = {{2024}}
}}
```
"""
    return DatasetCard(content)


def push_dataset(folder: str | Path, repo_id: str, *, license: str = "other", private: bool = True,
                 logs_dir: str | Path | None = None, decontamination_report: str | Path | None = None,
                 description: str = "", export_dir: str | Path | None = None) -> str:
    """Export ``folder`` in the Hub layout (:func:`export_dataset`, to ``export_dir``, default ``<folder>_hub``
    beside it, kept so what was pushed can be read locally) and upload it in one commit; returns its URL."""
    from huggingface_hub import CommitOperationAdd, HfApi

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    target = Path(export_dir) if export_dir is not None else folder.with_name(f"{folder.name}_hub")
    export_dataset(folder, target, repo_id, license, logs_dir=logs_dir, decontamination_report=decontamination_report,
                   description=description)  # fmt: skip
    shards = sorted((target / "data").glob("*.parquet"))
    operations = [CommitOperationAdd(path_in_repo=f"data/{p.name}", path_or_fileobj=str(p)) for p in shards]
    operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=str(target / "README.md")))
    api = HfApi()
    api.create_repo(repo_id=repo_id, repo_type="dataset", private=private, exist_ok=True)
    commit = api.create_commit(repo_id=repo_id, repo_type="dataset", operations=operations,
                               commit_message=f"dscoder data push: {len(shards)} Parquet shard(s) and the dataset card")  # fmt: skip
    return str(getattr(commit, "commit_url", commit))
