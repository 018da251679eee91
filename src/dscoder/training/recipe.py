"""Training recipes: the typed YAML schema of every training stage (report §3.4-3.7, §5; SPEC §5).

A recipe names the model, the data, the objective, the optimizer and schedule, the batch, precision,
checkpointing, logging and Hub push. It loads through :func:`dscoder.config.load_yaml_config`, so an unknown or
mistyped key is an error naming the file and the key. ``stage`` picks the trainer: ``sft`` runs TRL's
``SFTTrainer``, every other stage transformers' ``Trainer``.

Fields that take "a local path or a Hub id" (``model.init_from``, ``model.config``, ``model.tokenizer``) are
strings; one that starts with ``./``, ``../``, ``/`` or ``~`` is a local path, resolved relative to the YAML.
"""

from __future__ import annotations

import math
import os
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

from dscoder.config import ConfigError, load_yaml_config, parse_set_pairs

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
    gradient_checkpointing: bool = False
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
    seq_length: int = 4096
    streaming: bool = False  # stream Hub/local sources instead of loading them (needs training.max_steps)
    num_proc: int | None = None  # processes for on-the-fly tokenisation of map-style data
    mixture_stopping: Literal["first_exhausted", "all_exhausted"] = "all_exhausted"

    def __post_init__(self):
        if not self.sources:
            raise ValueError("sources: at least one data source is required")
        if self.seq_length < 2:
            raise ValueError(f"seq_length must be >= 2, got {self.seq_length}")


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


@dataclass
class ScheduleConfig:
    """``deepseek`` is the multi-step schedule of :mod:`dscoder.training.schedule`; others are transformers'."""

    type: Literal["deepseek", "cosine", "linear", "constant", "constant_with_warmup"] = "deepseek"
    warmup_steps: int = 2000
    milestones: tuple[float, ...] = (0.8, 0.9)
    decay: float = math.sqrt(0.1)


@dataclass
class BatchConfig:
    """The global batch, in sequences or in tokens; gradient accumulation follows from the process count."""

    global_batch_sequences: int | None = None
    global_batch_tokens: int | None = None
    micro_batch_size: int = 1  # sequences per device per forward pass

    def __post_init__(self):
        if (self.global_batch_sequences is None) == (self.global_batch_tokens is None):
            raise ValueError("give exactly one of global_batch_sequences and global_batch_tokens")
        if self.micro_batch_size < 1:
            raise ValueError(f"micro_batch_size must be >= 1, got {self.micro_batch_size}")


@dataclass
class TrainingConfig:
    """Length, precision, checkpointing and logging of the run."""

    output_dir: Path
    max_steps: int | None = None
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
    report_to: list[str] = field(default_factory=lambda: ["none"])  # "tensorboard", "wandb", "trackio", ...
    run_name: str | None = None
    dataloader_num_workers: int = 0
    use_cpu: bool = False
    # the GPU fast path of dscoder.modeling.enable_fast_path (fused kernels, chunked loss, varlen attention); on CPU
    # it swaps in the chunked loss only. Pretraining stages of DeepseekCoderForCausalLM.
    fast_path: bool = False
    fast_path_compile: bool = False  # torch.compile each decoder layer (with fast_path)

    def __post_init__(self):
        if self.fast_path_compile and not self.fast_path:
            raise ValueError("fast_path_compile needs fast_path: true")
        lengths = [k for k in ("max_steps", "max_tokens", "num_train_epochs") if getattr(self, k) is not None]
        if len(lengths) != 1:
            raise ValueError(f"give exactly one of max_steps, max_tokens, num_train_epochs (got {lengths or 'none'})")


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
        if self.stage == "sft" and self.objective.fim_rate:
            raise ValueError("objective.fim_rate must be 0 for stage sft (instruct models are not trained with FIM)")
        if self.lora.enabled and self.stage != "sft":
            raise ValueError("lora.enabled is supported for stage sft only")


def load_recipe(path: str | Path, overrides: dict[str, Any] | None = None) -> Recipe:
    """Load and validate a recipe YAML (``overrides``: dotted keys, e.g. ``{"optimizer.lr": 1e-4}``)."""
    path = Path(path)
    recipe = load_yaml_config(path, Recipe, overrides)
    base = path.resolve().parent
    for key in ("config", "init_from", "tokenizer"):
        value = getattr(recipe.model, key)
        if value and value.startswith(_LOCAL_PREFIXES):
            setattr(recipe.model, key, str((base / os.path.expanduser(value)).resolve()))
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
        tp = _field_type(Recipe, key.split("."))
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
    """The annotation of a dotted key (``dict`` levels accept any name), or ``None`` when there is none."""
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
            return None
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
