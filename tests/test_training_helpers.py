"""Small builders shared by the training tests (no tests here): a tiny tokenizer, tiny datasets, tiny recipes."""

from __future__ import annotations

import json
import random
from pathlib import Path

from dscoder.tokenization.special_tokens import SPECIAL_TOKENS

REPO_ROOT = Path(__file__).resolve().parents[1]
RECIPES = REPO_ROOT / "recipes"

_WORDS = ["def", "return", "import", "class", "self", "if", "else", "for", "while", "in", "range", "print", "value", "data", "result", "index", "list", "dict"]


def synthetic_code(n_docs: int, seed: int = 0) -> list[str]:
    """Deterministic Python-looking documents (so the tests need no corpus on disk)."""
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        lines = [f"def f{i}(x, y):"]
        for _ in range(rng.randint(3, 12)):
            a, b = rng.sample(_WORDS, 2)
            lines.append(f"    {a} = {b}({rng.randint(0, 99)}) + x")
        lines.append("    return x + y")
        docs.append("\n".join(lines) + "\n")
    return docs


def build_tokenizer(out_dir: Path, texts: list[str], vocab_size: int = 400) -> Path:
    """A byte-level BPE with DeepSeek-Coder's special tokens, saved with save_pretrained."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from dscoder.tokenization.components import add_bos_post_processor
    from dscoder.tokenization.loading import save_tokenizer, to_transformers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    add_bos_post_processor(tok)
    return save_tokenizer(to_transformers(tok), out_dir)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def tokenized_dataset(out_dir: Path, tokenizer_dir: Path, texts: list[str], seq_length: int) -> Path:
    """A DESIGN-layout tokenised dataset (input_ids + restarting position_ids, full rows), saved to disk."""
    from datasets import Dataset
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    ids, pos = [], []
    for text in texts:
        doc = tok(text).input_ids + [tok.eos_token_id]
        ids += doc
        pos += list(range(len(doc)))
    n = len(ids) // seq_length
    rows = {
        "input_ids": [ids[i * seq_length:(i + 1) * seq_length] for i in range(n)],
        "position_ids": [pos[i * seq_length:(i + 1) * seq_length] for i in range(n)],
    }
    Dataset.from_dict(rows).save_to_disk(str(out_dir))
    return out_dir
