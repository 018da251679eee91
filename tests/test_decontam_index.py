"""Decontamination core (SPEC §1.4): code tokens, n-gram hashes, the index, and the planted-copy cases.

The index tests here pin the paper-literal rule (``mode="paper"``); the default ``words`` mode is tested in
``test_decontam_words.py``.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest

from dscoder.benchmarks import load_humaneval
from dscoder.data.decontamination import (
    DecontaminationIndex,
    IndexConfig,
    ProtectedString,
    benchmark_protected_strings,
    ngram_hashes,
    normalize,
    protected_strings_from_file,
    tokenize,
)
from dscoder.data.decontamination.index import strings_fingerprint
from dscoder.data.decontamination.protected import python_docstrings

REFERENCE_TOKENS = re.compile(rb"[A-Za-z0-9_\x80-\xff]+|[^A-Za-z0-9_\x80-\xff \t\n\r\f\v]")


@pytest.fixture(scope="module")
def humaneval() -> dict[str, dict]:
    return {p["task_id"]: p for p in load_humaneval()}


PAPER = IndexConfig(mode="paper")


@pytest.fixture(scope="module")
def index(humaneval) -> DecontaminationIndex:
    return DecontaminationIndex.build(benchmark_protected_strings("humaneval"), PAPER)


def filler(n_lines: int, seed: int = 0) -> str:
    """Original code that shares nothing with any benchmark (identifiers made unique by the seed)."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n_lines):
        a, b = rng.integers(1000, 9999, size=2)
        lines.append(f"qz{seed}_{i}_value = compute_{a}(qz{seed}_{i}_input, factor_{b})  # step {i}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ code tokens


def test_tokens_are_identifiers_numbers_and_single_punctuation():
    stream = tokenize("def  f(x1, y):\n\treturn x1+y  # héllo\n")
    assert [stream.span_text(i, i) for i in range(stream.n_tokens)] == [
        "def", "f", "(", "x1", ",", "y", ")", ":", "return", "x1", "+", "y", "#", "héllo"]
    assert stream.normalized_text() == " def f ( x1 , y ) : return x1 + y # héllo "
    assert stream.orig_starts.tolist()[:4] == [0, 5, 6, 7]
    assert normalize("a  ==\n b") == "a = = b"
    assert tokenize("").n_tokens == 0 and tokenize("  \n\t").n_tokens == 0


def test_tokenizer_agrees_with_the_reference_regex():
    text = filler(5) + load_humaneval()[0]["prompt"] + "x = 'ünï' ; y=0x1F>>2\n"
    stream = tokenize(text)
    expected = REFERENCE_TOKENS.findall(text.encode())
    assert [stream.span_text(i, i).encode() for i in range(stream.n_tokens)] == expected


def test_tokenizer_agrees_with_the_regex_on_random_text_at_every_offset():
    import random

    rng = random.Random(7)
    alphabet = "ab_9 \t\n\r()=.,é中\x00\x7f"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        raw = text.encode()
        stream = tokenize(text)
        matches = list(REFERENCE_TOKENS.finditer(raw))
        assert [stream.span_text(i, i).encode() for i in range(stream.n_tokens)] == [m.group() for m in matches]
        assert stream.orig_starts.tolist() == [m.start() for m in matches]
        expected = b" " + b" ".join(m.group() for m in matches) + (b" " if matches else b"")
        assert stream.normalized.tobytes() == (expected if raw else b"")


def test_ngram_hashes_ignore_whitespace_and_see_every_token():
    a = ngram_hashes(tokenize("for i in range(10):\n    total += i * 2\n"), 10)
    b = ngram_hashes(tokenize("for i in range( 10 ) :\n\ttotal+=i*2"), 10)
    c = ngram_hashes(tokenize("for i in range(10):\n    total += i * 3\n"), 10)
    assert len(a) == 14 - 10 + 1
    assert a.tolist() == b.tolist()
    assert a[:-1].tolist() == c[:-1].tolist() and a[-1] != c[-1]
    assert len(ngram_hashes(tokenize("a b c"), 10)) == 0
    assert len(set(ngram_hashes(tokenize(filler(200)), 10).tolist())) == len(tokenize(filler(200)).norm_starts) - 9


def test_config_is_validated():
    with pytest.raises(ValueError, match="min_exact_tokens must be in 1..ngram"):
        IndexConfig(ngram=10, min_exact_tokens=11)
    with pytest.raises(ValueError, match="ngram must be >= 2"):
        IndexConfig(ngram=1)


# ------------------------------------------------------------------------------------ protected strings


def test_humaneval_protected_strings(humaneval):
    strings = benchmark_protected_strings("humaneval")
    fields = {(s.task_id, s.field) for s in strings}
    assert ("HumanEval/12", "solution") in fields and ("HumanEval/12", "docstring") in fields
    assert len({s.task_id for s in strings}) == 164
    solution = next(s for s in strings if s.task_id == "HumanEval/53" and s.field == "solution")
    assert solution.text == humaneval["HumanEval/53"]["prompt"] + humaneval["HumanEval/53"]["canonical_solution"]
    assert python_docstrings('def f():\n    """Doc."""\n') == ["Doc."]


def test_user_files(tmp_path):
    jl = tmp_path / "private_eval.jsonl"
    jl.write_text('{"task_id": "t1", "question": "frobnicate the widget", "tests": ["assert a", "assert b"], '
                  '"n": 3}\n{"task_id": 2, "benchmark": "other", "solution": "x"}\n', encoding="utf-8")
    got = protected_strings_from_file(jl)
    assert got == [
        ProtectedString("private_eval", "t1", "question", "frobnicate the widget"),
        ProtectedString("private_eval", "t1", "tests", "assert a"),
        ProtectedString("private_eval", "t1", "tests", "assert b"),
        ProtectedString("other", "2", "solution", "x"),
    ]
    code = tmp_path / "secret_task.py"
    code.write_text("def secret():\n    return 42\n", encoding="utf-8")
    assert protected_strings_from_file(code) == [
        ProtectedString("secret_task", "secret_task.py", "text", "def secret():\n    return 42\n")]
    (tmp_path / "bad.jsonl").write_text('{"question": "no id"}\n', encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"bad\.jsonl: record 1 lacks field task_id"):
        protected_strings_from_file(tmp_path / "bad.jsonl")
    with pytest.raises(FileNotFoundError, match="protected-strings file not found"):
        protected_strings_from_file(tmp_path / "absent.jsonl")


# ------------------------------------------------------------------------------------------ planted copies


def test_verbatim_copy_is_caught(index, humaneval):
    p = humaneval["HumanEval/12"]
    result = index.scan(filler(20, 1) + p["prompt"] + p["canonical_solution"] + filler(20, 2))
    assert result.hits[0].reason == "contaminated:humaneval/HumanEval/12"
    assert result.hits[0].ngrams > 50


def test_reindented_copy_is_caught(index, humaneval):
    p = humaneval["HumanEval/0"]
    original = p["prompt"] + p["canonical_solution"]
    reindented = original.replace("    ", "\t").replace(" = ", "=").replace(", ", ",")
    assert reindented != original
    result = index.scan(textwrap.indent(reindented, "        "))
    assert result.hits[0].reason == "contaminated:humaneval/HumanEval/0"
    assert result.hits[0].ngrams == index.scan(original).hits[0].ngrams


def test_renamed_variables_caught_when_ten_tokens_survive(index, humaneval):
    body = humaneval["HumanEval/0"]["canonical_solution"]
    # rename every variable: only keywords/builtins/punctuation stay; no 10 tokens in a row survive
    renamed = body
    for old, new in (("idx2", "j"), ("elem2", "b"), ("idx", "i"), ("elem", "a"), ("distance", "d"),
                     ("numbers", "xs"), ("threshold", "eps")):
        renamed = renamed.replace(old, new)
    assert not index.scan(renamed).contaminated
    # restore one original line of 10 tokens; the nearest renamed variables are "xs" before it and "i" after
    # it, so the original run is ") :" + these 10 tokens + "if": 13 tokens, i.e. 4 indexed 10-grams
    keep = "        for idx2, elem2 in enumerate(numbers):\n"
    assert tokenize(keep).n_tokens == 10
    lines = renamed.splitlines(keepends=True)
    planted = "".join(keep if "for j, b in" in line else line for line in lines)
    assert planted != body and "idx2" in planted and "distance" not in planted
    result = index.scan(planted)
    assert result.hits[0].reason == "contaminated:humaneval/HumanEval/0"
    assert result.hits[0].ngrams == 4


def test_ten_shared_tokens_caught_nine_kept(index, humaneval):
    tokens = tokenize(humaneval["HumanEval/12"]["canonical_solution"])
    window = [tokens.span_text(i, i) for i in range(tokens.n_tokens)]
    ten = " ".join(window[4:14])
    nine = " ".join(window[4:13])
    hit = index.scan(f"unrelated_left_{0} {ten} unrelated_right_{1}")
    assert hit.hits[0].reason == "contaminated:humaneval/HumanEval/12" and hit.hits[0].ngrams == 1
    near = index.scan(f"unrelated_left_{0} {nine} unrelated_right_{1}")
    assert not near.contaminated


def test_short_strings_match_exactly_and_whole_tokens(tmp_path):
    strings = [
        ProtectedString("private", "short5", "test", "frobnicate(42, x)"),  # 6 tokens: exact rule
        ProtectedString("private", "short9", "test", "assert zork(1, 2) > 3"),  # 9 tokens: exact rule
        ProtectedString("private", "tiny", "test", "a b"),  # 2 tokens: ignored
    ]
    idx = DecontaminationIndex.build(strings, PAPER)
    assert idx.meta["benchmarks"]["private"] == {"exact_strings": 2, "strings": 3, "tasks": 3, "too_short": 1}
    assert [h.reason for h in idx.scan("y = frobnicate( 42 ,x )\n").hits] == ["contaminated:private/short5"]
    assert idx.scan("y = frobnicate( 42 ,x )\n").hits[0].exact == 1
    assert not idx.scan("y = frobnicate(42, y)").contaminated  # one token differs
    assert not idx.scan("y = xfrobnicate(42, x)").contaminated  # not on a token boundary
    assert not idx.scan("frobnicate(42, x2)").contaminated
    assert idx.scan("if ok:\n    assert zork(1,2)>3\n").hits[0].task_id == "short9"
    assert not idx.scan("assert zork(1, 2) > 4").contaminated
    assert not idx.scan("zork(1, 2) > 3").contaminated  # 8 of its 9 tokens
    assert not idx.scan("a b c").contaminated
    hit = idx.scan("x = 'ü'  # ü\nfrobnicate(42, x)\n").hits[0]  # non-ASCII before the match
    assert hit.first_token == len(tokenize("x = 'ü'  # ü\n").norm_starts)


def test_lone_surrogates_do_not_break_a_scan(index, humaneval):
    p = humaneval["HumanEval/12"]
    text = "bad = '\ud800'\n" + p["prompt"] + p["canonical_solution"]
    stream = tokenize(text)
    assert stream.span_text(2, 4) == "' \ufffd\ufffd\ufffd '"  # shown, one mark per byte
    assert index.scan(text).hits[0].reason == "contaminated:humaneval/HumanEval/12"
    short = DecontaminationIndex.build([ProtectedString("p", "t", "test", "frobnicate(42, x)")], PAPER)
    assert short.scan("\ud800 = 1\nfrobnicate(42, x)").hits[0].first_token == 3


def test_save_load_roundtrip_and_fingerprint(tmp_path, index, humaneval):
    index.save(tmp_path / "idx")
    loaded = DecontaminationIndex.load(tmp_path / "idx")
    text = filler(5) + humaneval["HumanEval/3"]["prompt"]
    assert [(h.reason, h.ngrams, h.exact) for h in loaded.scan(text).hits] == [
        (h.reason, h.ngrams, h.exact) for h in index.scan(text).hits]
    assert loaded.tasks[:2] == [("humaneval", "HumanEval/0"), ("humaneval", "HumanEval/1")]
    assert loaded.nbytes < 500 * 2**20
    strings = benchmark_protected_strings("humaneval")
    assert strings_fingerprint(strings, IndexConfig()) == strings_fingerprint(list(strings), IndexConfig())
    assert strings_fingerprint(strings, IndexConfig()) != strings_fingerprint(strings, IndexConfig(ngram=13))
    assert strings_fingerprint(strings, PAPER) != strings_fingerprint(strings, IndexConfig())
    with pytest.raises(FileNotFoundError, match="index.json missing"):
        DecontaminationIndex.load(tmp_path / "nothing")
