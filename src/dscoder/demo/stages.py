"""The stages of ``dscoder demo``: every step of the DeepSeek-Coder recipe, each calling the same entry point a user
calls on their own data (``run_filter_stage``, ``run_repo_level_stage``, ``run_recipe``, ``run_eval_suite``, ...)
with demo-sized settings, and returning the numbers and report sections of what it did.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dscoder.demo.settings import DemoSettings, Stage, StageResult, repository_root
from dscoder.report import Section, Table, line_chart

__all__ = ["STAGES", "benchmark_data_dir"]


def _fresh(*folders: Path) -> None:
    """Remove a stage's earlier outputs, so a redone stage never mixes old and new shards."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _records(folder: Path) -> list[dict]:
    """Every record of a folder of JSONL shards, flat (``id``, ``text`` and the metadata keys), through the
    pipeline's checked reader."""
    from dscoder.data.readers import ReaderConfig, build_reader

    return [{"id": d.id, "text": d.text, **d.metadata} for d in build_reader(ReaderConfig(folder=folder)).run()]


def _first_lines(text: str, lines: int) -> str:
    kept = text.split("\n")
    return "\n".join(kept[:lines]) + ("\n..." if len(kept) > lines else "")


# ---------------------------------------------------------------------------------------------------------------
# 1. corpus
def _corpus_settings(s: DemoSettings) -> dict:
    return {"max_repos": s.corpus_max_repos, "max_bytes": s.corpus_max_bytes, "max_repo_bytes": s.corpus_max_repo_bytes,
            "plant_contamination": True}  # fmt: skip


def _run_corpus(s: DemoSettings) -> StageResult:
    from dscoder.data.demo_corpus import build_demo_corpus

    _fresh(s.data("corpus"))
    stats = build_demo_corpus(
        s.data("corpus"),
        max_repos=s.corpus_max_repos,
        max_bytes=s.corpus_max_bytes,
        max_repo_bytes=s.corpus_max_repo_bytes,
        shards=s.workers,
        plant_contamination=True,
    )
    langs = stats.languages.most_common()
    section = Section(
        "Demo corpus",
        "Repository-structured code built from this Python's standard library and installed site-packages: each "
        "stdlib package or installed distribution is one repository (report §2.1 uses public GitHub repositories). "
        "One synthetic file embeds HumanEval/12, so that decontamination has a known hit to find.",
        tables=[
            Table(["what", "count"], [["repositories", stats.repositories], ["files", stats.files],
                                       ["bytes", stats.bytes]]
                  + [[f"skipped: {k}", v] for k, v in sorted(stats.skipped.items())], "Corpus"),
            Table(["language", "files"], [[k, v] for k, v in langs[:12]], "Languages"),
        ],
    )  # fmt: skip
    return StageResult({"repositories": stats.repositories, "files": stats.files, "bytes": stats.bytes}, [section])


# ---------------------------------------------------------------------------------------------------------------
# 2. filter: language identification, rule filters, quality screening (report §2.1, §2.4)
def _run_filter(s: DemoSettings) -> StageResult:
    from rich.console import Console

    from dscoder.data.filters import run_filter_stage
    from dscoder.data.funnel import funnel_table, load_funnel

    _fresh(s.data("filtered"), s.data("excluded/filter"), s.logs("filter"), s.data("manifests"))
    funnel = run_filter_stage(s.data("corpus"), s.data("filtered"), s.data("excluded/filter"), s.logs("filter"),
                              tasks=s.workers, workers=s.workers, manifests_dir=s.data("manifests"))  # fmt: skip
    Console().print(funnel_table(load_funnel(s.logs("filter")), title="filter funnel of the demo corpus"))
    rows = [["files in", funnel["files_in"], funnel["bytes_in"]]]
    rows += [[f"dropped: {reason}", n, funnel["dropped_bytes"].get(reason, 0)]
             for reason, n in sorted(funnel["dropped"].items(), key=lambda kv: -kv[1])]  # fmt: skip
    rows.append(["kept", funnel["files_kept"], funnel["bytes_kept"]])
    section = Section(
        "Filtering funnel",
        "Language identification from extension and file name, the paper's rule filters (§2.1: line lengths, "
        "alphabetic share, XML, HTML visible text, JSON/YAML size) and quality screening (§2.4: tree-sitter syntax "
        "errors, auto-generated markers, very long functions, comment ratio, embedded data). Every dropped file "
        f"is kept with its reason in {s.data('excluded/filter')}.",
        tables=[Table(["step", "files", "bytes"], rows, "Files per drop reason")],
        images=[Path(funnel["funnel_png"])],
    )
    dropped = funnel["files_in"] - funnel["files_kept"]
    return StageResult({"files_in": funnel["files_in"], "kept": funnel["files_kept"], "dropped": dropped}, [section])


# ---------------------------------------------------------------------------------------------------------------
# 3. hold out repositories for evaluation
def _holdout_settings(s: DemoSettings) -> dict:
    return {"repositories": s.heldout_repositories, "seed": s.seed}


def _run_holdout(s: DemoSettings) -> StageResult:
    from dscoder.data.holdout import split_heldout_repositories

    _fresh(s.data("train_files"), s.data("heldout"))
    split = split_heldout_repositories(s.data("filtered"), s.data("train_files"), s.data("heldout"),
                                       repositories=s.heldout_repositories, seed=s.seed)  # fmt: skip
    section = Section(
        "Held-out repositories",
        "Whole repositories are held out before anything is trained, so the single-line infilling and cross-file "
        "completion sets of the evaluation come from code the model never saw (neither the file nor its "
        "neighbours).",
        tables=[Table(["split", "files", "bytes"], [["train", split.files_train, split.bytes_train],
                                                   ["held out", split.files_heldout, split.bytes_heldout]]),
                Table(["held-out repository"], [[r] for r in split.heldout_repositories])],
    )  # fmt: skip
    return StageResult({"train_files": split.files_train, "heldout_files": split.files_heldout}, [section])


# ---------------------------------------------------------------------------------------------------------------
# 4. repository-level: grouping, dependency order (Algorithm 1), near-dedup (report §2.2-2.3)
def _ordered_sample_excerpt(samples_dir: Path) -> tuple[str, str] | None:
    """The repository sample with the most files: its file order and the first lines after each path header."""
    best = None
    for rec in _records(samples_dir):
        if rec.get("sample_kind") == "repo" and (best is None or len(rec["files"]) > len(best["files"])):
            best = rec
    if best is None:
        return None
    headers = set(best["files"])
    lines, out, shown, after = best["text"].split("\n"), [], 0, 0
    for line in lines:
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1] in headers and len(line) < 300:
            shown += 1
            if shown > 8:
                out.append(f"... {len(best['files']) - 8} more files")
                break
            if out:
                out.append("")
            out.append(line)
            after = 0
        elif shown and after < 4:
            out.append(line)
            after += 1
    caption = f"{best['repo']}: {len(best['files'])} files in dependency order ({best['language']})"
    return caption, "\n".join(out)


def _run_repo_level(s: DemoSettings) -> StageResult:
    from dscoder.data.repo_level import run_repo_level_stage

    work = s.data("samples").parent / "samples_work"
    _fresh(s.data("samples"), work, s.data("excluded/repo_level"), s.logs("repo_level"))
    counts = run_repo_level_stage(s.data("train_files"), s.data("samples"), s.logs("repo_level"),
                                  excluded_dir=s.data("excluded/repo_level"), tasks=s.workers, workers=s.workers,
                                  seed=s.seed, manifests_dir=s.data("manifests"))  # fmt: skip
    rows = [
        ["files in", counts["files_in"]],
        ["repositories", counts["repositories"]],
        ["connected components (one sample each)", counts["components"]],
        ["dependency edges (resolved imports)", counts["edges"]],
        ["edges in cycles", counts["cyclic_edges"]],
        ["cycles broken", counts["cycles_broken"]],
        ["acyclic edges in order: Algorithm 1", f"{100 * counts['in_order_share_paper']:.1f}%"],
        ["acyclic edges in order: SCC order", f"{100 * counts['in_order_share_scc']:.1f}%"],
        ["samples: repository-level", counts["samples_repo"]],
        ["samples: file-level", counts["samples_file"]],
        ["exact duplicate files removed", counts["exact_duplicates_removed"]],
        ["near-duplicate samples removed (MinHash)", counts["duplicates_removed"]],
        ["samples out", counts["samples_out"]],
    ]
    excerpt = _ordered_sample_excerpt(s.data("samples"))
    section = Section(
        "Repository-level samples",
        "Files are grouped by repository, their imports parsed (Python, Java, C#, C/C++, JS/TS, Go, Rust, PHP, Ruby) "
        "and each connected component ordered by dependencies (§2.2: import cycles condensed, Algorithm 1 inside "
        "them), every file headed by a comment "
        "with its path; samples are then near-deduplicated at repository level with datatrove's MinHash (§2.3).",
        tables=[Table(["what", "count"], rows, "Grouping, ordering and dedup")],
        code=[excerpt] if excerpt else [],
    )
    summary = {"samples": counts["samples_out"], "duplicates_removed": counts["duplicates_removed"],
               "in_order_share": round(counts["in_order_share"], 4)}  # fmt: skip
    return StageResult(summary, [section])


# ---------------------------------------------------------------------------------------------------------------
# 5. decontamination (report §2.4)
def benchmark_data_dir() -> Path | None:
    """``$DSCODER_BENCHMARKS_DIR``, else the demo suite's ``data_dir`` when set and present; ``None`` means the
    copies shipped in the package (``dscoder benchmarks list``)."""
    from dscoder.evaluation import load_suite

    if os.environ.get("DSCODER_BENCHMARKS_DIR"):
        return Path(os.environ["DSCODER_BENCHMARKS_DIR"])
    data_dir = load_suite(repository_root() / "eval" / "demo.yaml").data_dir
    return data_dir if data_dir is not None and data_dir.is_dir() else None


def _planted_sample_dropped(excluded: Path) -> bool:
    from dscoder.data.decontamination.planted import PLANTED_REPO

    return any(rec.get("repo") == PLANTED_REPO and "HumanEval/12" in str(rec.get("filter_reason"))
               for rec in _records(excluded))  # fmt: skip


def _decontam_settings(s: DemoSettings) -> dict:
    data_dir = benchmark_data_dir()
    return {"data_dir": str(data_dir), "benchmarks": "paper", "mode": "words", "compare": "paper"}


def _paper_rule_comparison(s: DemoSettings, folder: Path) -> dict:
    """The paper-literal rule (one shared 10-gram of code tokens) beside the default, measured here: what it would
    flag in ``folder`` (samples, bytes), and the share of clean files each rule flags on the held-out half of this
    Python's standard library (the half the default's background list was not built from)."""
    from dscoder.data.decontamination.background import stdlib_files
    from dscoder.data.decontamination.index import DecontaminationIndex, IndexConfig
    from dscoder.data.decontamination.stage import build_or_load_index

    paper = build_or_load_index(s.output / "index" / "decontamination-paper", "paper", benchmark_data_dir(),
                                config=IndexConfig(mode="paper"))
    default = DecontaminationIndex.load(s.output / "index" / "decontamination")
    out = {"flagged": 0, "flagged_bytes": 0, "bytes": 0}
    for rec in _records(folder):
        size = len(rec["text"].encode("utf-8", "surrogatepass"))
        out["bytes"] += size
        if paper.scan(rec["text"]).contaminated:
            out["flagged"] += 1
            out["flagged_bytes"] += size
    clean = [text for _, text in stdlib_files("heldout")]
    out["clean_files"] = len(clean)
    out["fp_paper"] = sum(paper.scan(t).contaminated for t in clean) / max(1, len(clean))
    out["fp_default"] = sum(default.scan(t).contaminated for t in clean) / max(1, len(clean))
    return out


def _run_decontam(s: DemoSettings) -> StageResult:
    from dscoder.data.decontamination.stage import run_decontamination_stage

    _fresh(s.data("decontaminated"), s.data("excluded/decontamination"), s.logs("decontamination"))
    result = run_decontamination_stage(
        s.data("samples"), s.data("decontaminated"), s.data("excluded/decontamination"), s.logs("decontamination"),
        s.output / "index" / "decontamination", benchmarks="paper", data_dir=benchmark_data_dir(),
        tasks=s.workers, workers=s.workers,
    )  # fmt: skip
    paper = _paper_rule_comparison(s, s.data("samples"))
    paper_share = paper["flagged_bytes"] / max(1, paper["bytes"])
    report = json.loads(Path(result["report"]).read_text(encoding="utf-8"))
    rows, examples = [], []
    for name, b in report["benchmarks"].items():
        top = ", ".join(f"{t['task_id']} ({t['documents']})" for t in b.get("top_tasks", [])[:4])
        rows.append([name, b["tasks"], b["tasks_hit"], b["documents_dropped"], top])
        examples += [f"{e['repo']} {e['file']} ~ {e['task_id']}: {e['snippet']}" for e in b.get("examples", [])[:2]]
    share = result["bytes_dropped"] / max(1, result["bytes_in"])
    text = (
        "A file that copies a benchmark task's problem, solution or tests is removed (§2.4): from a repository-level "
        "sample only that file goes, the rest of the repository stays in its order with its path headers; the "
        "reason names the task. Default rule: grams of 8 word tokens, n-grams common in unrelated code ignored, and "
        "a protected string must be at least half present; recall on planted copies is measured by "
        "bench/decontam_quality.py. False positives, measured now on "
        f"{paper['clean_files']} held-out standard-library files (clean code): {paper['fp_default']:.2%} of files "
        f"flagged by the default, {paper['fp_paper']:.2%} by the paper-literal rule (one shared 10-gram of code "
        f"tokens). {result['files_removed']} files removed from {result['samples_trimmed']} samples, "
        f"{result['documents_dropped']} of {result['documents_in']} samples dropped whole: "
        f"{result['bytes_dropped']:,} of {result['bytes_in']:,} bytes ({share:.2%}). The paper-literal rule would "
        f"flag {paper['flagged']} samples here, whole: {paper['flagged_bytes']:,} bytes ({paper_share:.1%}). "
        f"The index holds {result['index_ngrams']:,} n-grams ({result['index_mb']} MB)."
    )
    planted = _planted_sample_dropped(s.data("excluded/decontamination"))
    text += f" The planted HumanEval/12 file was {'dropped' if planted else 'NOT dropped'}."
    if result["skipped_benchmarks"]:
        text += f" Not checked (no data here): {', '.join(result['skipped_benchmarks'])}."
    section = Section("Decontamination", text,
                      tables=[Table(["benchmark", "tasks", "tasks hit", "samples dropped / files removed",
                                     "most hit tasks (samples)"], rows),
                              Table(["rule", "clean stdlib files flagged", "samples dropped whole",
                                     "files removed from samples", "bytes dropped"],
                                    [["default (words)", f"{paper['fp_default']:.2%}", result["documents_dropped"],
                                      result["files_removed"], f"{share:.2%}"],
                                     ["paper-literal (10 code tokens)", f"{paper['fp_paper']:.2%}", paper["flagged"],
                                      0, f"{paper_share:.2%}"]], "Default vs paper rule")],
                      images=[Path(result["plot"])] if result["plot"] else [],
                      code=[("matched text (examples)", "\n".join(examples))] if examples else [])  # fmt: skip
    summary = {"samples_in": result["documents_in"], "dropped": result["documents_dropped"],
               "kept": result["documents_kept"], "files_removed": result["files_removed"],
               "bytes_dropped_share": round(share, 4), "paper_rule_flagged": paper["flagged"],
               "fp_default": round(paper["fp_default"], 4), "fp_paper": round(paper["fp_paper"], 4)}  # fmt: skip
    summary["planted_caught"] = planted
    return StageResult(summary, [section])


# ---------------------------------------------------------------------------------------------------------------
# 6. tokenizer (report §3.2: BPE, byte-level, 32K; special tokens)
def _tokenizer_settings(s: DemoSettings) -> dict:
    return {"vocab_size": s.vocab_size}


def _run_tokenizer(s: DemoSettings) -> StageResult:
    from dscoder.tokenization import load_tokenizer, train_tokenizer
    from dscoder.tokenization.special_tokens import RELEASED_IDS, SPECIAL_TOKENS

    _fresh(s.output / "tokenizer")
    path = train_tokenizer(s.data("decontaminated"), s.output / "tokenizer", vocab_size=s.vocab_size)
    tokenizer = load_tokenizer(path)
    rows = [[token, tokenizer.convert_tokens_to_ids(token), RELEASED_IDS[token]] for token in SPECIAL_TOKENS]
    sample = "def add(a, b):\n    return a + b\n"
    ids = tokenizer(sample, add_special_tokens=False)["input_ids"]
    pieces = [tokenizer.decode([i]).replace(" ", "·").replace("\n", "↵") for i in ids]
    section = Section(
        "Tokenizer",
        f"A byte-level BPE tokenizer trained on the decontaminated samples with the released tokenizer's "
        f"pre-tokenizer and special tokens ({len(tokenizer):,} tokens here; the paper's has 32,000 + 22 added). "
        "The special tokens keep their order, so their ids are the released ones minus an offset.",
        tables=[Table(["special token", "id here", "id in the released tokenizer"], rows)],
        code=[(f"{sample!r} in {len(pieces)} tokens (· a space, ↵ a newline)", " | ".join(pieces))],
    )
    return StageResult({"tokens": len(tokenizer)}, [section])


# ---------------------------------------------------------------------------------------------------------------
# 7. tokenise + FIM + pack (report §3.1)
def _tokenize_settings(s: DemoSettings) -> dict:
    return {"seq_len": s.seq_len, "fim_rate": 0.5, "fim_mode": "psm", "seed": s.seed}


def _run_tokenize(s: DemoSettings) -> StageResult:
    from dscoder.data.tokenize_stage import run_tokenize_stage

    counts = run_tokenize_stage(s.data("decontaminated"), s.data("tokenized"), s.output / "tokenizer",
                                seq_len=s.seq_len, fim_rate=0.5, seed=s.seed, num_proc=s.workers)  # fmt: skip
    rows = [[k, counts[k]] for k in ("documents", "documents_fim", "documents_split", "tokens_in", "tokens_kept",
                                     "tokens_dropped", "rows")]  # fmt: skip
    section = Section(
        "Tokenised dataset",
        f"Each document gets fill-in-the-middle with probability 0.5 (PSM, character-level cuts, seeded per "
        f"document; §3.1), is tokenised, and rows of {s.seq_len} tokens are packed with EOS between documents and "
        "position ids restarting at each document.",
        tables=[Table(["what", "count"], rows)],
    )
    return StageResult({"rows": counts["rows"], "tokens": counts["tokens_kept"]}, [section])


# ---------------------------------------------------------------------------------------------------------------
# 8. instruction set for SFT
def _run_instructions(s: DemoSettings) -> StageResult:
    from dscoder.data.instructions import build_instruction_set

    path = s.data("instructions.jsonl")
    count = build_instruction_set(s.data("train_files"), path)
    first = json.loads(path.read_text(encoding="utf-8").split("\n", 1)[0])
    section = Section(
        "Instruction set",
        f"{count} instruction/response pairs made from documented Python functions of the training files (the "
        "paper's instruction data is not released); SFT uses the released fine-tuning format and <|EOT|>.",
        code=[("one example: instruction", first["instruction"]), ("its response", _first_lines(first["output"], 20))],
    )
    return StageResult({"examples": count}, [section])


# ---------------------------------------------------------------------------------------------------------------
# 9-10. tiny pretraining (NTP + FIM) and SFT through the recipe runner
def _loss_chart(history: list[dict], path: Path, title: str) -> Path:
    points = [(h["step"], h["loss"]) for h in history if "loss" in h]
    return line_chart(path, {"training loss": ([p[0] for p in points], [p[1] for p in points])}, title, "step", "loss")


def _train_section(title: str, text: str, result: dict, chart: Path) -> Section:
    history = [h for h in result["loss_history"] if "loss" in h]
    rows = [["steps", result["steps"]], ["tokens", result["tokens"]],
            ["first loss", round(history[0]["loss"], 4) if history else "-"],
            ["final loss", round(result["final_loss"], 4)], ["seconds", round(result["runtime_s"], 1)]]  # fmt: skip
    return Section(title, text, tables=[Table(["what", "value"], rows)], images=[chart])


def _train(s: DemoSettings, stage: str, steps: int, overrides: dict, title: str, chart_title: str,
           text: str) -> StageResult:
    """Run ``recipes/tiny/<stage>.yaml`` into ``model/<stage>`` and report its loss curve."""
    from dscoder.training.runner import run_recipe

    _fresh(s.model(stage))
    result = run_recipe(repository_root() / "recipes" / "tiny" / f"{stage}.yaml", {
        **overrides,
        "training.output_dir": str(s.model(stage)),
        "training.max_steps": steps,
        "training.save_steps": steps,
        "training.seed": s.seed,
    })  # fmt: skip
    chart = _loss_chart(result["loss_history"], s.model(stage) / "loss.png", chart_title)
    section = _train_section(title, text, result, chart)
    return StageResult({"steps": result["steps"], "final_loss": round(result["final_loss"], 4)}, [section])


def _pretrain_settings(s: DemoSettings) -> dict:
    return {"steps": s.pretrain_steps, "seq_len": s.seq_len, "seed": s.seed}


def _run_pretrain(s: DemoSettings) -> StageResult:
    overrides = {"model.tokenizer": str(s.output / "tokenizer"), "data.sources.code.path": str(s.data("tokenized")),
                 "data.eval_sources.heldout.path": str(s.data("heldout")), "data.seq_length": s.seq_len}  # fmt: skip
    text = (
        "recipes/tiny/pretrain.yaml: the 1.3B recipe's objective (next-token prediction with 50% PSM FIM), AdamW "
        "(β 0.9/0.95, weight decay 0.1) and multi-step schedule (§3.4) on the `tiny` preset, through transformers' "
        f"Trainer on CPU. Saved with save_pretrained to {s.model('pretrain')}."
    )
    return _train(s, "pretrain", s.pretrain_steps, overrides, "Pretraining", "tiny pretraining (NTP + FIM)", text)


def _sft_settings(s: DemoSettings) -> dict:
    return {"steps": s.sft_steps, "seed": s.seed}


def _run_sft(s: DemoSettings) -> StageResult:
    overrides = {"model.init_from": str(s.model("pretrain")),
                 "data.sources.demo_instructions.path": str(s.data("instructions.jsonl"))}  # fmt: skip
    text = (
        "recipes/tiny/sft.yaml: TRL's SFTTrainer with the released instruction format ending in <|EOT|>, loss on "
        "the responses only, packing and a cosine schedule (§3.7), starting from the pretrained model."
    )
    return _train(s, "sft", s.sft_steps, overrides, "Instruction tuning", "tiny instruction tuning (SFT)", text)


# ---------------------------------------------------------------------------------------------------------------
# 11. evaluation (report §4)
def _eval_settings(s: DemoSettings) -> dict:
    suite = repository_root() / "eval" / "demo.yaml"
    return {"limit": s.eval_limit, "suite": suite.read_text(encoding="utf-8"), "data_dir": str(benchmark_data_dir())}


def _run_eval(s: DemoSettings) -> StageResult:
    from dataclasses import replace

    from dscoder.evaluation import load_suite, run_eval_suite
    from dscoder.evaluation.report import TABLE_HEADER, table_rows

    suite = load_suite(repository_root() / "eval" / "demo.yaml")
    data_dir = benchmark_data_dir()
    heldout = {"crossfile-demo": s.data("heldout"), "fim-files": s.data("heldout")}
    runs = [("base", s.model("pretrain"), [t for t in suite.tasks if t.mode == "base"]),
            ("instruct", s.model("sft"), [t for t in suite.tasks if t.mode == "instruct"])]  # fmt: skip
    sections, summary = [], {}
    for kind, model, tasks in runs:
        if not tasks:
            continue
        out = s.eval(f"demo-{kind}")
        _fresh(out)
        result = run_eval_suite(replace(suite, name=f"demo-{kind}", tasks=tasks), model, out, limit=s.eval_limit,
                                allow_code_execution=True, data_dir=data_dir, workers=s.workers,
                                task_data=heldout)  # fmt: skip
        scored = [r for r in result["rows"] if r.get("score") is not None]
        summary[f"{kind}_tasks_scored"] = len(scored)
        sections.append(Section(
            f"Evaluation: {kind} model",
            f"eval/demo.yaml on the tiny {kind} model ({model}), {s.eval_limit} problem(s) per task, generated "
            "programs run in the sandbox. The paper column is DeepSeek-Coder-"
            f"{'Instruct' if kind == 'instruct' else 'Base'} {suite.paper_size} (report §4): a tiny model trained "
            "for a minute is expected near zero; the point is that every benchmark runs end to end. Skipped rows "
            "say why (missing benchmark data or toolchain).",
            tables=[Table(TABLE_HEADER, table_rows(result["rows"]))],
            images=[out / "summary.png"] if (out / "summary.png").exists() else [],
        ))
    return StageResult(summary, sections)


# ---------------------------------------------------------------------------------------------------------------
# 12. export in the Hub layout, 13. reload and complete
#: the Hub names the export's three folders are written for (each card names the others by these)
EXPORT_NAMES = {"base": "dscoder-demo-base", "instruct": "dscoder-demo-instruct", "dataset": "dscoder-demo-samples"}


def _export_model(source: Path, target: Path, kind: str, s: DemoSettings) -> None:
    """The trained model in the Hub layout, with the run's record (recipe, summary, held-out metrics) and a card
    written from them by :func:`dscoder.training.hub.model_card` plus the demo's benchmark results."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import dscoder  # noqa: F401  (registers the model with the Auto classes)
    from dscoder.training.hub import benchmark_results, model_card
    from dscoder.training.recipe import load_recipe

    model = AutoModelForCausalLM.from_pretrained(source)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model.save_pretrained(target)  # safetensors, config.json with model_type deepseek_coder
    tokenizer.save_pretrained(target)
    for name in ("recipe.yaml", "train_summary.json", "eval_results.json", "loss_history.jsonl"):
        if (source / name).is_file():
            shutil.copy2(source / name, target / name)
    summary = s.eval(f"demo-{kind}") / "summary.json"
    parameters = sum(p.numel() for p in model.parameters())
    card = model_card(
        source, load_recipe(source / "recipe.yaml"), EXPORT_NAMES[kind],
        base_model=EXPORT_NAMES["base"] if kind == "instruct" else None,
        datasets=[EXPORT_NAMES["dataset"]] if kind == "base" else None,
        results=benchmark_results(summary) if summary.is_file() else None,
        license="other",
        description=(
            f"A tiny DeepSeek-Coder-architecture {kind} model ({parameters:,} parameters) trained by `dscoder "
            f"demo{' --quick' if s.quick else ''}` on the demo corpus (this machine's Python standard library and "
            "site-packages, each file under its package's licence), published with "
            + (f"its training samples `{EXPORT_NAMES['dataset']}`" if kind == "base" else
               f"the base model `{EXPORT_NAMES['base']}` it was tuned from")
            + ". It shows the recipe end to end; it is far too small to complete code usefully, and the evaluation "
            f"below scores {s.eval_limit} problem(s) per benchmark"
        ),
    )  # fmt: skip
    card.save(target / "README.md")


def _export_dataset(s: DemoSettings, target: Path) -> int:
    from datasets import Dataset

    from dscoder.data.hub_push import dataset_card

    # samples carry optional fields (dedup cluster, source): one schema, with None where a sample has no value
    records = _records(s.data("decontaminated"))
    columns = list(dict.fromkeys(k for r in records for k in r))
    dataset = Dataset.from_dict({c: [r.get(c) for r in records] for c in columns})
    (target / "data").mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(target / "data" / "train-00000-of-00001.parquet"))
    stages = {name: json.loads(s.stage_file(name).read_text())["summary"]
              for name in ("repo_level", "decontaminate")}  # fmt: skip
    card = dataset_card(
        target, EXPORT_NAMES["dataset"], "other", logs_dir=s.logs("filter"),
        decontamination_report=s.logs("decontamination") / "contamination_report.json",
        description=(
            f"{len(dataset)} repository-level samples (files in dependency order, each headed by its path) built by "
            f"`dscoder demo` from this machine's Python standard library and site-packages: filtered (report §2.1, "
            f"§2.4; funnel below), dependency-ordered (§2.2; {stages['repo_level']['in_order_share']:.1%} of acyclic "
            f"import edges in order), near-deduplicated (§2.3; {stages['repo_level']['duplicates_removed']} samples "
            f"removed) and decontaminated (§2.4; {stages['decontaminate']['dropped']} samples dropped, "
            f"{stages['decontaminate']['files_removed']} files removed). Fields: {', '.join(dataset.column_names)}. "
            f"The models `{EXPORT_NAMES['base']}` and `{EXPORT_NAMES['instruct']}` were trained on it."
        ),
    )  # fmt: skip
    card.save(target / "README.md")
    return len(dataset)


def _run_export(s: DemoSettings) -> StageResult:
    from datasets import load_dataset

    _fresh(s.export("base"), s.export("instruct"), s.export("dataset"))
    _export_model(s.model("pretrain"), s.export("base"), "base", s)
    _export_model(s.model("sft"), s.export("instruct"), "instruct", s)
    rows = _export_dataset(s, s.export("dataset"))
    # the Hub loader reads the card's configs. Its cache key for a local folder is the folder's name + the file list,
    # not the path or contents: a second run's `export/dataset` would be served the first run's rows from
    # ~/.cache. A cache inside the run folder, rebuilt each time, reads what was just written.
    reloaded = load_dataset(str(s.export("dataset")), split="train", cache_dir=str(s.output / "cache" / "datasets"),
                            download_mode="force_redownload")  # fmt: skip
    if len(reloaded) != rows:
        raise RuntimeError(f"{s.export('dataset')}: wrote {rows} rows but load_dataset reads {len(reloaded)}")
    listing = [[str(p.relative_to(s.output / "export")), p.stat().st_size]
               for p in sorted((s.output / "export").rglob("*")) if p.is_file()]  # fmt: skip
    section = Section(
        "Export in the Hub layout",
        "The models are written with save_pretrained (safetensors + config.json, model_type deepseek_coder) and a "
        "model card; the samples as Parquet with a dataset card whose configs `datasets.load_dataset(folder)` "
        f"reads back ({len(reloaded)} rows). `huggingface-cli upload` or push_to_hub publishes either folder as is.",
        tables=[Table(["file", "bytes"], listing)],
    )
    return StageResult({"dataset_rows": rows, "files": len(listing)}, [section])


def _completion_prompts(s: DemoSettings) -> tuple[str, str, str]:
    """A FIM prompt cut from a held-out Python file (a line inside a function) and a chat question."""
    from dscoder.evaluation.file_records import read_repositories

    repos = read_repositories(s.data("heldout"), languages=("python",))
    for repo in sorted(repos):
        for path in sorted(repos[repo]):
            lines = repos[repo][path]["text"].split("\n")
            for i in range(10, len(lines) - 10):
                if lines[i].startswith("    ") and lines[i].strip().startswith("return "):
                    prefix = "\n".join(lines[max(0, i - 12) : i]) + "\n"
                    suffix = "\n" + "\n".join(lines[i + 1 : i + 8])
                    return f"{repo}/{path}:{i + 1}", prefix, suffix
    raise ValueError(f"{s.data('heldout')}: no held-out Python function line to build a FIM prompt from")


def _run_reload(s: DemoSettings) -> StageResult:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import dscoder  # noqa: F401
    from dscoder.tokenization.special_tokens import fim_prompt

    torch.manual_seed(s.seed)
    where, prefix, suffix = _completion_prompts(s)
    base = AutoModelForCausalLM.from_pretrained(s.export("base"))
    tok = AutoTokenizer.from_pretrained(s.export("base"))
    inputs = tok(fim_prompt(prefix, suffix), return_tensors="pt", add_special_tokens=False)
    out = base.generate(**inputs, max_new_tokens=24, do_sample=False, pad_token_id=tok.pad_token_id)
    middle = tok.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)

    instruct = AutoModelForCausalLM.from_pretrained(s.export("instruct"))
    itok = AutoTokenizer.from_pretrained(s.export("instruct"))
    question = "Write a Python function that returns the sum of a list of numbers."
    ids = itok.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                   return_tensors="pt", return_dict=True)  # fmt: skip
    out = instruct.generate(**ids, max_new_tokens=48, do_sample=False, pad_token_id=itok.pad_token_id)
    answer = itok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
    section = Section(
        "Reloaded model completions",
        "Both exported models reloaded with AutoModelForCausalLM.from_pretrained and completed greedily: a FIM "
        f"prompt cut from a held-out file ({where}) and a chat question through the tokenizer's chat template. A "
        "tiny model trained for minutes writes code-shaped text, not correct code.",
        code=[("FIM prefix (end)", _first_lines("\n".join(prefix.split("\n")[-6:]), 6)),
              ("FIM suffix (start)", _first_lines(suffix.lstrip("\n"), 4)),
              ("base model's middle", middle or "(empty)"),
              ("chat question", question), ("instruct model's answer", answer or "(empty)")],
    )  # fmt: skip
    return StageResult({"fim_chars": len(middle), "chat_chars": len(answer)}, [section])


def _no_settings(s: DemoSettings) -> dict:
    return {}


def _seed_only(s: DemoSettings) -> dict:
    return {"seed": s.seed}


STAGES: list[Stage] = [
    Stage("corpus", "build the embedded demo corpus", _run_corpus, _corpus_settings),
    Stage("filter", "language identification, rule filters, quality screening", _run_filter, _no_settings),
    Stage("holdout", "hold out whole repositories for evaluation", _run_holdout, _holdout_settings),
    Stage("repo_level", "group by repository, dependency order, near-dedup", _run_repo_level, _seed_only),
    Stage("decontaminate", "remove files copying benchmark tasks", _run_decontam, _decontam_settings),
    Stage("tokenizer", "train the byte-level BPE tokenizer", _run_tokenizer, _tokenizer_settings),
    Stage("tokenize", "FIM, tokenise and pack into training rows", _run_tokenize, _tokenize_settings),
    Stage("instructions", "build the demo instruction set", _run_instructions, _no_settings),
    Stage("pretrain", "tiny pretraining (NTP + FIM)", _run_pretrain, _pretrain_settings),
    Stage("sft", "tiny instruction tuning", _run_sft, _sft_settings),
    Stage("eval", "evaluation suite on the base and instruct models", _run_eval, _eval_settings),
    Stage("export", "save models and dataset in the Hub layout", _run_export, _no_settings),
    Stage("reload", "reload with AutoModelForCausalLM and complete", _run_reload, _seed_only),
]
