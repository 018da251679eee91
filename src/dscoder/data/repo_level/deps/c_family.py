"""C and C++ (one graph: C++ files include C headers): ``#include "x.h"`` is resolved against the including
file's folder, then the repository's include folders; ``#include <x.h>`` only against the include folders
(a compiler's ``-I``). Include folders: the repository root, every folder named ``include``, ``inc`` or
``src``, and the ``extra_include_dirs`` given. Build files (which give the real ``-I`` flags) are not read,
so as a last resort a quoted include resolves to the one file of the repository whose path ends with it.
Comments are stripped first: ``/* #include "x.h" */`` is no include.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, PathIndex, SourceFile, normalize
from .lexing import strip_c_like

__all__ = ["CFamilyExtractor"]

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.MULTILINE)
_INCLUDE_DIR_NAMES = frozenset({"include", "inc", "src"})


class CFamilyExtractor(DependencyExtractor):
    languages = frozenset({"c", "cpp", "cuda"})

    def __init__(self, extra_include_dirs: Sequence[str] = ()):
        self.extra_include_dirs = tuple(extra_include_dirs)

    def build_index(self, files: Sequence[SourceFile]):
        paths = PathIndex(files)
        dirs = {""}
        for f in files:
            parts = f.path.split("/")[:-1]
            for k, name in enumerate(parts):
                if name in _INCLUDE_DIR_NAMES:
                    dirs.add("/".join(parts[: k + 1]))
        dirs.update(self.extra_include_dirs)
        return paths, sorted(dirs, key=lambda d: (d.count("/"), d))

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        paths, include_dirs = index
        if "include" not in file.text:
            return
        code = strip_c_like(file.text, keep_strings=True)
        folder = posixpath.dirname(file.path)
        for m in _INCLUDE.finditer(code):
            quoted, target = m.group(1) == '"', m.group(2).strip()
            hit = paths.get(normalize(posixpath.join(folder, target))) if quoted else None
            for d in include_dirs:
                if hit is not None:
                    break
                hit = paths.get(normalize(posixpath.join(d, target)))
            if hit is None and quoted:
                hit = paths.unique_suffix(target)
            yield hit
