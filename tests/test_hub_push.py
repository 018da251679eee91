"""The Hub both ways, offline: huggingface_hub's calls are recorded (issue 15 point 4).

A finished run pushes its whole record (weights, tokenizer, generation config, recipe.yaml, train_summary.json,
eval results, a model card naming base model and data) in one commit after everything is written; ``dscoder data
push`` publishes a pipeline output with a dataset card that ``datasets.load_dataset`` reads back.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_training_helpers import RECIPES, build_tokenizer, synthetic_code, write_jsonl


@pytest.fixture
def hub_calls(monkeypatch):
    """Every HfApi call that would reach the Hub, recorded with what the folder held at that moment."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils import filter_repo_objects

    calls: list[tuple[str, dict]] = []

    def create_repo(self, repo_id, **kwargs):
        calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, *, repo_id, folder_path, **kwargs):
        root = Path(folder_path)
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        sent = sorted(filter_repo_objects(files, allow_patterns=kwargs.get("allow_patterns"),
                                          ignore_patterns=kwargs.get("ignore_patterns")))  # fmt: skip
        readme = (root / "README.md").read_text() if (root / "README.md").exists() else ""
        calls.append(("upload_folder", {"repo_id": repo_id, "files": sent, "readme": readme, **kwargs}))
        return "https://huggingface.co/commit/0"

    def create_commit(self, *, repo_id, operations, **kwargs):
        calls.append(("create_commit", {"repo_id": repo_id, "operations": operations, **kwargs}))
        return "https://huggingface.co/datasets/commit/0"

    for name, fn in (("create_repo", create_repo), ("upload_folder", upload_folder), ("create_commit", create_commit)):
        monkeypatch.setattr(HfApi, name, fn)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_TOKEN", "hf_recorded_calls_only")  # a push needs a token; this one never leaves
    return calls


def test_model_push_uploads_the_whole_run_record_after_it_is_written(tmp_path, hub_calls):
    from dscoder.training.runner import run_recipe

    torch.set_num_threads(1)
    docs = synthetic_code(80)
    build_tokenizer(tmp_path / "tok", docs)
    write_jsonl(tmp_path / "corpus" / "code.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(docs[:60])])
    write_jsonl(tmp_path / "heldout" / "code.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(docs[60:])])
    summary = run_recipe(RECIPES / "tiny" / "pretrain.yaml", {
        "model.tokenizer": str(tmp_path / "tok"), "data.sources.code.path": str(tmp_path / "corpus"),
        "data.sources.code.kind": "text", "data.eval_sources.heldout.path": str(tmp_path / "heldout"),
        "data.seq_length": 64, "training.max_steps": 2, "training.save_steps": 1, "schedule.warmup_steps": 1,
        "training.output_dir": str(tmp_path / "run"), "hub.push": True, "hub.model_id": "me/tiny-coder",
    })  # fmt: skip
    assert (tmp_path / "run" / "checkpoint-2").is_dir()
    assert [name for name, _ in hub_calls] == ["create_repo", "upload_folder"]  # one commit, at the end only
    assert hub_calls[0][1]["repo_id"] == "me/tiny-coder" and hub_calls[0][1]["private"] is True
    upload = hub_calls[1][1]
    assert {"model.safetensors", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "recipe.yaml", "train_summary.json", "eval_results.json", "loss_history.jsonl",
            "README.md"} <= set(upload["files"])  # fmt: skip
    assert not [f for f in upload["files"] if f.startswith("checkpoint-")]
    card = upload["readme"]
    for expected in ("`tiny` (random initialisation)", "| code | corpus | text | 100.0% |", "FIM rate 0.5 (PSM)",
                     "lr 0.003", "deepseek, 1 warm-up", "heldout", "arXiv:2401.14196", "| loss |", "| perplexity |",
                     "model-index:"):  # fmt: skip
        assert expected in card, expected
    pushed = json.loads((tmp_path / "run" / "train_summary.json").read_text())
    assert pushed["steps"] == 2 and summary["hub_commit"].endswith("/commit/0")
    assert "eval_loss" in json.loads((tmp_path / "run" / "eval_results.json").read_text())


def test_a_push_without_a_token_fails_before_training(tmp_path, monkeypatch):
    from dscoder.training.runner import run_recipe

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no stored token either
    with pytest.raises(ValueError, match=r"hub.push: no Hugging Face token"):
        run_recipe(RECIPES / "tiny" / "pretrain.yaml", {"hub.push": True, "hub.model_id": "me/x",
                                                         "model.tokenizer": str(tmp_path),  # exists without make demo
                                                         "training.output_dir": str(tmp_path / "never")})  # fmt: skip
    assert not (tmp_path / "never").exists()


def test_model_card_names_a_hub_base_model_and_datasets(tmp_path):
    from dscoder.training.hub import model_card
    from dscoder.training.recipe import load_recipe

    recipe = load_recipe(RECIPES / "sft_instruct.yaml")
    (tmp_path / "train_summary.json").write_text(json.dumps({"steps": 10, "tokens": 40960, "final_loss": 1.25,
                                                              "batch": {"global_sequences": 1024}}))  # fmt: skip
    card = model_card(tmp_path, recipe, "me/instruct")
    assert card.data.base_model == "deepseek-ai/deepseek-coder-6.7b-base"
    assert card.data.datasets == ["nickrosh/Evol-Instruct-Code-80k-v1"]
    assert "instruction tuning (report §3.7)" in card.text and "Final training loss: 1.2500" in card.text
    assert "a seeded 1.0% slice" in card.text


def test_model_card_is_written_from_the_run_with_results_and_no_placeholder(tmp_path):
    """Metadata through huggingface_hub's ModelCardData / EvalResult (model-index: held-out loss and perplexity,
    benchmark scores), the project's text for the rest; nothing left unfilled, no path of this machine."""
    import math

    from huggingface_hub import ModelCard

    from dscoder.training.hub import benchmark_results, model_card
    from dscoder.training.recipe import load_recipe

    recipe = load_recipe(RECIPES / "tiny" / "sft.yaml", {"model.init_from": str(tmp_path / "checkpoints" / "base")})
    run = tmp_path / "run"
    run.mkdir()
    (run / "train_summary.json").write_text(json.dumps({"steps": 40, "tokens": 163840, "final_loss": 1.5, "batch": {
        "global_sequences": 8, "micro_batch_size": 4, "gradient_accumulation_steps": 2, "world_size": 1}}))  # fmt: skip
    (run / "eval_results.json").write_text(json.dumps({"eval_loss": 2.0, "eval_runtime": 1.0, "step": 40}))
    summary = {"rows": [
        {"task": "humaneval-python", "benchmark": "HumanEval Python", "metric": "pass@1", "n": 164, "score": 12.5,
         "status": "ok"},
        {"task": "mbpp", "benchmark": "MBPP", "metric": "pass@1", "n": 0, "score": None, "status": "skipped: no data"},
    ]}  # fmt: skip
    card = model_card(run, recipe, "me/coder-instruct", base_model="me/coder-base", datasets=["me/code-data"],
                      results=benchmark_results(summary), license="mit")  # fmt: skip
    text = str(card)
    for placeholder in ("[More Information Needed]", "{{", "TODO", "| ? |", "None", str(tmp_path)):
        assert placeholder not in text, placeholder
    reloaded = ModelCard(text).data
    assert (reloaded.base_model, reloaded.datasets, reloaded.license) == ("me/coder-base", ["me/code-data"], "mit")
    assert [(r.metric_type, r.metric_value) for r in reloaded.eval_results] == [
        ("loss", 2.0), ("perplexity", round(math.exp(2.0), 4)), ("pass@1", 12.5)]  # fmt: skip
    for expected in ("| base | `me/coder-base` |", ("| global batch | 8 sequences (4 per device x 2 accumulation x 1 "
                     "processes) |"), "| HumanEval Python | pass@1 (%, n=164) | 12.5 |", "Final training loss: 1.5000",
                     'AutoModelForCausalLM.from_pretrained("me/coder-instruct")', "arXiv:2401.14196"):  # fmt: skip
        assert expected in text, expected


def _records(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True)
    with gzip.open(folder / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


def test_dataset_push_uploads_the_shards_and_a_card_that_loads(tmp_path, hub_calls):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    from dscoder.data.decontamination.report import write_report
    from dscoder.data.filters import FilterPipelineConfig, run_filter_stage
    from dscoder_cli import main

    rows = [{"id": f"f{i}", "text": f"def f{i}(x):\n    return x * {i}\n", "repo": "r", "path": f"f{i}.py",
             "language": "python"} for i in range(5)]  # fmt: skip
    rows.append({"id": "long", "text": "x = 1" + " " * 1200 + "\n", "repo": "r", "path": "long.py", "language": "python"})
    _records(tmp_path / "corpus", rows)
    config = FilterPipelineConfig(blocks=["rules"])
    out, logs = tmp_path / "filtered", tmp_path / "logs" / "filter"
    run_filter_stage(tmp_path / "corpus", out, tmp_path / "excluded", logs, tasks=1, workers=1, config=config)
    report = write_report({"documents_scanned": 5, "documents_dropped": 0,
                           "benchmarks": {"humaneval": {"documents_touching": 0}}}, tmp_path / "report")  # fmt: skip
    assert main(["data", "push", str(out), "me/code-data", "--license", "mit", "--logs", str(logs),
                 "--decontamination-report", str(report)]) == 0  # fmt: skip
    assert [name for name, _ in hub_calls] == ["create_repo", "create_commit"]
    assert hub_calls[0][1]["repo_type"] == "dataset" and hub_calls[0][1]["private"] is True
    operations = hub_calls[1][1]["operations"]
    assert sorted(op.path_in_repo for op in operations) == ["README.md", "data/train-00000-of-00001.parquet"]
    # the pushed repository, rebuilt locally: the card's config makes load_dataset read the 5 kept files
    repo = tmp_path / "repo"
    for op in operations:
        target = repo / op.path_in_repo
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(op.path_or_fileobj, bytes):
            target.write_bytes(op.path_or_fileobj)
        else:
            shutil.copy(op.path_or_fileobj, target)
    card = (repo / "README.md").read_text()
    assert "license: mit" in card and "| input | 6 |" in card and "| kept | 5 |" in card
    assert "dropped: rules:" in card and "documents_scanned: 5" in card and "humaneval" in card
    info = DatasetCard(card).data.to_dict()["dataset_info"]  # what push_to_hub writes, read back the same way
    parquet = repo / "data" / "train-00000-of-00001.parquet"
    assert [f["name"] for f in info["features"]] == ["id", "text", "repo", "path", "language"]
    assert info["splits"] == [{"name": "train", "num_bytes": info["dataset_size"], "num_examples": 5}]
    assert info["download_size"] == parquet.stat().st_size and info["dataset_size"] > 0
    loaded = load_dataset(str(repo), split="train", cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded["id"]) == [f"f{i}" for i in range(5)]
    assert loaded.info.splits["train"].num_examples == 5 and loaded.features["text"].dtype == "string"
    with pytest.raises(FileNotFoundError, match="no data files"):
        from dscoder.data.hub_push import push_dataset

        push_dataset(tmp_path / "report", "me/x")


def test_export_writes_parquet_shards_with_one_schema(tmp_path):
    """Records whose keys differ get one schema (nulls where a key is absent); shards split by Arrow bytes and are
    named as push_to_hub names them; the card's features are the shards' schema."""
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    from dscoder.data.hub_push import export_dataset

    rows = [{"id": f"r{i}", "text": "x = 1\n" * (i + 1), "repo": "me/r", "stars": i} for i in range(40)]
    rows[3]["manifest"] = True
    rows[7]["stars"] = 2.5  # an int column promoted to double, as push_to_hub would infer
    _records(tmp_path / "out", rows[:20])
    with gzip.open(tmp_path / "out" / "00001.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows[20:])
    target = export_dataset(tmp_path / "out", tmp_path / "hub", "me/x", max_shard_bytes=1)
    shards = sorted(p.name for p in (target / "data").iterdir())
    assert shards == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    info = DatasetCard.load(target / "README.md").data.to_dict()["dataset_info"]
    assert {f["name"]: f["dtype"] for f in info["features"]} == {"id": "string", "text": "string", "repo": "string",
                                                                 "stars": "float64", "manifest": "bool"}
    assert info["splits"][0]["num_examples"] == 40
    loaded = load_dataset(str(target), split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded["manifest"].count(True) == 1 and loaded["manifest"].count(None) == 39
    assert loaded["stars"][7] == 2.5 and loaded["text"][39] == "x = 1\n" * 40


def test_export_from_parquet_shards_unifies_their_footer_schemas(tmp_path):
    """Parquet input: each shard's schema comes from its footer, and the shards' types are unified as for JSON."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import load_dataset

    from dscoder.data.hub_push import export_dataset

    (tmp_path / "out").mkdir()
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x\n", "y\n"], "stars": [1, 2]}), tmp_path / "out" / "0.parquet")
    pq.write_table(pa.table({"id": ["c"], "text": ["z\n"], "stars": [2.5]}), tmp_path / "out" / "1.parquet")
    target = export_dataset(tmp_path / "out", tmp_path / "hub", "me/x")
    loaded = load_dataset(str(target), split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.features["stars"].dtype == "float64"
    assert sorted(zip(loaded["id"], loaded["stars"])) == [("a", 1.0), ("b", 2.0), ("c", 2.5)]
