"""Go: import paths inside the module declared by ``go.mod`` (``module example.com/m``) name a package, i.e.
a folder; the importing file uses every non-test ``.go`` file of that folder. Read with tree-sitter (import
blocks, aliases, raw strings). ``go.mod`` files are looked up among all files the repository record carries;
without one, import paths are matched against the repository's folders by their longest suffix.
Files of the same package need no import and get no edge (they would all form one cycle).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, SourceFile
from .lexing import node_text, ts_captures

__all__ = ["GoExtractor"]

_QUERY = "(import_spec path: (_) @p)"
_MODULE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)


class GoExtractor(DependencyExtractor):
    languages = frozenset({"go"})

    def __init__(self, go_mod_files: dict[str, str] | None = None):
        #: path of each go.mod inside the repository -> its text (the stage passes them; see repo_level.stage)
        self.go_mod_files = go_mod_files or {}

    def build_index(self, files: Sequence[SourceFile]):
        packages: dict[str, list[int]] = {}
        for i, f in enumerate(files):
            if f.path.endswith(".go") and not f.path.endswith("_test.go"):
                packages.setdefault(posixpath.dirname(f.path), []).append(i)
        modules = []
        for path, text in self.go_mod_files.items():
            m = _MODULE.search(text)
            if m:
                modules.append((m.group(1), posixpath.dirname(path)))
        modules.sort(key=lambda m: -len(m[0]))
        return packages, modules

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        packages, modules = index
        own = posixpath.dirname(file.path)
        for node in ts_captures("go", file.text, _QUERY).get("p", []):
            spec = node_text(node)[1:-1]
            folder = self._folder(spec, packages, modules)
            if folder is None or folder == own:
                yield None if folder is None else i
                continue
            yield from packages[folder]

    @staticmethod
    def _folder(spec: str, packages: dict[str, list[int]], modules) -> str | None:
        for module, root in modules:
            if spec == module or spec.startswith(module + "/"):
                folder = posixpath.normpath(posixpath.join(root, spec[len(module) + 1 :])) if spec != module else root
                folder = "" if folder == "." else folder
                return folder if folder in packages else None
        if modules:
            return None
        matches = [d for d in packages if d and ("/" + spec).endswith("/" + d)]
        return max(matches, key=len) if matches else None
