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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dscoder.config import config_hash
from dscoder.report import Section, Table

__all__ = ["DemoSettings", "StageResult", "DemoStageError", "run_demo", "STAGES"]


@dataclass
class DemoSettings:
    """Sizes of the demo run. ``quick`` shrinks everything so the whole chain runs in about 3 minutes."""

    output: Path
    quick: bool = False
    workers: int = 2
    seed: int = 0
    corpus_max_repos: int = 80
    corpus_max_bytes: int = 12_000_000
    corpus_max_repo_bytes: int = 600_000

    @classmethod
    def create(cls, output: str | Path, quick: bool = False, workers: int = 2, seed: int = 0) -> DemoSettings:
        settings = cls(Path(output), quick=quick, workers=workers, seed=seed)
        if quick:
            settings.corpus_max_repos = 24
            settings.corpus_max_bytes = 2_500_000
            settings.corpus_max_repo_bytes = 250_000
        return settings


@dataclass
class StageResult:
    summary: dict = field(default_factory=dict)  # a few headline numbers for the closing table
    sections: list[Section] = field(default_factory=list)  # what the report shows for this stage


@dataclass
class Stage:
    name: str
    description: str
    run: Callable[[DemoSettings], StageResult]
    settings: Callable[[DemoSettings], dict]  # what the stage's result depends on (hashed for the done marker)


class DemoStageError(RuntimeError):
    """A stage failed; the message names it and says how to rerun only it."""


# ---------------------------------------------------------------------------------------------------------------
# Folders of a run (docs/design.md, "Artifacts of a run")
def data_dir(s: DemoSettings, name: str) -> Path:
    return s.output / "data" / name


def logs_dir(s: DemoSettings, name: str) -> Path:
    return s.output / "logs" / name


def model_dir(s: DemoSettings, name: str) -> Path:
    return s.output / "model" / name


def eval_dir(s: DemoSettings, name: str) -> Path:
    return s.output / "eval" / name


# ---------------------------------------------------------------------------------------------------------------
# Stages
def _corpus_settings(s: DemoSettings) -> dict:
    return {"max_repos": s.corpus_max_repos, "max_bytes": s.corpus_max_bytes, "max_repo_bytes": s.corpus_max_repo_bytes}


def _run_corpus(s: DemoSettings) -> StageResult:
    from dscoder.data.demo_corpus import build_demo_corpus

    stats = build_demo_corpus(
        data_dir(s, "corpus"),
        max_repos=s.corpus_max_repos,
        max_bytes=s.corpus_max_bytes,
        max_repo_bytes=s.corpus_max_repo_bytes,
        shards=s.workers,
    )
    langs = stats.languages.most_common()
    section = Section(
        "Demo corpus",
        "Repository-structured code built from this Python's standard library and installed site-packages: each "
        "stdlib package or installed distribution is one repository (report §2.1 uses public GitHub repositories).",
        tables=[
            Table(["what", "count"], [["repositories", stats.repositories], ["files", stats.files],
                                       ["bytes", stats.bytes]]
                  + [[f"skipped: {k}", v] for k, v in sorted(stats.skipped.items())], "Corpus"),
            Table(["language", "files"], [[k, v] for k, v in langs[:12]], "Languages"),
        ],
    )
    return StageResult({"repositories": stats.repositories, "files": stats.files, "bytes": stats.bytes}, [section])


STAGES: list[Stage] = [
    Stage("corpus", "build the embedded demo corpus", _run_corpus, _corpus_settings),
]


# ---------------------------------------------------------------------------------------------------------------
def _marker(s: DemoSettings, stage: Stage) -> Path:
    return s.output / "stages" / f"{stage.name}.done"


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
            log = settings.output / "stages" / f"{stage.name}.error.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            raise DemoStageError(
                f"stage {stage.name!r} failed: {type(exc).__name__}: {exc} (traceback in {log}; rerun only this "
                f"stage with: dscoder demo --output {settings.output}{' --quick' if settings.quick else ''} "
                f"--only {stage.name})"
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


def _write_run_report(settings: DemoSettings, rows: list[dict], sections: list[Section]) -> Path:
    from dscoder.report import write_report

    overview = Section(
        "Stages of this run",
        "Every stage of the DeepSeek-Coder recipe, run on this machine on the embedded demo corpus.",
        tables=[Table(["stage", "status", "seconds", "headline"],
                      [[r["stage"], r["status"], round(r["seconds"], 1),
                        ", ".join(f"{k}={v}" for k, v in list(r["summary"].items())[:4])] for r in rows])],
    )
    mode = "quick" if settings.quick else "full"
    html_path, _ = write_report(
        settings.output, "dscoder demo report",
        f"DeepSeek-Coder (arXiv 2401.14196) recipe, {mode} demo run in {settings.output}", [overview, *sections],
    )
    return html_path


def summary_table(rows: list[dict]):
    """A rich table of the stages of a run (the closing summary of `make demo`)."""
    from rich.table import Table as RichTable

    table = RichTable(title="dscoder demo")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    table.add_column("headline")
    for r in rows:
        headline = ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in r["summary"].items())
        table.add_row(r["stage"], r["status"], f"{r['seconds']:.1f}", headline)
    return table
