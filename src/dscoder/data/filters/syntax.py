"""Quality screening with a parser (report §2.4: "a compiler ... to remove code with syntax errors, poor
readability and low modularity"). The report publishes no details; the signals and defaults below are this
project's own choices.

Each file of a language in :data:`TREE_SITTER_LANGUAGES` is parsed once with tree-sitter (the grammars bundled in
``tree-sitter-language-pack<1``, which works offline) and three signals are read off the one parse tree with
tree-sitter queries (evaluated in C, no Python walk over the nodes):

* ``quality:syntax_error``: share of the file's lines holding a token that the parser could fit into no
  construct (leaf tokens directly under an ``ERROR`` node, ``MISSING`` tokens) is above ``max_error_line_share``
  (default 0.05, every language; ``error_share_by_language`` can give one its own). A compiler drops a file at
  its first error; a parser needs a tolerance because its grammars reject some valid code. Complete constructs
  that error recovery wrapped into an ``ERROR`` node are not errors (``error_lines: covered``, the older rule,
  counted every line an ``ERROR`` node spans, and dropped jq's ``main.c`` for one ``#ifdef``-split header).
  tree-sitter's C, C++, CUDA and C# grammars run no preprocessor, so for them preprocessor lines (with their
  backslash continuations) never count, and a file over the threshold is read a second time as a preprocessor
  that takes the first branch of every conditional would read it, with (C/C++/CUDA) every macro-style
  ``ALL_CAPS`` name and every name reserved to the implementation (two leading underscores: BSD's
  ``__unused``, ``__dead``) and its arguments expanding to nothing; a ``.h`` header read as C is also read as C++. Only
  lines unfit in every reading count: fmt's ``format.h`` (``FMT_BEGIN_NAMESPACE``, ``FMT_CONSTEXPR``),
  leveldb's ``c.h`` (``LEVELDB_EXPORT``), tmux's ``__unused`` parameters, X-macro lists and serilog's ``#if``-guarded interface methods pass;
  a broken file is unfit in every reading. A Python file over the threshold is kept when the running
  interpreter's own parser (``ast.parse``) accepts it (``python_ast_check``, counted as
  ``syntax_error_overruled_by_ast``): the grammar loses its way on valid code such as a parenthesised
  expression continued at a lower indentation (CPython's ``test_compile.py``), and on syntax newer than the
  grammar.
* ``quality:long_functions`` (modularity): share of the file's lines that lie inside functions longer than
  ``long_function_lines`` (default 200) is above ``max_long_function_share`` (default 0.5): a file that is
  mostly one or two huge functions. A function's length is its lines minus those that continue a multi-line
  literal (strings and templates, array / composite / initializer tables, Rust macro token trees such as
  ``quote! { ... }``): cobra's completion-script templates and table-driven tests are data, not control flow
  (``long_function_measure: lines``, the older rule, counted them). Nor do the lines of definitions nested
  inside it count (functions, methods, classes, lambdas, callbacks, Go ``func`` literals): a function that
  holds a test suite's ``describe``/``it`` callbacks, a plugin's classes or an event handler's callbacks is a
  container of small units, not one long body (``count_nested_definitions: true``, the older rule, counted
  them and dropped immer's plugins and parameterised test suites). Each nested function, lambda and callback
  is measured on its own, so a 400-line handler passed as a callback is still a long function. A C++ ``class EXPORT_MACRO Name {...}``,
  which the grammar misreads as a function returning a class, and a function whose parse holds an error are
  not counted.
* ``quality:comment_ratio``: commentary makes up more than ``max_comment_fraction`` (default 0.8) of the file's
  non-whitespace characters (commented-out code); only for files of at least ``min_chars_for_ratios``
  characters. The file's header (comments before its first code: licence, copyright) and documentation (doc
  comments by their marker ``/**``, ``///``, ``//!``, ``/*!``, and comment blocks on lines of their own right
  above a declaration or statement, Go's definition of a doc comment) are not commentary:
  ``count_doc_comments: true``, the older rule, counted them and dropped 22% of Newtonsoft.Json (licence
  header plus XML doc comments) and 9% of gson (Javadoc'd interfaces).

Functions are looked for down to nesting depth :data:`FUNCTION_MAX_DEPTH` (the outermost ones decide the share;
function *expressions* such as a UMD wrapper ``(function () { ... })()`` do not count), and the comment query
runs only when a cheap bound (characters of the lines holding a comment marker) says the share could exceed the
threshold: both keep the parser-based check close to the cost of the parse itself.

Files of other languages pass untouched (and are counted as ``unchecked_<language>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from datatrove.data import Document

from dscoder.config import BoundedConfig, bounded
from dscoder.data.filters.base import ConfiguredFilter

#: the paper's language name -> tree-sitter grammar name (tree-sitter-language-pack)
TREE_SITTER_LANGUAGES: dict[str, str] = {
    "python": "python",
    "java": "java",
    "javascript": "javascript",
    "typescript": "typescript",
    "c": "c",
    "cpp": "cpp",
    "cuda": "cuda",
    "c-sharp": "csharp",
    "go": "go",
    "rust": "rust",
    "php": "php",
    "ruby": "ruby",
    "shell": "bash",
}

#: node types that are a function (or method) in each grammar
_FUNCTION_NODES: dict[str, tuple[str, ...]] = {
    "python": ("function_definition",),
    "java": ("method_declaration", "constructor_declaration"),
    "javascript": ("function_declaration", "generator_function_declaration", "method_definition"),
    "c": ("function_definition",),
    "cpp": ("function_definition",),
    "csharp": ("method_declaration", "constructor_declaration", "local_function_statement"),
    "go": ("function_declaration", "method_declaration"),
    "rust": ("function_item",),
    "php": ("function_definition", "method_declaration"),
    "ruby": ("method", "singleton_method"),
    "bash": ("function_definition",),
}  # fmt: skip
_FUNCTION_NODES["typescript"] = _FUNCTION_NODES["tsx"] = _FUNCTION_NODES["javascript"]
_FUNCTION_NODES["cuda"] = _FUNCTION_NODES["cpp"]
#: literal data and templates inside a function (strings, raw strings, heredocs, array / composite / initializer
#: literals, Rust macro token trees such as ``quote! { ... }``): lines of data, not of control flow
_LITERAL_NODES = (
    "string", "string_literal", "raw_string_literal", "interpreted_string_literal", "template_string",
    "concatenated_string", "verbatim_string_literal", "text_block", "encapsed_string", "heredoc", "nowdoc",
    "heredoc_body", "composite_literal", "initializer_list", "initializer_expression", "array_initializer",
    "array", "list", "dictionary", "array_creation_expression", "array_expression", "token_tree",
)  # fmt: skip
#: type definitions that may nest inside a function (Java anonymous class bodies included): their lines are not
#: the enclosing function's, and they are not measured themselves (their methods are)
_CLASS_NODES = ("class_declaration", "class_definition", "class", "class_body", "class_specifier", "struct_specifier")
#: definitions that may nest inside a function (nested functions and methods, lambdas, function expressions and
#: callbacks, Go ``func`` literals, Rust and PHP closures) and the types above: their lines are theirs, not the
#: enclosing function's (node types a grammar lacks are skipped)
_NESTED_DEFINITION_NODES = (
    "function_definition", "function_declaration", "generator_function_declaration", "method_definition",
    "method_declaration", "constructor_declaration", "local_function_statement", "function_item",
    "function_expression", "function", "generator_function", "arrow_function", "lambda", "lambda_expression",
    "anonymous_method_expression", "func_literal", "closure_expression", "anonymous_function",
    "anonymous_function_creation_expression", "singleton_method", *_CLASS_NODES,
)  # fmt: skip
#: grammars of languages with a C-style preprocessor (``#if``/``#else``/``#endif`` lines)
_PREPROCESSED = frozenset({"c", "cpp", "cuda", "csharp"})
#: ... and of those with macros, which the grammar cannot expand
_MACRO_GRAMMARS = frozenset({"c", "cpp", "cuda"})
_COMMENT_NODES = ("comment", "line_comment", "block_comment", "doc_comment")
_WHITESPACE = b" \t\n\r\x0b\x0c"
#: functions are looked for down to this nesting depth (module > namespace > class > body > method fits): the
#: outermost functions decide the long-function share, and pruning the walk halves the query's cost
FUNCTION_MAX_DEPTH = 6
#: per grammar: (line-comment markers, block-comment openers). With no block opener in the text, a comment lies
#: on a line holding a marker, which bounds the comment share from above without running the comment query.
_COMMENT_SYNTAX: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "python": (("#",), ()),
    "bash": (("#",), ()),
    "ruby": (("#",), ("=begin",)),
    "php": (("#", "//"), ("/*",)),
    **{name: (("//",), ("/*",)) for name in ("java", "javascript", "typescript", "tsx", "c", "cpp", "cuda", "csharp",
                                               "go", "rust")},
}  # fmt: skip


@dataclass
class SyntaxConfig(BoundedConfig):
    """Thresholds of the parser-based quality signals (this project's choices; see the module docstring)."""

    languages: list[str] = field(default_factory=lambda: list(TREE_SITTER_LANGUAGES))
    max_error_line_share: float | None = bounded(0.05, ge=0, le=1)
    error_lines: Literal["unfit", "covered"] = "unfit"
    error_share_by_language: dict[str, float] = field(default_factory=dict)
    long_function_lines: int = bounded(200, ge=1)
    long_function_measure: Literal["code", "lines"] = "code"
    count_nested_definitions: bool = False  # True: nested functions/classes/callbacks lengthen their container (older rule)
    max_long_function_share: float | None = bounded(0.5, ge=0, le=1)
    max_comment_fraction: float | None = bounded(0.8, ge=0, le=1)
    count_doc_comments: bool = False  # True: licence headers and doc comments count as comments too (older rule)
    min_chars_for_ratios: int = bounded(200, ge=0)
    python_ast_check: bool = True  # a Python file that ast.parse accepts is never a syntax error

    def __post_init__(self):
        super().__post_init__()
        unknown = sorted(set(self.languages) - set(TREE_SITTER_LANGUAGES))
        if unknown:
            raise ValueError(f"languages: no tree-sitter grammar mapped for {unknown} (known: {sorted(TREE_SITTER_LANGUAGES)})")


class _Grammar:
    """A parser and the compiled queries of one tree-sitter grammar."""

    def __init__(self, name: str):
        from tree_sitter import Query, QueryCursor, QueryError
        from tree_sitter_language_pack import get_language, get_parser

        language = get_language(name)
        self.parser = get_parser(name)
        self.errors = QueryCursor(Query(language, "(ERROR) @error (MISSING) @missing"))
        self.preprocessed = name in _PREPROCESSED

        def cursor(node_types):
            patterns = []
            for node_type in node_types:  # keep the node types this grammar has
                try:
                    Query(language, f"({node_type}) @n")
                except QueryError:
                    continue
                patterns.append(f"({node_type}) @n")
            return QueryCursor(Query(language, " ".join(patterns))) if patterns else None

        self.functions = cursor(_FUNCTION_NODES.get(name, ()))
        if self.functions is not None:
            self.functions.set_max_start_depth(FUNCTION_MAX_DEPTH)
        self.comments = cursor(_COMMENT_NODES)
        self.literals = cursor(_LITERAL_NODES)
        self.nested = cursor(_NESTED_DEFINITION_NODES)
        self.comment_syntax = _COMMENT_SYNTAX.get(name)


def _comment_chars_bound(text: str, syntax: tuple[tuple[str, ...], tuple[str, ...]] | None) -> int | None:
    """An upper bound of the non-whitespace characters in comments (those of the lines holding a comment marker),
    or ``None`` when the text has a block comment (or the grammar's comment syntax is not listed)."""
    if syntax is None:
        return None
    markers, openers = syntax
    if any(opener in text for opener in openers):
        return None
    if not any(marker in text for marker in markers):
        return 0
    if len(markers) == 1:
        marker = markers[0]
        lines = [line for line in text.splitlines() if marker in line]
    else:
        lines = [line for line in text.splitlines() if any(m in line for m in markers)]
    return len("".join(lines).encode("utf-8", "surrogatepass").translate(None, _WHITESPACE))


def _unfit_lines(captures: dict, source: bytes, preprocessed: bool) -> set[int]:
    """The lines holding a token that the parser could fit into no construct: leaf tokens directly under an
    ``ERROR`` node and ``MISSING`` tokens. Complete constructs that error recovery wrapped into an ``ERROR`` node
    (every statement of ``main`` after an ``#ifdef``-split function header) are not errors, and neither are
    comments. With ``preprocessed``, preprocessor lines (``#if``/``#else``/``#endif``, ``#define``) are not
    counted, nor the lines a backslash continues them on: the grammar sees both branches of a conditional, and
    only a preprocessor can tell them apart."""
    lines: set[int] = set()
    for node in captures.get("missing", ()):
        lines.add(node.start_point[0])
    for node in captures.get("error", ()):
        if node.child_count == 0:
            lines.add(node.start_point[0])
            continue
        for child in node.children:
            if child.child_count or child.type == "ERROR" or _is_comment(child):
                continue  # a complete construct (its own errors, if any, are captured on their own)
            lines.update(range(child.start_point[0], child.end_point[0] + 1))
    if preprocessed and lines:
        starts = _line_starts(source)
        lines = {i for i in lines if not _in_directive(source, starts, i)}
    return lines


def _line(source: bytes, starts: list[int], i: int) -> bytes:
    return source[starts[i] : starts[i + 1] - 1] if i + 1 < len(starts) else source[starts[i] :]


def _in_directive(source: bytes, starts: list[int], i: int) -> bool:
    """Whether line ``i`` belongs to a preprocessor directive: it starts with ``#``, or continues (after a
    backslash-newline) a line that does."""
    while True:
        if _line(source, starts, i).lstrip(b" \t").startswith(b"#"):
            return True
        if i == 0 or not _line(source, starts, i - 1).rstrip(b" \t\r").endswith(b"\\"):
            return False
        i -= 1


#: a macro-style name (upper case, digits, underscores; two characters or more) or a name reserved to the
#: implementation (two leading underscores: a macro or a compiler extension in any portable program) and, when it
#: has one, the start of its argument list
_MACRO_NAME = re.compile(rb"(?<![A-Za-z0-9_])(?:[A-Z][A-Z0-9_]+|__[A-Za-z0-9_]+)(?![A-Za-z0-9_])[ \t]*(\()?")
#: where an argument that is a bare comparison or arithmetic operator starts (``tt_int_op(r, ==, 0)``, tinytest's and
#: others' assertion macros): no function call can take one, so the call is a macro's (``*`` and ``&`` are left
#: out: ``(*)`` and ``(&)`` are declarators)
_OPERATOR_ARGUMENT = re.compile(rb"[(,](?=[ \t]*(?:==|!=|<=|>=|<|>|&&|\|\||[-+/%])[ \t]*[,)])")
#: the tokens that shape an argument list: a name with the parenthesis that opens its arguments, a bare
#: parenthesis, a comma
_ARGUMENT_TOKENS = re.compile(rb"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*[ \t]*\(|[(),]")
_BLANK = bytes(c if c in b"\n" else 32 for c in range(256))  # every byte but the newline -> space


def _blank_macros(source: bytes) -> bytes:
    """``source`` with each macro-style name and its balanced argument list, and each call that passes a bare
    operator (:data:`_OPERATOR_ARGUMENT`), replaced by spaces (newlines kept, so line numbers do not move)."""
    out = bytearray(source)
    pos = 0
    while (m := _MACRO_NAME.search(source, pos)) is not None:
        end = m.end()
        if m.group(1) is not None:  # skip to the matching parenthesis
            depth = 1
            while depth and end < len(source):
                nxt = min((i for i in (source.find(b"(", end), source.find(b")", end)) if i != -1), default=-1)
                if nxt == -1:
                    break
                depth += 1 if source[nxt] == 40 else -1
                end = nxt + 1
        out[m.start() : end] = source[m.start() : end].translate(_BLANK)
        pos = max(end, m.start() + 1)
    marks = {m.start() for m in _OPERATOR_ARGUMENT.finditer(source)}
    if marks:  # one pass over parentheses and commas, a stack of the open argument lists: linear in the file
        stack: list[list] = []  # per open parenthesis: [start of the call's name or -1, holds an operator argument]
        for t in _ARGUMENT_TOKENS.finditer(source):
            last = t.end() - 1
            if source[last] == 40:  # "(": a call's, or a bare one
                stack.append([t.start() if last > t.start() else -1, last in marks])
            elif source[last] == 44:  # ","
                if stack and last in marks:
                    stack[-1][1] = True
            elif stack:  # ")"
                start, operator_argument = stack.pop()
                if operator_argument and start >= 0:
                    out[start : t.end()] = source[start : t.end()].translate(_BLANK)
    return bytes(out)


_CONDITIONAL = re.compile(rb"[ \t]*#[ \t]*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b")


def _first_branches(source: bytes) -> bytes:
    """``source`` as a preprocessor that takes the first branch of every conditional reads it: the conditional
    directives and the lines of each ``#elif``/``#else`` branch are replaced by spaces (newlines kept). A
    function header split across ``#ifdef WIN32 ... #else ... #endif`` then reads as one header, and a C#
    expression body with an ``#if`` inside reads as one expression."""
    if b"#" not in source:
        return source
    out = bytearray(source)
    skipping: list[bool] = []  # per open conditional: are we past its first branch?
    pos = 0
    for line in source.split(b"\n"):
        m = _CONDITIONAL.match(line)
        if m is not None:
            word = m.group(1)
            if word.startswith(b"if"):
                skipping.append(False)
            elif word == b"endif":
                if skipping:
                    skipping.pop()
            elif skipping:
                skipping[-1] = True
            out[pos : pos + len(line)] = line.translate(_BLANK)
        elif any(skipping):
            out[pos : pos + len(line)] = line.translate(_BLANK)
        pos += len(line) + 1
    return bytes(out)


def _line_starts(source: bytes) -> list[int]:
    starts = [0]
    index = source.find(b"\n")
    while index != -1:
        starts.append(index + 1)
        index = source.find(b"\n", index + 1)
    return starts


#: openers of documentation comments: Javadoc/JSDoc/PHPDoc/Doxygen ``/**``, C#/Rust/Doxygen ``///``, Rust/Doxygen
#: inner docs ``//!`` and ``/*!`` (``/**/`` and ``////`` rulers are not docs)
_DOC_OPENERS = (b"/**", b"///", b"//!", b"/*!")


#: one-line directives that may sit among a file's header comments (C# ``#region License``, ``#pragma once``,
#: ``#include``, ``#nullable``)
_HEADER_DIRECTIVES = frozenset({"preproc_region", "preproc_endregion", "preproc_call", "preproc_include",
                                "preproc_pragma", "preproc_nullable"})  # fmt: skip


def _nonblank_chars(source: bytes, nodes) -> int:
    """Non-whitespace characters (bytes) of ``nodes`` in ``source``."""
    return sum(len(source[n.start_byte : n.end_byte].translate(None, _WHITESPACE)) for n in nodes)


def _is_comment(node) -> bool:
    return node is not None and "comment" in node.type


def _commentary_chars(nodes, root, source: bytes) -> int:
    """Non-whitespace characters of the comments that are neither the file's header nor documentation.

    * header: comments before the file's first code (licence, copyright, file description, ``#!``, build tags);
    * documentation: a comment that opens with a doc marker (:data:`_DOC_OPENERS`), or a group of comments
      on lines of their own directly above a non-comment sibling (no blank line between): what Go defines as a doc comment and what
      most style guides (Google C++/Java, PEP 8 block comments, RDoc) put above a declaration.

    What is left is commentary: remarks inside code, and commented-out code.
    """
    first_code = next((child.start_byte for child in root.children
                       if not _is_comment(child) and child.type not in _HEADER_DIRECTIVES), len(source))  # fmt: skip
    total = 0
    group: list = []

    def close(group):
        if not group:
            return 0
        following = group[-1].next_sibling
        first = group[0].start_byte
        own_line = not source[source.rfind(b"\n", 0, first) + 1 : first].strip()  # not a trailing comment
        if own_line and following is not None and not _is_comment(following) and (
            following.start_point[0] <= group[-1].end_point[0] + 1
        ):
            return 0  # the group documents what follows it
        return _nonblank_chars(source, group)

    for node in nodes:
        if node.start_byte < first_code:
            continue
        head = source[node.start_byte : node.start_byte + 4]
        if head.startswith(_DOC_OPENERS) and not head.startswith((b"/**/", b"////")):
            total += close(group)
            group = []
            continue
        if group and not (group[-1].next_sibling == node and node.start_point[0] <= group[-1].end_point[0] + 1):
            total += close(group)
            group = []
        group.append(node)
    return total + close(group)


_CLASS_SPECIFIERS = frozenset({"class_specifier", "struct_specifier", "union_specifier", "enum_specifier"})


def _is_misparsed_class(node) -> bool:
    """``class EXPORT_MACRO Name { ... }``: without a preprocessor the C/C++ grammars read a class whose name is
    preceded by a macro as a function definition returning that class; it is a class, not a long function."""
    type_node = node.child_by_field_name("type")
    return type_node is not None and type_node.type in _CLASS_SPECIFIERS


def _multiline_inside(cursor, function) -> list:
    """The nodes ``cursor``'s query captures inside ``function`` (not ``function`` itself) that span lines."""
    if cursor is None:
        return []
    cursor.set_byte_range(function.start_byte, function.end_byte)
    found = [n for n in cursor.captures(function).get("n", ()) if n.end_point[0] > n.start_point[0] and n.id != function.id]
    cursor.set_byte_range(0, 2**32 - 1)
    return found


def _merged_length(spans: list[tuple[int, int]]) -> int:
    """Total length of the union of half-open ``[start, end)`` integer spans."""
    total, reach = 0, -1
    for start, end in sorted(spans):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


@dataclass
class SyntaxSignals:
    """What the parser says about one file (all shares in 0..1). ``comment_fraction`` is exact when it exceeds
    ``max_comment_fraction``; below it, it may be the cheap upper bound that proved it does not."""

    error_line_share: float
    long_function_share: float
    comment_fraction: float


def python_parses(text: str) -> bool:
    """Whether the running interpreter's parser accepts ``text`` (compile-time warnings silenced)."""
    import ast
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


class SyntaxFilter(ConfiguredFilter):
    """Parse with tree-sitter; drop files with syntax errors, huge functions or mostly comments (report §2.4)."""

    name = "🌳 Syntax and modularity (tree-sitter)"
    family = "quality"
    _requires_dependencies = (("tree_sitter", "tree-sitter"), ("tree_sitter_language_pack", "tree-sitter-language-pack"))
    config_class = SyntaxConfig
    config: SyntaxConfig

    def __init__(self, config: SyntaxConfig | None = None, exclusion_writer=None):
        super().__init__(config, exclusion_writer)
        self._enabled = {lang: TREE_SITTER_LANGUAGES[lang] for lang in self.config.languages}
        self._grammars: dict[str, _Grammar] = {}  # built lazily: parsers do not pickle (Ray, Slurm)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_grammars"] = {}
        return state

    def grammar(self, name: str) -> _Grammar:
        if name not in self._grammars:
            self._grammars[name] = _Grammar(name)
        return self._grammars[name]

    def signals(self, text: str, language: str, path: str = "") -> SyntaxSignals | None:
        """The parser's signals for ``text`` in ``language``; ``None`` for a language without a grammar here."""
        name = self._enabled.get(language)
        if name is None:
            return None
        if name == "typescript" and path.endswith(".tsx"):
            name = "tsx"
        g = self.grammar(name)
        source = text.encode("utf-8", "surrogatepass")
        root = g.parser.parse(source).root_node
        n_lines = max(1, source.count(b"\n") + (0 if source.endswith(b"\n") else 1))
        error_share = 0.0
        c = self.config
        if root.has_error and c.error_lines == "covered":  # every line an ERROR node spans
            spans = [(n.start_point[0], n.end_point[0] + 1) for nodes in g.errors.captures(root).values() for n in nodes]
            error_share = min(1.0, _merged_length(spans) / n_lines)
        elif root.has_error:
            lines = _unfit_lines(g.errors.captures(root), source, g.preprocessed)
            max_errors = c.error_share_by_language.get(language, c.max_error_line_share)
            if max_errors is not None and len(lines) / n_lines > max_errors and g.preprocessed:
                lines = self._preprocessor_tolerant_lines(lines, source, name, path)
            error_share = min(1.0, len(lines) / n_lines)
        long_share = comment_fraction = 0.0
        if g.functions is not None and c.max_long_function_share is not None and n_lines > c.long_function_lines:
            spans, seen = [], set()
            work = list(g.functions.captures(root).get("n", ()))
            while work:
                node = work.pop()
                start, end = node.start_point[0], node.end_point[0] + 1
                if node.id in seen or end - start <= c.long_function_lines or _is_misparsed_class(node):
                    continue
                seen.add(node.id)
                if c.long_function_measure == "code":
                    if node.has_error:
                        continue
                    # not the function's own code: lines that continue a multi-line literal (string, template,
                    # table, token tree) and those of definitions nested in it (their first line holds the call or
                    # declaration, which is the container's)
                    inner = _multiline_inside(g.literals, node)
                    if not c.count_nested_definitions:
                        nested = _multiline_inside(g.nested, node)
                        inner += nested
                        # a nested function, lambda or callback is measured on its own
                        work.extend(n for n in nested if n.type not in _CLASS_NODES)
                    not_own = _merged_length([(n.start_point[0] + 1, n.end_point[0] + 1) for n in inner])
                    if end - start - not_own <= c.long_function_lines:
                        continue
                spans.append((start, end))
            long_share = _merged_length(spans) / n_lines
        if g.comments is not None and c.max_comment_fraction is not None and len(text) >= c.min_chars_for_ratios:
            all_chars = len(source.translate(None, _WHITESPACE))
            bound = _comment_chars_bound(text, g.comment_syntax)
            if all_chars and bound is not None and bound / all_chars <= c.max_comment_fraction:
                comment_fraction = bound / all_chars  # cannot pass the threshold: the bound is reported
            elif all_chars:
                # in document order; a comment inside another (Rust's doc_comment in a line_comment) counts once
                nodes = sorted((n for n in g.comments.captures(root).get("n", ()) if not _is_comment(n.parent)),
                               key=lambda n: n.start_byte)  # fmt: skip
                if c.count_doc_comments:
                    comment_chars = _nonblank_chars(source, nodes)
                else:
                    comment_chars = _commentary_chars(nodes, root, source)
                comment_fraction = comment_chars / all_chars
        return SyntaxSignals(error_share, long_share, comment_fraction)

    def _preprocessor_tolerant_lines(self, lines: set[int], source: bytes, name: str, path: str) -> set[int]:
        """Error lines that no reading of the preprocessor fits (C, C++, CUDA, C#, which tree-sitter parses
        without one): a line counts only if it is also unfit when the first branch of every conditional is
        taken and, in C/C++/CUDA, every macro-style name (``ALL_CAPS``) and its argument list expand to nothing
        (``LEVELDB_EXPORT void f();``, ``x GUARDED_BY(mu);``, ``FMT_BEGIN_NAMESPACE``, X-macro lists); and, for
        a ``.h`` header read as C, also unfit as C++."""
        blanked = _first_branches(source)
        if name in _MACRO_GRAMMARS:
            blanked = _blank_macros(blanked)
        if blanked != source:
            g = self.grammar(name)
            lines &= _unfit_lines(g.errors.captures(g.parser.parse(blanked).root_node), blanked, True)
        if lines and name == "c" and path.endswith(".h"):
            cpp = self.grammar("cpp")
            as_cpp = _unfit_lines(cpp.errors.captures(cpp.parser.parse(source).root_node), source, True)
            if blanked != source and as_cpp:
                as_cpp &= _unfit_lines(cpp.errors.captures(cpp.parser.parse(blanked).root_node), blanked, True)
            lines &= as_cpp
        return lines

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = doc.metadata.get("language")
        signals = self.signals(doc.text, language, doc.metadata.get("path") or "")
        if signals is None:
            self.stat_update(f"unchecked_{language}")
            return True
        c = self.config
        max_errors = c.error_share_by_language.get(language, c.max_error_line_share)
        if max_errors is not None and signals.error_line_share > max_errors:
            if not (language == "python" and c.python_ast_check and python_parses(doc.text)):
                return False, "quality:syntax_error"
            self.stat_update("syntax_error_overruled_by_ast")
        if c.max_long_function_share is not None and signals.long_function_share > c.max_long_function_share:
            return False, "quality:long_functions"
        if c.max_comment_fraction is not None and signals.comment_fraction > c.max_comment_fraction:
            return False, "quality:comment_ratio"
        return True
