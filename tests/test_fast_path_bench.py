"""bench/gpu_train.py keeps working: its --smoke mode runs the whole script on CPU at a tiny shape."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "gpu_train.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gpu_train_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    module._import_heavy()  # main() does it after parsing its arguments
    yield module
    sys.modules.pop(spec.name, None)


def test_smoke_run_passes_checks_and_reports_every_variant(bench, tmp_path):
    out = tmp_path / "bench.json"
    argv = [
        "--smoke",
        "--batch",
        "2",
        "--seq",
        "64",
        "--steps",
        "1",
        "--warmup",
        "1",
        "--check-seq",
        "32",
        "--json",
        str(out),
    ]
    assert bench.main(argv) == 0
    report = json.loads(out.read_text())
    assert [(r["variant"], r["batch"]) for r in report["results"]] == [
        ("llama", "plain"),
        ("ours_fast", "plain"),
        ("llama", "packed"),
        ("ours_fast", "packed"),
    ]
    plain = {r["variant"]: r for r in report["results"] if r["batch"] == "plain"}
    assert abs(plain["llama"]["loss"] - plain["ours_fast"]["loss"]) <= bench.LOSS_TOLERANCE_BF16
    assert all(row["loss_ok"] and row["grad_ok"] for row in report["checks"].values())
    assert report["fast_path"]["cross_entropy"] == "chunked_torch"
    assert report["fast_path"]["varlen_kernel"] == "segment_sdpa"


def test_packed_batch_layout(bench):
    batch = bench.make_batch("packed", 3, 256, 100, "cpu", seed=0)
    positions, labels = batch["position_ids"], batch["labels"]
    for row, lengths in enumerate(batch["doc_lengths"]):
        assert sum(lengths) == 256
        starts = [0]
        for n in lengths[:-1]:
            starts.append(starts[-1] + n)
        assert (positions[row] == 0).nonzero().flatten().tolist() == starts
        assert (labels[row] == -100).nonzero().flatten().tolist() == starts


def test_step_flops_counts_causal_attention_per_document(bench):
    from dscoder.modeling import preset_config

    config = preset_config("deepseek-coder-1.3b")
    assert bench.matmul_parameters(config) == 1_346_471_936 - 32_256 * 2048 - (2 * 24 + 1) * 2048
    plain = bench.step_flops(config, [[4096]] * 4)
    packed = bench.step_flops(config, [[2048, 2048]] * 4)
    attention_plain = 6 * 24 * 2048 * 4 * 4096**2
    assert plain - packed == attention_plain / 2
