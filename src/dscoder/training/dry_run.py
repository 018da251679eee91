"""``dscoder train RECIPE --dry-run``: what a launch would trip over, checked without training and without waiting
on the network.

Everything that exists is checked: the loggers, the tokenizer and its agreement with the model's vocabulary, the
model built from the real config on the meta device (its parameter count), the batch plan, the TrainingArguments /
SFTConfig, every data source (kind, tokenisation settings) and one micro-batch of the packed-data path. What an
earlier step has not produced yet (a checkpoint, a tokenizer, a data folder) is listed as "not produced yet" with
the command that produces it, or the flag that checks around it (``--checkpoint-preset``).

A Hub model is read from the local Hub cache. When it is not there, one request of at most
:data:`HUB_TIMEOUT_S` seconds fetches its ``config.json`` (none with ``HF_HUB_OFFLINE=1``): huggingface_hub's own
download retries an unreachable Hub for about a minute, which is what a dry run must never do.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from typing import Any

from dscoder.training.recipe import (
    ModelConfig,
    Recipe,
    derive_batch,
    load_recipe,
    max_steps,
    resolve_seq_length,
)

__all__ = ["HUB_TIMEOUT_S", "dry_run", "producing_recipes"]

#: the longest a dry run waits for the Hub, in seconds (one request)
HUB_TIMEOUT_S = 5.0
#: at most this many YAML files are read when looking for the recipe that writes a missing checkpoint
_MAX_RECIPES_SCANNED = 300


def _hub_file(repo_id: str, filename: str, revision: str | None) -> tuple[str | None, str]:
    """``(local path or None, how)`` of one small file of a Hub model: the local cache, else one request of at most
    :data:`HUB_TIMEOUT_S` seconds (DNS included: it runs in a thread that is abandoned when late)."""
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, filename, revision=revision)
    if isinstance(cached, str):
        return cached, "in the local Hub cache"
    from dscoder.benchmarks.loaders import hub_offline

    if hub_offline():
        return None, "not in the local Hub cache, offline (HF_HUB_OFFLINE)"
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    result: dict[str, Any] = {}

    def fetch():
        try:
            get_hf_file_metadata(hf_hub_url(repo_id, filename, revision=revision), timeout=HUB_TIMEOUT_S)
            result["path"] = hf_hub_download(repo_id, filename, revision=revision, etag_timeout=HUB_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001  (unreachable, gated, missing: the dry run says so and goes on)
            result["error"] = type(exc).__name__

    worker = threading.Thread(target=fetch, name="dscoder-dry-run-hub", daemon=True)
    worker.start()
    worker.join(HUB_TIMEOUT_S)
    if "path" in result:
        return result["path"], "fetched from the Hub"
    why = result.get("error", "no answer")
    return None, f"not in the local Hub cache, the Hub did not answer one {HUB_TIMEOUT_S:g} s request ({why})"


def _is_local(value: str) -> bool:
    return value.startswith(("/", ".", "~")) or value.endswith(".gguf") or Path(value).expanduser().exists()


def producing_recipes(target: str | Path, recipe_path: str | Path | None) -> list[tuple[Path, dict]]:
    """The recipes beside ``recipe_path`` (its folder, recursively) whose ``training.output_dir`` is ``target``:
    ``(path, model section)`` of each, so a missing checkpoint can name the run that writes it."""
    import yaml

    if recipe_path is None:
        return []
    target = Path(target).resolve()
    recipe_path = Path(recipe_path).resolve()
    found = []
    candidates = (p for p in recipe_path.parent.rglob("*.yaml") if not any(x.startswith(".") for x in p.parts))
    for i, path in enumerate(sorted(candidates)):
        if i >= _MAX_RECIPES_SCANNED:
            break
        if path == recipe_path:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            out = data["training"]["output_dir"]
        except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError):
            continue  # not a recipe
        if isinstance(out, str) and (path.parent / os.path.expanduser(out)).resolve() == target:
            found.append((path, data.get("model") or {}))
    return found


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _made_by(path: str | Path, what: str) -> str:
    """The command that produces a missing local input (``make demo`` for the demo's run folder)."""
    if "demo_output" in Path(path).parts:
        return "`make demo` (dscoder demo) writes it"
    return {
        "tokenized": "`dscoder data tokenize` writes it",
        "instructions": "`dscoder data instructions` writes it",
        "tokenizer": "`dscoder tokenizer train` writes it",
        "messages": "an earlier step writes it",
    }.get(what, "the data pipeline writes it (`dscoder data filter` / `repo-level` / `decontaminate`)")


def _checkpoint(spec: ModelConfig, recipe_path, checkpoint_preset: str | None) -> tuple[ModelConfig | None, dict | None]:
    """What the model checks are built from (``None``: not checked) and a row for the inputs table when the
    checkpoint (``init_from``, or a ``config`` folder / Hub id) is not on this machine."""
    source = spec.init_from or spec.config
    if spec.preset or source is None:
        return spec, None
    key = "init_from" if spec.init_from else "config"
    row = {"role": "model", "name": f"model.{key}", "where": source, "kind": "checkpoint"}
    if _is_local(source):
        if Path(source).expanduser().exists():
            return spec, None
        producers = producing_recipes(source, recipe_path)
        if producers:
            path, model = producers[0]
            made = f"`dscoder train {_shown(path)}` writes it"
            preset_hint = f"--checkpoint-preset {model['preset']}" if model.get("preset") else "--checkpoint-preset NAME"
        else:
            made, preset_hint = "an earlier training run writes it", "--checkpoint-preset NAME"
        row["status"] = f"missing: not produced yet ({made})"
    else:
        path, how = _hub_file(source, "config.json", spec.revision)
        if path is not None:  # the architecture from the cached/fetched config, the tokenizer still from the id
            return dataclasses.replace(spec, **{key: str(Path(path).parent)}, tokenizer=spec.tokenizer or source), None
        row["status"] = f"Hub model, {how}: not checked"
        preset_hint = "--checkpoint-preset NAME"
    if checkpoint_preset:
        row["status"] += f"; architecture checked as preset {checkpoint_preset}"
        return dataclasses.replace(spec, init_from=None, config=None, preset=checkpoint_preset,
                                   tokenizer=spec.tokenizer or source), row  # fmt: skip
    row["status"] += f"; {preset_hint} checks the architecture now"
    return None, row


def _tokenizer(spec: ModelConfig) -> tuple[Any, str]:
    """The recipe's tokenizer when it can be read without the network (a folder, or a Hub id in the local cache),
    and a line saying what was checked."""
    from dscoder.training.model_loading import load_tokenizer

    source = spec.tokenizer or spec.init_from
    if Path(source).expanduser().exists():
        return load_tokenizer(spec), f"{source} (loaded)"
    if _is_local(source):
        return None, f"{source} (missing: not produced yet; {_made_by(source, 'tokenizer')})"
    from huggingface_hub import try_to_load_from_cache

    for name in ("tokenizer.json", "tokenizer_config.json"):
        cached = try_to_load_from_cache(source, name, revision=spec.revision)
        if isinstance(cached, str):
            snapshot = dataclasses.replace(spec, tokenizer=str(Path(cached).parent))
            return load_tokenizer(snapshot), f"{source} (loaded from the local Hub cache)"
    return None, f"{source} (Hub id, not in the local cache: not checked)"


def _inputs(recipe: Recipe, tokenizer) -> list[dict[str, Any]]:
    """Every data source of the recipe: a local one that exists is opened (kind detected from its first record,
    a tokenised one checked against the recipe and tokenizer); a missing one is listed as not produced yet."""
    from dscoder.training.data import check_tokenized, detect_kind, load_source

    rows = []
    for role, sources in (("train", recipe.data.sources), ("eval", recipe.data.eval_sources)):
        for name, src in sources.items():
            row = {"role": role, "name": name, "where": src.hub or str(src.path), "kind": src.kind}
            if src.hub is not None:
                row["status"] = "Hub dataset (not downloaded by a dry run)"
            elif not Path(src.path).exists():
                row["status"] = f"missing: not produced yet ({_made_by(src.path, src.kind)})"
            else:
                ds = load_source(name, src, streaming=True)
                first = next(iter(ds), None)
                if first is None:
                    raise ValueError(f"data.{'eval_' if role == 'eval' else ''}sources.{name}: {src.path} holds no records")
                kind = detect_kind(name, src, ds.column_names or list(first))
                if kind == "tokenized" and isinstance(recipe.data.seq_length, int):
                    check_tokenized(name, src, ds, recipe.data, recipe.objective, tokenizer)
                row.update(kind=kind, status="ok")
            rows.append(row)
    return rows


def _trainer_arguments(recipe: Recipe, plan) -> dict[str, Any]:
    """The TrainingArguments / SFTConfig kwargs, built once to validate them (GPU settings off on a CPU machine)."""
    import torch
    from transformers import TrainingArguments

    from dscoder.training.runner import training_arguments_kwargs

    kwargs = training_arguments_kwargs(recipe, plan)
    if not torch.cuda.is_available():  # check a GPU recipe on a CPU machine: the arguments but not the hardware
        kwargs.update(use_cpu=True, tf32=None)
    if recipe.stage == "sft":
        from trl import SFTConfig

        from dscoder.training.sft import instruction_to_prompt_completion, sft_trainer_kwargs

        SFTConfig(**{**sft_trainer_kwargs(recipe.sft, "instructions", plan.seq_length), **kwargs})
        instruction_to_prompt_completion({"instruction": "Add two numbers.", "output": "def add(a, b):\n    return a + b"})
    else:
        TrainingArguments(**kwargs)
    return kwargs


def _check_packed_batch(plan, config) -> list[int]:
    """One micro-batch of the packed layout (two documents per row, position ids restarting at the second) through
    the collator; the checks a forward pass would trip over first (the meta device has shapes but no values)."""
    import torch

    from dscoder.training.data import PackedCollator

    seq = plan.seq_length
    if config is not None and seq > config.max_position_embeddings:
        raise ValueError(
            f"data.seq_length {seq} exceeds the model's max_position_embeddings {config.max_position_embeddings} "
            "(set model.config_overrides.max_position_embeddings)"
        )
    gen = torch.Generator().manual_seed(0)
    vocab = config.vocab_size if config is not None else 2
    rows = [{"input_ids": torch.randint(0, vocab, (seq,), generator=gen).tolist(),
             "position_ids": list(range(seq // 2)) + list(range(seq - seq // 2))}
            for _ in range(plan.micro_batch_size)]  # fmt: skip
    batch = PackedCollator()(rows)
    if list(batch["input_ids"].shape) != [plan.micro_batch_size, seq]:
        raise AssertionError(f"collated batch has shape {list(batch['input_ids'].shape)}")
    return list(batch["input_ids"].shape)


def dry_run(
    recipe: str | Path | Recipe,
    overrides: dict[str, Any] | None = None,
    *,
    num_processes: int | None = None,
    checkpoint_preset: str | None = None,
) -> dict[str, Any]:
    """Check everything a launch would trip over, without training (module docstring). Returns the run plan.

    Inputs that an earlier step has not produced yet (a local checkpoint, tokenizer or data folder) are listed
    under ``inputs`` with their status and what produces them; ``missing_inputs`` counts them. Everything else
    that is wrong raises. ``num_processes`` is the process count to plan the batch for (default: this launch's).
    A recipe that starts from a checkpoint that is not on this machine (nor in the local Hub cache) is checked
    against the architecture of ``checkpoint_preset`` when given (e.g. ``deepseek-coder-1.3b``), with the recipe's
    config overrides applied; without it the model checks are listed as not done.
    """
    from dscoder.training.model_loading import build_config, build_model
    from dscoder.training.runner import check_launch_settings, world_size

    recipe_path = None if isinstance(recipe, Recipe) else Path(recipe)
    if recipe_path is not None:
        recipe = load_recipe(recipe_path, overrides)
    report_to = check_launch_settings(recipe, inputs=False)  # missing inputs are listed, not raised
    seq = resolve_seq_length(recipe.data, required=False)
    if seq is None:
        try:
            resolve_seq_length(recipe.data)  # "auto" with nothing to take it from fails here
        except FileNotFoundError:
            pass  # the tokenised data is not produced yet: listed below
    else:
        recipe.data.seq_length = seq
    if seq is None and (recipe.batch.global_batch_tokens or recipe.training.max_tokens):
        raise ValueError("data.seq_length: auto with a batch or length in tokens: the tokenised data must exist to "
                         "plan the run (or give data.seq_length as a number)")  # fmt: skip
    plan = derive_batch(recipe.batch, seq, num_processes or world_size())
    model_spec, model_row = _checkpoint(recipe.model, recipe_path, checkpoint_preset)
    tokenizer, tokenizer_status = _tokenizer(model_spec or recipe.model)
    config = model = None
    if model_spec is not None:
        config = build_config(model_spec, tokenizer)  # sizes the vocabulary from the tokenizer, checks they agree
        if tokenizer is None and model_spec.vocab_size_from_tokenizer:
            tokenizer_status += f"; vocab_size {config.vocab_size} of the config assumed"
        model = build_model(model_spec, config, meta=True)
    kwargs = _trainer_arguments(recipe, plan)
    inputs = ([model_row] if model_row else []) + _inputs(recipe, tokenizer)
    batch_shape = _check_packed_batch(plan, config) if seq is not None else None
    d = recipe.data
    evaluation = "none"
    if d.has_eval_split:
        evaluation = (f"{kwargs['eval_strategy']} every {kwargs.get('eval_steps')} steps on "
                      + (", ".join(d.eval_sources) if d.eval_sources else f"a {d.eval_fraction:.1%} held-out slice")
                      + (f" (at most {d.max_eval_samples} rows each)" if d.max_eval_samples else ""))  # fmt: skip
    not_checked = "not checked (no checkpoint here: see the inputs)"
    return {
        "stage": recipe.stage,
        "model_type": config.model_type if config is not None else not_checked,
        "parameters": sum(p.numel() for p in model.parameters()) if model is not None else None,
        "vocab_size": config.vocab_size if config is not None else None,
        "tokenizer": tokenizer_status,
        "rope_parameters": dict(getattr(config, "rope_parameters", None) or {}) if config is not None else {},
        "seq_length": seq if seq is not None else "auto (the tokenised data's length; not produced yet)",
        "max_steps": max_steps(recipe, plan),
        "tokens_per_step": plan.tokens_per_step if seq is not None else None,
        "batch": dataclasses.asdict(plan),
        "batch_shape": batch_shape,
        "report_to": report_to,
        "evaluation": evaluation,
        "inputs": inputs,
        "missing_inputs": sum(1 for row in inputs if row["status"].startswith("missing"))
        + ("(missing:" in tokenizer_status),
        "output_dir": str(recipe.training.output_dir),
        "resume_from_checkpoint": recipe.training.resume_from_checkpoint,
        "hub": recipe.hub.model_id if recipe.hub.push else None,
        "trainer_args": {k: getattr(v, "value", v) for k, v in recipe.training.trainer_args.items()},
    }
