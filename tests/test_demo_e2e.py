"""`dscoder demo --quick` end to end (issue 11): every stage runs on the embedded corpus, the numbers of one stage
are the input of the next, the artifacts load with the Hub libraries, and a rerun reuses every stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dscoder.demo import STAGES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "quick"
    env = {**os.environ, "OMP_NUM_THREADS": "2", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-m", "dscoder_cli", "demo", "--quick", "--output", out.name],
                          capture_output=True, text=True, env=env, timeout=900, check=False, cwd=out.parent)  # relative, as `make demo`
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc


def _summary(out, stage):
    return json.loads((out / "stages" / f"{stage}.done").read_text())["summary"]


def test_every_stage_ran_and_feeds_the_next(run):
    out, _ = run
    s = {stage.name: _summary(out, stage.name) for stage in STAGES}
    assert s["filter"]["files_in"] == s["corpus"]["files"]
    assert s["filter"]["kept"] + s["filter"]["dropped"] == s["filter"]["files_in"]
    assert s["holdout"]["train_files"] + s["holdout"]["heldout_files"] == s["filter"]["kept"]
    assert s["decontaminate"]["samples_in"] == s["repo_level"]["samples"]
    assert s["decontaminate"]["kept"] + s["decontaminate"]["dropped"] == s["decontaminate"]["samples_in"]
    assert s["decontaminate"]["planted_caught"] is True  # the planted HumanEval/12 file is found
    assert s["tokenizer"]["tokens"] == 2_000 + 9  # learned vocabulary + the 9 special tokens
    assert s["tokenize"]["tokens"] == s["tokenize"]["rows"] * 256
    assert s["pretrain"]["steps"] == 30 and s["sft"]["steps"] == 12
    assert s["eval"]["base_tasks_scored"] >= 3  # HumanEval (package data), held-out FIM and cross-file sets
    assert s["export"]["dataset_rows"] == s["decontaminate"]["kept"]


def test_report_has_every_section_filled(run):
    out, _ = run
    html = (out / "report.html").read_text(encoding="utf-8")
    for title in ("Filtering funnel", "Repository-level samples", "Decontamination", "Tokenizer", "Pretraining",
                  "Instruction tuning", "Evaluation: base model", "Export in the Hub layout",
                  "Reloaded model completions"):
        assert f"<h2>{title}</h2>" in html
    assert html.count("data:image/png;base64,") >= 5  # funnel, contamination, two loss curves, eval chart
    assert "files in dependency order" in html and "base model&#x27;s middle" in html
    assert (out / "report.md").is_file()


def test_exported_artifacts_load_with_the_hub_libraries(run):
    out, _ = run
    from datasets import load_dataset
    from transformers import AutoConfig

    import dscoder  # noqa: F401

    config = AutoConfig.from_pretrained(out / "export" / "instruct")
    assert config.model_type == "deepseek_coder"
    assert (out / "export" / "base" / "model.safetensors").is_file()
    assert "library_name: transformers" in (out / "export" / "base" / "README.md").read_text()
    rows = load_dataset(str(out / "export" / "dataset"), split="train", cache_dir=str(out / "test_cache"),
                        download_mode="force_redownload")  # ~/.cache keys a local folder by its name only
    assert len(rows) == _summary(out, "export")["dataset_rows"] and "text" in rows.column_names


def test_rerun_reuses_every_stage(run):
    out, _ = run
    proc = subprocess.run([sys.executable, "-m", "dscoder_cli", "demo", "--quick", "--output", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("reused") >= len(STAGES) and " ran " not in proc.stdout


#: what a card generator leaves when it does not know a value (huggingface_hub's template, unfilled fields)
PLACEHOLDERS = ("[More Information Needed]", "{{", "}}", "TODO", "| ? |", " ? ", "None", "nan")


def test_exported_cards_are_written_from_the_run_with_no_placeholder(run):
    """export/base, export/instruct and export/dataset: metadata through huggingface_hub's card classes (base
    model, datasets, model-index with the held-out and benchmark results), the project's own text."""
    from huggingface_hub import DatasetCard, ModelCard

    out, _ = run
    base = ModelCard.load(out / "export" / "base" / "README.md")
    instruct = ModelCard.load(out / "export" / "instruct" / "README.md")
    dataset = DatasetCard.load(out / "export" / "dataset" / "README.md")
    for card in (base, instruct, dataset):
        assert [p for p in PLACEHOLDERS if p in str(card)] == []
    assert base.data.datasets == ["dscoder-demo-samples"] and base.data.base_model is None
    assert instruct.data.base_model == "dscoder-demo-base"
    metrics = {(r.dataset_name, r.metric_type) for r in base.data.eval_results}
    assert {"loss", "perplexity", "pass@1"} <= {m for _, m in metrics}
    assert any(name.startswith("HumanEval") for name, m in metrics if m == "pass@1")
    for text in (base.text, instruct.text):
        for expected in ("## Training data", "| optimizer | adamw_torch, lr", "| schedule |", "## Results", "## Use",
                         "AutoModelForCausalLM.from_pretrained(", "@article{guo2024deepseekcoder"):  # fmt: skip
            assert expected in text, expected
    assert "FIM rate 0.5 (PSM)" in base.text and 'from_pretrained("dscoder-demo-instruct")' in instruct.text
    assert dataset.data.license == "other" and dataset.data.configs
    for expected in ("## Filter funnel", "| kept |", "## Decontamination", 'load_dataset("dscoder-demo-samples")'):
        assert expected in dataset.text, expected
    for name in ("recipe.yaml", "train_summary.json", "eval_results.json"):  # the run's record travels with it
        assert (out / "export" / "base" / name).is_file()


def test_every_tiny_recipe_runs_on_the_demos_output(run, tmp_path):
    """`make demo` then each tiny recipe, as they are (paths into demo_output/, the row length read from the
    tokenised data): only the length of the run and its output folder are changed here."""
    import shutil
    from pathlib import Path

    import torch

    from dscoder.training.runner import run_recipe

    out, _ = run
    shutil.copytree(Path(__file__).resolve().parents[1] / "recipes" / "tiny", tmp_path / "recipes" / "tiny")
    (tmp_path / "demo_output").symlink_to(out)  # the checkout's demo_output/, beside its recipes/
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name in ("pretrain", "long_context", "continued_pretrain", "sft"):
            summary = run_recipe(tmp_path / "recipes" / "tiny" / f"{name}.yaml", {
                "training.max_steps": 2, "training.save_steps": 2, "schedule.warmup_steps": 1,
                "training.output_dir": str(tmp_path / "runs" / name)})  # fmt: skip
            assert summary["steps"] == 2 and summary["completed"], name
    finally:
        torch.set_num_threads(threads)
    recipe = json.loads((tmp_path / "runs" / "pretrain" / "train_summary.json").read_text())
    assert recipe["batch"]["global_sequences"] == 8
    assert json.loads((tmp_path / "runs" / "pretrain" / "eval_results.json").read_text())["eval_loss"] > 0
