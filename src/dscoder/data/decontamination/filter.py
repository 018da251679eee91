"""``BenchmarkDecontaminationFilter``: the datatrove block that removes contaminated code (report §2.4).

A file record, or a file-level sample, that matches a benchmark task (see :mod:`.index` for the modes) is
dropped; the reason names the strongest task (most matches), e.g. ``contaminated:humaneval/HumanEval/12``.
A repository-level sample (docs/design.md "Samples": ``files`` + path headers, ``sample_kind: repo``) loses only its
contaminated files, the report's "piece of code": each file is scanned alone, the sample is re-emitted without
them (the other files in their dependency order, headers re-formed by the repo-level stage's
:func:`~dscoder.data.repo_level.samples.join_sample`), and each removed file goes to the exclusion writer as
its own record (``repo``, ``path``, ``sample_id``, ``filter_reason``). A sample left empty is dropped. A sample
whose text cannot be split back into its files, or whose match spans files with no file matching alone, is
dropped whole (stats ``unsplittable_samples`` / ``cross_file_matches``).
Dropped documents and removed files carry ``contamination`` (every task hit, the first match's line, file and
normalised text) for :mod:`dscoder.data.decontamination.report`. Stats also count bytes in and dropped.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.typeshelper import StatHints

from dscoder.data.decontamination.index import DecontaminationIndex, ScanResult
from dscoder.data.repo_level.samples import join_sample, split_sample

MAX_TASKS_KEPT = 20  # tasks listed per dropped document
SNIPPET_TOKENS = 24


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


class BenchmarkDecontaminationFilter(BaseFilter):
    """Drop documents (or files of repository samples) matching a benchmark task.

    Args:
        index_dir: folder of a :class:`DecontaminationIndex` (built once, memory-mapped by every task).
        exclusion_writer: optional writer for the dropped documents and removed files (with ``filter_reason``).
    """

    name = "🧼 Benchmark decontamination"

    def __init__(self, index_dir: str | Path, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.index_dir = str(index_dir)
        self._index: DecontaminationIndex | None = None

    @property
    def index(self) -> DecontaminationIndex:
        if self._index is None:  # loaded in the worker, not pickled with the pipeline
            self._index = DecontaminationIndex.load(self.index_dir)
        return self._index

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_index"] = None
        return state

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        """Whole-document decision (file records); :meth:`run` also trims repository samples."""
        result = self.index.scan(doc.text)
        if not result.contaminated:
            return True
        top = result.hits[0]
        self.stat_update(f"contaminated_{top.benchmark}")
        doc.metadata["contamination"] = describe_hits(doc, result)
        return False, top.reason

    def trim_sample(self, doc: Document) -> list[Document] | None:
        """Remove the contaminated files of a repository sample in place; the removed files as documents, or
        ``None`` when the sample cannot be trimmed (not a multi-file sample, unsplittable, cross-file match)."""
        files = doc.metadata.get("files")
        if doc.metadata.get("sample_kind") != "repo" or not isinstance(files, list) or len(files) < 2:
            return None
        language = str(doc.metadata.get("language"))
        try:
            parts = split_sample(doc.text, [str(p) for p in files], language)
        except ValueError:
            self.stat_update("unsplittable_samples")
            return None
        kept, removed = [], []
        for path, text in parts:
            file_doc = Document(text=text, id=f"{doc.id}::{path}", metadata={
                k: v for k, v in doc.metadata.items() if k not in ("files", "sample_kind", "contamination")})
            file_doc.metadata.update(path=path, sample_id=doc.id, sample_kind="file_removed")
            result = self.index.scan(text)
            if result.contaminated:
                top = result.hits[0]
                self.stat_update(f"contaminated_{top.benchmark}")
                file_doc.metadata["contamination"] = describe_hits(file_doc, result)
                file_doc.metadata["filter_reason"] = top.reason
                removed.append(file_doc)
            else:
                kept.append((path, text))
        if not removed:
            self.stat_update("cross_file_matches")
            return None
        doc.text = join_sample(kept, language) if kept else ""
        doc.metadata["files"] = [p for p, _ in kept]
        return removed

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for doc in data:
                self.stat_update(StatHints.total)
                size = _nbytes(doc.text)
                self.stat_update("bytes_in", value=size)
                with self.track_time():
                    result = self.index.scan(doc.text)
                    removed = self.trim_sample(doc) if result.contaminated else None
                if not result.contaminated or (removed is not None and doc.metadata["files"]):
                    if removed:
                        self.stat_update("samples_trimmed")
                        self.stat_update("files_removed", value=len(removed))
                        self.stat_update("bytes_dropped", value=size - _nbytes(doc.text))
                        if writer:
                            for file_doc in removed:
                                writer.write(file_doc, rank)
                    self.stat_update(StatHints.forwarded)
                    self.update_doc_stats(doc)
                    yield doc
                    continue
                # the whole document goes: a file record, an untrimmable sample, or a sample left empty
                self.stat_update(StatHints.dropped)
                self.stat_update("bytes_dropped", value=size)
                if removed is not None:  # every file of the sample matched: the removed files are the record
                    self.stat_update("files_removed", value=len(removed))
                    for file_doc in removed:
                        self.stat_update(f"dropped_{file_doc.metadata['filter_reason']}")
                        if writer:
                            writer.write(file_doc, rank)
                    continue
                top = result.hits[0]
                self.stat_update(f"contaminated_{top.benchmark}")
                self.stat_update(f"dropped_{top.reason}")
                if writer:
                    doc.metadata["contamination"] = describe_hits(doc, result)
                    doc.metadata["filter_reason"] = top.reason
                    writer.write(doc, rank)


def describe_hits(doc: Document, result: ScanResult) -> dict:
    """What a contaminated document hit, JSON-ready: tasks (strongest first), where the first match is."""
    top = result.hits[0]
    stream = result.stream
    first = max(top.first_token, 0)
    last = min(first + SNIPPET_TOKENS, stream.n_tokens) - 1
    byte_offset = int(stream.orig_starts[first]) if stream.n_tokens else 0
    prefix = doc.text.encode("utf-8", "surrogatepass")[:byte_offset].decode("utf-8", errors="ignore")
    info = {
        "benchmark": top.benchmark,
        "task_id": top.task_id,
        "ngrams": top.ngrams,
        "exact": top.exact,
        "line": prefix.count("\n") + 1,
        "snippet": stream.span_text(first, last),
        "tasks": [
            {"benchmark": h.benchmark, "task_id": h.task_id, "ngrams": h.ngrams, "exact": h.exact}
            for h in result.hits[:MAX_TASKS_KEPT]
        ],
        "n_tasks": len(result.hits),
    }
    files = doc.metadata.get("files")
    if isinstance(files, list) and files:
        # a repository sample: the match lies in the last file whose path header comes before it
        best = max(((prefix.rfind(str(p)), str(p)) for p in files), default=(-1, None))
        if best[0] >= 0:
            info["file"] = best[1]
    elif doc.metadata.get("path"):
        info["file"] = doc.metadata["path"]
    return info
