"""Java: ``package`` declarations, ``import a.b.C``, ``import a.b.*``, ``import static a.b.C.m``, and
same-package use (classes of the own package need no import: a file uses those whose names it mentions).

Types are indexed by (package, name) from the file name (``C.java`` declares ``C``) and every top-level
``class|interface|enum|record`` declaration. Nested types (``Outer.Builder``) are not package-level names: a
file mentioning ``Builder`` uses its own or an imported ``Builder``, not every nested ``Builder`` of its package
(``import a.b.Outer.Builder`` resolves to ``Outer``'s file). Scoping follows the language: names declared in
the file and single-type imports (``import java.util.regex.Pattern``) shadow same-package types, which in turn
shadow wildcard imports; wildcard imports add the named package's types the file mentions.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, SourceFile, TypeIndex
from .lexing import identifiers, strip_c_like

__all__ = ["JavaExtractor"]

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)
_IMPORT = re.compile(r"^\s*import\s+(static\s+)?([\w.]+)(\s*\.\s*\*)?\s*;", re.MULTILINE)
_DECL = re.compile(r"\b(?:class|interface|enum|record)\s+([A-Za-z_]\w*)")
_BRACE = re.compile(r"[{}]")


def _declarations(code: str) -> tuple[list[str], set[str]]:
    """Top-level type names of a (comment- and string-stripped) file, and all type names it declares."""
    braces = [(m.start(), 1 if m.group() == "{" else -1) for m in _BRACE.finditer(code)]
    top, every = [], set()
    depth, k = 0, 0
    for m in _DECL.finditer(code):
        while k < len(braces) and braces[k][0] < m.start():
            depth += braces[k][1]
            k += 1
        every.add(m.group(1))
        if depth <= 0:
            top.append(m.group(1))
    return top, every


class JavaExtractor(DependencyExtractor):
    languages = frozenset({"java"})

    def build_index(self, files: Sequence[SourceFile]):
        index = TypeIndex()
        parsed = []
        for i, f in enumerate(files):
            code = strip_c_like(f.text)
            m = _PACKAGE.search(code)
            package = m.group(1) if m else ""
            index.add(package, posixpath.splitext(posixpath.basename(f.path))[0], i)
            top, declared = _declarations(code)
            for name in top:
                index.add(package, name, i)
            parsed.append((package, code, declared))
        return index, parsed

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        types, parsed = index
        package, code, declared = parsed[i]
        idents = identifiers(code)
        imports = [(m.group(1), m.group(2), m.group(3)) for m in _IMPORT.finditer(code)]
        # single-type imports and the file's own declarations shadow same-package names
        shadowing = declared | {name.rsplit(".", 1)[-1] for static, name, star in imports if not star and not static}
        own = posixpath.splitext(posixpath.basename(file.path))[0]
        package_names = idents - shadowing - {own}
        same_package = types.by_namespace.get(package, {})
        for static, name, star in imports:
            if star and not static:
                # same-package types shadow on-demand imports
                hits = types.used_in(name, package_names - same_package.keys()) if name != package else []
                yield from hits if hits else (None,)
                continue
            parts = name.split(".")
            # a.b.C, a.b.C.Inner, or (static) a.b.C.member: the longest prefix that names a type of the repo
            hit = None
            for k in range(len(parts) - 1, 0, -1):
                files = types.get(".".join(parts[:k]), parts[k])
                if files:
                    hit = files[0]
                    break
            yield hit
        yield from types.used_in(package, package_names)
