"""Distributed group-by-repository for datatrove (which has none) and the ordering step that consumes it.

Pass 1 (:class:`RepoBucketRouter` + a ``JsonlWriter`` with ``output_filename="${repo_bucket}/${rank}.jsonl.gz"``)
routes every file record to the bucket ``xxh64(repo) % buckets`` (a stable hash: never Python's ``hash()``,
which is salted per process), each task writing one shard per bucket. Pass 2 (:class:`RepoSampleBuilder`) runs
one task per bucket (or several buckets per task), reads the bucket's shards, groups the records by repository
and turns each repository into samples (:func:`.builder.build_repository_samples`).

Memory per pass-2 task is bounded by one bucket (the stage sizes buckets by bytes: ``grouping.bucket_mb``).
Build manifests (``go.mod``, ``package.json``, ...: records with ``metadata.manifest`` or a manifest file name and
no training language) travel with their repository and inform import resolution; they never become samples. A repository over
``max_repo_files`` / ``max_repo_bytes`` is cut in path order into parts within the limits
(:func:`.builder.split_repository`) so that no single graph or sample grows without bound.

Resumability: both passes write files named by their task rank and opened for writing from scratch, so a task
that died half-way and is rerun (datatrove skips the tasks it had marked completed) rewrites the same files:
no document is lost or doubled.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections import defaultdict

import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.disk_base import DiskWriter

from dscoder.data.languages import SUPPORTED_LANGUAGES, is_module_manifest

from .builder import (
    FileRecord,
    build_repository_samples,
    check_record,
    split_repository,
)
from .config import GroupingConfig, OrderingConfig

__all__ = ["BUCKET_FILENAME", "RepoBucketRouter", "RepoSampleBuilder", "bucket_name", "bucket_of"]

#: output_filename of pass 1's writer
BUCKET_FILENAME = "${repo_bucket}/${rank}.jsonl.gz"


def bucket_of(repo: str, buckets: int) -> int:
    """Stable bucket of a repository name (same on every machine, process and Python version)."""
    return xxhash.xxh64_intdigest(repo.encode("utf-8", "surrogatepass")) % buckets


def bucket_name(bucket: int) -> str:
    return f"bucket_{bucket:05d}"


class RepoBucketRouter(PipelineStep):
    """Pass 1: validate each file record and tag it with its repository's bucket (``metadata.repo_bucket``).

    Records the later steps cannot use are dropped with a reason (``repo_level:missing_repo``,
    ``repo_level:binary``, ``repo_level:empty``, ...) and sent to ``exclusion_writer`` when one is given."""

    name = "🗂 repo bucket router"
    type = "🔀 - GROUP"

    def __init__(self, buckets: int, exclusion_writer: DiskWriter | None = None):
        super().__init__()
        self.buckets = buckets
        self.exclusion_writer = exclusion_writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for doc in data:
                path, language = doc.metadata.get("path"), doc.metadata.get("language")
                if isinstance(path, str) and is_module_manifest(path) and language not in SUPPORTED_LANGUAGES:
                    doc.metadata["manifest"] = True  # go.mod & co.: read to resolve imports, never a sample
                if doc.metadata.get("manifest"):
                    language = "manifest"
                self.stat_update("manifests_in" if doc.metadata.get("manifest") else "files_in")
                repo = doc.metadata.get("repo")
                reason = "repo_level:missing_repo" if not isinstance(repo, str) or not repo else None
                reason = reason or check_record(path, doc.text, language)
                if reason is not None:
                    self.stat_update(reason)
                    if writer:
                        doc.metadata["filter_reason"] = reason
                        writer.write(doc, rank)
                    continue
                doc.metadata["repo_bucket"] = bucket_name(bucket_of(repo, self.buckets))
                self.stat_update("routed")
                yield doc


class RepoSampleBuilder(PipelineStep):
    """Pass 2: read this task's buckets, group by repository, order each one and yield its samples.

    Run it with ``tasks <= buckets``; task ``r`` handles buckets ``r, r + tasks, ...``. Per-repository counts
    (components, edges, cycles broken, in-order edges of both orders) go to the task's stats."""

    name = "🧭 repo ordering (dependency order)"
    type = "🔀 - GROUP"

    def __init__(self, buckets_folder: DataFolderLike, grouping: GroupingConfig, ordering: OrderingConfig):
        super().__init__()
        self.buckets_folder = get_datafolder(buckets_folder)
        self.grouping = grouping
        self.ordering = ordering

    def _read_bucket(self, bucket: int) -> dict[str, list[Document]]:
        folder = bucket_name(bucket)
        repos: dict[str, list[Document]] = defaultdict(list)
        if not self.buckets_folder.isdir(folder):
            return repos
        reader = JsonlReader(
            self.buckets_folder.resolve_paths(folder), glob_pattern="*.jsonl.gz", doc_progress=False, add_file_path=False
        )
        for doc in reader.run(None, 0, 1):
            repos[doc.metadata["repo"]].append(doc)
        return repos

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:  # this step reads its own input; pass-through anything given to it
            yield from data
        for bucket in range(rank, self.grouping.buckets, world_size):
            repos = self._read_bucket(bucket)
            for repo in sorted(repos):
                yield from self._repository(repo, repos.pop(repo))  # pop: release a finished repository's texts

    def _repository(self, repo: str, docs: list[Document]):
        records: dict[str, FileRecord] = {}
        manifests: dict[str, FileRecord] = {}
        for doc in sorted(docs, key=lambda d: (d.metadata["path"], d.id)):
            path = posixpath.normpath(doc.metadata["path"].replace("\\", "/")).lstrip("/")
            if is_module_manifest(path) and path not in manifests:
                manifests[path] = FileRecord(doc.id, path, doc.text, str(doc.metadata.get("language")))
            if doc.metadata.get("manifest"):
                continue  # carried for import resolution only
            if path in records:
                self.stat_update("repo_level:duplicate_path")
                continue
            meta = {k: v for k, v in doc.metadata.items() if k not in ("repo_bucket", "path", "repo", "language")}
            records[path] = FileRecord(doc.id, path, doc.text, doc.metadata["language"], meta)
        files = list(records.values())
        extra = list(manifests.values())
        self.stat_update("manifests", value=len(extra))
        if not files:
            self.stat_update("manifest_only_repositories")  # e.g. a held-out repository's go.mod
            return
        self.stat_update("repositories")
        if len(files) == 1:
            self.stat_update("one_file_repositories")
        parts = split_repository(files, self.grouping.max_repo_files, self.grouping.max_repo_bytes)
        if len(parts) > 1:
            self.stat_update("repositories_split")
            self.stat_update("repository_parts", value=len(parts))
        for k, part in enumerate(parts):
            result = build_repository_samples(repo, part, self.ordering, part=k if len(parts) > 1 else None, extra=extra)
            for key, value in result.counts.items():
                if value:
                    self.stat_update(key, value=value)
            # both orders over the same edges: acyclic in + out of order = acyclic_edges (cyclic ones apart)
            for prefix, stats in (("paper", result.paper), ("scc", result.scc)):
                acyclic_out = stats.acyclic_edges - stats.acyclic_in_order
                self.stat_update(f"{prefix}_acyclic_in_order", value=stats.acyclic_in_order)
                self.stat_update(f"{prefix}_acyclic_out_of_order", value=acyclic_out)
                self.stat_update(f"{prefix}_cyclic_out_of_order", value=stats.out_of_order - acyclic_out)
            self.stat_update("acyclic_edges", value=result.paper.acyclic_edges)
            self.stat_update("cyclic_edges", value=result.paper.cyclic_edges)
            for sample in result.samples:
                yield Document(text=sample.text, id=sample.id, metadata=sample.metadata)

