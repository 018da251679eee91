"""Quality screening with a parser (report §2.4: "a compiler ... to remove code with syntax errors, poor
readability and low modularity"). The report publishes no details; the signals and defaults below are this
project's own choices.

Each file of a language in :data:`TREE_SITTER_LANGUAGES` is parsed once with tree-sitter (the grammars bundled in
``tree-sitter-language-pack<1``, which works offline) and three signals are read off the one parse tree with
tree-sitter queries (evaluated in C, no Python walk over the nodes):

* ``quality:syntax_error``: share of the file's lines touched by ``ERROR`` or ``MISSING`` nodes is above
  ``max_error_line_share`` (default 0.05; 0.2 for C, C++ and CUDA through ``error_share_by_language``). A
  compiler drops a file at its first error; a parser needs a tolerance because its grammars reject some valid
  code. tree-sitter's Python grammar parses all 1,402 Python files of the demo corpus without an error, but the
  C/C++ grammars do not run the preprocessor, so valid macro-heavy headers (pyarrow's ``ARROW_EXPORT``
  classes) show 3-16% error lines; hence the wider C-family tolerance. A Python file over the threshold is
  kept when the running interpreter's own parser (``ast.parse``) accepts it (``python_ast_check``, counted as
  ``syntax_error_overruled_by_ast``): the grammar loses its way on valid code such as a parenthesised
  expression continued at a lower indentation (CPython's ``test_compile.py``: 100% error lines), and on syntax
  newer than the grammar.
* ``quality:long_functions`` (modularity): share of the file's lines that lie inside functions longer than
  ``long_function_lines`` (default 200) is above ``max_long_function_share`` (default 0.5): a file that is
  mostly one or two huge functions. A C++ ``class EXPORT_MACRO Name {...}``, which the grammar misreads as a
  function returning a class, is not counted.
* ``quality:comment_ratio``: comments make up more than ``max_comment_fraction`` (default 0.8) of the file's
  non-whitespace characters (commented-out code, licence-only files); only for files of at least
  ``min_chars_for_ratios`` characters.

Functions are looked for down to nesting depth :data:`FUNCTION_MAX_DEPTH` (the outermost ones decide the share;
function *expressions* such as a UMD wrapper ``(function () { ... })()`` do not count), and the comment query
runs only when a cheap bound (characters of the lines holding a comment marker) says the share could exceed the
threshold: both keep the parser-based check close to the cost of the parse itself.

Files of other languages pass untouched (and are counted as ``unchecked_<language>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datatrove.data import Document

from dscoder.config import bounded
from dscoder.data.filters.base import CodeFilter

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
class SyntaxConfig:
    """Thresholds of the parser-based quality signals (this project's choices; see the module docstring)."""

    languages: list[str] = field(default_factory=lambda: list(TREE_SITTER_LANGUAGES))
    max_error_line_share: float | None = bounded(0.05, ge=0, le=1)
    error_share_by_language: dict[str, float] = field(default_factory=lambda: {"c": 0.2, "cpp": 0.2, "cuda": 0.2})
    long_function_lines: int = bounded(200, ge=1)
    max_long_function_share: float | None = bounded(0.5, ge=0, le=1)
    max_comment_fraction: float | None = bounded(0.8, ge=0, le=1)
    min_chars_for_ratios: int = bounded(200, ge=0)
    python_ast_check: bool = True  # a Python file that ast.parse accepts is never a syntax error

    def __post_init__(self):
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


_CLASS_SPECIFIERS = frozenset({"class_specifier", "struct_specifier", "union_specifier", "enum_specifier"})


def _is_misparsed_class(node) -> bool:
    """``class EXPORT_MACRO Name { ... }``: without a preprocessor the C/C++ grammars read a class whose name is
    preceded by a macro as a function definition returning that class; it is a class, not a long function."""
    type_node = node.child_by_field_name("type")
    return type_node is not None and type_node.type in _CLASS_SPECIFIERS


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


class SyntaxFilter(CodeFilter):
    """Parse with tree-sitter; drop files with syntax errors, huge functions or mostly comments (report §2.4)."""

    name = "🌳 Syntax and modularity (tree-sitter)"
    family = "quality"
    _requires_dependencies = (("tree_sitter", "tree-sitter"), ("tree_sitter_language_pack", "tree-sitter-language-pack"))

    def __init__(self, config: SyntaxConfig | None = None, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.config = config or SyntaxConfig()
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
        if root.has_error:
            spans = [
                (node.start_point[0], node.end_point[0] + 1)
                for nodes in g.errors.captures(root).values()
                for node in nodes
            ]
            error_share = min(1.0, _merged_length(spans) / n_lines)
        c = self.config
        long_share = comment_fraction = 0.0
        if g.functions is not None and c.max_long_function_share is not None and n_lines > c.long_function_lines:
            spans = []
            for node in g.functions.captures(root).get("n", ()):
                start, end = node.start_point[0], node.end_point[0] + 1
                if end - start > c.long_function_lines and not _is_misparsed_class(node):
                    spans.append((start, end))
            long_share = _merged_length(spans) / n_lines
        if g.comments is not None and c.max_comment_fraction is not None and len(text) >= c.min_chars_for_ratios:
            all_chars = len(source.translate(None, _WHITESPACE))
            bound = _comment_chars_bound(text, g.comment_syntax)
            if all_chars and bound is not None and bound / all_chars <= c.max_comment_fraction:
                comment_fraction = bound / all_chars  # cannot pass the threshold: the bound is reported
            elif all_chars:
                comment_chars = sum(
                    len(source[node.start_byte : node.end_byte].translate(None, _WHITESPACE))
                    for node in g.comments.captures(root).get("n", ())
                )
                comment_fraction = comment_chars / all_chars
        return SyntaxSignals(error_share, long_share, comment_fraction)

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
