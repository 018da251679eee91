"""Speed and quality of the repository-level stage, each measured against a baseline in the same run.

    .venv/bin/python bench/repo_level.py [--corpus DIR] [--repeat 3] [--json OUT.json] [--png OUT.png] [--smoke]

On one core (CPU time of this process, so a busy machine does not skew it), over the same file records (default: the demo corpus, built into a temporary folder when --corpus is
not given):

1. extraction + ordering: files/s of dependency extraction and of extraction + both orders + sample rendering,
   per language family (goal: >= 2,000 Python files/s per core, so ordering never
   dominates the stage), and the in-order share of acyclic
   dependency edges for Algorithm 1 and the SCC-aware order; peak Python memory (tracemalloc) of the largest
   repository;
2. MinHash: datatrove's stage 1 (``MinhashDedupSignature.run``, signatures written and sorted) with this
   project's code tokenizer and normalisation, against the same stage with datatrove's prose defaults
   (``simplify_text``: lowercase, no punctuation, digits as 0; words split on whitespace, since datatrove's
   spaCy-based tokenizers are not installed) on the same repository
   samples; ratio (goal: >= 0.9);
3. dedup quality: near-duplicates planted from real repositories of the corpus (identifiers renamed, a few
   files changed, files reordered, and combinations), LSH candidate pairs (14 bands x 8 rows on datatrove's
   signatures) against pairs whose exact Jaccard similarity of code 5-gram shingles is >= 0.72: precision and
   recall, plus a PNG of the S-curve (pairs' Jaccard vs found);
4. dependency order against true edges (is a file placed after what it imports?): on installed packages of
   this venv, true import edges from an
   independent checker built on Python's ``ast`` (import semantics: submodules, the ``__init__`` of each package
   on the way, relative imports), edges found by the extractor (recall, extra), and the share of acyclic true
   edges in order with Algorithm 1 (``order: paper``, mean over seeds) and the default SCC-aware order; the same
   on the real-world-shaped Java / Go / JavaScript / TypeScript fixtures of ``tests/fixtures/repo_level``
   (hand-written true edges);
5. stage cost: wall time of the whole stage (group, order, MinHash) on two input sizes, so per-MB cost and fixed
   cost, with worker processes forced (``min_mb_per_worker: 0``) either on one pool for all passes (the default)
   or on a pool per pass (the former behaviour), and in this process; each against a datatrove passthrough on the
   same inputs; and memory: peak Python memory (tracemalloc) of the stage on
   two input sizes with buckets sized by bytes against one fixed bucket.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import resource
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
from datatrove.utils.hashing import HashConfig
from datatrove.utils.logging import logger
from datatrove.utils.word_tokenizers import WordTokenizer
from dependency_truth import ast_import_edges  # bench/ is on sys.path: the script's own folder
from rich.console import Console
from rich.table import Table

from dscoder.data.repo_level.builder import FileRecord, build_repository_samples
from dscoder.data.repo_level.config import DedupConfig, OrderingConfig
from dscoder.data.repo_level.dedup import (
    CodeMinhashSignature,
    CodeWordTokenizer,
    code_shingles,
    jaccard,
    minhash_config,
)
from dscoder.data.repo_level.deps import SourceFile, family_of, make_extractor

logger.remove()


class SplitTokenizer(WordTokenizer):
    """``str.split``: the cheapest word tokenizer (datatrove's WhitespaceTokenizer loads spaCy, not installed)."""

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return text.splitlines()

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"\S+", text)]


def load_corpus(folder: Path) -> dict[str, list[FileRecord]]:
    repos: dict[str, list[FileRecord]] = defaultdict(list)
    for path in sorted(folder.rglob("*.jsonl*")):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                repos[r["repo"]].append(FileRecord(r["id"], r["path"], r["text"], r["language"]))
    return repos


def bench_ordering(repos: dict[str, list[FileRecord]], repeat: int) -> dict:
    config = OrderingConfig()
    by_family: dict[str, dict[str, float]] = defaultdict(lambda: {"files": 0, "extract_s": 0.0, "full_s": 0.0})
    for _ in range(repeat):
        run: dict[str, dict[str, float]] = defaultdict(lambda: {"files": 0, "extract_s": 0.0, "full_s": 0.0})
        for repo, files in repos.items():
            families = defaultdict(list)
            for f in files:
                if f.language in config.repo_level_languages:
                    families[family_of(f.language)].append(f)
            for family, members in families.items():
                t0 = time.process_time()  # CPU time: per-core throughput even on a shared machine
                make_extractor(family).extract([SourceFile(f.path, f.text, f.language) for f in members])
                t1 = time.process_time()
                build_repository_samples(repo, members, config)
                t2 = time.process_time()
                run[family]["files"] += len(members)
                run[family]["extract_s"] += t1 - t0
                run[family]["full_s"] += t2 - t1
        for family, r in run.items():  # best of the repeats
            best = by_family[family]
            if not best["files"] or r["full_s"] < best["full_s"]:
                by_family[family] = r
    paper_in, scc_in, acyclic, cycles = 0, 0, 0, 0
    for repo, files in repos.items():
        result = build_repository_samples(repo, files, config)
        paper_in += result.paper.acyclic_in_order
        scc_in += result.scc.acyclic_in_order
        acyclic += result.paper.acyclic_edges
        cycles += result.paper.cycles
    largest = max(repos, key=lambda r: len(repos[r]))
    tracemalloc.start()
    build_repository_samples(largest, repos[largest], config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "families": {
            k: {
                "files": int(v["files"]),
                "extract_files_per_s": v["files"] / v["extract_s"] if v["extract_s"] else 0.0,
                "extract_order_files_per_s": v["files"] / v["full_s"] if v["full_s"] else 0.0,
            }
            for k, v in sorted(by_family.items())
        },
        "acyclic_edges": acyclic,
        "cycles": cycles,
        "in_order_share_paper": paper_in / acyclic if acyclic else 1.0,
        "in_order_share_scc": scc_in / acyclic if acyclic else 1.0,
        "largest_repo": largest,
        "largest_repo_files": len(repos[largest]),
        "largest_repo_peak_mb": peak / 1e6,
    }


def bench_installed_packages(names: list[str], seeds: int = 3) -> dict:
    """Per installed package: true edges (ast), recall and extra edges of the extractor, acyclic true edges in
    order with Algorithm 1 (mean over ``seeds``) and with the default order."""
    import importlib.util

    from dscoder.data.repo_level.quality import OrderQuality, order_quality

    rows, totals = {}, {"paper": OrderQuality(), "default": OrderQuality()}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None or not spec.origin.endswith("__init__.py"):
            continue
        site = Path(spec.origin).parent.parent
        paths, truth = ast_import_edges(site, name)
        files = [FileRecord(p, p, (site / p).read_text(encoding="utf-8", errors="replace"), "python") for p in paths]
        deps = make_extractor("python").extract([SourceFile(f.path, f.text, f.language) for f in files])
        found = {(paths[b], paths[a]) for b, a in deps.edges}
        row = {}
        for label, order, runs in (("paper", "paper", range(seeds)), ("default", OrderingConfig().order, range(1))):
            shares = []
            for seed in runs:
                result = build_repository_samples(name, files, OrderingConfig(order=order, seed=seed))
                q = order_quality(truth, [s.metadata["files"] for s in result.samples], found)
                shares.append(q.in_order_share)
                totals[label].add(q)  # over all seeds: the total share is the edge-weighted mean
            row[label] = sum(shares) / len(shares)
        rows[name] = {"files": len(files), "true_edges": q.true_edges, "acyclic": q.acyclic_edges, "recall": q.recall,
                      "extra_edges": q.extra_edges, "in_order_paper": row["paper"], "in_order_default": row["default"]}
    return {"packages": rows, "default_order": OrderingConfig().order,
            "total_in_order_paper": totals["paper"].in_order_share,
            "total_in_order_default": totals["default"].in_order_share,
            "total_recall": totals["default"].recall, "total_acyclic": totals["default"].acyclic_edges}


def bench_fixtures(folder: Path) -> dict:
    """Recall and in-order shares on the hand-checked fixture repositories of ``tests/fixtures/repo_level``."""
    from dscoder.data.languages import is_module_manifest, language_of
    from dscoder.data.repo_level.builder import check_record
    from dscoder.data.repo_level.quality import order_quality

    out = {}
    for truth_file in sorted(folder.glob("*.edges")):
        root = folder / truth_file.stem
        files, manifests = [], []
        for p in sorted(root.rglob("*")):
            if p.is_file():
                rel = p.relative_to(root).as_posix()
                record = FileRecord(rel, rel, p.read_text(encoding="utf-8"), language_of(rel) or "")
                if is_module_manifest(rel):
                    manifests.append(record)
                elif check_record(rel, record.text, record.language) is None:  # the stage drops empty files
                    files.append(record)
        truth = []
        for line in truth_file.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                user, deps = line.split(":", 1)
                truth += [(dep, user.strip()) for dep in deps.split()]
        languages = sorted({f.language for f in files if family_of(f.language)})
        family = family_of(languages[0])
        members = [f for f in files if family_of(f.language) == family]
        deps = make_extractor(family, manifests={m.path: m.text for m in manifests}).extract(
            [SourceFile(f.path, f.text, f.language) for f in members])
        found = {(members[b].path, members[a].path) for b, a in deps.edges}
        row = {"languages": languages}
        for order in ("paper", "scc"):
            result = build_repository_samples(truth_file.stem, files, OrderingConfig(order=order, repo_level_languages=languages),
                                              extra=manifests)  # fmt: skip
            q = order_quality(truth, [s.metadata["files"] for s in result.samples if s.metadata["sample_kind"] == "repo"], found)
            row[f"in_order_{order}"] = q.in_order_share
        row.update(true_edges=q.true_edges, recall=q.recall, extra_edges=q.extra_edges, acyclic=q.acyclic_edges)
        out[truth_file.stem] = row
    return out


def _stage_input(folder: Path, megabytes: float, packages: list[str], repo_depth: int = 1) -> float:
    """File records of installed packages' ``.py`` files up to ``megabytes``: one repository per package, per
    folder ``repo_depth`` levels down, or per file (``repo_depth=0``: many small repositories)."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    budget, total = int(megabytes * 1e6), 0
    with gzip.open(folder / "files.jsonl.gz", "wt", encoding="utf-8") as out:
        for name in packages:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                continue
            root = Path(spec.origin).parent
            for p in sorted(root.rglob("*.py")):
                text = p.read_text(encoding="utf-8", errors="replace")
                if not text.strip() or total >= budget:
                    continue
                total += len(text.encode())
                rel = p.relative_to(root.parent).as_posix()
                repo = "/".join(rel.split("/")[:-1][:repo_depth]) or name if repo_depth else rel
                out.write(json.dumps({"id": rel, "text": text, "repo": repo, "path": rel, "language": "python"}) + "\n")
    return total / 1e6


def _run_stage(tmp: Path, input_dir: Path, label: str, pool_per_pass: bool = False, **settings) -> float:
    """Wall seconds of the whole stage; ``pool_per_pass``: each pass starts its own pool (the former way)."""
    from dscoder.config import config_from_dict
    from dscoder.data.repo_level import RepoLevelConfig, build_executors, run_repo_level

    run = tmp / label
    config = config_from_dict(
        {"input": str(input_dir), "output": str(run / "out"), "logs": str(run / "logs"),
         "executor": {"kind": "local", "tasks": 2, "workers": 2}, "dedup": {"signature_tasks": 2}, **settings},
        RepoLevelConfig, source="bench",
    )  # fmt: skip
    t0 = time.perf_counter()
    if pool_per_pass:
        build_executors(config)[-1].run()  # the chain, each executor with its own pool
    else:
        run_repo_level(config)
    return time.perf_counter() - t0


def _passthrough(tmp: Path, input_dir: Path, label: str) -> float:
    """Wall seconds of a datatrove JSONL reader -> writer over the same input (tasks 2, workers 2)."""
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from dscoder.data.executors import ExecutorConfig, build_executor

    executor = build_executor([JsonlReader(str(input_dir)), JsonlWriter(str(tmp / label / "out"))],
                              ExecutorConfig(tasks=2, workers=2), tmp / label / "logs")  # fmt: skip
    t0 = time.perf_counter()
    executor.run()
    return time.perf_counter() - t0


#: stage-cost modes: a process pool for every pass (forced), the former way and the default one, and no pool
STAGE_MODES = {
    "pool per pass (before)": {"pool_per_pass": True, "min_mb_per_worker": 0},
    "one pool for all passes (default)": {"min_mb_per_worker": 0},
    "in this process": {"min_mb_per_worker": 1e9},
}


def bench_stage_cost(sizes_mb: tuple[float, float], packages: list[str], modes: tuple[str, ...] = tuple(STAGE_MODES)) -> dict:
    """Wall time of the stage on two input sizes: per-MB cost (slope) and fixed cost (intercept), per mode, and
    the per-MB cost of a datatrove passthrough on the same inputs (run first, so its pool starts cold too)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = [(mb, tmp / f"in_{k}") for k, mb in enumerate(sizes_mb)]
        actual = [_stage_input(folder, mb, packages) for mb, folder in inputs]

        def fit(times):
            per_mb = (times[1] - times[0]) / (actual[1] - actual[0])
            return {"seconds": times, "per_mb_s": per_mb, "fixed_s": times[0] - per_mb * actual[0],
                    "s_per_mb_at_largest": times[1] / actual[1]}  # fmt: skip

        out["passthrough"] = fit([_passthrough(tmp, folder, f"pass_{k}") for k, (_, folder) in enumerate(inputs)])
        for mode in modes:
            settings = STAGE_MODES[mode]
            out[mode] = fit([_run_stage(tmp, folder, f"{mode[:4]}_{k}", **settings) for k, (_, folder) in enumerate(inputs)])
        out["input_mb"] = actual
    return out


def bench_memory(sizes_mb: tuple[float, float], packages: list[str], bucket_mb: float) -> dict:
    """Peak Python memory (tracemalloc) of the ``order`` pass, which holds one bucket at a time, on two input
    sizes of many small repositories (one per file, so that no repository outweighs a bucket), in one process: buckets sized by bytes
    (``bucket_mb``) against one fixed bucket (a fixed count that the corpus outgrows)."""
    from dscoder.config import config_from_dict
    from dscoder.data.repo_level import RepoLevelConfig, build_executors
    from dscoder.data.repo_level.stage import resolve_config

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k, mb in enumerate(sizes_mb):
            folder = tmp / f"in_{k}"
            actual = _stage_input(folder, mb, packages, repo_depth=0)
            for mode, grouping in (("by bytes", {"bucket_mb": bucket_mb}), ("one bucket", {"buckets": 1})):
                run = tmp / f"mem_{k}_{mode[:3]}"
                config = config_from_dict(
                    {"input": str(folder), "output": str(run / "out"), "logs": str(run / "logs"), "grouping": grouping,
                     "dedup": {"enabled": False}, "executor": {"kind": "local", "tasks": 1, "workers": 1}},
                    RepoLevelConfig, source="bench",
                )  # fmt: skip
                config = resolve_config(config)
                group, order = build_executors(config)
                group.run()
                tracemalloc.start()
                order.run()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                out.setdefault(mode, []).append({"input_mb": actual, "buckets": config.grouping.buckets,
                                                 "peak_mb": peak / 1e6})  # fmt: skip
    return out


def _samples(repos: dict[str, list[FileRecord]]) -> list[Document]:
    docs = []
    for repo, files in repos.items():
        for s in build_repository_samples(repo, files, OrderingConfig()).samples:
            if s.metadata["sample_kind"] == "repo":
                docs.append(Document(text=s.text, id=s.id, metadata={}))
    return docs


def bench_minhash(docs: list[Document], repeat: int) -> dict:
    code_cfg = minhash_config(DedupConfig())
    prose_cfg = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8, hash_config=HashConfig(precision=64))
    nbytes = sum(len(d.text.encode()) for d in docs)
    steps = {
        "dscoder CodeMinhashSignature": lambda tmp: CodeMinhashSignature(tmp, config=code_cfg),
        "datatrove stage 1, code tokens": lambda tmp: MinhashDedupSignature(tmp, config=code_cfg, language=CodeWordTokenizer()),
        "datatrove stage 1, prose defaults": lambda tmp: MinhashDedupSignature(tmp, config=prose_cfg, language=SplitTokenizer()),
    }
    out = {}
    for name, make in steps.items():
        best = float("inf")
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                step = make(tmp)
                t0 = time.process_time()
                step.run(iter(docs), rank=0, world_size=1)
                best = min(best, time.process_time() - t0)
        out[name] = {"docs_per_s": len(docs) / best, "mb_per_s": nbytes / best / 1e6}
    out["ratio"] = out["dscoder CodeMinhashSignature"]["mb_per_s"] / out["datatrove stage 1, code tokens"]["mb_per_s"]
    out["docs"], out["bytes"] = len(docs), nbytes
    return out


_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{3,}\b")


def _plant(files: list[FileRecord], kind: str, rng: random.Random) -> list[FileRecord]:
    files = [FileRecord(f.id, f.path, f.text, f.language) for f in files]
    if "rename" in kind:  # rename 5 frequent identifiers everywhere
        counts: dict[str, int] = defaultdict(int)
        for f in files:
            for w in _IDENT.findall(f.text):
                counts[w] += 1
        common = sorted(counts, key=lambda w: -counts[w])[5:30]
        for w in rng.sample(common, min(5, len(common))):
            new = w + "_renamed"
            for f in files:
                f.text = re.sub(rf"\b{w}\b", new, f.text)
    if "change" in kind:  # rewrite 10% of the lines of two files
        for f in rng.sample(files, min(2, len(files))):
            lines = f.text.split("\n")
            for i in rng.sample(range(len(lines)), max(1, len(lines) // 10)):
                lines[i] = f"value_{rng.randrange(10**6)} = {rng.randrange(10**6)}"
            f.text = "\n".join(lines)
    if "reorder" in kind:  # a repository seed of its own reorders tie-broken files; rename paths too
        for f in files:
            f.path = "renamed_root/" + f.path
    return files


def bench_dedup_quality(repos: dict[str, list[FileRecord]], threshold: float, seed: int = 0, png: Path | None = None) -> dict:
    rng = random.Random(seed)
    pool = [r for r, fs in repos.items() if 3 <= sum(f.language == "python" for f in fs) <= 80]
    chosen = rng.sample(pool, min(12, len(pool)))
    corpus: dict[str, list[FileRecord]] = {}
    kinds = ("rename", "change", "reorder", "rename+change", "rename+change+reorder")
    for r in chosen:
        py = [f for f in repos[r] if f.language == "python"]
        corpus[r] = py
        for kind in kinds:
            corpus[f"{r}~{kind}"] = _plant(py, kind, rng)
    docs = []
    for name, files in corpus.items():
        for s in build_repository_samples(name, files, OrderingConfig()).samples:
            docs.append((name, s.text))
    cfg = minhash_config(DedupConfig())
    with tempfile.TemporaryDirectory() as tmp:
        sig = CodeMinhashSignature(tmp, config=cfg)
        bands = [sig.get_signature(sig.get_shingles(t)) if len(code_shingles(t, 5)) else None for _, t in docs]
    candidates = set()
    index: dict[tuple, list[int]] = defaultdict(list)
    for i, b in enumerate(bands):
        if b is None:
            continue
        for k, band in enumerate(b):
            index[(k, tuple(band))].append(i)
    for members in index.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                candidates.add((members[a], members[b]))
    shingles = [code_shingles(t, 5) for _, t in docs]
    sim: dict[tuple[int, int], float] = {}
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            small, large = sorted((len(shingles[i]), len(shingles[j])))
            if (i, j) in candidates or (large and small / large >= 0.3):
                sim[(i, j)] = jaccard(shingles[i], shingles[j])

    def recall(at: float) -> float:
        pairs = [p for p, v in sim.items() if v >= at]
        return sum(p in candidates for p in pairs) / len(pairs) if pairs else 1.0

    def precision(at: float) -> float:
        return sum(sim.get(p, 0.0) >= at for p in candidates) / len(candidates) if candidates else 1.0

    truth = {p for p, v in sim.items() if v >= threshold}
    if png is not None and sim:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        bins = [(lo / 20, (lo + 1) / 20) for lo in range(4, 20)]
        found = []
        for lo, hi in bins:
            pairs = [p for p, v in sim.items() if lo <= v < hi or (hi == 1.0 and v == 1.0)]
            found.append(sum(p in candidates for p in pairs) / len(pairs) if pairs else float("nan"))
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot([(lo + hi) / 2 for lo, hi in bins], found, "o-", label="measured (pairs per 0.05 bin)")
        curve = [(x / 100, 1 - (1 - (x / 100) ** 8) ** 14) for x in range(20, 101)]
        ax.plot(*zip(*curve), color="red", label="LSH theory, 14 bands x 8 rows")
        ax.axvline(threshold, linestyle="--", color="gray")
        ax.set_xlabel("exact Jaccard similarity (code 5-gram shingles)")
        ax.set_ylabel("share of pairs found by MinHash LSH")
        ax.legend()
        fig.tight_layout()
        fig.savefig(png)
    return {
        "documents": len(docs),
        "planted_from_repositories": len(chosen),
        "pairs_jaccard_ge_threshold": len(truth),
        "lsh_candidate_pairs": len(candidates),
        "precision": precision(threshold),
        "precision_at_0.5": precision(0.5),
        "recall": recall(threshold),
        "recall_at_0.8": recall(0.8),
        "recall_at_0.9": recall(0.9),
    }


DEFAULT_PACKAGES = ["datatrove", "peft", "accelerate", "datasets", "huggingface_hub", "jinja2", "click", "anyio"]
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "repo_level"


def _print_order_tables(console: Console, results: dict) -> None:
    p = results["installed_packages"]
    t = Table(title=f"installed packages: acyclic true import edges (independent ast check) in order; default order = "
                    f"{p['default_order']}")  # fmt: skip
    for col in ("package", "files", "true edges", "acyclic", "found (recall)", "extra", "Algorithm 1 (paper)", "default"):
        t.add_column(col, justify="right")
    for name, r in p["packages"].items():
        t.add_row(name, str(r["files"]), str(r["true_edges"]), str(r["acyclic"]), f"{r['recall']:.2%}",
                  str(r["extra_edges"]), f"{r['in_order_paper']:.2%}", f"{r['in_order_default']:.2%}")  # fmt: skip
    t.add_row("all", "", "", str(p["total_acyclic"]), f"{p['total_recall']:.2%}", "", f"{p['total_in_order_paper']:.2%}",
              f"{p['total_in_order_default']:.2%}")  # fmt: skip
    console.print(t)
    t = Table(title="real-world-shaped fixtures (tests/fixtures/repo_level, hand-written true edges)")
    for col in ("repository", "languages", "true edges", "found (recall)", "extra", "Algorithm 1 (paper)", "SCC (default)"):
        t.add_column(col, justify="right")
    for name, r in results["fixtures"].items():
        t.add_row(name, "+".join(r["languages"]), str(r["true_edges"]), f"{r['recall']:.2%}", str(r["extra_edges"]),
                  f"{r['in_order_paper']:.2%}", f"{r['in_order_scc']:.2%}")  # fmt: skip
    console.print(t)


def _print_cost_tables(console: Console, results: dict) -> None:
    c = results["stage_cost"]
    sizes = " and ".join(f"{mb:.2f} MB" for mb in c["input_mb"])
    t = Table(title=f"whole stage (group, order, MinHash; tasks 2, workers 2) on {sizes}, wall time; passthrough: "
                    "datatrove JSONL read -> write, same inputs and executor")  # fmt: skip
    for col in ("passes", "seconds", "per MB (s, slope)", "fixed (s)", "s/MB at the largest", "ratio to passthrough"):
        t.add_column(col, justify="right")
    base = c["passthrough"]["s_per_mb_at_largest"]
    for mode in ("passthrough", *STAGE_MODES):
        if mode in c:
            r = c[mode]
            t.add_row(mode, " / ".join(f"{x:.1f}" for x in r["seconds"]), f"{r['per_mb_s']:.2f}", f"{r['fixed_s']:.1f}",
                      f"{r['s_per_mb_at_largest']:.2f}", f"{r['s_per_mb_at_largest'] / base:.1f}x")  # fmt: skip
    console.print(t)
    m = results["memory"]
    if not m:
        return
    t = Table(title="peak Python memory of the order pass (tracemalloc, one process)")
    for col in ("buckets", *(f"{r['input_mb']:.1f} MB input" for r in m["by bytes"])):
        t.add_column(col, justify="right")
    for mode, rows in m.items():
        t.add_row(mode, *(f"{r['peak_mb']:.1f} MB" for r in rows))
    console.print(t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="folder of file records (default: build the demo corpus)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--packages", nargs="*", default=DEFAULT_PACKAGES, help="installed packages to order")
    parser.add_argument("--png", type=Path, default=Path("bench_repo_level_dedup.png"), help="S-curve chart")
    parser.add_argument("--stage-mb", type=float, nargs=2, default=(0.2, 4.0), help="input sizes of the stage-cost run")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run: order and cost sections on tiny inputs")
    parser.add_argument("--only-stage-cost", action="store_true", help="run the stage-cost section alone")
    args = parser.parse_args(argv)
    console = Console()
    results: dict = {}
    if args.only_stage_cost:
        results["stage_cost"] = bench_stage_cost(tuple(args.stage_mb), args.packages)
        _print_cost_tables(console, {**results, "memory": {}})
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return 0
    if args.smoke:
        results["installed_packages"] = bench_installed_packages(["click"], seeds=1)
        results["fixtures"] = bench_fixtures(FIXTURES)
        results["stage_cost"] = bench_stage_cost((0.05, 0.1), ["click"], modes=("in this process",))
        results["memory"] = bench_memory((0.05, 0.1), ["click"], bucket_mb=0.05)
        _print_order_tables(console, results)
        _print_cost_tables(console, results)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus
        if corpus is None:
            from dscoder.data.demo_corpus import build_demo_corpus

            corpus = Path(tmp) / "corpus"
            build_demo_corpus(corpus)
        repos = load_corpus(corpus)
    results["ordering"] = bench_ordering(repos, args.repeat)
    results["installed_packages"] = bench_installed_packages(args.packages)
    results["fixtures"] = bench_fixtures(FIXTURES)
    results["stage_cost"] = bench_stage_cost(tuple(args.stage_mb), args.packages)
    results["memory"] = bench_memory((args.stage_mb[1] / 4, args.stage_mb[1]), args.packages, bucket_mb=0.25)
    results["minhash"] = bench_minhash(_samples(repos), args.repeat)
    results["dedup_quality"] = bench_dedup_quality(repos, threshold=(1 / 14) ** (1 / 8), png=args.png)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t = Table(title="extraction + ordering, one core (goal: >= 2,000 Python files/s)")
    for col in ("family", "files", "extract files/s", "extract+order+render files/s"):
        t.add_column(col, justify="right")
    for fam, v in results["ordering"]["families"].items():
        t.add_row(fam, f"{v['files']:,}", f"{v['extract_files_per_s']:,.0f}", f"{v['extract_order_files_per_s']:,.0f}")
    console.print(t)
    o = results["ordering"]
    console.print(
        f"demo corpus, acyclic extractor edges in order: Algorithm 1 {o['in_order_share_paper']:.2%}, SCC-aware "
        f"{o['in_order_share_scc']:.2%} ({o['acyclic_edges']:,} acyclic edges, {o['cycles']} cycles); largest "
        f"repository {o['largest_repo']} ({o['largest_repo_files']} files): peak {o['largest_repo_peak_mb']:.1f} MB"
    )
    _print_order_tables(console, results)
    _print_cost_tables(console, results)
    m = results["minhash"]
    t = Table(title=f"MinHash stage 1 on {m['docs']} repository samples ({m['bytes'] / 1e6:.1f} MB), CPU time of one core")
    for col in ("configuration", "docs/s", "MB/s"):
        t.add_column(col, justify="right")
    for name in ("dscoder CodeMinhashSignature", "datatrove stage 1, code tokens", "datatrove stage 1, prose defaults"):
        t.add_row(name, f"{m[name]['docs_per_s']:,.0f}", f"{m[name]['mb_per_s']:.2f}")
    console.print(t)
    console.print(f"ratio dscoder / datatrove stage 1 (code tokens): {m['ratio']:.2f} (goal >= 0.90)")
    q = results["dedup_quality"]
    console.print(
        f"dedup vs exact Jaccard >= 0.72 (pairs): precision {q['precision']:.3f} (vs >= 0.5: "
        f"{q['precision_at_0.5']:.3f}), recall {q['recall']:.3f} (>= 0.8: {q['recall_at_0.8']:.3f}, >= 0.9: "
        f"{q['recall_at_0.9']:.3f}); {q['pairs_jaccard_ge_threshold']} true pairs, {q['lsh_candidate_pairs']} "
        f"candidate pairs, {q['documents']} documents; chart {args.png}"
    )
    console.print(f"peak RSS {results['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
