"""Java: ``package`` declarations, ``import a.b.C``, ``import a.b.*``, ``import static a.b.C.m``, and
same-package use (classes of the own package need no import: a file uses those whose names it mentions).

Types are indexed by (package, name) from the file name (``C.java`` declares ``C``) and every
``class|interface|enum|record`` declaration. Wildcard imports add the package's types the file mentions.
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
            for name in _DECL.findall(code):
                index.add(package, name, i)
            parsed.append((package, code))
        return index, parsed

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        types, parsed = index
        package, code = parsed[i]
        idents = identifiers(code)
        for m in _IMPORT.finditer(code):
            static, name, star = m.group(1), m.group(2), m.group(3)
            if star and not static:
                hits = types.used_in(name, idents)
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
        yield from types.used_in(package, idents - {posixpath.splitext(posixpath.basename(file.path))[0]})
