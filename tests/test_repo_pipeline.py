"""The repo-level datatrove pipelines end to end: group-by-repository, ordering, MinHash dedup, resumption."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from dscoder.config import config_from_dict
from dscoder.data.repo_level.config import RepoLevelConfig
from dscoder.data.repo_level.dedup import CodeWordTokenizer, code_shingles, jaccard
from dscoder.data.repo_level.grouping import bucket_of
from dscoder.data.repo_level.stage import (
    build_executors,
    collect_counts,
    run_repo_level,
)


def _code(rng: random.Random, functions: int, prefix: str = "") -> str:
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta", "zeta", "iota"]
    out = []
    for k in range(functions):
        name = f"{prefix}{rng.choice(words)}_{rng.randrange(10**6)}"
        args = [f"{rng.choice(words)}{j}" for j in range(rng.randint(1, 3))]
        body = [f"    {rng.choice(words)}_{i} = {rng.choice(args)} * {rng.randrange(100)} + {rng.randrange(1000)}" for i in range(6)]
        out.append(f"def {name}({', '.join(args)}):\n" + "\n".join(body) + f"\n    return {rng.choice(args)}\n")
    return "\n\n".join(out)


def _write(folder: Path, records: list[dict], extra_lines: list[str] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
        for line in extra_lines:
            f.write(line + "\n")
    return folder


def _record(repo: str, path: str, text: str, language: str = "python") -> dict:
    return {"id": f"{repo}/{path}", "text": text, "repo": repo, "path": path, "language": language}


def _corpus(rng: random.Random, repos: int = 6) -> list[dict]:
    records = []
    for r in range(repos):
        repo = f"owner/repo{r}"
        records.append(_record(repo, "pkg/base.py", _code(rng, 2)))
        for k in range(r % 3 + 1):
            records.append(_record(repo, f"pkg/mod{k}.py", "from pkg import base\n" + _code(rng, 2)))
        records.append(_record(repo, "README.md", f"# repo {r}\n", "markdown"))
    return records


def _config(tmp: Path, dedup: bool = False, buckets: int = 2, **extra) -> RepoLevelConfig:
    return config_from_dict(
        {
            "input": str(tmp / "in"),
            "output": str(tmp / "out"),
            "logs": str(tmp / "logs"),
            "excluded": str(tmp / "excluded"),
            "grouping": {"buckets": buckets},
            "ordering": {"tie_break": "path"},
            "dedup": {"enabled": dedup, "signature_tasks": 2},
            "executor": {"kind": "local", "tasks": 2, "workers": 1},
            **extra,
        },
        RepoLevelConfig,
    )


def _read(folder: Path) -> list[dict]:
    out = []
    for p in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(p, "rt", encoding="utf-8") as f:
            out.extend(json.loads(line) for line in f)
    return out


def _files(samples: list[dict]) -> Counter:
    return Counter((s["repo"], path) for s in samples for path in s["files"])


def test_bucket_routing_is_stable():
    assert bucket_of("owner/repo0", 8) == bucket_of("owner/repo0", 8)
    assert [bucket_of(f"r{i}", 4) for i in range(8)] == [bucket_of(f"r{i}", 4) for i in range(8)]
    assert len({bucket_of(f"r{i}", 4) for i in range(64)}) == 4


def test_group_order_counts_and_bad_records(tmp_path):
    rng = random.Random(0)
    records = _corpus(rng)
    good = Counter((r["repo"], r["path"]) for r in records)
    records += [
        {"id": "x1", "text": "print(1)\n", "path": "a.py", "language": "python"},  # no repo
        _record("owner/bad", "bin.py", "ab\x00cd"),
        _record("owner/solo", "solo.py", "print('one file')\n"),
    ]
    good[("owner/solo", "solo.py")] += 1
    _write(tmp_path / "in", records, extra_lines=["{not json"])
    counts = run_repo_level(_config(tmp_path))
    samples = _read(tmp_path / "out")
    assert _files(samples) == good  # every good file exactly once
    assert counts["repositories"] == 7 and counts["one_file_repositories"] == 1
    assert counts["repo_level:missing_repo"] == 1 and counts["repo_level:binary"] == 1
    assert counts["samples_file"] == 6  # the READMEs
    assert counts["components"] == 7 and counts["samples_out"] == len(samples) == 13
    assert counts["edges"] == sum(r % 3 + 1 for r in range(6))
    assert counts["in_order_share_paper"] == counts["in_order_share_scc"] == 1.0
    repo0 = next(s for s in samples if s["repo"] == "owner/repo0" and s["sample_kind"] == "repo")
    assert repo0["files"] == ["pkg/base.py", "pkg/mod0.py"] and repo0["text"].startswith("# pkg/base.py\n")
    excluded = _read(tmp_path / "excluded" / "repo_level_invalid")
    assert sorted(e["filter_reason"] for e in excluded) == ["repo_level:binary", "repo_level:missing_repo"]


class _Crash:
    """A pipeline step that lets ``after`` documents through on ``rank`` and then fails (an interrupted task)."""

    def __init__(self, rank: int, after: int):
        self.rank, self.after = rank, after

    def __call__(self, data, rank: int = 0, world_size: int = 1):
        for i, doc in enumerate(data):
            if rank == self.rank and i == self.after:
                raise RuntimeError("simulated crash")
            yield doc


def test_rerun_after_an_interrupted_task_loses_and_doubles_nothing(tmp_path):
    rng = random.Random(1)
    records = _corpus(rng, repos=10)
    _write(tmp_path / "in", records)
    config = _config(tmp_path, buckets=2)
    executors = build_executors(config)
    order = executors[1]
    order.pipeline.insert(1, _Crash(rank=1, after=2))  # after the sample builder, before the writer
    with pytest.raises(RuntimeError, match="simulated crash"):
        order.run()
    assert (tmp_path / "logs" / "order" / "completions" / "00000").exists()
    assert not (tmp_path / "logs" / "order" / "completions" / "00001").exists()
    run_repo_level(config)  # a plain rerun: rank 0 is skipped, rank 1 redone from the start
    assert _files(_read(tmp_path / "out")) == Counter((r["repo"], r["path"]) for r in records)
    counts = collect_counts(config)  # the stats of both runs' finished tasks, each counted once
    assert counts["repositories"] == 10 and counts["samples_out"] == 20


def test_minhash_removes_planted_near_duplicate_repositories(tmp_path):
    rng = random.Random(2)

    def repo(name: str, files: dict[str, str]) -> list[dict]:
        return [_record(name, p, t) for p, t in files.items()]

    base = {"core/base.py": _code(rng, 6)}
    for k in range(4):
        base[f"core/part{k}.py"] = "from core import base\n" + _code(rng, 6)
    renamed = dict(base)
    renamed["core/part0.py"] = base["core/part0.py"].replace("alpha", "renamed_a").replace("beta", "renamed_b")
    changed = dict(base)
    changed["core/part3.py"] = base["core/part3.py"] + "\n\n" + _code(rng, 1)  # an added function
    changed["core/part1.py"] = base["core/part1.py"].replace(" + 1", " + 7")
    records = repo("plant/original", base) + repo("plant/renamed", renamed) + repo("plant/changed", changed)
    records += repo("plant/reordered", base)  # same files: a different repository seed reorders them
    for u in range(4):
        records += repo(f"other/u{u}", {"core/base.py": _code(rng, 6), "core/x.py": "from core import base\n" + _code(rng, 6)})
    _write(tmp_path / "in", records)
    config = _config(tmp_path, dedup=True, ordering={"tie_break": "random", "seed": 0})
    counts = run_repo_level(config)
    kept = {s["repo"] for s in _read(tmp_path / "out")}
    removed = {s["repo"] for s in _read(tmp_path / "excluded" / "repo_level_near_duplicates")}
    assert len(removed) == 3 and len(kept) == 5 and not kept & removed
    assert {"plant/original", "plant/renamed", "plant/changed", "plant/reordered"} - kept == removed
    assert counts["duplicates_removed"] == 3
    texts = {s["repo"]: s["text"] for s in _read(tmp_path / "out") + _read(tmp_path / "excluded" / "repo_level_near_duplicates")}
    sets = {r: code_shingles(t, 5) for r, t in texts.items()}
    for r in removed:
        assert jaccard(sets[r], sets["plant/original"]) > 0.72
    assert max(jaccard(sets[a], sets[b]) for a in sets for b in sets if a < b and "other" in a) < 0.2


def test_code_word_tokenizer_keeps_case_punctuation_digits():
    assert CodeWordTokenizer().word_tokenize("x.Foo(42) != y_1") == ["x", ".", "Foo", "(", "42", ")", "!", "=", "y_1"]


def test_code_normalisation_keeps_what_code_means_and_folds_whitespace_only():
    from dataclasses import asdict

    from datatrove.utils.text import simplify_text

    from dscoder.data.repo_level.dedup import CODE_NORM

    assert asdict(CODE_NORM) == {
        "lowercase": False,
        "norm_whitespace": True,
        "remove_punctuation": False,
        "norm_unicode_diacritics": False,
        "norm_numbers": False,
        "norm_weekdays": False,
        "norm_monthnames": False,
    }
    assert simplify_text("def  Café(x):\n\treturn x + 42  # Monday", CODE_NORM) == "def Café(x): return x + 42 # Monday"


def test_code_minhash_signature_estimates_jaccard(tmp_path):
    from dscoder.data.repo_level.config import DedupConfig
    from dscoder.data.repo_level.dedup import CodeMinhashSignature, minhash_config

    step = CodeMinhashSignature(str(tmp_path), config=minhash_config(DedupConfig()))
    rng = random.Random(3)
    base = _code(rng, 40)
    lines = base.split("\n")
    for i in rng.sample(range(len(lines)), len(lines) // 10):
        lines[i] = f"    edited_{i} = {i}"
    edited = "\n".join(lines)
    sig_a, sig_b = (step.get_signature(step.get_shingles(t)) for t in (base, edited))
    assert len(sig_a) == 14 and all(len(band) == 8 for band in sig_a)
    assert all(0 <= h < (1 << 61) - 1 for band in sig_a for h in band)  # datatrove's hash range
    estimate = sum(x == y for ba, bb in zip(sig_a, sig_b) for x, y in zip(ba, bb)) / 112
    exact = jaccard(code_shingles(base, 5), code_shingles(edited, 5))
    assert abs(estimate - exact) < 0.1
    assert step.get_signature(step.get_shingles(base)) == sig_a  # deterministic
    assert step.get_shingles("a b c").shape == (0, 1)  # fewer tokens than n_grams: no signature
    assert step.get_shingles("a.b(c)").shape == (2, 1)  # 6 code tokens -> 2 five-grams


def test_pipeline_yaml_loads_with_the_defaults():
    from dscoder.config import load_yaml_config

    config = load_yaml_config(Path(__file__).resolve().parents[1] / "datatrove_pipelines" / "repo_level.yaml", RepoLevelConfig)
    assert config.ordering.repo_level_languages == ["python", "java", "c-sharp", "c", "cpp", "go", "javascript",
                                                    "typescript"]  # fmt: skip
    assert (config.ordering.order, config.dedup.n_grams, config.dedup.bands, config.dedup.rows) == ("scc", 5, 14, 8)
    assert config.grouping.buckets is None and config.grouping.bucket_mb == 128  # sized by bytes
    assert config.input.name == "filtered" and config.input.is_absolute()


def test_optional_exact_file_dedup_before_grouping(tmp_path):
    rng = random.Random(4)
    shared = _code(rng, 2)
    records = [
        _record("a/one", "vendored/six.py", shared),
        _record("a/one", "main.py", "import six\n" + _code(rng, 1)),
        _record("b/two", "lib/six.py", shared),  # the same text in another repository
        _record("b/two", "app.py", _code(rng, 1)),
    ]
    _write(tmp_path / "in", records)
    config = _config(tmp_path, dedup=False)
    config.dedup.exact_file_dedup = True
    counts = run_repo_level(config)
    files = _files(_read(tmp_path / "out"))
    assert sum(files.values()) == 3 and counts["exact_duplicates_removed"] == 1 and counts["files_in"] == 4
    dropped = _read(tmp_path / "excluded" / "repo_level_exact_duplicates")
    assert len(dropped) == 1 and dropped[0]["text"] == shared


def test_changed_settings_start_over_instead_of_resuming(tmp_path):
    _write(tmp_path / "in", _corpus(random.Random(5), repos=3))
    first = run_repo_level(_config(tmp_path, buckets=2))
    assert first["repositories"] == 3
    again = run_repo_level(_config(tmp_path, buckets=2))  # same settings: every task is skipped, same counts
    assert again == first
    changed = run_repo_level(_config(tmp_path, buckets=3))  # other settings: stale buckets must not be reused
    assert changed["repositories"] == 3
    expected = {f"bucket_{bucket_of(f'owner/repo{r}', 3):05d}" for r in range(3)}
    assert {p.name for p in (tmp_path / "out_work" / "buckets").iterdir()} == expected  # no stale 2-bucket shards
    assert sum(_files(_read(tmp_path / "out")).values()) == 3 + sum(r % 3 + 1 for r in range(3)) + 3


def test_urls_are_refused_where_the_stage_writes(tmp_path):
    from dscoder.config import ConfigError, config_from_dict
    from dscoder.data.repo_level import RepoLevelConfig

    with pytest.raises(ConfigError, match="output: the repository-level stage writes to a local or shared filesystem"):
        config_from_dict({"input": "s3://bucket/in", "output": "s3://bucket/out", "logs": str(tmp_path)},
                         RepoLevelConfig, source="t.yaml")


def test_go_mod_reaches_the_repo_level_stage_with_no_config_and_counts_agree(tmp_path):
    """``dscoder data filter RAW KEPT`` then ``dscoder data repo-level KEPT OUT``, no option about manifests: the
    filter stage copies go.mod beside KEPT and the repo-level stage reads it there (Go imports resolve)."""
    from dscoder_cli import build_parser, main
    from dscoder_cli.data import RepoLevelOptions, repo_level_config
    from dscoder_cli.options import options_from_args

    cobra = Path(__file__).parent / "fixtures" / "repo_level" / "cobra"
    records = [{"id": p.name, "text": p.read_text(), "repo": "spf13/cobra", "path": p.relative_to(cobra).as_posix()}
               for p in sorted(cobra.rglob("*")) if p.is_file()]  # fmt: skip
    _write(tmp_path / "corpus", records)
    one = ["--tasks", "1", "--workers", "1"]
    assert main(["data", "filter", str(tmp_path / "corpus"), str(tmp_path / "in"), *one]) == 0
    assert [r["path"] for r in _read(tmp_path / "manifests")] == ["go.mod"]
    assert "go.mod" not in {r["path"] for r in _read(tmp_path / "in")}  # not a training file
    argv = ["data", "repo-level", str(tmp_path / "in"), str(tmp_path / "out"), *one, "--buckets", "1", "--no-dedup"]
    assert main(argv) == 0  # go: repository-level by default
    config = repo_level_config(options_from_args(build_parser().parse_args(argv), RepoLevelOptions))
    assert config.manifests is None  # found beside the input, not configured
    counts = collect_counts(config)
    samples = _read(tmp_path / "out")
    assert len(samples) == 1 and "go.mod" not in samples[0]["files"]
    assert counts["files_in"] == len(records) - 1 and counts["manifests"] == 1
    files = samples[0]["files"]  # one sample: doc/ and site/ import github.com/spf13/cobra, resolved by go.mod
    assert files.index("command.go") < files.index("doc/md_docs.go") < files.index("site/content/completions/main.go")
    for order in ("paper", "scc"):  # one set of edges for every figure
        assert counts[f"{order}_acyclic_in_order"] + counts[f"{order}_acyclic_out_of_order"] == counts["acyclic_edges"]
    assert counts["acyclic_edges"] + counts["cyclic_edges"] == counts["edges"] > 20
    assert counts["order"] == "scc" and counts["in_order_share"] == counts["in_order_share_scc"] == 1.0


def test_buckets_are_sized_by_bytes():
    from dscoder.data.repo_level.stage import resolve_config

    config = _config(Path("/tmp/unused"), buckets=None, executor={"kind": "local", "tasks": 2, "workers": 4})
    assert resolve_config(config, input_bytes=1_000).grouping.buckets == 1  # too small for a second worker
    assert resolve_config(config, input_bytes=20_000_000).grouping.buckets == 2  # 8 MB per worker: 2 workers
    assert resolve_config(config, input_bytes=10**9).grouping.buckets == 8  # 128 MB per bucket
    assert resolve_config(config, input_bytes=10**12).grouping.buckets == 7813
    assert resolve_config(_config(Path("/tmp/unused"), buckets=3), input_bytes=10**12).grouping.buckets == 3
