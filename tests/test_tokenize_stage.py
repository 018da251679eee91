"""``run_tokenize_stage``: documents -> FIM -> packed rows on disk, deterministic, counted."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal

import numpy as np
import pytest
from datasets import load_from_disk

from dscoder.data.tokenize_stage import METADATA_FILE, run_tokenize_stage
from dscoder.tokenization import bytes_only_tokenizer, save_tokenizer, to_transformers
from dscoder.tokenization.special_tokens import BOS, EOS, FIM_BEGIN, FIM_END, FIM_HOLE


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    return save_tokenizer(to_transformers(bytes_only_tokenizer()), tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("samples")
    texts = [f"# file {i}\n" + "x = 1\n" * (i % 9) + "é" * (i % 3) for i in range(90)]
    for shard in range(2):
        with gzip.open(folder / f"{shard:05d}.jsonl.gz", "wt", encoding="utf-8") as f:
            for i in range(shard, 90, 2):
                f.write(json.dumps({"id": f"s{i}", "text": texts[i], "repo": "r"}) + "\n")
            f.write("{broken\n")
    return folder, texts


def test_stage_writes_packed_rows_and_metadata(tokenizer_dir, corpus, tmp_path):
    folder, texts = corpus
    out = tmp_path / "tokenized"
    counts = run_tokenize_stage(folder, out, tokenizer_dir, seq_len=64, fim_rate=0.5, seed=0, num_proc=1,
                                progress=False)  # fmt: skip
    ds = load_from_disk(str(out))
    assert ds.column_names == ["input_ids", "position_ids"]
    assert len(ds) == counts["rows"] > 0 and {len(r) for r in ds["input_ids"]} == {64}
    assert counts["documents"] == 90 and counts["reader_dropped"] == {"reader:malformed_json": 2}
    assert 30 < counts["documents_fim"] < 60
    # bytes-only tokenizer: every document is its UTF-8 bytes + BOS + EOS (+ 3 FIM markers when FIM applied)
    expected = sum(len(t.encode()) + 2 for t in texts) + 3 * counts["documents_fim"]
    assert counts["tokens_in"] == expected == counts["tokens_kept"] + counts["tokens_dropped"]
    assert counts["tokens_kept"] == 64 * len(ds) and counts["tokens_dropped"] < 64
    tok = to_transformers(bytes_only_tokenizer())
    flat_ids = np.concatenate([np.asarray(r) for r in ds["input_ids"]])
    flat_pos = np.concatenate([np.asarray(r) for r in ds["position_ids"]])
    assert (flat_ids == tok.convert_tokens_to_ids(BOS)).sum() == (flat_pos[flat_ids == 256] == 0).sum()
    assert (flat_ids == tok.convert_tokens_to_ids(EOS)).sum() >= 89  # every document ends with EOS
    meta = json.loads((out / METADATA_FILE).read_text())
    assert (meta["seq_len"], meta["fim_rate"], meta["fim_mode"], meta["seed"]) == (64, 0.5, "psm", 0)
    assert meta["counts"]["tokens_kept"] == counts["tokens_kept"] and meta["tokenizer_len"] == 265


def test_stage_is_the_same_for_any_num_proc_and_batch_size(tokenizer_dir, corpus, tmp_path):
    folder, _ = corpus
    one = run_tokenize_stage(folder, tmp_path / "a", tokenizer_dir, seq_len=50, num_proc=1, batch_size=7,
                             progress=False)  # fmt: skip
    two = run_tokenize_stage(folder, tmp_path / "b", tokenizer_dir, seq_len=50, num_proc=2, batch_size=16,
                             progress=False)  # fmt: skip
    assert {k: v for k, v in one.items() if "second" not in k} == {k: v for k, v in two.items() if "second" not in k}
    a, b = load_from_disk(str(tmp_path / "a")), load_from_disk(str(tmp_path / "b"))
    assert a["input_ids"] == b["input_ids"] and a["position_ids"] == b["position_ids"]
    # a rerun replaces its own earlier output
    again = run_tokenize_stage(folder, tmp_path / "a", tokenizer_dir, seq_len=50, fim_rate=0.0, progress=False)
    assert again["documents_fim"] == 0


def test_stage_errors(tokenizer_dir, corpus, tmp_path):
    folder, _ = corpus
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not an earlier tokenize output"):
        run_tokenize_stage(folder, foreign, tokenizer_dir, seq_len=32, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.jsonl").write_text('{"id": "x", "text": ""}\n')
    with pytest.raises(ValueError, match=r"empty: no usable record in 1 input file \(reader:empty_text: 1 line\)$"):
        run_tokenize_stage(empty, tmp_path / "o", tokenizer_dir, seq_len=32, progress=False)
    assert not (tmp_path / "o").exists() and not (tmp_path / ".o.tmp").exists()
    with pytest.raises(ValueError, match="fewer than one row"):
        run_tokenize_stage(folder, tmp_path / "o", tokenizer_dir, seq_len=1_000_000, progress=False)
    assert not (tmp_path / "o").exists() and not (tmp_path / ".o.tmp").exists()


def test_cli_data_tokenize(tokenizer_dir, corpus, tmp_path, capsys):
    from dscoder_cli import main

    folder, _ = corpus
    out = tmp_path / "cli"
    args = ["data", "tokenize", str(folder), str(out), "--tokenizer", str(tokenizer_dir), "--seq-len", "64",
            "--fim-rate", "0", "--num-proc", "1"]  # fmt: skip
    assert main(args) == 0
    assert "tokens_kept" in capsys.readouterr().out
    meta = json.loads((out / METADATA_FILE).read_text())
    assert meta["fim_rate"] == 0.0 and meta["counts"]["documents_fim"] == 0
    assert main(["data", "tokenize", str(tmp_path / "missing"), str(tmp_path / "x"), "--tokenizer",
                 str(tokenizer_dir)]) == 1  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "missing" in err


def test_long_documents_are_tokenised_in_chunks_with_the_same_ids():
    from dscoder.sequences.fim import DocumentEncoder, FIMConfig, chunk_bounds

    tok = bytes_only_tokenizer()
    rng = np.random.default_rng(0)
    words = ["def", " f", "(x):", "\n", "    ", "return", " x", " + ", "1", "é", "世界", "\t", "  ", "\r\n", "🙂"]
    texts = ["".join(rng.choice(words, size=3000)) for _ in range(4)] + ["a" * 2000]  # the last: one pre-token
    bounds = chunk_bounds(tok.pre_tokenizer, texts[0], 300)
    assert len(bounds) > 10 and bounds[0][0] == 0 and bounds[-1][1] == len(texts[0])
    assert all(a < b <= a + 300 and b == c for (a, b), (c, _) in itertools.pairwise(bounds))
    keys = list(range(len(texts)))
    whole, fim_whole = DocumentEncoder(tok, FIMConfig(0.5, seed=3), max_piece_chars=10**9).encode(texts, keys)
    chunked, fim_chunked = DocumentEncoder(tok, FIMConfig(0.5, seed=3), max_piece_chars=300).encode(texts, keys)
    assert fim_whole == fim_chunked and 0 < sum(fim_whole) < len(texts)
    assert all(np.array_equal(a, b) for a, b in zip(whole, chunked))


def test_oversized_documents_are_counted_not_loaded(tokenizer_dir, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        json.dumps({"id": "big", "text": "x" * 5000}) + "\n" + json.dumps({"id": "ok", "text": "y = 2\n" * 20}) + "\n"
    )
    counts = run_tokenize_stage(folder, tmp_path / "o", tokenizer_dir, seq_len=16, num_proc=1, progress=False,
                                max_document_bytes=1000)  # fmt: skip
    assert counts["reader_dropped"] == {"reader:too_large": 1} and counts["documents"] == 1
    assert counts["records_in"] == 2 and counts["unreadable_files"] == {}


def _killed_worker(batch):
    os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's out-of-memory killer does


def test_a_dead_worker_is_an_error_not_a_hang(tokenizer_dir, corpus, tmp_path, monkeypatch):
    from dscoder.data import tokenize_stage

    monkeypatch.setattr(tokenize_stage, "_encode_in_worker", _killed_worker)  # forked workers inherit the patch
    folder, _ = corpus
    with pytest.raises(RuntimeError, match=r"a tokenising worker process died .* documents 's\d+'\.\.'s\d+'"):
        run_tokenize_stage(folder, tmp_path / "o", tokenizer_dir, seq_len=32, num_proc=2, progress=False)
    assert not (tmp_path / "o").exists() and not (tmp_path / ".o.tmp").exists()


def _reference_rows(docs: list[np.ndarray], seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the packing contract written out plainly: documents concatenated, cut every ``seq_len`` tokens,
    a token's position id = its distance from the later of its document's start and its row's start."""
    ids = np.concatenate(docs)
    starts = np.repeat(np.cumsum([0] + [len(d) for d in docs[:-1]]), [len(d) for d in docs])
    index = np.arange(len(ids))
    pos = index - np.maximum(starts, index // seq_len * seq_len)
    rows = len(ids) // seq_len
    return ids[: rows * seq_len].reshape(rows, seq_len), pos[: rows * seq_len].reshape(rows, seq_len)


@pytest.mark.parametrize(("fim_rate", "fim_mode", "num_proc"), [(1.0, "psm", 2), (1.0, "spm", 1), (0.0, "psm", 2)])
def test_a_long_document_streams_through_jobs_with_the_rows_of_whole_document_packing(
    tokenizer_dir, tmp_path, monkeypatch, fim_rate, fim_mode, num_proc
):
    """A document over ``max_piece_chars`` (chunked) and over many jobs gives exactly the rows of tokenising each
    FIM part whole and packing whole documents (issue 18: streamed, not materialised)."""
    from dscoder.data import tokenize_stage
    from dscoder.sequences import fim
    from dscoder.sequences.fim import document_rng, fim_split

    monkeypatch.setattr(fim, "MAX_PIECE_CHARS", 3000)  # the FIM parts of the long document are chunked
    monkeypatch.setattr(tokenize_stage, "_JOB_CHARS", 5000)  # and spread over many jobs
    rng = np.random.default_rng(1)
    words = ["def", " f", "(x):", "\n", "    ", "return", " x", " + ", "1", "é", "世界", "\t", "🙂"]
    long_text = "".join(rng.choice(words, size=8000))
    docs = [("a", "x = 1\n" * 30), ("long", long_text), ("b", ""), ("c", "print('hi')\n" * 3), ("long2", long_text[:9000])]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in docs))
    seq_len = 97
    counts = run_tokenize_stage(folder, tmp_path / "o", tokenizer_dir, seq_len=seq_len, fim_rate=fim_rate,
                                fim_mode=fim_mode, seed=5, num_proc=num_proc, batch_size=2, progress=False)  # fmt: skip

    tok = to_transformers(bytes_only_tokenizer())
    special = {name: tok.convert_tokens_to_ids(t) for name, t in
               (("bos", BOS), ("eos", EOS), ("begin", FIM_BEGIN), ("hole", FIM_HOLE), ("end", FIM_END))}  # fmt: skip
    expected = []
    for key, text in docs:
        if not text:
            continue
        parts = fim_split(text, document_rng(5, key), fim_rate)
        enc = [tok.backend_tokenizer.encode(p, add_special_tokens=False).ids for p in (parts or (text,))]
        if parts is None:
            ids = [special["bos"], *enc[0], special["eos"]]
        elif fim_mode == "psm":
            ids = [special["bos"], special["begin"], *enc[0], special["hole"], *enc[2], special["end"], *enc[1],
                   special["eos"]]  # fmt: skip
        else:
            ids = [special["bos"], special["begin"], special["hole"], *enc[2], special["end"], *enc[0], *enc[1],
                   special["eos"]]  # fmt: skip
        expected.append(np.asarray(ids, dtype=np.int32))
    want_ids, want_pos = _reference_rows(expected, seq_len)
    ds = load_from_disk(str(tmp_path / "o")).with_format("numpy")
    assert np.array_equal(ds["input_ids"], want_ids) and np.array_equal(ds["position_ids"], want_pos)
    total = sum(len(e) for e in expected)
    assert counts["tokens_in"] == total and counts["rows"] == total // seq_len and counts["documents"] == 4
    assert counts["records_in"] == 5 and counts["documents_fim"] == (4 if fim_rate else 0)
    # documents_split: the documents that go on past a row they filled
    starts = np.cumsum([0] + [len(e) for e in expected])
    assert counts["documents_split"] == sum(e - s > seq_len - s % seq_len for s, e in itertools.pairwise(starts))


def test_rows_are_written_in_shards_that_load_from_disk_reads(tokenizer_dir, corpus, tmp_path, monkeypatch):
    from datasets import config

    folder, _ = corpus
    one = run_tokenize_stage(folder, tmp_path / "one", tokenizer_dir, seq_len=16, num_proc=1, progress=False)
    monkeypatch.setattr(config, "MAX_SHARD_SIZE", 8 * 16 * 7)  # 7 rows of 16 int32 ids + 16 positions per shard
    many = run_tokenize_stage(folder, tmp_path / "many", tokenizer_dir, seq_len=16, num_proc=1, progress=False)
    assert one["rows"] == many["rows"] > 14
    shards = sorted(p.name for p in (tmp_path / "many").glob("*.arrow"))
    n = -(-many["rows"] // 7)
    assert shards == [f"data-{i:05d}-of-{n:05d}.arrow" for i in range(n)]
    a, b = load_from_disk(str(tmp_path / "one")), load_from_disk(str(tmp_path / "many"))
    assert a.features == b.features and a[:] == b[:]
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == sorted(
        ["data-00000-of-00001.arrow", "dataset_info.json", METADATA_FILE, "state.json"])  # fmt: skip


def test_memory_of_one_long_document_does_not_grow_with_its_ids(monkeypatch):
    """Python + numpy peak (tracemalloc) of the stage's path from a read document to packed rows (jobs, encoding,
    packing; in-process) is the same for a 4x longer single-line document: its ids (4 bytes per token, 1 token per
    byte here) were held several times over before issue 18. RSS figures live in bench/tokenize_memory.py."""
    import tracemalloc

    from datatrove.data import Document

    from dscoder.data import tokenize_stage
    from dscoder.sequences.fim import DocumentEncoder, FIMConfig
    from dscoder.sequences.packing import Packer

    class Reader:
        def __init__(self, text):
            self.documents = [Document(text=text, id="a")]

        def run(self, data, rank, world_size):
            while self.documents:
                yield self.documents.pop()

    class Rows:
        def add(self, ids, pos):
            self.rows = getattr(self, "rows", 0) + 1

    monkeypatch.setattr(tokenize_stage, "_JOB_CHARS", 32768)
    encoder = DocumentEncoder(bytes_only_tokenizer(), FIMConfig(1.0), max_piece_chars=8192)
    line = "def f(x):\n    return x + 1\n"
    peaks = []
    for size in (100_000, 400_000):
        reader, packer, rows = Reader((line * (size // len(line) + 1))[:size]), Packer(512), Rows()
        tracemalloc.start()
        for ops, pieces in tokenize_stage._encoded_jobs(tokenize_stage._jobs(reader, encoder, 256), encoder, 1):
            tokenize_stage._pack_job(ops, pieces, packer, rows)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert packer.finish().tokens_in == size + 5 and rows.rows == (size + 5) // 512
    assert peaks[1] - peaks[0] < 100_000, peaks  # the ids of the 300k more tokens are 1.2 MB per copy


def test_the_reader_cap_measures_utf8_without_copying_the_text():
    from dscoder.data.readers import _utf8_length

    for text in ("", "x" * 5000, "é世🙂" * 700, "a\ud800b" * 300, "x" * 1023 + "🙂" + "é" * 2000):
        assert _utf8_length(text, block=1024) == len(text.encode("utf-8", "surrogatepass"))
