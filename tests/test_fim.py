"""FIM per document (report §3.1.2; SPEC §3): layout, rate, reproducibility, edge cases, datasets.map."""

from __future__ import annotations

import numpy as np
import pytest
from datasets import Dataset

from dscoder.sequences.fim import (
    DocumentEncoder,
    FIMConfig,
    document_rng,
    fim_split,
    fim_text,
)
from dscoder.tokenization.components import bytes_only_tokenizer
from dscoder.tokenization.special_tokens import (
    BOS,
    EOS,
    FIM_BEGIN,
    FIM_END,
    FIM_HOLE,
    fim_prompt,
)


@pytest.fixture(scope="module")
def tok():
    return bytes_only_tokenizer()


def _ids(tok, *tokens):
    return [tok.token_to_id(t) for t in tokens]


def test_psm_layout_tokenises_each_part_on_its_own(tok):
    enc = DocumentEncoder(tok, FIMConfig(rate=1.0, seed=3))
    text = "def add(a, b):\n    return a + b\n"
    (ids,), (is_fim,) = enc.encode([text], ["doc-1"])
    prefix, middle, suffix = fim_split(text, document_rng(3, "doc-1"), 1.0)
    assert prefix + middle + suffix == text
    bos, begin, hole, end, eos = _ids(tok, BOS, FIM_BEGIN, FIM_HOLE, FIM_END, EOS)
    enc_part = [tok.encode(p, add_special_tokens=False).ids for p in (prefix, middle, suffix)]
    assert is_fim
    assert ids.tolist() == [bos, begin, *enc_part[0], hole, *enc_part[2], end, *enc_part[1], eos]
    assert ids.dtype == np.int32
    # the same layout as text; its prefix is the inference prompt (SPEC §3)
    assert fim_text(text, "doc-1", FIMConfig(rate=1.0, seed=3)) == f"{BOS}{fim_prompt(prefix, suffix)}{middle}{EOS}"


def test_spm_layout(tok):
    text = "abcdefghij"
    config = FIMConfig(rate=1.0, mode="spm", seed=1)
    prefix, middle, suffix = fim_split(text, document_rng(1, 7), 1.0)
    assert fim_text(text, 7, config) == f"{BOS}{FIM_BEGIN}{FIM_HOLE}{suffix}{FIM_END}{prefix}{middle}{EOS}"
    (ids,), _ = DocumentEncoder(tok, config).encode([text], [7])
    assert tok.decode(ids.tolist(), skip_special_tokens=False) == fim_text(text, 7, config)


def test_plain_documents_and_no_bos(tok):
    enc = DocumentEncoder(tok, FIMConfig(rate=0.0), add_bos=False)
    (ids,), (is_fim,) = enc.encode(["x = 1"], [0])
    assert not is_fim
    assert ids.tolist() == tok.encode("x = 1", add_special_tokens=False).ids + _ids(tok, EOS)


def test_rate_is_half_and_cut_points_are_uniform():
    n, text = 4000, "0123456789" * 2
    draws = [fim_split(text, document_rng(0, i), 0.5) for i in range(n)]
    applied = [d for d in draws if d is not None]
    assert len(applied) == 2046  # seeded (blake2b per document): ~0.5
    assert abs(len(applied) / n - 0.5) < 0.03
    middles = [len(m) for _, m, _ in applied]
    assert min(middles) == 0 and max(middles) == len(text)
    assert abs(np.mean([len(p) for p, _, _ in applied]) - len(text) / 3) < 0.5  # E[min of 2 uniforms] = n/3


def test_reproducible_whatever_the_batching(tok):
    texts = [f"doc {i} " * (i % 7 + 1) for i in range(60)]
    keys = [f"id{i}" for i in range(60)]
    enc = DocumentEncoder(tok, FIMConfig(rate=0.5, seed=11))
    whole, _ = enc.encode(texts, keys)
    parts = []
    for lo in range(0, 60, 7):
        parts += enc.encode(texts[lo : lo + 7], keys[lo : lo + 7])[0]
    assert [a.tolist() for a in whole] == [a.tolist() for a in parts]
    other_seed, _ = DocumentEncoder(tok, FIMConfig(rate=0.5, seed=12)).encode(texts, keys)
    assert [a.tolist() for a in whole] != [a.tolist() for a in other_seed]


def test_edge_cases_empty_one_char_multibyte_and_long(tok):
    enc = DocumentEncoder(tok, FIMConfig(rate=1.0, seed=0))
    emoji = "😶‍🌫️ñ你"
    long_text = "x" * 50_000
    (empty, one, multi, long_ids), flags = enc.encode(["", "a", emoji, long_text], ["e", "o", "m", "l"])
    assert empty.size == 0 and flags[0] is False
    assert flags[1:] == [True, True, True]
    decoded = tok.decode(one.tolist(), skip_special_tokens=False)
    assert decoded.startswith(f"{BOS}{FIM_BEGIN}") and decoded.endswith(EOS) and decoded.count("a") == 1
    # a cut lands between code points: every part decodes to valid text, nothing is lost or doubled
    prefix, middle, suffix = fim_split(emoji, document_rng(0, "m"), 1.0)
    assert tok.decode(multi.tolist(), skip_special_tokens=False) == fim_text(emoji, "m", FIMConfig(1.0, seed=0))
    assert sorted(prefix + middle + suffix) == sorted(emoji) and "\ufffd" not in tok.decode(multi.tolist())
    assert len(long_ids) == 50_000 + 5  # bytes + BOS, three FIM markers, EOS: longer than any context, kept whole


def test_datasets_map_batched_num_proc_and_streaming(tok):
    rows = {"id": [f"r{i}" for i in range(40)], "text": [f"print({i})\n" * (i % 5 + 1) for i in range(40)]}
    ds = Dataset.from_dict(rows)
    enc = DocumentEncoder(tok, FIMConfig(rate=0.5, seed=5))
    direct, flags = enc.encode(rows["text"], rows["id"])
    mapped = ds.map(enc, batched=True, batch_size=6, num_proc=2, remove_columns=ds.column_names)
    assert mapped["input_ids"] == [a.tolist() for a in direct]
    assert mapped["fim"] == flags
    streamed = list(ds.to_iterable_dataset().map(enc, batched=True, batch_size=4))
    assert [r["input_ids"] for r in streamed] == [a.tolist() for a in direct]
    by_index = Dataset.from_dict({"text": rows["text"]}).map(enc, batched=True, with_indices=True)
    assert by_index["input_ids"] == [a.tolist() for a in enc.encode(rows["text"], list(range(40)))[0]]


def test_bad_input_errors(tok):
    with pytest.raises(ValueError, match="fim rate"):
        FIMConfig(rate=1.5)
    with pytest.raises(ValueError, match="mode"):
        FIMConfig(mode="pms")
    enc = DocumentEncoder(tok)
    with pytest.raises(TypeError, match="document 'k'"):
        enc.encode([None], ["k"])
    with pytest.raises(ValueError, match="with_indices"):
        enc({"text": ["a"]})
    from tokenizers import Tokenizer
    from tokenizers.models import BPE

    with pytest.raises(ValueError, match="lacks the special token"):
        DocumentEncoder(Tokenizer(BPE()))
