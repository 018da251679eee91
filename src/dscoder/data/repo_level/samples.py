"""Sample text (report §2.2, repository README): the files of a component in order, each preceded by a
one-line comment giving its repository path in that language's comment syntax, separated by one blank line.

    # utils.py
    <text of utils.py>

    # model.py
    <text of model.py>
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["COMMENT_SYNTAX", "path_comment", "render_sample"]

_LINE = {
    "#": "python ruby perl shell r julia yaml cmake makefile dockerfile elixir tcl tcsh awk powershell coffeescript "
    "maple sparql",
    "//": "c cpp cuda c-sharp java javascript typescript go rust php kotlin scala dart groovy glsl solidity zig verilog "
    "systemverilog protocol-buffer thrift stan bluespec antlr alloy f-sharp pascal",
    "--": "ada haskell lua sql vhdl elm agda idris lean applescript",
    ";": "common-lisp emacs-lisp scheme racket clojure assembly",
    "%": "erlang prolog tex matlab",
    "!": "fortran",
    "'": "visual-basic",
    "*": "stata",
    "REM": "batchfile",
    "..": "restructuredtext",
    "": "literate-haskell literate-agda literate-coffeescript",
}
_BLOCK = {
    ("/*", "*/"): "css sas yacc",
    ("(*", "*)"): "ocaml standard-ml mathematica isabelle augeas",
    ("<!--", "-->"): "html xslt markdown rmarkdown",
    ("<%--", "--%>"): "java-server-pages",
    ('"', '"'): "smalltalk",
}

#: language -> (prefix, suffix) of a one-line comment; languages without comments (json, jupyter-notebook)
#: are absent and their samples carry no path line.
COMMENT_SYNTAX: dict[str, tuple[str, str]] = {
    **{lang: (prefix, "") for prefix, langs in _LINE.items() for lang in langs.split()},
    **{lang: pair for pair, langs in _BLOCK.items() for lang in langs.split()},
}


def path_comment(path: str, language: str) -> str | None:
    """``# utils.py`` for Python, ``// Main.java`` for Java, ``<!-- index.html -->`` for HTML, ``None`` for JSON."""
    syntax = COMMENT_SYNTAX.get(language)
    if syntax is None:
        return None
    prefix, suffix = syntax
    if not prefix:
        return path
    return f"{prefix} {path} {suffix}" if suffix else f"{prefix} {path}"


def render_sample(files: Sequence[tuple[str, str, str]], with_paths: bool = True) -> str:
    """Concatenate ``(path, language, text)`` triples in the given order."""
    parts = []
    for path, language, text in files:
        header = path_comment(path, language) if with_paths else None
        part = text if header is None else f"{header}\n{text}"
        if not part.endswith("\n"):
            part += "\n"
        parts.append(part)
    return "\n".join(parts)
