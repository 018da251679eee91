"""Instruction tuning data and TRL settings (report §3.7; docs/paper.md; the released ``finetune/`` script).

``{"instruction", "output"}`` records become TRL prompt/completion pairs exactly as the released script builds
them: prompt = system prompt + ``### Instruction:\\n{instruction}\\n### Response:\\n``, completion =
``{output}\\n<|EOT|>``, loss on the completion only (``completion_only_loss``). Chat ``messages`` go through the
tokenizer's chat template, whose ``{% generation %}`` markers let TRL train on assistant turns only
(``assistant_only_loss``). ``<|EOT|>`` is set as TRL's ``eos_token`` so that it is not followed by a second EOS
and so that generation stops on it.
"""

from __future__ import annotations

from dscoder.tokenization.special_tokens import (
    EOT,
    FINETUNE_SYSTEM_PROMPT,
    SYSTEM_PROMPT,
    sft_prompt,
    sft_target,
)
from dscoder.training.recipe import LoraConfig, SFTOptions

__all__ = ["instruction_to_prompt_completion", "peft_config", "prepare_sft_source", "sft_trainer_kwargs"]


def instruction_to_prompt_completion(example: dict, system_prompt: str = FINETUNE_SYSTEM_PROMPT) -> dict:
    """One released-format record as a TRL prompt/completion pair (report §3.7)."""
    instruction, output = example.get("instruction"), example.get("output")
    if not isinstance(instruction, str) or not isinstance(output, str):
        raise TypeError(
            f"instruction record needs string fields 'instruction' and 'output', got "
            f"{type(instruction).__name__} and {type(output).__name__}"
        )
    return {"prompt": sft_prompt(instruction, system_prompt), "completion": sft_target(output)}


def prepare_sft_source(name: str, ds, kind: str, options: SFTOptions):
    """Bring one source to the columns TRL expects: ``prompt``/``completion`` or ``messages``."""
    if kind == "instructions":
        system_prompt = FINETUNE_SYSTEM_PROMPT if options.system_prompt == "finetune" else SYSTEM_PROMPT
        columns = list(ds.column_names or [])
        return ds.map(instruction_to_prompt_completion, fn_kwargs={"system_prompt": system_prompt},
                      remove_columns=columns)
    if kind == "messages":
        extra = [c for c in (ds.column_names or []) if c != "messages"]
        return ds.remove_columns(extra) if extra else ds
    raise ValueError(f"data.sources.{name}: stage sft takes instructions or messages, not {kind!r} data")


def sft_trainer_kwargs(options: SFTOptions, kind: str, seq_length: int) -> dict:
    """The ``trl.SFTConfig`` fields that the recipe decides (the rest are TrainingArguments')."""
    return {
        "max_length": seq_length,
        "packing": options.packing,
        "packing_strategy": "bfd",  # padding-free: packed examples never attend to each other (docs/paper.md, traps)
        "completion_only_loss": options.completion_only_loss if kind == "instructions" else None,
        "assistant_only_loss": kind == "messages" and options.completion_only_loss,
        "eos_token": EOT,
        "dataset_text_field": "text",
    }


def peft_config(lora: LoraConfig):
    """A peft ``LoraConfig`` when ``lora.enabled``, else ``None``."""
    if not lora.enabled:
        return None
    import peft

    return peft.LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        task_type="CAUSAL_LM",
    )
