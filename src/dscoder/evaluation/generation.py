"""Greedy generation for the evaluation tasks (report §4: every number in the paper is greedy decoding).

* :class:`HFGenerator`: batched ``model.generate`` with left padding, transformers' ``stop_strings`` (a
  sequence of the batch stops as soon as it ends with a stop string; the others go on), the model's own chat
  template for instruct prompts, prompts cut from the left to fit ``max_length``.
* :class:`VLLMGenerator`: the same requests through vLLM when it is installed (``backend: vllm`` or ``auto``
  with a GPU); prompts go in as token ids so BOS and the chat template are exactly the HF ones.
* :class:`GenerationStore`: per-sample JSONL checkpoint. Each finished batch is appended and fsync'ed, so a
  crash loses at most the batch in flight and a rerun generates only what is missing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dscoder.config import BoundedConfig, bounded

logger = logging.getLogger(__name__)

__all__ = [
    "GenerationSettings",
    "GenerationStore",
    "HFGenerator",
    "Request",
    "VLLMGenerator",
    "load_generator",
    "truncate_at_stop",
]


@dataclass(frozen=True)
class Request:
    """One prompt to complete. ``chat``: ``prompt`` is the user message of a chat-template conversation."""

    key: str
    prompt: str
    stop: tuple[str, ...] = ()
    max_new_tokens: int = 500
    chat: bool = False
    #: chat only: tokenize the rendered template *with* the tokenizer's BOS, so the ids start with two BOS (what
    #: the official vLLM LeetCode script sends: a template string, which vLLM encodes with special tokens)
    double_bos: bool = False
    #: keep only the last N prompt ids, in place of ``max_length - max_new_tokens`` (the official PAL script's
    #: ``--max_context_length 2048``; MBPP's ``[:, -4096:]``; instruct scripts that never cut: the model's 16384)
    max_prompt_tokens: int | None = None
    #: the token that ends generation, as the official scripts' ``eos_token_id`` (instruct: ``<|EOT|>``);
    #: None: the model's own end-of-sequence token
    eos_token: str | None = None


@dataclass
class GenerationSettings(BoundedConfig):
    batch_size: int = bounded(8, ge=1)
    max_length: int = bounded(4096, ge=2)  #: prompt + new tokens; longer prompts lose their beginning
    backend: Literal["hf", "vllm", "auto"] = "hf"  #: auto: vLLM when installed and a GPU is present
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    device: str = "auto"  #: auto | cpu | cuda | cuda:N


def truncate_at_stop(text: str, stops: Iterable[str]) -> str:
    """``text`` up to the earliest occurrence of any stop string."""
    cut = len(text)
    for stop in stops:
        if stop:
            i = text.find(stop)
            if 0 <= i < cut:
                cut = i
    return text[:cut]


class GenerationStore:
    """Append-only JSONL of finished generations (``key``, ``prompt``, ``output``), read back on rerun."""

    def __init__(self, path: str | Path, model: str = ""):
        self.path, self.model = Path(path), model
        self.done: dict[str, dict[str, Any]] = {}
        self._cut_line = False  # the file ends inside a line (a crash mid-write): start the next one fresh
        if self.path.exists():
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                if f.tell():
                    f.seek(-1, os.SEEK_END)
                    self._cut_line = f.read(1) != b"\n"
            with open(self.path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                        self.done[record["key"]] = record
                    except (json.JSONDecodeError, KeyError, TypeError):
                        # a line cut by a crash mid-write: keep reading, the sample is generated again
                        logger.warning("%s:%d: unreadable checkpoint line skipped (regenerated)", self.path, lineno)

    def missing(self, requests: Sequence[Request]) -> list[Request]:
        """Requests without a stored generation for the same prompt, budget and model."""
        def fresh(r: Request) -> bool:
            old = self.done.get(r.key)
            return old is not None and (old.get("prompt"), old.get("max_new_tokens"), old.get("model")) == (
                r.prompt, r.max_new_tokens, self.model)

        return [r for r in requests if not fresh(r)]

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            if self._cut_line:
                f.write("\n")
                self._cut_line = False
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                self.done[record["key"]] = record
            f.flush()
            os.fsync(f.fileno())

    def output(self, key: str) -> str:
        return self.done[key]["output"]


def _batches(requests: list[Request], size: int) -> list[list[Request]]:
    """Requests that can share one ``generate`` call (same stops, budget and template), longest first."""
    groups: dict[tuple, list[Request]] = {}
    for r in requests:
        groups.setdefault((r.stop, r.max_new_tokens, r.chat, r.eos_token), []).append(r)
    out = []
    for group in groups.values():
        group.sort(key=lambda r: len(r.prompt), reverse=True)
        out.extend(group[i : i + size] for i in range(0, len(group), size))
    return out


class _Base:
    tokenizer: Any
    settings: GenerationSettings

    def encode(self, request: Request) -> list[int]:
        """Token ids of the prompt: BOS per the tokenizer's config for base prompts; the chat template (which
        writes its own BOS) for instruct prompts. Cut from the left to leave room for the new tokens."""
        tok = self.tokenizer
        if request.chat:
            text = tok.apply_chat_template(
                [{"role": "user", "content": request.prompt}], tokenize=False, add_generation_prompt=True
            )
            ids = tok(text, add_special_tokens=request.double_bos)["input_ids"]
        else:
            ids = tok(request.prompt)["input_ids"]
        room = self.settings.max_length - request.max_new_tokens
        if room < 1:
            raise ValueError(f"max_length {self.settings.max_length} leaves no room for {request.max_new_tokens} new tokens")
        if request.max_prompt_tokens is not None:
            room = request.max_prompt_tokens
        return ids[-room:]

    def run(
        self,
        requests: Sequence[Request],
        store: GenerationStore,
        progress: str | None = None,
    ) -> None:
        """Generate every request missing from ``store``, checkpointing each batch."""
        todo = store.missing(requests)
        if not todo:
            return
        batches = _batches(list(todo), self.settings.batch_size)
        from tqdm.auto import tqdm

        with tqdm(total=len(todo), desc=progress or "generate", unit="sample", leave=False) as bar:
            for batch in batches:
                outputs = self.generate_batch(batch)
                store.add(
                    {"key": r.key, "prompt": r.prompt, "chat": r.chat, "max_new_tokens": r.max_new_tokens,
                     "model": store.model, "output": truncate_at_stop(o, r.stop)}
                    for r, o in zip(batch, outputs)
                )
                bar.update(len(batch))

    def generate_batch(self, batch: list[Request]) -> list[str]:  # pragma: no cover - interface
        raise TypeError(f"{type(self).__name__} does not generate")


class HFGenerator(_Base):
    """Batched greedy decoding with ``transformers`` (see the module docstring)."""

    def __init__(self, model: Any, tokenizer: Any, settings: GenerationSettings | None = None):
        self.model, self.tokenizer = model, tokenizer
        self.settings = settings or GenerationSettings()
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.model.eval()

    @classmethod
    def from_pretrained(cls, path: str | Path, settings: GenerationSettings | None = None) -> HFGenerator:
        import torch
        from transformers import AutoModelForCausalLM

        import dscoder  # noqa: F401 - registers the DeepSeek-Coder model with the Auto classes

        settings = settings or GenerationSettings()
        device = settings.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = settings.dtype
        if dtype == "auto":
            dtype = "bfloat16" if device.startswith("cuda") else "float32"
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype)).to(device)
        return cls(model, load_tokenizer(path), settings)

    def generate_batch(self, batch: list[Request]) -> list[str]:
        import torch

        tok = self.tokenizer
        encoded = [self.encode(r) for r in batch]
        width = max(len(ids) for ids in encoded)
        pad = tok.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in encoded])
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded])
        device = next(self.model.parameters()).device
        first = batch[0]
        kwargs: dict[str, Any] = {}
        if first.stop:
            kwargs.update(stop_strings=list(first.stop), tokenizer=tok)
        eos_id = tok.convert_tokens_to_ids(first.eos_token) if first.eos_token is not None else None
        if eos_id is not None:  # a tokenizer without that token keeps the model's own EOS
            kwargs["eos_token_id"] = eos_id
        with torch.no_grad():
            out = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                max_new_tokens=first.max_new_tokens,
                do_sample=False,
                num_beams=1,
                pad_token_id=pad,
                **kwargs,
            )
        return [tok.decode(row[width:], skip_special_tokens=True) for row in out.tolist()]


class VLLMGenerator(_Base):
    """Greedy decoding with vLLM (optional dependency; used only when installed)."""

    def __init__(self, path: str | Path, settings: GenerationSettings | None = None):
        from vllm import LLM

        self.settings = settings or GenerationSettings()
        self.tokenizer = load_tokenizer(path)
        dtype = self.settings.dtype if self.settings.dtype != "auto" else "auto"
        self.llm = LLM(model=str(path), dtype=dtype, max_model_len=self.settings.max_length)

    def generate_batch(self, batch: list[Request]) -> list[str]:
        from vllm import SamplingParams

        first = batch[0]
        extra = {"stop_token_ids": [self.tokenizer.convert_tokens_to_ids(first.eos_token)]} if first.eos_token else {}
        params = SamplingParams(
            temperature=0.0, max_tokens=first.max_new_tokens, stop=list(first.stop) or None, skip_special_tokens=True,
            **extra,
        )
        prompts = [{"prompt_token_ids": self.encode(r)} for r in batch]
        return [o.outputs[0].text for o in self.llm.generate(prompts, params, use_tqdm=False)]


def load_tokenizer(path: str | Path) -> Any:
    """The checkpoint's tokenizer through :func:`dscoder.tokenization.load_tokenizer` (which avoids transformers
    5's whitespace-stripping trap for the released DeepSeek-Coder tokenizer, docs/paper.md §3.2)."""
    from dscoder.tokenization import load_tokenizer as _load

    return _load(path)


def load_generator(model: str | Path, settings: GenerationSettings) -> _Base:
    """The generator ``settings.backend`` asks for; ``auto`` takes vLLM when importable with a GPU."""
    text = str(model)
    looks_local = text.startswith(("/", "./", "../", "~")) or text.count("/") > 1 or Path(text).exists()
    if looks_local and not Path(text).expanduser().is_dir():
        raise FileNotFoundError(f"model not found: {text} (a checkpoint folder, or a Hub id such as owner/name)")
    backend = settings.backend
    if backend not in ("hf", "vllm", "auto"):
        raise ValueError(f"generation.backend must be hf, vllm or auto, got {backend!r}")
    if backend in ("vllm", "auto"):
        try:
            import torch
            import vllm  # noqa: F401

            if backend == "vllm" or torch.cuda.is_available():
                return VLLMGenerator(model, settings)
        except ImportError:
            if backend == "vllm":
                raise ImportError("generation.backend is 'vllm' but vLLM is not installed (pip install vllm)") from None
    return HFGenerator.from_pretrained(model, settings)

