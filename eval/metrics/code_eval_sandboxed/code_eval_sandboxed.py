"""``code_eval`` with dscoder's sandbox, loadable offline from a local path:

    import evaluate
    metric = evaluate.load("eval/metrics/code_eval_sandboxed")
    pass_at_k, results = metric.compute(predictions=[[candidate, ...], ...], references=[test, ...],
                                        k=[1, 10], allow_code_execution=True)

Same inputs and outputs as the Hub's ``code_eval`` (which is fetched from the Hub at load time and so fails
offline, SPEC §7): each problem's candidates run as ``candidate + "\\n" + test`` in a separate sandboxed process
(own temp dir, resource limits, no network, throw-away uid when root; see ``dscoder.evaluation.sandbox``);
pass@k is the unbiased estimator, reported for each k that every problem has enough candidates for.
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

_DESCRIPTION = "Unbiased pass@k of Python candidates executed against test code in dscoder's process sandbox."

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of candidate lists, one list per problem (strings of Python code).
    references: list of test programs, one per problem (run after each candidate).
    k: list of k for pass@k (default [1, 10, 100]).
    num_workers: programs run at once (default: CPU count).
    timeout: seconds per program (default 3.0, like code_eval).
    allow_code_execution: must be True: running model-written code needs an explicit opt-in.
Returns:
    pass_at_k: {"pass@k": float in 0..1} for each k every problem has at least k candidates for.
    results: {problem index: [{"completion_id", "passed", "result"}, ...]}.
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
            license="MIT",
        )

    def _compute(self, predictions, references, k=(1, 10, 100), num_workers=None, timeout=3.0,
                 allow_code_execution=False):
        from dscoder.evaluation.metrics import pass_at_k
        from dscoder.evaluation.sandbox import Sandbox
        from dscoder.evaluation.tasks.base import Program, execute_programs

        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} prediction lists for {len(references)} references")
        programs, owner = [], []
        for i, (candidates, test) in enumerate(zip(predictions, references)):
            for j, candidate in enumerate(candidates):
                programs.append(Program("python", candidate + "\n" + test + "\n"))
                owner.append((i, j))
        with Sandbox(allow_code_execution=allow_code_execution, workers=num_workers) as sandbox:
            verdicts = execute_programs(sandbox, programs, timeout_s=float(timeout))
        results = {i: [] for i in range(len(references))}
        for (i, j), verdict in zip(owner, verdicts):
            result = "passed" if verdict["passed"] else f"failed: {verdict['status']}"
            results[i].append({"completion_id": j, "passed": verdict["passed"], "result": result})
        totals = [len(results[i]) for i in results]
        correct = [sum(r["passed"] for r in results[i]) for i in results]
        ks = [k] if isinstance(k, int) else list(k)
        scores = {f"pass@{x}": pass_at_k(totals, correct, x) for x in ks if totals and min(totals) >= x}
        return scores, results
