"""The embedded default corpus: real, repository-structured code that exists on every machine with Python.

The standard library and the installed site-packages stand in for GitHub (report §2.1): each distribution
(or, in the standard library, each top-level package) is one repository, and every file keeps its path inside
it, so the repository-level stages (dependency ordering, repo-level dedup) see real import graphs. Records
follow the file-record contract (docs/design.md: ``text``, ``id``, ``repo``, ``path``, ``language``, ``size``).

What is skipped is counted, never fatal: binary files (a NUL byte in the first 8 KiB), non-UTF-8 files, files
in no supported language, empty files, files over ``max_file_bytes`` and links. Output is deterministic for a
given Python environment: repositories are taken in a stable hashed order and files in path order.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from dscoder.data.languages import language_of

_SKIP_DIRS = {"__pycache__", ".git", "site-packages", "dist-packages", "node_modules", ".venv"}
_BINARY_SNIFF_BYTES = 8192


@dataclass
class Repository:
    """One repository of the demo corpus: a name and the folders/files it is made of."""

    name: str
    source: str  # "stdlib" or "site-packages"
    roots: list[Path] = field(default_factory=list)  # each root's files get paths relative to root.parent


@dataclass
class CorpusStats:
    repositories: int = 0
    files: int = 0
    bytes: int = 0
    skipped: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {
            "repositories": self.repositories,
            "files": self.files,
            "bytes": self.bytes,
            "skipped": dict(sorted(self.skipped.items())),
            "languages": dict(self.languages.most_common()),
        }


def stable_id(repo: str, path: str) -> str:
    """A document id that depends only on the repository and the path (never on Python's ``hash()``)."""
    return hashlib.sha1(f"{repo}\0{path}".encode()).hexdigest()[:20]


def _stable_order(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def default_source_dirs() -> tuple[Path, list[Path]]:
    """This interpreter's standard library folder and its site-packages folders."""
    paths = sysconfig.get_paths()
    site_dirs = list(dict.fromkeys(Path(paths[k]) for k in ("purelib", "platlib")))
    return Path(paths["stdlib"]), site_dirs


def discover_repositories(
    include_stdlib: bool = True,
    include_site_packages: bool = True,
    stdlib_dir: Path | None = None,
    site_dirs: list[Path] | None = None,
) -> list[Repository]:
    """Repositories of a Python environment: stdlib top-level packages and installed distributions.

    ``stdlib_dir`` and ``site_dirs`` default to this interpreter's folders.
    """
    default_stdlib, default_sites = default_source_dirs()
    stdlib = Path(stdlib_dir) if stdlib_dir is not None else default_stdlib
    sites = [Path(d) for d in site_dirs] if site_dirs is not None else default_sites
    repos: dict[str, Repository] = {}
    if include_stdlib:
        modules = Repository("stdlib/toplevel-modules", "stdlib")
        for entry in sorted(stdlib.iterdir()):
            if entry.name in _SKIP_DIRS or entry.name.startswith(("config-", ".")) or entry.is_symlink():
                continue
            if entry.is_dir() and (entry / "__init__.py").is_file():
                repos[f"stdlib/{entry.name}"] = Repository(f"stdlib/{entry.name}", "stdlib", [entry])
            elif entry.is_file() and entry.suffix == ".py":
                modules.roots.append(entry)
        if modules.roots:
            repos[modules.name] = modules
    if include_site_packages:
        from importlib.metadata import packages_distributions

        top_to_dist = packages_distributions()
        for site in sites:
            if not site.is_dir():
                continue
            for entry in sorted(site.iterdir()):
                name = entry.name
                if (
                    name in _SKIP_DIRS
                    or name.startswith((".", "_"))
                    or name.endswith((".dist-info", ".egg-info", ".pth", ".data"))
                    or entry.is_symlink()
                ):
                    continue
                top = entry.stem if entry.is_file() else name
                if entry.is_file() and entry.suffix != ".py":
                    continue
                dist = (top_to_dist.get(top) or [top])[0]
                repo_name = f"pypi/{dist.lower().replace('_', '-')}"
                repos.setdefault(repo_name, Repository(repo_name, "site-packages")).roots.append(entry)
    return sorted(repos.values(), key=lambda r: _stable_order(r.name))


def _iter_files(repo: Repository):
    for root in repo.roots:
        if root.is_file():
            yield root, root.name
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            for fname in sorted(filenames):
                full = Path(dirpath) / fname
                yield full, full.relative_to(root.parent).as_posix()


def read_source_file(full: Path, max_file_bytes: int, budget: int | None = None) -> tuple[str | None, str | None]:
    """Return ``(text, None)`` or ``(None, skip_reason)`` for one file on disk.

    ``budget`` (bytes still allowed) lets a caller skip an over-budget file without reading it.
    """
    try:
        if full.is_symlink():
            return None, "symlink"
        size = full.stat().st_size
        if size == 0:
            return None, "empty"
        if size > max_file_bytes:
            return None, "too_large"
        if budget is not None and size > budget:
            return None, "over_budget"
        raw = full.read_bytes()
    except OSError:
        return None, "unreadable"
    if b"\0" in raw[:_BINARY_SNIFF_BYTES]:
        return None, "binary"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "non_utf8"
    if not text.strip():
        return None, "empty"
    return text, None


def iter_demo_records(
    repos: list[Repository],
    max_repos: int,
    max_bytes: int,
    max_repo_bytes: int,
    max_file_bytes: int,
    stats: CorpusStats,
    progress=None,
):
    """Yield file records for the first ``max_repos`` repositories, within the byte budgets."""
    taken = 0
    for repo in repos:
        if taken >= max_repos or stats.bytes >= max_bytes:
            break
        repo_bytes, repo_files = 0, []
        for full, rel in _iter_files(repo):
            language = language_of(rel)
            if language is None:
                stats.skipped["unknown_language"] += 1
                continue
            budget = min(max_repo_bytes - repo_bytes, max_bytes - stats.bytes - repo_bytes)
            text, reason = read_source_file(full, max_file_bytes, budget)
            if reason:
                stats.skipped[reason] += 1
                continue
            size = len(text.encode("utf-8"))
            if repo_bytes + size > max_repo_bytes or stats.bytes + repo_bytes + size > max_bytes:
                stats.skipped["over_budget"] += 1
                continue
            repo_bytes += size
            repo_files.append(
                {
                    "id": stable_id(repo.name, rel),
                    "text": text,
                    "repo": repo.name,
                    "path": rel,
                    "language": language,
                    "size": size,
                    "source": repo.source,
                }
            )
        if not repo_files:
            stats.skipped["empty_repository"] += 1
            continue
        taken += 1
        stats.repositories += 1
        stats.files += len(repo_files)
        stats.bytes += repo_bytes
        for rec in repo_files:
            stats.languages[rec["language"]] += 1
        if progress is not None:
            progress(repo.name, len(repo_files), repo_bytes)
        yield from repo_files


def build_demo_corpus(
    output_dir: str | Path,
    max_repos: int = 80,
    max_bytes: int = 16_000_000,
    max_repo_bytes: int = 1_000_000,
    max_file_bytes: int = 500_000,
    shards: int = 2,
    output_format: str = "jsonl.gz",
    include_stdlib: bool = True,
    include_site_packages: bool = True,
    show_progress: bool = True,
    stdlib_dir: Path | None = None,
    site_dirs: list[Path] | None = None,
    plant_contamination: bool = False,
) -> CorpusStats:
    """Build the demo corpus into ``output_dir`` as ``shards`` files (each repository wholly in one shard).

    ``output_format`` is ``jsonl.gz``, ``jsonl`` or ``parquet``. A ``stats.json`` beside the shards records
    what was kept and what was skipped and why.
    """
    if output_format not in ("jsonl.gz", "jsonl", "parquet"):
        raise ValueError(f"output_format must be jsonl.gz, jsonl or parquet; got {output_format!r}")
    if shards < 1:
        raise ValueError("shards must be >= 1")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.jsonl*"):
        old.unlink()
    for old in out.glob("*.parquet"):
        old.unlink()
    stats = CorpusStats()
    repos = discover_repositories(include_stdlib, include_site_packages, stdlib_dir, site_dirs)

    from tqdm.auto import tqdm

    bar = tqdm(total=min(max_repos, len(repos)), desc="demo corpus", unit="repo", disable=not show_progress)

    def progress(name, n_files, n_bytes):
        bar.set_postfix_str(f"{name} ({n_files} files)", refresh=False)
        bar.update(1)

    shard_records: list[list[dict]] = [[] for _ in range(shards)]
    repo_index: dict[str, int] = {}
    for rec in iter_demo_records(repos, max_repos, max_bytes, max_repo_bytes, max_file_bytes, stats, progress):
        shard = repo_index.setdefault(rec["repo"], len(repo_index) % shards)
        shard_records[shard].append(rec)
    bar.close()
    if plant_contamination:  # one synthetic file embedding HumanEval/12, so decontamination has a real hit
        from dscoder.data.decontamination.planted import planted_contamination_record

        rec = planted_contamination_record()
        shard_records[0].append(rec)
        stats.repositories, stats.files, stats.bytes = stats.repositories + 1, stats.files + 1, stats.bytes + rec["size"]
        stats.languages[rec["language"]] += 1

    for i, records in enumerate(shard_records):
        path = out / f"{i:05d}.{output_format}"
        if output_format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(records), path)
        else:
            opener = gzip.open if output_format.endswith(".gz") else open
            with opener(path, "wb") as fh:
                for rec in records:
                    fh.write(orjson.dumps(rec) + b"\n")
    stats_dict = stats.to_dict() | {"python": sys.version.split()[0], "shards": shards, "format": output_format}
    (out / "stats.json").write_bytes(orjson.dumps(stats_dict, option=orjson.OPT_INDENT_2))
    return stats
