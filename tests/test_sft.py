"""Instruction tuning (report §3.7, SPEC §5.4): released-format records, exact label masks, <|EOT|>, LoRA, and the
demo instruction set."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_training_helpers import RECIPES, build_tokenizer, synthetic_code, write_jsonl

from dscoder.tokenization.special_tokens import (
    EOT,
    FINETUNE_SYSTEM_PROMPT,
    sft_prompt,
    sft_target,
)
from dscoder.training.sft import instruction_to_prompt_completion

RECORDS = [
    {"instruction": "Add two numbers.", "output": "def add(a, b):\n    return a + b"},
    {"instruction": "Negate x.", "output": "def neg(x):\n    return -x"},
]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A tokenizer, a tiny base checkpoint (one pretraining step), instruction and chat-message files."""
    from dscoder.training.runner import run_recipe

    root = tmp_path_factory.mktemp("sft")
    docs = synthetic_code(120) + [r["instruction"] + "\n" + r["output"] for r in RECORDS] * 5
    build_tokenizer(root / "tok", docs + [FINETUNE_SYSTEM_PROMPT] * 50, vocab_size=800)  # short prompts: fast steps
    write_jsonl(root / "corpus" / "c.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(docs)])
    run_recipe(RECIPES / "tiny" / "pretrain.yaml", {
        "model.tokenizer": str(root / "tok"), "data.sources.code.path": str(root / "corpus"),
        "data.sources.code.kind": "text", "data.eval_sources": {}, "data.seq_length": 64, "training.max_steps": 1,
        "training.output_dir": str(root / "base"),
    })
    write_jsonl(root / "instructions.jsonl", RECORDS * 8)
    messages = [{"messages": [{"role": "user", "content": r["instruction"]}, {"role": "assistant", "content": r["output"]}]}
                for r in RECORDS]
    write_jsonl(root / "messages.jsonl", messages)
    return root


def _recipe(root: Path, out: str, **extra):
    from dscoder.training.recipe import load_recipe

    values = {
        "model.init_from": str(root / "base"),
        "data.sources.demo_instructions.path": str(root / "instructions.jsonl"),
        "training.output_dir": str(root / out),
        "training.report_to": ["none"],
        "data.eval_fraction": 0.0,  # the record order these tests read; test_held_out_slice_* keeps the split
    }
    values.update(extra)
    return load_recipe(RECIPES / "tiny" / "sft.yaml", values)


def test_released_format_record_becomes_prompt_and_completion():
    pair = instruction_to_prompt_completion(RECORDS[0])
    assert pair["prompt"] == (
        FINETUNE_SYSTEM_PROMPT + "\n### Instruction:\nAdd two numbers.\n### Response:\n"
    )
    assert pair["completion"] == "def add(a, b):\n    return a + b\n<|EOT|>"
    with pytest.raises(TypeError, match="'instruction' and 'output'"):
        instruction_to_prompt_completion({"instruction": "x"})


def test_labels_mask_the_prompt_exactly(workdir):
    from dscoder.training.runner import build_trainer

    trainer, tok, _ = build_trainer(_recipe(workdir, "labels", **{"sft.packing": False}))
    row = trainer.train_dataset[0]
    prompt_ids = tok(sft_prompt(RECORDS[0]["instruction"])).input_ids
    full_ids = tok(sft_prompt(RECORDS[0]["instruction"]) + sft_target(RECORDS[0]["output"])).input_ids
    assert row["input_ids"] == full_ids
    assert row["input_ids"][0] == tok.bos_token_id and row["input_ids"][-1] == tok.convert_tokens_to_ids(EOT)
    assert row["labels"] == [-100] * len(prompt_ids) + full_ids[len(prompt_ids):]  # no EOS after <|EOT|>
    assert tok.eos_token == EOT and trainer.model.config.eos_token_id == tok.convert_tokens_to_ids(EOT)


def test_packed_rows_keep_examples_apart_and_masked(workdir):
    from dscoder.training.runner import build_trainer

    trainer, tok, _ = build_trainer(_recipe(workdir, "packed"))
    prompt_len = len(tok(sft_prompt(RECORDS[0]["instruction"])).input_ids)
    row = trainer.train_dataset[0]
    lengths = row["seq_lengths"]  # padding-free "bfd": TRL restarts position ids at each of these examples
    assert len(lengths) >= 2 and sum(lengths) == len(row["input_ids"]) <= 512
    start = 0
    for n in lengths:
        assert row["labels"][start:start + prompt_len] == [-100] * prompt_len
        assert row["input_ids"][start + n - 1] == tok.convert_tokens_to_ids(EOT)
        start += n


def test_chat_messages_train_on_assistant_turns_only(workdir):
    from dscoder.training.runner import build_trainer

    trainer, tok, _ = build_trainer(_recipe(workdir, "chat", **{
        "data.sources.demo_instructions.path": str(workdir / "messages.jsonl"),
        "data.sources.demo_instructions.kind": "messages", "sft.packing": False,
    }))
    row = trainer.train_dataset[0]
    trained = tok.decode([i for i, lab in zip(row["input_ids"], row["labels"]) if lab != -100])
    assert trained == RECORDS[0]["output"] + "\n" + EOT


def test_sft_model_ends_its_answers_with_eot(workdir):
    from transformers import AutoModelForCausalLM

    from dscoder.tokenization.loading import load_tokenizer
    from dscoder.training.runner import run_recipe

    out = run_recipe(_recipe(workdir, "trained", **{
        "sft.packing": False, "training.max_steps": 40, "optimizer.lr": 5e-3, "schedule.type": "constant",
        "schedule.warmup_steps": 0, "batch.global_batch_sequences": 4, "batch.micro_batch_size": 4,
    }))
    assert out["final_loss"] < out["loss_history"][0]["loss"] / 4
    tok = load_tokenizer(out["output_dir"])
    model = AutoModelForCausalLM.from_pretrained(out["output_dir"]).eval()
    eot = tok.convert_tokens_to_ids(EOT)
    for record in RECORDS:
        prompt = tok(sft_prompt(record["instruction"]), return_tensors="pt")
        gen = model.generate(**prompt, max_new_tokens=40, do_sample=False)[0, prompt.input_ids.shape[1]:].tolist()
        assert gen[-1] == eot and gen.count(eot) == 1  # stops at <|EOT|> (the saved generation config's EOS)
        answer = tok.decode(gen)
        assert answer.startswith("def ") and answer.endswith("\n" + EOT)  # an answer in the trained shape


def test_held_out_slice_is_the_evaluation_split(workdir):
    """``data.eval_fraction`` (tiny/sft.yaml: 0.1): a seeded slice of the records is held out for evaluation."""
    from dscoder.training.runner import build_trainer

    trainer, _, _ = build_trainer(_recipe(workdir, "slice", **{"data.eval_fraction": 0.25, "sft.packing": False}))
    again, _, _ = build_trainer(_recipe(workdir, "slice", **{"data.eval_fraction": 0.25, "sft.packing": False}))
    assert (len(trainer.train_dataset), len(trainer.eval_dataset)) == (12, 4)
    assert trainer.eval_dataset["input_ids"] == again.eval_dataset["input_ids"]  # seeded
    assert trainer.args.eval_strategy == "steps" and trainer.args.eval_steps == 40
    from dscoder.training.runner import run_recipe

    out = run_recipe(_recipe(workdir, "slice_run", **{"data.eval_fraction": 0.25, "training.max_steps": 2}))
    assert [r["step"] for r in out["eval_history"]] == [2] and out["eval_history"][0]["eval_loss"] > 0
    assert (workdir / "slice_run" / "eval_results.json").is_file()


def test_lora_adapters_train_through_peft(workdir):
    from peft import PeftModel

    from dscoder.training.runner import build_trainer

    trainer, _, _ = build_trainer(_recipe(workdir, "lora", **{"lora.enabled": True, "training.max_steps": 1}))
    assert isinstance(trainer.model, PeftModel)
    trainable = [n for n, p in trainer.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)


def test_demo_instruction_set_from_file_records(tmp_path):
    from dscoder.data.instructions import build_instruction_set

    code = (
        'import os\n\n\n'
        'def join_all(parts, sep="/"):\n'
        '    """Join path parts with a separator.\n\n    Empty parts are skipped.\n    """\n'
        '    kept = [p for p in parts if p]\n'
        '    return sep.join(kept)\n\n\n'
        'def short():\n    """Too short."""\n    return 1\n\n\n'
        'def undocumented(x):\n    y = x + 1\n    return y\n'
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [
        {"id": "a", "text": code, "repo": "r", "path": "a.py", "language": "python"},
        {"id": "b", "text": code, "repo": "r", "path": "b.py", "language": "python"},  # a duplicate
        {"id": "c", "text": "# Title\n", "repo": "r", "path": "README.md", "language": "markdown"},
        {"id": "d", "text": "def broken(:\n", "repo": "r", "path": "d.py", "language": "python"},
    ]
    with gzip.open(corpus / "00000.jsonl.gz", "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
        f.write("{not json\n")
    out = tmp_path / "instructions.jsonl"
    assert build_instruction_set(corpus, out) == 1
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record == {
        "instruction": 'Write a Python function `join_all(parts, sep="/")` that does the following.\n\n'
                       "Join path parts with a separator.\n\nEmpty parts are skipped.",
        "output": '```python\ndef join_all(parts, sep="/"):\n    kept = [p for p in parts if p]\n'
                  "    return sep.join(kept)\n```",
    }
    stats = json.loads(Path(f"{out}.stats.json").read_text())
    assert stats["instructions:duplicate"] == 1 and stats["instructions:not_python"] == 1
    assert stats["instructions:short_body"] == 2 and stats["instructions:syntax_error"] == 1
    assert stats["instructions:reader_malformed_json"] == 1
    with pytest.raises(FileNotFoundError, match="not a folder of file records"):
        build_instruction_set(tmp_path / "missing", out)
