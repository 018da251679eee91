"""C#: ``using N;`` → the files that declare, in namespace ``N``, a type this file mentions (the report's
"using" statements, resolved to files). The file's own namespace and its enclosing namespaces are in scope
without ``using`` (C# name lookup), ``using static N.T;`` and ``using A = N.T;`` name one type directly.
Block-scoped and file-scoped (``namespace N;``) declarations are both read; ``global using`` counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, SourceFile, TypeIndex
from .lexing import identifiers, strip_c_like

__all__ = ["CSharpExtractor"]

_NAMESPACE = re.compile(r"\bnamespace\s+([\w.]+)")
_USING = re.compile(r"^\s*(?:global\s+)?using\s+(static\s+)?(?:(\w+)\s*=\s*)?([\w.]+)\s*;", re.MULTILINE)
_DECL = re.compile(r"\b(?:class|struct|interface|enum|record|delegate\s+[\w<>\[\],. ]+?)\s+([A-Za-z_]\w*)")


def _enclosing(namespace: str) -> list[str]:
    parts = namespace.split(".") if namespace else []
    return [".".join(parts[:k]) for k in range(len(parts), -1, -1)]


class CSharpExtractor(DependencyExtractor):
    languages = frozenset({"c-sharp"})

    def build_index(self, files: Sequence[SourceFile]):
        index = TypeIndex()
        parsed = []
        for i, f in enumerate(files):
            code = strip_c_like(f.text, verbatim=True)
            spaces = _NAMESPACE.findall(code) or [""]
            # types are attributed to the first namespace that precedes them (enough for one-namespace files,
            # which is the C# convention; nested namespace blocks are rare)
            bounds = [(m.start(), m.group(1)) for m in _NAMESPACE.finditer(code)]
            for m in _DECL.finditer(code):
                ns = ""
                for start, name in bounds:
                    if start < m.start():
                        ns = name
                index.add(ns, m.group(1), i)
            parsed.append((spaces, code))
        return index, parsed

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        types, parsed = index
        spaces, code = parsed[i]
        idents = identifiers(code)
        for m in _USING.finditer(code):
            static, alias, name = m.group(1), m.group(2), m.group(3)
            if static or alias:
                ns, _, type_name = name.rpartition(".")
                files = types.get(ns, type_name)
                yield files[0] if files else None
                continue
            hits = types.used_in(name, idents)
            yield from hits if hits else (None,)
        for space in {s for own in spaces for s in _enclosing(own)}:
            yield from (j for j in types.used_in(space, idents) if j != i)
