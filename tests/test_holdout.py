"""Held-out repositories: whole repositories move, the choice is seeded and independent of shard layout."""

from __future__ import annotations

import gzip
import json

import pytest

from dscoder.data.holdout import split_heldout_repositories


def _write(folder, records, shards=1):
    folder.mkdir(parents=True, exist_ok=True)
    for shard in range(shards):
        with gzip.open(folder / f"{shard:05d}.jsonl.gz", "wt", encoding="utf-8") as f:
            for rec in records[shard::shards]:
                f.write(json.dumps(rec) + "\n")


def _read(folder):
    out = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            out += [json.loads(line) for line in f]
    return out


def _records():
    recs = []
    for r in range(6):
        for i in range(3 if r < 5 else 1):  # repo5 has one file: never qualifies
            recs.append({"id": f"r{r}f{i}", "text": f"x = {r}{i}\n", "repo": f"org/repo{r}", "path": f"m{i}.py",
                         "language": "python"})
    recs.append({"id": "js", "text": "let a = 1;\n", "repo": "org/repo0", "path": "a.js", "language": "javascript"})
    return recs


def test_whole_repositories_are_held_out_and_nothing_is_lost(tmp_path):
    _write(tmp_path / "in", _records())
    result = split_heldout_repositories(tmp_path / "in", tmp_path / "train", tmp_path / "held", repositories=2, seed=0)
    train, held = _read(tmp_path / "train"), _read(tmp_path / "held")
    assert len(result.heldout_repositories) == 2 and "org/repo5" not in result.heldout_repositories
    assert {r["repo"] for r in held} == set(result.heldout_repositories)
    assert not {r["repo"] for r in train} & set(result.heldout_repositories)
    assert sorted(r["id"] for r in train + held) == sorted(r["id"] for r in _records())
    assert (result.files_train, result.files_heldout) == (len(train), len(held))
    assert result.bytes_heldout == sum(len(r["text"]) for r in held)
    js_side = held if "org/repo0" in result.heldout_repositories else train  # non-Python files follow their repo
    assert [r["id"] for r in js_side if r["path"] == "a.js"] == ["js"]


def test_choice_depends_on_seed_not_on_shards(tmp_path):
    _write(tmp_path / "one", _records(), shards=1)
    _write(tmp_path / "three", _records(), shards=3)
    a = split_heldout_repositories(tmp_path / "one", tmp_path / "t1", tmp_path / "h1", repositories=2, seed=0)
    b = split_heldout_repositories(tmp_path / "three", tmp_path / "t3", tmp_path / "h3", repositories=2, seed=0)
    assert a.heldout_repositories == b.heldout_repositories
    choices = {tuple(split_heldout_repositories(tmp_path / "one", tmp_path / f"t{s}", tmp_path / f"h{s}",
                                                repositories=2, seed=s).heldout_repositories) for s in range(6)}
    assert len(choices) > 1


def test_too_few_qualifying_repositories_is_an_error_naming_the_input(tmp_path):
    _write(tmp_path / "in", _records())
    with pytest.raises(ValueError, match=r"in: only 5 repositories have 3\+ python files; 6 were asked"):
        split_heldout_repositories(tmp_path / "in", tmp_path / "train", tmp_path / "held", repositories=6)
    _write(tmp_path / "bad", [{"id": "x", "text": "a", "path": "a.py"}])
    with pytest.raises(ValueError, match="record 'x' has no 'repo'"):
        split_heldout_repositories(tmp_path / "bad", tmp_path / "t", tmp_path / "h", repositories=1)
