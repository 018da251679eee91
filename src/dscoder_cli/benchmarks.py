"""``dscoder benchmarks list|download``: where each benchmark's data comes from, and fetching Hub copies."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=None, parser=parser)
    sub = parser.add_subparsers(dest="benchmarks_command", metavar="ACTION")
    data_help = "benchmark data folder read before the package's copies (default: $DSCODER_BENCHMARKS_DIR)"

    p = sub.add_parser("list", help="table of every benchmark: records, where its data comes from, licence, source",
                       description="Every benchmark of the report's suite with its record count, where its data "
                                   "is read from now (data dir > package > HF cache > Hub; no network is used), "
                                   "its licence and its source.")
    p.add_argument("--data-dir", help=data_help)
    p.add_argument("--no-count", action="store_true", help="skip loading each set to count its records")
    p.add_argument("--json", action="store_true",
                   help="print the list as JSON (one object per benchmark: name, records, location, hub_id, licence, "
                   "source, note) instead of a table")
    p.set_defaults(handler=_run_list, parser=p)

    p = sub.add_parser("download", help="fetch Hub copies into the HF cache (for later offline runs)",
                       description="Download the Hub copy of each named benchmark into the Hugging Face cache "
                                   "(default: every benchmark not available from a data folder, the package or "
                                   "the cache). Needs network; HF_HUB_OFFLINE=1 refuses.")
    p.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to fetch (see `dscoder benchmarks list`)")
    p.add_argument("--data-dir", help=data_help)
    p.set_defaults(handler=_run_download, parser=p)


def _run_list(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from dscoder.benchmarks.catalog import LOCATION_TEXT, benchmark_table
    from dscoder.terminal import wrap_cells

    rows = benchmark_table(args.data_dir, count=not args.no_count)
    if args.json:
        import json

        print(json.dumps(rows, indent=1, default=str))
        return 0
    table = Table(title="dscoder benchmarks")
    for column in ("name", "records", "from", "licence", "source"):
        table.add_column(column)
    for r in rows:
        where = LOCATION_TEXT[r["location"]]
        if r["location"] in ("hub", "hub-cache"):
            where += f": {r['hub_id']}"
        elif r["location"] == "missing":
            where += ": needs --data-dir" if r["note"] else ""
        table.add_row(r["name"], "-" if r["records"] is None else str(r["records"]), where, r["licence"],
                      r["source"])
    Console().print(wrap_cells(table))
    print("not shipped: " + "; ".join(f"{r['name']}: {r['note']}" for r in rows if r["note"]))
    return 0


def _run_download(args) -> int:
    from dscoder.benchmarks.catalog import download_benchmarks

    done = download_benchmarks(args.names or None, args.data_dir)
    if not done:
        print("nothing to download: every benchmark with a Hub copy is in the data folder, the package or the cache")
    for r in done:
        print(f"{r['name']}: {r['records']} records from {r['hub_id']} in the HF cache")
    return 0
