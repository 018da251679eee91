"""DeepSeek-Coder's special tokens, ids and prompt strings: the only module that spells them (docs/design.md).

Report §3.1.2 (FIM), §3.2 (tokenizer), §3.7 (instruction tuning); docs/paper.md §3.2. The bars in BOS, EOS and
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

#: Ids in the released tokenizer (report §3.2).
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

#: Instruct system prompt of the released chat template (report §3.7), rendered followed by a newline.
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
    """PSM inference prompt (report §3.1.2): the model continues with the middle."""
    return f"{FIM_BEGIN}{prefix}{FIM_HOLE}{suffix}{FIM_END}"


def sft_prompt(instruction: str, system_prompt: str = FINETUNE_SYSTEM_PROMPT) -> str:
    """Prompt of the released fine-tuning script: system prompt + Alpaca header (report §3.7)."""
    return f"{system_prompt}\n{INSTRUCTION_HEADER}{instruction}\n{RESPONSE_HEADER}"


def sft_target(output: str) -> str:
    """Target of the released fine-tuning script; the loss covers only this part."""
    return f"{output}\n{EOT}"


#: The release pads its 32,022 tokenizer entries to 32,256 embedding rows: the smallest power-of-two multiple that
#: gives 32,256 is 256 (128 gives 32,128; 512 would also give 32,256, 1024 gives 32,768). Rows past the tokenizer's
#: length are never produced by it and only exist for matrix-shape efficiency.
EMBEDDING_ROW_MULTIPLE = 256


def padded_vocab_size(tokenizer_len: int, multiple: int = EMBEDDING_ROW_MULTIPLE) -> int:
    """The model's ``vocab_size`` for a tokenizer of ``tokenizer_len`` entries (32,022 -> 32,256, as released)."""
    if tokenizer_len <= 0 or multiple <= 0:
        raise ValueError(f"padded_vocab_size needs positive sizes, got {tokenizer_len} and {multiple}")
    return -(-tokenizer_len // multiple) * multiple


def _jinja_str(text: str) -> str:
    """``text`` as a single-quoted Jinja string literal (newlines written ``\\n`` as in the released template)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


#: The released instruct chat template (deepseek-coder-*-instruct ``tokenizer_config.json``), source text as
#: released. Rendered by transformers (``trim_blocks`` + ``lstrip_blocks``) it gives (report §3.7): BOS, the default
#: system prompt + newline unless a system message is given (emitted as is), ``### Instruction:\n{content}\n`` per
#: user turn, ``### Response:\n{content}\n<|EOT|>\n`` per assistant turn, ``### Response:\n`` as generation prompt.
RELEASED_CHAT_TEMPLATE = (
    "{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n"
    "{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n"
    "    {%- if message['role'] == 'system' -%}\n        {%- set ns.found = true -%}\n    {%- endif -%}\n"
    "{%- endfor -%}\n{{bos_token}}{%- if not ns.found -%}\n"
    "{{" + _jinja_str(SYSTEM_PROMPT + "\n") + "}}\n{%- endif %}\n"
    "{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n{{ message['content'] }}\n"
    "    {%- else %}\n        {%- if message['role'] == 'user' %}\n"
    "{{" + _jinja_str(INSTRUCTION_HEADER) + " + message['content'] + '\\n'}}\n        {%- else %}\n"
    "{{" + _jinja_str(RESPONSE_HEADER) + " + message['content'] + " + _jinja_str(f"\n{EOT}\n") + "}}\n"
    "        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n"
    "{% if add_generation_prompt %}\n{{" + _jinja_str(RESPONSE_HEADER.rstrip("\n")) + "}}\n{% endif %}"
)

#: The same template with ``{% generation %}`` markers around what an assistant turn trains on (its content and
#: ``\n<|EOT|>``, the released fine-tuning target), so that TRL's ``assistant_only_loss`` /
#: ``return_assistant_tokens_mask`` work. Renders character for character like :data:`RELEASED_CHAT_TEMPLATE`.
CHAT_TEMPLATE = (
    "{%- if add_generation_prompt is not defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{%- set ns = namespace(found=false) %}"
    "{%- for message in messages %}{% if message['role'] == 'system' %}{% set ns.found = true %}{% endif %}"
    "{%- endfor %}"
    "{{- bos_token }}"
    "{%- if not ns.found %}{{ " + _jinja_str(SYSTEM_PROMPT + "\n") + " }}{% endif %}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'system' %}{{ message['content'] }}"
    "{%- elif message['role'] == 'user' %}{{ " + _jinja_str(INSTRUCTION_HEADER) + " + message['content'] + '\\n' }}"
    "{%- else %}{{ " + _jinja_str(RESPONSE_HEADER) + " }}"
    "{%- generation %}{{ message['content'] + " + _jinja_str(f"\n{EOT}") + " }}{% endgeneration %}"
    "{{- '\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ " + _jinja_str(RESPONSE_HEADER) + " }}{% endif %}"
)
