"""C#: ``using N;`` → the files that declare, in namespace ``N``, a type this file mentions (the report's
"using" statements, resolved to files). The file's own namespace and its enclosing namespaces are in scope
without ``using`` (C# name lookup), ``using static N.T;`` and ``using A = N.T;`` name one type directly.
Block-scoped and file-scoped (``namespace N;``) declarations are both read; ``global using`` counts.

Only top-level types are indexed (those directly in a namespace or the compilation unit, as for Java): a file
mentioning ``Enumerator`` uses its own or an imported one, not every nested ``Enumerator`` of its namespace. A
delegate declares the name before its parameter list, whatever its return type
(``delegate IEnumerable<KeyValuePair<object, object>>? Getter(object o);`` declares ``Getter``, not ``object``),
and a keyword or built-in type name (``object``, ``string``, ``where``) never names a type, so ``where T : class``
declares nothing. A type the file declares itself is never a dependency: the other parts of a ``partial`` class
are its siblings, not what it builds on.

Projects: when the repository's ``*.csproj`` files are carried as manifests, a file belongs to the project in
its nearest folder (SDK-style projects compile every ``.cs`` file below them) and sees only the types of its own
project and of the projects it references (``<ProjectReference>``, transitively): a library never uses the test
project's types. Files outside every project folder see and are seen by all.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from .base import DependencyExtractor, SourceFile, TypeIndex
from .lexing import identifiers, strip_c_like

__all__ = ["CSharpExtractor"]

_USING = re.compile(r"^\s*(?:global\s+)?using\s+(static\s+)?(?:(\w+)\s*=\s*)?([\w.]+)\s*;", re.MULTILINE)
#: the tokens that shape declarations: namespace headers, type and delegate declarations, braces, statement ends
_SCAN = re.compile(
    r"\bnamespace\s+(?P<ns>[\w.]+)\s*(?P<ns_end>[{;])"
    r"|\b(?:class|struct|interface|enum|record(?:\s+(?:class|struct))?)\s+(?P<type>[A-Za-z_]\w*)"
    r"|\bdelegate\b[^;{}=]*?\b(?P<delegate>[A-Za-z_]\w*)\s*(?:<[^;{}()]*>)?\s*\("
    r"|(?P<brace>[{}])"
)
#: reserved keywords and the contextual ones that can follow ``class``/``struct`` in valid code
#: (``where T : class where U : ...``, ``record is null``); none of them names a user type
_KEYWORDS = frozenset({
    # reserved
    "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
    "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
    "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
    "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override", "params",
    "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof",
    "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong",
    "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    # contextual
    "and", "async", "await", "dynamic", "file", "global", "init", "managed", "nint", "not", "notnull", "nuint", "or",
    "partial", "record", "required", "scoped", "unmanaged", "var", "when", "where", "with",
})
_PROJECT_REFERENCE = re.compile(r"<ProjectReference\s+Include\s*=\s*\"([^\"]+)\"", re.IGNORECASE)


def _enclosing(namespace: str) -> list[str]:
    parts = namespace.split(".") if namespace else []
    return [".".join(parts[:k]) for k in range(len(parts), -1, -1)]


def top_level_types(code: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``(namespace, name)`` of every top-level type and delegate of a (comment- and string-stripped) file, and
    the namespaces it declares. Braces are tracked: a type inside another type's (or a member's) braces is
    nested; a namespace block's braces are not a type's."""
    types: list[tuple[str, str]] = []
    namespaces: list[str] = []
    stack: list[str | None] = []  # per open brace: the namespace it opens, or None (a type, member or block)
    file_scoped = ""
    for m in _SCAN.finditer(code):
        if m.group("ns") is not None:
            if m.group("ns_end") == ";":
                file_scoped = m.group("ns")
                namespaces.append(file_scoped)
            else:
                outer = next((s for s in reversed(stack) if s is not None), file_scoped)
                full = f"{outer}.{m.group('ns')}" if outer else m.group("ns")
                namespaces.append(full)
                stack.append(full)  # the header's own ``{`` was consumed by the match
            continue
        brace = m.group("brace")
        if brace == "{":
            stack.append(None)
        elif brace == "}":
            if stack:
                stack.pop()
        else:
            name = m.group("type") or m.group("delegate")
            if name not in _KEYWORDS and all(s is not None for s in stack):
                types.append((stack[-1] if stack else file_scoped, name))
    return types, namespaces


def _projects(files: Sequence[SourceFile], csproj: dict[str, str]) -> tuple[list[int | None], list[set[int] | None]]:
    """Project of each file (index into the sorted ``.csproj`` paths; ``None`` outside every project folder) and
    the projects each project sees (itself and its references, transitively)."""
    paths = sorted(csproj)
    folders = {posixpath.dirname(p): k for k, p in enumerate(paths)}
    index = {p: k for k, p in enumerate(paths)}
    references: list[set[int]] = []
    for k, path in enumerate(paths):
        refs = {k}
        for include in _PROJECT_REFERENCE.findall(csproj[path]):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), include.replace("\\", "/")))
            if target in index:
                refs.add(index[target])
        references.append(refs)
    seen: list[set[int] | None] = []
    for k in range(len(paths)):  # transitive closure (projects are few)
        closure, todo = set(), [k]
        while todo:
            p = todo.pop()
            if p not in closure:
                closure.add(p)
                todo.extend(references[p] - closure)
        seen.append(closure)
    owner: list[int | None] = []
    for f in files:
        folder, project = posixpath.dirname(f.path), None
        while True:
            if folder in folders:
                project = folders[folder]
                break
            if not folder:
                break
            folder = posixpath.dirname(folder)
        owner.append(project)
    return owner, seen


#: an identifier not part of a longer one (``@`` marks a verbatim identifier, not this name)
_WORD = re.compile(r"(?<![\w@])\w+")
#: where a type's name is declared: its header, and a constructor or finaliser (``Name(`` after a statement end,
#: a brace, an attribute, a modifier or ``~``, or at the start of a line)
_DECLARATION = re.compile(
    r"\b(?:class|struct|interface|enum|record)\s+(\w+)"
    r"|(?:^|[;{}\]]|\b(?:public|private|protected|internal|static|extern|unsafe)\b|~)[ \t]*(\w+)[ \t]*\(",
    re.MULTILINE,
)


def _declared_only(code: str, names: set[str]) -> set[str]:
    """The names among ``names`` (types ``code`` declares) that it mentions only where it declares them: in the
    type's own header (``partial class Name``) and as the name of a constructor or finaliser. Another part of a
    ``partial`` type (source generators, a large class split over files) is then no dependency of this part unless
    this part refers to the type elsewhere (``Name.Member``, ``new Name()``, ``nameof(Name)``)."""
    if not names:
        return set()
    mentions = Counter(w for w in _WORD.findall(code) if w in names)
    declarations = Counter(m.group(1) or m.group(2) for m in _DECLARATION.finditer(code))
    return {name for name in names if mentions[name] <= declarations[name]}


class CSharpExtractor(DependencyExtractor):
    languages = frozenset({"c-sharp"})

    def __init__(self, csproj_files: dict[str, str] | None = None):
        #: path of each ``*.csproj`` inside the repository -> its text (manifests carried by the stage)
        self.csproj_files = dict(csproj_files or {})

    def build_index(self, files: Sequence[SourceFile]):
        index = TypeIndex()
        parsed = []
        for i, f in enumerate(files):
            code = strip_c_like(f.text, verbatim=True)
            types, namespaces = top_level_types(code)
            for ns, name in types:
                index.add(ns, name, i)
            parsed.append((namespaces or [""], code, _declared_only(code, {name for _, name in types})))
        return index, parsed, _projects(files, self.csproj_files)

    def references(self, i: int, file: SourceFile, index) -> Iterable[int | None]:
        types, parsed, (owner, sees) = index
        spaces, code, declared_only = parsed[i]
        idents = identifiers(code) - declared_only
        visible = sees[owner[i]] if owner[i] is not None else None

        def seen(hits: list[int]) -> list[int]:
            if visible is None:
                return hits
            return [j for j in hits if owner[j] is None or owner[j] in visible]

        for m in _USING.finditer(code):
            static, alias, name = m.group(1), m.group(2), m.group(3)
            if static or alias:
                ns, _, type_name = name.rpartition(".")
                files = seen(types.get(ns, type_name))
                yield files[0] if files else None
                continue
            hits = seen(types.used_in(name, idents))
            yield from hits if hits else (None,)
        for space in {s for own in spaces for s in _enclosing(own)}:
            yield from (j for j in seen(types.used_in(space, idents)) if j != i)
