"""``dscoder data ...``: the code-data pipeline (report §2)."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=None, parser=parser)
    sub = parser.add_subparsers(dest="data_command", metavar="STEP")
    _add_demo_corpus(sub)


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
    p.add_argument("--max-bytes", type=int, default=16_000_000, help="total UTF-8 bytes (default: 16e6)")
    p.add_argument("--max-repo-bytes", type=int, default=1_000_000, help="bytes per repository (default: 1e6)")
    p.add_argument("--max-file-bytes", type=int, default=500_000, help="skip larger files (default: 5e5)")
    p.add_argument("--shards", type=int, default=2, help="output files; a repository stays in one (default: 2)")
    p.add_argument("--format", dest="output_format", choices=["jsonl.gz", "jsonl", "parquet"], default="jsonl.gz")
    p.add_argument("--no-stdlib", action="store_true", help="leave out the standard library")
    p.add_argument("--no-site-packages", action="store_true", help="leave out installed distributions")
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
