"""What every dependency extractor shares: the file view, the result counts and path resolution helpers.

An extractor sees all files of one language family of one repository and names, for each file, the files of
the same repository it uses. References that resolve to no file of the repository (the standard library,
third-party packages, missing files) are counted as ``unresolved`` and otherwise ignored; a file that uses
itself is counted as a ``self_import`` and gives no edge (report §2.2: edge B → A when A uses B).
"""

from __future__ import annotations

import posixpath
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DependencyExtractor", "DependencyResult", "PathIndex", "SourceFile", "normalize", "without_bom"]


@dataclass(frozen=True)
class SourceFile:
    """One file of a repository: its ``/``-separated path inside the repository, text and language."""

    path: str
    text: str
    language: str


@dataclass
class DependencyResult:
    """Edges ``(b, a)`` (file ``a`` uses file ``b``; indices into the extractor's input) plus counts."""

    edges: list[tuple[int, int]] = field(default_factory=list)
    references: int = 0  # import/include/use references seen
    resolved: int = 0  # ... resolved to another file of the repository
    unresolved: int = 0  # ... to nothing in the repository (external or missing): ignored
    self_imports: int = 0  # ... to the file itself: ignored
    #: sets of files kept in one sample even where no edge joins them (the files of one Go package)
    groups: list[list[int]] = field(default_factory=list)
    #: edges (among ``edges``) that give way to the others inside an import cycle (a package ``__init__`` that a
    #: module of the same package imports while the ``__init__`` re-exports it)
    weak: list[tuple[int, int]] = field(default_factory=list)


class DependencyExtractor(ABC):
    """Base class: subclasses build a per-repository index once, then yield each file's references."""

    #: the languages whose files this extractor orders together (one graph per family and repository)
    languages: frozenset[str] = frozenset()

    def extract(self, files: Sequence[SourceFile]) -> DependencyResult:
        files = without_bom(files)
        result = DependencyResult()
        index = self.build_index(files)
        seen: set[tuple[int, int]] = set()
        for i, f in enumerate(files):
            for target in self.references(i, f, index):
                result.references += 1
                if target is None:
                    result.unresolved += 1
                elif target == i:
                    result.self_imports += 1
                else:
                    result.resolved += 1
                    if (target, i) not in seen:
                        seen.add((target, i))
                        result.edges.append((target, i))
        return result

    @abstractmethod
    def build_index(self, files: Sequence[SourceFile]) -> Any:
        """Whatever lookup structure :meth:`references` needs (built once per repository)."""

    @abstractmethod
    def references(self, i: int, file: SourceFile, index: Any) -> Iterable[int | None]:
        """For file ``i``: the index of each file it uses, ``None`` for a reference that does not resolve."""


def without_bom(files: Sequence[SourceFile]) -> Sequence[SourceFile]:
    """``files`` with a leading byte-order mark removed from their text: editors on Windows write one, and the
    statement patterns anchored at a line start would miss a file's first ``using``/``import``/``package``."""
    if not any(f.text.startswith("\ufeff") for f in files):
        return files
    return [SourceFile(f.path, f.text[1:], f.language) if f.text.startswith("\ufeff") else f for f in files]


def normalize(path: str) -> str | None:
    """``posixpath.normpath`` that returns ``None`` for paths escaping the repository root."""
    p = posixpath.normpath(path)
    if p.startswith(("../", "/")) or p == "..":
        return None
    return p


class PathIndex:
    """Path → file index lookups, plus a unique-suffix fallback (``foo/bar.h`` → ``third_party/foo/bar.h``)."""

    def __init__(self, files: Sequence[SourceFile]):
        self.by_path = {f.path: i for i, f in enumerate(files)}
        self._by_name: dict[str, list[int]] = {}
        for i, f in enumerate(files):
            self._by_name.setdefault(posixpath.basename(f.path), []).append(i)
        self.files = files

    def get(self, path: str | None) -> int | None:
        if path is None:
            return None
        return self.by_path.get(path)

    def unique_suffix(self, rel: str) -> int | None:
        """The one file whose path ends with ``/rel`` (``None`` when there are none or several)."""
        rel = rel.lstrip("./")
        cands = [i for i in self._by_name.get(posixpath.basename(rel), ()) if ("/" + self.files[i].path).endswith("/" + rel)]
        return cands[0] if len(cands) == 1 else None


class TypeIndex:
    """(namespace, type name) → files declaring it, for languages that import types by namespace (Java, C#)."""

    def __init__(self):
        self.types: dict[tuple[str, str], list[int]] = {}
        self.by_namespace: dict[str, dict[str, list[int]]] = {}

    def add(self, namespace: str, name: str, i: int) -> None:
        files = self.types.setdefault((namespace, name), [])
        if i not in files:
            files.append(i)
            self.by_namespace.setdefault(namespace, {}).setdefault(name, []).append(i)

    def get(self, namespace: str, name: str) -> list[int]:
        return self.types.get((namespace, name), [])

    def used_in(self, namespace: str, idents: set[str]) -> list[int]:
        """Files declaring, in ``namespace``, a type whose simple name is among ``idents``."""
        names = self.by_namespace.get(namespace, {})
        if len(names) < len(idents):
            return [i for name, files in names.items() if name in idents for i in files]
        return [i for name in idents if name in names for i in names[name]]
