"""The quality-model hook (report §2.4 uses "a quality model"; it is not published, so the hook is pluggable
and off by default).

:class:`QualityModelFilter` scores documents a batch at a time (datatrove's ``filter_batch``) with either

* any callable ``scorer(texts: list[str]) -> list[float]`` (given in Python, or in YAML as ``module:function``), or
* a Hugging Face sequence-classification model (``model``: Hub id or local folder): the score is the softmax
  probability of ``label`` (default: the last label), or the sigmoid of the single logit of a regression head.

A document is kept when its score is >= ``threshold``; otherwise it is dropped as ``quality:model_score``. The
score is kept in ``metadata["quality_score"]`` either way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from datatrove.data import Document

from dscoder.config import BoundedConfig, bounded
from dscoder.data.filters.base import CodeFilter

Scorer = Callable[[list[str]], Sequence[float]]


@dataclass
class QualityModelConfig(BoundedConfig):
    """Which quality model scores files, and the keep threshold. Off unless ``enabled`` is true."""

    enabled: bool = False
    scorer: str | None = None  # "package.module:function"
    model: str | None = None  # HF model id or local path (AutoModelForSequenceClassification)
    label: str | None = None
    threshold: float = bounded(0.5, ge=0, le=1)
    batch_size: int = bounded(32, ge=1)
    max_length: int = bounded(512, ge=1)
    device: str = "cpu"

    def __post_init__(self):
        super().__post_init__()
        if self.scorer is not None and self.model is not None:
            raise ValueError("quality model: set only one of 'scorer' (module:function) or 'model' (HF id/path)")
        if self.scorer is not None and ":" not in self.scorer:
            raise ValueError(f"scorer: expected 'module:function', got {self.scorer!r}")


def load_scorer(spec: str) -> Scorer:
    """Import ``module:function`` and return the callable."""
    module_name, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"scorer: cannot import {spec!r}: {exc}") from None
    if not callable(fn):
        raise TypeError(f"scorer: {spec!r} is not callable")
    return fn


class HFClassifierScorer:
    """Score texts with a Hugging Face sequence classifier (loaded on first use, so the block pickles)."""

    def __init__(self, model: str, label: str | None = None, max_length: int = 512, device: str = "cpu"):
        self.model_name, self.label, self.max_length, self.device = model, label, max_length, device
        self._model = self._tokenizer = None
        self._index: int | None = None

    def __getstate__(self):
        return {**self.__dict__, "_model": None, "_tokenizer": None}

    def _load(self):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(self.model_name)
        self._model = AutoModelForSequenceClassification.from_pretrained(self.model_name).to(self.device).eval()
        labels = self._model.config.label2id
        if self.label is not None:
            if self.label not in labels:
                raise ValueError(f"quality model {self.model_name}: no label {self.label!r} (labels: {sorted(labels)})")
            self._index = labels[self.label]
        else:
            self._index = self._model.config.num_labels - 1

    def __call__(self, texts: list[str]) -> list[float]:
        import torch

        if self._model is None:
            self._load()
        enc = self._tokenizer(texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
        with torch.inference_mode():
            logits = self._model(**enc.to(self.device)).logits.float()
        if logits.shape[-1] == 1:
            return torch.sigmoid(logits[:, 0]).tolist()
        return logits.softmax(-1)[:, self._index].tolist()


class QualityModelFilter(CodeFilter):
    """Drop files a quality model scores below the threshold (``quality:model_score``)."""

    name = "🎯 Quality model"
    family = "quality"

    def __init__(self, config: QualityModelConfig, scorer: Scorer | None = None, exclusion_writer=None):
        super().__init__(exclusion_writer, batch_size=config.batch_size)
        self.config = config
        if scorer is not None:
            self.scorer = scorer
        elif config.scorer is not None:
            self.scorer = load_scorer(config.scorer)
        elif config.model is not None:
            self.scorer = HFClassifierScorer(config.model, config.label, config.max_length, config.device)
        else:
            raise ValueError("quality model: give a scorer callable, 'scorer' (module:function) or 'model'")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        scores = list(self.scorer([doc.text for doc in batch]))
        if len(scores) != len(batch):
            raise ValueError(f"quality model returned {len(scores)} scores for a batch of {len(batch)} documents")
        results = []
        for doc, score in zip(batch, scores):
            doc.metadata["quality_score"] = float(score)
            results.append(True if score >= self.config.threshold else (False, "quality:model_score"))
        return results
