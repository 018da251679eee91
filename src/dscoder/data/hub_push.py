"""Publish a pipeline output folder as a Hugging Face Hub dataset, with a dataset card (``dscoder data push``).

The data files go up as they are (the JSONL.gz / Parquet shards datatrove writers produce, under ``data/``), in
one commit with a ``README.md`` built with ``huggingface_hub``'s ``DatasetCard``: the ``configs`` entry that lets
``datasets.load_dataset(repo_id)`` read the shards, the licence field, the filter funnel of the run (from its
datatrove logging folder) and the decontamination report (``contamination_report.json``) when given.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["DATA_SUFFIXES", "dataset_card", "push_dataset"]

#: shard suffixes that are data (everything else in the folder stays local)
DATA_SUFFIXES = (".jsonl.gz", ".jsonl", ".parquet")


def _data_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(DATA_SUFFIXES))
    if not files:
        raise FileNotFoundError(f"{folder}: no data files ({', '.join(DATA_SUFFIXES)}) to publish")
    kinds = {".parquet" if p.name.endswith(".parquet") else ".jsonl" for p in files}
    if len(kinds) != 1:
        raise ValueError(f"{folder}: holds both JSONL and Parquet shards; publish one format per dataset")
    return files


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
                 decontamination_report: str | Path | None = None, description: str = ""):
    """The ``huggingface_hub.DatasetCard`` for a pipeline output folder."""
    from huggingface_hub import DatasetCard, DatasetCardData

    folder = Path(folder)
    files = _data_files(folder)
    pattern = "data/**/*.parquet" if files[0].name.endswith(".parquet") else "data/**/*.jsonl*"
    data = DatasetCardData(license=license, task_categories=["text-generation"], tags=["code", "dscoder"],
                           configs=[{"config_name": "default", "data_files": [{"split": "train", "path": pattern}]}])  # fmt: skip
    funnel = _funnel_markdown(Path(logs_dir)) if logs_dir else "Not given (`dscoder data push --logs LOGDIR`)."
    decontamination = (_decontamination_markdown(Path(decontamination_report)) if decontamination_report
                       else "Not given (`dscoder data push --decontamination-report FILE`).")  # fmt: skip
    size = sum(p.stat().st_size for p in files)
    content = f"""---
{data.to_yaml()}
---

# {repo_id}

{description or "Code data produced by the dscoder pipeline (the DeepSeek-Coder data recipe, arXiv 2401.14196 §2)."}

{len(files)} shard(s), {size:,} bytes compressed, under `data/`. Load with `datasets.load_dataset("{repo_id}")`.

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
                 description: str = "") -> str:
    """Upload the data shards of ``folder`` (under ``data/``) and a dataset card in one commit; returns its URL."""
    from huggingface_hub import CommitOperationAdd, HfApi

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    files = _data_files(folder)
    card = dataset_card(folder, repo_id, license, logs_dir=logs_dir, decontamination_report=decontamination_report,
                        description=description)  # fmt: skip
    operations = [CommitOperationAdd(path_in_repo=f"data/{p.relative_to(folder).as_posix()}", path_or_fileobj=str(p))
                  for p in files]  # fmt: skip
    operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=str(card).encode("utf-8")))
    api = HfApi()
    api.create_repo(repo_id=repo_id, repo_type="dataset", private=private, exist_ok=True)
    commit = api.create_commit(repo_id=repo_id, repo_type="dataset", operations=operations,
                               commit_message=f"dscoder data push: {len(files)} shard(s) and the dataset card")  # fmt: skip
    return str(getattr(commit, "commit_url", commit))
