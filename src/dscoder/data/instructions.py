"""A demo instruction set from the demo corpus: docstring -> function, in the released fine-tuning format.

Report §3.7 tunes on Alpaca-style instructions that are not public; for the demo, every documented Python
function of the corpus becomes one record of the released ``finetune/`` script's format (report §3.7; docs/paper.md):
``{"instruction": ..., "output": ...}``. The instruction asks for the function by its signature and docstring;
the output is the function without its docstring, in a fenced code block, as the instruct models answer.

Records are read with dscoder's checked file-record reader, so malformed lines are counted, not fatal. Each
skipped function or file is counted by reason (``instructions:<reason>``) in the stats written beside the output.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import textwrap
from collections import Counter
from pathlib import Path

__all__ = ["build_instruction_set", "function_instructions"]

_MAX_OUTPUT_CHARS = 1200
_MIN_BODY_LINES = 2


def function_instructions(source: str, max_output_chars: int = _MAX_OUTPUT_CHARS, stats: Counter | None = None):
    """Yield ``{"instruction", "output"}`` for each documented function of one Python file."""
    stats = stats if stats is not None else Counter()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        stats["instructions:syntax_error"] += 1
        return
    lines = source.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        doc = ast.get_docstring(node, clean=True)
        if not doc or not doc.strip():
            stats["instructions:no_docstring"] += 1
            continue
        doc_node = node.body[0]
        start = node.lineno - 1  # the ``def`` line (decorators are left out)
        kept = lines[start : doc_node.lineno - 1] + lines[doc_node.end_lineno : node.end_lineno]
        body = [ln for ln in lines[doc_node.end_lineno : node.end_lineno] if ln.strip()]
        if len(body) < _MIN_BODY_LINES:
            stats["instructions:short_body"] += 1
            continue
        code = textwrap.dedent("\n".join(kept)).rstrip()
        if len(code) > max_output_chars:
            stats["instructions:long_body"] += 1
            continue
        signature = textwrap.dedent("\n".join(lines[start : doc_node.lineno - 1])).strip().rstrip(":").strip()
        signature = signature.removeprefix("async ").removeprefix("def ").strip()
        instruction = (
            f"Write a Python function `{signature}` that does the following.\n\n{inspect.cleandoc(doc)}"
        )
        stats["instructions:kept"] += 1
        yield {"instruction": instruction, "output": f"```python\n{code}\n```"}


def build_instruction_set(
    input_dir: str | Path,
    output_path: str | Path,
    *,
    max_examples: int | None = None,
    max_output_chars: int = _MAX_OUTPUT_CHARS,
    schema: str = "file-records",
) -> int:
    """Write the demo instruction set (JSONL) from file records under ``input_dir``; return the record count.
    ``schema``: the input's layout (:mod:`dscoder.data.source_schemas`; a preset reads Parquet shards).

    Only ``language == "python"`` records are used; duplicates (same instruction and output) are written once.
    Counts by reason go to ``<output_path>.stats.json``. Deterministic for a given corpus.
    """
    from tqdm import tqdm

    from dscoder.data.readers import ReaderConfig, build_reader

    input_dir, output_path = Path(input_dir), Path(output_path)
    if not input_dir.is_dir():
        raise FileNotFoundError(f"{input_dir}: not a folder of file records (JSONL[.gz])")
    reader = build_reader(ReaderConfig(format="jsonl" if schema == "file-records" else "parquet", schema=schema), input_dir)
    stats: Counter = Counter()
    seen: set[str] = set()
    written = 0
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8") as out:
        for doc in tqdm(reader.run(), desc="instructions", unit=" files"):
            if doc.metadata.get("language") != "python":
                stats["instructions:not_python"] += 1
                continue
            for record in function_instructions(doc.text, max_output_chars, stats):
                key = hashlib.sha1(f"{record['instruction']}\0{record['output']}".encode()).hexdigest()
                if key in seen:
                    stats["instructions:duplicate"] += 1
                    continue
                seen.add(key)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
                if max_examples is not None and written >= max_examples:
                    break
            if max_examples is not None and written >= max_examples:
                break
    stats["instructions:written"] = written
    for key, value in reader.stats.stats.items():
        if key.startswith("dropped_reader:"):
            stats[key.replace("dropped_reader:", "instructions:reader_")] += int(value.total)
    Path(f"{output_path}.stats.json").write_text(json.dumps(dict(sorted(stats.items())), indent=1), encoding="utf-8")
    if written == 0:
        raise ValueError(f"{input_dir}: no documented Python function found; nothing written to {output_path}")
    return written
