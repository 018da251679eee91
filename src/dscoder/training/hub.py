"""Publish a finished training run on the Hugging Face Hub: the whole run folder and a model card written from
the recipe (``hub.push: true``, or :func:`push_run` on any run folder).

The Trainer's own ``push_to_hub`` uploads the weights and tokenizer when it saves the model, before dscoder has
written ``recipe.yaml``, ``train_summary.json`` and ``eval_results.json``, and its card knows neither the data nor
the objective. :func:`push_run` runs after those files are written and uploads one commit with all of them
(checkpoints excluded) plus a ``README.md`` built with ``huggingface_hub``'s ``ModelCard``: base model, data
mixture, objective, schedule, hyperparameters, results and the DeepSeek-Coder report's citation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dscoder.training.recipe import Recipe

__all__ = ["CITATION", "benchmark_results", "heldout_results", "model_card", "push_run"]

CITATION = """@article{guo2024deepseekcoder,
  title   = {DeepSeek-Coder: When the Large Language Model Meets Programming -- The Rise of Code Intelligence},
  author  = {Guo, Daya and Zhu, Qihao and Yang, Dejian and Xie, Zhenda and Dong, Kai and Zhang, Wentao and
             Chen, Guanting and Bi, Xiao and Wu, Y. and Li, Y. K. and Luo, Fuli and Xiong, Yingfei and Liang, Wenfeng},
  journal = {arXiv preprint arXiv:2401.14196},
  year    = {2024}
}"""

#: run-folder entries that stay local: intermediate checkpoints and logger folders
IGNORE_PATTERNS = ["checkpoint-*", "checkpoint-*/**", "runs/**", "*.lock"]

_STAGE_TEXT = {
    "pretrain": "pretraining from scratch (report §3.1-3.4)",
    "long_context": "long-context adaptation (report §3.6)",
    "continued_pretrain": "continued pretraining, DeepSeek-Coder-v1.5 style (report §5)",
    "sft": "instruction tuning (report §3.7)",
}


def _is_hub_id(value: str | None) -> bool:
    return bool(value) and not Path(value).expanduser().exists() and value.count("/") == 1


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _source_label(src) -> str:
    """How a card names one data source: its Hub id, else its folder's name."""
    return src.hub or Path(str(src.path)).name


def heldout_results(run_dir: str | Path, recipe: Recipe) -> list:
    """The run's held-out metrics (``eval_results.json``: loss, and its perplexity) as ``huggingface_hub``
    ``EvalResult`` entries of the card's ``model-index``."""
    import math

    from huggingface_hub import EvalResult

    metrics = _read_json(Path(run_dir) / "eval_results.json") or {}
    d = recipe.data
    where = ", ".join(_source_label(src) for src in d.eval_sources.values())
    name = (f"held-out repositories ({where})" if d.eval_sources
            else f"a seeded {d.eval_fraction:.1%} slice of the training records")  # fmt: skip
    out = []
    for key, value in sorted(metrics.items()):
        if not (key.startswith("eval_") and key.endswith("loss") and isinstance(value, (int, float))):
            continue
        split = key[len("eval_"):-len("loss")].rstrip("_") or "heldout"
        for metric, number in (("loss", value), ("perplexity", math.exp(min(value, 50.0)))):
            out.append(EvalResult(task_type="text-generation", dataset_type=split, dataset_name=name,
                                  metric_type=metric, metric_value=round(number, 4)))  # fmt: skip
    return out


def benchmark_results(summary: str | Path | dict) -> list:
    """The scored rows of a ``dscoder eval`` run (its ``summary.json``, or the dict) as ``EvalResult`` entries."""
    from huggingface_hub import EvalResult

    summary = summary if isinstance(summary, dict) else _read_json(Path(summary)) or {}
    return [EvalResult(task_type="text-generation", dataset_type=row["task"], dataset_name=row["benchmark"],
                       metric_type=row["metric"], metric_value=round(float(row["score"]), 2),
                       metric_name=f"{row['metric']} (%, n={row['n']})")
            for row in summary.get("rows", []) if row.get("status") == "ok" and row.get("score") is not None]  # fmt: skip


def model_card(run_dir: str | Path, recipe: Recipe, repo_id: str | None = None, *, base_model: str | None = None,
               datasets: list[str] | None = None, results: list | None = None, description: str | None = None,
               license: str | None = None):
    """The model card (``huggingface_hub.ModelCard``) of a run folder written by ``run_recipe``: metadata through
    ``ModelCardData`` (base model, datasets, ``model-index`` with the held-out metrics and ``results``: more
    ``EvalResult`` entries, e.g. :func:`benchmark_results`), and the project's own text (data, objective,
    schedule, hyperparameters, results, how to load, citation). ``base_model`` / ``datasets`` name the Hub
    repositories when the recipe's are local folders (an export published next to its base model and data);
    by default the recipe's Hub ids."""
    from huggingface_hub import ModelCard, ModelCardData

    run_dir = Path(run_dir)
    summary = _read_json(run_dir / "train_summary.json") or {}
    m, d, o, s, t = recipe.model, recipe.data, recipe.optimizer, recipe.schedule, recipe.training
    name = repo_id or run_dir.name
    base_ids = [v for v in (m.init_from, m.config) if _is_hub_id(v)]
    base = f"`{base_model or m.init_from or m.preset or m.config}`"
    if not base_model and not m.preset and not _is_hub_id(m.init_from or m.config):  # not this machine's path
        base = f"a local checkpoint (`{Path(m.init_from or m.config).name}`)"
    hub_datasets = sorted({src.hub for src in [*d.sources.values(), *d.eval_sources.values()] if src.hub})
    evaluations = [*heldout_results(run_dir, recipe), *(results or [])]
    data = ModelCardData(
        model_name=name if evaluations else None,
        eval_results=evaluations or None,
        library_name="transformers",
        pipeline_tag="text-generation",
        license=license,
        base_model=base_model or (base_ids[0] if base_ids else None),
        datasets=datasets or hub_datasets or None,
        tags=["code", "deepseek-coder", "dscoder", recipe.stage],
    )
    total = sum(src.weight for src in d.sources.values())
    sources = "\n".join(
        f"| {source} | {_source_label(src)} | {src.kind} | {src.weight / total:.1%} |"
        for source, src in d.sources.items()
    )
    evaluation = "none"
    if d.eval_sources:
        evaluation = ", ".join(f"{n} ({_source_label(s_)})" for n, s_ in d.eval_sources.items())
    elif d.eval_fraction:
        evaluation = f"a seeded {d.eval_fraction:.1%} slice of the training records, held out"
    if d.max_eval_samples and evaluation != "none":
        evaluation += f", at most {d.max_eval_samples} rows each"
    batch = summary.get("batch", {})
    hyper = [
        ("stage", f"{recipe.stage}: {_STAGE_TEXT[recipe.stage]}"),
        ("base", base + (" (random initialisation)" if not m.init_from else "")),
        ("objective", "next-token prediction" + (f" + FIM rate {recipe.objective.fim_rate} "
                      f"({recipe.objective.fim_mode.upper()})" if recipe.objective.fim_rate else "")),
        ("sequence length", d.seq_length),
        ("optimizer", (f"{o.name}, lr {o.lr:g}, betas {tuple(o.betas)}, eps {o.eps:g}, weight decay {o.weight_decay:g}, "
                      f"grad clip {o.max_grad_norm:g}")),
        ("schedule", f"{s.type}, {s.warmup_steps} warm-up steps"
                     + (f", x{s.decay:.4g} at {', '.join(f'{x:.0%}' for x in s.milestones)} of training"
                        if s.type == "deepseek" else "")),
    ]
    if "global_sequences" in batch:
        split = [f"{batch[k]} {what}" for k, what in (("micro_batch_size", "per device"),
                 ("gradient_accumulation_steps", "accumulation"), ("world_size", "processes")) if k in batch]  # fmt: skip
        hyper.append(("global batch", f"{batch['global_sequences']} sequences" + (f" ({' x '.join(split)})" if split else "")))
    hyper.append(("precision", t.precision))
    if isinstance(summary.get("steps"), int) and isinstance(summary.get("tokens"), int):
        hyper.append(("steps / tokens", f"{summary['steps']:,} / {summary['tokens']:,}"))
    hyper.append(("seed", t.seed))
    if t.trainer_args:
        hyper.append(("other TrainingArguments", ", ".join(f"{k}={v}" for k, v in sorted(t.trainer_args.items()))))
    rows = "\n".join(f"| {k} | {v} |" for k, v in hyper)
    lines = []
    if summary.get("final_loss") is not None:
        lines.append(f"Final training loss: {summary['final_loss']:.4f} (every logged step: `train_summary.json`).")
    if evaluations:
        lines += ["", "| data | metric | value |", "|---|---|---|"]
        lines += [f"| {r.dataset_name} | {r.metric_name or r.metric_type} | {r.metric_value} |" for r in evaluations]
    results_text = "\n".join(lines) or "The run recorded no training loss and no evaluation."
    content = f"""---
{data.to_yaml()}
---

# {name}

{description or recipe.description or "A DeepSeek-Coder-recipe model"}. Trained with
[dscoder](https://arxiv.org/abs/2401.14196)'s `{recipe.stage}` recipe (the resolved recipe is `recipe.yaml` in this
repository).

## Training data

| source | data | kind | share |
|---|---|---|---|
{sources}

Evaluation split: {evaluation}.

## Training procedure

| setting | value |
|---|---|
{rows}

## Results

{results_text}

## Use

```python
import dscoder  # registers the architecture (without dscoder: trust_remote_code=True)
from transformers import AutoModelForCausalLM, AutoTokenizer

model = AutoModelForCausalLM.from_pretrained("{name}")
tokenizer = AutoTokenizer.from_pretrained("{name}")
```

## Citation

```bibtex
{CITATION}
```
"""
    return ModelCard(content)


def push_run(run_dir: str | Path, recipe: Recipe) -> str:
    """Upload a finished run folder (weights, tokenizer, generation config, ``recipe.yaml``,
    ``train_summary.json``, ``eval_results.json``, a model card) to ``hub.model_id`` in one commit.
    Returns the commit URL."""
    from huggingface_hub import HfApi

    run_dir = Path(run_dir)
    hub = recipe.hub
    if not hub.model_id:
        raise ValueError("hub.model_id: required to push")
    for name in ("config.json", "recipe.yaml", "train_summary.json"):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"{run_dir / name}: missing; push a folder that run_recipe finished writing")
    model_card(run_dir, recipe, hub.model_id).save(run_dir / "README.md")
    api = HfApi()
    api.create_repo(repo_id=hub.model_id, private=hub.private, exist_ok=True, repo_type="model")
    commit = api.upload_folder(
        repo_id=hub.model_id,
        folder_path=str(run_dir),
        repo_type="model",
        ignore_patterns=IGNORE_PATTERNS,
        commit_message=f"dscoder {recipe.stage} run: weights, tokenizer, recipe, summary and model card",
    )
    return str(getattr(commit, "commit_url", commit))
