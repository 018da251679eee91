"""Python: ``import a.b``, ``from a.b import c``, relative ``from ..x import y``; packages and ``__init__``.

Resolution: every module file is indexed under all its dotted suffixes (``src/pkg/mod.py`` is ``src.pkg.mod``,
``pkg.mod`` and ``mod``) because the import root of a repository is unknown (``src/`` layouts, scripts run from
their folder). When a name matches several files (a name clash), the one whose import root is the closest
folder above the importing file wins, then the shallowest root. A folder holding an ``__init__.py`` is a
package, never an import root (Python 3 has no implicit relative imports), so ``import logging`` inside a
package does not resolve to its own ``logging.py``. Empty ``__init__.py`` files rarely reach this stage (the
filters drop empty files), so a folder whose modules use relative imports is a package too (``from ..x import y``
in ``a/b/c.py``: ``a/b`` and ``a``). An absolute import whose top name is a standard-library module
(``sys.stdlib_module_names``: ``import types``) stays the standard library unless the repository has that module
at an import root: the repository root or the folder holding a top-level package (``src/``); starlette's
``tests/types.py`` is not ``import types``. ``from p import n`` uses ``p/n.py`` (or
``p/n/__init__.py``) when ``n`` is a submodule, else ``p``'s own file (``p.py`` or ``p/__init__.py``).
Importing ``a.b.c`` (``import a.b.c``, ``from a.b import c``, ``from .b import c``) also runs the
``__init__.py`` of every package on the way (``a``, ``a.b``), so the file depends on those too, except on the
packages that contain the importing file itself (they are already being imported when it runs).
Imports inside functions and ``try`` blocks count; imports inside strings and comments do not.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, DependencyResult, SourceFile
from .lexing import strip_python

__all__ = ["PythonExtractor"]

_IMPORT = re.compile(r"(?:^|;)[ \t]*import[ \t]+([^\n;]+)", re.MULTILINE)
_FROM = re.compile(r"(?:^|;)[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n;]*)", re.MULTILINE)
_CONTINUATION = re.compile(r"\\\r?\n")
_SUFFIXES = (".py", ".pyi", ".pyw")
#: ``from .x import y`` / ``from .. import z`` at a statement start (dots captured): the file is in a package
_RELATIVE = re.compile(r"^[ \t]*from[ \t]+(\.+)", re.MULTILINE)
_STDLIB = frozenset(sys.stdlib_module_names)
_INIT_NAMES = ("__init__.py", "__init__.pyi")


def _ancestors(folder: str) -> Iterable[str]:
    """``a/b/c`` -> ``a/b/c``, ``a/b``, ``a`` (not the root)."""
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


def _module_parts(path: str) -> tuple[str, list[str]] | None:
    """``a/b/c.py`` -> (``a/b``, [a, b, c]); ``a/b/__init__.py`` -> (``a/b``, [a, b]) (package dir, parts)."""
    stem, ext = posixpath.splitext(path)
    if ext not in _SUFFIXES:
        return None
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return posixpath.dirname(path), parts


class _Index:
    def __init__(self, files: Sequence[SourceFile]):
        #: each file's code with strings and comments blanked and line continuations joined
        self.code = [_code(f.text) for f in files]
        # dotted name -> list of (root folder, file index)
        self.names: dict[str, list[tuple[str, int]]] = {}
        self.by_path: dict[str, int] = {}
        self.paths = [f.path for f in files]
        for i, f in enumerate(files):
            self.by_path[f.path] = i
            mp = _module_parts(f.path)
            if mp is None or not mp[1]:
                continue
            parts = mp[1]
            for k in range(len(parts)):
                self.names.setdefault(".".join(parts[k:]), []).append(("/".join(parts[:k]), i))
        # Python 3 never puts a package folder (one with an __init__) on sys.path, so an absolute import cannot
        # start inside one: ``import logging`` in ``accelerate/state.py`` is the standard library, not
        # ``accelerate/logging.py`` (Python 2's implicit relative imports are not modelled)
        packages = _packages(files, self.code)
        #: where a top-level module can be imported from: the root and each folder holding a top-level package
        import_roots = {""} | {posixpath.dirname(p) for p in packages
                               if not any(a in packages for a in _ancestors(posixpath.dirname(p)))}  # fmt: skip
        for name in list(self.names):
            top_level_stdlib = name.split(".", 1)[0] in _STDLIB
            kept = [c for c in self.names[name] if (c[0] == "" or c[0] not in packages)
                    and (not top_level_stdlib or c[0] in import_roots)]  # fmt: skip
            if kept:
                self.names[name] = kept
            else:
                del self.names[name]
        for cands in self.names.values():
            # .pyi stubs and .py modules may share a name: prefer .py (sorted later by root anyway)
            cands.sort(key=lambda c: (c[0].count("/") if c[0] else -1, c[0], files[c[1]].path.endswith(".pyi")))

    def lookup(self, dotted: str, importer_dir: str) -> int | None:
        cands = self.names.get(dotted)
        if not cands:
            return None
        if len(cands) == 1:
            return cands[0][1]
        best, best_depth = None, -2
        for root, i in cands:
            if root == "" or importer_dir == root or importer_dir.startswith(root + "/"):
                depth = root.count("/") if root else -1
                if depth > best_depth:
                    best, best_depth = i, depth
        return best if best is not None else cands[0][1]

    def files_path(self, i: int) -> str:
        return self.paths[i]

    def package_init(self, folder: str) -> int | None:
        """The ``__init__`` file of the package in ``folder`` (``None`` for a namespace package or the root)."""
        if not folder:
            return None
        i = self.by_path.get(folder + "/__init__.py")
        return i if i is not None else self.by_path.get(folder + "/__init__.pyi")

    def module_at(self, folder: str, name_parts: list[str]) -> int | None:
        """File of the module ``folder/name_parts`` (a ``.py`` file or a package ``__init__``)."""
        base = posixpath.join(folder, *name_parts) if name_parts else folder
        for cand in (base + ".py", base + ".pyi", posixpath.join(base, "__init__.py"), posixpath.join(base, "__init__.pyi")):
            cand = cand.removeprefix("/")
            i = self.by_path.get(cand)
            if i is not None:
                return i
        return None


def _code(text: str) -> str:
    code = strip_python(text)
    return _CONTINUATION.sub(" ", code) if "\\" in code else code


def _packages(files: Sequence[SourceFile], code: Sequence[str]) -> set[str]:
    """Folders that are packages: those holding an ``__init__`` file, and those a relative import shows to be
    one (its file's folder, and one folder up per extra dot)."""
    packages = {posixpath.dirname(f.path) for f in files if posixpath.basename(f.path) in _INIT_NAMES}
    for f, text in zip(files, code):
        folder = posixpath.dirname(f.path)
        dots = max((len(m.group(1)) for m in _RELATIVE.finditer(text)), default=0)
        for _ in range(dots):
            if not folder:
                break
            packages.add(folder)
            folder = posixpath.dirname(folder)
    packages.discard("")
    return packages


def _names(clause: str) -> list[str]:
    clause = clause.strip().strip("()")
    out = []
    for item in clause.split(","):
        item = item.strip().split()
        if item and item[0] != "*":
            out.append(item[0])
        elif item:
            out.append("*")
    return out


class PythonExtractor(DependencyExtractor):
    languages = frozenset({"python"})

    def build_index(self, files: Sequence[SourceFile]) -> _Index:
        return _Index(files)

    def extract(self, files: Sequence[SourceFile]) -> DependencyResult:
        """Edges as :meth:`DependencyExtractor.extract`; those from a package's ``__init__`` to a module inside the
        package (the module imports a name its package re-exports) are ``weak``: on a re-export cycle
        (``pkg/__init__.py`` imports from ``pkg/a.py``, which imports from ``pkg``) they give way to the modules'
        own imports."""
        result = super().extract(files)
        for b, a in result.edges:
            dependency = files[b].path
            if posixpath.basename(dependency) in _INIT_NAMES and _inside(posixpath.dirname(dependency), posixpath.dirname(files[a].path)):
                result.weak.append((b, a))
        return result

    def references(self, i: int, file: SourceFile, index: _Index) -> Iterable[int | None]:
        code = index.code[i]
        folder = posixpath.dirname(file.path)
        for m in _IMPORT.finditer(code):
            for item in m.group(1).split(","):
                name = item.strip().split(" ")[0].strip()
                if name and re.fullmatch(r"[\w.]+", name):
                    target = index.lookup(name, folder)
                    yield target
                    if target is not None:
                        yield from _package_inits(index, target, name.count("."), folder)
        for m in _FROM.finditer(code):
            dots, module, clause = m.group(1), m.group(2), m.group(3)
            names = _names(clause)
            if dots:
                yield from self._relative(file, len(dots), module, names, index)
                continue
            if not module:
                continue
            target = index.lookup(module, folder)
            submodules = [index.lookup(f"{module}.{n}", folder) for n in names if n != "*"]
            yield from _from_import(index, target, submodules, module.count(".") + 1, folder)

    @staticmethod
    def _relative(file: SourceFile, level: int, module: str, names: list[str], index: _Index) -> Iterable[int | None]:
        importer = folder = posixpath.dirname(file.path)
        for _ in range(level - 1):
            if not folder:
                yield None
                return
            folder = posixpath.dirname(folder)
        parts = module.split(".") if module else []
        target = index.module_at(folder, parts)
        submodules = [index.module_at(folder, parts + [n]) for n in names if n != "*"]
        yield from _from_import(index, target, submodules, len(parts), importer)


def _inside(folder: str, importer_dir: str) -> bool:
    """Whether the package in ``folder`` contains the importing file (it is then already being imported)."""
    return importer_dir == folder or importer_dir.startswith(folder + "/")


def _package_inits(index: _Index, target: int, levels: int, importer_dir: str) -> Iterable[int]:
    """The ``__init__`` files of the ``levels`` packages enclosing module file ``target`` (``a`` and ``a.b`` for
    ``a.b.c``), leaving out the packages that contain the importer."""
    path = index.files_path(target)
    folder = posixpath.dirname(path)
    if posixpath.basename(path).startswith("__init__."):
        folder = posixpath.dirname(folder)
    for _ in range(levels):
        if not folder:
            return
        if not _inside(folder, importer_dir):
            init = index.package_init(folder)
            if init is not None:
                yield init
        folder = posixpath.dirname(folder)


def _from_import(
    index: _Index, target: int | None, submodules: list[int | None], levels: int, importer_dir: str
) -> Iterable[int | None]:
    """``from X import n, ...``: the submodules ``X.n``; ``X`` itself when a name is defined there (not a
    submodule) or when ``X`` is a package the importer is not inside (its ``__init__`` runs first); and the
    packages above ``X``."""
    found = [s for s in submodules if s is not None]
    if target is not None:
        own_package = index.files_path(target).rsplit("/", 1)[-1].startswith("__init__.")
        runs_init = own_package and not _inside(posixpath.dirname(index.files_path(target)), importer_dir)
        if len(found) < len(submodules) or not submodules or runs_init:
            found.append(target)  # names defined in the module itself, or its package __init__
        found.extend(_package_inits(index, target, levels - 1 if levels else 0, importer_dir))
    yield from found if found else (None,)
