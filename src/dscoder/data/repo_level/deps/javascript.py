"""JavaScript and TypeScript (one graph): ``import ... from "./x"``, ``import "./x"``, ``export ... from``,
``require("./x")``, ``import("./x")`` and TypeScript's ``import x = require("./x")``, read with tree-sitter
(regex and template literals make regular expressions wrong here). Relative specifiers resolve like Node and
TypeScript: the exact file, then with each known extension, then the folder: its ``package.json``'s ``main``
(when the stage carried the manifest) or its ``index.*``. Folders include the repository root (``require('..')``,
``'../'``, ``'./'``). A ``.js`` specifier may name a ``.ts`` source. Bare specifiers (packages) are ignored.
"""

from __future__ import annotations

import json
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

    def __init__(self, package_json_files: dict[str, str] | None = None):
        #: path of each package.json inside the repository -> its text (carried by the stage as a manifest)
        self.package_json_files = package_json_files or {}

    def build_index(self, files: Sequence[SourceFile]):
        mains = {}
        for path, text in self.package_json_files.items():
            try:
                main = json.loads(text).get("main")
            except (ValueError, AttributeError):
                continue  # not a JSON object: resolve the folder by its index file
            if isinstance(main, str) and main:
                target = normalize(posixpath.join(posixpath.dirname(path), main))
                if target is not None:
                    mains[_folder_key(posixpath.dirname(path))] = "" if target == "." else target
        return PathIndex(files), mains

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        paths, mains = index
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
            yield self._resolve(normalize(posixpath.join(folder, spec)), spec.endswith("/"), paths, mains)

    @staticmethod
    def _resolve(base: str | None, folder_only: bool, index: PathIndex, mains: dict[str, str]) -> int | None:
        if base is None:
            return None
        base = _folder_key(base)  # "." (the repository root) -> ""
        candidates = []
        if base and not folder_only:
            stem, ext = posixpath.splitext(base)
            candidates += [base] + [base + e for e in _EXTENSIONS]
            if ext in (".js", ".jsx", ".mjs", ".cjs"):
                candidates += [stem + e for e in (".ts", ".tsx", ".mts", ".cts")]
        main = mains.get(base)
        if main:
            candidates += [main] + [main + e for e in _EXTENSIONS]
            candidates += [posixpath.join(main, "index" + e) for e in _EXTENSIONS]
        candidates += [posixpath.join(base, "index" + e) for e in _EXTENSIONS]
        for cand in candidates:
            hit = index.get(cand)
            if hit is not None:
                return hit
        return None


def _folder_key(folder: str) -> str:
    return "" if folder in (".", "") else folder
