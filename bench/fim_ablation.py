"""The report's FIM ablation (§3.1.2, Figure 3) in miniature, on CPU: FIM rate 0.5 (PSM) vs 0.0.

Two tiny models are trained by the same recipe (recipes/tiny/pretrain.yaml) on the same documents for the same
number of steps from the same initial weights, differing only in ``objective.fim_rate``. Training documents are
30-line windows of the files, so that a FIM document (prefix, suffix, middle) fits in one row of this tiny context,
as files fit in the report's 4K-token rows; with whole files split over 256-token rows the FIM model almost never
sees a middle after its prefix and suffix, and learns no infilling. Held-out repositories of the demo corpus
(never trained on) give:

* single-line infilling exact match: a seeded line of a held-out Python file is the middle, up to 20 lines before
  and 10 after are prefix and suffix; PSM prompt, greedy, first line compared (the evaluation suite's
  ``fim-files`` problems and generator);
* infilling middle loss: the loss of the true line after its PSM prompt (a continuous view of the same skill);
* left-to-right loss: mean next-token loss over the held-out files, packed without FIM.

The report found 50% PSM to keep left-to-right ability while gaining infilling; here the FIM model's exact match
should be clearly higher and its left-to-right loss close to the NTP-only model's. Several minutes on two cores:

    python bench/fim_ablation.py --corpus /tmp/dc            # the demo corpus (dscoder data demo-corpus)
    python bench/fim_ablation.py --corpus /tmp/dc --steps 60  # a quick look
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def split_repositories(repos: dict, heldout_every: int) -> tuple[dict, dict]:
    """Hold out the repositories whose stable hash falls in one of ``heldout_every`` buckets."""
    train, heldout = {}, {}
    for name, files in repos.items():
        bucket = int(hashlib.sha1(name.encode()).hexdigest(), 16) % heldout_every
        (heldout if bucket == 0 else train)[name] = files
    return train, heldout


def write_records(repos: dict, path: Path, window_lines: int | None = None) -> int:
    """One JSONL record per file, or per ``window_lines``-line window of each file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for repo in sorted(repos):
            for file_path in sorted(repos[repo]):
                record = repos[repo][file_path]
                lines = record["text"].splitlines(keepends=True)
                step = window_lines or max(1, len(lines))
                for start in range(0, len(lines), step):
                    text = "".join(lines[start : start + step])
                    if text.strip():
                        f.write(json.dumps({"id": f"{record['id']}:{start}", "text": text}) + "\n")
                        n += 1
    return n


def left_to_right_loss(model_dir: Path, heldout_dir: Path, seq_length: int, batch_size: int = 8) -> float:
    """Mean next-token loss (per predicted token) over the held-out files packed without FIM."""
    import torch
    from transformers import AutoModelForCausalLM

    from dscoder.tokenization.loading import load_tokenizer
    from dscoder.training.data import PackedCollator, load_source, tokenize_text_source
    from dscoder.training.recipe import DataConfig, DataSource, ObjectiveConfig

    data = DataConfig(sources={"heldout": DataSource(path=heldout_dir, kind="text")}, seq_length=seq_length)
    src = data.sources["heldout"]
    rows = tokenize_text_source("heldout", src, load_source("heldout", src), load_tokenizer(str(model_dir)),
                                data, ObjectiveConfig(fim_rate=0.0), seed=0)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
    collate = PackedCollator()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            batch = collate([rows[i] for i in range(start, min(start + batch_size, len(rows)))])
            logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
            labels = batch["labels"][:, 1:]
            loss = torch.nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100, reduction="sum"
            )
            total += float(loss)
            count += int((labels != -100).sum())
    return total / count


def infilling_exact_match(model_dir: Path, problems: list[dict]) -> tuple[float, list[dict]]:
    """Single-line infilling exact match (%) with the evaluation suite's generator and line normalisation."""
    from dscoder.evaluation.generation import (
        GenerationSettings,
        HFGenerator,
        Request,
        truncate_at_stop,
    )
    from dscoder.evaluation.metrics import normalize_line
    from dscoder.tokenization.special_tokens import fim_prompt

    generator = HFGenerator.from_pretrained(model_dir, GenerationSettings(batch_size=16, max_length=1024,
                                                                           device="cpu", dtype="float32"))
    requests = [Request(p["task_id"], fim_prompt(p["prompt"], p["suffix"]), ("\n",), 32) for p in problems]
    outputs = []
    for start in range(0, len(requests), generator.settings.batch_size):
        batch = requests[start : start + generator.settings.batch_size]
        outputs += [truncate_at_stop(o, r.stop) for r, o in zip(batch, generator.generate_batch(batch))]
    rows = [
        {"task_id": p["task_id"], "expected": normalize_line(p["canonical_solution"]), "got": normalize_line(o)}
        for p, o in zip(problems, outputs)
    ]
    return 100.0 * sum(r["expected"] == r["got"] for r in rows) / len(rows), rows


def middle_loss(model_dir: Path, problems: list[dict]) -> float:
    """Mean loss (nats per token) of the true middle line after its PSM prompt: infilling ability even where a
    tiny model's greedy line is not yet exact."""
    import torch
    from transformers import AutoModelForCausalLM

    from dscoder.tokenization.loading import load_tokenizer
    from dscoder.tokenization.special_tokens import fim_prompt

    tok = load_tokenizer(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for p in problems:
            prompt = tok(fim_prompt(p["prompt"], p["suffix"])).input_ids
            middle = tok(p["canonical_solution"], add_special_tokens=False).input_ids
            ids = torch.tensor([prompt + middle])
            logits = model(input_ids=ids, use_cache=False).logits[0, len(prompt) - 1 : -1]
            total += float(torch.nn.functional.cross_entropy(logits, ids[0, len(prompt):], reduction="sum"))
            count += len(middle)
    return total / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="/tmp/dc", help="file records (the demo corpus)")
    parser.add_argument("--out", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seq-length", type=int, default=512)
    parser.add_argument("--global-batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--vocab-size", type=int, default=4000)
    parser.add_argument("--hidden", type=int, default=256, help="model width (tiny preset otherwise)")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--window-lines", type=int, default=30,
                        help="train on windows of this many lines, so that a FIM document (prefix, suffix and "
                             "middle) fits in one row of this tiny context (the report trains 4K-token rows)")
    parser.add_argument("--heldout-every", type=int, default=8, help="hold out one repository bucket in N")
    parser.add_argument("--problems-per-repo", type=int, default=40)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args(argv)

    import torch
    from rich.console import Console
    from rich.table import Table

    from dscoder.evaluation.file_records import read_repositories
    from dscoder.evaluation.tasks.fim import line_problems
    from dscoder.tokenization.trainer import train_tokenizer
    from dscoder.training.runner import run_recipe

    if args.threads:
        torch.set_num_threads(args.threads)
    console = Console()
    work = Path(args.out or tempfile.mkdtemp(prefix="fim_ablation_"))
    repos = read_repositories(args.corpus, languages=("python",))
    train, heldout = split_repositories(repos, args.heldout_every)
    n_train = write_records(train, work / "train" / "files.jsonl", args.window_lines)
    n_heldout = write_records(heldout, work / "heldout" / "files.jsonl")
    problems = line_problems(heldout, args.problems_per_repo, seed=0, prefix_lines=20, suffix_lines=10)
    console.print(f"{len(train)} training repositories ({n_train} training documents), {len(heldout)} held out "
                  f"({n_heldout} files, {len(problems)} infilling problems); work folder {work}")
    tokenizer_dir = work / "tokenizer"
    if not (tokenizer_dir / "tokenizer.json").exists():
        train_tokenizer(work / "train", tokenizer_dir, vocab_size=args.vocab_size, progress=False)

    results = {}
    for rate in (0.5, 0.0):
        name = f"fim_{rate:g}"
        overrides = {
            "model.tokenizer": str(tokenizer_dir),
            "model.config_overrides.hidden_size": args.hidden,
            "model.config_overrides.intermediate_size": int(args.hidden * 8 / 3 // 64 * 64 + 64),
            "model.config_overrides.num_hidden_layers": args.layers,
            "model.config_overrides.max_position_embeddings": args.seq_length,
            "data.sources.code.path": str(work / "train"),
            "data.sources.code.kind": "text",
            "data.eval_sources": {},  # the held-out set is scored below, by infilling and left-to-right loss
            "data.seq_length": args.seq_length,
            "objective.fim_rate": rate,
            "optimizer.lr": args.lr,
            "schedule.warmup_steps": max(1, args.steps // 20),
            "batch.global_batch_sequences": args.global_batch,
            "batch.micro_batch_size": min(8, args.global_batch),
            "training.max_steps": args.steps,
            "training.save_steps": args.steps,
            "training.logging_steps": max(1, args.steps // 20),
            "training.output_dir": str(work / name),
            "training.report_to": ["none"],
        }
        start = time.time()
        summary = run_recipe(REPO / "recipes" / "tiny" / "pretrain.yaml", overrides)
        train_s = time.time() - start
        em, rows = infilling_exact_match(work / name, problems)
        l2r = left_to_right_loss(work / name, work / "heldout", args.seq_length)
        results[name] = {"fim_rate": rate, "infilling_exact_match": em, "left_to_right_loss": l2r,
                         "infilling_middle_loss": middle_loss(work / name, problems),
                         "left_to_right_ppl": math.exp(l2r), "final_train_loss": summary["final_loss"],
                         "train_tokens": summary["tokens"], "train_seconds": train_s}
        (work / f"{name}_infilling.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    table = Table(title=f"FIM ablation in miniature ({args.steps} steps x {args.global_batch} x {args.seq_length} tokens)")
    for col in ("model", "infilling EM %", "middle loss", "L2R loss (held out)", "L2R ppl", "train loss", "train s"):
        table.add_column(col, justify="right")
    for name, r in results.items():
        table.add_row(name, f"{r['infilling_exact_match']:.1f}", f"{r['infilling_middle_loss']:.3f}",
                      f"{r['left_to_right_loss']:.4f}",
                      f"{r['left_to_right_ppl']:.2f}", f"{r['final_train_loss']:.4f}", f"{r['train_seconds']:.0f}")
    console.print(table)
    fim, ntp = results["fim_0.5"], results["fim_0"]
    console.print(f"exact match FIM - NTP: {fim['infilling_exact_match'] - ntp['infilling_exact_match']:+.1f} points; "
                  f"L2R loss ratio FIM/NTP: {fim['left_to_right_loss'] / ntp['left_to_right_loss']:.3f}")
    (work / "results.json").write_text(json.dumps(results, indent=1))
    console.print(f"results: {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
