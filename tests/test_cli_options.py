"""Every option of every `dscoder` subcommand, as users see it, against a snapshot taken before the command line was
derived from the config dataclasses: no option disappears, none changes its default, choices, arity or positional
place. New options may be added freely (the snapshot is a floor, not the whole set).

Regenerate the snapshot only when an option is meant to go: ``python tests/test_cli_options.py --write``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "fixtures" / "cli_options.json"


def _plain(value):
    """A JSON-comparable form of an argparse default or choices."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _describe(action: argparse.Action) -> dict:
    takes_value = action.nargs != 0
    row = {"takes_value": takes_value, "required": bool(action.required)}
    if not action.option_strings:
        row["positional"] = action.dest
        row["nargs"] = action.nargs
    elif takes_value:
        row["nargs"] = action.nargs
        row["default"] = _plain(action.default)
        row["repeatable"] = isinstance(action, argparse._AppendAction)
    if action.choices is not None and not isinstance(action.choices, dict):
        row["choices"] = _plain(list(action.choices))
    return row


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...]):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, (*path, name))


def option_table() -> dict[str, dict[str, dict]]:
    """command path -> option name (``--x`` or the positional's name) -> what it is."""
    from dscoder_cli import build_parser

    table = {}
    for path, parser in _walk(build_parser(), ()):
        options = {}
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            name = max(action.option_strings, key=len) if action.option_strings else (action.metavar or action.dest)
            options[name] = _describe(action)
        table[" ".join(path) or "dscoder"] = options
    return table


def test_every_option_of_the_snapshot_is_still_there_unchanged():
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    current = option_table()
    missing = [command for command in snapshot if command not in current]
    assert not missing, f"subcommands gone: {missing}"
    changed = []
    for command, options in snapshot.items():
        for name, row in options.items():
            now = current[command].get(name)
            if now != row:
                changed.append(f"dscoder {command} {name}: was {row}, now {now}")
    assert not changed, "\n".join(changed)


def test_every_option_is_in_its_help():
    from dscoder_cli import build_parser

    parsers = {" ".join(path) or "dscoder": parser for path, parser in _walk(build_parser(), ())}
    for command, options in option_table().items():
        text = parsers[command].format_help()
        missing = [name for name in options if name not in text]
        assert not missing, f"dscoder {command} --help does not show {missing}"

if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    SNAPSHOT.write_text(json.dumps(option_table(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")


# ------------------------------------------------------------------------------------------ the derived options
def _options(argv: list[str]):
    from dscoder_cli import build_parser
    from dscoder_cli.options import options_from_args

    args = build_parser().parse_args(argv)
    return options_from_args(args, args.handler.cls)


def test_set_names_an_option_and_reads_its_value_as_yaml():
    by_flag = _options(["data", "tokenize", "in", "out", "--tokenizer", "t", "--seq-len", "2048", "--no-bos"])
    by_set = _options(["data", "tokenize", "in", "out", "--tokenizer", "t", "--set", "seq_len=2048",
                       "--set", "add_bos=false"])  # fmt: skip
    assert by_flag == by_set
    assert (by_set.seq_len, by_set.add_bos, by_set.fim_rate) == (2048, False, 0.5)
    assert by_set.stage_kwargs()["seq_len"] == 2048 and "tokenizer" not in by_set.stage_kwargs()


def test_set_errors_name_the_key():
    from dscoder.config import ConfigError

    with pytest.raises(ConfigError, match=r"--set: seq_lenn: no such option \(known: .*seq_len"):
        _options(["data", "tokenize", "in", "out", "--tokenizer", "t", "--set", "seq_lenn=1"])
    with pytest.raises(ConfigError, match=r"seq_len: expected an integer, got str 'many'"):
        _options(["data", "tokenize", "in", "out", "--tokenizer", "t", "--set", "seq_len=many"])
    with pytest.raises(ConfigError, match=r"fim_mode: must be one of 'psm', 'spm'; got 'xyz'"):
        _options(["data", "tokenize", "in", "out", "--tokenizer", "t", "--set", "fim_mode=xyz"])


def test_a_config_shortcut_is_the_same_as_set_on_its_key():
    shortcut = _options(["data", "repo-level", "in", "out", "--order", "paper", "--no-dedup", "--buckets", "4"])
    assert shortcut.config_overrides() == {"ordering.order": "paper", "grouping.buckets": 4, "dedup.enabled": False}
    by_set = _options(["data", "repo-level", "in", "out", "--set", "ordering.order=paper", "--set", "grouping.buckets=4",
                       "--set", "dedup.enabled=false"])  # fmt: skip
    assert by_set.config_overrides() == shortcut.config_overrides()
    assert _options(["data", "repo-level", "in", "out"]).config_overrides() == {}  # defaults stay the config's


# A command's options mirror its stage function's keyword arguments: same names, same defaults.
STAGE_FUNCTIONS = {
    ("data", "demo-corpus"): "dscoder.data.demo_corpus:build_demo_corpus",
    ("data", "instructions"): "dscoder.data.instructions:build_instruction_set",
    ("data", "filter"): "dscoder.data.filters:run_filter_stage",
    ("data", "tokenize"): "dscoder.data.tokenize_stage:run_tokenize_stage",
    ("data", "decontaminate"): "dscoder.data.decontamination.stage:run_decontamination_stage",
    ("tokenizer", "train"): "dscoder.tokenization.trainer:train_tokenizer",
}


@pytest.mark.parametrize("command", sorted(STAGE_FUNCTIONS))
def test_option_defaults_are_the_stage_functions_defaults(command):
    import dataclasses
    import importlib
    import inspect

    from dscoder_cli import build_parser

    parsers = dict(_walk(build_parser(), ()))
    cls = parsers[command]._defaults["handler"].cls
    module, name = STAGE_FUNCTIONS[command].split(":")
    parameters = inspect.signature(getattr(importlib.import_module(module), name)).parameters
    fields = {f.name: f for f in dataclasses.fields(cls)}
    stage = [f for f in fields.values() if "cli" in f.metadata and f.metadata["cli"]["stage"]]
    assert stage
    for field in stage:
        assert field.name in parameters, f"{command}: {name}() has no parameter {field.name}"
        default = [] if field.default is dataclasses.MISSING else field.default
        expected = parameters[field.name].default
        assert default == (list(expected) if isinstance(expected, tuple) else expected), field.name
