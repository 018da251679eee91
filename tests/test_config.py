"""The typed YAML loader: every error names the file and the key (DESIGN "Configs")."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

import pytest

from dscoder.config import ConfigError, config_from_dict, config_hash, config_to_dict, load_yaml_config


@dataclass
class Optim:
    lr: float
    betas: tuple[float, float] = (0.9, 0.95)
    schedule: Literal["deepseek", "cosine"] = "deepseek"


@dataclass
class Recipe:
    name: str
    optim: Optim
    steps: int = 10
    data: list[Path] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    output: Optional[Path] = None  # noqa: UP045 - the loader must read typing.Optional too
    bf16: bool = False

    def __post_init__(self):
        if self.steps <= 0:
            raise ValueError("steps must be positive")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    return path


def test_loads_nested_and_resolves_paths_relative_to_the_yaml(tmp_path):
    path = write(
        tmp_path,
        "name: tiny\noptim: {lr: 1e-4, betas: [0.9, 0.99]}\ndata: [corpus, /abs/x]\nweights: {code: 0.7}\nbf16: true\n",
    )
    cfg = load_yaml_config(path, Recipe)
    assert cfg.optim.lr == 1e-4  # YAML reads "1e-4" as a string; the loader accepts it for a float field
    assert cfg.optim.betas == (0.9, 0.99)
    assert cfg.data == [tmp_path / "corpus", Path("/abs/x")]
    assert cfg.weights == {"code": 0.7}
    assert cfg.bf16 is True and cfg.steps == 10 and cfg.output is None
    remote = load_yaml_config(write(tmp_path, "name: t\noptim: {lr: 1}\ndata: [s3://bucket/raw, hf://datasets/x]\n"), Recipe)
    assert remote.data == ["s3://bucket/raw", "hf://datasets/x"]  # URLs stay URLs (Path would fold the //)


def test_unknown_key_names_file_and_key(tmp_path):
    path = write(tmp_path, "name: a\noptim: {lr: 0.1, warmup: 3}\n")
    with pytest.raises(ConfigError) as err:
        load_yaml_config(path, Recipe)
    assert str(path) in str(err.value)
    assert "optim.warmup" in str(err.value)
    assert "unknown key" in str(err.value)
    assert err.value.key == "optim.warmup"


def test_wrong_type_names_the_key(tmp_path):
    path = write(tmp_path, "name: a\noptim: {lr: 0.1}\nsteps: ten\n")
    with pytest.raises(ConfigError, match=r"steps: expected an integer, got str 'ten'"):
        load_yaml_config(path, Recipe)


def test_bool_is_not_an_int_and_int_is_a_float(tmp_path):
    with pytest.raises(ConfigError, match="steps: expected an integer, got bool"):
        config_from_dict({"name": "a", "optim": {"lr": 1}, "steps": True}, Recipe)
    cfg = config_from_dict({"name": "a", "optim": {"lr": 1}}, Recipe)
    assert cfg.optim.lr == 1.0 and isinstance(cfg.optim.lr, float)


def test_missing_required_field(tmp_path):
    path = write(tmp_path, "optim: {lr: 0.1}\n")
    with pytest.raises(ConfigError, match=r"name: required key is missing \(Recipe.name: str\)"):
        load_yaml_config(path, Recipe)


def test_bad_yaml_reports_the_line(tmp_path):
    path = write(tmp_path, "name: a\noptim: {lr: 0.1\n")
    with pytest.raises(ConfigError, match=r"invalid YAML \(line \d+, column \d+\)"):
        load_yaml_config(path, Recipe)


def test_missing_file_and_literal_and_list_item_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_yaml_config(tmp_path / "nope.yaml", Recipe)
    with pytest.raises(ConfigError, match=r"optim.schedule: must be one of 'deepseek', 'cosine'; got 'linear'"):
        config_from_dict({"name": "a", "optim": {"lr": 1, "schedule": "linear"}}, Recipe)
    with pytest.raises(ConfigError, match=r"weights.code: expected a number"):
        config_from_dict({"name": "a", "optim": {"lr": 1}, "weights": {"code": "lots"}}, Recipe)
    with pytest.raises(ConfigError, match=r"optim.betas: expected 2 items, got 3"):
        config_from_dict({"name": "a", "optim": {"lr": 1, "betas": [1, 2, 3]}}, Recipe)


def test_post_init_validation_becomes_a_config_error(tmp_path):
    path = write(tmp_path, "name: a\noptim: {lr: 0.1}\nsteps: 0\n")
    with pytest.raises(ConfigError, match="steps must be positive") as err:
        load_yaml_config(path, Recipe)
    assert str(path) in str(err.value)


def test_overrides_and_hash(tmp_path):
    path = write(tmp_path, "name: a\noptim: {lr: 0.1}\n")
    cfg = load_yaml_config(path, Recipe, overrides={"optim.lr": 0.5, "steps": 3})
    assert cfg.optim.lr == 0.5 and cfg.steps == 3
    same = load_yaml_config(path, Recipe, overrides={"steps": 3, "optim.lr": 0.5})
    assert config_hash(cfg) == config_hash(same)
    assert config_hash(cfg) != config_hash(load_yaml_config(path, Recipe))
    assert config_to_dict(cfg)["optim"] == {"lr": 0.5, "betas": [0.9, 0.95], "schedule": "deepseek"}


def test_set_pairs_read_yaml_values_and_report_bad_ones():
    from dscoder.config import parse_set_pairs

    assert parse_set_pairs(["a.b=1e-4", "c=[1, 2]", "d=", "e=text"]) == {"a.b": "1e-4", "c": [1, 2], "d": None,
                                                                         "e": "text"}
    with pytest.raises(ConfigError, match=r"--set: x: value .\[1,. is not YAML"):
        parse_set_pairs(["x=[1,"])
    with pytest.raises(ConfigError, match="expected KEY=VALUE, e.g. executor.kind=ray"):
        parse_set_pairs(["novalue"], "executor.kind=ray")


def test_bounded_fields_are_checked_at_load_time_with_file_and_key(tmp_path):
    from dscoder.config import bounded, check_bounds

    @dataclass
    class Knobs:
        limit: int | None = bounded(None, ge=1)
        workers: int = bounded(-1, ge=1, special={-1: "all"})
        share: float = bounded(0.5, ge=0, le=1)

        def __post_init__(self):
            check_bounds(self)

    path = tmp_path / "k.yaml"
    for text, message in (
        ("limit: -3", "k.yaml: limit: must be >= 1, got -3"),
        ("workers: 0", "k.yaml: workers: must be >= 1 or -1 (all), got 0"),
        ("share: 1.5", "k.yaml: share: must be >= 0 and <= 1, got 1.5"),
        ("share: .nan", "k.yaml: share: must be >= 0 and <= 1, got nan"),
    ):
        path.write_text(text + "\n")
        with pytest.raises(ConfigError) as info:
            load_yaml_config(path, Knobs)
        assert str(info.value) == f"{tmp_path}/{message}"
    path.write_text("limit: null\nworkers: -1\nshare: 0\n")
    assert load_yaml_config(path, Knobs) == Knobs(None, -1, 0.0)
    with pytest.raises(ValueError, match=r"^limit: must be >= 1, got 0$"):
        Knobs(limit=0)  # built in Python: same check through __post_init__


@pytest.mark.parametrize(
    ("cls_path", "data", "key", "message"),
    [
        ("dscoder.evaluation.suite:SuiteConfig", {"name": "s", "tasks": [{"task": "humaneval", "limit": -3}]},
         "tasks[0].limit", "must be >= 1, got -3"),
        ("dscoder.evaluation.suite:SuiteConfig", {"name": "s", "tasks": [{"task": "humaneval", "timeout_s": 0}]},
         "tasks[0].timeout_s", "must be > 0, got 0.0"),
        ("dscoder.evaluation.suite:SuiteConfig", {"name": "s", "tasks": [], "sandbox": {"memory_mb": -1}},
         "sandbox.memory_mb", "must be >= 1, got -1"),
        ("dscoder.evaluation.suite:SuiteConfig", {"name": "s", "tasks": [], "sandbox": {"workers": 0}},
         "sandbox.workers", "must be >= 1, got 0"),
        ("dscoder.evaluation.suite:SuiteConfig", {"name": "s", "tasks": [], "limit": 0}, "limit", "must be >= 1, got 0"),
        ("dscoder.evaluation.suite:SuiteConfig", {"name": "s", "tasks": [], "generation": {"batch_size": 0}},
         "generation.batch_size", "must be >= 1, got 0"),
        ("dscoder.data.filters.pipeline:FilterPipelineConfig", {"executor": {"workers": 0}}, "executor.workers",
         "must be >= 1 or -1 (all tasks at once), got 0"),
        ("dscoder.data.filters.pipeline:FilterPipelineConfig", {"reader": {"limit": -3}}, "reader.limit",
         "must be >= 1 or -1 (all records), got -3"),
        ("dscoder.data.filters.pipeline:FilterPipelineConfig", {"rules": {"min_alpha_fraction": 2}},
         "rules.min_alpha_fraction", "must be >= 0 and <= 1, got 2.0"),
        ("dscoder.data.repo_level:RepoLevelConfig", {"input": "i", "output": "o", "logs": "l",
                                                      "grouping": {"buckets": 0}}, "grouping.buckets",
         "must be >= 1, got 0"),
        ("dscoder.data.repo_level:RepoLevelConfig", {"input": "i", "output": "o", "logs": "l",
                                                      "dedup": {"bands": -2}}, "dedup.bands", "must be >= 1, got -2"),
    ],
)  # fmt: skip
def test_project_configs_refuse_nonsense_numbers(cls_path, data, key, message):
    import importlib

    module, name = cls_path.split(":")
    cls = getattr(importlib.import_module(module), name)
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, cls, source="x.yaml")
    assert str(info.value) == f"x.yaml: {key}: {message}"


@pytest.mark.parametrize(
    ("cls_path", "kwargs", "message"),
    [
        ("dscoder.data.filters.heuristics:HeuristicConfig", {"max_encoded_fraction": 2}, "max_encoded_fraction"),
        ("dscoder.data.filters.rules:RuleConfig", {"min_alpha_fraction": -1}, "min_alpha_fraction"),
        ("dscoder.data.filters.syntax:SyntaxConfig", {"min_chars_for_ratios": -1}, "min_chars_for_ratios"),
        ("dscoder.data.filters.model:QualityModelConfig", {"batch_size": 0}, "batch_size"),
        ("dscoder.evaluation.generation:GenerationSettings", {"batch_size": 0}, "batch_size"),
    ],
)  # fmt: skip
def test_stage_configs_built_in_python_check_their_bounds(cls_path, kwargs, message):
    import importlib

    module, name = cls_path.split(":")
    cls = getattr(importlib.import_module(module), name)
    with pytest.raises(ValueError, match=rf"^{message}: must be"):
        cls(**kwargs)
    cls()  # the defaults are within bounds
