"""Checkpoint conversion between the released Llama format and DeepSeek-Coder's own format (report §3.3).

The released DeepSeek-Coder checkpoints are ``LlamaForCausalLM`` files (``rope_scaling {"type": "linear",
"factor": 4.0}``, ``rope_theta`` 100000). Both formats name every weight the same way, so converting is a change
of ``config.json`` plus a rewrite of the weights as safetensors; the tokenizer files travel along unchanged.

* :func:`llama_to_deepseek_coder`: released checkpoint -> ``model_type: deepseek_coder`` (Auto classes, ``auto_map``
  for ``trust_remote_code``);
* :func:`deepseek_coder_to_llama`: ours -> plain ``LlamaForCausalLM`` for vLLM / llama.cpp / TGI users, with the
  legacy ``rope_theta`` / ``rope_scaling`` keys those tools read written next to transformers 5's
  ``rope_parameters``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

#: Files that conversion writes itself; everything else in the source folder (tokenizer files, README, licence)
#: is copied unchanged.
_REWRITTEN_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".index.json", ".py")
_REWRITTEN_NAMES = {"config.json", "generation_config.json"}


@dataclass
class ConversionResult:
    """What a conversion wrote."""

    output_dir: Path
    direction: str
    parameters: int
    dtype: str
    copied_files: list[str]

    def as_dict(self) -> dict:
        return {
            "output_dir": str(self.output_dir),
            "direction": self.direction,
            "parameters": self.parameters,
            "dtype": self.dtype,
            "copied_files": list(self.copied_files),
        }


def _check_dirs(source: Path, output: Path) -> None:
    if not (source / "config.json").is_file():
        raise FileNotFoundError(f"{source}: no config.json (not a transformers checkpoint folder)")
    if output.resolve() == source.resolve():
        raise ValueError(f"{output}: the output folder must differ from the source folder")
    if output.exists() and any(output.iterdir()):
        raise FileExistsError(f"{output}: output folder exists and is not empty")


def _copy_other_files(source: Path, output: Path) -> list[str]:
    copied = []
    for path in sorted(source.iterdir()):
        if not path.is_file() or path.name in _REWRITTEN_NAMES or path.name.endswith(_REWRITTEN_SUFFIXES):
            continue
        shutil.copy2(path, output / path.name)
        copied.append(path.name)
    return copied


def _read_config(source: Path) -> dict:
    try:
        return json.loads((source / "config.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source / 'config.json'}: invalid JSON ({exc})") from exc


def llama_to_deepseek_coder(source: str | Path, output: str | Path, dtype: str = "auto") -> ConversionResult:
    """Convert a Llama-format checkpoint folder (e.g. a released DeepSeek-Coder model) into ours."""
    import torch

    from .modeling_deepseek_coder import DeepseekCoderForCausalLM

    source, output = Path(source), Path(output)
    _check_dirs(source, output)
    model_type = _read_config(source).get("model_type")
    if model_type not in ("llama", "deepseek_coder"):
        raise ValueError(f"{source / 'config.json'}: model_type is {model_type!r}, expected 'llama'")
    model = DeepseekCoderForCausalLM.from_pretrained(source, dtype=dtype if dtype == "auto" else getattr(torch, dtype))
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output)
    copied = _copy_other_files(source, output)
    parameters = sum(p.numel() for p in model.parameters())
    return ConversionResult(
        output, "llama->deepseek_coder", parameters, str(model.dtype).removeprefix("torch."), copied
    )


def llama_config_dict(config) -> dict:
    """``config.json`` content of the Llama-format twin of a :class:`DeepseekCoderConfig`."""
    from transformers import LlamaConfig

    fields = config.to_dict()
    for key in ("model_type", "architectures", "auto_map", "transformers_version"):
        fields.pop(key, None)
    llama = LlamaConfig(**fields)
    llama.architectures = ["LlamaForCausalLM"]
    out = llama.to_diff_dict()
    out.pop("_name_or_path", None)
    rope = dict(out.get("rope_parameters") or {})
    out["rope_theta"] = rope.get("rope_theta", 10_000.0)
    rope_type = rope.get("rope_type", "default")
    if rope_type != "default":  # the legacy key vLLM and llama.cpp's converter read
        out["rope_scaling"] = {
            "type": rope_type,
            **{k: v for k, v in rope.items() if k not in ("rope_type", "type", "rope_theta")},
        }
    return out


def deepseek_coder_to_llama(source: str | Path, output: str | Path) -> ConversionResult:
    """Convert one of our checkpoints into a plain ``LlamaForCausalLM`` folder (safetensors, no remote code)."""
    from huggingface_hub import save_torch_state_dict

    from .modeling_deepseek_coder import DeepseekCoderForCausalLM

    source, output = Path(source), Path(output)
    _check_dirs(source, output)
    model = DeepseekCoderForCausalLM.from_pretrained(source, dtype="auto")
    output.mkdir(parents=True, exist_ok=True)
    save_torch_state_dict(model.state_dict(), output)
    config = llama_config_dict(model.config)
    (output / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if model.generation_config is not None:
        model.generation_config.save_pretrained(output)
    copied = _copy_other_files(source, output)
    parameters = sum(p.numel() for p in model.parameters())
    return ConversionResult(
        output, "deepseek_coder->llama", parameters, str(model.dtype).removeprefix("torch."), copied
    )


def convert_checkpoint(source: str | Path, output: str | Path, to: str = "deepseek_coder", dtype: str = "auto") -> dict:
    """Convert ``source`` into ``output`` in format ``to`` (``deepseek_coder`` or ``llama``); returns a summary."""
    if to == "deepseek_coder":
        return llama_to_deepseek_coder(source, output, dtype=dtype).as_dict()
    if to == "llama":
        if dtype != "auto":
            raise ValueError("--dtype applies only to conversion into deepseek_coder format")
        return deepseek_coder_to_llama(source, output).as_dict()
    raise ValueError(f"unknown target format {to!r}; choose 'deepseek_coder' or 'llama'")


__all__ = [
    "ConversionResult",
    "convert_checkpoint",
    "deepseek_coder_to_llama",
    "llama_config_dict",
    "llama_to_deepseek_coder",
]
