"""``code_eval`` with dscoder's sandbox, loadable offline from the installed package::

    import evaluate
    from dscoder.evaluation import metric_path

    metric = evaluate.load(metric_path("code_eval_sandboxed"))
    pass_at_k, results = metric.compute(predictions=[[candidate, ...], ...], references=[test, ...],
                                        k=[1, 10], allow_code_execution=True)

Inputs and result shape are ``code_eval``'s; the computation is ``dscoder.evaluation.code_eval.compute_code_eval``
(the engine of ``dscoder eval``). The card is the README.md beside this file.
"""

import datasets
import evaluate

_CITATION = """\
@article{guo2024deepseekcoder,
  title={DeepSeek-Coder: When the Large Language Model Meets Programming},
  author={Guo, Daya and others}, journal={arXiv preprint arXiv:2401.14196}, year={2024}
}
@article{chen2021codex,
  title={Evaluating Large Language Models Trained on Code},
  author={Chen, Mark and others}, journal={arXiv preprint arXiv:2107.03374}, year={2021}
}
"""

_DESCRIPTION = (
    "code_eval's unbiased pass@k of Python candidates executed against test code, with each program in its own "
    "sandboxed process (dscoder.evaluation.sandbox): resource limits, no network, a throw-away uid as root."
)

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of candidate lists, one list per problem (strings of Python code).
    references: list of test programs, one per problem (run after each candidate).
    k: list of k for pass@k (default [1, 10, 100]).
    num_workers: programs run at once (default: CPU count).
    timeout: seconds per program (default 3.0, like code_eval).
    allow_code_execution: opt in to running the code (or set HF_ALLOW_CODE_EVAL=1, as for code_eval).
Returns:
    pass_at_k: {"pass@k": float in 0..1} for each k every problem has at least k candidates for.
    results: defaultdict(list): problem index -> [(completion_id, {"task_id", "passed", "result",
        "completion_id"}), ...]; result is "passed", "timed out" or "failed: <error>".
Examples:
    >>> metric = evaluate.load(metric_path("code_eval_sandboxed"))
    >>> pass_at_k, results = metric.compute(references=["assert add(2, 3) == 5"],
    ...     predictions=[["def add(a, b): return a * b", "def add(a, b): return a + b"]], k=[1, 2],
    ...     allow_code_execution=True)
    >>> pass_at_k
    {'pass@1': 0.5, 'pass@2': 1.0}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class CodeEvalSandboxed(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("string")), "references": datasets.Value("string")}
            ),
            homepage="https://arxiv.org/abs/2401.14196",
            codebase_urls=["https://github.com/openai/human-eval"],
            reference_urls=["https://huggingface.co/spaces/evaluate-metric/code_eval"],
            license="MIT",
        )

    def _compute(self, predictions, references, k=(1, 10, 100), num_workers=None, timeout=3.0,
                 allow_code_execution=False):
        from dscoder.evaluation.code_eval import compute_code_eval

        return compute_code_eval(predictions, references, k=k, num_workers=num_workers, timeout=timeout,
                                 allow_code_execution=allow_code_execution)
