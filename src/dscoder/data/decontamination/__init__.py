"""N-gram decontamination against the evaluation benchmarks (report §2.4; docs/paper.md).

* :mod:`.code_tokens`: code tokens after whitespace normalisation, word tokens, vectorised n-gram hashes;
* :mod:`.background`: n-grams common in clean code (the default mode ignores them), build/save/load;
* :mod:`.protected`: the strings to protect per benchmark task (problems, docstrings, solutions, tests);
* :mod:`.index`: :class:`DecontaminationIndex`, hashed n-grams (+ exact short strings), saved to disk;
* :mod:`.filter`: :class:`BenchmarkDecontaminationFilter`, the datatrove block
  (reason ``contaminated:<benchmark>/<task_id>``; files removed from repository samples);
* :mod:`.planted`: the demo's planted file and the planted-copy variants the bench and tests use;
* :mod:`.report`: per-benchmark contamination report (JSON + rich table);
* :mod:`.stage`: :func:`run_decontamination_stage`, what the demo and ``dscoder data decontaminate`` run.

Default (``IndexConfig(mode="words")``): grams of 8 word tokens with ``def``-defined names masked, n-grams common in
clean code ignored (:mod:`.background`, a list shipped with the package), and at least half of a protected
string present; contaminated files are removed from repository samples one by one. ``mode="paper"`` is the
report's rule read literally (one shared 10-gram of code tokens, every punctuation mark a token): on held-out
standard-library files it flags about 9% of clean files, for idioms shared with a benchmark's prompt
(``bench/decontam_quality.py`` measures both).
"""

from dscoder.data.decontamination.code_tokens import (
    TokenStream,
    ngram_hashes,
    normalize,
    tokenize,
)
from dscoder.data.decontamination.index import (
    DecontaminationIndex,
    IndexConfig,
    ScanResult,
    TaskHit,
)
from dscoder.data.decontamination.protected import (
    PROTECTED_FIELDS,
    ProtectedString,
    benchmark_protected_strings,
    protected_strings,
    protected_strings_from_file,
)

__all__ = [
    "PROTECTED_FIELDS", "DecontaminationIndex", "IndexConfig", "ProtectedString", "ScanResult", "TaskHit",
    "TokenStream", "benchmark_protected_strings", "ngram_hashes", "normalize", "protected_strings",
    "protected_strings_from_file", "tokenize",
]
