"""Command-line options derived from dataclasses: one field is one option, with its default, type and help.

Each command declares its options as a dataclass (a subclass of :class:`Options`) and :func:`add_command` builds
its parser from it (help and description from the docstring, options from the fields), in the shape of
transformers' ``HfArgumentParser`` and TRL's ``TrlParser``:

* a field ``seq_len: int = 4096`` is ``--seq-len`` with type ``int`` and default 4096; its ``help`` comes from the
  field's metadata (:func:`arg`), followed by ``(default: 4096)`` unless the help already speaks of its default;
* ``Literal[...]`` takes one of its values; ``X | None`` takes an ``X`` and defaults to ``None``;
* a ``bool`` that defaults to ``False`` is a switch ``--name``; one that defaults to ``True`` is turned off by
  ``--no-name`` (HfArgumentParser's ``--no_`` complement);
* ``list[X]`` with ``repeat=True`` takes the option once per value;
* ``--set KEY=VALUE`` (repeatable, the value read as YAML) on every command: on a command whose stage loads a YAML
  config (``Options.STAGE_CONFIG``), KEY is a dotted key of that config, as in ``datatrove_pipelines/*.py`` and
  ``dscoder train`` (a field declared with ``key=`` is a named shortcut for ``--set KEY=VALUE``); on the other
  commands KEY is the name of one of the command's own options. Either way the typed loader
  (:mod:`dscoder.config`) reads the value, so a wrong type or an unknown key is one line naming the key.

Adding a field to a command's dataclass is all it takes to add an option. The parser is built without importing
``dscoder`` (whose import registers the model with transformers, about 4 s): ``dscoder --help`` and ``dscoder X
--help`` answer at once (``tests/test_cli.py``). That is also why ``HfArgumentParser`` itself is not used: importing
it imports transformers (about 1 s here), and it has no positionals or subcommands; what this module adds on top of
its rules is positionals, per-option value parsers (``byte_count``), shortcuts to config keys and ``--set``.
A command's dataclass mirrors its stage function's keyword arguments (same names, same defaults:
``tests/test_cli_options.py`` checks both), so the handler passes them on with :meth:`Options.stage_kwargs`.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

__all__ = ["Options", "add_command", "arg", "build_command", "describe", "options_from_args"]

_SET_HELP_CONFIG = "override a key of {config} (dotted path, YAML value), e.g. --set {example}; repeatable"
_SET_HELP_OPTIONS = "set an option by its field name (YAML value), e.g. --set {example}; repeatable"


def arg(
    default: Any = dataclasses.MISSING,
    *,
    help: str,
    flag: str | None = None,
    positional: bool = False,
    metavar: str | None = None,
    parse: Callable[[str], Any] | None = None,
    key: str | None = None,
    repeat: bool = False,
    stage: bool = True,
) -> Any:
    """A dataclass field that is one command-line option.

    ``flag``: the option string when it is not ``--field-name`` (``--format`` for ``input_format``, ``--no-bos``
    for ``add_bos``); ``positional``: an argument without a flag (optional when its default is ``None``);
    ``parse``: the function that reads the text (default: the field's type); ``key``: the dotted stage-config key
    this option sets (the same as ``--set KEY=VALUE``); ``repeat``: a ``list`` field given once per value;
    ``stage=False``: an option of the command itself, not passed to the stage function.
    """
    metadata = {"cli": {"help": help, "flag": flag, "positional": positional, "metavar": metavar, "parse": parse,
                        "key": key, "stage": stage and key is None and not positional, "repeat": repeat}}  # fmt: skip
    if repeat:
        return dataclasses.field(default_factory=list, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass
class Options:
    """Base of every command's options. ``overrides`` holds the ``--set KEY=VALUE`` texts as given."""

    #: the stage config whose dotted keys ``--set`` names (shown in the help); ``None``: ``--set`` names this
    #: dataclass's own fields
    STAGE_CONFIG: ClassVar[str | None] = None
    #: the example in the help of ``--set``
    SET_EXAMPLE: ClassVar[str] = ""

    overrides: list[str] = dataclasses.field(default_factory=list, kw_only=True)

    def stage_kwargs(self) -> dict[str, Any]:
        """The fields the stage function takes, by name (not positionals, config-key shortcuts or command-only
        options)."""
        return {f.name: getattr(self, f.name) for f in _option_fields(type(self)) if f.metadata["cli"]["stage"]}

    def config_overrides(self) -> dict[str, Any]:
        """Dotted stage-config keys to set: the shortcut options given, then ``--set`` (which wins)."""
        from dscoder.config import parse_set_pairs

        given = {f.metadata["cli"]["key"]: getattr(self, f.name) for f in _option_fields(type(self))
                 if f.metadata["cli"]["key"] is not None and getattr(self, f.name) != f.default}  # fmt: skip
        return {**given, **parse_set_pairs(self.overrides, self.SET_EXAMPLE or "section.key=value")}


def _option_fields(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if "cli" in f.metadata]


def _value_type(annotation: Any) -> Any:
    """``X`` for ``X | None``, else the annotation itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _shown(default: Any) -> bool:
    """Whether ``(default: X)`` says anything (not for a missing, ``None``, empty or ``False`` default)."""
    return not (default is dataclasses.MISSING or default is None or default is False or default in ("", []))


def _add_field(parser: argparse.ArgumentParser, field: dataclasses.Field, annotation: Any) -> None:
    cli = field.metadata["cli"]
    kind = _value_type(annotation)
    default = [] if cli["repeat"] else field.default
    help_text = cli["help"]
    if _shown(default) and kind is not bool and "default" not in help_text:
        help_text = f"{help_text} (default: {default})"
    help_text = help_text.replace("%", "%%")
    kwargs: dict[str, Any] = {"help": help_text}
    if cli["metavar"]:
        kwargs["metavar"] = cli["metavar"]
    if cli["positional"]:
        if default is None:
            kwargs["nargs"] = "?"
        parser.add_argument(field.name, **kwargs)
        return
    flag = cli["flag"] or "--" + field.name.replace("_", "-")
    if kind is bool:
        action = "store_false" if default is True else "store_true"
        if default is True and cli["flag"] is None:
            flag = "--no-" + field.name.replace("_", "-")
        parser.add_argument(flag, dest=field.name, action=action, **kwargs)
        return
    if get_origin(kind) is Literal:
        kwargs["choices"] = list(get_args(kind))
    elif cli["repeat"]:
        (item,) = get_args(kind) or (str,)
        kwargs.update(action="append", type=cli["parse"] or item)
    else:
        kwargs["type"] = cli["parse"] or kind
    if default is dataclasses.MISSING:
        kwargs["required"] = True
    else:
        kwargs["default"] = default
    parser.add_argument(flag, dest=field.name, **kwargs)


def add_options(parser: argparse.ArgumentParser, cls: type[Options]) -> None:
    """Add the options of ``cls``'s fields to ``parser``, then ``--set``."""
    hints = typing.get_type_hints(cls)
    for field in _option_fields(cls):
        _add_field(parser, field, hints[field.name])
    template = _SET_HELP_CONFIG if cls.STAGE_CONFIG else _SET_HELP_OPTIONS
    example = cls.SET_EXAMPLE or next(
        (f"{f.name}={f.default}" for f in _option_fields(cls) if _shown(f.default) and f.default is not True),
        f"{_option_fields(cls)[-1].name}=VALUE",
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help=template.format(config=cls.STAGE_CONFIG, example=example))


def options_from_args(args: argparse.Namespace, cls: type[Options]) -> Options:
    """The dataclass ``cls`` from parsed arguments. Without ``STAGE_CONFIG``, ``--set`` pairs set the fields they
    name; every value then goes through the typed loader (types, ``Literal`` values, ``__post_init__``)."""
    from dscoder.config import ConfigError, config_from_dict, parse_set_pairs

    names = [f.name for f in _option_fields(cls)]
    values = {name: getattr(args, name) for name in names}
    overrides = list(args.overrides)
    if cls.STAGE_CONFIG is None:
        for key, value in parse_set_pairs(overrides, cls.SET_EXAMPLE or f"{names[-1]}=VALUE").items():
            if key not in values:
                raise ConfigError("--set", key, f"no such option (known: {', '.join(names)})")
            values[key] = value
        overrides = []
    return config_from_dict({**values, "overrides": overrides}, cls, source="command line")


class _Handler:
    """``args -> run(options)``, so that ``main`` calls every command the same way."""

    def __init__(self, cls: type[Options], run: Callable[[Any], int]):
        self.cls, self.run = cls, run

    def __call__(self, args: argparse.Namespace) -> int:
        return self.run(options_from_args(args, self.cls))


def describe(cls: type[Options]) -> tuple[str, str]:
    """``(help, description)`` of a command from its dataclass's docstring: the one line shown in the parent
    command's list is the first paragraph, the text at the top of ``--help`` the paragraphs after it (or the first,
    when there is only one)."""
    paragraphs = [" ".join(p.split()) for p in inspect.cleandoc(cls.__doc__ or "").split("\n\n") if p.strip()]
    return paragraphs[0], " ".join(paragraphs[1:]) or paragraphs[0]


def build_command(parser: argparse.ArgumentParser, cls: type[Options], run: Callable[[Any], int]) -> None:
    """Give ``parser`` the options of ``cls``; running the command calls ``run(options)``."""
    parser.description = describe(cls)[1]
    add_options(parser, cls)
    parser.set_defaults(handler=_Handler(cls, run), parser=parser)


def add_command(sub, name: str, cls: type[Options], run: Callable[[Any], int]) -> argparse.ArgumentParser:
    """Register the subcommand ``name`` of ``sub`` (an argparse subparsers object) with the options of ``cls``."""
    parser = sub.add_parser(name, help=describe(cls)[0])
    build_command(parser, cls, run)
    return parser
