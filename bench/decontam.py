"""Decontamination throughput per core and index size, against baselines measured in the same run.

    .venv/bin/python bench/decontam.py [--corpus DIR] [--data-dir BENCHMARKS] [--repeat 3] [--json OUT.json]

1. Builds the index over every benchmark whose data is available (``--data-dir``, default
   ``$DSCODER_BENCHMARKS_DIR``, else the copies shipped in the package) and reports its
   size (goal: under 500 MB) and build time.
2. Scans the corpus in memory with ``DecontaminationIndex.scan`` and, for reference, with the obvious pure-Python
   method (``re.findall`` tokens, a Python ``set`` of 10-gram tuples); MB/s per core.
3. Runs datatrove pipelines on one core (1 task, 1 worker, in process): the checked reader -> file-record
   writer passthrough, and the same with the decontamination block; MB/s and the ratio to the passthrough
   (goal: >= 20 MB/s per core for the block itself).
Times are CPU seconds of this process (the machine may be shared), best of ``--repeat``, pipelines round robin.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

_NAIVE_TOKEN = re.compile(r"[A-Za-z0-9_\x80-\U0010ffff]+|[^A-Za-z0-9_\x80-\U0010ffff\s]")


def naive_ngrams(text: str, n: int = 10) -> set[tuple[str, ...]]:
    tokens = _NAIVE_TOKEN.findall(text)
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def best_cpu(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def run_pipeline(steps: list, logs: Path) -> float:
    from datatrove.executor import LocalPipelineExecutor

    executor = LocalPipelineExecutor(steps, tasks=1, workers=1, logging_dir=str(logs), skip_completed=False)
    with contextlib.redirect_stderr(io.StringIO()):
        start = time.process_time()
        executor.run()
        return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="folder of file records (default: build the demo corpus)")
    parser.add_argument("--data-dir", help="benchmark data folder (default: $DSCODER_BENCHMARKS_DIR, else the package's copies)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts (default: 3)")
    parser.add_argument("--naive-mb", type=float, default=4.0, help="MB of the corpus the naive scan reads")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    # datatrove and dscoder (which imports torch) load after the arguments: --help answers at once
    from datatrove.utils.logging import logger
    from rich.console import Console
    from rich.table import Table

    from dscoder.benchmarks import ENV_VAR
    from dscoder.data.decontamination.filter import BenchmarkDecontaminationFilter
    from dscoder.data.decontamination.index import DecontaminationIndex, IndexConfig, strings_fingerprint
    from dscoder.data.decontamination.stage import collect_protected_strings, resolve_benchmarks
    from dscoder.data.readers import FileRecordJsonlReader, file_record_writer

    console = Console()
    data_dir = args.data_dir or os.environ.get(ENV_VAR)
    work = Path(tempfile.mkdtemp(prefix="dscoder-bench-decontam-"))
    results: dict = {}
    try:
        corpus = args.corpus
        if corpus is None:
            from dscoder.data.demo_corpus import build_demo_corpus

            corpus = str(work / "corpus")
            with console.status("building the demo corpus"):
                build_demo_corpus(corpus, show_progress=False)
        logger.disable("datatrove")
        docs = [d.text for d in FileRecordJsonlReader(corpus).run()]
        logger.enable("datatrove")
        size = sum(len(t.encode("utf-8", "surrogatepass")) for t in docs)
        console.print(f"corpus: {corpus}: {len(docs):,} files, {size / 1e6:.1f} MB; benchmarks from {data_dir}")

        # 1. the index
        names, skipped = resolve_benchmarks("all", data_dir)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.process_time()
        strings = collect_protected_strings(names, data_dir)
        index = DecontaminationIndex.build(strings, IndexConfig(), strings_fingerprint(strings, IndexConfig()))
        build_s = time.process_time() - start
        index.save(work / "index")
        exact_bytes = sum(len(k) + 8 * len(v) for k, v in index.exact.items())
        results["index"] = {
            "benchmarks": names, "skipped": skipped, "strings": len(strings), "ngrams": index.meta["ngrams"],
            "distinct_ngrams": index.meta["distinct_ngrams"], "exact_patterns": len(index.exact),
            "array_mb": index.nbytes / 2**20, "exact_mb": exact_bytes / 2**20, "build_cpu_s": build_s,
            "build_peak_rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024,
        }  # fmt: skip
        console.print(f"index: {len(names)} benchmarks, {len(strings):,} strings -> {index.meta['ngrams']:,} n-grams "
                      f"({index.meta['distinct_ngrams']:,} distinct), {len(index.exact):,} exact patterns; "
                      f"{index.nbytes / 2**20:.0f} MB arrays (goal < 500 MB); built in {build_s:.1f} CPU s"
                      + (f"; absent: {', '.join(skipped)}" if skipped else ""))  # fmt: skip

        # 2. in-memory scan vs the naive method
        index = DecontaminationIndex.load(work / "index")
        _ = index.automaton  # built once per worker, not per document
        scan_s = best_cpu(lambda: [index.scan(t) for t in docs], args.repeat)
        budget, sample = int(args.naive_mb * 1e6), []
        for t in docs:
            if budget <= 0:
                break
            sample.append(t)
            budget -= len(t.encode("utf-8", "surrogatepass"))
        sample_size = sum(len(t.encode("utf-8", "surrogatepass")) for t in sample)
        naive_index = set()
        for s in strings:
            naive_index |= naive_ngrams(s.text)
        naive_s = best_cpu(lambda: [bool(naive_ngrams(t) & naive_index) for t in sample], 1)
        vectorised_sample_s = best_cpu(lambda: [index.scan(t) for t in sample], args.repeat)
        results["scan"] = {"mb_per_s": size / 1e6 / scan_s, "naive_mb_per_s": sample_size / 1e6 / naive_s,
                           "speedup_vs_naive": naive_s / vectorised_sample_s}

        # 3. datatrove pipelines, one core
        def steps(with_filter: bool) -> list:
            blocks = [BenchmarkDecontaminationFilter(work / "index")] if with_filter else []
            return [FileRecordJsonlReader(corpus), *blocks, file_record_writer(work / "out")]

        timing = {"passthrough": float("inf"), "decontamination": float("inf")}
        for _ in range(args.repeat):
            for name in ("passthrough", "decontamination"):
                elapsed = run_pipeline(steps(name == "decontamination"), work / "logs")
                shutil.rmtree(work / "out", ignore_errors=True)
                shutil.rmtree(work / "logs", ignore_errors=True)
                timing[name] = min(timing[name], elapsed)
        block_s = max(timing["decontamination"] - timing["passthrough"], 1e-9)
        results["pipeline"] = {
            "passthrough_mb_per_s": size / 1e6 / timing["passthrough"],
            "with_filter_mb_per_s": size / 1e6 / timing["decontamination"],
            "ratio_to_passthrough": timing["passthrough"] / timing["decontamination"],
            "block_only_mb_per_s": size / 1e6 / block_s,
        }
        table = Table(title="decontamination per core (CPU time), all available benchmarks")
        for col in ("measurement", "MB/s", "vs baseline"):
            table.add_column(col, justify="left" if col == "measurement" else "right")
        p, s = results["pipeline"], results["scan"]
        table.add_row("scan in memory (DecontaminationIndex.scan)", f"{s['mb_per_s']:.1f}",
                      f"{s['speedup_vs_naive']:.1f}x naive")
        table.add_row("naive scan (re.findall + set of tuples)", f"{s['naive_mb_per_s']:.1f}", "1.0x")
        table.add_row("pipeline: checked reader -> writer (passthrough)", f"{p['passthrough_mb_per_s']:.1f}", "1.00x")
        table.add_row("pipeline: + decontamination block", f"{p['with_filter_mb_per_s']:.1f}",
                      f"{p['ratio_to_passthrough']:.2f}x")
        table.add_row("the block alone (difference of the two)", f"{p['block_only_mb_per_s']:.1f}", "")
        console.print(table)
        console.print(f"goal >= 20 MB/s per core for the block: {p['block_only_mb_per_s']:.1f} MB/s; "
                      f"index {results['index']['array_mb']:.0f} MB (goal < 500 MB)")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
