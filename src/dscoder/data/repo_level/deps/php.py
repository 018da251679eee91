"""PHP: ``use A\\B\\C;`` (also grouped ``use A\\{B, C}``) → the file declaring class/interface/trait/enum ``C``
in namespace ``A\\B``; ``require``/``include`` (``_once``) of a literal path, optionally ``__DIR__ . '/x.php'``,
resolved against the including file's folder then the repository root. Read with tree-sitter.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, PathIndex, SourceFile, TypeIndex, normalize
from .lexing import node_text, ts_captures

__all__ = ["PhpExtractor"]

_DECLS = """
(namespace_definition name: (namespace_name) @ns)
(class_declaration name: (name) @t)
(interface_declaration name: (name) @t)
(trait_declaration name: (name) @t)
(enum_declaration name: (name) @t)
"""
_REFS = """
(namespace_use_declaration) @use
(require_expression) @inc
(require_once_expression) @inc
(include_expression) @inc
(include_once_expression) @inc
"""


def _literal(node) -> str | None:
    """The text of a literal string node, ``__DIR__ . 'x'`` as ``./x``, else ``None``."""
    if node.type in ("string", "encapsed_string"):
        return "".join(node_text(c) for c in node.named_children if c.type == "string_content") or None
    if node.type == "parenthesized_expression" and node.named_children:
        return _literal(node.named_children[0])
    if node.type == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and node_text(left) == "__DIR__":
            inner = _literal(right)
            return "./" + inner.lstrip("/") if inner else None
    return None


def _string_of(node) -> str | None:
    """The literal path of an include expression (``'x.php'`` or ``__DIR__ . '/x.php'``)."""
    for child in node.named_children:
        found = _literal(child)
        if found:
            return found
    return None


class PhpExtractor(DependencyExtractor):
    languages = frozenset({"php"})

    def build_index(self, files: Sequence[SourceFile]):
        types = TypeIndex()
        for i, f in enumerate(files):
            caps = ts_captures("php", f.text, _DECLS)
            ns = node_text(caps["ns"][0]).strip("\\") if caps.get("ns") else ""
            for t in caps.get("t", []):
                types.add(ns, node_text(t), i)
        return types, PathIndex(files)

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        types, paths = index
        caps = ts_captures("php", file.text, _REFS)
        for use in caps.get("use", []):
            prefix = ""
            group = None
            for child in use.named_children:
                if child.type == "namespace_name":
                    prefix = node_text(child).strip("\\")
                elif child.type == "namespace_use_group":
                    group = child
            clauses = group.named_children if group is not None else [c for c in use.named_children if c.type == "namespace_use_clause"]
            for clause in clauses:
                names = [c for c in clause.named_children if c.type in ("qualified_name", "name")]
                if not names:
                    continue
                full = node_text(names[0]).strip("\\")
                if prefix:
                    full = prefix + "\\" + full
                ns, _, name = full.rpartition("\\")
                hits = types.get(ns, name)
                yield hits[0] if hits else None
        folder = posixpath.dirname(file.path)
        for inc in caps.get("inc", []):
            target = _string_of(inc)
            if not target:
                yield None
                continue
            hit = paths.get(normalize(posixpath.join(folder, target)))
            if hit is None:
                hit = paths.get(normalize(target))
            yield hit
