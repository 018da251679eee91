"""Training recipes: the typed YAML schema of every training stage (report §3.4-3.7, §5; docs/paper.md).

A recipe names the model, the data, the objective, the optimizer and schedule, the batch, precision,
checkpointing, logging and Hub push. It loads through :func:`dscoder.config.load_yaml_config`, so an unknown or
mistyped key is an error naming the file and the key. ``stage`` picks the trainer: ``sft`` runs TRL's
``SFTTrainer``, every other stage transformers' ``Trainer``.

The ``training`` section takes dscoder's own keys (below) and *any* field of ``transformers.TrainingArguments``
(stage ``sft``: of ``trl.SFTConfig``), validated against those dataclasses when the recipe loads, so a field that a
newer transformers adds works without a change here. Fields that a typed section decides (``learning_rate`` is
``optimizer.lr``, ``per_device_train_batch_size`` is ``batch.micro_batch_size``, ...) are errors that name the
section. A misspelt key is a one-line error naming the file and suggesting the closest field.

Fields that take "a local path or a Hub id" (``model.init_from``, ``model.config``, ``model.tokenizer``) are
strings; one that starts with ``./``, ``../``, ``/`` or ``~`` is a local path, resolved relative to the YAML.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

from dscoder.config import ConfigError, config_to_dict, load_yaml_config, parse_set_pairs

__all__ = [
    "BatchConfig",
    "DataConfig",
    "DataSource",
    "HubConfig",
    "LoraConfig",
    "ModelConfig",
    "ObjectiveConfig",
    "OptimizerConfig",
    "Recipe",
    "SFTOptions",
    "ScheduleConfig",
    "TrainingConfig",
    "derive_batch",
    "load_recipe",
    "parse_overrides",
    "recipe_to_dict",
    "resolve_seq_length",
    "trainer_arg_type",
]

Stage = Literal["pretrain", "long_context", "continued_pretrain", "sft"]
_LOCAL_PREFIXES = ("./", "../", "/", "~")


@dataclass
class ModelConfig:
    """Where the weights come from: exactly one of ``preset``, ``config`` (both: random init) or ``init_from``."""

    preset: str | None = None  # a dscoder preset (dscoder.modeling), e.g. "deepseek-coder-1.3b" or "tiny"
    config: str | None = None  # a config.json folder or Hub id to build a randomly initialised model from
    init_from: str | None = None  # a checkpoint (folder or Hub id) whose weights the run starts from
    revision: str | None = None  # Hub revision for init_from / config / tokenizer
    config_overrides: dict[str, Any] = field(default_factory=dict)  # e.g. rope_parameters for long context
    tokenizer: str | None = None  # folder or Hub id; defaults to init_from
    vocab_size_from_tokenizer: bool = False  # size the embeddings from the tokenizer (tiny models, new tokenizers)
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2", "flex_attention"] = "sdpa"
    # recompute activations in the backward pass (memory for time); ``training.gradient_checkpointing`` (the
    # TrainingArguments spelling TRL and alignment-handbook recipes use) sets the same switch. null: off.
    gradient_checkpointing: bool | None = None
    trust_remote_code: bool = False

    def __post_init__(self):
        given = [k for k in ("preset", "config", "init_from") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"give exactly one of model.preset, model.config, model.init_from (got {given or 'none'})")
        if self.tokenizer is None and self.init_from is None:
            raise ValueError("model.tokenizer is required when the model is not initialised from a checkpoint")


@dataclass
class DataSource:
    """One dataset of the training mixture: a local folder/file or a Hub dataset, with its mixture weight."""

    path: Path | None = None  # save_to_disk folder, or a JSONL(.gz)/Parquet file or folder of them
    hub: str | None = None  # Hub dataset id, e.g. "bigcode/the-stack-dedup"
    hub_config: str | None = None
    data_dir: str | None = None
    split: str = "train"
    kind: Literal["auto", "tokenized", "text", "instructions", "messages"] = "auto"
    text_field: str = "text"
    weight: float = 1.0

    def __post_init__(self):
        if (self.path is None) == (self.hub is None):
            raise ValueError("give exactly one of path (local data) and hub (a Hub dataset id)")
        if not self.weight > 0:
            raise ValueError(f"weight must be > 0, got {self.weight}")


@dataclass
class DataConfig:
    """The training data: named sources mixed by weight (normalised), cut into ``seq_length`` tokens."""

    sources: dict[str, DataSource]
    # tokens per row; "auto": the length the tokenised sources were written with (their tokenization.json)
    seq_length: int | Literal["auto"] = 4096
    streaming: bool = False  # stream Hub/local sources instead of loading them (needs training.max_steps)
    num_proc: int | None = None  # processes for on-the-fly tokenisation of map-style data
    mixture_stopping: Literal["first_exhausted", "all_exhausted"] = "all_exhausted"
    # The evaluation split: separate sources (pretraining: the held-out repositories, tokenised like the
    # training data), or a seeded held-out slice of the training records (SFT; map-style data only).
    eval_sources: dict[str, DataSource] = field(default_factory=dict)
    eval_fraction: float = 0.0
    # rows of each evaluation set that are scored (a seeded sample; null: all). Evaluation runs every eval_steps,
    # so on a small run an uncapped held-out set costs more than the training itself.
    max_eval_samples: int | None = None

    def __post_init__(self):
        if not self.sources:
            raise ValueError("sources: at least one data source is required")
        if self.seq_length != "auto" and self.seq_length < 2:
            raise ValueError(f"seq_length must be >= 2 or 'auto', got {self.seq_length}")
        if self.max_eval_samples is not None and self.max_eval_samples < 1:
            raise ValueError(f"max_eval_samples must be >= 1 (or null: all), got {self.max_eval_samples}")
        if self.num_proc is not None and self.num_proc < 1:
            raise ValueError(f"num_proc must be >= 1 (or null), got {self.num_proc}")
        if not 0.0 <= self.eval_fraction < 1.0:
            raise ValueError(f"eval_fraction must be in [0, 1), got {self.eval_fraction}")
        if self.eval_fraction and self.eval_sources:
            raise ValueError("give eval_sources or eval_fraction, not both")
        if self.eval_fraction and self.streaming:
            raise ValueError("eval_fraction needs map-style data (streaming: false); give eval_sources instead")

    @property
    def has_eval_split(self) -> bool:
        return bool(self.eval_sources) or self.eval_fraction > 0


@dataclass
class ObjectiveConfig:
    """Next-token prediction, optionally with fill-in-the-middle applied per document (report §3.1.2)."""

    fim_rate: float = 0.0  # 0.5 in pretraining; 0 for v1.5 and instruction tuning
    fim_mode: Literal["psm", "spm"] = "psm"

    def __post_init__(self):
        if not 0.0 <= self.fim_rate <= 1.0:
            raise ValueError(f"fim_rate must be in [0, 1], got {self.fim_rate}")


@dataclass
class OptimizerConfig:
    """AdamW (report §3.4: β1 0.9, β2 0.95; DeepSeek LLM: weight decay 0.1, clipping 1.0)."""

    lr: float
    name: Literal["adamw_torch", "adamw_torch_fused", "adamw_8bit", "adafactor"] = "adamw_torch"
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    weight_decay: float = 0.1
    max_grad_norm: float = 1.0

    def __post_init__(self):
        _positive(self, "lr", "eps", "max_grad_norm")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"betas must be in [0, 1), got {list(self.betas)}")


@dataclass
class ScheduleConfig:
    """``deepseek`` is the multi-step schedule of :mod:`dscoder.training.schedule`; others are transformers'."""

    type: Literal["deepseek", "cosine", "linear", "constant", "constant_with_warmup"] = "deepseek"
    warmup_steps: int = 2000
    milestones: tuple[float, ...] = (0.8, 0.9)
    decay: float = math.sqrt(0.1)

    def __post_init__(self):
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if not all(0.0 < m < 1.0 for m in self.milestones) or list(self.milestones) != sorted(set(self.milestones)):
            raise ValueError(f"milestones must be increasing fractions of training in (0, 1), got {list(self.milestones)}")
        if not 0.0 < self.decay <= 1.0:
            raise ValueError(f"decay must be in (0, 1], got {self.decay}")


@dataclass
class BatchConfig:
    """The global batch, in sequences or in tokens; gradient accumulation follows from the process count."""

    global_batch_sequences: int | None = None
    global_batch_tokens: int | None = None
    micro_batch_size: int = 1  # sequences per device per forward pass

    def __post_init__(self):
        if (self.global_batch_sequences is None) == (self.global_batch_tokens is None):
            raise ValueError("give exactly one of global_batch_sequences and global_batch_tokens")
        _positive(self, "global_batch_sequences", "global_batch_tokens")
        if self.micro_batch_size < 1:
            raise ValueError(f"micro_batch_size must be >= 1, got {self.micro_batch_size}")


#: TrainingArguments / SFTConfig fields that a typed section of the recipe decides: setting them under ``training``
#: would contradict that section, so it is an error naming the section to edit instead.
DECIDED_BY_SECTIONS = {
    "per_device_train_batch_size": "batch.micro_batch_size",
    "gradient_accumulation_steps": "batch (global batch / (micro_batch_size x processes))",
    "learning_rate": "optimizer.lr",
    "optim": "optimizer.name",
    "adam_beta1": "optimizer.betas",
    "adam_beta2": "optimizer.betas",
    "adam_epsilon": "optimizer.eps",
    "weight_decay": "optimizer.weight_decay",
    "max_grad_norm": "optimizer.max_grad_norm",
    "lr_scheduler_type": "schedule.type",
    "warmup_steps": "schedule.warmup_steps",
    "bf16": "training.precision",
    "fp16": "training.precision",
    "push_to_hub": "hub.push",
    "hub_model_id": "hub.model_id",
    "hub_private_repo": "hub.private",
    "hub_strategy": "hub.strategy",
    "remove_unused_columns": "dscoder (its collators need every column)",
    "max_length": "data.seq_length",
    "eos_token": "dscoder (<|EOT|> ends every instruction-tuning target, report §3.7)",
    "completion_only_loss": "sft.completion_only_loss",
    "assistant_only_loss": "sft.completion_only_loss",
    "packing": "sft.packing",
    "trust_remote_code": "model.trust_remote_code",
    "model_init_kwargs": "model (dscoder builds the model from the model section)",
}


@functools.cache
def _ta_fields() -> dict[str, tuple[Any, Any]]:
    """``TrainingArguments`` fields: name -> (default, annotation)."""
    from transformers import TrainingArguments

    hints = typing.get_type_hints(TrainingArguments)
    return {f.name: (f.default, hints[f.name]) for f in dataclasses.fields(TrainingArguments) if f.init}


@functools.cache
def _sft_only_fields() -> dict[str, tuple[Any, Any]]:
    """``trl.SFTConfig`` fields that ``TrainingArguments`` lacks (imports TRL, so only when a key needs it)."""
    from trl import SFTConfig

    hints = typing.get_type_hints(SFTConfig)
    ta = _ta_fields()
    return {f.name: (f.default, hints[f.name]) for f in dataclasses.fields(SFTConfig) if f.init and f.name not in ta}


def _hf_field(name: str) -> tuple[Any, Any] | None:
    return _ta_fields().get(name) or _sft_only_fields().get(name)


def is_sft_only_field(name: str) -> bool:
    """A ``trl.SFTConfig`` field that transformers' ``TrainingArguments`` does not have."""
    return name not in _ta_fields() and name in _sft_only_fields()


def trainer_arg_type(name: str) -> Any:
    """The annotation of a ``training`` key passed to TrainingArguments/SFTConfig; ``LookupError(reason)`` when
    the key is not one, or is one that a typed section decides."""
    if name in DECIDED_BY_SECTIONS:
        raise LookupError(f"set by {DECIDED_BY_SECTIONS[name]}, not under training")
    f = _hf_field(name)
    if f is None:
        import transformers
        import trl

        known = [*(x.name for x in dataclasses.fields(TrainingConfig) if x.init), *_ta_fields(), *_sft_only_fields()]
        close = difflib.get_close_matches(name, [k for k in known if k not in DECIDED_BY_SECTIONS], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise LookupError(
            f"unknown key: not a dscoder training key nor a field of transformers.TrainingArguments "
            f"({transformers.__version__}) or trl.SFTConfig ({trl.__version__}){hint}"
        )
    return f[1]


def _check_trainer_arg(name: str, value: Any) -> None:
    """Numbers passed through to TrainingArguments: ``*_steps`` > 0; others >= 0 unless transformers' own default
    is negative (a sentinel such as ``local_rank: -1``), because transformers checks few of them itself."""
    trainer_arg_type(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if name.endswith("_steps") and value <= 0:
        raise ValueError(f"must be > 0, got {value}")
    default = _hf_field(name)[0]
    if value < 0 and not (isinstance(default, (int, float)) and default < 0):
        raise ValueError(f"must be >= 0, got {value}")


def _positive(obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if value is not None and not value > 0:
            raise ConfigError("", name, f"must be > 0, got {value}")


@dataclass
class TrainingConfig:
    """Length, precision, checkpointing and logging of the run, plus any TrainingArguments / SFTConfig field."""

    output_dir: Path
    max_steps: int | None = None  # > 0; to train by epochs give num_train_epochs instead (no -1 sentinel)
    max_tokens: int | None = None  # converted to steps with the global batch
    num_train_epochs: float | None = None  # map-style data only (SFT)
    seed: int = 42
    precision: Literal["fp32", "bf16", "fp16"] = "bf16"
    tf32: bool = False
    save_steps: int = 1000
    save_total_limit: int | None = 3
    resume_from_checkpoint: str | None = None  # a checkpoint folder, or "latest" (the newest in output_dir)
    stop_after_steps: int | None = None  # end the job early with a checkpoint, e.g. to fit a cluster time limit
    logging_steps: int = 10
    # null: the local loggers that are installed (tensorboard, trackio, mlflow, aim, dvclive; none if none is),
    # so a recipe never fails at launch for a logger the machine lacks; a list names them ("wandb", ...).
    report_to: list[str] | None = None
    run_name: str | None = None
    dataloader_num_workers: int = 0
    use_cpu: bool = False
    # the GPU fast path of dscoder.modeling.enable_fast_path (fused kernels, chunked loss, varlen attention); on CPU
    # it swaps in the chunked loss only. Pretraining stages of DeepseekCoderForCausalLM.
    fast_path: bool = False
    fast_path_compile: bool = False  # torch.compile each decoder layer (with fast_path)
    # every other key of the section: TrainingArguments / SFTConfig fields, validated by trainer_arg_type
    trainer_args: dict[str, Any] = field(default_factory=dict, metadata={"extra_keys": trainer_arg_type})

    def __post_init__(self):
        if self.fast_path_compile and not self.fast_path:
            raise ValueError("fast_path_compile needs fast_path: true")
        lengths = [k for k in ("max_steps", "max_tokens", "num_train_epochs") if getattr(self, k) is not None]
        if len(lengths) != 1:
            raise ValueError(f"give exactly one of max_steps, max_tokens, num_train_epochs (got {lengths or 'none'})")
        if self.max_steps is not None and self.max_steps <= 0:
            raise ConfigError("", "max_steps", f"must be > 0, got {self.max_steps} (transformers' -1 means 'train by "
                              "epochs': give num_train_epochs instead of max_steps)")  # fmt: skip
        _positive(self, "max_tokens", "num_train_epochs", "save_steps", "save_total_limit", "stop_after_steps",
                  "logging_steps")  # fmt: skip
        if self.dataloader_num_workers < 0:
            raise ConfigError("", "dataloader_num_workers", f"must be >= 0, got {self.dataloader_num_workers}")
        if self.report_to is not None:
            from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

            for name in self.report_to:
                if name not in INTEGRATION_TO_CALLBACK and name not in ("none", "all"):
                    raise ConfigError("", "report_to", f"unknown logger {name!r} (transformers knows "
                                      f"{', '.join(INTEGRATION_TO_CALLBACK)}, 'all' and 'none')")  # fmt: skip
        for name, value in self.trainer_args.items():
            try:
                _check_trainer_arg(name, value)
            except (LookupError, ValueError) as exc:
                raise ConfigError("", name, exc.args[0]) from None


@dataclass
class HubConfig:
    """Push checkpoints to the Hugging Face Hub (off by default)."""

    push: bool = False
    model_id: str | None = None
    private: bool = True
    strategy: Literal["end", "every_save", "checkpoint", "all_checkpoints"] = "end"

    def __post_init__(self):
        if self.push and not self.model_id:
            raise ValueError("model_id is required when push is true")


@dataclass
class LoraConfig:
    """Optional LoRA through peft for instruction tuning."""

    enabled: bool = False
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )


@dataclass
class SFTOptions:
    """Instruction tuning (report §3.7): loss on responses only, packing without cross-example attention."""

    completion_only_loss: bool = True
    packing: bool = True  # TRL's "bfd" strategy: padding-free, examples never see each other
    system_prompt: Literal["finetune", "chat_template"] = "finetune"  # wording of the released script or template


@dataclass
class Recipe:
    """One training stage."""

    stage: Stage
    model: ModelConfig
    data: DataConfig
    optimizer: OptimizerConfig
    batch: BatchConfig
    training: TrainingConfig
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    hub: HubConfig = field(default_factory=HubConfig)
    sft: SFTOptions = field(default_factory=SFTOptions)
    lora: LoraConfig = field(default_factory=LoraConfig)
    description: str = ""

    def __post_init__(self):
        _merge_checkpointing_switches(self)
        if self.stage == "sft" and self.objective.fim_rate:
            raise ValueError("objective.fim_rate must be 0 for stage sft (instruct models are not trained with FIM)")
        if self.lora.enabled and self.stage != "sft":
            raise ValueError("lora.enabled is supported for stage sft only")
        args = self.training.trainer_args
        if self.stage != "sft":
            for name in args:
                if is_sft_only_field(name):
                    raise ConfigError("", f"training.{name}", f"a trl.SFTConfig field: only for stage sft, not {self.stage}")
        strategy = str(getattr(args.get("eval_strategy"), "value", args.get("eval_strategy", "no")))
        if strategy != "no" and not self.data.has_eval_split:
            raise ConfigError("", "training.eval_strategy", f"is {strategy!r} but the recipe has no evaluation split "
                              "(set data.eval_sources or data.eval_fraction)")  # fmt: skip
        if self.data.eval_fraction and self.stage != "sft" and any(
            s.kind == "tokenized" or s.path is None for s in self.data.sources.values()
        ):
            raise ConfigError("", "data.eval_fraction", "a held-out slice needs map-style records; for pretraining "
                              "give data.eval_sources (held-out repositories, tokenised the same way)")  # fmt: skip


#: TrainingArguments spellings of model.gradient_checkpointing (transformers 5 names it activation_checkpointing)
CHECKPOINTING_KEYS = ("gradient_checkpointing", "activation_checkpointing")


def _merge_checkpointing_switches(recipe: Recipe) -> None:
    """``training.gradient_checkpointing`` / ``activation_checkpointing`` (TRL and alignment-handbook recipes
    write it there) and ``model.gradient_checkpointing`` are one switch: moved to the model section, an error
    when two of them disagree."""
    given = {f"training.{k}": recipe.training.trainer_args.pop(k) for k in CHECKPOINTING_KEYS
             if k in recipe.training.trainer_args}  # fmt: skip
    given = {k: v for k, v in given.items() if v is not None}
    if recipe.model.gradient_checkpointing is not None:
        given["model.gradient_checkpointing"] = recipe.model.gradient_checkpointing
    if len(set(given.values())) > 1:
        raise ConfigError("", " and ".join(given), f"disagree ({', '.join(f'{k}: {v}' for k, v in given.items())}); "
                          "they are one switch, set it once")  # fmt: skip
    if given:
        recipe.model.gradient_checkpointing = next(iter(given.values()))


def resolve_seq_length(data: DataConfig, required: bool = True) -> int | None:
    """``data.seq_length: auto`` made concrete: the ``seq_len`` that every tokenised source's
    ``tokenization.json`` records (``dscoder data tokenize`` writes it). With ``required``, a missing or
    disagreeing source is an error naming it; otherwise ``None`` when no source says yet."""
    if data.seq_length != "auto":
        return data.seq_length
    import json

    lengths, missing = {}, []
    for name, src in data.sources.items():
        if src.path is None or src.kind not in ("auto", "tokenized"):
            continue
        meta = Path(src.path) / "tokenization.json"
        if meta.is_file():
            lengths[name] = int(json.loads(meta.read_text(encoding="utf-8"))["seq_len"])
        elif src.kind == "tokenized" or not Path(src.path).exists():
            missing.append(f"data.sources.{name} ({src.path})")
    if len(set(lengths.values())) > 1:
        found = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise ValueError(f"data.seq_length: auto, but the tokenised sources have different row lengths ({found}); "
                         "retokenise them to one length or set data.seq_length")  # fmt: skip
    if lengths and not missing:
        return next(iter(lengths.values()))
    if not required:
        return None
    if missing:
        raise FileNotFoundError(
            f"data.seq_length: auto takes the row length from the tokenised data's tokenization.json, but "
            f"{', '.join(missing)} is not produced yet (`dscoder data tokenize INPUT OUTPUT --seq-len N` writes it)"
        )
    raise ValueError("data.seq_length: auto needs a tokenised source (`dscoder data tokenize` output); with text "
                     "sources only, give the length as a number")  # fmt: skip


def recipe_to_dict(recipe: Recipe) -> dict[str, Any]:
    """The recipe as YAML-ready data that :func:`load_recipe` reads back (pass-through fields sit under training)."""
    data = config_to_dict(recipe)
    data["training"].update(data["training"].pop("trainer_args"))
    return data


def load_recipe(path: str | Path, overrides: dict[str, Any] | None = None) -> Recipe:
    """Load and validate a recipe YAML (``overrides``: dotted keys, e.g. ``{"optimizer.lr": 1e-4}``)."""
    path = Path(path)
    recipe = load_yaml_config(path, Recipe, overrides)
    base = path.resolve().parent
    for key in ("config", "init_from", "tokenizer"):
        value = getattr(recipe.model, key)
        if value and value.startswith(_LOCAL_PREFIXES):
            setattr(recipe.model, key, str((base / os.path.expanduser(value)).resolve()))
    # "auto" stays until the tokenised data exists (a dry run lists it as not produced yet; a launch needs it)
    recipe.data.seq_length = resolve_seq_length(recipe.data, required=False) or recipe.data.seq_length
    return recipe


def parse_overrides(pairs: list[str], cwd: str | Path | None = None) -> dict[str, Any]:
    """Turn ``["optimizer.lr=1e-4", "training.output_dir=out"]`` into an overrides mapping.

    Values are parsed as YAML scalars/lists. Unlike paths written in the recipe, a path given on the command
    line is relative to the current folder, so ``Path`` fields (and local paths for model fields) are made
    absolute here.
    """
    cwd = Path(cwd or os.getcwd())
    out: dict[str, Any] = {}
    for key, value in parse_set_pairs(pairs, "optimizer.lr=1e-4").items():
        try:
            tp = _field_type(Recipe, key.split("."))
        except LookupError as exc:
            raise ConfigError("--set", key, exc.args[0]) from None
        if tp is None:
            raise ConfigError("--set", key, "no such recipe key")
        options = typing.get_args(tp) or (tp,)
        if isinstance(value, str) and float in options:  # YAML 1.1 reads "1e-4" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, str) and value:
            is_path = Path in options
            if is_path or (key.startswith("model.") and (cwd / value).exists()):
                value = str((cwd / os.path.expanduser(value)).resolve())
        out[key] = value
    return out


def _field_type(cls: Any, parts: list[str]) -> Any:
    """The annotation of a dotted key (``dict`` levels accept any name), or ``None`` when there is none.

    A key that a section's ``extra_keys`` field takes (``training.eval_strategy``) has that field's annotation;
    one it refuses raises ``LookupError`` with the reason."""
    tp = cls
    for part in parts:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
            origin = typing.get_origin(tp)
        if origin is dict:
            tp = typing.get_args(tp)[1]
            continue
        if not is_dataclass(tp):
            return None
        hints = typing.get_type_hints(tp)
        if part not in {f.name for f in fields(tp)}:
            extra = next((f for f in fields(tp) if f.metadata.get("extra_keys")), None)
            if extra is None:
                return None
            tp = extra.metadata["extra_keys"](part)
            continue
        tp = hints[part]
    return tp


@dataclass
class BatchPlan:
    """How the global batch is split: ``global = micro * accumulation * world_size`` sequences."""

    global_sequences: int
    micro_batch_size: int
    gradient_accumulation_steps: int
    world_size: int
    seq_length: int

    @property
    def tokens_per_step(self) -> int:
        return self.global_sequences * self.seq_length


def derive_batch(batch: BatchConfig, seq_length: int, world_size: int) -> BatchPlan:
    """Gradient accumulation from the global batch and the number of processes (errors say what divides what)."""
    if batch.global_batch_sequences is not None:
        global_sequences = batch.global_batch_sequences
    else:
        if batch.global_batch_tokens % seq_length:
            raise ValueError(
                f"batch.global_batch_tokens {batch.global_batch_tokens} is not a multiple of data.seq_length "
                f"{seq_length}"
            )
        global_sequences = batch.global_batch_tokens // seq_length
    per_step = batch.micro_batch_size * world_size
    if global_sequences % per_step:
        raise ValueError(
            f"global batch of {global_sequences} sequences is not divisible by batch.micro_batch_size "
            f"{batch.micro_batch_size} x {world_size} processes; change micro_batch_size or the process count"
        )
    return BatchPlan(global_sequences, batch.micro_batch_size, global_sequences // per_step, world_size, seq_length)


def max_steps(recipe: Recipe, plan: BatchPlan) -> int | None:
    """Optimizer steps of the run from max_steps or max_tokens (``None``: the trainer counts epochs)."""
    t = recipe.training
    if t.max_steps is not None:
        return t.max_steps
    if t.max_tokens is not None:
        return math.ceil(t.max_tokens / plan.tokens_per_step)
    return None
