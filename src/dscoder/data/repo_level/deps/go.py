"""Go: import paths inside the module declared by ``go.mod`` (``module example.com/m``) name a package, i.e.
a folder; the importing file uses every non-test ``.go`` file of that folder. Read with tree-sitter (import
blocks, aliases, raw strings). ``go.mod`` files are manifests the stage carries beside the training files
(they are never samples); without one, import paths are matched against the repository's folders by their
longest suffix.

An external test package (``package cli_test`` beside ``package cli``) imports the package of its own folder like
any other. Files of one package (same folder, same ``package`` clause) need no import: a file uses the files of its
package that declare a top-level name it mentions (``func``, ``type``, ``const``, ``var``), and the files of a
package are kept in one sample even where they share no name (:attr:`DependencyResult.groups`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, DependencyResult, SourceFile, without_bom
from .lexing import identifiers, node_text, ts_captures

__all__ = ["GoExtractor"]

_QUERY = """
(import_spec path: (_) @p)
(source_file (package_clause (package_identifier) @pkg))
(source_file (function_declaration name: (identifier) @d))
(source_file (type_declaration (type_spec name: (type_identifier) @d)))
(source_file (type_declaration (type_alias name: (type_identifier) @d)))
(source_file (const_declaration (const_spec) @s))
(source_file (var_declaration (var_spec) @s))
(source_file (var_declaration (var_spec_list (var_spec) @s)))
"""
_PACKAGE = re.compile(r"^\s*package\s+(\w+)", re.MULTILINE)
_MODULE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)
_STRIP = re.compile(r"""//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`[^`]*`""", re.DOTALL)


class GoExtractor(DependencyExtractor):
    languages = frozenset({"go"})

    def __init__(self, go_mod_files: dict[str, str] | None = None):
        #: path of each go.mod inside the repository -> its text (manifests carried by the stage)
        self.go_mod_files = go_mod_files or {}

    def extract(self, files: Sequence[SourceFile]) -> DependencyResult:
        files = without_bom(files)
        result = super().extract(files)
        packages: dict[tuple[str, str], list[int]] = {}
        for i, f in enumerate(files):
            m = _PACKAGE.search(_STRIP.sub(" ", f.text))
            packages.setdefault((posixpath.dirname(f.path), m.group(1) if m else ""), []).append(i)
        result.groups = [members for members in packages.values() if len(members) > 1]
        return result

    def build_index(self, files: Sequence[SourceFile]):
        packages: dict[str, list[int]] = {}
        parsed = []
        declared: dict[tuple[str, str], dict[str, list[int]]] = {}  # (folder, package) -> name -> files
        for i, f in enumerate(files):
            caps = ts_captures("go", f.text, _QUERY)
            package = node_text(caps["pkg"][0]) if caps.get("pkg") else ""
            names = {node_text(n) for n in caps.get("d", ())}
            for spec in caps.get("s", ()):
                names.update(node_text(n) for n in spec.children_by_field_name("name") if n.type == "identifier")
            names.discard("_")
            names.discard("init")  # init functions cannot be referred to
            names.discard("main")
            folder = posixpath.dirname(f.path)
            by_name = declared.setdefault((folder, package), {})
            for name in names:
                by_name.setdefault(name, []).append(i)
            parsed.append((package, [node_text(n)[1:-1] for n in caps.get("p", ())]))
            if f.path.endswith(".go") and not f.path.endswith("_test.go"):
                packages.setdefault(folder, []).append(i)
        modules = []
        for path, text in self.go_mod_files.items():
            m = _MODULE.search(text)
            if m:
                modules.append((m.group(1), posixpath.dirname(path)))
        modules.sort(key=lambda m: -len(m[0]))
        return packages, modules, parsed, declared

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        packages, modules, parsed, declared = index
        own = posixpath.dirname(file.path)
        package, specs = parsed[i]
        for spec in specs:
            folder = self._folder(spec, packages, modules)
            if folder is None:
                yield None
            elif folder == own and not package.endswith("_test"):
                yield i  # a package importing itself (Go refuses it)
            else:  # another package, or the package under test of an external test package (``cli_test``)
                yield from packages[folder]
        by_name = declared.get((own, package), {})
        for name in sorted(identifiers(_STRIP.sub(" ", file.text)) & by_name.keys()):
            yield from (j for j in by_name[name] if j != i)

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
