"""The decontamination stage (report §2.4) end to end: index -> datatrove filter run -> contamination report.

``run_decontamination_stage`` is what ``dscoder demo`` and ``dscoder data decontaminate`` call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from dscoder.benchmarks import (
    BENCHMARKS,
    PAPER_DECONTAMINATION_SET,
    available_benchmarks,
    get_benchmark,
)
from dscoder.data.decontamination.background import background_digest
from dscoder.data.decontamination.filter import BenchmarkDecontaminationFilter
from dscoder.data.decontamination.index import (
    DecontaminationIndex,
    IndexConfig,
    strings_fingerprint,
)
from dscoder.data.decontamination.protected import (
    ProtectedString,
    benchmark_protected_strings,
    protected_strings_from_file,
)
from dscoder.data.decontamination.report import (
    build_report,
    plot_report,
    report_table,
    write_report,
)


def resolve_benchmarks(benchmarks: str | Sequence[str] | None, data_dir: str | Path | None = None
                       ) -> tuple[list[str], list[str]]:
    """``(names to protect, names skipped because their data is absent)``.

    ``None``: the report's set (HumanEval, MBPP, GSM8K, MATH) as far as its data is available (HumanEval always
    is); ``"all"``: every registered benchmark whose data is available; a list (or comma-separated string):
    exactly those, each of which must be available.
    """
    if benchmarks is None or benchmarks == "paper":
        available = set(available_benchmarks(data_dir))
        names = list(PAPER_DECONTAMINATION_SET)
        return [n for n in names if n in available], [n for n in names if n not in available]
    if benchmarks == "all":
        available = set(available_benchmarks(data_dir))
        return [n for n in BENCHMARKS if n in available], [n for n in BENCHMARKS if n not in available]
    names = [n.strip() for n in benchmarks.split(",")] if isinstance(benchmarks, str) else list(benchmarks)
    for name in names:
        get_benchmark(name)  # unknown names fail here, naming the known ones
    return [n for n in names if n], []


def collect_protected_strings(names: Iterable[str], data_dir: str | Path | None = None,
                              extra_files: Iterable[str | Path] = ()) -> list[ProtectedString]:
    strings = [s for name in names for s in benchmark_protected_strings(name, data_dir)]
    for path in extra_files:
        strings.extend(protected_strings_from_file(path))
    return strings


def build_or_load_index(index_dir: str | Path, benchmarks: str | Sequence[str] | None = None,
                        data_dir: str | Path | None = None, extra_files: Iterable[str | Path] = (),
                        config: IndexConfig | None = None, rebuild: bool = False) -> DecontaminationIndex:
    """The index for these benchmarks, reused from ``index_dir`` when its fingerprint (every protected string,
    the config and the background list) matches, else built and saved there."""
    config = config or IndexConfig()
    names, _ = resolve_benchmarks(benchmarks, data_dir)
    strings = collect_protected_strings(names, data_dir, extra_files)
    background = config.background_hashes()
    fingerprint = strings_fingerprint(strings, config, background_digest(background) if len(background) else "")
    meta_path = Path(index_dir) / "index.json"
    if not rebuild and meta_path.is_file():
        try:
            same = json.loads(meta_path.read_text(encoding="utf-8")).get("fingerprint") == fingerprint
        except ValueError:
            same = False
        if same:
            return DecontaminationIndex.load(index_dir)
    index = DecontaminationIndex.build(strings, config, fingerprint=fingerprint, background=background)
    index.save(index_dir)
    return DecontaminationIndex.load(index_dir)


def _reader(input_dir: Path, rejects_dir: Path, show_progress: bool, schema: str = "file-records"):
    """The filter stage's checked readers (bad lines counted and kept in ``rejects_dir``), reading ``schema``."""
    from dscoder.data.readers import (
        DEFAULT_GLOBS,
        FileRecordJsonlReader,
        FileRecordParquetReader,
        ReaderConfig,
        detect_format,
    )

    if not input_dir.is_dir():
        raise FileNotFoundError(f"input folder not found: {input_dir}")
    fmt = detect_format(input_dir)
    if not any(input_dir.glob(DEFAULT_GLOBS[fmt])):
        raise FileNotFoundError(f"{input_dir}: no *.jsonl, *.jsonl.gz or *.parquet files to decontaminate")
    cls = FileRecordJsonlReader if fmt == "jsonl" else FileRecordParquetReader
    reader = cls(str(input_dir), rejects_folder=str(rejects_dir), glob_pattern=DEFAULT_GLOBS[fmt], file_progress=show_progress)
    reader.configure(ReaderConfig(format=fmt, schema=schema))
    return reader


def _stats_blocks(logs_dir: Path) -> list[dict]:
    stats_path = logs_dir / "stats.json"
    return json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.is_file() else []


def _totals(block: dict) -> dict:
    return {k: (v.get("total", 0) if isinstance(v, dict) else v) for k, v in block.get("stats", {}).items()}


def _block_stats(logs_dir: Path, block_name: str) -> dict:
    for block in _stats_blocks(logs_dir):
        if str(block.get("name", "")).endswith(block_name):  # datatrove prefixes the block type
            return _totals(block)
    return {}


def run_decontamination_stage(
    input_dir: str | Path,
    output_dir: str | Path,
    excluded_dir: str | Path,
    logs_dir: str | Path,
    index_dir: str | Path,
    benchmarks: str | Sequence[str] | None = "paper",
    data_dir: str | Path | None = None,
    extra_files: Sequence[str | Path] = (),
    mode: str = "words",
    ngram: int | None = None,
    min_exact_tokens: int | None = None,
    min_share: float | None = None,
    background: str = "shipped",
    tasks: int = 2,
    workers: int = 2,
    report_dir: str | Path | None = None,
    show_progress: bool = True,
    schema: str = "file-records",
) -> dict:
    """Decontaminate ``input_dir`` (JSONL(.gz)/Parquet file records or repository samples) into ``output_dir``.

    ``mode``/``ngram``/``min_exact_tokens``/``min_share``/``background`` are :class:`IndexConfig`'s (``None``: the
    mode's default). Contaminated files are removed from repository samples (see
    :class:`BenchmarkDecontaminationFilter`). Dropped documents and removed files go to ``excluded_dir`` (give
    this stage its own folder) with ``filter_reason`` and ``contamination``; datatrove logs and stats to ``logs_dir`` (unreadable input lines, counted by reason, to
    ``logs_dir/rejects``); the index is built once into ``index_dir`` (reused while benchmarks and config are
    unchanged); ``contamination_report.json`` (+ a ``.png`` bar chart when anything was hit) to ``report_dir``
    (default ``logs_dir``). ``schema``: the input's layout (:mod:`dscoder.data.source_schemas`). Returns counts for the summary: documents in/kept/dropped, per-benchmark drops and
    tasks hit, files removed from samples, bytes in and dropped, the report and plot paths, the index size, and
    the benchmarks used or skipped (data absent). ``documents_in`` = kept + dropped + the input lines the reader
    rejected.
    """
    from dscoder.data.output_guard import check_separate_folders, output_lock

    input_dir, logs_dir = Path(input_dir), Path(logs_dir)
    check_separate_folders({"input": input_dir}, {"output": output_dir, "excluded": excluded_dir, "logs": logs_dir,
                                                  "index": index_dir, "report": report_dir})  # fmt: skip
    with output_lock(output_dir, "decontaminate"):
        return _run_decontamination(
            input_dir, output_dir, excluded_dir, logs_dir, index_dir, benchmarks=benchmarks, data_dir=data_dir,
            extra_files=extra_files, mode=mode, ngram=ngram, min_exact_tokens=min_exact_tokens, min_share=min_share,
            background=background, tasks=tasks, workers=workers, report_dir=report_dir, show_progress=show_progress,
            schema=schema,
        )  # fmt: skip


def _run_decontamination(input_dir: Path, output_dir, excluded_dir, logs_dir: Path, index_dir, *, benchmarks,
                         data_dir, extra_files, mode, ngram, min_exact_tokens, min_share, background, tasks, workers,
                         report_dir, show_progress, schema) -> dict:  # fmt: skip
    from rich.console import Console

    from dscoder.data.executors import LocalExecutor
    from dscoder.data.readers import file_record_writer, reader_drops

    names, skipped = resolve_benchmarks(benchmarks, data_dir)
    config = IndexConfig(mode=mode, ngram=ngram, min_exact_tokens=min_exact_tokens, min_share=min_share,
                         background=background)
    index = build_or_load_index(index_dir, names, data_dir, extra_files, config)
    reader = _reader(input_dir, logs_dir / "rejects", show_progress, schema)
    block = BenchmarkDecontaminationFilter(index_dir, exclusion_writer=file_record_writer(excluded_dir))
    pipeline = [reader, block, file_record_writer(output_dir)]
    LocalExecutor(pipeline, tasks=tasks, workers=min(workers, tasks), logging_dir=str(logs_dir)).run()

    stats = _block_stats(logs_dir, block.name)
    scanned = int(stats.get("total", 0))
    reader_dropped, unreadable_files = reader_drops(_block_stats(logs_dir, reader.name))
    report = build_report(excluded_dir, index, documents_scanned=scanned or None)
    report_path = write_report(report, report_dir or logs_dir)
    plot_path = plot_report(report, report_path.with_suffix(".png"))
    if show_progress:
        Console().print(report_table(report))
    return {
        "documents_in": scanned + sum(reader_dropped.values()),  # = kept + dropped + reader_dropped
        "documents_kept": int(stats.get("forwarded", 0)),
        "reader_dropped": reader_dropped,  # input lines the reader rejected, by reason
        "unreadable_files": unreadable_files,  # input files cut short or unreadable: records unknown
        "documents_dropped": int(stats.get("dropped", 0)),  # whole documents (a sample left empty included)
        "files_removed": int(stats.get("files_removed", 0)),  # files taken out of repository samples
        "samples_trimmed": int(stats.get("samples_trimmed", 0)),  # samples kept without their contaminated files
        "bytes_in": int(stats.get("bytes_in", 0)),
        "bytes_dropped": int(stats.get("bytes_dropped", 0)),
        "mode": config.mode,
        "hits": {b: r["documents_dropped"] for b, r in report["benchmarks"].items()},
        "tasks_hit": {b: r["tasks_hit"] for b, r in report["benchmarks"].items()},
        "benchmarks": names,
        "skipped_benchmarks": skipped,
        "index_ngrams": index.meta["ngrams"],
        "index_mb": round(index.nbytes / 2**20, 1),
        "report": str(report_path),
        "plot": str(plot_path) if plot_path else None,
    }
