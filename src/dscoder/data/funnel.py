"""The funnel of a filtering run, read back from its datatrove logging folder (``dscoder data report LOGDIR``).

Every dscoder block counts what it drops as ``dropped_<family:reason>`` (files) and ``bytes_dropped_<reason>``
(UTF-8 bytes); filters also count ``bytes_in``/``bytes_kept`` (see :mod:`dscoder.data.filters.base`). The funnel
is: what the reader saw (records it turned into documents plus the lines it rejected), then each drop reason in
pipeline order, then what the last filter kept, so files in = kept + dropped. Input files the reader could not
read to the end (``reader:truncated_file``, ``reader:unreadable_file``) hold an unknown number of records: they
are listed apart, as files, never mixed into the record counts. Per-rank stats (``stats/*.json``) are merged, so a run whose
tasks have not all finished yet still gives a (partial) funnel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from datatrove.utils.stats import PipelineStats

from dscoder.data.readers import FILE_REASONS


@dataclass
class FunnelRow:
    """One drop reason: its block, reason string (``family:reason``), files and bytes it removed."""

    step: str
    reason: str
    files: int
    bytes: int


@dataclass
class Funnel:
    """Files and bytes in, dropped per reason (in pipeline order), and kept."""

    files_in: int = 0
    bytes_in: int = 0
    drops: list[FunnelRow] = field(default_factory=list)
    files_kept: int = 0
    bytes_kept: int = 0
    tasks: int = 0
    input_files: int = 0  # input shards the reader opened
    unreadable_files: dict[str, int] = field(default_factory=dict)  # reason -> shards, records unknown

    @property
    def files_dropped(self) -> int:
        return sum(r.files for r in self.drops)

    @property
    def bytes_dropped(self) -> int:
        return sum(r.bytes for r in self.drops)

    def to_dict(self) -> dict:
        """A plain summary (what ``run_filter_stage`` returns to the demo)."""
        return {
            "files_in": self.files_in,
            "bytes_in": self.bytes_in,
            "files_kept": self.files_kept,
            "bytes_kept": self.bytes_kept,
            "dropped": {r.reason: r.files for r in self.drops},
            "dropped_bytes": {r.reason: r.bytes for r in self.drops},
            "input_files": self.input_files,
            "unreadable_files": dict(self.unreadable_files),
        }


def _total(stats, key: str) -> int:
    if key not in stats.stats:
        return 0
    value = stats.stats[key]  # a MetricStats after merging; the raw JSON value (number or dict) before
    if isinstance(value, dict):
        return int(value.get("total", 0))
    return int(getattr(value, "total", value))


def merged_stats(logs_dir: str | Path) -> tuple[PipelineStats, int]:
    """The stats of all finished tasks of a datatrove logging folder, merged, and how many tasks they cover."""
    logs_dir = Path(logs_dir)
    files = sorted((logs_dir / "stats").glob("*.json"))
    if not files:
        if (logs_dir / "stats.json").is_file():
            files = [logs_dir / "stats.json"]
        else:
            raise FileNotFoundError(f"{logs_dir}: no datatrove stats (stats/*.json or stats.json); is it a logging folder?")
    total = None
    for path in files:
        try:
            stats = PipelineStats.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a datatrove stats file ({exc})") from None
        total = stats if total is None else total + stats
    return total, (len(files) if files[0].parent.name == "stats" else 0)


def load_funnel(logs_dir: str | Path) -> Funnel:
    """Build the funnel of the run logged in ``logs_dir``."""
    stats, tasks = merged_stats(logs_dir)
    funnel = Funnel(tasks=tasks)
    first_filter = True
    last_kept = None
    read = False
    for step in stats.stats:
        counts = step.stats
        if "input_files" in counts:  # a reader
            read = True
            funnel.input_files += _total(step, "input_files")
        reasons = [k[len("dropped_") :] for k in counts if k.startswith("dropped_")]
        if "bytes_in" in counts and first_filter:  # the first dscoder filter sees every document the reader made
            funnel.files_in += _total(step, "total")
            funnel.bytes_in += _total(step, "bytes_in")
            first_filter = False
        for reason in reasons:
            if reason in FILE_REASONS:
                funnel.unreadable_files[reason] = funnel.unreadable_files.get(reason, 0) + _total(step, f"dropped_{reason}")
                continue
            row = FunnelRow(step.name, reason, _total(step, f"dropped_{reason}"), _total(step, f"bytes_dropped_{reason}"))
            funnel.drops.append(row)
            if reason.startswith("reader:"):  # rejected lines never reached a filter: they count as input too
                funnel.files_in += row.files
                funnel.bytes_in += row.bytes
        if "bytes_in" in counts:
            last_kept = (_total(step, "forwarded"), _total(step, "bytes_kept"))
    if last_kept is None:
        if not read:
            raise ValueError(f"{logs_dir}: no dscoder filter stats found (was this logged by a dscoder filter pipeline?)")
        last_kept = (0, 0)  # no document reached a filter: blank or unreadable input, every line counted above
    funnel.files_kept, funnel.bytes_kept = last_kept
    return funnel


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def funnel_table(funnel: Funnel, title: str = "filter funnel"):
    """The funnel as a rich table: drop reasons in pipeline order, files and bytes with their share of the input."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("step / drop reason", no_wrap=True)
    for name in ("files", "% files", "bytes", "% bytes"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_row("input", f"{funnel.files_in:,}", "100%", f"{funnel.bytes_in:,}", "100%", style="bold")
    for r in funnel.drops:
        table.add_row(f"  {r.reason}", f"-{r.files:,}", _pct(r.files, funnel.files_in), f"-{r.bytes:,}",
                      _pct(r.bytes, funnel.bytes_in))  # fmt: skip
    table.add_row("kept", f"{funnel.files_kept:,}", _pct(funnel.files_kept, funnel.files_in),
                  f"{funnel.bytes_kept:,}", _pct(funnel.bytes_kept, funnel.bytes_in), style="bold green")  # fmt: skip
    for reason, n in funnel.unreadable_files.items():
        table.add_row(f"input files {reason} (records unknown)", f"{n:,} of {funnel.input_files:,} input files", "",
                      "", "", style="bold red")  # fmt: skip
    from dscoder.terminal import wrap_cells

    return wrap_cells(table)


def plot_funnel(funnel: Funnel, png_path: str | Path, title: str = "filter funnel") -> Path:
    """A horizontal bar chart (files and bytes, as % of the input) of input, each drop reason and kept."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["input"] + [r.reason for r in funnel.drops] + ["kept"]
    files = [funnel.files_in] + [r.files for r in funnel.drops] + [funnel.files_kept]
    sizes = [funnel.bytes_in] + [r.bytes for r in funnel.drops] + [funnel.bytes_kept]
    files_pct = [100 * f / funnel.files_in if funnel.files_in else 0 for f in files]
    bytes_pct = [100 * b / funnel.bytes_in if funnel.bytes_in else 0 for b in sizes]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.2))
    y = range(len(labels))
    ax.barh([i - 0.2 for i in y], files_pct, height=0.4, label="files", color="#4c72b0")
    ax.barh([i + 0.2 for i in y], bytes_pct, height=0.4, label="bytes", color="#dd8452")
    for i, (f, b) in enumerate(zip(files, sizes)):
        ax.text(max(files_pct[i], bytes_pct[i]) + 1, i, f"{f:,} files / {b / 1e6:.2f} MB", va="center", fontsize=7)
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 130)
    ax.set_xlabel("% of input")
    ax.set_title(title)
    ax.legend(loc="center right")
    fig.tight_layout()
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
    return png_path
