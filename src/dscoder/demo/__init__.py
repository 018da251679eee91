"""``dscoder demo``: the whole DeepSeek-Coder recipe end to end on the embedded demo corpus.

Every stage reads the previous stage's artifacts from the run folder (layout in ``docs/design.md``) and writes a
``stages/<name>.done`` marker holding the hash of its settings, its summary and its report sections. A rerun skips
finished stages whose settings did not change; a changed stage is redone together with every stage after it. A
failure names the stage and the command that reruns only it.
"""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

from dscoder.config import config_hash
from dscoder.demo.settings import DemoSettings, Stage, StageResult
from dscoder.demo.stages import STAGES
from dscoder.report import Section, Table

__all__ = ["STAGES", "DemoSettings", "DemoStageError", "Stage", "StageResult", "run_demo", "summary_table"]


class DemoStageError(RuntimeError):
    """A stage failed; the message names it and says how to rerun only it."""


# ---------------------------------------------------------------------------------------------------------------
def _marker(s: DemoSettings, stage: Stage) -> Path:
    return s.stage_file(stage.name)


def _load_marker(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def run_demo(
    settings: DemoSettings,
    only: list[str] | None = None,
    force: bool = False,
    console=None,
) -> list[dict]:
    """Run (or reuse) every stage; returns one row per stage: name, status, seconds, summary."""
    from rich.console import Console

    console = console or Console()
    names = [st.name for st in STAGES]
    for name in only or []:
        if name not in names:
            raise DemoStageError(f"unknown stage {name!r}; stages are: {', '.join(names)}")
    settings.output.mkdir(parents=True, exist_ok=True)
    rows, sections, upstream_changed = [], [], False
    for index, stage in enumerate(STAGES, start=1):
        marker = _marker(settings, stage)
        digest = config_hash({"stage": stage.name, "settings": stage.settings(settings)})
        previous = _load_marker(marker)
        selected = only is None or stage.name in only
        reuse = previous is not None and previous.get("hash") == digest and not upstream_changed
        if not selected and previous is None:
            raise DemoStageError(f"stage {stage.name!r} has not run yet in {settings.output}; run it first")
        if (reuse and not (force and selected)) or not selected:
            console.print(f"[dim][{index}/{len(STAGES)}] {stage.name}: reused ({marker})[/dim]")
            rows.append({"stage": stage.name, "status": "reused", "seconds": previous.get("seconds", 0.0),
                         "summary": previous.get("summary", {})})
            sections += [Section.from_dict(d) for d in previous.get("sections", [])]
            continue
        console.rule(f"[bold][{index}/{len(STAGES)}] {stage.name}[/bold]: {stage.description}")
        start = time.perf_counter()
        try:
            result = stage.run(settings)
        except Exception as exc:
            log = settings.stage_file(stage.name, "error.log")
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            raise DemoStageError(
                f"stage {stage.name!r} failed: {type(exc).__name__}: {exc} (traceback in {log}; rerun only this "
                f"stage with: {_command(settings)} --only {stage.name})"
            ) from exc
        seconds = time.perf_counter() - start
        upstream_changed = True
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({
            "hash": digest, "seconds": seconds, "summary": result.summary,
            "sections": [sec.to_dict() for sec in result.sections],
        }, indent=1, default=str))
        rows.append({"stage": stage.name, "status": "ran", "seconds": seconds, "summary": result.summary})
        sections += result.sections
    _write_run_report(settings, rows, sections)
    return rows


def _command(settings: DemoSettings) -> str:
    """The ``dscoder demo`` command line of these settings (defaults left out)."""
    default = DemoSettings.create(settings.output)
    command = f"dscoder demo --output {settings.output}{' --quick' if settings.quick else ''}"
    for option in ("seed", "workers"):
        if getattr(settings, option) != getattr(default, option):
            command += f" --{option} {getattr(settings, option)}"
    return command


def _write_run_report(settings: DemoSettings, rows: list[dict], sections: list[Section]) -> Path:
    from dscoder.report import write_report

    overview = Section(
        "Stages of this run",
        "Every stage of the DeepSeek-Coder recipe, run on this machine on the embedded demo corpus.",
        tables=[Table(["stage", "status", "seconds", "headline"],
                      [[r["stage"], r["status"], round(r["seconds"], 1), _headline(r["summary"], limit=4)]
                       for r in rows])],
    )
    mode = "quick" if settings.quick else "full"
    html_path, _ = write_report(
        settings.output, "dscoder demo report",
        f"DeepSeek-Coder (arXiv 2401.14196) recipe, {mode} demo run in {settings.output}", [overview, *sections],
    )
    return html_path


def _headline(summary: dict, limit: int | None = None) -> str:
    """``key=value`` pairs of a stage summary, integers with thousands separators."""
    items = list(summary.items())[:limit]
    return ", ".join(f"{k}={v:,}" if isinstance(v, int) and not isinstance(v, bool) else f"{k}={v}" for k, v in items)


def summary_table(rows: list[dict]):
    """A rich table of the stages of a run (the closing summary of `make demo`)."""
    from rich.table import Table as RichTable

    table = RichTable(title="dscoder demo")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    table.add_column("headline")
    for r in rows:
        table.add_row(r["stage"], r["status"], f"{r['seconds']:.1f}", _headline(r["summary"]))
    from dscoder.terminal import wrap_cells

    return wrap_cells(table)
