"""Jupyter notebooks enter the corpus as scripts (report §2.1 counts ``jupyter-notebook`` as a language).

A ``.ipynb`` file is JSON: its cells' sources sit inside JSON strings, with every newline written ``\\n`` and every
quote ``\\"``. Read as text, that breaks every stage that looks at code: the rule filters' line lengths see one
enormous line, tree-sitter and the decontamination see escapes instead of tokens (a HumanEval solution pasted
into a cell was caught in 19.5% of cases against 100% for the same code in a ``.py`` file; 100% once converted,
``bench/notebook_decontam.py``). So, as StarCoder did for its Jupyter subset, a notebook is converted to a
script when it is read (:func:`notebook_to_script`, called by every checked reader of
:mod:`dscoder.data.readers`, so the filters, the repository stage, the decontamination and the tokenizer all
see the same text):

* code cells are kept as code, one blank line between cells; IPython magics and shell escapes (``%time``,
  ``!pip ...``) are commented out, so a Python notebook reads as a valid Python script;
* markdown, raw and (nbformat 3) heading cells become comments in the kernel's comment syntax (``#`` for
  Python, R, Julia; ``//`` for Scala, C++, ...);
* outputs (images, tables, tracebacks) are dropped: they are not code and are mostly base64 data.

The record keeps ``language: jupyter-notebook`` (the paper's language statistics) and gains
``notebook_language`` (the kernel's language, paper spelling when it has one), which also marks the text as
converted so a later stage never converts it twice. Written here rather than with jupytext/nbconvert: only the
cell sources are needed, and ``nbformat``'s schema validation rejects many real notebooks (missing ``metadata``,
old minor versions) whose cells are perfectly readable.
"""

from __future__ import annotations

import re

import orjson

__all__ = ["NOTEBOOK_LANGUAGE_KEY", "is_notebook_path", "notebook_to_script"]

#: metadata key set on converted notebooks: the kernel language (also the "already converted" mark)
NOTEBOOK_LANGUAGE_KEY = "notebook_language"
_MAGIC = re.compile(r"^\s*[%!]")


def is_notebook_path(path: object) -> bool:
    return isinstance(path, str) and path.lower().endswith(".ipynb")


def _source(cell: dict, key: str = "source") -> str:
    value = cell.get(key, "")
    return "".join(value) if isinstance(value, list) else value if isinstance(value, str) else ""


def _kernel_language(nb: dict) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for holder, key in ((meta.get("kernelspec"), "language"), (meta.get("language_info"), "name"), (meta, "language")):
        if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key].strip():
            return holder[key].strip()
    return "python"


def _cells(nb: object) -> list | None:
    if not isinstance(nb, dict):
        return None
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    return cells if isinstance(cells, list) else None


def notebook_to_script(text: str) -> tuple[str, str]:
    """``(script, kernel language)`` for a notebook's JSON text (nbformat 3 or 4); ``ValueError`` naming the
    problem when it is not a notebook."""
    from dscoder.data.languages import paper_language
    from dscoder.data.repo_level.samples import COMMENT_SYNTAX

    try:
        nb = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    cells = _cells(nb)
    if cells is None:
        raise ValueError("not a notebook (no 'cells' list)")
    kernel = _kernel_language(nb)
    language = paper_language(kernel) or kernel.lower()
    prefix, suffix = COMMENT_SYNTAX.get(language, ("#", ""))
    python = language == "python"
    parts = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        if kind == "code":
            source = _source(cell, "source" if "source" in cell else "input")  # nbformat 3: "input"
            if python:
                source = "\n".join(f"# {line}" if _MAGIC.match(line) else line for line in source.split("\n"))
        else:
            source = _source(cell)
            if kind == "heading":  # nbformat 3
                source = "#" * int(cell.get("level", 1) or 1) + " " + source
            lines = source.split("\n")
            source = "\n".join(f"{prefix} {line}".rstrip() + (f" {suffix}" if suffix else "") for line in lines)
        source = source.strip("\n")
        if source.strip():
            parts.append(source)
    script = "\n\n".join(parts)
    return (script + "\n" if script else ""), language
