"""The repository-level stage as datatrove pipelines: group → order → MinHash dedup (report §2.2–2.3).

Executors, chained with ``depends`` (each has its own logging folder under ``logs``, so a rerun skips the
tasks that finished and redoes only the others):

0. optionally ``exact_signatures`` → ``exact_find`` (datatrove's exact dedup of identical file texts);
1. ``group``: input reader [+ manifests reader] → [exact-dedup filter] → :class:`RepoBucketRouter` →
   per-bucket shards;
2. ``order``: :class:`RepoSampleBuilder` → ordered samples (one task per bucket; buckets sized by bytes);
3. ``minhash_signatures`` → ``minhash_buckets`` (``bands`` × k tasks) → ``minhash_clusters`` (1 task) →
   ``minhash_filter`` (same reader and task count as the signatures, as datatrove requires) → ``output``.

:func:`run_repo_level_stage` is the plain function the demo calls; :func:`build_executors` gives the chain for
a local, Slurm or Ray run (``datatrove_pipelines/repo_level.py``).

Fixed cost: a local executor with ``workers > 1`` starts a process pool (``forkserver``: each worker imports
datatrove and dscoder afresh), seconds per start. :func:`run_repo_level` starts one pool for all the passes
(:func:`dscoder.data.executors.shared_pool`), and each pass gets at most one worker per ``min_mb_per_worker`` MB
of (estimated) input and runs in this process when that is one: a small input pays no pool at all.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
from pathlib import Path
from typing import Any

from .config import RepoLevelConfig

__all__ = [
    "STAGES",
    "build_executors",
    "collect_counts",
    "counts_table",
    "estimate_input_bytes",
    "manifests_folder",
    "resolve_config",
    "run_repo_level",
    "run_repo_level_stage",
]

STAGES = ("group", "order", "minhash_signatures", "minhash_buckets", "minhash_clusters", "minhash_filter")


def _work(config: RepoLevelConfig) -> Path:
    return Path(config.work) if config.work else Path(config.output).with_name(Path(config.output).name + "_work")


#: compressed shards (gzip, zstd, ...) and Parquet hold about this many bytes of text per byte on disk (code)
COMPRESSED_TEXT_RATIO = 4
#: buckets when the input size cannot be listed (a Hub dataset)
UNKNOWN_SIZE_BUCKETS = 64
_COMPRESSED = (".gz", ".zst", ".zstd", ".bz2", ".xz", ".lz4", ".parquet")


def estimate_input_bytes(config: RepoLevelConfig) -> int | None:
    """Text bytes of the stage's input, estimated from its files' sizes (compressed files and Parquet count
    :data:`COMPRESSED_TEXT_RATIO` times their size); ``None`` for a Hub dataset or an input not written yet (a
    Slurm chain submitted before the filter stage ran)."""
    if config.reader.format == "hub" or ("://" not in str(config.input) and not Path(config.input).is_dir()):
        return None
    from datatrove.io import get_datafolder

    from dscoder.data.readers import DEFAULT_GLOBS

    folder = get_datafolder(str(config.input))
    total = 0
    for path in folder.list_files(glob_pattern=config.reader.glob_pattern or DEFAULT_GLOBS[config.reader.format]):
        size = folder.size(path)
        total += size * COMPRESSED_TEXT_RATIO if path.endswith(_COMPRESSED) else size
    return total


def resolve_config(config: RepoLevelConfig, input_bytes: int | None = None) -> RepoLevelConfig:
    """``config`` with ``grouping.buckets`` fixed: as given, or one bucket per ``bucket_mb`` MB of input (at least
    as many as the workers that the order pass can use)."""
    if config.grouping.buckets is not None:
        return config
    if input_bytes is None:
        input_bytes = estimate_input_bytes(config)
    if input_bytes is None:
        buckets = UNKNOWN_SIZE_BUCKETS
    else:
        buckets = max(math.ceil(input_bytes / (config.grouping.bucket_mb * 1e6)), _parallel(config, input_bytes, 1 << 30))
    return dataclasses.replace(config, grouping=dataclasses.replace(config.grouping, buckets=max(1, buckets)))


def _parallel(config: RepoLevelConfig, input_bytes: int | None, tasks: int) -> int:
    """Workers worth starting for a pass of ``tasks`` tasks over ``input_bytes``: at most one per
    ``min_mb_per_worker`` MB, at most ``executor.workers`` (-1: all tasks), at least 1."""
    workers = tasks if config.executor.workers == -1 else min(config.executor.workers, tasks)
    if input_bytes is not None and config.min_mb_per_worker > 0:
        workers = min(workers, int(input_bytes / (config.min_mb_per_worker * 1e6)))
    return max(1, workers)


def manifests_folder(config: RepoLevelConfig) -> str | None:
    """The build manifests to read: ``config.manifests``, else the filter stage's default folder beside the input
    (:func:`dscoder.data.filters.manifests.manifests_beside`); ``None`` when that folder holds no file records
    (the filter stage writes none for a corpus without manifests, and a Hub input has no folder beside it)."""
    from dscoder.data.filters.manifests import manifests_beside

    if config.manifests is not None:
        folder = str(config.manifests)
    elif config.reader.format == "hub":
        return None
    else:
        folder = manifests_beside(config.input)
    if "://" not in folder:
        return folder if Path(folder).is_dir() else None
    from datatrove.io import get_datafolder

    from dscoder.data.readers import DEFAULT_GLOBS

    try:
        return folder if get_datafolder(folder).list_files(glob_pattern=DEFAULT_GLOBS["jsonl"]) else None
    except FileNotFoundError:
        return None


def _executor(config: RepoLevelConfig, pipeline: list, tasks: int, name: str, depends=None, input_bytes=None):
    from dscoder.data.executors import build_executor

    ex = dataclasses.replace(config.executor, tasks=tasks)
    if ex.kind == "local":
        ex = dataclasses.replace(ex, workers=_parallel(config, input_bytes, tasks))
    return build_executor(pipeline, ex, Path(config.logs) / name, depends=depends, job_name=f"repo_level_{name}")


def build_executors(config: RepoLevelConfig, input_bytes: int | None = None) -> list:
    """The chained executors of the stage, in order (running the last one runs them all). ``input_bytes``: the
    input's size when the caller has estimated it (:func:`estimate_input_bytes`)."""
    from datatrove.pipeline.readers import JsonlReader

    from dscoder.data.readers import build_reader, file_record_writer

    from .grouping import BUCKET_FILENAME, RepoBucketRouter, RepoSampleBuilder

    _check_folders(config)
    if input_bytes is None and config.executor.kind == "local":
        input_bytes = estimate_input_bytes(config)
    config = resolve_config(config, input_bytes)
    size = input_bytes
    work = _work(config)
    excluded = Path(config.excluded) if config.excluded else None
    invalid_writer = file_record_writer(excluded / "repo_level_invalid") if excluded is not None else None
    def input_reader():
        rejects = excluded / "repo_level_rejects" if excluded else None
        return build_reader(config.reader, folder=config.input, rejects_folder=rejects)

    manifests = []
    folder = manifests_folder(config)
    if folder is not None:
        from dscoder.data.readers import ReaderConfig

        manifests = [build_reader(ReaderConfig(), folder=folder)]  # file records of the filter stage

    exact_steps, exact_find = [], None
    if config.dedup.exact_file_dedup:
        from datatrove.pipeline.dedup.exact_dedup import (
            ExactDedupConfig,
            ExactDedupFilter,
            ExactDedupSignature,
            ExactFindDedups,
        )

        exact = ExactDedupConfig(content_getter=_document_text)
        signatures = _executor(
            config, [input_reader(), ExactDedupSignature(str(work / "exact" / "signatures"), exact)],
            config.executor.tasks, "exact_signatures", input_bytes=size,
        )  # fmt: skip
        exact_find = _executor(
            config, [ExactFindDedups(str(work / "exact" / "signatures"), str(work / "exact" / "duplicates"), exact)],
            1, "exact_find", depends=signatures, input_bytes=size,
        )  # fmt: skip
        writer = file_record_writer(excluded / "repo_level_exact_duplicates") if excluded is not None else None
        exact_steps = [ExactDedupFilter(str(work / "exact" / "duplicates"), exact, exclusion_writer=writer)]
    group = _executor(
        config,
        [
            input_reader(),  # the exact-dedup filter needs the same reader and task count as its signatures
            *exact_steps,
            *manifests,  # a reader given documents passes them on, then reads its own
            RepoBucketRouter(config.grouping.buckets, exclusion_writer=invalid_writer),
            file_record_writer(work / "buckets", output_filename=BUCKET_FILENAME),
        ],
        config.executor.tasks,
        "group",
        depends=exact_find,
        input_bytes=size,
    )
    ordered_folder = work / "ordered" if config.dedup.enabled else Path(config.output)
    order = _executor(
        config,
        [
            RepoSampleBuilder(str(work / "buckets"), config.grouping, config.ordering),
            file_record_writer(ordered_folder),
        ],
        config.grouping.buckets,
        "order",
        depends=group,
        input_bytes=size,
    )
    if not config.dedup.enabled:
        return [group, order]

    from datatrove.pipeline.dedup.minhash import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
    )

    from .dedup import CodeMinhashSignature, minhash_config

    mh = minhash_config(config.dedup)
    tasks = config.dedup.signature_tasks

    def samples_reader():
        return JsonlReader(str(ordered_folder), glob_pattern="*.jsonl.gz", doc_progress=True, add_file_path=False)

    sigs = _executor(
        config,
        [samples_reader(), CodeMinhashSignature(str(work / "minhash" / "signatures"), config=mh)],
        tasks,
        "minhash_signatures",
        depends=order,
        input_bytes=size,
    )
    buckets = _executor(
        config,
        [MinhashDedupBuckets(str(work / "minhash" / "signatures"), str(work / "minhash" / "buckets"), config=mh)],
        config.dedup.bands * config.dedup.bucket_tasks_per_band,
        "minhash_buckets",
        depends=sigs,
        input_bytes=size,
    )
    clusters = _executor(
        config,
        [
            MinhashDedupCluster(
                str(work / "minhash" / "buckets"), str(work / "minhash" / "remove_ids"), config=mh, save_cluster_id=True, save_cluster_size=True
            )
        ],
        1,
        "minhash_clusters",
        depends=buckets,
    )
    dup_writer = file_record_writer(excluded / "repo_level_near_duplicates") if excluded is not None else None
    if dup_writer is not None:
        dup_writer.adapter = types.MethodType(_near_duplicate_adapter, dup_writer)
    filt = _executor(
        config,
        [
            samples_reader(),
            MinhashDedupFilter(str(work / "minhash" / "remove_ids"), exclusion_writer=dup_writer, load_cluster_ids=True, load_cluster_sizes=True),
            file_record_writer(config.output),
        ],
        tasks,
        "minhash_filter",
        depends=clusters,
        input_bytes=size,
    )
    return [group, order, sigs, buckets, clusters, filt]


def _check_folders(config: RepoLevelConfig) -> None:
    """No folder the stage writes may be its input or manifests folder, lie inside one, or hold one."""
    from dscoder.data.output_guard import check_separate_folders

    check_separate_folders({"input": config.input if config.reader.format != "hub" else None,
                            "manifests": manifests_folder(config)},
                           {"output": config.output, "work": _work(config), "excluded": config.excluded,
                            "logs": config.logs})  # fmt: skip


def _document_text(document) -> str:
    return document.text


def _near_duplicate_adapter(self, document) -> dict:
    from dscoder.data.readers import file_record_adapter

    return {**file_record_adapter(self, document), "filter_reason": "dedup:near_duplicate"}


def _stats(logs: Path) -> dict[str, float]:
    """Totals of every stat over the finished tasks of a datatrove logging folder (per-task stats files, so a
    resumed run counts the tasks of both runs once)."""
    from dscoder.data.funnel import merged_stats

    if not (logs / "stats").is_dir() and not (logs / "stats.json").is_file():
        return {}
    stats, _ = merged_stats(logs)
    totals: dict[str, float] = {}
    for step in stats.stats:
        for key, value in step.stats.items():
            total = value.get("total", 0) if isinstance(value, dict) else getattr(value, "total", value)
            if isinstance(total, (int, float)):
                totals[key] = totals.get(key, 0) + total
    return totals


def collect_counts(config: RepoLevelConfig) -> dict[str, Any]:
    """The stage's summary counts, read back from the logging folders' stats."""
    from dscoder.data.readers import reader_drops

    logs = Path(config.logs)
    group, order = _stats(logs / "group"), _stats(logs / "order")
    counts: dict[str, Any] = {
        "files_in": int(_stats(logs / "exact_signatures").get("total", 0) or group.get("files_in", 0)),
        "exact_duplicates_removed": int(group.get("dropped", 0)) if config.dedup.exact_file_dedup else 0,
        "files_routed": int(group.get("routed", 0)),
    }
    counts.update({k: int(v) for k, v in sorted(group.items()) if k.startswith("repo_level:")})
    records_dropped, files_dropped = reader_drops(group)  # input lines rejected before files_in, by reason
    counts.update(records_dropped)
    counts.update({f"{reason} (input files, records unknown)": n for reason, n in files_dropped.items()})
    keys = (
        "repositories", "one_file_repositories", "manifests", "repositories_split", "repository_parts",
        "files_repo_level", "components", "samples_repo", "samples_file", "references", "resolved_references",
        "unresolved_references", "self_imports", "edges", "acyclic_edges", "cyclic_edges", "cycles_broken",
    )  # fmt: skip
    counts.update({k: int(order.get(k, 0)) for k in keys})
    counts.update({k: int(v) for k, v in sorted(order.items()) if k.startswith("repo_level:")})
    # every count below is over the same edges: acyclic in + out of order = acyclic_edges, for both orders
    acyclic = order.get("acyclic_edges", 0)
    for name in ("paper", "scc"):
        for what in ("acyclic_in_order", "acyclic_out_of_order", "cyclic_out_of_order"):
            counts[f"{name}_{what}"] = int(order.get(f"{name}_{what}", 0))
    for name in ("paper", "scc"):
        counts[f"in_order_share_{name}"] = order.get(f"{name}_acyclic_in_order", 0) / acyclic if acyclic else 1.0
    counts["order"] = config.ordering.order
    counts["in_order_share"] = counts[f"in_order_share_{config.ordering.order}"]
    samples = counts["samples_repo"] + counts["samples_file"]
    if config.dedup.enabled:
        removed = 0
        remove_dir = _work(config) / "minhash" / "remove_ids"
        for f in remove_dir.glob("*.remove"):
            removed += f.stat().st_size // 4  # uint32 document indices
        counts["duplicates_removed"] = removed
        counts["samples_out"] = samples - removed
    else:
        counts["duplicates_removed"] = 0
        counts["samples_out"] = samples
    return counts


def _reset_if_config_changed(config: RepoLevelConfig) -> None:
    """Resuming is only sound with the same settings: datatrove would skip tasks finished under other ones. When
    ``logs/config.json`` holds another config hash, this stage's logs, work files, output and exclusion
    subfolders are removed first (and a warning says so)."""
    import shutil

    from dscoder.config import config_hash, config_to_dict

    logs = Path(config.logs)
    marker = logs / "config.json"
    digest = config_hash(config)
    if marker.is_file() and json.loads(marker.read_text()).get("hash") != digest:
        from datatrove.utils.logging import logger

        logger.warning(f"{marker}: the repo-level settings changed since the last run; starting over")
        owned = [logs, _work(config), Path(config.output)]
        if config.excluded:
            owned += sorted(Path(config.excluded).glob("repo_level_*"))
        for folder in owned:
            shutil.rmtree(folder, ignore_errors=True)
    logs.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"hash": digest, "config": config_to_dict(config)}, indent=2))


def run_repo_level(config: RepoLevelConfig) -> dict[str, Any]:
    """Run (or resume) the stage described by ``config`` and return its counts (local executor).

    A rerun with the same settings resumes (finished tasks are skipped); with other settings it starts over."""
    from dscoder.data.output_guard import output_lock

    _check_folders(config)
    with output_lock(config.output, "repo-level"):
        return _run_repo_level(config)


def _run_repo_level(config: RepoLevelConfig) -> dict[str, Any]:
    from dscoder.data.executors import shared_pool
    from dscoder.data.readers import no_records_message, reader_drops

    size = estimate_input_bytes(config) if config.executor.kind == "local" or config.grouping.buckets is None else None
    config = resolve_config(config, size)  # the bucket count is part of the settings a resume must share
    _reset_if_config_changed(config)
    executors = build_executors(config, input_bytes=size)
    with shared_pool(_chain(executors[-1])):  # one pool for every pass that wants one: started once, not once per pass
        executors[0].run()  # group (after its exact-dedup passes): with no record read there is nothing to order
        group = _stats(Path(config.logs) / "group")
        if not group.get("documents", 0):
            raise ValueError(no_records_message(config.input, int(group.get("input_files", 0)), *reader_drops(group)))
        if len(executors) > 2:  # MinHash passes read the ordered samples: when every file was dropped there are none
            executors[1].run()
            order = _stats(Path(config.logs) / "order")
            if not order.get("samples_repo", 0) + order.get("samples_file", 0):
                return collect_counts(config)  # the counts say why (repo_level:<reason> per dropped file)
        executors[-1].run()
    return collect_counts(config)


def _chain(executor) -> list:
    """``executor`` and every executor it depends on, first to last."""
    chain = []
    while executor is not None:
        chain.append(executor)
        executor = executor.depends
    return chain[::-1]


def run_repo_level_stage(
    input_dir: str | Path,
    output_dir: str | Path,
    logs_dir: str | Path,
    excluded_dir: str | Path | None = None,
    tasks: int = 2,
    workers: int = 2,
    order: str = "scc",
    buckets: int | None = None,
    dedup: bool = True,
    seed: int = 0,
    manifests_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Demo entry point: kept file records in ``input_dir`` → samples in ``output_dir`` (JSONL.gz).

    ``buckets=None`` sizes the routing buckets by bytes; ``manifests_dir`` holds the filter stage's build manifests.
    Returns counts: repositories, components, samples, cycles broken, duplicates removed, the in-order share of
    acyclic dependency edges for both orders (``in_order_share_paper`` / ``in_order_share_scc``, and
    ``in_order_share`` for the ``order`` used) and more."""
    from dscoder.config import config_from_dict

    config = config_from_dict(
        {
            "input": str(input_dir),
            "output": str(output_dir),
            "logs": str(logs_dir),
            "excluded": str(excluded_dir) if excluded_dir is not None else None,
            "manifests": str(manifests_dir) if manifests_dir is not None else None,
            "grouping": {"buckets": buckets},
            "ordering": {"order": order, "seed": seed},
            "dedup": {"enabled": dedup, "signature_tasks": tasks},
            "executor": {"kind": "local", "tasks": tasks, "workers": workers},
        },
        RepoLevelConfig,
        source="run_repo_level_stage",
    )
    return run_repo_level(config)


def counts_table(counts: dict[str, Any], title: str = "repo-level stage"):
    """The counts as a rich table (in-order shares as percentages)."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in counts.items():
        if isinstance(value, str):
            text = value
        else:
            text = f"{value:.2%}" if key.startswith("in_order_share") else f"{value:,}"
        table.add_row(key.replace("_", " "), text)
    from dscoder.terminal import wrap_cells

    return wrap_cells(table)
