"""The paper's language set (report Table 1, SPEC §1) and language identification by file name.

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
"""

from __future__ import annotations

from pathlib import PurePosixPath

#: The paper's 87 programming languages (SPEC §1), in its spelling.
PAPER_LANGUAGES: tuple[str, ...] = tuple(
    """ada agda alloy antlr applescript assembly augeas awk batchfile bluespec c c-sharp clojure cmake coffeescript
common-lisp cpp css cuda dart dockerfile elixir elm emacs-lisp erlang f-sharp fortran glsl go groovy haskell
html idris isabelle java java-server-pages javascript json julia jupyter-notebook kotlin lean literate-agda
literate-coffeescript literate-haskell lua makefile maple mathematica matlab ocaml pascal perl php powershell
prolog protocol-buffer python r racket rmarkdown ruby rust sas scala scheme shell smalltalk solidity sparql
sql stan standard-ml stata systemverilog tcl tcsh tex thrift typescript verilog vhdl visual-basic xslt yacc
yaml zig""".split()
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
