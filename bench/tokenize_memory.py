"""Peak memory of ``dscoder data tokenize`` per document size (goal: memory bounded per document, whatever
the corpus size, so one huge file cannot exhaust a worker).

    .venv/bin/python bench/tokenize_memory.py [--sizes-mb 5,20,120] [--random-mb 100] [--over-cap-mb 200]
        [--small-mb 20] [--tokenizer bytes|bpe] [--num-proc 2] [--baseline-src DIR] [--repeats 1] [--smoke]

Each case is one input folder tokenised by ``run_tokenize_stage`` (default settings: ``num_proc=2``, seq_len 4096,
FIM 0.5) in a fresh process; this script polls that process and its workers every few milliseconds and prints:

* **peak RSS, summed** over the main process and its workers (anonymous + file-backed pages; shared pages are
  counted once per process, so this over-counts the copy-on-write pages the forked workers share), and the peak of
  the anonymous part alone (``RssAnon``: what the out-of-memory killer counts; file-backed pages of the memory-mapped
  output are reclaimable);
* **MB of RSS per MB of input** above the same stage's peak on a tiny corpus (the fixed cost of the interpreter,
  ``torch``/``transformers`` imported by ``dscoder``, and the workers);
* **throughput** (input MB/s of the whole stage, wall time) and **CPU seconds per input MB** (user + system of the
  main process and its workers, from ``/proc``): wall time on a shared machine varies with its load, CPU time much
  less, so the one-line case against the same text as ordinary documents is compared in CPU s/MB.

Cases: single-line documents (one JSONL line each) of code-like text, real Python source of the standard library
repeated to ``--sizes-mb``; the largest of them cut into ``--split-kb`` documents (the same text as ordinary
documents: its throughput against the one-line case is the cost of one long document, same run); one pathological document of ``--random-mb`` random identifiers on one line (no
newline at all); one document over the reader's cap (``--over-cap-mb``; dropped and counted as ``reader:too_large``);
and a normal corpus of many small documents (``--small-mb`` of standard-library files, one document each).

Tokenizer: ``bytes`` (default; the one the tests use: every UTF-8 byte is a token, so 4 bytes of ids per input
byte, the worst case for memory) or ``bpe`` (a small BPE vocabulary trained here on standard-library source,
~3-4 bytes per token like the released tokenizer). Nothing is loaded from the Hub.

``--baseline-src DIR`` runs every case a second time with the package imported from ``DIR`` (e.g. the ``src``
folder of ``git archive`` of an earlier commit) and prints the ratios new/baseline, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import string
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

MB = 1 << 20
REPO = Path(__file__).resolve().parents[1]

_STAGE = """
import json, sys, time
from dscoder.data.tokenize_stage import run_tokenize_stage
args = json.loads(sys.argv[1])
t = time.perf_counter()
try:
    c = run_tokenize_stage(args["input"], args["output"], args["tokenizer"], num_proc=args["num_proc"],
                           seq_len=args["seq_len"], progress=False)
    result = {"ok": True, "rows": c["rows"], "tokens": c["tokens_in"], "dropped": c["reader_dropped"]}
except Exception as exc:  # the stage's one-line error is part of the result (e.g. every document too large)
    result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
result["wall"] = time.perf_counter() - t
result["module"] = sys.modules["dscoder"].__file__
print("RESULT " + json.dumps(result))
"""


def _stdlib_sources(limit_bytes: int) -> list[tuple[str, str]]:
    """``(name, text)`` of standard-library ``.py`` files, sorted, up to ``limit_bytes`` in all."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out, used = [], 0
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if text:
            out.append((str(path.relative_to(root)), text))
            used += len(text.encode("utf-8"))
            if used >= limit_bytes:
                break
    return out


def _code_text(size: int, sources: list[tuple[str, str]]) -> str:
    """Real Python source repeated to ``size`` characters (all ASCII after filtering: size == bytes)."""
    block = "\n".join(t for _, t in sources).encode("ascii", "ignore").decode("ascii")
    return (block * (size // len(block) + 1))[:size]


def _random_identifiers(size: int, seed: int = 0) -> str:
    """One line of random identifiers separated by single spaces (no newline), ``size`` characters."""
    rng = random.Random(seed)
    letters = string.ascii_letters + "_"
    words, used = [], 0
    while used < size:
        word = "".join(rng.choices(letters, k=rng.randint(3, 14))) + str(rng.randint(0, 999))
        words.append(word)
        used += len(word) + 1
    return " ".join(words)[:size]


def _write_case(folder: Path, docs: list[tuple[str, str]]) -> int:
    folder.mkdir(parents=True)
    with open(folder / "00000.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"id": key, "text": text}) + "\n" for key, text in docs)
    return (folder / "00000.jsonl").stat().st_size


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc/PID/task/*/children (cheap enough to read every few ms)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").glob("*/children"))
        except OSError:  # the process ended while listed
            continue
        for task in tasks:
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                continue
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15 of the line)


def _rss(pid: int) -> tuple[int, int]:
    """(RSS, RssAnon) in bytes, from /proc/PID/status."""
    rss = anon = 0
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith(b"RssAnon:"):
                anon = int(line.split()[1]) * 1024
    return rss, anon


def run_case(case: Path, tokenizer: str, num_proc: int, seq_len: int, src: str | None, work: Path) -> dict:
    """Run the stage on ``case`` in a fresh process; peak summed RSS / RssAnon of it and its workers."""
    out = work / f"out-{case.name}"
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    args = {"input": str(case), "output": str(out), "tokenizer": tokenizer, "num_proc": num_proc, "seq_len": seq_len}
    proc = subprocess.Popen([sys.executable, "-c", _STAGE, json.dumps(args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    peak = {"rss": 0, "anon": 0, "main": 0, "workers": 0}
    cpu: dict[int, float] = {}  # last CPU seconds seen per process (a worker's count stays when it ends)
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            total = anon = main = 0
            for pid in _tree(proc.pid):  # the workers are listed anew each time: they live for a moment
                try:
                    r, a = _rss(pid)
                    cpu[pid] = _cpu_seconds(pid)
                except OSError:
                    continue
                total, anon = total + r, anon + a
                main = r if pid == proc.pid else main
            peak["rss"], peak["anon"] = max(peak["rss"], total), max(peak["anon"], anon)
            peak["main"], peak["workers"] = max(peak["main"], main), max(peak["workers"], total - main)
            time.sleep(0.01)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = proc.communicate()
    stop.set()
    poller.join()
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"{case.name}: the stage process gave no result (rc {proc.returncode}):\n{stderr[-3000:]}")
    shutil.rmtree(out, ignore_errors=True)
    result = json.loads(lines[-1][len("RESULT ") :])
    result.update({k: v / MB for k, v in peak.items()})
    result["cpu"] = sum(cpu.values())
    return result


def _bpe_tokenizer(work: Path, sources: list[tuple[str, str]], vocab_size: int) -> str:
    from dscoder.tokenization.trainer import train_tokenizer

    corpus = work / "bpe-corpus"
    _write_case(corpus, sources)
    return str(train_tokenizer(corpus, work / "bpe", vocab_size=vocab_size, progress=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", default="5,20,120", help="sizes of the code-like single-line documents")
    parser.add_argument("--random-mb", type=float, default=100, help="size of the random-identifier line (0: none)")
    parser.add_argument("--over-cap-mb", type=float, default=200, help="a document over the reader's cap (0: none)")
    parser.add_argument("--small-mb", type=float, default=20, help="a corpus of small documents (0: none)")
    parser.add_argument("--split-kb", type=float, default=20,
                        help="also the largest code line cut into documents of this size (0: not)")
    parser.add_argument("--tokenizer", choices=("bytes", "bpe"), default="bytes")
    parser.add_argument("--bpe-vocab", type=int, default=8000)
    parser.add_argument("--num-proc", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=4096)
    parser.add_argument("--baseline-src", default=None, help="a source folder to measure as the baseline")
    parser.add_argument("--repeats", type=int, default=1, help="runs per case (best wall time, max memory)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script, not the memory")
    args = parser.parse_args()
    if args.smoke:
        args.sizes_mb, args.random_mb, args.over_cap_mb, args.small_mb = "0.5", 0, 0, 0

    from rich.console import Console
    from rich.table import Table

    from dscoder.tokenization import bytes_only_tokenizer, save_tokenizer, to_transformers

    work = Path(tempfile.mkdtemp(prefix="dscoder-bench-tokmem-"))
    sizes = [float(s) for s in args.sizes_mb.split(",") if s]
    sources = _stdlib_sources(int(max([*sizes, args.small_mb, 1]) * MB))
    if args.tokenizer == "bytes":
        tokenizer = str(save_tokenizer(to_transformers(bytes_only_tokenizer()), work / "tokenizer"))
    else:
        tokenizer = _bpe_tokenizer(work, sources[:400], args.bpe_vocab)

    cases: list[tuple[str, Path, int]] = []

    def add(label: str, docs: list[tuple[str, str]]):
        folder = work / f"case{len(cases)}"
        cases.append((label, folder, _write_case(folder, docs)))

    add("tiny corpus (fixed cost)", [("tiny", "x = 1\n" * 2000)])
    for size in sizes:
        add(f"code, one {size:g} MB line", [("code", _code_text(int(size * MB), sources))])
    if sizes and args.split_kb:  # the largest one-line text again, cut into documents: the per-MB cost of one long
        text = _code_text(int(max(sizes) * MB), sources)  # document against ordinary ones, same text, same run
        step = int(args.split_kb * 1024)
        add(f"the {max(sizes):g} MB line as {args.split_kb:g} kB documents",
            [(f"part{k}", text[i : i + step]) for k, i in enumerate(range(0, len(text), step))])  # fmt: skip
        del text
    if args.random_mb:
        add(f"random identifiers, one {args.random_mb:g} MB line",
            [("random", _random_identifiers(int(args.random_mb * MB)))])  # fmt: skip
    if args.over_cap_mb:
        add(f"code, one {args.over_cap_mb:g} MB line (over the cap)",
            [("huge", _code_text(int(args.over_cap_mb * MB), sources)), ("small", "x = 1\n" * 2000)])  # fmt: skip
    if args.small_mb:
        small, used = [], 0
        for name, text in sources:
            small.append((name, text))
            used += len(text)
            if used >= args.small_mb * MB:
                break
        add(f"{len(small):,} small documents, {used / MB:.1f} MB", small)

    runs = [("new", None)] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    results: dict[tuple[str, str], dict] = {}
    for label, folder, _ in cases:
        for _ in range(args.repeats):
            for name, src in runs:  # interleaved: the same machine load for both
                r = run_case(folder, tokenizer, args.num_proc, args.seq_len, src, work)
                old = results.get((label, name))
                if old:
                    r = {**r, **{k: max(r[k], old[k]) for k in ("rss", "anon", "main", "workers")},
                         "wall": min(r["wall"], old["wall"]), "cpu": min(r["cpu"], old["cpu"])}  # fmt: skip
                results[(label, name)] = r
                print(f"{label} [{name}]: peak RSS {r['rss']:.0f} MB (anon {r['anon']:.0f}), wall {r['wall']:.1f} s, "
                      f"{r.get('rows', r.get('error'))}", flush=True)  # fmt: skip

    console = Console(width=200)
    table = Table(title=f"run_tokenize_stage, num_proc={args.num_proc}, seq_len={args.seq_len}, "
                        f"tokenizer={args.tokenizer}; peaks summed over the main process and its workers")  # fmt: skip
    for col in ("case", "code", "input MB", "result", "peak RSS MB", "peak RssAnon MB", "main / workers MB",
                "RSS MB per input MB", "input MB/s", "CPU s per MB"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("case", "code", "result") else "right")
    for name, _ in runs:
        fixed = results[(cases[0][0], name)]["rss"]
        for label, _, size in cases:
            r = results[(label, name)]
            outcome = f"{r['rows']:,} rows" if r["ok"] else r["error"][:60]
            if r["ok"] and r["dropped"]:
                outcome += f", dropped {r['dropped']}"
            per_mb = (r["rss"] - fixed) / (size / MB) if size > MB else float("nan")
            table.add_row(label, name, f"{size / MB:.1f}", outcome, f"{r['rss']:.0f}", f"{r['anon']:.0f}",
                          f"{r['main']:.0f} / {r['workers']:.0f}", f"{per_mb:.2f}",
                          f"{size / MB / r['wall']:.2f}", f"{r['cpu'] / (size / MB):.2f}")  # fmt: skip
    console.print(table)
    if args.baseline_src:
        ratios = Table(title="new / baseline (same run)")
        for col in ("case", "peak RSS", "peak RssAnon", "throughput"):
            ratios.add_column(col, justify="left" if col == "case" else "right")
        for label, _, _ in cases:
            new, base = results[(label, "new")], results[(label, "baseline")]
            ratios.add_row(label, f"{new['rss'] / base['rss']:.2f}x", f"{new['anon'] / base['anon']:.2f}x",
                           f"{base['wall'] / new['wall']:.2f}x")  # fmt: skip
        console.print(ratios)
    for name, _ in runs:
        console.print(f"{name}: package imported from {results[(cases[0][0], name)]['module']}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
