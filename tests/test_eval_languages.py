"""The multilingual HumanEval programs build and run per language (skipped where a toolchain is missing)."""

from __future__ import annotations

import pytest

from dscoder.evaluation.languages import LANGUAGES, missing_toolchain, with_end_marker
from dscoder.evaluation.sandbox import Sandbox
from dscoder.evaluation.tasks import TaskConfig, build_task

# HumanEval_53_add: a right and a wrong completion per language, written as a model would continue the prompt
ADD = {
    "cpp": ("\n    return x + y;\n}", "\n    return x - y;\n}"),
    "java": ("\n        return x + y;\n    }\n", "\n        return x - y;\n    }\n"),
    "cs": ("\n        return x + y;\n    }\n", "\n        return x - y;\n    }\n"),
    "php": ("\n    return $x + $y;\n}", "\n    return $x - $y;\n}"),
    "ts": ("\n  return x + y;\n}\n", "\n  return x - y;\n}\n"),
    "js": ("\n  return x + y;\n}\n", "\n  return x - y;\n}\n"),
    "sh": ('\n    echo $(( $1 + $2 ))\n}', '\n    echo $(( $1 - $2 ))\n}'),
}


#: tsc / g++ / javac take seconds per program on a loaded 2-core machine: only the right completion runs there
SLOW_COMPILERS = {"ts", "cpp", "java"}


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        yield sb


@pytest.mark.parametrize("language", sorted(ADD))
def test_right_passes_wrong_fails(language, benchmarks_dir, sandbox):
    missing = missing_toolchain(language)
    if missing:
        pytest.skip(f"toolchain missing: {', '.join(missing)} (make toolchains)")
    task = build_task(TaskConfig(task=f"humaneval-{language}"), benchmarks_dir)
    assert task.skip_reason() is None
    problem = next(p for p in task.problems() if p["task_id"] == "HumanEval_53_add")
    request = task.request(problem)
    assert request.prompt == problem["prompt"].strip() and request.max_new_tokens == 500
    assert set(problem["stop_tokens"]) <= set(request.stop)
    outputs = ADD[language] if language not in SLOW_COMPILERS else ADD[language][:1]
    completions = [task.completion(problem, output) for output in outputs]
    verdicts = task.judge([problem] * len(outputs), completions, sandbox)
    assert [v["passed"] for v in verdicts] == [True, False][: len(outputs)], verdicts


def test_typescript_stops_include_the_scripts_extras():
    task = build_task(TaskConfig(task="humaneval-ts"))
    assert {"\nexport", "\nimport", "\nconsole.log"} <= set(task.stops({"stop_tokens": ["\nfunction "]}))


def test_missing_toolchain_is_a_clear_skip(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda tool: None)
    task = build_task(TaskConfig(task="humaneval-cs"))
    assert task.skip_reason() == "toolchain missing for C#: mcs, mono (run `make toolchains`)"
    assert missing_toolchain("python") == []


def test_end_marker_placement():
    """The end statement echoes the run-time token from stdin: no marker is ever written into the source."""
    cpp = with_end_marker("int main() {\n  f();\n}\n", "cpp")
    assert cpp.startswith("int main() {\n  f();\n{ char dscoder_end[96]") and cpp.endswith("fflush(stdout); }\n}\n")
    java = "class P {\n  public static void main(String[] a) {\n  }\n}\n"
    assert with_end_marker(java, "java").endswith(
        "{\n  System.out.println(new java.util.Scanner(System.in).nextLine());\n}\n}\n")
    assert with_end_marker("<?php\nf();\n?>", "php") == "<?php\nf();\n\necho fgets(STDIN);\n?>"
    assert with_end_marker("f()", "sh") == 'f()\nread -r dscoder_end; echo "$dscoder_end"\n'
    assert with_end_marker("f()\n", "python") == "f()\n"
    assert set(LANGUAGES) == {"python", "cpp", "java", "php", "ts", "cs", "sh", "js"}
