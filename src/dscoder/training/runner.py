"""Run a recipe: transformers' ``Trainer`` for the pretraining stages, TRL's ``SFTTrainer`` for instruction tuning.

``run_recipe`` is what ``accelerate launch -m dscoder.train RECIPE.yaml``, ``dscoder train`` and the demo call.
The launcher decides the distribution (DDP, FSDP, DeepSpeed ZeRO-3: ``recipes/accelerate/*.yaml``); the recipe
fixes the global batch, and each process derives its gradient accumulation from the number of processes, so a
recipe means the same optimisation on one CPU and on many nodes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from transformers import Trainer, TrainerCallback, TrainingArguments

from dscoder.config import config_hash, config_to_dict
from dscoder.training.recipe import (
    BatchPlan,
    Recipe,
    ScheduleConfig,
    derive_batch,
    load_recipe,
    max_steps,
)
from dscoder.training.schedule import get_deepseek_schedule

__all__ = ["LossHistoryCallback", "StopAfterStepsCallback", "build_trainer", "dry_run", "run_recipe", "world_size"]


def world_size() -> int:
    """Processes of this run, as set by ``accelerate launch`` / ``torchrun`` (1 when run directly)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


class DeepSeekScheduleMixin:
    """Makes a Trainer use the DeepSeek multi-step schedule when the recipe asks for it (report §3.4)."""

    recipe_schedule: ScheduleConfig | None = None

    def create_scheduler(self, num_training_steps: int, optimizer=None):
        if self.lr_scheduler is None and self.recipe_schedule is not None and self.recipe_schedule.type == "deepseek":
            s = self.recipe_schedule
            self.lr_scheduler = get_deepseek_schedule(
                optimizer if optimizer is not None else self.optimizer,
                num_warmup_steps=s.warmup_steps,
                num_training_steps=num_training_steps,
                milestones=s.milestones,
                decay=s.decay,
            )
            return self.lr_scheduler
        return super().create_scheduler(num_training_steps, optimizer)


class RecipeTrainer(DeepSeekScheduleMixin, Trainer):
    """transformers' Trainer with the DeepSeek schedule."""


class LossHistoryCallback(TrainerCallback):
    """Keeps every logged loss / learning rate and appends it to ``<output_dir>/loss_history.jsonl``."""

    def __init__(self, output_dir: Path):
        self.path = Path(output_dir) / "loss_history.jsonl"
        self.history: list[dict[str, float]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs or not state.is_world_process_zero:
            return
        row = {"step": state.global_step, "loss": float(logs["loss"])}
        for key in ("learning_rate", "grad_norm"):
            if key in logs:
                row[key] = float(logs[key])
        self.history.append(row)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


class StopAfterStepsCallback(TrainerCallback):
    """Ends the job at ``step`` with a checkpoint; rerunning with ``resume_from_checkpoint: latest`` continues."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_save = True
            control.should_training_stop = True


def training_arguments_kwargs(recipe: Recipe, plan: BatchPlan) -> dict[str, Any]:
    """The TrainingArguments (or SFTConfig) fields a recipe sets."""
    t, o, s, h = recipe.training, recipe.optimizer, recipe.schedule, recipe.hub
    steps = max_steps(recipe, plan)
    return {
        "output_dir": str(t.output_dir),
        "per_device_train_batch_size": plan.micro_batch_size,
        "gradient_accumulation_steps": plan.gradient_accumulation_steps,
        "max_steps": steps if steps is not None else -1,
        "num_train_epochs": t.num_train_epochs if t.num_train_epochs is not None else 1.0,
        "learning_rate": o.lr,
        "optim": o.name,
        "adam_beta1": o.betas[0],
        "adam_beta2": o.betas[1],
        "adam_epsilon": o.eps,
        "weight_decay": o.weight_decay,
        "max_grad_norm": o.max_grad_norm,
        # "deepseek" is built by DeepSeekScheduleMixin; the name given to transformers is then unused.
        "lr_scheduler_type": "constant" if s.type == "deepseek" else s.type,
        "warmup_steps": s.warmup_steps,
        "bf16": t.precision == "bf16",
        "fp16": t.precision == "fp16",
        "tf32": t.tf32 or None,
        "seed": t.seed,
        "data_seed": t.seed,
        "save_strategy": "steps",
        "save_steps": t.save_steps,
        "save_total_limit": t.save_total_limit,
        "logging_steps": t.logging_steps,
        "report_to": list(t.report_to),
        "run_name": t.run_name,
        "dataloader_num_workers": t.dataloader_num_workers,
        "use_cpu": t.use_cpu,
        "activation_checkpointing": recipe.model.gradient_checkpointing,
        "push_to_hub": h.push,
        "hub_model_id": h.model_id,
        "hub_private_repo": h.private,
        "hub_strategy": h.strategy,
        "remove_unused_columns": False,
    }


def _load_sources(recipe: Recipe):
    """Each named source loaded, with its detected kind."""
    from dscoder.training.data import detect_kind, load_source

    loaded = []
    for name, src in recipe.data.sources.items():
        ds = load_source(name, src, streaming=recipe.data.streaming)
        loaded.append((name, src, ds, detect_kind(name, src, ds.column_names)))
    return loaded


def _mix(recipe: Recipe, datasets_: list):
    from datasets import interleave_datasets

    from dscoder.training.data import mixture_probabilities

    if len(datasets_) == 1:
        return datasets_[0]
    return interleave_datasets(
        datasets_,
        probabilities=mixture_probabilities(recipe.data),
        seed=recipe.training.seed,
        stopping_strategy=recipe.data.mixture_stopping,
    )


def pretraining_dataset(recipe: Recipe, tokenizer):
    """Packed ``input_ids``/``position_ids`` rows of ``data.seq_length`` from every source, mixed by weight."""
    from dscoder.training.data import check_tokenized

    parts = []
    for name, src, ds, kind in _load_sources(recipe):
        if kind == "tokenized":
            check_tokenized(name, src, ds, recipe.data, recipe.objective, tokenizer)
            keep = [c for c in ("input_ids", "position_ids") if c in (ds.column_names or [])]
            ds = ds.select_columns(keep)
        elif kind == "text":
            from dscoder.training.data import tokenize_text_source

            ds = tokenize_text_source(name, src, ds, tokenizer, recipe.data, recipe.objective, recipe.training.seed)
        else:
            raise ValueError(f"data.sources.{name}: stage {recipe.stage} needs text or tokenised data, not {kind!r}")
        parts.append(ds)
    return _mix(recipe, parts)


def sft_dataset(recipe: Recipe):
    """Prompt/completion (or messages) records from every source, mixed by weight, and their kind."""
    from dscoder.training.sft import prepare_sft_source

    parts, kinds = [], set()
    for name, _src, ds, kind in _load_sources(recipe):
        parts.append(prepare_sft_source(name, ds, kind, recipe.sft))
        kinds.add(kind)
    if len(kinds) != 1:
        raise ValueError(f"data.sources: stage sft cannot mix instruction and chat-message sources ({sorted(kinds)})")
    return _mix(recipe, parts), kinds.pop()


def build_trainer(recipe: Recipe, callbacks: list | None = None):
    """The configured Trainer / SFTTrainer, its tokenizer and batch plan (nothing trained yet)."""
    from transformers import set_seed

    from dscoder.training.model_loading import build_config, build_model, load_tokenizer

    plan = derive_batch(recipe.batch, recipe.data.seq_length, world_size())
    tokenizer = load_tokenizer(recipe.model)
    config = build_config(recipe.model, tokenizer)
    set_seed(recipe.training.seed)  # the same initial weights in every process and every rerun
    model = build_model(recipe.model, config)
    kwargs = training_arguments_kwargs(recipe, plan)
    if recipe.stage == "sft":
        from trl import SFTConfig, SFTTrainer

        from dscoder.training.sft import peft_config, sft_trainer_kwargs

        class RecipeSFTTrainer(DeepSeekScheduleMixin, SFTTrainer):
            """TRL's SFTTrainer with the DeepSeek schedule available."""

        train_dataset, kind = sft_dataset(recipe)
        args = SFTConfig(**kwargs, **sft_trainer_kwargs(recipe.sft, kind, recipe.data.seq_length))
        trainer = RecipeSFTTrainer(
            model=model,
            args=args,
            train_dataset=train_dataset,
            processing_class=tokenizer,
            peft_config=peft_config(recipe.lora),
            callbacks=callbacks,
        )
    else:
        from dscoder.training.data import PackedCollator

        args = TrainingArguments(**kwargs)
        trainer = RecipeTrainer(
            model=model,
            args=args,
            train_dataset=pretraining_dataset(recipe, tokenizer),
            data_collator=PackedCollator(),
            processing_class=tokenizer,
            callbacks=callbacks,
        )
    trainer.recipe_schedule = recipe.schedule
    if recipe.training.fast_path:
        _enable_fast_path(trainer, recipe)
    return trainer, tokenizer, plan


def _enable_fast_path(trainer, recipe: Recipe) -> None:
    """``training.fast_path``: switch the model to the fast path for the device the Trainer trains on."""
    from dscoder.modeling import DeepseekCoderForCausalLM, enable_fast_path

    if recipe.stage == "sft":  # TRL computes token accuracy from the logits, which the fused loss never builds
        raise ValueError("training.fast_path: supported in the pretraining stages, not in sft (TRL needs logits)")
    if not isinstance(trainer.model, DeepseekCoderForCausalLM):
        raise TypeError(
            f"training.fast_path: needs a DeepseekCoderForCausalLM, the recipe builds {type(trainer.model).__name__}"
        )
    report = enable_fast_path(trainer.model, compile=recipe.training.fast_path_compile,
                              device_type=trainer.args.device.type)  # fmt: skip
    trainer.fast_path_report = report
    if trainer.is_world_process_zero():
        print(f"fast path: {report.as_dict()}")


def _resume_point(recipe: Recipe) -> str | bool | None:
    value = recipe.training.resume_from_checkpoint
    if value is None:
        return None
    if value == "latest":
        from transformers.trainer_utils import get_last_checkpoint

        out = recipe.training.output_dir
        return get_last_checkpoint(str(out)) if out.is_dir() else None
    path = Path(value)
    if not path.is_dir():
        raise FileNotFoundError(f"training.resume_from_checkpoint: {value} is not a checkpoint folder")
    return str(path)


def run_recipe(recipe: str | Path | Recipe, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train one stage. Returns ``final_loss``, ``loss_history`` (step, loss, learning_rate, grad_norm),
    ``output_dir``, ``steps``, ``tokens``, ``batch`` (the derived plan) and ``runtime_s``.

    ``recipe`` is a YAML path (``overrides`` are dotted keys applied on top) or a loaded :class:`Recipe`.
    The final model and tokenizer are saved to ``training.output_dir``, with the resolved recipe as
    ``recipe.yaml``.
    """
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, overrides)
    elif overrides:
        raise ValueError("overrides apply to a recipe path; edit the Recipe object instead")
    out = recipe.training.output_dir
    history = LossHistoryCallback(out)
    callbacks: list = [history]
    if recipe.training.stop_after_steps is not None:
        callbacks.append(StopAfterStepsCallback(recipe.training.stop_after_steps))
    trainer, tokenizer, plan = build_trainer(recipe, callbacks)
    resume = _resume_point(recipe)
    if not resume and trainer.is_world_process_zero() and history.path.exists():
        history.path.unlink()  # a fresh run starts a fresh history; a resumed one appends to it
    result = trainer.train(resume_from_checkpoint=resume)
    stopped_early = (
        recipe.training.stop_after_steps is not None and trainer.state.global_step < trainer.state.max_steps
    )
    if not stopped_early:
        trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        out.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(str(out))
        (out / "recipe.yaml").write_text(yaml.safe_dump(config_to_dict(recipe), sort_keys=False), encoding="utf-8")
    summary = {
        "output_dir": str(out),
        "final_loss": history.history[-1]["loss"] if history.history else None,
        "train_loss": float(result.training_loss),
        "loss_history": history.history,
        "steps": trainer.state.global_step,
        "tokens": trainer.state.global_step * plan.tokens_per_step,
        "batch": {
            "global_sequences": plan.global_sequences,
            "micro_batch_size": plan.micro_batch_size,
            "gradient_accumulation_steps": plan.gradient_accumulation_steps,
            "world_size": plan.world_size,
        },
        "runtime_s": float(result.metrics.get("train_runtime", 0.0)),
        "completed": not stopped_early,
        "recipe_hash": config_hash(recipe),
    }
    if trainer.is_world_process_zero():
        (out / "train_summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def dry_run(
    recipe: str | Path | Recipe,
    overrides: dict[str, Any] | None = None,
    *,
    num_processes: int | None = None,
    checkpoint_preset: str | None = None,
) -> dict[str, Any]:
    """Check a recipe end to end without data or weights: config, batch plan, TrainingArguments, the model on
    the meta device, and one micro-batch of the packed-data path through the collator.

    ``num_processes`` is the process count to plan the batch for (default: this launch's). A recipe that
    starts from a checkpoint (``init_from``) that is not on this machine is checked against the architecture of
    ``checkpoint_preset`` instead (e.g. ``deepseek-coder-1.3b``), with the recipe's config overrides applied.
    """
    import dataclasses

    import torch

    from dscoder.training.data import PackedCollator
    from dscoder.training.model_loading import build_config, build_model

    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, overrides)
    plan = derive_batch(recipe.batch, recipe.data.seq_length, num_processes or world_size())
    model_spec = recipe.model
    if model_spec.init_from and not Path(model_spec.init_from).exists() and checkpoint_preset:
        model_spec = dataclasses.replace(
            model_spec, init_from=None, preset=checkpoint_preset, tokenizer=model_spec.tokenizer or model_spec.init_from
        )
    config = build_config(model_spec)
    model = build_model(model_spec, config, meta=True)
    kwargs = training_arguments_kwargs(recipe, plan)
    if not torch.cuda.is_available():  # check a GPU recipe on a CPU machine: the arguments but not the hardware
        kwargs.update(use_cpu=True, tf32=None)
    if recipe.stage == "sft":
        from trl import SFTConfig

        from dscoder.training.sft import (
            instruction_to_prompt_completion,
            sft_trainer_kwargs,
        )

        SFTConfig(**kwargs, **sft_trainer_kwargs(recipe.sft, "instructions", recipe.data.seq_length))
        instruction_to_prompt_completion({"instruction": "Add two numbers.", "output": "def add(a, b):\n    return a + b"})
    else:
        TrainingArguments(**kwargs)
    # One micro-batch of the packed layout: two documents per row, position ids restarting at the second.
    gen = torch.Generator().manual_seed(0)
    half = recipe.data.seq_length // 2
    rows = []
    for _ in range(plan.micro_batch_size):
        ids = torch.randint(0, config.vocab_size, (recipe.data.seq_length,), generator=gen).tolist()
        rows.append({"input_ids": ids, "position_ids": list(range(half)) + list(range(recipe.data.seq_length - half))})
    batch = PackedCollator()(rows)
    # The meta device has shapes but no values, so no forward pass runs here (transformers' mask code reads values);
    # the checks below are what a forward would trip over first.
    if recipe.data.seq_length > config.max_position_embeddings:
        raise ValueError(
            f"data.seq_length {recipe.data.seq_length} exceeds the model's max_position_embeddings "
            f"{config.max_position_embeddings} (set model.config_overrides.max_position_embeddings)"
        )
    if list(batch["input_ids"].shape) != [plan.micro_batch_size, recipe.data.seq_length]:
        raise AssertionError(f"collated batch has shape {list(batch['input_ids'].shape)}")
    return {
        "stage": recipe.stage,
        "model_type": config.model_type,
        "parameters": sum(p.numel() for p in model.parameters()),
        "rope_parameters": dict(getattr(config, "rope_parameters", None) or {}),
        "max_steps": max_steps(recipe, plan),
        "tokens_per_step": plan.tokens_per_step,
        "batch": dataclasses.asdict(plan),
        "batch_shape": list(batch["input_ids"].shape),
        "masked_labels": int((batch["labels"] == -100).sum()),
    }
