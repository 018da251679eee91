"""JavaScript and TypeScript (one graph): ``import ... from "./x"``, ``import "./x"``, ``export ... from``,
``require("./x")``, ``import("./x")`` and TypeScript's ``import x = require("./x")``, read with tree-sitter
(regex and template literals make regular expressions wrong here). Relative specifiers resolve like Node and
TypeScript: the exact file, then with each known extension, then ``index.*`` inside the folder; a ``.js``
specifier may name a ``.ts`` source. Bare specifiers (packages) are ignored.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, PathIndex, SourceFile, normalize
from .lexing import node_text, ts_captures

__all__ = ["JavaScriptExtractor"]

_QUERY = """
(import_statement source: (string) @s)
(export_statement source: (string) @s)
(call_expression function: (identifier) @f arguments: (arguments . (string) @s))
(call_expression function: (import) arguments: (arguments . (string) @s))
"""
_TS_QUERY = _QUERY + "(import_require_clause source: (string) @s)\n"
_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


def _grammar(path: str, language: str) -> str:
    if path.endswith(".tsx"):
        return "tsx"
    return "typescript" if language == "typescript" else "javascript"


class JavaScriptExtractor(DependencyExtractor):
    languages = frozenset({"javascript", "typescript"})

    def build_index(self, files: Sequence[SourceFile]) -> PathIndex:
        return PathIndex(files)

    def references(self, i: int, file: SourceFile, index: PathIndex) -> Iterable[int | None]:
        grammar = _grammar(file.path, file.language)
        caps = ts_captures(grammar, file.text, _TS_QUERY if grammar != "javascript" else _QUERY)
        strings = caps.get("s", [])
        require_args = set()
        for f in caps.get("f", []):
            if node_text(f) == "require":
                require_args.add(f.parent.child_by_field_name("arguments").named_children[0].id)
        folder = posixpath.dirname(file.path)
        for node in strings:
            call = node.parent.parent if node.parent.type == "arguments" else None
            if call is not None and call.child_by_field_name("function").type == "identifier" and node.id not in require_args:
                continue  # a string argument of some other function: foo("./x")
            spec = node_text(node)[1:-1]
            if not spec.startswith("."):
                yield None
                continue
            yield self._resolve(normalize(posixpath.join(folder, spec)), index)

    @staticmethod
    def _resolve(base: str | None, index: PathIndex) -> int | None:
        if base is None:
            return None
        stem, ext = posixpath.splitext(base)
        candidates = [base] + [base + e for e in _EXTENSIONS]
        if ext in (".js", ".jsx", ".mjs", ".cjs"):
            candidates += [stem + e for e in (".ts", ".tsx", ".mts", ".cts")]
        candidates += [posixpath.join(base, "index" + e) for e in _EXTENSIONS]
        for cand in candidates:
            hit = index.get(cand)
            if hit is not None:
                return hit
        return None
