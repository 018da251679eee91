"""DeepSeek-Coder's special tokens, ids and prompt strings: the only module that spells them (DESIGN).

Report §3.1.2 (FIM), §3.2 (tokenizer), §3.7 (instruction tuning); SPEC §2, §3, §5.4. The bars in BOS, EOS and
the FIM tokens are U+FF5C (FULLWIDTH VERTICAL LINE) and the ``▁`` is U+2581; ``<|EOT|>``, ``<|User|>`` and
``<|Assistant|>`` use the ASCII bar. Ids are those of the released tokenizer (32,022 entries; the model's
embedding matrix has 32,256 rows).
"""

from __future__ import annotations

BOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>"
EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"
FIM_HOLE = "<\uff5cfim\u2581hole\uff5c>"
FIM_BEGIN = "<\uff5cfim\u2581begin\uff5c>"
FIM_END = "<\uff5cfim\u2581end\uff5c>"
PAD = "<pad>"
USER = "<|User|>"
ASSISTANT = "<|Assistant|>"
EOT = "<|EOT|>"

#: The added special tokens, in the released order (they follow the learned vocabulary).
SPECIAL_TOKENS: tuple[str, ...] = (BOS, EOS, FIM_HOLE, FIM_BEGIN, FIM_END, PAD, USER, ASSISTANT, EOT)

#: The 13 single Latin-1 letters the released tokenizer added at ids 32000-32012 (an artifact of its training).
RELEASED_EXTRA_LETTERS: tuple[str, ...] = tuple("õ÷ÁýÀÿøúþüùöû")

#: Ids in the released tokenizer (SPEC §2).
RELEASED_VOCAB_SIZE = 32_000
RELEASED_IDS: dict[str, int] = {tok: 32_013 + i for i, tok in enumerate(SPECIAL_TOKENS)}
BOS_ID = RELEASED_IDS[BOS]  # 32013
EOS_ID = RELEASED_IDS[EOS]  # 32014 (base models' EOS and pad)
FIM_HOLE_ID = RELEASED_IDS[FIM_HOLE]  # 32015
FIM_BEGIN_ID = RELEASED_IDS[FIM_BEGIN]  # 32016
FIM_END_ID = RELEASED_IDS[FIM_END]  # 32017
PAD_ID = RELEASED_IDS[PAD]  # 32018
USER_ID = RELEASED_IDS[USER]  # 32019
ASSISTANT_ID = RELEASED_IDS[ASSISTANT]  # 32020
EOT_ID = RELEASED_IDS[EOT]  # 32021 (instruct models' EOS)
RELEASED_TOKENIZER_LEN = 32_022
RELEASED_MODEL_VOCAB_SIZE = 32_256
MODEL_MAX_LENGTH = 16_384

#: Instruct system prompt of the released chat template (SPEC §5.4), rendered followed by a newline.
SYSTEM_PROMPT = (
    "You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, "
    "and you only answer questions related to computer science. For politically sensitive questions, security "
    "and privacy issues, and other non-computer science questions, you will refuse to answer"
)
#: The released fine-tuning script's wording of the same prompt (with "DeepSeek" and a closing period).
FINETUNE_SYSTEM_PROMPT = (
    "You are an AI programming assistant, utilizing the DeepSeek Coder model, developed by DeepSeek Company, "
    "and you only answer questions related to computer science. For politically sensitive questions, security "
    "and privacy issues, and other non-computer science questions, you will refuse to answer."
)
INSTRUCTION_HEADER = "### Instruction:\n"
RESPONSE_HEADER = "### Response:\n"


def fim_prompt(prefix: str, suffix: str) -> str:
    """PSM inference prompt (SPEC §3): the model continues with the middle."""
    return f"{FIM_BEGIN}{prefix}{FIM_HOLE}{suffix}{FIM_END}"


def sft_prompt(instruction: str, system_prompt: str = FINETUNE_SYSTEM_PROMPT) -> str:
    """Prompt of the released fine-tuning script: system prompt + Alpaca header (SPEC §5.4)."""
    return f"{system_prompt}\n{INSTRUCTION_HEADER}{instruction}\n{RESPONSE_HEADER}"


def sft_target(output: str) -> str:
    """Target of the released fine-tuning script; the loss covers only this part."""
    return f"{output}\n{EOT}"
