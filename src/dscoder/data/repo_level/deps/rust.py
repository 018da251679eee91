"""Rust: ``mod name;`` (the module file ``name.rs`` or ``name/mod.rs`` beside the declaring module) and
``use crate::a::b::{C, d::E}`` / ``use super::x`` / ``use self::x`` (the longest module prefix of each path
that is a file of the crate). Use-trees are read from tree-sitter's parse (nested braces, ``as`` aliases,
globs). The crate root is the closest ``lib.rs`` or ``main.rs`` in a folder above the file (a ``src/`` folder
by Cargo's convention); external crates are ignored.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, PathIndex, SourceFile
from .lexing import node_text, ts_captures

__all__ = ["RustExtractor"]

_QUERY = """
(mod_item name: (identifier) @mod) @item
(use_declaration argument: (_) @use)
"""


def _expand(node) -> list[list[str]]:
    """All paths (as segment lists) of a use-tree node."""
    t = node.type
    if t in ("identifier", "crate", "super", "self", "metavariable"):
        return [[node_text(node)]]
    if t == "scoped_identifier":
        path = node.child_by_field_name("path")
        head = _expand(path) if path is not None else [[]]
        return [h + [node_text(node.child_by_field_name("name"))] for h in head]
    if t == "use_as_clause":
        return _expand(node.child_by_field_name("path"))
    if t == "use_wildcard":
        inner = node.named_children[0] if node.named_children else None
        return _expand(inner) if inner is not None else []
    if t == "scoped_use_list":
        path = node.child_by_field_name("path")
        head = _expand(path) if path is not None else [[]]
        tails = _expand(node.child_by_field_name("list"))
        return [h + tl for h in head for tl in tails]
    if t == "use_list":
        return [p for child in node.named_children for p in _expand(child)]
    return []


class RustExtractor(DependencyExtractor):
    languages = frozenset({"rust"})

    def build_index(self, files: Sequence[SourceFile]) -> PathIndex:
        return PathIndex(files)

    @staticmethod
    def _module_dir(path: str) -> str:
        """Folder holding the child modules of the module defined by ``path``."""
        folder, name = posixpath.split(path)
        if name in ("lib.rs", "main.rs", "mod.rs"):
            return folder
        return posixpath.join(folder, name[:-3])

    @staticmethod
    def _crate_root(path: str, index: PathIndex) -> str:
        folder = posixpath.dirname(path)
        while True:
            if index.get(posixpath.join(folder, "lib.rs")) is not None or index.get(posixpath.join(folder, "main.rs")) is not None:
                return folder
            if not folder:
                return ""
            folder = posixpath.dirname(folder)

    @staticmethod
    def _module_file(folder: str, segments: list[str], index: PathIndex) -> int | None:
        """File of the longest prefix of ``segments`` that is a module below ``folder``."""
        for k in range(len(segments), 0, -1):
            base = posixpath.join(folder, *segments[:k])
            hit = index.get(base + ".rs")
            if hit is None:
                hit = index.get(posixpath.join(base, "mod.rs"))
            if hit is not None:
                return hit
        return None

    def references(self, i: int, file: SourceFile, index: PathIndex) -> Iterable[int | None]:
        caps = ts_captures("rust", file.text, _QUERY)
        mod_dir = self._module_dir(file.path)
        for item, name in zip(caps.get("item", []), caps.get("mod", [])):
            if item.child_by_field_name("body") is None:
                yield self._module_file(mod_dir, [node_text(name)], index)
        for use in caps.get("use", []):
            for path in _expand(use):
                if not path:
                    continue
                head, rest = path[0], path[1:]
                if head == "crate":
                    root = self._crate_root(file.path, index)
                    yield self._module_file(root, rest, index) if rest else None
                elif head == "self":
                    yield self._module_file(mod_dir, rest, index) if rest else None
                elif head == "super":
                    parent = posixpath.dirname(mod_dir)
                    while rest and rest[0] == "super":
                        parent, rest = posixpath.dirname(parent), rest[1:]
                    hit = self._module_file(parent, rest, index) if rest else None
                    if hit is None:  # the parent module itself
                        hit = self._module_file(posixpath.dirname(parent), [posixpath.basename(parent)], index) or index.get(
                            posixpath.join(parent, "mod.rs")
                        ) or index.get(posixpath.join(parent, "lib.rs")) or index.get(posixpath.join(parent, "main.rs"))
                    yield hit
                else:
                    yield None  # an external crate or a name in scope
