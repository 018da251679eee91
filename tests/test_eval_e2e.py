"""A tiny random model runs through every task end to end on CPU (scores near zero; the run is real)."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import replace

import pytest

from dscoder.evaluation.generation import GenerationSettings, HFGenerator
from dscoder.evaluation.suite import SuiteConfig, run_eval_suite
from dscoder.evaluation.tasks import TASKS, TaskConfig
from dscoder.evaluation.tasks.crossfile import build_crossfile_set

pytestmark = pytest.mark.slow

FILES = {
    ("demo/pkg", "pkg/geometry.py"): "import math\n\n\ndef circle_area(r):\n    return math.pi * r * r\n\n\n"
    "def square_area(s):\n    return s * s\n",
    ("demo/pkg", "pkg/report.py"): "from pkg.geometry import circle_area, square_area\n\n\ndef report(values):\n"
    "    out = []\n    for v in values:\n        out.append(v)\n        total = circle_area(v) + square_area(v)\n"
    "        out.append(total)\n    return out\n",
}
DS1000_RECORD = {
    "prompt": "import numpy as np\nn = 3\n<code>\n", "reference_code": "out = np.arange(n).sum()",
    "code_context": "import numpy as np\n\ndef test_execution(solution: str):\n    env = {}\n"
    "    exec('import numpy as np\\nn = 3\\n' + solution, env)\n    assert env['out'] == 3\n",
    "metadata": {"problem_id": 0, "library": "Numpy"},
}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """On a shared, loaded CPU, OpenMP threads spin against each other (16x slower decoding measured here)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch

    from dscoder.modeling import DeepseekCoderForCausalLM, preset_config
    from dscoder.tokenization import (
        bytes_only_tokenizer,
        save_tokenizer,
        to_transformers,
    )
    from dscoder.tokenization.special_tokens import padded_vocab_size

    path = tmp_path_factory.mktemp("tiny-model")
    tok = to_transformers(bytes_only_tokenizer())
    config = preset_config("tiny", vocab_size=padded_vocab_size(len(tok)), bos_token_id=tok.bos_token_id,
                           eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    DeepseekCoderForCausalLM(config).save_pretrained(path)
    save_tokenizer(tok, path)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory, benchmarks_dir):
    root = tmp_path_factory.mktemp("eval-data")
    bench = root / "benchmarks"
    bench.mkdir()
    for entry in benchmarks_dir.iterdir():
        if entry.is_dir():
            os.symlink(entry, bench / entry.name)
    (bench / "ds1000").mkdir()
    with gzip.open(bench / "ds1000" / "ds1000.jsonl.gz", "wt") as f:
        f.write(json.dumps(DS1000_RECORD) + "\n")
    records = root / "records"
    records.mkdir()
    with gzip.open(records / "00000.jsonl.gz", "wt") as f:
        for i, ((repo, path), text) in enumerate(FILES.items()):
            f.write(json.dumps({"id": str(i), "text": text, "repo": repo, "path": path, "language": "python"}) + "\n")
    repos = {"demo/pkg": {path: {"text": text, "language": "python"} for (_, path), text in FILES.items()}}
    cceval = root / "cceval.jsonl"
    cceval.write_text("".join(json.dumps(r) + "\n" for r in build_crossfile_set(repos)))
    return {"benchmarks": bench, "records": records, "cceval": cceval}


def test_every_task_end_to_end_and_rerun_skips_finished_samples(tiny_model, data, tmp_path):
    tasks = [TaskConfig(task=name) for name in TASKS if not name.startswith(("crossfile", "fim-files", "crosscodeeval"))]
    tasks += [TaskConfig(task="crosscodeeval", data=data["cceval"]),  # the registry names instruct and CoT tasks
              TaskConfig(task="crossfile-demo", data=data["records"]),
              TaskConfig(task="fim-files", data=data["records"], max_problems_per_repo=2)]
    suite = SuiteConfig(name="tiny", tasks=tasks, limit=1, max_new_tokens=6,
                        generation=GenerationSettings(batch_size=4, max_length=1024))
    generator = HFGenerator.from_pretrained(tiny_model, suite.generation)
    calls = []
    generate_batch = generator.generate_batch
    generator.generate_batch = lambda batch: calls.append(len(batch)) or generate_batch(batch)

    out = tmp_path / "eval"
    summary = run_eval_suite(suite, tiny_model, out, allow_code_execution=True, data_dir=data["benchmarks"],
                             workers=2, generator=generator, show=False)
    rows = {r["task"]: r for r in summary["rows"]}
    all_languages = all(rows[f"humaneval-{x}"]["status"] == "ok" for x in ("cpp", "java", "php", "ts", "cs", "sh", "js"))
    assert len(rows) == len(tasks) + 1 + all_languages  # the task rows, the PAL mean, HumanEval's mean when all 8 ran
    assert len(tasks) == 31
    for name, row in rows.items():
        toolchain = row["status"].startswith("skipped: toolchain missing")
        assert row["status"] == "ok" or toolchain, (name, row["status"])
        if row["status"] == "ok" and not name.endswith("-mean"):
            results = json.loads((out / name / "results.json").read_text())
            assert len(results["samples"]) == row["n"] >= 1
            assert {"task_id", "prompt", "output", "completion", "passed"} <= set(results["samples"][0])
    assert rows["humaneval-python"]["paper"] == 34.8 and rows["mbpp"]["paper"] == 46.2
    assert rows["ds1000"]["n"] == 1 and rows["fim-files"]["n"] == 1
    assert {"exact_match", "edit_similarity"} <= set(rows["crossfile-demo"]["scores"])
    assert (out / "summary.md").read_text().startswith("# tiny:")
    assert (out / "summary.png").stat().st_size > 0
    assert sum(calls) == sum(r["n"] for name, r in rows.items() if not name.endswith("-mean"))

    calls.clear()  # a rerun finds every sample in the checkpoints and generates nothing (compiled languages left out: slow)
    rerun = [t for t in tasks if t.task not in ("humaneval-cpp", "humaneval-java", "humaneval-ts", "humaneval-cs")]
    again = run_eval_suite(replace(suite, tasks=rerun), tiny_model, out, allow_code_execution=True,
                           data_dir=data["benchmarks"], workers=2, generator=generator, show=False)
    assert calls == []
    assert {r["task"]: r["score"] for r in again["rows"]}.items() <= {k: r["score"] for k, r in rows.items()}.items()


def test_execution_tasks_are_skipped_without_opt_in(tiny_model, data, tmp_path):
    suite = SuiteConfig(name="no-exec", tasks=[TaskConfig(task="mbpp"), TaskConfig(task="fim-single-line")],
                        limit=1, max_new_tokens=4)
    summary = run_eval_suite(suite, tiny_model, tmp_path, data_dir=data["benchmarks"], show=False)
    mbpp, fim = summary["rows"]
    assert mbpp["status"].startswith("skipped: mbpp executes model-generated code") and mbpp["score"] is None
    assert fim["status"] == "ok" and set(fim["scores"]) == {"exact_match"}
