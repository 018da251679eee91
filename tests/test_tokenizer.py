"""The tokenizer (SPEC §2): the released one rebuilt from its GGUF, training, saving and loading under transformers 5."""

from __future__ import annotations

import gzip
import json
import random

import pytest
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from dscoder.tokenization import (
    load_tokenizer,
    save_tokenizer,
    to_transformers,
    tokenizer_from_gguf,
    train_tokenizer,
)
from dscoder.tokenization.components import (
    bytes_only_tokenizer,
    deepseek_coder_pre_tokenizer,
)
from dscoder.tokenization.loading import load_backend_tokenizer
from dscoder.tokenization.special_tokens import (
    BOS,
    BOS_ID,
    EOS_ID,
    EOT,
    EOT_ID,
    RELEASED_EXTRA_LETTERS,
    RELEASED_IDS,
    RELEASED_MODEL_VOCAB_SIZE,
    RELEASED_TOKENIZER_LEN,
    SPECIAL_TOKENS,
    padded_vocab_size,
)

GGUF = "ggml-vocab-deepseek-coder.gguf"
CODE = "  def f(x):\n\t    return x  # 12345 ü 你好\r\n\n\n    \n"


@pytest.fixture(scope="session")
def released(reference_vocab_dir):
    return tokenizer_from_gguf(reference_vocab_dir / GGUF)


@pytest.fixture(scope="session")
def released_dir(released, tmp_path_factory):
    return save_tokenizer(released, tmp_path_factory.mktemp("released"))


def _reference_cases(folder):
    inputs = (folder / f"{GGUF}.inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    outputs = (folder / f"{GGUF}.out").read_text(encoding="utf-8").split("\n")
    assert len(inputs) == len(outputs) == 47
    return [(text, [int(x) for x in ids.split()]) for text, ids in zip(inputs, outputs)]


def test_released_gguf_matches_all_47_reference_strings(released, reference_vocab_dir):
    cases = _reference_cases(reference_vocab_dir)
    got = [released(text, add_special_tokens=False).input_ids for text, _ in cases]
    mismatches = [(text, g, want) for (text, want), g in zip(cases, got) if g != want]
    assert mismatches == []
    assert got[1] == [37, 32009, 71, 6247]  # "Führer": ü is the added letter 32009 (the release's quirk)


def test_released_ids_and_layout(released):
    assert len(released) == RELEASED_TOKENIZER_LEN == 32_022
    assert padded_vocab_size(len(released)) == RELEASED_MODEL_VOCAB_SIZE == 32_256
    for token, token_id in RELEASED_IDS.items():
        assert released.convert_tokens_to_ids(token) == token_id
    assert [released.convert_tokens_to_ids(t) for t in RELEASED_EXTRA_LETTERS] == list(range(32_000, 32_013))
    assert (released.bos_token_id, released.eos_token_id, released.pad_token_id) == (32_013, 32_014, 32_014)
    assert released("x").input_ids[0] == BOS_ID  # BOS added by default, EOS not
    assert released("x").input_ids[-1] != EOS_ID
    assert released.model_max_length == 16_384
    # only BOS and EOS are special in the release; decoding without them keeps the FIM and chat tokens
    assert released.decode([BOS_ID, 32_016, 90, EOS_ID], skip_special_tokens=True) == "<｜fim▁begin｜>{"


def test_saved_released_tokenizer_loads_with_autotokenizer_and_keeps_whitespace(released_dir, reference_vocab_dir):
    config = json.loads((released_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    auto = AutoTokenizer.from_pretrained(released_dir)
    for text, want in _reference_cases(reference_vocab_dir)[:20]:
        assert auto(text, add_special_tokens=False).input_ids == want
    ids = auto(CODE.replace("ü", "u")).input_ids
    assert auto.decode(ids, skip_special_tokens=True) == CODE.replace("ü", "u")


def test_load_tokenizer_ignores_a_llama_tokenizer_class(released_dir, tmp_path, reference_vocab_dir):
    """The released config names LlamaTokenizerFast (SPEC §7 trap); load_tokenizer still gives the exact ids."""
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((released_dir / name).read_bytes())
    config = json.loads((tmp_path / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.update(tokenizer_class="LlamaTokenizerFast", legacy=True, add_bos_token=True)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    tok = load_tokenizer(tmp_path)
    for text, want in _reference_cases(reference_vocab_dir):
        assert tok(text, add_special_tokens=False).input_ids == want
    assert tok.decode(tok(CODE.replace("ü", "u")).input_ids, skip_special_tokens=True) == CODE.replace("ü", "u")
    assert load_tokenizer(reference_vocab_dir / GGUF)("    Hello").input_ids == [BOS_ID, 315, 414, 9489]


def test_load_tokenizer_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tokenizer.json"):
        load_tokenizer(tmp_path)
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"not a gguf")
    with pytest.raises(ValueError, match="x.gguf"):
        load_tokenizer(bad)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "tokenizer.json").write_text("{")
    with pytest.raises(ValueError, match="broken/tokenizer.json"):
        load_backend_tokenizer(tmp_path / "broken")


def test_pre_tokenizer_splits_like_the_release():
    pieces = [p for p, _ in deepseek_coder_pre_tokenizer().pre_tokenize_str("  foo(bar, 42)\n你好 x")]
    # byte-level symbols: Ġ is a space, Ċ a newline; digits one by one; CJK runs; letters take one leading space
    assert pieces == ["Ġ", "Ġfoo", "(", "bar", ",", "Ġ", "4", "2", ")", "Ċ", "ä½łå¥½", "Ġx"]


def test_padded_vocab_size_rule():
    assert padded_vocab_size(32_022) == 32_256
    assert padded_vocab_size(32_009) == 32_256
    assert padded_vocab_size(2_009) == 2_048
    assert padded_vocab_size(256) == 256
    with pytest.raises(ValueError):
        padded_vocab_size(0)


def _write_corpus(folder, n_docs=120, seed=0):
    rng = random.Random(seed)
    words = ["def", "return", "self", "value", "import", "class", "for", "in", "range", "print", "naïve", "数据"]
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
        for i in range(n_docs):
            lines = [
                "    " * rng.randint(0, 2) + " ".join(rng.choice(words) for _ in range(rng.randint(2, 8)))
                + f"({rng.randint(0, 999)})"
                for _ in range(rng.randint(3, 12))
            ]
            f.write(json.dumps({"id": f"doc{i}", "text": "\n".join(lines) + "\n"}) + "\n")
        f.write("{not json\n")  # counted and skipped by the reader, never fatal
    return folder


def test_train_tokenizer_layout_and_round_trip(tmp_path):
    out = train_tokenizer(_write_corpus(tmp_path / "corpus"), tmp_path / "tok", vocab_size=300, progress=False)
    info = json.loads((out / "training.json").read_text())
    assert info["vocab_size_learned"] == 300 and info["tokenizer_len"] == 309
    tok = AutoTokenizer.from_pretrained(out)
    assert [tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS] == list(range(300, 309))
    assert padded_vocab_size(len(tok)) == 512
    text = "    def naïve(x):\n\treturn 数据  12\n\n"
    ids = tok(text).input_ids
    assert ids[0] == tok.convert_tokens_to_ids(BOS) == 300
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert tok.decode(tok("Führer ÿ").input_ids[1:]) == "Führer ÿ"  # no extra Latin letters: every text round-trips
    raw = Tokenizer.from_file(str(out / "tokenizer.json"))
    assert raw.encode("733").tokens == ["<｜begin▁of▁sentence｜>", "7", "3", "3"]  # digits split one by one


def test_train_tokenizer_rejects_empty_input(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": 1, "text": ""}\n')
    with pytest.raises(ValueError, match="no jsonl document"):
        train_tokenizer(tmp_path / "in", tmp_path / "out", vocab_size=300, progress=False)
    with pytest.raises(ValueError, match="at least the 256"):
        train_tokenizer(tmp_path / "in", tmp_path / "out", vocab_size=100, progress=False)


def test_to_transformers_eos_for_instruct_models():
    tok = to_transformers(bytes_only_tokenizer(), eos_token=EOT)
    assert tok.eos_token == EOT and tok.eos_token_id == 264 and tok.pad_token_id == 257
    assert EOT_ID == 32_021  # the released id; a bytes-only tokenizer numbers its added tokens from 256


def test_cli_train_and_encode(tmp_path, capsys):
    from dscoder_cli import main

    corpus = _write_corpus(tmp_path / "corpus", n_docs=40)
    assert main(["tokenizer", "train", str(corpus), str(tmp_path / "tok"), "--vocab-size", "280"]) == 0
    out = capsys.readouterr().out
    assert "289" in out and "512" in out  # 280 learned + 9 added entries; 512 embedding rows
    assert main(["tokenizer", "encode", str(tmp_path / "tok"), "a\\n7", "--no-bos"]) == 0
    assert "3 tokens, 3 characters" in capsys.readouterr().out
    assert main(["tokenizer", "encode", str(tmp_path / "nope"), "x"]) == 1
    assert "tokenizer folder not found" in capsys.readouterr().err
