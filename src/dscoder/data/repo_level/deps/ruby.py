"""Ruby: ``require_relative "x"`` (relative to the requiring file), ``require "x"`` / ``load "x.rb"``
(resolved against the repository's ``lib/`` folders and root, as ``$LOAD_PATH`` usually has them). A missing
``.rb`` extension is added. Read with tree-sitter (method calls with or without parentheses).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, PathIndex, SourceFile, normalize
from .lexing import node_text, ts_captures

__all__ = ["RubyExtractor"]

_QUERY = "(call method: (identifier) @m arguments: (argument_list . (string) @s))"
_METHODS = frozenset({"require", "require_relative", "load"})


class RubyExtractor(DependencyExtractor):
    languages = frozenset({"ruby"})

    def build_index(self, files: Sequence[SourceFile]):
        libs = sorted({p[: p.index("lib/") + 3] for p in (f.path for f in files) if p.startswith("lib/") or "/lib/" in p})
        return PathIndex(files), libs + [""]

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        paths, load_path = index
        caps = ts_captures("ruby", file.text, _QUERY)
        for method, arg in zip(caps.get("m", []), caps.get("s", [])):
            name = node_text(method)
            if name not in _METHODS:
                continue
            spec = "".join(node_text(c) for c in arg.named_children if c.type == "string_content")
            if not spec:
                yield None
                continue
            if not spec.endswith(".rb"):
                spec += ".rb"
            if name == "require_relative":
                yield paths.get(normalize(posixpath.join(posixpath.dirname(file.path), spec)))
                continue
            hit = None
            for root in load_path:
                hit = paths.get(normalize(posixpath.join(root, spec)))
                if hit is not None:
                    break
            yield hit
