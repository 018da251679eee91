"""The contamination report: per benchmark, which tasks training documents hit, by how many, with examples.

Built from what the decontamination filter excluded (whole documents, and files removed from repository
samples, each with its ``contamination`` metadata, see :mod:`dscoder.data.decontamination.filter`) and the
index's task table; written as JSON and shown as a rich table, so it can be published next to evaluation results.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path

from dscoder.benchmarks import iter_json_lines
from dscoder.data.decontamination.index import DecontaminationIndex

TOP_TASKS = 10
EXAMPLES = 3


def iter_excluded(excluded_dir: str | Path):
    """Records of the JSONL(.gz) files under ``excluded_dir`` (a malformed line is an error naming it)."""
    for path in sorted(Path(excluded_dir).rglob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for _, record in iter_json_lines(fh, path):
                yield record


def build_report(excluded_dir: str | Path, index: DecontaminationIndex, documents_scanned: int | None = None
                 ) -> dict:
    """Per-benchmark contamination summary of the documents in ``excluded_dir``.

    ``documents_dropped`` counts whole documents, ``files_removed`` the files taken out of repository samples
    (``sample_kind: file_removed``; a sample whose every file matched is dropped as its files); per benchmark
    ``documents_dropped`` counts both kinds of record by their strongest task.
    """
    tasks_total = Counter(bench for bench, _ in index.tasks)
    dropped_by = Counter()  # benchmark of the drop reason
    touching = defaultdict(set)  # benchmark -> ids of documents touching any of its tasks
    task_docs = defaultdict(Counter)  # benchmark -> task -> documents
    examples = defaultdict(list)
    n_dropped = n_files = 0
    samples_touched = set()
    for record in iter_excluded(excluded_dir):
        info = record.get("contamination") or (record.get("metadata") or {}).get("contamination")
        if not info:
            continue  # excluded by another block
        if record.get("sample_kind") == "file_removed":
            n_files += 1
            samples_touched.add(record.get("sample_id"))
        else:
            n_dropped += 1
        doc_id = record.get("id")
        dropped_by[info["benchmark"]] += 1
        for hit in info.get("tasks", []):
            touching[hit["benchmark"]].add(doc_id)
            task_docs[hit["benchmark"]][hit["task_id"]] += 1
        if len(examples[info["benchmark"]]) < EXAMPLES:
            examples[info["benchmark"]].append({
                "id": doc_id, "repo": record.get("repo"), "file": info.get("file"), "task_id": info["task_id"],
                "line": info.get("line"), "ngrams": info.get("ngrams"), "exact": info.get("exact"),
                "snippet": info.get("snippet"),
            } | ({"sample_id": record["sample_id"]} if record.get("sample_id") else {}))
    benchmarks = {}
    for bench in tasks_total:
        benchmarks[bench] = {
            "tasks": tasks_total[bench],
            "tasks_hit": len(task_docs[bench]),
            "documents_dropped": dropped_by[bench],
            "documents_touching": len(touching[bench]),
            "top_tasks": [{"task_id": t, "documents": n} for t, n in task_docs[bench].most_common(TOP_TASKS)],
            "examples": examples[bench],
        }
    return {
        "documents_scanned": documents_scanned,
        "documents_dropped": n_dropped,
        "files_removed": n_files,
        "samples_with_files_removed": len(samples_touched),
        "index": {k: index.meta.get(k) for k in ("config", "ngrams", "distinct_ngrams", "exact_patterns")}
        | {"bytes": index.nbytes},
        "benchmarks": benchmarks,
    }


def write_report(report: dict, output_dir: str | Path) -> Path:
    """Write ``contamination_report.json`` into ``output_dir`` and return its path."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "contamination_report.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def plot_report(report: dict, path: str | Path) -> Path | None:
    """A bar chart (PNG) of documents dropped and tasks hit per benchmark; ``None`` when nothing was hit."""
    rows = [(b, r) for b, r in report["benchmarks"].items() if r["documents_touching"]]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [b for b, _ in rows]
    fig, ax = plt.subplots(figsize=(max(5.0, 0.6 * len(names) + 2), 3.6))
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [r["documents_dropped"] for _, r in rows], width=0.4, label="documents dropped")
    ax.bar([i + 0.2 for i in x], [r["tasks_hit"] for _, r in rows], width=0.4, label="benchmark tasks hit")
    ax.set_xticks(list(x), names, rotation=30, ha="right")
    ax.set_title("documents dropped and tasks hit\n(n-grams / short strings shared with benchmarks)", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def report_table(report: dict):
    """The report as a rich ``Table`` (one row per benchmark)."""
    from rich.table import Table

    scanned = report.get("documents_scanned")
    title = f"contamination: {report['documents_dropped']:,} documents dropped"
    if scanned:
        title += f" of {scanned:,} ({report['documents_dropped'] / scanned:.2%})"
    if report.get("files_removed"):
        title += (f"; {report['files_removed']:,} files removed from "
                  f"{report['samples_with_files_removed']:,} repository samples")
    table = Table(title=title)
    for col, justify in (("benchmark", "left"), ("tasks", "right"), ("tasks hit", "right"),
                         ("docs/files removed", "right"), ("docs touching", "right"), ("most hit task", "left")):
        table.add_column(col, justify=justify)
    for bench, row in report["benchmarks"].items():
        top = row["top_tasks"][0] if row["top_tasks"] else None
        table.add_row(bench, f"{row['tasks']:,}", f"{row['tasks_hit']:,}", f"{row['documents_dropped']:,}",
                      f"{row['documents_touching']:,}", f"{top['task_id']} ({top['documents']})" if top else "")
    from dscoder.terminal import wrap_cells

    return wrap_cells(table)
