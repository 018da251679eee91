"""Packing (SPEC §1.5; DESIGN "Tokenised datasets"): fixed rows, EOS-separated documents, restarting positions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dscoder.sequences.packing import Packer, pack_documents, segments_of


def _docs(lengths, start=1):
    out, next_id = [], start
    for n in lengths:
        out.append(np.arange(next_id, next_id + n, dtype=np.int32))
        next_id += n
    return out


def test_rows_positions_and_counts():
    packer = Packer(8)
    rows = list(pack_documents(_docs([3, 4, 0, 6, 3]), 8, packer))
    assert [r["input_ids"].tolist() for r in rows] == [list(range(1, 9)), list(range(9, 17))]
    assert [r["position_ids"].tolist() for r in rows] == [[0, 1, 2, 0, 1, 2, 3, 0], [0, 1, 2, 3, 4, 0, 1, 2]]
    assert all(r["input_ids"].dtype == np.int32 for r in rows)
    stats = packer.stats
    assert (stats.documents, stats.empty_documents, stats.rows, stats.documents_split) == (4, 1, 2, 1)
    assert (stats.tokens_in, stats.tokens_kept, stats.tokens_dropped) == (16, 16, 0)


def test_nothing_lost_silently():
    lengths = [5, 17, 1, 30, 2, 9, 3]
    packer = Packer(16)
    rows = list(pack_documents(_docs(lengths), 16, packer))
    flat = np.concatenate([r["input_ids"] for r in rows]).tolist()
    assert flat == list(range(1, 65))  # order kept, no token doubled or skipped
    assert (packer.stats.tokens_in, packer.stats.tokens_kept, packer.stats.tokens_dropped) == (67, 64, 3)
    assert packer.stats.documents_split == 2  # the 17 and the 30 cross a row boundary; the 9 ends on one


def test_partial_last_row_is_dropped_and_counted():
    packer = Packer(10)
    rows = [row for doc in _docs([7, 6]) for row in packer.add(doc)]
    assert len(rows) == 1
    ids, pos = packer.leftover()
    assert ids.tolist() == [11, 12, 13] and pos.tolist() == [0, 1, 2]
    stats = packer.finish()
    assert (stats.tokens_in, stats.tokens_kept, stats.tokens_dropped) == (13, 10, 3)
    with pytest.raises(RuntimeError):
        packer.add([1])


def test_long_document_spans_rows_restarting_positions():
    rows = list(pack_documents(_docs([25]), 10))
    assert len(rows) == 2
    assert all(r["position_ids"].tolist() == list(range(10)) for r in rows)
    assert segments_of(rows[0]["position_ids"]) == [(0, 10)]
    assert segments_of([0, 1, 0, 1, 2, 0]) == [(0, 2), (2, 5), (5, 6)]
    with pytest.raises(ValueError):
        segments_of([3, 0])
    with pytest.raises(ValueError):
        Packer(1)


@pytest.mark.parametrize("seed", range(4))
def test_a_document_streamed_in_parts_packs_like_the_whole(seed):
    """``start_document`` + ``extend`` of any cut of each document: the rows and counts of ``add`` (issue 18)."""
    rng = np.random.default_rng(seed)
    docs = _docs(rng.integers(1, 40, size=30).tolist() + [0, 57, 1])
    whole, streamed = Packer(11), Packer(11)
    rows_whole = [row for doc in docs for row in whole.add(doc)]
    rows_streamed = []
    for doc in docs:
        if len(doc) == 0:
            rows_streamed += streamed.add(doc)
            continue
        streamed.start_document()
        cuts = np.sort(rng.integers(0, len(doc) + 1, size=rng.integers(0, 5)))  # empty parts included
        for part in np.split(doc, cuts):
            rows_streamed += streamed.extend(part)
    assert len(rows_whole) == len(rows_streamed) > 10
    assert all(np.array_equal(a, c) and np.array_equal(b, d) for (a, b), (c, d) in zip(rows_whole, rows_streamed))
    assert whole.finish() == streamed.finish() and whole.stats.documents_split > 5


def test_extend_needs_a_started_document():
    packer = Packer(4)
    with pytest.raises(RuntimeError, match="before start_document"):
        packer.extend([1, 2])
    packer.finish()
    with pytest.raises(RuntimeError, match="after finish"):
        packer.start_document()


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_documents_do_not_attend_to_each_other(attn):
    """The model sees each packed document exactly as alone (transformers' position-id packing, use_cache=False)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64)  # fmt: skip
    model = LlamaForCausalLM(config).eval()
    model.config._attn_implementation = attn
    rng = np.random.default_rng(0)
    docs = [rng.integers(1, 64, size=n).astype(np.int32) for n in (5, 9, 4, 6)]
    (row,) = list(pack_documents(docs, 24))
    with torch.no_grad():
        packed = model(
            input_ids=torch.tensor(row["input_ids"][None], dtype=torch.long),
            position_ids=torch.tensor(row["position_ids"][None], dtype=torch.long),
            use_cache=False,
        ).logits[0]
        for (start, end), doc in zip(segments_of(row["position_ids"]), docs):
            alone = model(input_ids=torch.tensor(doc[None], dtype=torch.long), use_cache=False).logits[0]
            torch.testing.assert_close(packed[start:end], alone, rtol=1e-4, atol=1e-5)
