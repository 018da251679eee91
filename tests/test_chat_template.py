"""The instruct chat template (SPEC §5.4): the released rendering, character for character, plus generation masks."""

from __future__ import annotations

import pytest

from dscoder.tokenization.components import bytes_only_tokenizer
from dscoder.tokenization.loading import to_transformers
from dscoder.tokenization.special_tokens import (
    BOS,
    CHAT_TEMPLATE,
    EOT,
    INSTRUCTION_HEADER,
    RELEASED_CHAT_TEMPLATE,
    RESPONSE_HEADER,
    SYSTEM_PROMPT,
)

CONVERSATIONS = {
    "one_turn": [{"role": "user", "content": "write quick sort"}],
    "answered": [
        {"role": "user", "content": "write quick sort"},
        {"role": "assistant", "content": "def qs(a):\n    return sorted(a)"},
    ],
    "multi_turn": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "  c\n"},
        {"role": "assistant", "content": ""},
    ],
    "system": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ],
}


@pytest.fixture(scope="module")
def tokenizer():
    return to_transformers(bytes_only_tokenizer())


def _spec_render(messages, add_generation_prompt):
    """SPEC §5.4 in words, as code."""
    out = BOS
    if not any(m["role"] == "system" for m in messages):
        out += SYSTEM_PROMPT + "\n"
    for m in messages:
        if m["role"] == "system":
            out += m["content"]
        elif m["role"] == "user":
            out += f"{INSTRUCTION_HEADER}{m['content']}\n"
        else:
            out += f"{RESPONSE_HEADER}{m['content']}\n{EOT}\n"
    return out + (RESPONSE_HEADER if add_generation_prompt else "")


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_template_renders_like_the_release(tokenizer, name, add_generation_prompt):
    messages = CONVERSATIONS[name]
    ours = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    released = tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt, chat_template=RELEASED_CHAT_TEMPLATE
    )
    assert ours == released == _spec_render(messages, add_generation_prompt)


def test_exact_text_of_one_exchange(tokenizer):
    text = tokenizer.apply_chat_template(CONVERSATIONS["system"], tokenize=False)
    assert text == f"{BOS}You are terse.### Instruction:\nhi\n### Response:\nhello\n{EOT}\n"
    assert tokenizer.chat_template == CHAT_TEMPLATE


def test_generation_markers_cover_each_answer_and_its_eot(tokenizer):
    out = tokenizer.apply_chat_template(
        CONVERSATIONS["multi_turn"], return_dict=True, return_assistant_tokens_mask=True, tokenize=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    trained = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    assert trained == f"b\n{EOT}" + f"\n{EOT}"  # the two targets (content + "\n<|EOT|>"), nothing else
    assert sum(mask) == len(tokenizer(f"b\n{EOT}\n{EOT}", add_special_tokens=False).input_ids)
