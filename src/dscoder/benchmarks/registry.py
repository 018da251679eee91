"""``BENCHMARKS``: every benchmark of the report's evaluation (§4), by name, with its loader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from dscoder.benchmarks.loaders import (
    HUMANEVAL_LANGUAGES,
    INFILLING_MODES,
    PAL_MATH_SETS,
    Source,
    find_local_file,
    humaneval_package_file,
    load_ds1000,
    load_humaneval,
    load_humaneval_infilling,
    load_humaneval_multilingual,
    load_leetcode_contest,
    load_mbpp,
    load_pal_math,
)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark: its loader (``load(data_dir=None, source="auto") -> list[dict]``) and where data lives."""

    name: str
    load: Callable[..., list[dict]]
    description: str
    local_kinds: tuple[str, ...]  # keys of loaders.LOCAL_FILES, any of which makes it available
    local_fmt: dict[str, str] = field(default_factory=dict)
    hub: bool = False  # a Hub copy is known (source="hub")
    packaged: bool = False  # ships inside an installed package (HumanEval)

    def is_available(self, data_dir: str | Path | None = None) -> bool:
        """Whether ``load(data_dir)`` works offline: the local file exists or the data is packaged."""
        if self.packaged:
            try:
                humaneval_package_file()
                return True
            except FileNotFoundError:
                pass
        return any(find_local_file(kind, data_dir, **self.local_fmt) is not None for kind in self.local_kinds)


def _spec(bench_name, load, description, local_kind, hub=False, packaged=False, **fmt) -> BenchmarkSpec:
    kinds = (local_kind,) if isinstance(local_kind, str) else tuple(local_kind)
    return BenchmarkSpec(bench_name, load, description, kinds, dict(fmt), hub, packaged)


def _build() -> dict[str, BenchmarkSpec]:
    specs = [_spec("humaneval", load_humaneval, "HumanEval, 164 Python problems", "humaneval", hub=True,
                   packaged=True)]
    for lang in HUMANEVAL_LANGUAGES:
        specs.append(_spec(f"humaneval-{lang}", partial(load_humaneval_multilingual, lang),
                           f"multilingual HumanEval ({lang}, MultiPL-E format)", "humaneval-multilingual",
                           hub=True, language=lang))
    specs.append(_spec("mbpp", partial(load_mbpp, "test"), "MBPP test set: 500 problems (task_id 11-510)",
                       ("mbpp-full", "mbpp-test"), hub=True))
    specs.append(_spec("mbpp-full", partial(load_mbpp, "full"), "MBPP, all 974 rows", "mbpp-full", hub=True))
    for mode, stem in INFILLING_MODES.items():
        specs.append(_spec(f"humaneval-infilling-{mode.replace('_', '-')}", partial(load_humaneval_infilling, mode),
                           f"HumanEval {stem} infilling", "humaneval-infilling", hub=True, mode=stem))
    specs.append(_spec("leetcode", load_leetcode_contest, "LeetCode contest, 180 problems (Jul 2023 - Jan 2024)",
                       "leetcode"))
    for name in PAL_MATH_SETS:
        specs.append(_spec(name, partial(load_pal_math, name), f"PAL-math test set {name}", "pal-math",
                           hub=name == "gsm8k", name=name))
    specs.append(_spec("ds1000", load_ds1000, "DS-1000, 1000 data-science problems", "ds1000", hub=True))
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
    """Names whose data can be loaded offline from ``data_dir`` (HumanEval always, from its package)."""
    return [name for name, spec in BENCHMARKS.items() if spec.is_available(data_dir)]
