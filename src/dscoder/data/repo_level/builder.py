"""One repository's file records → its samples (report §2.2): dependency graph per language family,
Algorithm 1 (or the SCC-aware order) per weakly connected component, one document per component for the
repository-level languages and one per file for the rest. Pure Python, no datatrove: the pipeline step in
:mod:`.grouping` feeds it one repository at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..notebooks import NOTEBOOK_LANGUAGE_KEY
from .config import OrderingConfig
from .deps import SourceFile, family_of, make_extractor
from .ordering import (
    OrderStats,
    edge_order_stats,
    order_paper,
    order_scc,
    strongly_connected_components,
    tie_keys,
)
from .samples import render_sample

__all__ = ["FileRecord", "RepoResult", "Sample", "build_repository_samples", "check_record", "split_repository"]

#: metadata carried from a repository's first file onto its samples when present
_CARRIED = ("stars", "license", "source")


@dataclass
class FileRecord:
    """A file record (docs/design.md "File records") as the builder sees it."""

    id: str
    path: str
    text: str
    language: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8", "surrogatepass"))


@dataclass
class Sample:
    id: str
    text: str
    metadata: dict[str, Any]


@dataclass
class RepoResult:
    samples: list[Sample] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    paper: OrderStats = field(default_factory=OrderStats)
    scc: OrderStats = field(default_factory=OrderStats)

    def add(self, other: RepoResult) -> None:
        self.samples.extend(other.samples)
        self.counts.update(other.counts)
        self.paper.add(other.paper)
        self.scc.add(other.scc)


def check_record(path: Any, text: Any, language: Any) -> str | None:
    """The drop reason of a record the builder cannot use, ``None`` for a good one."""
    if not isinstance(path, str) or not path.strip():
        return "repo_level:missing_path"
    if not isinstance(text, str):
        return "repo_level:unreadable"
    if "\x00" in text:
        return "repo_level:binary"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "repo_level:unreadable"
    if not text.strip():
        return "repo_level:empty"
    if not isinstance(language, str) or not language:
        return "repo_level:missing_language"
    return None


def split_repository(files: Sequence[FileRecord], max_files: int, max_bytes: int) -> list[list[FileRecord]]:
    """Cut a repository, in path order, into consecutive parts of at most ``max_files`` files and
    ``max_bytes`` bytes (a single larger file is a part of its own). Path order keeps folders together, so
    most dependency edges (which are mostly local) stay inside one part."""
    parts: list[list[FileRecord]] = [[]]
    size = 0
    for f in sorted(files, key=lambda f: f.path):
        if parts[-1] and (len(parts[-1]) >= max_files or size + f.size > max_bytes):
            parts.append([])
            size = 0
        parts[-1].append(f)
        size += f.size
    return parts if parts[0] else []


def _dominant(languages: Iterable[str]) -> str:
    counts = Counter(languages)
    return min(counts, key=lambda lang: (-counts[lang], lang))


def build_repository_samples(
    repo: str, files: Sequence[FileRecord], config: OrderingConfig, part: int | None = None, extra: Sequence[FileRecord] = ()
) -> RepoResult:
    """Order and concatenate one repository (or one part of a split repository).

    ``extra`` holds manifests (``go.mod``, ``package.json``, ...: :data:`dscoder.data.languages.MODULE_MANIFESTS`):
    records that are never samples but inform import resolution."""
    result = RepoResult()
    result.counts["files"] += len(files)
    repo_level = set(config.repo_level_languages)
    families: dict[str, list[FileRecord]] = {}
    file_level: list[FileRecord] = []
    for f in sorted(files, key=lambda f: f.path):
        family = family_of(f.language) if f.language in repo_level else None
        if family is None:
            file_level.append(f)
        else:
            families.setdefault(family, []).append(f)
    carried = {k: files[0].metadata[k] for k in _CARRIED if files and k in files[0].metadata}
    if part is not None:
        carried["repo_part"] = part
    for family, members in sorted(families.items()):
        _order_family(repo, family, members, config, carried, result, extra)
    for f in file_level:
        # a notebook read as a script (dscoder.data.notebooks) is commented in its kernel's language
        comment_language = f.metadata.get(NOTEBOOK_LANGUAGE_KEY) or f.language
        text = render_sample([(f.path, comment_language, f.text)], with_paths=config.path_comments_in_file_samples)
        meta = {"repo": repo, "language": f.language, "files": [f.path], "sample_kind": "file", **carried}
        result.samples.append(Sample(id=f"{repo}::{f.path}", text=text, metadata=meta))
        result.counts["samples_file"] += 1
    return result


def _order_family(
    repo: str,
    family: str,
    members: list[FileRecord],
    config: OrderingConfig,
    carried: dict[str, Any],
    result: RepoResult,
    extra: Sequence[FileRecord],
) -> None:
    options = {"extra_include_dirs": config.c_include_dirs, "manifests": {f.path: f.text for f in extra}}
    deps = make_extractor(family, **options).extract([SourceFile(f.path, f.text, f.language) for f in members])
    n = len(members)
    keys = tie_keys([f.path for f in members], config.tie_break, seed=_seed(config.seed, repo, family))
    paper = order_paper(n, deps.edges, keys, deps.groups)
    scc_order = order_scc(n, deps.edges, keys, deps.groups, deps.weak)
    scc = strongly_connected_components(n, deps.edges)
    paper_stats = edge_order_stats(n, deps.edges, paper, scc)
    scc_stats = edge_order_stats(n, deps.edges, scc_order, scc)
    result.paper.add(paper_stats)
    result.scc.add(scc_stats)
    c = result.counts
    c["files_repo_level"] += n
    c["references"] += deps.references
    c["resolved_references"] += deps.resolved
    c["unresolved_references"] += deps.unresolved
    c["self_imports"] += deps.self_imports
    c["edges"] += paper_stats.edges
    c["cycles_broken"] += paper_stats.cycles
    chosen = paper if config.order == "paper" else scc_order
    for component in chosen:
        ordered = [members[v] for v in component]
        text = render_sample([(f.path, f.language, f.text) for f in ordered])
        meta = {
            "repo": repo,
            "language": _dominant(f.language for f in ordered),
            "files": [f.path for f in ordered],
            "sample_kind": "repo",
            **carried,
        }
        result.samples.append(Sample(id=f"{repo}::{ordered[0].path}", text=text, metadata=meta))
        c["components"] += 1
        c["samples_repo"] += 1


def _seed(seed: int, repo: str, family: str) -> int:
    """A per-repository seed that does not depend on the order repositories are processed in."""
    import zlib

    return seed * 1_000_003 + zlib.crc32(f"{repo}\0{family}".encode())
