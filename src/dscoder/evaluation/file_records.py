"""File records (docs/design.md: id, text, repo, path, language) of the evaluation sets built from a corpus: read
through the data pipeline's checked reader (:func:`dscoder.data.readers.build_reader`), grouped by repository."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

__all__ = ["read_repositories"]


def read_repositories(path: str | Path, languages: tuple[str, ...] | None = None) -> dict[str, dict[str, dict]]:
    """``{repo: {path: record}}`` of every file record under ``path`` (a folder of JSONL/Parquet shards or one
    file), keeping only ``languages`` when given. Records without ``repo``/``path`` are an error naming them."""
    from dscoder.data.readers import ReaderConfig, build_reader

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"file records not found: {path}")
    folder, pattern = (path.parent, path.name) if path.is_file() else (path, None)
    fmt = "parquet" if (pattern or "").endswith(".parquet") or (not pattern and any(path.rglob("*.parquet"))) else "jsonl"
    reader = build_reader(ReaderConfig(format=fmt, folder=folder, glob_pattern=pattern))
    repos: dict[str, dict[str, dict]] = defaultdict(dict)
    for doc in reader.run():
        meta = doc.metadata
        if "repo" not in meta or "path" not in meta:
            raise ValueError(f"{path}: record {doc.id!r} has no 'repo'/'path' (docs/design.md file-record fields)")
        if languages and meta.get("language") not in languages:
            continue
        repos[str(meta["repo"])][str(meta["path"])] = {"id": doc.id, "text": doc.text, **meta}
    return dict(repos)
