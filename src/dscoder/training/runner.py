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

from dscoder.config import config_hash
from dscoder.training.recipe import (
    BatchPlan,
    Recipe,
    ScheduleConfig,
    derive_batch,
    load_recipe,
    max_steps,
    recipe_to_dict,
    resolve_seq_length,
)
from dscoder.training.schedule import get_deepseek_schedule

__all__ = ["LossHistoryCallback", "StopAfterStepsCallback", "build_trainer", "run_recipe", "world_size"]


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


def _history_row(step: int, logs: dict) -> dict[str, float]:
    row = {"step": step, "loss": float(logs["loss"])}
    for key in ("learning_rate", "grad_norm"):
        if key in logs:
            row[key] = float(logs[key])
    return row


class LossHistoryCallback(TrainerCallback):
    """Keeps every logged training loss / learning rate (one row per logged step, appended to
    ``<output_dir>/loss_history.jsonl``) and every evaluation's metrics (``eval_history``).

    :meth:`start` begins the file: empty for a fresh run; for a resumed one, the rows of the checkpoint's own
    ``trainer_state.json`` up to its step, so steps that a killed job logged after its last checkpoint (and that
    the resumed job logs again) appear once, and the history covers the whole run.
    """

    def __init__(self, output_dir: Path):
        self.path = Path(output_dir) / "loss_history.jsonl"
        self.history: list[dict[str, float]] = []
        self.eval_history: list[dict[str, float]] = []

    def start(self, checkpoint: str | None, write: bool = True) -> None:
        """Every process keeps the history (they decide alike from it); only the main one writes the file."""
        self.history, self.eval_history = [], []
        if checkpoint:
            state = json.loads((Path(checkpoint) / "trainer_state.json").read_text(encoding="utf-8"))
            for logs in state.get("log_history", []):
                if "loss" in logs and logs.get("step", 0) <= state["global_step"]:
                    self.history.append(_history_row(logs["step"], logs))
                elif "eval_loss" in logs or any(k.startswith("eval_") and k.endswith("_loss") for k in logs):
                    self.eval_history.append({k: v for k, v in logs.items() if k == "step" or k.startswith("eval_")})
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("".join(json.dumps(row) + "\n" for row in self.history), encoding="utf-8")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs:
            return
        if "loss" not in logs:
            if any(k.startswith("eval_") and k.endswith("_loss") for k in logs):
                self.eval_history.append({"step": state.global_step,
                                          **{k: v for k, v in logs.items() if k.startswith("eval_")}})  # fmt: skip
            return
        row = _history_row(state.global_step, logs)
        self.history.append(row)
        if state.is_world_process_zero:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")


def mean_logged_loss(history: list[dict[str, float]]) -> float | None:
    """The run's mean training loss from its logged rows, each weighted by the steps it averages over."""
    total, steps, previous = 0.0, 0, 0
    for row in history:
        total += row["loss"] * (row["step"] - previous)
        steps += row["step"] - previous
        previous = row["step"]
    return total / steps if steps else None


class StopAfterStepsCallback(TrainerCallback):
    """Ends the job at ``step`` with a checkpoint; rerunning with ``resume_from_checkpoint: latest`` continues."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_save = True
            control.should_training_stop = True


#: loggers that write locally without an account: what ``report_to: null`` turns on when installed
LOCAL_LOGGERS = ("tensorboard", "trackio", "mlflow", "dvclive")
_LOGGER_PACKAGES = {"tensorboard": "tensorboard", "comet_ml": "comet-ml", "azure_ml": "azureml-core",
                    "clearml": "clearml", "dagshub": "dagshub", "flyte": "flytekit"}  # fmt: skip


def resolve_report_to(requested: list[str] | None) -> list[str]:
    """``training.report_to`` as the Trainer gets it: ``None`` is the installed local loggers (or none), and a
    named logger that is not installed is an error now rather than when the Trainer starts."""
    from transformers.integrations import get_available_reporting_integrations

    installed = get_available_reporting_integrations()
    if requested is None:
        return [name for name in LOCAL_LOGGERS if name in installed] or ["none"]
    if "all" in requested:
        return installed or ["none"]
    for name in requested:
        if name != "none" and name not in installed:
            raise ValueError(
                f"training.report_to: {name} is not installed (pip install {_LOGGER_PACKAGES.get(name, name)}), "
                "or leave report_to unset to log to the local loggers that are installed"
            )
    return list(requested)


def training_arguments_kwargs(recipe: Recipe, plan: BatchPlan) -> dict[str, Any]:
    """The TrainingArguments (or SFTConfig) fields a recipe sets: its typed sections, then every field given
    under ``training`` as it is."""
    t, o, s, h = recipe.training, recipe.optimizer, recipe.schedule, recipe.hub
    steps = max_steps(recipe, plan)
    evaluation = {}
    if recipe.data.has_eval_split:  # evaluate at every checkpoint unless the recipe says otherwise
        evaluation = {"eval_strategy": "steps", "eval_steps": t.save_steps,
                      "per_device_eval_batch_size": plan.micro_batch_size}  # fmt: skip
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
        "report_to": resolve_report_to(t.report_to),
        "run_name": t.run_name,
        "dataloader_num_workers": t.dataloader_num_workers,
        "use_cpu": t.use_cpu,
        "activation_checkpointing": bool(recipe.model.gradient_checkpointing),
        # strategy "end" is dscoder's own push of the whole run folder (dscoder.training.hub) once it is written;
        # the others also let the Trainer push checkpoints while it trains
        "push_to_hub": h.push and h.strategy != "end",
        "hub_model_id": h.model_id,
        "hub_private_repo": h.private,
        "hub_strategy": "every_save" if h.strategy == "end" else h.strategy,
        "remove_unused_columns": False,
        **evaluation,
        **{k: getattr(v, "value", v) for k, v in t.trainer_args.items()},
    }


def _load_sources(recipe: Recipe, sources: dict | None = None):
    """Each named source (default: the training sources) loaded, with its detected kind."""
    from dscoder.training.data import detect_kind, load_source

    loaded = []
    for name, src in (recipe.data.sources if sources is None else sources).items():
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


def pretraining_dataset(recipe: Recipe, tokenizer, sources: dict | None = None):
    """Packed ``input_ids``/``position_ids`` rows of ``data.seq_length`` from every source, mixed by weight."""
    from dscoder.training.data import check_tokenized

    parts = []
    for name, src, ds, kind in _load_sources(recipe, sources):
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
    if sources is not None:  # evaluation sets: each scored on its own
        return parts[0] if len(parts) == 1 else dict(zip(sources, parts))
    return _mix(recipe, parts)


def sft_dataset(recipe: Recipe, sources: dict | None = None):
    """Prompt/completion (or messages) records from every source, mixed by weight, and their kind."""
    from dscoder.training.sft import prepare_sft_source

    parts, kinds = [], set()
    for name, _src, ds, kind in _load_sources(recipe, sources):
        parts.append(prepare_sft_source(name, ds, kind, recipe.sft))
        kinds.add(kind)
    if len(kinds) != 1:
        raise ValueError(f"data.sources: stage sft cannot mix instruction and chat-message sources ({sorted(kinds)})")
    if sources is not None:
        return (parts[0] if len(parts) == 1 else dict(zip(sources, parts))), kinds.pop()
    return _mix(recipe, parts), kinds.pop()


def split_eval(recipe: Recipe, train_dataset, eval_dataset=None):
    """The evaluation split: ``data.eval_sources`` as given, or a seeded ``data.eval_fraction`` of the training
    records held out (after mixing, so each source contributes its share); each evaluation set then capped at
    ``data.max_eval_samples`` rows (a seeded sample)."""
    if recipe.data.eval_fraction:
        parts = train_dataset.train_test_split(test_size=recipe.data.eval_fraction, seed=recipe.training.seed)
        train_dataset, eval_dataset = parts["train"], parts["test"]
    if isinstance(eval_dataset, dict):
        return train_dataset, {name: _cap_eval(recipe, ds) for name, ds in eval_dataset.items()}
    return train_dataset, _cap_eval(recipe, eval_dataset)


def _cap_eval(recipe: Recipe, dataset):
    """At most ``data.max_eval_samples`` rows of ``dataset``: a seeded shuffle first, so the rows come from the
    whole set rather than its first documents (a stream keeps its first rows)."""
    import datasets

    cap = recipe.data.max_eval_samples
    if dataset is None or cap is None:
        return dataset
    if isinstance(dataset, datasets.IterableDataset):
        return dataset.take(cap)
    if len(dataset) <= cap:
        return dataset
    return dataset.shuffle(seed=recipe.training.seed).select(range(cap))


#: a training row costs about three forward passes (forward + backward), an evaluation row one
TRAIN_ROW_COST = 3


def evaluation_cost(recipe: Recipe, plan: BatchPlan, eval_rows: int, eval_steps: int | None) -> dict[str, Any]:
    """How much evaluation a run does next to its training, in forward passes of one row: ``evaluations`` (every
    ``eval_steps`` plus the final model), ``eval_forward`` and ``train_forward`` (``TRAIN_ROW_COST`` per
    training row)."""
    steps = max_steps(recipe, plan) or 0
    evaluations = (steps // eval_steps if eval_steps else 0) + (0 if eval_steps and steps % eval_steps == 0 else 1)
    return {"evaluations": evaluations, "eval_rows": eval_rows, "eval_forward": evaluations * eval_rows,
            "train_forward": TRAIN_ROW_COST * steps * plan.global_sequences}  # fmt: skip


def _warn_if_evaluation_dominates(recipe: Recipe, plan: BatchPlan, trainer) -> dict[str, Any] | None:
    """A warning (logged once, main process) when evaluating will cost more than training; returns the estimate."""
    import logging

    sets = trainer.eval_dataset
    sets = list(sets.values()) if isinstance(sets, dict) else [sets]
    if sets == [None] or any(not hasattr(ds, "__len__") for ds in sets) or max_steps(recipe, plan) is None:
        return None  # a stream or an epoch-based run: sizes unknown before it runs
    args = trainer.args
    eval_steps = args.eval_steps if str(getattr(args.eval_strategy, "value", args.eval_strategy)) == "steps" else None
    if isinstance(eval_steps, float) and eval_steps < 1:  # a fraction of the run, as transformers reads it
        eval_steps = max(1, int(eval_steps * max_steps(recipe, plan)))
    cost = evaluation_cost(recipe, plan, sum(len(ds) for ds in sets), int(eval_steps) if eval_steps else None)
    if cost["eval_forward"] > cost["train_forward"] and trainer.is_world_process_zero():
        logging.getLogger(__name__).warning(
            "evaluation will cost more than training: %d evaluation(s) of %d held-out rows (%d row forwards) "
            "against %d training steps of %d rows (~%d row forwards); set data.max_eval_samples or a larger "
            "training.eval_steps", cost["evaluations"], cost["eval_rows"], cost["eval_forward"],
            max_steps(recipe, plan), plan.global_sequences, cost["train_forward"],
        )  # fmt: skip
    return cost


def build_trainer(recipe: Recipe, callbacks: list | None = None):
    """The configured Trainer / SFTTrainer, its tokenizer and batch plan (nothing trained yet)."""
    from transformers import set_seed

    from dscoder.training.model_loading import build_config, build_model, load_tokenizer

    recipe.data.seq_length = resolve_seq_length(recipe.data)  # "auto": the tokenised data's own row length
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
        eval_dataset = sft_dataset(recipe, recipe.data.eval_sources)[0] if recipe.data.eval_sources else None
        train_dataset, eval_dataset = split_eval(recipe, train_dataset, eval_dataset)
        args = SFTConfig(**{**sft_trainer_kwargs(recipe.sft, kind, recipe.data.seq_length), **kwargs})
        trainer = RecipeSFTTrainer(
            model=model,
            args=args,
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            processing_class=tokenizer,
            peft_config=peft_config(recipe.lora),
            callbacks=callbacks,
        )
    else:
        from dscoder.training.data import PackedCollator

        args = TrainingArguments(**kwargs)
        eval_sources = recipe.data.eval_sources
        train_dataset, eval_dataset = split_eval(
            recipe, pretraining_dataset(recipe, tokenizer),
            pretraining_dataset(recipe, tokenizer, eval_sources) if eval_sources else None,
        )
        trainer = RecipeTrainer(
            model=model,
            args=args,
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            data_collator=PackedCollator(),
            processing_class=tokenizer,
            callbacks=callbacks,
        )
    trainer.recipe_schedule = recipe.schedule
    trainer.evaluation_cost = _warn_if_evaluation_dominates(recipe, plan, trainer)
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


def check_launch_settings(recipe: Recipe, inputs: bool = True) -> list[str]:
    """What fails a launch before any model is built (raised), and the loggers the Trainer gets (returned).
    ``inputs=False`` leaves out the local model folders that do not exist yet (a dry run lists them)."""
    report_to = resolve_report_to(recipe.training.report_to)
    for key in ("init_from", "config", "tokenizer") if inputs else ():  # a recipe's local folders are absolute
        path = getattr(recipe.model, key)
        if path and path.startswith(("/", "~", ".")) and not Path(path).expanduser().exists():
            raise FileNotFoundError(f"model.{key}: {path} is not produced yet (`dscoder train RECIPE --dry-run` names "
                                    "the run or command that writes it)")  # fmt: skip
    value = recipe.training.resume_from_checkpoint
    if value not in (None, "latest") and not Path(value).is_dir():
        raise FileNotFoundError(f"training.resume_from_checkpoint: {value} is not a checkpoint folder")
    if recipe.hub.push:
        from huggingface_hub import get_token

        if get_token() is None:  # the push comes after the training: find out now, not then
            raise ValueError("hub.push: no Hugging Face token (run `hf auth login` or set HF_TOKEN)")
    return report_to


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
    ``recipe.yaml``, ``train_summary.json`` (the whole run, across resumed jobs) and, with an evaluation split,
    ``eval_results.json``; ``hub.push`` then uploads that folder with a model card (:mod:`dscoder.training.hub`).
    """
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, overrides)
    elif overrides:
        raise ValueError("overrides apply to a recipe path; edit the Recipe object instead")
    out = recipe.training.output_dir
    check_launch_settings(recipe)  # a missing logger, checkpoint or token fails before any model is built
    history = LossHistoryCallback(out)
    callbacks: list = [history]
    if recipe.training.stop_after_steps is not None:
        callbacks.append(StopAfterStepsCallback(recipe.training.stop_after_steps))
    trainer, tokenizer, plan = build_trainer(recipe, callbacks)
    resume = _resume_point(recipe)
    # fresh: an empty history; resumed: the checkpoint's rows, so no step twice
    history.start(resume, write=trainer.is_world_process_zero())
    result = trainer.train(resume_from_checkpoint=resume)
    stopped_early = (
        recipe.training.stop_after_steps is not None and trainer.state.global_step < trainer.state.max_steps
    )
    eval_metrics = None
    if not stopped_early:
        if trainer.eval_dataset is not None:  # the final model's held-out metrics (once: reuse the last step's)
            done = history.eval_history and history.eval_history[-1]["step"] == trainer.state.global_step
            eval_metrics = dict(history.eval_history[-1]) if done else trainer.evaluate()
        trainer.args.push_to_hub = False  # the Hub gets the whole run folder below, once it is complete
        trainer.save_model(str(out))
    summary = {
        "output_dir": str(out),
        "final_loss": history.history[-1]["loss"] if history.history else None,
        "train_loss": mean_logged_loss(history.history),
        "loss_history": history.history,
        "eval_history": history.eval_history,
        "steps": trainer.state.global_step,
        "tokens": trainer.state.global_step * plan.tokens_per_step,
        "batch": {
            "global_sequences": plan.global_sequences,
            "micro_batch_size": plan.micro_batch_size,
            "gradient_accumulation_steps": plan.gradient_accumulation_steps,
            "world_size": plan.world_size,
        },
        "runtime_s": float(result.metrics.get("train_runtime", 0.0)),
        "segments": _segments(out, resume, trainer.state.global_step, float(result.metrics.get("train_runtime", 0.0))),
        "completed": not stopped_early,
        "recipe_hash": config_hash(recipe),
    }
    summary["runtime_s"] = sum(s["runtime_s"] for s in summary["segments"])
    if trainer.is_world_process_zero():
        out.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(str(out))
        (out / "recipe.yaml").write_text(yaml.safe_dump(recipe_to_dict(recipe), sort_keys=False), encoding="utf-8")
        if eval_metrics is not None:
            (out / "eval_results.json").write_text(json.dumps(eval_metrics, indent=1), encoding="utf-8")
        (out / "train_summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
        if recipe.hub.push and not stopped_early:
            from dscoder.training.hub import push_run

            summary["hub_commit"] = push_run(out, recipe)
    return summary


def _segments(out: Path, resume: str | None, step: int, runtime_s: float) -> list[dict[str, Any]]:
    """The jobs of this run (a resumed run continues the segments of the summary its previous job wrote)."""
    first = 0
    previous: list[dict[str, Any]] = []
    if resume:
        first = json.loads((Path(resume) / "trainer_state.json").read_text(encoding="utf-8"))["global_step"]
        summary = out / "train_summary.json"
        if summary.is_file():
            previous = [s for s in json.loads(summary.read_text(encoding="utf-8")).get("segments", [])
                        if s["last_step"] <= first]  # fmt: skip
        if not previous or previous[-1]["last_step"] < first:  # a job that ended without a summary (killed)
            start = previous[-1]["last_step"] if previous else 0
            previous.append({"first_step": start, "last_step": first, "runtime_s": 0.0, "runtime_known": False})
    return [*previous, {"first_step": first, "last_step": step, "runtime_s": runtime_s, "runtime_known": True}]
