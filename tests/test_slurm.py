"""The data pipelines on a real one-node Slurm (the ``slurm_cluster`` fixture): ``dscoder data filter`` and
``dscoder data repo-level`` with ``executor.kind: slurm`` submit their datatrove jobs through ``sbatch`` (the
repository-level chain of six passes linked by job dependencies), and what the jobs write equals a local run's
output: the same records with the same text."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # real Slurm jobs, each a fresh Python process: ~45 s in all on 2 cores


def _records(folder: Path) -> list[tuple[str, str]]:
    """(id, sha256 of the text) of every record under ``folder``, sorted."""
    out = []
    for path in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            out += [(r["id"], hashlib.sha256(r["text"].encode()).hexdigest()) for r in map(json.loads, f)]
    return sorted(out)


def _slurm_yaml(path: Path, cluster, **sections) -> Path:
    executor = {"kind": "slurm", "workers": 2,
                "slurm": {"partition": cluster.partition, "time": "00:10:00", "mem_per_cpu_gb": 1,
                          "venv_path": str(Path(sys.prefix) / "bin" / "activate")}}  # fmt: skip
    path.write_text(yaml.safe_dump({"executor": executor, **sections}), encoding="utf-8")
    return path


def test_filter_and_repo_level_on_slurm_equal_a_local_run(slurm_cluster, tmp_path, capsys):
    from dscoder.config import config_from_dict
    from dscoder.data.demo_corpus import build_demo_corpus
    from dscoder.data.filters import run_filter_stage
    from dscoder.data.funnel import load_funnel
    from dscoder.data.repo_level.config import RepoLevelConfig
    from dscoder.data.repo_level.stage import run_repo_level
    from dscoder_cli import main

    corpus = tmp_path / "corpus"
    build_demo_corpus(corpus, max_repos=10, max_bytes=1_500_000, max_repo_bytes=300_000, shards=2,
                      show_progress=False)  # fmt: skip
    dedup = {"signature_tasks": 1, "bands": 2}  # few MinHash tasks: every pass is a job of its own
    # submitted first: the jobs run while the local runs below compute the reference
    local = tmp_path / "local"
    slurm = tmp_path / "slurm"
    assert main(["data", "filter", str(corpus), str(slurm / "filtered"), "--tasks", "2",
                 "--config", str(_slurm_yaml(tmp_path / "filter.yaml", slurm_cluster))]) == 0  # fmt: skip
    run_filter_stage(corpus, local / "filtered", local / "excluded", local / "logs" / "filter", tasks=2, workers=1)
    assert main(["data", "repo-level", str(local / "filtered"), str(slurm / "samples"), "--tasks", "1",
                 "--config", str(_slurm_yaml(tmp_path / "repo.yaml", slurm_cluster, dedup=dedup))]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "submitted to Slurm (job " in printed and "rerun this command with --counts-only" in printed
    reference = config_from_dict({
        "input": str(local / "filtered"), "output": str(local / "samples"), "logs": str(local / "logs" / "repo_level"),
        "excluded": str(local / "excluded"), "dedup": dedup, "executor": {"kind": "local", "tasks": 1, "workers": 1},
    }, RepoLevelConfig)  # fmt: skip
    local_counts = run_repo_level(reference)
    slurm_cluster.wait_idle(timeout=240)

    filtered = _records(slurm / "filtered")
    assert filtered == _records(local / "filtered") and len(filtered) > 50
    assert _records(slurm / "excluded") == _records(local / "excluded")
    funnel = {k: v for k, v in load_funnel(slurm / "logs" / "filter").to_dict().items() if k != "seconds"}
    assert funnel == {k: v for k, v in load_funnel(local / "logs" / "filter").to_dict().items() if k != "seconds"}
    samples = _records(slurm / "samples")
    assert samples == _records(local / "samples") and len(samples) == local_counts["samples_out"] > 10
    assert local_counts["duplicates_removed"] >= 0
    assert main(["data", "repo-level", "--config", str(tmp_path / "repo.yaml"), str(local / "filtered"),
                 str(slurm / "samples"), "--counts-only"]) == 0  # fmt: skip
