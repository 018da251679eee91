"""Summary of an evaluation run laid out like the report's tables, beside the paper's numbers (docs/paper.md §4).

Paper numbers: report Tables 3-8 (docs/paper.md §4), with the per-language HumanEval, per-set PAL-math and
LeetCode chain-of-thought values from the DeepSeek-Coder repository's ``Evaluation/*/README.md`` (the same
numbers as the report's tables). Where the paper reports a mean over sets this project cannot score
(FIM: Python, Java, JS; PAL: with TabMWP), the row says so in its note.

Outputs: a rich table on the console, ``summary.md`` (Markdown), ``summary.json`` and ``summary.png`` (ours
vs paper, matplotlib).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "PAPER", "PAPER_SIZES", "TABLE_HEADER", "aggregate_rows", "paper_number", "print_summary", "table_rows", "write_summary",
]

PAPER_SIZES = ("1.3b", "6.7b", "33b")

#: task name -> (1.3B, 6.7B, 33B) in percent; None where the paper has no number for that size.
PAPER: dict[str, tuple[float | None, float | None, float | None]] = {
    "humaneval-python": (34.8, 49.4, 56.1),
    "humaneval-cpp": (31.1, 50.3, 58.4),
    "humaneval-java": (32.3, 43.0, 51.9),
    "humaneval-php": (24.2, 38.5, 44.1),
    "humaneval-ts": (28.9, 49.7, 52.8),
    "humaneval-cs": (36.7, 50.0, 51.3),
    "humaneval-sh": (10.1, 28.5, 32.3),
    "humaneval-js": (28.6, 48.4, 55.3),
    "humaneval-mean": (28.3, 44.7, 50.3),
    "humaneval-python-instruct": (65.2, 78.6, 79.3),
    "mbpp": (46.2, 60.6, 66.0),
    "ds1000": (16.2, 30.5, 40.2),
    "leetcode": (7.2, 19.4, 27.8),
    "leetcode-cot": (7.2, 21.1, 28.9),
    "fim-single-line": (70.4, 80.7, 81.2),
    "crosscodeeval": (None, 16.14, None),
    "crosscodeeval-es": (None, 66.51, None),
    "pal-gsm8k": (14.6, 43.2, 60.7),
    "pal-math": (16.8, 19.2, 29.1),
    "pal-gsm-hard": (14.5, 40.3, 54.1),
    "pal-svamp": (36.7, 58.4, 71.6),
    "pal-asdiv": (48.2, 67.2, 76.7),
    "pal-mawps": (62.3, 87.0, 93.3),
    "pal-mean": (31.9, 54.7, 65.8),
}
NOTES = {
    "fim-single-line": "paper: mean of Python, Java, JS",
    "pal-mean": "paper: mean of 7 sets incl. TabMWP",
    "humaneval-mean": "8 languages",
    "crosscodeeval": "paper: 6.7B with BM25 retrieval",
}
_HUMANEVAL_8 = tuple(f"humaneval-{x}" for x in ("python", "cpp", "java", "php", "ts", "cs", "sh", "js"))
_PAL = tuple(f"pal-{x}" for x in ("gsm8k", "math", "gsm-hard", "svamp", "asdiv", "mawps"))


def paper_number(task: str, size: str) -> float | None:
    if size not in PAPER_SIZES:
        raise ValueError(f"paper size must be one of {', '.join(PAPER_SIZES)}, got {size!r}")
    values = PAPER.get(task)
    return None if values is None else values[PAPER_SIZES.index(size)]


def aggregate_rows(rows: list[dict[str, Any]], size: str) -> list[dict[str, Any]]:
    """Mean rows like the paper's: HumanEval over its 8 languages, PAL over the sets that were scored."""
    scored = {r["task"]: r for r in rows if r.get("score") is not None}
    out = []
    if all(t in scored for t in _HUMANEVAL_8):
        out.append(_mean_row("humaneval-mean", "HumanEval mean (8 languages)", [scored[t] for t in _HUMANEVAL_8], size))
    pal = [scored[t] for t in _PAL if t in scored]
    if len(pal) > 1:
        out.append(_mean_row("pal-mean", f"PAL math mean ({len(pal)} sets)", pal, size))
    return out


def _mean_row(task: str, display: str, rows: list[dict[str, Any]], size: str) -> dict[str, Any]:
    return {
        "task": task, "benchmark": display, "metric": rows[0]["metric"], "n": sum(r["n"] for r in rows),
        "score": sum(r["score"] for r in rows) / len(rows), "paper": paper_number(task, size),
        "note": NOTES.get(task, ""), "status": "ok", "scores": {},
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    out = []
    for r in rows:
        extra = ", ".join(f"{k} {v:.1f}" for k, v in r.get("scores", {}).items() if k != r["metric"])
        status = r["status"] if r["status"] != "ok" else extra
        out.append([r["benchmark"], r["metric"], str(r["n"]), _fmt(r.get("score")), _fmt(r.get("paper")),
                    r.get("note", ""), status])
    return out


TABLE_HEADER = ["benchmark", "metric", "n", "ours", "paper", "note", "details"]


def print_summary(summary: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{summary['suite']}: {summary['model']} (paper: DeepSeek-Coder {summary['paper_size']}, "
                        "Base; instruct rows: Instruct)")
    for i, h in enumerate(TABLE_HEADER):
        table.add_column(h, justify="right" if i in (2, 3, 4) else "left", overflow="fold")
    for row in table_rows(summary["rows"]):
        table.add_row(*row)
    (console or Console()).print(table)


def write_summary(summary: dict[str, Any], output_dir: str | Path) -> dict[str, Path]:
    """Write ``summary.json``, ``summary.md`` and ``summary.png`` into ``output_dir``; return their paths."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "summary.json", "markdown": out / "summary.md", "plot": out / "summary.png"}
    paths["json"].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [
        f"# {summary['suite']}: {summary['model']}",
        "",
        f"Paper column: DeepSeek-Coder {summary['paper_size']} (report §4). Scores in percent.",
        "",
        "| " + " | ".join(TABLE_HEADER) + " |",
        "|" + "|".join("---" for _ in TABLE_HEADER) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table_rows(summary["rows"])]
    paths["markdown"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    _plot(summary, paths["plot"])
    return paths


def _plot(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in summary["rows"] if r.get("score") is not None]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(rows) + 2), 4))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r["score"] for r in rows], width=0.4, label="ours")
    ax.bar([x + 0.2 for x in xs], [r["paper"] or 0.0 for r in rows], width=0.4, label=f"paper {summary['paper_size']}")
    ax.set_xticks(list(xs), [r["benchmark"] for r in rows], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("score (%)")
    ax.set_title(f"{summary['suite']}: {Path(str(summary['model'])).name}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
