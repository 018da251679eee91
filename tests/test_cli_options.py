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
