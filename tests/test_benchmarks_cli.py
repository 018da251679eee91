"""`dscoder benchmarks list|download`: where each set comes from, and Hub downloads (recorded, never real)."""

from __future__ import annotations

import json

import datasets
import huggingface_hub
import pytest

from dscoder.benchmarks import ENV_VAR, loaders
from dscoder_cli import main


@pytest.fixture(autouse=True)
def _offline_and_empty_cache(monkeypatch, tmp_path_factory):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path_factory.mktemp("hf_cache")))
    monkeypatch.setenv("COLUMNS", "250")


def _rows(out: str) -> dict[str, list[str]]:
    return {cells[0]: cells[1:] for line in out.splitlines() if line.startswith("│")
            for cells in [[c.strip() for c in line.strip("│").split("│")]] if cells[0]}


def test_list_shows_records_location_and_licence(capsys, tmp_path):
    (tmp_path / "pal-math" / "asdiv").mkdir(parents=True)
    row = {"body": "Ann has 2 pens.", "question": "How many?", "answer": "2 (pens)", "idx": 0}
    (tmp_path / "pal-math" / "asdiv" / "test.json").write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert main(["benchmarks", "list", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert rows["humaneval"][:3] == ["164", "package", "MIT (openai/human-eval)"]
    assert rows["mbpp"][:3] == ["500", "package", "CC BY 4.0 (google-research/mbpp)"]
    assert rows["math"][:2] == ["5000", "package"]
    assert rows["asdiv"][:2] == ["1", "data dir"]
    assert rows["mawps"][:2] == ["-", "missing: needs --data-dir"]
    assert rows["leetcode"][:2] == ["-", "Hub (not cached): TechxGenus/LeetCode-Contest"]
    assert rows["ds1000"][:2] == ["-", "Hub (not cached): xlangai/DS-1000"]
    assert "not shipped: leetcode: LeetCode's problem statements" in out


def test_download_offline_is_one_clear_line(capsys):
    assert main(["benchmarks", "download"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("dscoder benchmarks: error: BenchmarkDataError: cannot reach the Hugging Face Hub at ")
    assert "(HF_HUB_OFFLINE is set): nothing downloaded (leetcode, ds1000 need it)" in err
    assert main(["benchmarks", "download", "mawps"]) == 1
    assert "no Hub copy is known for mawps" in capsys.readouterr().err
    assert main(["benchmarks", "download", "leetcod"]) == 1
    assert "unknown benchmark 'leetcod'" in capsys.readouterr().err


def test_download_fetches_the_hub_copies_into_the_cache(capsys, monkeypatch, tmp_path):
    """The Hub calls are recorded: hf_hub_download for LeetCode's file, datasets.load_dataset for DS-1000."""
    calls = []
    leet = tmp_path / "20240121-Jul.jsonl"
    leet.write_text("".join(json.dumps({"task_id": f"q{i}", "prompt": "p", "prompt_sft": "s", "test": "t"}) + "\n"
                            for i in range(3)), encoding="utf-8")

    def fake_hf_hub_download(repo_id, filename, repo_type=None, revision=None):
        calls.append(("hf_hub_download", repo_id, filename, repo_type, revision))
        return str(leet)

    def fake_load_dataset(name, config=None, split=None):
        calls.append(("load_dataset", name, config, split))
        return [{"prompt": "p", "reference_code": "r", "code_context": "", "metadata": {"problem_id": i}}
                for i in range(4)]

    monkeypatch.setattr(loaders, "hub_reachable", lambda: True)
    monkeypatch.setattr("dscoder.benchmarks.catalog.hub_reachable", lambda: True)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_hf_hub_download)
    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    assert main(["benchmarks", "download"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "leetcode: 3 records from TechxGenus/LeetCode-Contest in the HF cache",
        "ds1000: 4 records from xlangai/DS-1000 in the HF cache",
    ]
    hub_file = loaders.HUB_FILES["leetcode"]
    assert calls == [("hf_hub_download", hub_file.repo_id, "20240121-Jul.jsonl", "dataset", hub_file.revision),
                     ("load_dataset", "xlangai/DS-1000", None, "test")]
