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

__all__ = ["CITATION", "model_card", "push_run"]

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


def model_card(run_dir: str | Path, recipe: Recipe, repo_id: str | None = None):
    """The model card (``huggingface_hub.ModelCard``) of a run folder written by ``run_recipe``."""
    from huggingface_hub import ModelCard, ModelCardData

    run_dir = Path(run_dir)
    summary = _read_json(run_dir / "train_summary.json") or {}
    eval_results = _read_json(run_dir / "eval_results.json")
    m, d, o, s, t = recipe.model, recipe.data, recipe.optimizer, recipe.schedule, recipe.training
    base = m.init_from or m.preset or m.config
    base_ids = [v for v in (m.init_from, m.config) if _is_hub_id(v)]
    hub_datasets = sorted({src.hub for src in [*d.sources.values(), *d.eval_sources.values()] if src.hub})
    data = ModelCardData(
        library_name="transformers",
        pipeline_tag="text-generation",
        base_model=base_ids[0] if base_ids else None,
        datasets=hub_datasets or None,
        tags=["code", "deepseek-coder", "dscoder", recipe.stage],
    )
    total = sum(src.weight for src in d.sources.values())
    sources = "\n".join(
        f"| {name} | {src.hub or Path(str(src.path)).name} | {src.kind} | {src.weight / total:.1%} |"
        for name, src in d.sources.items()
    )
    evaluation = "none"
    if d.eval_sources:
        evaluation = ", ".join(f"{n} ({s_.hub or Path(str(s_.path)).name})" for n, s_ in d.eval_sources.items())
    elif d.eval_fraction:
        evaluation = f"a seeded {d.eval_fraction:.1%} slice of the training records, held out"
    batch = summary.get("batch", {})
    hyper = [
        ("stage", f"{recipe.stage}: {_STAGE_TEXT[recipe.stage]}"),
        ("base", f"`{base}`" + (" (random initialisation)" if not m.init_from else "")),
        ("objective", "next-token prediction" + (f" + FIM rate {recipe.objective.fim_rate} "
                      f"({recipe.objective.fim_mode.upper()})" if recipe.objective.fim_rate else "")),
        ("sequence length", d.seq_length),
        ("optimizer", (f"{o.name}, lr {o.lr:g}, betas {tuple(o.betas)}, eps {o.eps:g}, weight decay {o.weight_decay:g}, "
                      f"grad clip {o.max_grad_norm:g}")),
        ("schedule", f"{s.type}, {s.warmup_steps} warm-up steps"
                     + (f", x{s.decay:.4g} at {', '.join(f'{x:.0%}' for x in s.milestones)} of training"
                        if s.type == "deepseek" else "")),
        ("global batch", (f"{batch.get('global_sequences', '?')} sequences "
                         f"({batch.get('micro_batch_size', '?')} per device x {batch.get('gradient_accumulation_steps', '?')} "
                         f"accumulation x {batch.get('world_size', '?')} processes)")),
        ("precision", t.precision),
        ("steps / tokens", f"{summary.get('steps', '?')} / {summary.get('tokens', '?'):,}"
                           if isinstance(summary.get("tokens"), int) else "?"),
        ("seed", t.seed),
    ]
    if t.trainer_args:
        hyper.append(("other TrainingArguments", ", ".join(f"{k}={v}" for k, v in sorted(t.trainer_args.items()))))
    rows = "\n".join(f"| {k} | {v} |" for k, v in hyper)
    results = [f"- final training loss: {summary['final_loss']:.4f}" if summary.get("final_loss") is not None else ""]
    if eval_results:
        results += [f"- {k}: {v:.4f}" if isinstance(v, float) else f"- {k}: {v}" for k, v in sorted(eval_results.items())
                    if k.endswith(("loss", "perplexity"))]  # fmt: skip
    content = f"""---
{data.to_yaml()}
---

# {repo_id or run_dir.name}

{recipe.description or "A DeepSeek-Coder-recipe model"}, trained with [dscoder](https://arxiv.org/abs/2401.14196)'s
`{recipe.stage}` recipe (the resolved recipe is `recipe.yaml` in this repository; `train_summary.json` has the loss
of every logged step).

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

{chr(10).join(r for r in results if r) or "No results recorded."}
{"Held-out metrics: `eval_results.json`." if eval_results else ""}

## Use

```python
import dscoder  # registers the architecture (without dscoder: trust_remote_code=True)
from transformers import AutoModelForCausalLM, AutoTokenizer

model = AutoModelForCausalLM.from_pretrained("{repo_id or run_dir.name}")
tokenizer = AutoTokenizer.from_pretrained("{repo_id or run_dir.name}")
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
