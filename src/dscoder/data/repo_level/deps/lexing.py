"""Lexical helpers shared by the extractors: comment/string stripping and cached tree-sitter queries.

Python, Java, C# and C/C++ use a single compiled regular expression that recognises string literals and
comments in one left-to-right scan (so ``"// not a comment"`` and ``/* #include "x" */`` are handled) and then
line-anchored statement patterns. This is exact for those statements and ~4x faster than a tree-sitter parse
(measured on the demo corpus: tree-sitter parse + query ≈ 570 Python files/s on one core, below the
2,000 files/s goal). Languages whose import syntax needs a real parser (JavaScript/TypeScript regex and
template literals, Rust use-trees, Go, PHP, Ruby) go through tree-sitter queries (tree-sitter-language-pack
0.13 bundles the grammars offline).
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["identifiers", "node_text", "strip_c_like", "strip_python", "ts_captures"]

# String prefixes (r, b, f, u) need no handling: they stay as harmless letters, and a raw string lexes like any
# other (a backslash still keeps the next quote inside). The lookahead lets the scan skip ordinary characters fast.
_PY_TOKENS = re.compile(
    r"""(?=["'#])(?:"""
    r'''"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'''
    r"""|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"""
    r'''|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'''
    r"""|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"""
    r"""|\#[^\n]*)""",
    re.DOTALL,
)
_C_TOKENS = re.compile(
    r'''(?=["'/])(?:(?P<s>"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'(?:\\.|[^'\\\n])*')'''
    r"""|(?P<c>//[^\n]*|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/))""",
    re.DOTALL,
)
_CS_VERBATIM = re.compile(r'@"(?:[^"]|"")*"|\$@"(?:[^"]|"")*"|@\$"(?:[^"]|"")*"')
_IDENT = re.compile(r"[A-Za-z_]\w*")


def _blank(match: re.Match) -> str:
    # Keep newlines so that line-anchored patterns still see statement starts after a multi-line literal.
    return "\n" * match.group().count("\n") if "\n" in match.group() else " "


def strip_python(text: str) -> str:
    """Python source with every string literal and comment blanked (newlines kept)."""
    return _PY_TOKENS.sub(_blank, text)


def strip_c_like(text: str, keep_strings: bool = False, verbatim: bool = False) -> str:
    """C/C++/Java/C# source with comments blanked, and string literals too unless ``keep_strings``.
    ``verbatim`` also blanks C# ``@"..."`` strings first."""
    if verbatim:
        text = _CS_VERBATIM.sub(_blank, text)
    if keep_strings:
        return _C_TOKENS.sub(lambda m: m.group() if m.group("s") else _blank(m), text)
    return _C_TOKENS.sub(_blank, text)


def identifiers(text: str) -> set[str]:
    """The set of identifiers in (already stripped) source text."""
    return set(_IDENT.findall(text))


@cache
def _parser(language: str):
    from tree_sitter_language_pack import get_parser

    return get_parser(language)


@cache
def _cursor(language: str, query: str):
    import tree_sitter
    from tree_sitter_language_pack import get_language

    return tree_sitter.QueryCursor(tree_sitter.Query(get_language(language), query))


def ts_captures(language: str, text: str, query: str) -> dict[str, list]:
    """Parse ``text`` with the bundled tree-sitter grammar and return the query's captures by name."""
    tree = _parser(language).parse(text.encode("utf-8", "surrogatepass"))
    return _cursor(language, query).captures(tree.root_node)


def node_text(node) -> str:
    return node.text.decode("utf-8", "replace")
