"""The data pipeline on a multi-language corpus of real repositories, as a user runs it with no configuration.

    .venv/bin/python bench/real_corpora.py [--corpus DIR] [--stages filter,repo-level,decontaminate,tokenize]
        [--quality-set DIR | --no-quality] [--json OUT.json] [--smoke]

``--corpus`` is a folder of repositories, one per subfolder (default: the shipped fixtures of
``tests/fixtures/repo_level``). Every file whose language ``dscoder.data.languages`` knows, and every build
manifest (``go.mod``, ``package.json``, ``*.csproj``, ...), becomes one file record; the records then go through
the stages with their default settings (tasks 2, workers 2), each stage reading the previous one's output:
``dscoder data filter`` -> ``repo-level`` (which finds the manifests the filter stage put beside its output) ->
``decontaminate`` -> ``tokenize`` (a small BPE vocabulary trained here: nothing comes from the Hub).

Printed:

1. **dependency order per language**: the share of acyclic true dependency edges whose two files are in the
   same repository-level sample, the dependency first (``dscoder.data.repo_level.quality``), over the samples of
   the repo-level stage (before near-dedup) and the true edges between files the filter stage kept. True edges
   come from ``REPO.edges`` beside a repository when present (the fixtures' hand-written lists), else from the
   independent checkers of ``bench/dependency_truth.py`` (Python, Go, C#, Java, C/C++, JavaScript/TypeScript). The
   extractor's own edges (found, extra, the largest import cycle they make against the true one) are listed
   beside.
2. **cost per stage**: wall seconds per MB of the stage's input, and its ratio to a datatrove passthrough (JSONL
   reader -> JSONL writer, same tasks and workers) on the corpus, measured in the same run.
3. **gold and junk shares**: on a gold/junk set (``--quality-set``, as ``bench/quality_sets.py build`` writes it;
   default the shipped fixtures of ``tests/fixtures/quality``), the share of gold files our quality heuristics
   drop and, apart, the share the paper's rules drop; the share of junk the screening drops; per language and per
   split (``tune`` / ``holdout``), by ``bench/quality_screening.py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "repo_level"
STAGES = ("filter", "repo-level", "decontaminate", "tokenize")


def repositories(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))


def write_records(corpus: Path, out: Path, max_file_bytes: int = 1_000_000) -> int:
    """One file record per source file and manifest of each repository; returns the text bytes written."""
    from dscoder.data.languages import is_module_manifest, language_of

    out.mkdir(parents=True, exist_ok=True)
    total = 0
    with gzip.open(out / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
        for repo in repositories(corpus):
            for p in sorted(repo.rglob("*")):
                rel = p.relative_to(repo).as_posix()
                if not p.is_file() or ".git" in p.parts or p.stat().st_size > max_file_bytes:
                    continue
                language = language_of(rel)
                if language is None and not is_module_manifest(rel):
                    continue
                try:
                    text = p.read_text(encoding="utf-8")
                except (UnicodeDecodeError, OSError):
                    continue
                record = {"id": f"{repo.name}/{rel}", "text": text, "repo": repo.name, "path": rel}
                f.write(json.dumps(record) + "\n")
                total += len(text.encode("utf-8", "surrogatepass"))
    return total


def _read_jsonl(folder: Path) -> list[dict]:
    from dscoder.benchmarks import read_jsonl

    return [record for path in sorted(folder.rglob("*.jsonl.gz")) for record in read_jsonl(path)]


def _truth(repo: Path, family: str) -> set[tuple[str, str]] | None:
    edges_file = repo.with_suffix(".edges")
    if edges_file.is_file():
        truth = set()
        for line in edges_file.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                user, deps = line.split(":", 1)
                truth.update((dep, user.strip()) for dep in deps.split())
        return truth
    from dependency_truth import LANGUAGES, true_edges

    return true_edges(repo, family)[1] if family in LANGUAGES else None


def dependency_order(corpus: Path, kept: list[dict], samples: list[dict]) -> dict:
    """Per language family: acyclic true edges in order over the stage's samples, and the extractor's recall.
    ``kept``: the filter stage's kept files and manifests."""
    from dscoder.data.languages import is_module_manifest
    from dscoder.data.repo_level.deps import SourceFile, family_of, make_extractor
    from dscoder.data.repo_level.quality import OrderQuality, order_quality

    by_repo: dict[str, list[dict]] = defaultdict(list)
    for r in kept:
        by_repo[r["repo"]].append(r)
    sample_files: dict[str, list[list[str]]] = defaultdict(list)
    for s in samples:
        if s.get("sample_kind") == "repo":
            sample_files[s["repo"]].append(s["files"])
    totals: dict[str, OrderQuality] = defaultdict(OrderQuality)
    rows = []
    for repo in repositories(corpus):
        records = by_repo.get(repo.name, [])
        manifests = {r["path"]: r["text"] for r in records if is_module_manifest(r["path"])}
        families: dict[str, list[dict]] = defaultdict(list)
        for r in records:
            family = family_of(r.get("language") or "")
            if family is not None:
                families[family].append(r)
        for family, members in sorted(families.items()):
            truth = _truth(repo, family)
            if truth is None:
                continue
            paths = {r["path"] for r in members}
            truth = {(b, a) for b, a in truth if b in paths and a in paths}  # files the filter stage kept
            deps = make_extractor(family, manifests=manifests).extract(
                [SourceFile(r["path"], r["text"], r["language"]) for r in members])
            found = {(members[b]["path"], members[a]["path"]) for b, a in deps.edges}
            q = order_quality(truth, sample_files[repo.name], found)
            totals[family].add(q)
            rows.append({"repo": repo.name, "language": family, "files": len(members), "true_edges": q.true_edges,
                         "acyclic": q.acyclic_edges, "in_order": q.acyclic_in_order, "share": q.in_order_share,
                         "recall": q.recall, "extra_edges": q.extra_edges, "largest_cycle": _largest_cycle(found),
                         "true_largest_cycle": _largest_cycle(truth)})  # fmt: skip
    return {"repositories": rows,
            "languages": {k: {"true_edges": v.true_edges, "acyclic": v.acyclic_edges, "in_order": v.acyclic_in_order,
                              "share": v.in_order_share, "recall": v.recall, "extra_edges": v.extra_edges}
                          for k, v in sorted(totals.items())}}  # fmt: skip


def _largest_cycle(edges: set[tuple[str, str]]) -> int:
    """Files in the largest strongly connected component of ``edges`` (1: no cycle)."""
    from collections import Counter

    from dscoder.data.repo_level.ordering import strongly_connected_components

    nodes = sorted({p for edge in edges for p in edge})
    index = {p: i for i, p in enumerate(nodes)}
    sizes = Counter(strongly_connected_components(len(nodes), [(index[b], index[a]) for b, a in edges]))
    return max(sizes.values(), default=1)


def passthrough(records: Path, out: Path, logs: Path, tasks: int, workers: int) -> float:
    """Wall seconds of a datatrove JSONL reader -> JSONL writer over the same records and executor settings."""
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from dscoder.data.executors import ExecutorConfig, build_executor

    executor = build_executor([JsonlReader(str(records)), JsonlWriter(str(out))],
                              ExecutorConfig(tasks=tasks, workers=workers), logs)  # fmt: skip
    start = time.perf_counter()
    executor.run()
    return time.perf_counter() - start


def _text_bytes(folder: Path) -> int:
    return sum(len(r["text"].encode("utf-8", "surrogatepass")) for r in _read_jsonl(folder))


def run(corpus: Path, work: Path, stages: tuple[str, ...], tasks: int, workers: int) -> dict:
    from datatrove.utils.logging import logger

    logger.remove()
    records = work / "records"
    corpus_bytes = write_records(corpus, records)
    results: dict = {"corpus": str(corpus), "corpus_mb": corpus_bytes / 1e6, "stages": {}}
    seconds = passthrough(records, work / "passthrough", work / "logs" / "passthrough", tasks, workers)
    results["passthrough_s_per_mb"] = seconds / (corpus_bytes / 1e6)

    def timed(name: str, input_bytes: int, call) -> None:
        start = time.perf_counter()
        call()
        wall = time.perf_counter() - start
        per_mb = wall / (input_bytes / 1e6)
        results["stages"][name] = {"input_mb": input_bytes / 1e6, "seconds": wall, "s_per_mb": per_mb,
                                   "ratio": per_mb / results["passthrough_s_per_mb"]}  # fmt: skip

    from dscoder.data.filters.manifests import manifests_beside
    from dscoder.data.filters.pipeline import run_filter_stage

    kept = work / "kept"
    timed("filter", corpus_bytes, lambda: run_filter_stage(records, kept, work / "excluded" / "filter",
                                                           work / "logs" / "filter", tasks=tasks, workers=workers))
    kept_records = _read_jsonl(kept) + _read_jsonl(Path(manifests_beside(kept)))  # manifests: where repo-level finds them
    if "repo-level" not in stages:
        return results
    from dscoder.data.repo_level import run_repo_level_stage

    samples = work / "samples"
    timed("repo-level", _text_bytes(kept), lambda: run_repo_level_stage(
        kept, samples, work / "logs" / "repo_level", work / "excluded", tasks=tasks, workers=workers))  # fmt: skip
    ordered = _read_jsonl(samples) + _read_jsonl(work / "excluded" / "repo_level_near_duplicates")
    results["dependency_order"] = dependency_order(corpus, kept_records, ordered)
    if "decontaminate" in stages:
        from dscoder.data.decontamination.stage import run_decontamination_stage

        clean = work / "clean"
        timed("decontaminate", _text_bytes(samples), lambda: run_decontamination_stage(
            samples, clean, work / "excluded" / "decontamination", work / "logs" / "decontamination",
            work / "index", tasks=tasks, workers=workers, show_progress=False))  # fmt: skip
        if "tokenize" in stages:
            from dscoder.data.tokenize_stage import run_tokenize_stage
            from dscoder.tokenization.trainer import train_tokenizer

            tokenizer = train_tokenizer(clean, work / "bpe", vocab_size=1000, progress=False)
            timed("tokenize", _text_bytes(clean), lambda: run_tokenize_stage(
                clean, work / "tokenized", tokenizer, seq_len=512, num_proc=workers, progress=False))  # fmt: skip
    return results


def quality_shares(folder: Path | None) -> dict:
    """Gold and junk shares of the filter stage's screening on a gold/junk set (``bench/quality_screening.py``)."""
    from quality_screening import run_quality_screening  # bench/ is on sys.path: the script's own folder

    return run_quality_screening(folder)


def print_results(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    order = results.get("dependency_order")
    if order:
        t = Table(title=f"dependency order per repository ({results['corpus']})")
        for col in ("repository", "language", "files", "true edges", "acyclic", "in order", "found (recall)", "extra",
                    "largest cycle found / true"):  # fmt: skip
            t.add_column(col, justify="left" if col in ("repository", "language") else "right")
        for r in order["repositories"]:
            t.add_row(r["repo"], r["language"], str(r["files"]), str(r["true_edges"]), str(r["acyclic"]),
                      f"{r['share']:.1%}", f"{r['recall']:.1%}", str(r["extra_edges"]),
                      f"{r['largest_cycle']} / {r['true_largest_cycle']}")  # fmt: skip
        console.print(t)
        t = Table(title="dependency order per language: acyclic true edges in order (repo-level samples)")
        for col in ("language", "true edges", "acyclic", "in order", "share", "found (recall)", "extra"):
            t.add_column(col, justify="left" if col == "language" else "right")
        for lang, r in order["languages"].items():
            t.add_row(lang, str(r["true_edges"]), str(r["acyclic"]), str(r["in_order"]), f"{r['share']:.2%}",
                      f"{r['recall']:.1%}", str(r["extra_edges"]))  # fmt: skip
        console.print(t)
    t = Table(title=f"cost per stage on {results['corpus_mb']:.2f} MB (passthrough "
                    f"{results['passthrough_s_per_mb']:.3f} s/MB, same run)")  # fmt: skip
    for col in ("stage", "input MB", "seconds", "s/MB", "ratio to passthrough"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    for name, r in results["stages"].items():
        t.add_row(name, f"{r['input_mb']:.2f}", f"{r['seconds']:.1f}", f"{r['s_per_mb']:.3f}", f"{r['ratio']:.1f}x")
    console.print(t)
    if "quality" in results:
        from quality_screening import print_summary

        print_summary(results["quality"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=FIXTURES, help="folder of repositories (default: fixtures)")
    parser.add_argument("--stages", default=",".join(STAGES), help="stages to run, in pipeline order")
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quality-set", type=Path, default=None,
                        help="gold/junk set folder for the quality shares (default: tests/fixtures/quality)")
    parser.add_argument("--no-quality", action="store_true", help="leave out the gold/junk shares")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--work", type=Path, help="keep the intermediate folders here (default: a temporary one)")
    parser.add_argument("--smoke", action="store_true", help="the shipped fixtures, one worker: checks the script")
    args = parser.parse_args(argv)
    stages = tuple(s for s in args.stages.split(",") if s)
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"--stages: unknown {sorted(unknown)}; choose from {', '.join(STAGES)}")
    if args.smoke:
        args.corpus, args.tasks, args.workers = FIXTURES, 1, 1
    work = args.work or Path(tempfile.mkdtemp(prefix="dscoder-bench-corpora-"))
    try:
        results = run(args.corpus, work, stages, args.tasks, args.workers)
        if not args.no_quality:
            results["quality"] = quality_shares(args.quality_set)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print_results(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
