"""True dependency edges of a repository, from checkers independent of dscoder's extractors.

    .venv/bin/python bench/dependency_truth.py REPO_DIR [--language python|go|c-sharp|javascript] [--edges]

The benchmarks score dependency order against these edges (``dscoder.data.repo_level.quality.order_quality``).
Each checker reads the language the way its toolchain does, with other means than the extractor it checks:

* Python: the interpreter's own ``ast``, with the import semantics of ``import a.b.c`` (runs ``a``, ``a.b`` and
  ``a.b.c``), ``from X import n`` (``X``, and ``X.n`` when that is a submodule), relative imports, and the
  packages that contain the importing file (already running: no new dependency). Absolute names resolve from the
  real import roots, known from the whole file tree (empty ``__init__.py`` files included): the repository root,
  each folder holding a top-level package, and a script's own folder; a standard-library name resolves to the
  repository only from the root or the script's folder (they precede the standard library on ``sys.path``).
* Go: ``go.mod`` module paths and the import declarations (a scanner of Go's import grammar); importing a
  package uses each of its non-test files. Cross-package edges only (a package's files share one sample).
* C#: tree-sitter's full C# parse (preprocessor lines removed, every branch kept): top-level type declarations (types and delegates directly in a namespace),
  ``using`` directives, the file's namespaces, and the identifiers it mentions outside declaration names; a file
  uses the files declaring a mentioned type of a namespace in scope, within the projects its ``*.csproj`` sees.
* Java: tree-sitter's full Java parse: package, single-type / on-demand / static imports, top-level type
  declarations and the identifiers a file mentions; imported types and the types of the own package it mentions.
* C/C++: GCC's preprocessor (``gcc -MM -MG -H``): the headers each file opens directly, with ``-I`` the root and the
  folders named ``include`` / ``src`` (build files are not read, so a project's other ``-I`` flags are missing).
* JavaScript/TypeScript: ``import``/``export ... from``/``require``/``import()`` specifiers with Node's resolution
  (extensions, ``index`` files, ``package.json`` ``main``, the package's own name, ``.js`` written for ``.ts``).

Edges are ``(dependency, user)`` path pairs, relative to the repository folder.
"""

from __future__ import annotations

import argparse
import ast
import json
import posixpath
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "ast_import_edges",
    "c_true_edges",
    "csharp_true_edges",
    "go_true_edges",
    "java_true_edges",
    "javascript_true_edges",
    "python_true_edges",
    "true_edges",
]

_SKIP_DIRS = {".git", "node_modules", "vendor", "__pycache__", ".venv", "bin", "obj"}


def _files(root: Path, suffixes: tuple[str, ...]) -> list[str]:
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and p.name.endswith(suffixes) and not (set(rel.parts[:-1]) & _SKIP_DIRS):
            out.append(rel.as_posix())
    return out


def _read(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------------- Python
def _python_file_edges(root: Path, path: str, package_parts: list[str], module_file: Callable) -> set[str]:
    """Files that the imports of ``path`` run (see the module docstring); ``package_parts``: its package chain
    from its import root."""
    own = {".".join(package_parts[:k]) for k in range(1, len(package_parts) + 1)}
    try:
        tree = ast.parse(_read(root, path))
    except (SyntaxError, ValueError):
        return set()
    targets: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets |= _imported(alias.name, None, own, module_file)
        elif isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if not node.level:
                if node.module:
                    targets |= _imported(node.module, names, own, module_file)
                continue
            if node.level - 1 > len(package_parts):
                continue
            base = package_parts[: len(package_parts) - (node.level - 1)]
            dotted = ".".join(base + (node.module.split(".") if node.module else []))
            if dotted:
                targets |= _imported(dotted, names, own, module_file)
    return {t for t in targets if t is not None and t != path}


def _imported(dotted: str, names: list[str] | None, own: set[str], module_file) -> set[str | None]:
    """Files that ``import dotted`` (``names`` None) or ``from dotted import names`` runs; ``own``: the packages
    containing the importing file."""
    chain = dotted.split(".")
    targets = {module_file(".".join(chain[:k])) for k in range(1, len(chain)) if ".".join(chain[:k]) not in own}
    module = module_file(dotted)
    if names is None:
        return targets | {module}
    subs = [module_file(f"{dotted}.{n}") for n in names if n != "*"]
    targets.update(subs)
    runs_init = module is not None and module.endswith("/__init__.py") and dotted not in own
    if not subs or None in subs or runs_init:
        targets.add(module)
    return targets


def ast_import_edges(site: Path, package: str) -> tuple[list[str], set[tuple[str, str]]]:
    """The ``.py`` files of an installed package (paths relative to ``site``) and its true import edges, with
    ``site`` the only import root."""
    files = sorted(p.relative_to(site).as_posix() for p in (site / package).rglob("*.py"))
    known = set(files)

    def module_file(dotted: str) -> str | None:
        base = dotted.replace(".", "/")
        return next((c for c in (base + ".py", base + "/__init__.py") if c in known), None)

    edges = set()
    for path in files:
        edges.update((t, path) for t in _python_file_edges(site, path, path[:-3].split("/")[:-1], module_file))
    return files, edges


def python_true_edges(root: Path) -> tuple[list[str], set[tuple[str, str]]]:
    """The ``.py`` files of a repository and its true import edges (import roots from the whole tree)."""
    files = _files(root, (".py",))
    known = set(files)
    packages = {posixpath.dirname(f) for f in files if posixpath.basename(f) == "__init__.py"}

    def package_root(folder: str) -> str | None:
        """The import root above ``folder``'s outermost package (``None``: ``folder`` is in no package)."""
        top = None
        while folder in packages:
            top = folder
            folder = posixpath.dirname(folder)
        return None if top is None else posixpath.dirname(top)

    roots = sorted({r for r in (package_root(p) for p in packages) if r is not None} | {""})
    stdlib = set(sys.stdlib_module_names)
    edges = set()
    for path in files:
        folder = posixpath.dirname(path)
        own_root = package_root(folder)
        script = own_root is None
        own_root = folder if script else own_root
        search = [own_root] + [r for r in roots if r != own_root]

        def module_file(dotted: str, search=search, own_root=own_root, script=script) -> str | None:
            base = dotted.replace(".", "/")
            allowed = search
            if dotted.split(".")[0] in stdlib:  # the standard library precedes every root but these
                allowed = [r for r in search if r == "" or (script and r == own_root)]
            for r in allowed:
                stem = f"{r}/{base}" if r else base
                hit = next((c for c in (stem + ".py", stem + "/__init__.py") if c in known), None)
                if hit is not None:
                    return hit
            return None

        rel = path[len(own_root) + 1:] if own_root else path
        edges.update((t, path) for t in _python_file_edges(root, path, rel[:-3].split("/")[:-1], module_file))
    return files, edges


# -------------------------------------------------------------------------------------------------------- Go
_GO_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_GO_RAW_OR_STRING = re.compile(r'`[^`]*`|"(?:\\.|[^"\\\n])*"')
_GO_IMPORT_BLOCK = re.compile(r"\bimport\s*\(([^)]*)\)")
_GO_IMPORT_ONE = re.compile(r'\bimport\s+(?:[\w.]+\s+)?"([^"]+)"')
_GO_SPEC = re.compile(r'(?:[\w.]+\s+)?"([^"]+)"')
_GO_MODULE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)


def _go_imports(text: str) -> list[str]:
    """Import paths of a Go file: the import declarations come before any other declaration."""
    text = _GO_COMMENT.sub(" ", text)
    head = re.split(r"^\s*(?:func|type|var|const)\b", text, maxsplit=1, flags=re.MULTILINE)[0]
    out = [m.group(1) for m in _GO_IMPORT_ONE.finditer(head)]
    for block in _GO_IMPORT_BLOCK.finditer(head):
        out += [m.group(1) for m in _GO_SPEC.finditer(block.group(1))]
    return out


def go_true_edges(root: Path) -> tuple[list[str], set[tuple[str, str]]]:
    files = _files(root, (".go",))
    modules = {}
    for mod in _files(root, ("go.mod",)):
        m = _GO_MODULE.search(_read(root, mod))
        if m:
            modules[m.group(1).strip('"')] = posixpath.dirname(mod)
    by_dir: dict[str, list[str]] = {}
    for f in files:
        if not f.endswith("_test.go"):
            by_dir.setdefault(posixpath.dirname(f), []).append(f)
    edges = set()
    for f in files:
        for path in _go_imports(_read(root, f)):
            module = max((m for m in modules if path == m or path.startswith(m + "/")), key=len, default=None)
            if module is None:
                continue
            folder = posixpath.normpath(posixpath.join(modules[module], path[len(module):].lstrip("/"))).lstrip("./")
            folder = "" if folder == "." else folder
            edges.update((g, f) for g in by_dir.get(folder, ()) if g != f)
    return files, edges


# -------------------------------------------------------------------------------------------------------- C#
_CS_TYPES = {"class_declaration", "struct_declaration", "interface_declaration", "enum_declaration",
             "record_declaration", "record_struct_declaration", "delegate_declaration"}  # fmt: skip
_CS_NAMESPACES = {"namespace_declaration", "file_scoped_namespace_declaration"}
_CS_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(?:if|elif|else|endif|region|endregion|define|undef|pragma|nullable)\b[^\n]*",
                           re.MULTILINE)
_CS_REFERENCE = re.compile(r"<ProjectReference\s+Include\s*=\s*\"([^\"]+)\"", re.IGNORECASE)


def _cs_parse(text: str):
    """(top-level types as (namespace, name), namespaces, usings, mentioned identifiers) of one C# file."""
    from tree_sitter_language_pack import get_parser

    text = _CS_DIRECTIVE.sub("", text)  # every branch of #if/#else kept: the parse sees plain declarations
    tree = get_parser("csharp").parse(text.encode("utf-8", "surrogatepass"))
    types, namespaces, usings, mentioned = [], [], [], set()
    declared_names = set()

    def walk(node, namespace: str, top: bool):
        kind = node.type
        if kind in _CS_NAMESPACES:
            name = node.child_by_field_name("name")
            inner = f"{namespace}.{name.text.decode()}" if namespace else name.text.decode()
            namespaces.append(inner)
            for child in node.children:
                walk(child, inner, True)
            return inner if kind == "file_scoped_namespace_declaration" else namespace
        if kind == "using_directive":
            usings.append(node)
            return namespace
        if kind in _CS_TYPES:
            name = node.child_by_field_name("name")
            if name is not None:
                declared_names.add(id(name))
                if top:
                    types.append((namespace, name.text.decode()))
            for child in node.children:
                walk(child, namespace, False)
            return namespace
        if kind == "identifier":
            parent = node.parent
            if parent is not None and parent.child_by_field_name("name") == node and parent.type not in (
                    "generic_name", "qualified_name", "member_access_expression"):
                return namespace  # the name a declaration introduces (method, parameter, variable, ...)
            mentioned.add(node.text.decode())
            return namespace
        scope = namespace
        for child in node.children:
            scope = walk(child, scope, top and kind in ("compilation_unit", "declaration_list"))
        return namespace

    root = tree.root_node
    scope = ""
    for child in root.children:  # a file-scoped namespace applies to the declarations after it
        scope = walk(child, scope, True)
    parsed_usings = []
    for u in usings:
        text_u = " ".join(u.text.decode().split())
        m = re.match(r"(?:global\s+)?using\s+(static\s+)?(?:(\w+)\s*=\s*)?([\w.]+)\s*;", text_u)
        if m:
            parsed_usings.append((bool(m.group(1)) or bool(m.group(2)), m.group(3)))
    return types, namespaces or [""], parsed_usings, mentioned


def _declared_files(types_of: dict[str, list[tuple[str, str]]]) -> dict[tuple[str, str], list[str]]:
    """(namespace or package, type name) -> the files declaring it, from each file's top-level types."""
    declared: dict[tuple[str, str], list[str]] = {}
    for f, types in types_of.items():
        for key in types:
            declared.setdefault(key, []).append(f)
    return declared


def _mention_edges(f: str, scopes: set[str], mentioned: set[str], declared: dict[tuple[str, str], list[str]],
                   visible: Callable[[str], bool] = lambda g: True) -> set[tuple[str, str]]:  # fmt: skip
    """Edges into ``f`` from the (visible) files declaring a type it mentions in one of the namespaces in scope."""
    return {(g, f) for ns in scopes for ident in mentioned for g in declared.get((ns, ident), ()) if g != f and visible(g)}


def csharp_true_edges(root: Path) -> tuple[list[str], set[tuple[str, str]]]:
    files = _files(root, (".cs",))
    projects = _files(root, (".csproj",))
    project_dirs = {posixpath.dirname(p): p for p in projects}
    sees: dict[str, set[str]] = {}
    for p in projects:
        refs = {posixpath.normpath(posixpath.join(posixpath.dirname(p), inc.replace("\\", "/")))
                for inc in _CS_REFERENCE.findall(_read(root, p))}  # fmt: skip
        sees[p] = {p} | (refs & set(projects))
    for p in projects:  # transitive references
        todo = list(sees[p])
        while todo:
            q = todo.pop()
            for r in sees.get(q, ()):
                if r not in sees[p]:
                    sees[p].add(r)
                    todo.append(r)

    def project_of(path: str) -> str | None:
        folder = posixpath.dirname(path)
        while True:
            if folder in project_dirs:
                return project_dirs[folder]
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    parsed = {f: _cs_parse(_read(root, f)) for f in files}
    declared = _declared_files({f: p[0] for f, p in parsed.items()})
    edges = set()
    for f, (_, namespaces, usings, mentioned) in parsed.items():
        own = project_of(f)

        def visible(g: str, own=own) -> bool:
            other = project_of(g)
            return own is None or other is None or other in sees[own]

        scopes = set()
        for ns in namespaces:
            parts = ns.split(".") if ns else []
            scopes.update(".".join(parts[:k]) for k in range(len(parts) + 1))
        for single, name in usings:
            if single:
                ns, _, type_name = name.rpartition(".")
                edges.update((g, f) for g in declared.get((ns, type_name), ()) if g != f and visible(g))
            else:
                scopes.add(name)
        edges |= _mention_edges(f, scopes, mentioned, declared, visible)
    return files, edges


# ------------------------------------------------------------------------------------------ JavaScript/TypeScript
_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts")
_JS_SPECIFIER = re.compile(
    r"""\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)"""
    r"""|\bimport\s*\(\s*(['"])([^'"\n]+)\3\s*\)"""
    r"""|^\s*(?:import|export)\b[^'";]*?\bfrom\s*(['"])([^'"\n]+)\5"""
    r"""|^\s*import\s*(['"])([^'"\n]+)\7""",
    re.MULTILINE,
)
_JS_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_JS_LINE_COMMENT = re.compile(r"^\s*//[^\n]*", re.MULTILINE)


def javascript_true_edges(root: Path) -> tuple[list[str], set[tuple[str, str]]]:
    files = _files(root, _JS_SUFFIXES)
    known = set(files)
    manifests = {posixpath.dirname(p): json.loads(_read(root, p) or "{}") for p in _files(root, ("package.json",))}
    names = {m.get("name"): folder for folder, m in manifests.items() if isinstance(m, dict) and m.get("name")}

    def as_file(path: str) -> str | None:
        path = posixpath.normpath(path)
        if path.startswith("../"):
            return None
        path = "" if path == "." else path
        candidates = [path] if path.endswith(_JS_SUFFIXES) and path else []
        stem, ext = posixpath.splitext(path)
        if ext in (".js", ".jsx", ".mjs", ".cjs"):  # TypeScript sources imported by their emitted name
            candidates += [stem + ".ts", stem + ".tsx", stem + ".mts", stem + ".cts"]
        candidates += [path + s for s in _JS_SUFFIXES] if path else []
        for c in candidates:
            if c in known:
                return c
        manifest = manifests.get(path)
        if isinstance(manifest, dict):
            for key in ("main", "module"):
                main = manifest.get(key)
                if isinstance(main, str) and main:
                    hit = as_file(posixpath.join(path, main))
                    if hit is not None:
                        return hit
        prefix = f"{path}/index" if path else "index"
        return next((prefix + s for s in _JS_SUFFIXES if prefix + s in known), None)

    edges = set()
    for f in files:
        text = _JS_LINE_COMMENT.sub("", _JS_BLOCK_COMMENT.sub(" ", _read(root, f)))
        for m in _JS_SPECIFIER.finditer(text):
            spec = next(g for g in (m.group(2), m.group(4), m.group(6), m.group(8)) if g)
            if spec.startswith("."):
                target = as_file(posixpath.join(posixpath.dirname(f), spec))
            else:
                name = next((n for n in names if spec == n or spec.startswith(n + "/")), None)
                target = as_file(posixpath.join(names[name], spec[len(name):].lstrip("/"))) if name else None
            if target is not None and target != f:
                edges.add((target, f))
    return files, edges


# -------------------------------------------------------------------------------------------------------- Java
_JAVA_TYPES = {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
               "annotation_type_declaration"}  # fmt: skip


def _java_parse(text: str):
    """(package, top-level type names, imports as (static, on_demand, dotted name), mentioned identifiers)."""
    from tree_sitter_language_pack import get_parser

    root = get_parser("java").parse(text.encode("utf-8", "surrogatepass")).root_node
    package, types, imports, mentioned = "", [], [], set()
    for child in root.children:
        if child.type == "package_declaration":
            name = next((c for c in child.children if c.type in ("scoped_identifier", "identifier")), None)
            package = name.text.decode() if name is not None else ""
        elif child.type == "import_declaration":
            name = next((c for c in child.children if c.type in ("scoped_identifier", "identifier")), None)
            if name is not None:
                imports.append((any(c.type == "static" for c in child.children),
                                any(c.type == "asterisk" for c in child.children), name.text.decode()))  # fmt: skip
        elif child.type in _JAVA_TYPES:
            name = child.child_by_field_name("name")
            if name is not None:
                types.append(name.text.decode())
    stack = [c for c in root.children if c.type not in ("package_declaration", "import_declaration")]
    while stack:
        node = stack.pop()
        if node.type in ("type_identifier", "identifier"):
            parent = node.parent
            if not (parent is not None and parent.type in _JAVA_TYPES and parent.child_by_field_name("name") == node):
                mentioned.add(node.text.decode())  # every use; a type's own declared name is not one
            continue
        stack.extend(node.children)
    return package, types, imports, mentioned


def java_true_edges(root: Path) -> tuple[list[str], set[tuple[str, str]]]:
    """Java's name resolution from tree-sitter's full parse: a single-type import (``import p.T;``, ``import static
    p.T.m;``) uses the file declaring top-level ``T`` in package ``p``; an on-demand import (``import p.*;``) and the
    file's own package use the files declaring a top-level type the file mentions."""
    files = _files(root, (".java",))
    parsed = {f: _java_parse(_read(root, f)) for f in files}
    declared = _declared_files({f: [(p[0], name) for name in p[1]] for f, p in parsed.items()})
    edges = set()
    for f, (package, _, imports, mentioned) in parsed.items():
        scopes = {package}
        for static, on_demand, name in imports:
            if on_demand and not static:
                scopes.add(name)  # import p.*, or import p.Outer.* (a type's members: resolved below)
            # the file declaring the top-level type the import names or reaches into: import p.T, import p.T.Inner,
            # import p.T.*, import static p.T.m, import static p.T.*
            parts = name.split(".")
            for k in range(len(parts) - 1, 0, -1):
                hits = declared.get((".".join(parts[:k]), parts[k]), ())
                if hits:
                    edges.update((g, f) for g in hits if g != f)
                    break
        edges |= _mention_edges(f, scopes, mentioned, declared)
    return files, edges


# ------------------------------------------------------------------------------------------------------- C/C++
_C_SUFFIXES = (".c", ".h")
_CPP_SUFFIXES = (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp", ".cu", ".cuh")


def c_true_edges(root: Path, include_dir_names: tuple[str, ...] = ("include", "src")) -> tuple[list[str], set[tuple[str, str]]]:
    """Direct includes as the compiler resolves them: GCC's preprocessor (``gcc -MM -MG -H``: the headers it opens,
    one dot deep, with ``#if`` conditions evaluated for this machine) on every file, with ``-I`` the repository
    root and its folders named ``include`` / ``src`` (build files are not read). C files as C, the rest as C++."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    gcc = shutil.which("gcc")
    if gcc is None:
        raise RuntimeError("gcc not found: the C/C++ checker runs GCC's preprocessor")
    files = _files(root, _C_SUFFIXES + _CPP_SUFFIXES)
    known = set(files)
    cpp_repo = any(f.endswith(_CPP_SUFFIXES) for f in files)
    dirs = [""] + sorted({"/".join(f.split("/")[: k + 1]) for f in files for k, part in enumerate(f.split("/")[:-1])
                          if part in include_dir_names})  # fmt: skip
    flags = [f"-I{root / d}" if d else f"-I{root}" for d in dirs]

    def includes(f: str) -> set[str]:
        language = "c++" if f.endswith(_CPP_SUFFIXES) or (cpp_repo and f.endswith(".h")) else "c"
        try:
            run = subprocess.run([gcc, "-MM", "-MG", "-H", "-w", "-x", language, *flags, f], cwd=root, check=False,
                                 capture_output=True, text=True, errors="replace", timeout=60)  # fmt: skip
        except subprocess.TimeoutExpired:
            print(f"dependency_truth: gcc took over 60 s on {f}; its includes are left out", file=sys.stderr)
            return set()
        out = set()
        for line in run.stderr.splitlines():
            if line.startswith(". "):
                target = Path(line[2:].strip())
                target = target if target.is_absolute() else root / target
                try:
                    rel = target.resolve().relative_to(root.resolve()).as_posix()
                except ValueError:
                    continue  # a system header
                if rel in known and rel != f:
                    out.add(rel)
        return out

    with ThreadPoolExecutor(4) as pool:
        found = dict(zip(files, pool.map(includes, files)))
    return files, {(dep, f) for f, deps in found.items() for dep in deps}


LANGUAGES: dict[str, Callable[[Path], tuple[list[str], set[tuple[str, str]]]]] = {
    "java": java_true_edges,
    "python": python_true_edges,
    "go": go_true_edges,
    "c-sharp": csharp_true_edges,
    "javascript": javascript_true_edges,
}


if shutil.which("gcc") is not None:  # the C/C++ checker is GCC's preprocessor: without it, C/C++ goes unscored
    LANGUAGES["c"] = c_true_edges


def true_edges(root: Path, language: str) -> tuple[list[str], set[tuple[str, str]]]:
    """(files, true edges) of one language family of the repository in ``root``."""
    return LANGUAGES[language](root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path, help="a repository folder")
    parser.add_argument("--language", choices=sorted(LANGUAGES), action="append",
                        help="checkers to run (default: all)")
    parser.add_argument("--edges", action="store_true", help="print every edge, not only the counts")
    args = parser.parse_args(argv)
    for language in args.language or sorted(LANGUAGES):
        files, edges = true_edges(args.repo, language)
        print(f"{language}: {len(files)} files, {len(edges)} true edges")
        if args.edges:
            for dependency, user in sorted(edges):
                print(f"  {dependency} -> {user}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
