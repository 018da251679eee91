"""The filter and repo-level stages run one set of defaults whether started from the CLI, the shipped YAMLs
(``datatrove_pipelines/*.yaml``, which document every key) or the config dataclasses, and the help texts state
those defaults. Build manifests travel between the two stages with no option (``OUTPUT/../manifests``)."""

from __future__ import annotations

import re
from pathlib import Path

from dscoder.config import config_to_dict, load_yaml_config
from dscoder.data.filters import FilterPipelineConfig
from dscoder.data.filters.manifests import manifests_beside
from dscoder.data.repo_level import RepoLevelConfig
from dscoder.data.repo_level.stage import manifests_folder
from dscoder_cli import build_parser
from dscoder_cli.data import FilterOptions, RepoLevelOptions, repo_level_config
from dscoder_cli.options import options_from_args

PIPELINES = Path(__file__).resolve().parents[1] / "datatrove_pipelines"
FILTER_PATHS = ("output_folder", "excluded_folder", "logging_folder")
REPO_PATHS = ("input", "output", "logs", "excluded", "work")


def _settings(config, paths) -> dict:
    """The config as a dict without its folders (which the YAML sets to the demo's)."""
    data = config_to_dict(config)
    for key in paths:
        data.pop(key)
    data["reader"].pop("folder", None)
    return data


def _stated_defaults(parser, command: str) -> dict[str, str]:
    """``--option``: the value its help states as ``(default: X)``."""
    sub = parser
    for name in ("data", command):
        sub = sub._subparsers._group_actions[0].choices[name]
    out = {}
    for action in sub._actions:
        m = re.search(r"\(default: ([\w.]+)\)", action.help or "")
        if m and action.option_strings:
            out[action.option_strings[0]] = m.group(1)
    return out


def test_filter_defaults_agree_in_yaml_cli_and_dataclass(tmp_path):
    default = FilterPipelineConfig()
    assert _settings(load_yaml_config(PIPELINES / "filter_code.yaml", FilterPipelineConfig), FILTER_PATHS) == \
        _settings(default, FILTER_PATHS)  # fmt: skip
    parser = build_parser()
    o = options_from_args(parser.parse_args(["data", "filter", "IN", str(tmp_path / "kept")]), FilterOptions)
    assert (o.tasks, o.workers, o.manifests, o.config) == (default.executor.tasks, default.executor.workers, None, None)
    stated = _stated_defaults(parser, "filter")
    assert stated["--tasks"] == str(default.executor.tasks) and stated["--workers"] == str(default.executor.workers)


def test_repo_level_defaults_agree_in_yaml_cli_and_dataclass(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["data", "repo-level", str(tmp_path / "kept"), str(tmp_path / "out")])
    cli = repo_level_config(options_from_args(args, RepoLevelOptions))
    default = RepoLevelConfig(input=tmp_path / "kept", output=tmp_path / "out", logs=tmp_path / "logs")
    assert _settings(cli, REPO_PATHS) == _settings(default, REPO_PATHS)
    assert _settings(load_yaml_config(PIPELINES / "repo_level.yaml", RepoLevelConfig), REPO_PATHS) == \
        _settings(default, REPO_PATHS)  # fmt: skip
    stated = _stated_defaults(parser, "repo-level")
    assert stated["--tasks"] == str(default.executor.tasks) and stated["--workers"] == str(default.executor.workers)


def test_manifests_folder_defaults_to_the_filter_stages_beside_the_input(tmp_path):
    assert manifests_beside(tmp_path / "kept") == str(tmp_path / "manifests")
    assert manifests_beside("s3://bucket/run/kept/") == "s3://bucket/run/manifests"
    config = RepoLevelConfig(input=tmp_path / "kept", output=tmp_path / "out", logs=tmp_path / "logs")
    assert manifests_folder(config) is None  # the filter stage found no manifest: no folder, nothing to read
    (tmp_path / "manifests").mkdir()
    assert manifests_folder(config) == str(tmp_path / "manifests")
    explicit = RepoLevelConfig(input=tmp_path / "kept", output=tmp_path / "out", logs=tmp_path / "logs",
                               manifests=tmp_path / "elsewhere")  # fmt: skip
    assert manifests_folder(explicit) is None  # given but absent
