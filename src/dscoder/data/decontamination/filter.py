"""``BenchmarkDecontaminationFilter``: the datatrove block that drops contaminated documents (report §2.4).

A document is dropped when it contains an indexed 10-gram of a benchmark task or one of its short protected
strings exactly; the reason names the strongest task (most matches), e.g.
``contaminated:humaneval/HumanEval/12``. The same block runs on file records and on repository samples
(DESIGN "Samples"): for a sample with a ``files`` list, the match is attributed to the file whose path
header precedes it. The dropped document carries ``metadata["contamination"]`` (every task hit, the first
match's line, file and normalised text) for :mod:`dscoder.data.decontamination.report`.
"""

from __future__ import annotations

from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from dscoder.data.decontamination.index import DecontaminationIndex, ScanResult

MAX_TASKS_KEPT = 20  # tasks listed per dropped document
SNIPPET_TOKENS = 24


class BenchmarkDecontaminationFilter(BaseFilter):
    """Drop documents sharing an n-gram (or a short exact string) with a benchmark task.

    Args:
        index_dir: folder of a :class:`DecontaminationIndex` (built once, memory-mapped by every task).
        exclusion_writer: optional writer for the dropped documents (with ``filter_reason``).
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
        result = self.index.scan(doc.text)
        if not result.contaminated:
            return True
        top = result.hits[0]
        self.stat_update(f"contaminated_{top.benchmark}")
        doc.metadata["contamination"] = describe_hits(doc, result)
        return False, top.reason


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
