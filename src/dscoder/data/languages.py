"""The paper's language set (report Table 1; docs/paper.md) and language identification by file name.

87 programming languages plus ``markdown`` and ``restructuredtext`` (the repository README lists 89 names).
Identification is by exact file name first (``Makefile``, ``Dockerfile``, ``CMakeLists.txt``), then by the
longest matching extension (``.blade.php`` before ``.php``). Ambiguous extensions and the choice made:

* ``.h``: ``c`` (C and C++ share it; the paper's C share includes headers). ``.hpp/.hh/.hxx`` are ``cpp``.
* ``.m``: ``matlab`` (Objective-C is not in the paper's set; Mathematica uses ``.wl/.nb``).
* ``.v``: ``verilog`` (Coq is not in the paper's set). ``.sv/.svh``: ``systemverilog``.
* ``.pl``: ``perl`` (Prolog uses ``.pro`` and ``.prolog`` here); ``.pm`` is ``perl``.
* ``.inc``: not identified (PHP, Pascal, C, SQL and BitBake all use it).
* ``.cls``: not identified (TeX class or Visual Basic/Apex class).
* ``.sql``: ``sql``; ``.ml/.mli``: ``ocaml``; ``.fs/.fsi/.fsx``: ``f-sharp`` (GLSL uses ``.frag``).

:func:`language_of` decides from the path alone. :func:`identify_language` also looks at the text, where the
path leaves a real doubt (each rule reads only the first few KiB, with compiled regular expressions):

* ``.h``: ``cpp`` when the header uses C++ only syntax (``namespace``, ``class X {``, ``template <``,
  ``std::``, ``public:``/``private:``, ``#include <iostream>``-style headers without ``.h``), else ``c``.
* ``.m``: ``None`` (Objective-C, not in the set) when it has ``@interface``/``@implementation``/``#import``,
  else ``matlab``.
* ``.pl``: ``prolog`` when it has clauses (``head :- body.``) and no Perl markers (``my $``, ``use strict``,
  ``sub name {``), else ``perl``. ``.pro``: ``None`` for qmake project files (``SOURCES +=``), else ``prolog``.
* ``.v``: ``None`` (Coq) when it has ``Theorem``/``Lemma``/``Proof.``/``Require Import``, else ``verilog``.
* ``.fs``: ``glsl`` when it is a shader (``#version``, ``gl_FragColor``, ``uniform``/``varying`` declarations),
  else ``f-sharp``.
* ``.inc``: ``php`` when it opens with ``<?php``, else not identified. ``.cls``: ``tex`` when it has
  ``\\ProvidesClass`` or ``\\NeedsTeXFormat``, else not identified.
* No known name or extension: the ``#!`` line decides (``python``, ``bash``/``sh``/``zsh`` -> ``shell``,
  ``node`` -> ``javascript``, ``perl``, ``ruby``, ``php``, ``Rscript``, ``tclsh``, ``lua``, ``tcsh``/``csh``,
  ``awk``, ``julia``, ``pwsh``).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

#: The paper's 87 programming languages (report Table 1), in its spelling.
PAPER_LANGUAGES: tuple[str, ...] = tuple(
    """ada agda alloy antlr applescript assembly augeas awk batchfile bluespec c c-sharp clojure cmake coffeescript
common-lisp cpp css cuda dart dockerfile elixir elm emacs-lisp erlang f-sharp fortran glsl go groovy haskell
html idris isabelle java java-server-pages javascript json julia jupyter-notebook kotlin lean literate-agda
literate-coffeescript literate-haskell lua makefile maple mathematica matlab ocaml pascal perl php powershell
prolog protocol-buffer python r racket rmarkdown ruby rust sas scala scheme shell smalltalk solidity sparql
sql stan standard-ml stata systemverilog tcl tcsh tex thrift typescript verilog vhdl visual-basic xslt yacc
yaml zig""".split()  # noqa: SIM905 - the paper's list, kept as it reads
)
#: The two text languages the repository README adds to the 87.
TEXT_LANGUAGES: tuple[str, ...] = ("markdown", "restructuredtext")
SUPPORTED_LANGUAGES: frozenset[str] = frozenset(PAPER_LANGUAGES + TEXT_LANGUAGES)

_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "ada": (".adb", ".ads", ".ada"),
    "agda": (".agda",),
    "alloy": (".als",),
    "antlr": (".g4", ".g"),
    "applescript": (".applescript", ".scpt"),
    "assembly": (".asm", ".s", ".nasm"),
    "augeas": (".aug",),
    "awk": (".awk",),
    "batchfile": (".bat", ".cmd"),
    "bluespec": (".bsv",),
    "c": (".c", ".h"),
    "c-sharp": (".cs", ".csx"),
    "clojure": (".clj", ".cljs", ".cljc", ".edn"),
    "cmake": (".cmake",),
    "coffeescript": (".coffee",),
    "common-lisp": (".lisp", ".lsp", ".cl", ".asd"),
    "cpp": (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp"),
    "css": (".css",),
    "cuda": (".cu", ".cuh"),
    "dart": (".dart",),
    "dockerfile": (".dockerfile",),
    "elixir": (".ex", ".exs"),
    "elm": (".elm",),
    "emacs-lisp": (".el",),
    "erlang": (".erl", ".hrl"),
    "f-sharp": (".fs", ".fsi", ".fsx"),
    "fortran": (".f", ".f90", ".f95", ".f03", ".f08", ".for", ".f77"),
    "glsl": (".glsl", ".vert", ".frag", ".geom", ".comp", ".tesc", ".tese"),
    "go": (".go",),
    "groovy": (".groovy", ".gradle", ".gvy"),
    "haskell": (".hs", ".hsc"),
    "html": (".html", ".htm", ".xhtml"),
    "idris": (".idr",),
    "isabelle": (".thy",),
    "java": (".java",),
    "java-server-pages": (".jsp", ".jspx"),
    "javascript": (".js", ".mjs", ".cjs", ".jsx"),
    "json": (".json", ".jsonl", ".geojson"),
    "julia": (".jl",),
    "jupyter-notebook": (".ipynb",),
    "kotlin": (".kt", ".kts"),
    "lean": (".lean",),
    "literate-agda": (".lagda",),
    "literate-coffeescript": (".litcoffee",),
    "literate-haskell": (".lhs",),
    "lua": (".lua",),
    "makefile": (".mk", ".mak"),
    "maple": (".mpl", ".mw"),
    "mathematica": (".wl", ".nb", ".wls"),
    "matlab": (".m",),
    "ocaml": (".ml", ".mli"),
    "pascal": (".pas", ".pp", ".dpr", ".lpr"),
    "perl": (".pl", ".pm", ".t", ".pod"),
    "php": (".php", ".phtml", ".php3", ".php4", ".php5"),
    "powershell": (".ps1", ".psm1", ".psd1"),
    "prolog": (".pro", ".prolog"),
    "protocol-buffer": (".proto",),
    "python": (".py", ".pyi", ".pyw"),
    "r": (".r",),
    "racket": (".rkt",),
    "rmarkdown": (".rmd",),
    "ruby": (".rb", ".rake", ".gemspec"),
    "rust": (".rs",),
    "sas": (".sas",),
    "scala": (".scala", ".sc"),
    "scheme": (".scm", ".ss", ".sld"),
    "shell": (".sh", ".bash", ".zsh", ".ksh"),
    "smalltalk": (".st",),
    "solidity": (".sol",),
    "sparql": (".sparql", ".rq"),
    "sql": (".sql",),
    "stan": (".stan",),
    "standard-ml": (".sml", ".sig", ".fun"),
    "stata": (".do", ".ado"),
    "systemverilog": (".sv", ".svh"),
    "tcl": (".tcl", ".tk"),
    "tcsh": (".tcsh", ".csh"),
    "tex": (".tex", ".sty", ".bib"),
    "thrift": (".thrift",),
    "typescript": (".ts", ".tsx", ".mts", ".cts"),
    "verilog": (".v", ".vh"),
    "vhdl": (".vhd", ".vhdl"),
    "visual-basic": (".vb", ".vbs", ".bas", ".frm"),
    "xslt": (".xsl", ".xslt"),
    "yacc": (".y", ".yy", ".yacc"),
    "yaml": (".yaml", ".yml"),
    "zig": (".zig",),
    "markdown": (".md", ".markdown", ".mdown"),
    "restructuredtext": (".rst", ".rest"),
}

_FILENAMES: dict[str, str] = {
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "cmakelists.txt": "cmake",
    "rakefile": "ruby",
    "gemfile": "ruby",
    "jenkinsfile": "groovy",
    ".bashrc": "shell",
    ".bash_profile": "shell",
    ".zshrc": "shell",
    ".emacs": "emacs-lisp",
    "build.gradle": "groovy",
}

EXTENSION_TO_LANGUAGE: dict[str, str] = {ext: lang for lang, exts in _EXTENSIONS.items() for ext in exts}
_MAX_EXT_PARTS = max(ext.count(".") for ext in EXTENSION_TO_LANGUAGE)


def language_of(path: str) -> str | None:
    """The paper's language name for a file path, or ``None`` when the file is in no supported language."""
    name = PurePosixPath(path).name
    lower = name.lower()
    if lower in _FILENAMES:
        return _FILENAMES[lower]
    if lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    if lower.startswith("makefile."):
        return "makefile"
    parts = lower.split(".")
    # Longest compound extension first (".blade.php" style), then the plain one.
    for n in range(min(_MAX_EXT_PARTS, len(parts) - 1), 0, -1):
        ext = "." + ".".join(parts[-n:])
        if ext in EXTENSION_TO_LANGUAGE:
            return EXTENSION_TO_LANGUAGE[ext]
    return None


# --- content-based disambiguation ---------------------------------------------------------------------------
_SNIFF_CHARS = 4096
_CPP_HEADER = re.compile(
    r"^\s*(?:namespace\s+\w+|template\s*<|class\s+\w+[^;]*\{|(?:public|private|protected)\s*:|using\s+namespace\b)"
    r"|std::|^\s*#\s*include\s*<(?:iostream|string|vector|map|memory|algorithm|utility|functional|cstdint|cstdio)>",
    re.MULTILINE,
)
_OBJC = re.compile(r"^\s*(?:@interface|@implementation|@protocol|#import)\b", re.MULTILINE)
_PERL = re.compile(r"^\s*(?:use\s+(?:strict|warnings)\b|my\s+[$@%]|sub\s+\w+\s*\{|package\s+[\w:]+;)", re.MULTILINE)
_PROLOG_CLAUSE = re.compile(r"^[a-z]\w*(?:\([^\n]*\))?\s*:-|^:-\s*\w+", re.MULTILINE)
_QMAKE = re.compile(r"^\s*(?:SOURCES|HEADERS|QT|CONFIG|TARGET|TEMPLATE|FORMS)\s*[+\-*]?=", re.MULTILINE)
_COQ = re.compile(r"^\s*(?:Theorem|Lemma|Proof\.|Require\s+Import|Inductive|Fixpoint)\b", re.MULTILINE)
_GLSL = re.compile(r"^\s*#version\s+\d+|\bgl_Frag(?:Color|Coord|Data)\b|^\s*(?:uniform|varying|in|out)\s+(?:vec|mat|float|sampler)", re.MULTILINE)
_TEX_CLASS = re.compile(r"\\(?:ProvidesClass|NeedsTeXFormat)\b")
_SHEBANG = re.compile(r"#!\s*(?:/usr)?(?:/local)?/bin/(?:env\s+(?:-\S+\s+)*)?([\w.+-]+)")
_INTERPRETERS: dict[str, str] = {
    "python": "python", "python2": "python", "python3": "python", "pypy": "python", "pypy3": "python",
    "sh": "shell", "bash": "shell", "zsh": "shell", "ksh": "shell", "dash": "shell",
    "node": "javascript", "nodejs": "javascript", "deno": "typescript", "ts-node": "typescript",
    "perl": "perl", "ruby": "ruby", "php": "php", "rscript": "r", "tclsh": "tcl", "wish": "tcl",
    "lua": "lua", "tcsh": "tcsh", "csh": "tcsh", "awk": "awk", "gawk": "awk", "julia": "julia",
    "pwsh": "powershell", "make": "makefile", "swipl": "prolog", "escript": "erlang", "racket": "racket",
    "guile": "scheme", "sbcl": "common-lisp", "groovy": "groovy", "kotlin": "kotlin", "scala": "scala",
}  # fmt: skip


def language_from_shebang(text: str) -> str | None:
    """The language a ``#!`` first line names (``#!/usr/bin/env python3`` -> ``python``), or ``None``."""
    if not text.startswith("#!"):
        return None
    m = _SHEBANG.match(text, 0, text.find("\n") if "\n" in text else len(text))
    if m is None:
        return None
    name = m.group(1).lower()
    if name in _INTERPRETERS:
        return _INTERPRETERS[name]
    base = re.sub(r"[\d.]+$", "", name)  # python3.11 -> python
    return _INTERPRETERS.get(base)


def identify_language(path: str, text: str | None = None) -> str | None:
    """The paper's language for a file, from its path and, where the path is ambiguous, its text.

    Without ``text`` this is :func:`language_of`. The ambiguity rules are listed in the module docstring.
    """
    language = language_of(path)
    if text is None:
        return language
    lower = path.rsplit("/", 1)[-1].lower()
    ext = lower[lower.rfind(".") :] if "." in lower else ""
    head = text[:_SNIFF_CHARS]
    if ext == ".h":
        return "cpp" if _CPP_HEADER.search(head) else "c"
    if ext == ".m":
        return None if _OBJC.search(head) else "matlab"
    if ext == ".pl":
        return "prolog" if _PROLOG_CLAUSE.search(head) and not _PERL.search(head) else "perl"
    if ext == ".pro":
        return None if _QMAKE.search(head) else "prolog"
    if ext == ".v":
        return None if _COQ.search(head) else "verilog"
    if ext == ".fs":
        return "glsl" if _GLSL.search(head) else "f-sharp"
    if ext == ".inc":
        return "php" if head.lstrip().startswith("<?php") else None
    if ext == ".cls":
        return "tex" if _TEX_CLASS.search(head) else None
    if language is None and (ext == "" or ext not in _KNOWN_NON_CODE):
        return language_from_shebang(text)
    return language


#: Extensions that are data, never scripts: a ``#!`` line in them does not make them code.
_KNOWN_NON_CODE = frozenset({".txt", ".csv", ".tsv", ".log", ".cfg", ".ini", ".conf", ".toml", ".lock", ".xml"})


#: Build manifests that name a repository's modules: the repository-level stage reads them to resolve imports
#: (``go.mod``'s module path, ``package.json``'s ``main``), so the filter stage carries them beside the kept
#: files; they are never training text on that account (``package.json`` is still a JSON file of its own).
MODULE_MANIFESTS: dict[str, str] = {"go.mod": "go", "package.json": "javascript", "Cargo.toml": "rust", "composer.json": "php"}
#: Manifests named by their extension: a C# project file (``src/App/App.csproj``) says which projects it references.
MODULE_MANIFEST_SUFFIXES: dict[str, str] = {".csproj": "c-sharp"}


def is_module_manifest(path: str) -> bool:
    """Whether ``path`` names a build manifest (:data:`MODULE_MANIFESTS`, :data:`MODULE_MANIFEST_SUFFIXES`):
    ``src/go.mod`` and ``src/App/App.csproj``: yes."""
    name = PurePosixPath(path).name
    return name in MODULE_MANIFESTS or PurePosixPath(name).suffix in MODULE_MANIFEST_SUFFIXES


# --- dataset language labels -> the paper's spelling ----------------------------------------------------------
#: Labels that do not follow from :func:`_label_key`'s spelling rules: GitHub Linguist names (The Stack v2/v3),
#: codeparrot/github-code's capitals (``GO``, ``FORTRAN``) and dialects the paper counts under one language. Any
#: other label names no language of the set (``Go Module`` is ``go.mod``, a build manifest the repository stage
#: takes by its path; ``Objective-C`` shares ``.m`` with MATLAB, which the path rules settle).
_LABEL_ALIASES: dict[str, str] = {
    "tsx": "typescript", "jsx": "javascript", "fortran-free-form": "fortran", "fortran-fixed-form": "fortran",
    "visual-basic-.net": "visual-basic", "vba": "visual-basic", "vbscript": "visual-basic", "vb.net": "visual-basic",
    "unix-assembly": "assembly", "motorola-68k-assembly": "assembly", "asm": "assembly", "lean-4": "lean",
    "plsql": "sql", "tsql": "sql", "plpgsql": "sql", "sqlpl": "sql", "json-with-comments": "json",
    "bash": "shell", "sh": "shell", "zsh": "shell", "shell-script": "shell",
    "c#": "c-sharp", "csharp": "c-sharp", "f#": "f-sharp", "fsharp": "f-sharp", "c++": "cpp", "jupyter": "jupyter-notebook",
    "ipython-notebook": "jupyter-notebook", "r-markdown": "rmarkdown", "rst": "restructuredtext",
    "protobuf": "protocol-buffer", "protocol-buffers": "protocol-buffer", "docker": "dockerfile", "make": "makefile",
}  # fmt: skip


def _label_key(label: str) -> str:
    """``"Common Lisp"`` -> ``common-lisp``, ``"Emacs Lisp"`` -> ``emacs-lisp``: lower case, spaces to hyphens."""
    return "-".join(label.strip().lower().split())


def paper_language(label: object) -> str | None:
    """The paper's spelling of a dataset's language label, or ``None`` when it names no language of the set.

    Accepts the paper's own names (``c-sharp``), The Stack v1 folder names, GitHub Linguist names as The Stack
    v2/v3 write them (``C#``, ``C++``, ``Jupyter Notebook``, ``TSX``, ``Go Module`` -> ``None``) and
    codeparrot/github-code's (``GO``, ``FORTRAN``, ``Visual Basic``); case and spacing do not matter.
    """
    if not isinstance(label, str) or not label.strip():
        return None
    key = _label_key(label)
    if key in _LABEL_ALIASES:
        return _LABEL_ALIASES[key]
    return key if key in SUPPORTED_LANGUAGES else None
