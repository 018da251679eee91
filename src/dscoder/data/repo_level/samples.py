"""Sample text (report §2.2, repository README): the files of a component in order, each preceded by a
one-line comment giving its repository path in that language's comment syntax, separated by one blank line.

    # utils.py
    <text of utils.py>

    # model.py
    <text of model.py>

:func:`split_sample` is the inverse of :func:`render_sample` for a repository sample (its ``files`` metadata
names the headers to look for), and :func:`sample_without_files` re-forms a sample without some of its files
(file-level decontamination keeps the rest of the repository, in its order).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

__all__ = ["COMMENT_SYNTAX", "join_sample", "path_comment", "render_sample", "sample_without_files", "split_sample"]

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


def join_sample(files: Sequence[tuple[str, str]], language: str) -> str:
    """:func:`render_sample` for files that share ``language``'s comment syntax (the files of one sample do: one
    dependency family, e.g. C and C++ both use ``//``)."""
    return render_sample([(path, language, text) for path, text in files])


def split_sample(text: str, paths: Sequence[str], language: str) -> list[tuple[str, str]]:
    """The ``(path, text)`` files of a sample rendered by :func:`render_sample` with headers in ``language``'s
    comment syntax, ``paths`` in sample order (the sample's ``files`` metadata). Each text is as rendered (it ends
    with a newline), so ``join_sample(split_sample(t, paths, lang), lang) == t``.

    Headers are found in order, each as its own line after a blank line; a file whose text itself holds the
    *next* file's header line after a blank line cannot be told apart (``ValueError`` when headers are missing)."""
    if not paths:
        raise ValueError("split_sample: a sample needs at least one file path")
    headers = [path_comment(p, language) for p in paths]
    if any(h is None for h in headers):
        if len(paths) == 1:
            return [(paths[0], text)]  # a language without comments: a one-file sample has no header
        raise ValueError(f"split_sample: {language!r} has no comment syntax, so files of a sample cannot be told apart")
    starts: list[int] = []
    pos = 0
    for k, header in enumerate(headers):
        marker = f"{header}\n"
        if k == 0:
            found = 0 if text.startswith(marker) else -1
        else:
            found = text.find(f"\n\n{marker}", pos)
            found = found + 2 if found >= 0 else -1
        if found < 0:
            raise ValueError(f"split_sample: header {header!r} of file {k} ({paths[k]}) not found in the sample text")
        starts.append(found)
        pos = found + len(marker) - 1  # the file text ends with a newline, which starts the next separator
    out = []
    for k, path in enumerate(paths):
        end = starts[k + 1] - 1 if k + 1 < len(paths) else len(text)  # drop the blank-line separator
        out.append((path, text[starts[k] + len(headers[k]) + 1 : end]))
    return out


def sample_without_files(text: str, metadata: dict[str, Any], remove: Collection[str]) -> tuple[str, dict[str, Any]] | None:
    """A repository sample re-formed without the files in ``remove`` (the others keep their order and headers);
    ``None`` when no file is left. ``metadata`` needs ``files`` and ``language``; the returned copy lists the
    files that remain."""
    files = split_sample(text, metadata["files"], metadata["language"])
    kept = [(path, body) for path, body in files if path not in remove]
    if not kept:
        return None
    return join_sample(kept, metadata["language"]), {**metadata, "files": [path for path, _ in kept]}
