"""``checks: isolated`` (protocol strict, issue 18): the tests run in a process that never runs the program's code,
calling its functions across a process boundary; only plain values reach the asserts (EvalPlus-style type-aware
comparison). Attacks that pass under ``checks: shared`` (the official harness's way) fail here; honest programs
pass the same."""

from __future__ import annotations

import sys

import pytest

from dscoder.evaluation.sandbox import Sandbox
from dscoder.evaluation.tasks import TaskConfig, build_task
from dscoder.evaluation.tasks.base import Program, execute_programs, isolated_checks

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux")

PRELUDE = 'import math\n\n\ndef poly(xs, x):\n    return sum(c * x ** i for i, c in enumerate(xs))\n\n\ndef add(a, b):\n    """Add."""\n'
TESTS = (
    "def check(candidate):\n"
    "    assert candidate(1, 2) == 3\n"
    "    assert candidate(a=2, b=5) == 7\n"
    "    assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9\n"
    "    assert math.isclose(poly([candidate(1, 1)], 3), 2.0)\n"
    "\n"
    "check(add)\n"
)
HONEST = "def add(a, b):\n    return a + b\n"
#: name -> (program, status under isolated checks); each but the honest ones passes under shared checks
PROGRAMS = {
    "honest": (HONEST, "passed"),
    "honest_numpy_scalar": ("import numpy as np\n\ndef add(a, b):\n    return np.float64(a + b)\n", "passed"),
    "honest_prints": ("print('loading')\n\ndef add(a, b):\n    print('add', a, b)\n    return a + b\n", "passed"),
    "eq_always_true": (("class Y:\n    def __eq__(self, other):\n        return True\n    def __sub__(self, o):\n"
                        "        return 0\n    __rsub__ = __sub__\n    def __mul__(self, o):\n        return 2.0\n\n"
                        "def add(a, b):\n    return Y()\n"), "failed"),
    "int_subclass": (("class I(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
                      "\ndef add(a, b):\n    return I(a + b)\n"), "failed"),
    "shadow_abs_and_math": (("import math\nmath.isclose = lambda *a, **k: True\n\ndef abs(x):\n    return 0\n\n"
                             "def add(a, b):\n    return a + b if isinstance(a, int) and isinstance(b, int) else 99\n"),
                            "failed"),
    "patch_builtins_in_call": (("import builtins\n\ndef add(a, b):\n    builtins.abs = lambda x: 0\n"
                                "    return a + b if isinstance(a, int) else 99\n"), "failed"),
    "shadow_the_prompt_helper": ("def poly(xs, x):\n    return 2.0\n\ndef add(a, b):\n    return a + b + (a == 1 and b == 1)\n",
                                 "failed"),
    "exit_zero_while_loading": ("import sys\nsys.exit(0)\n", "exited_before_end"),
    "rewrite_the_tests": ("open('checks.json', 'w').write('{}')\n\ndef add(a, b):\n    return 0\n", "failed"),
}


def _programs(checks: str) -> list[Program]:
    out = []
    for source, _ in PROGRAMS.values():
        if checks == "isolated":
            out.append(Program("python", source, checks=isolated_checks(PRELUDE, TESTS, ["add"])))
        else:
            out.append(Program("python", PRELUDE + source + "\n" + TESTS))
    return out


def test_the_checks_name_what_the_tests_take_from_the_program():
    checks = isolated_checks(PRELUDE, TESTS, ["add"])
    assert checks["names"] == ["add"]  # poly and math come from the prelude; abs is a builtin
    assert isolated_checks("", "assert sum(1, 2) == 3\nassert helper() == 1\n", ["sum"])["names"] == ["helper", "sum"]
    stub = isolated_checks('def f(x):\n    """Doc."""\n', "def check(c):\n    assert c(1)\n\ncheck(f)\n")
    assert stub["names"] == ["f"]  # a prompt's docstring-only function gives way to the program's


@pytest.mark.parametrize("use_zygote", [True, False], ids=["zygote", "process"])
def test_attacks_fail_under_isolated_checks_and_honest_programs_pass(use_zygote):
    with Sandbox(allow_code_execution=True, workers=2, use_zygote=use_zygote) as sb:
        isolated = execute_programs(sb, _programs("isolated"), timeout_s=20, protocol="strict")
        shared = execute_programs(sb, _programs("shared"), timeout_s=20, protocol="strict") if use_zygote else None
    got = {name: v["status"] for name, v in zip(PROGRAMS, isolated)}
    assert got == {name: status for name, (_, status) in PROGRAMS.items()}, {n: v["stderr"][-300:] for n, v in
                                                                               zip(PROGRAMS, isolated)}
    assert isolated[2]["stdout"] == "loading\nadd 1 2\nadd 2 5\nadd 0.5 0.25\nadd 1 1"  # what the program printed
    assert "not a plain value" in isolated[3]["stderr"]
    if shared is not None:  # the same attacks forge a pass when the tests share the program's namespace
        forged = {n for n, v in zip(PROGRAMS, shared) if v["passed"]}
        assert forged >= {"eq_always_true", "int_subclass", "shadow_abs_and_math", "patch_builtins_in_call",
                          "shadow_the_prompt_helper"}, {n: v["stderr"][-200:] for n, v in zip(PROGRAMS, shared)}


def test_values_keep_their_types_across_the_boundary():
    values = ("[1, (2.5, -0.0), {'a': {3, 4}}, frozenset({b'x'}), None, True, 10**30, 1+2j, float('inf'), "
              "collections.Counter('abca'), collections.OrderedDict([(2, 'b'), (1, 'a')]), numpy.arange(3), "
              "numpy.int32(7)]")
    program = f"import collections, numpy\n\ndef f():\n    return {values}\n"
    tests = (f"import collections, numpy\nexpected = {values}\nout = f()\n"
             "assert [type(v) for v in out] == [type(v) for v in expected], [type(v) for v in out]\n"
             "assert out[:11] == expected[:11] and out[12] == expected[12] and (out[11] == expected[11]).all()\n"
             "assert str(out[11].dtype) == str(expected[11].dtype)\n")
    with Sandbox(allow_code_execution=True, workers=1) as sb:
        (verdict,) = execute_programs(sb, [Program("python", program, checks=isolated_checks("", tests, ["f"]))],
                                      timeout_s=20, protocol="strict")
    assert verdict["passed"], verdict["stderr"]


def test_isolated_is_the_strict_default_and_refused_under_deepseek():
    assert build_task(TaskConfig(task="humaneval-python", protocol="strict")).checks == "isolated"
    assert build_task(TaskConfig(task="mbpp", protocol="strict", checks="shared")).checks == "shared"
    assert build_task(TaskConfig(task="humaneval-python")).checks == "shared"
    assert build_task(TaskConfig(task="humaneval-cpp", protocol="strict")).checks == "shared"
    with pytest.raises(ValueError, match="checks: isolated needs protocol: strict"):
        build_task(TaskConfig(task="humaneval-python", protocol="deepseek", checks="isolated"))
    with pytest.raises(ValueError, match="checks: isolated needs protocol: strict"):
        build_task(TaskConfig(task="humaneval-java", protocol="strict", checks="isolated"))


def test_a_module_the_tests_take_from_the_program_is_imported_afresh_and_only_from_the_stdlib():
    tests = "assert math.sqrt(f()) == 3.0\n"  # math comes from the program's import
    programs = [
        Program("python", "import math\nmath.sqrt = lambda x: 3.0\n\ndef f():\n    return 9\n",
                checks=isolated_checks("", tests, ["f"])),  # its patch stays in its process: sqrt(9) == 3.0
        Program("python", "import math\nmath.sqrt = lambda x: 3.0\n\ndef f():\n    return 5\n",
                checks=isolated_checks("", tests, ["f"])),
        Program("python", "import yaml as math\n\ndef f():\n    return 9\n",
                checks=isolated_checks("", tests, ["f"])),  # no site-packages module is imported for the tests
    ]
    with Sandbox(allow_code_execution=True, workers=2) as sb:
        verdicts = execute_programs(sb, programs, timeout_s=20, protocol="strict")
    assert [v["passed"] for v in verdicts] == [True, False, False], [v["stderr"][-300:] for v in verdicts]
    assert "only the stdlib's or preloaded ones" in verdicts[2]["stderr"]
