"""The one typed way to load YAML into dataclasses (docs/design.md "Configs").

Every YAML of the project (datatrove pipelines, training recipes, evaluation suites) goes through
:func:`load_yaml_config`. Validation is strict and every error names the file and the key path:

* a key the dataclass does not declare is an error (typos never pass silently);
* a value of the wrong type is an error (``int`` accepts no bool, ``float`` accepts an int);
* a field without a default that the YAML leaves out is an error;
* fields typed ``Path`` are resolved relative to the YAML file's folder;
* a number outside the range its field declares with :func:`bounded` (``limit: -3``, ``timeout_s: 0``) is an
  error; a config deriving from :class:`BoundedConfig` checks the same ranges (:func:`check_bounds`) when built
  in Python.

Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``Path``, ``Any``, ``Literal[...]``,
``Enum`` subclasses, ``Optional[X]`` / ``X | None``, ``Union`` of those, ``list[X]``, ``tuple[X, ...]``,
``dict[str, X]`` and nested dataclasses. Written by hand because no maintained library gives these exact
error messages without pulling a runtime-heavy dependency (pydantic) into every CLI start.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml

__all__ = [
    "BoundedConfig", "Bounds", "ConfigError", "bounded", "check_bounds", "config_from_dict", "config_hash", "config_to_dict",
    "load_yaml_config", "parse_set_pairs",
]  # fmt: skip

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or mapping does not match its dataclass. The message names the file and the key."""

    def __init__(self, source: str, key: str, message: str):
        self.source, self.key, self.reason = source, key, message
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key or '<root>'}: {message}")


@dataclasses.dataclass(frozen=True)
class Bounds:
    """The range of a numeric config field: ``ge`` / ``gt`` / ``le`` limits, plus ``special`` values that mean
    something of their own (``((-1, "all"),)``). ``None`` (an optional field left unset) always passes."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    special: tuple[tuple[Any, str], ...] = ()

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is out of range, or ``None``."""
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if any(value == v for v, _ in self.special):
            return None
        if not math.isnan(value) and all((
            self.ge is None or value >= self.ge, self.gt is None or value > self.gt, self.le is None or value <= self.le
        )):  # fmt: skip
            return None
        limits = [f"{op} {x:g}" for op, x in ((">=", self.ge), (">", self.gt), ("<=", self.le)) if x is not None]
        extra = "".join(f" or {v!r} ({meaning})" for v, meaning in self.special)
        return f"must be {' and '.join(limits)}{extra}, got {value!r}"


def bounded(default: Any = dataclasses.MISSING, *, ge: float | None = None, gt: float | None = None,
            le: float | None = None, special: dict[Any, str] | None = None) -> Any:
    """A dataclass field with a numeric range the typed loader checks (``limit: int | None = bounded(None, ge=1)``);
    ``special`` maps allowed out-of-range values to their meaning (``{-1: "all tasks at once"}``)."""
    return dataclasses.field(default=default, metadata={"bounds": Bounds(ge, gt, le, tuple((special or {}).items()))})


def check_bounds(obj: Any) -> None:
    """``ValueError("<field>: must be ...")`` for the first field of the dataclass ``obj`` outside its bounds."""
    for f in dataclasses.fields(obj):
        bounds = f.metadata.get("bounds")
        if bounds is not None and (problem := bounds.problem(getattr(obj, f.name))) is not None:
            raise ValueError(f"{f.name}: {problem}")


class BoundedConfig:
    """Base of a config dataclass whose :func:`bounded` fields are checked when it is built in Python too (the
    typed loader checks them in YAML). A subclass with a ``__post_init__`` of its own calls this one."""

    def __post_init__(self) -> None:
        check_bounds(self)


def load_yaml_config(path: str | Path, cls: type[T], overrides: dict[str, Any] | None = None) -> T:
    """Read ``path`` (YAML) into an instance of the dataclass ``cls``.

    ``overrides`` is a flat mapping of dotted keys (``"optim.lr": 1e-4``) applied on top of the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(str(path), "", "config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(str(path), "", f"invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "", f"not UTF-8 text: {exc}") from None
    if data is None:
        data = {}
    if overrides:
        data = apply_overrides(data, overrides, source=str(path))
    return config_from_dict(data, cls, source=str(path), base_dir=path.parent)


def parse_set_pairs(pairs: list[str], example: str = "section.key=value") -> dict[str, Any]:
    """The ``--set KEY=VALUE`` options of every command: dotted keys, values read as YAML scalars or lists."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError("--set", pair, f"expected KEY=VALUE, e.g. {example}")
        try:
            out[key] = yaml.safe_load(raw)  # YAML semantics: "key=" is null
        except yaml.YAMLError as exc:
            raise ConfigError("--set", key, f"value {raw!r} is not YAML: {exc}") from None
    return out


def apply_overrides(data: Any, overrides: dict[str, Any], source: str = "") -> dict:
    """Return a copy of ``data`` with dotted-key ``overrides`` set (``a.b.c: value``)."""
    if not isinstance(data, dict):
        raise ConfigError(source, "", f"expected a mapping at the top level, got {type(data).__name__}")
    data = json.loads(json.dumps(data, default=str))
    for dotted, value in overrides.items():
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(source, dotted, f"cannot set a key inside the non-mapping '{part}'")
        node[parts[-1]] = value
    return data


def config_from_dict(data: Any, cls: type[T], source: str = "<dict>", base_dir: str | Path | None = None) -> T:
    """Validate ``data`` against the dataclass ``cls`` and build it (see the module docstring)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    return _convert(data, cls, "", source, Path(base_dir) if base_dir is not None else None)


def config_to_dict(obj: Any) -> Any:
    """A plain, YAML/JSON-serialisable view of a config dataclass (paths and enums as strings)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: config_to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): config_to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [config_to_dict(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    return obj


def config_hash(obj: Any) -> str:
    """A stable short hash of a config (used by stage ``done`` markers to notice a changed config)."""
    blob = json.dumps(config_to_dict(obj), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------------------
def _join(prefix: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _type_name(tp: Any) -> str:
    if tp is type(None):
        return "null"
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, key: str, source: str, base_dir: Path | None) -> Any:
    origin = get_origin(tp)

    if tp is Any:
        return value
    if origin is Union or origin is types.UnionType:
        options = get_args(tp)
        if value is None:
            if type(None) in options:
                return None
            raise ConfigError(source, key, f"must not be null (expected {_type_name(tp)})")
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, key, source, base_dir)
            except ConfigError as exc:
                errors.append(exc.reason)
        raise ConfigError(source, key, f"expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
    if value is None:
        raise ConfigError(source, key, f"must not be null (expected {_type_name(tp)})")
    if origin is typing.Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(source, key, f"must be one of {', '.join(map(repr, allowed))}; got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(value, tp, key, source, base_dir)
    if origin in (list, typing.List) or tp is list:  # noqa: UP006
        if not isinstance(value, list):
            raise ConfigError(source, key, f"expected a list, got {type(value).__name__} {value!r}")
        (item_tp,) = get_args(tp) or (Any,)
        return [_convert(v, item_tp, _join(key, i), source, base_dir) for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(source, key, f"expected a list, got {type(value).__name__} {value!r}")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], _join(key, i), source, base_dir) for i, v in enumerate(value))
        if len(args) != len(value):
            raise ConfigError(source, key, f"expected {len(args)} items, got {len(value)}")
        return tuple(_convert(v, a, _join(key, i), source, base_dir) for i, (v, a) in enumerate(zip(value, args)))
    if origin in (dict, typing.Dict) or tp is dict:  # noqa: UP006
        if not isinstance(value, dict):
            raise ConfigError(source, key, f"expected a mapping, got {type(value).__name__} {value!r}")
        key_tp, val_tp = get_args(tp) or (Any, Any)
        return {
            _convert(k, key_tp, _join(key, k), source, base_dir): _convert(v, val_tp, _join(key, k), source, base_dir)
            for k, v in value.items()
        }
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in tp)
            raise ConfigError(source, key, f"must be one of {allowed}; got {value!r}") from None
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(source, key, f"expected a boolean (true/false), got {type(value).__name__} {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(source, key, f"expected an integer, got {type(value).__name__} {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            # YAML reads "1e-4" (no dot) as a string: accept a string that is a plain float literal.
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            raise ConfigError(source, key, f"expected a number, got {type(value).__name__} {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(source, key, f"expected a string, got {type(value).__name__} {value!r}")
        return value
    if tp is Path:
        if not isinstance(value, (str, Path)):
            raise ConfigError(source, key, f"expected a path string, got {type(value).__name__} {value!r}")
        if "://" in str(value):  # s3://, hf://, ...: Path() would fold "//" into "/"; fsspec (datatrove) reads these
            return str(value)
        p = Path(value).expanduser()
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        return p
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise ConfigError(source, key, f"expected {tp.__name__}, got {type(value).__name__} {value!r}")
    raise TypeError(f"unsupported annotation {tp!r} for {key}")


def _convert_dataclass(value: Any, cls: Any, key: str, source: str, base_dir: Path | None) -> Any:
    if dataclasses.is_dataclass(value) and isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise ConfigError(source, key, f"expected a mapping for {cls.__name__}, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in value if k not in fields]
    # A ``dict`` field with ``metadata={"extra_keys": lookup}`` takes the keys the dataclass does not declare:
    # ``lookup(name)`` returns the key's annotation or raises LookupError(reason) (e.g. a recipe's ``training``
    # section takes any transformers.TrainingArguments field).
    extra = next((f for f in fields.values() if f.metadata.get("extra_keys")), None)
    if unknown and extra is not None:
        given = dict(value.get(extra.name) or {})
        for name in unknown:
            try:
                annotation = extra.metadata["extra_keys"](name)
            except LookupError as exc:
                raise ConfigError(source, _join(key, name), exc.args[0]) from None
            try:
                given[name] = _convert(value[name], annotation, _join(key, name), source, base_dir)
            except TypeError:  # an annotation this loader does not know: the owner of the field validates it
                given[name] = value[name]
        value = {**{k: v for k, v in value.items() if k not in unknown}, extra.name: given}
        unknown = []
    if unknown:
        known = ", ".join(sorted(fields))
        raise ConfigError(source, _join(key, unknown[0]), f"unknown key for {cls.__name__} (known keys: {known})")
    kwargs = {}
    for name, field in fields.items():
        sub = _join(key, name)
        if name in value:
            kwargs[name] = _convert(value[name], hints[name], sub, source, base_dir)
            bounds = field.metadata.get("bounds")
            if bounds is not None and (problem := bounds.problem(kwargs[name])) is not None:
                raise ConfigError(source, sub, problem)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(source, sub, f"required key is missing ({cls.__name__}.{name}: {_type_name(hints[name])})")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # __post_init__ validation
        if isinstance(exc, ConfigError):
            if not exc.source:  # raised by __post_init__ with a key path of its own: name the file too
                raise ConfigError(source, _join(key, exc.key) if exc.key else key, exc.reason) from None
            raise
        raise ConfigError(source, key, str(exc)) from None
