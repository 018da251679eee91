"""How a program of each HumanEval language (report §4.1, Table 3) is built and run inside the sandbox.

Commands follow the DeepSeek-Coder evaluation scripts and MultiPL-E (the source of the multilingual HumanEval
files): C++17 with g++, Java with javac/java and javatuples on the class path (MultiPL-E's Java prompts import
``org.javatuples``), PHP CLI, TypeScript through ``tsc`` (type errors fail, as in MultiPL-E) then node,
JavaScript with node, C# with mono's ``mcs -d:DEBUG`` then ``mono``, Bash. A failed ``Debug.Assert`` does not
change mono's exit status: with ``MONO_TRACE_LISTENER=Console.Error`` it prints a ``DefaultTraceListener.Fail``
trace, which fails the run (MultiPL-E's rule). A language whose tools are missing is reported by :func:`missing_toolchain` so its task can be skipped
with a clear message; ``make toolchains`` installs them from Debian and npm.

A program passes only if it provably reached the end of its tests, so one that exits with status 0 before its
assertions ran (``sys.exit(0)``, ``exit(0)``, ``process.exit(0)``) fails. Python: the sandbox's runner confirms it
out of the program's reach. Other languages: :func:`with_end_marker` appends a statement that copies one line from
stdin to stdout, and the harness feeds a per-program random token on stdin at run time (never in a file the
program can read); the residual risk of each language is in the sandbox's docstring.

That is ``protocol: strict`` (and the default rule of every language). ``protocol: deepseek`` reproduces the
official harness where it decides otherwise (:func:`official_passed`): TypeScript is built with
``tsc --target ES2015 --lib ES2015,DOM`` and, when that build or its run fails, built again with a bare
``tsc main.ts`` (the verdict is the second try's), and still needs the end token (an early ``process.exit(0)``
passes there, not here); JavaScript passes when it prints nothing, whatever its exit status; C# is built without
``-r:System.Numerics.dll`` (``BigInteger`` does not compile) and passes when its stderr holds no "Fail", whatever
its exit status. Neither of these two needs the end token, so an early exit can pass under ``deepseek``, as in
the official harness.
"""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass, replace

from dscoder.evaluation.sandbox import Limits, Step

__all__ = ["LANGUAGES", "LanguageSpec", "get_language", "missing_toolchain", "official_passed", "with_end_marker"]

_JAVA_CP_CANDIDATES = ("/usr/share/java/javatuples.jar", "/usr/share/java/javatuples-1.2.jar")


def _javatuples() -> str | None:
    for path in (os.environ.get("DSCODER_JAVATUPLES_JAR"), *_JAVA_CP_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    found = glob.glob("/usr/share/java/javatuples*.jar")
    return found[0] if found else None


@dataclass(frozen=True)
class LanguageSpec:
    """One language: source file name, tools, compile and run commands, and its end-marker statement."""

    name: str  #: MultiPL-E suffix: python, cpp, java, php, ts, cs, sh, js
    display: str  #: as in the report's tables
    filename: str
    tools: tuple[str, ...]
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    marker_statement: str = ""  #: copies the end token from stdin to stdout (none for Python: the runner confirms)
    marker_before_braces: int = 0  #: insert the statement before this many closing braces from the end
    runtime_reserves_memory: bool = False  #: JVM / mono / node reserve large address space: no RLIMIT_AS
    max_processes: int = 32
    env: tuple[tuple[str, str], ...] = ()  #: extra environment of the run step
    failure_text: str | None = None  #: the run fails when its stderr contains this (exit status stays 0)
    #: ``protocol: deepseek`` (DeepSeek-Coder ``human_eval/execution.py``): how the official harness decides --
    #: "exit_status" (as dscoder), "silent" (JavaScript: passes when nothing reaches stdout or stderr, whatever the
    #: exit status) or "no_fail_text" (C#: passes when stderr holds no "Fail", whatever the exit status)
    official_rule: str = "exit_status"
    official_compile: tuple[str, ...] | None = None  #: deepseek: the official build command, where it differs
    official_retry_compile: tuple[str, ...] | None = None  #: deepseek: built again so when the first build/run fails

    def steps(self, python: str, timeout_s: float, memory_bytes: int | None = 4 << 30) -> list[Step]:
        memory = None if self.runtime_reserves_memory else memory_bytes
        run_limits = Limits(timeout_s=timeout_s, memory_bytes=memory, max_processes=self.max_processes)
        steps = []
        if self.compile is not None:
            compile_limits = replace(run_limits, timeout_s=max(60.0, timeout_s), max_processes=64)
            steps.append(Step(self._fill(self.compile, python), name="compile", limits=compile_limits))
        script = self.filename if self.name == "python" else None  # Python runs in the sandbox's warm zygote
        steps.append(Step(self._fill(self.run, python), name="run", limits=run_limits, python_script=script,
                          env=self.env))
        return steps

    def for_protocol(self, protocol: str, retry_build: bool = False) -> LanguageSpec:
        """This language as ``protocol`` builds it (``deepseek``: the official build command where it differs;
        ``retry_build``: its second try)."""
        if protocol == "deepseek" and retry_build and self.official_retry_compile is not None:
            return replace(self, compile=self.official_retry_compile)
        if protocol == "deepseek" and self.official_compile is not None:
            return replace(self, compile=self.official_compile)
        return self

    def _fill(self, argv: tuple[str, ...], python: str) -> tuple[str, ...]:
        cp = _javatuples()
        out = []
        for arg in argv:
            if arg == "{python}":
                out.append(python)
            elif "{classpath}" in arg:
                out.append(arg.replace("{classpath}", f".:{cp}" if cp else "."))
            else:
                out.append(arg)
        return tuple(out)


LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", "Python", "main.py", ("python",), ("{python}", "main.py")),
        LanguageSpec("cpp", "C++", "main.cpp", ("g++",), ("./main",),
                     compile=("g++", "-std=c++17", "-O0", "-o", "main", "main.cpp"),
                     marker_statement='{ char dscoder_end[96] = {0}; if (fgets(dscoder_end, sizeof dscoder_end, stdin)) '
                                      'fputs(dscoder_end, stdout); fflush(stdout); }', marker_before_braces=1),
        LanguageSpec("java", "Java", "Problem.java", ("javac", "java"),
                     ("java", "-ea", "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", "{classpath}",
                      "Problem"),
                     compile=("javac", "-J-Xmx1g", "-J-XX:+UseSerialGC", "-cp", "{classpath}", "Problem.java"),
                     marker_statement='System.out.println(new java.util.Scanner(System.in).nextLine());',
                     marker_before_braces=2, runtime_reserves_memory=True, max_processes=128),
        LanguageSpec("php", "PHP", "main.php", ("php",), ("php", "-f", "main.php"),
                     marker_statement='echo fgets(STDIN);'),
        LanguageSpec("ts", "TypeScript", "main.ts", ("tsc", "node"), ("node", "main.js"),
                     compile=("tsc", "--target", "es2020", "--lib", "es2020,dom", "--module", "commonjs",
                              "--noEmitOnError", "main.ts"),
                     marker_statement='console.log(eval("require")("fs").readFileSync(0, "utf8").trim());',
                     runtime_reserves_memory=True, max_processes=64,
                     official_compile=("tsc", "main.ts", "--target", "ES2015", "--lib", "ES2015,DOM"),
                     official_retry_compile=("tsc", "main.ts")),
        LanguageSpec("cs", "C#", "main.cs", ("mcs", "mono"), ("mono", "main.exe"),
                     compile=("mcs", "-d:DEBUG", "-r:System.Numerics.dll", "-out:main.exe", "main.cs"),
                     marker_statement='System.Console.WriteLine(System.Console.In.ReadLine());', marker_before_braces=2,
                     runtime_reserves_memory=True, max_processes=64,
                     env=(("MONO_TRACE_LISTENER", "Console.Error"),), failure_text="DefaultTraceListener.Fail",
                     official_rule="no_fail_text", official_compile=("mcs", "-d:DEBUG", "-out:main.exe", "main.cs")),
        LanguageSpec("sh", "Bash", "main.sh", ("bash",), ("bash", "main.sh"),
                     marker_statement='read -r dscoder_end; echo "$dscoder_end"'),
        LanguageSpec("js", "JavaScript", "main.js", ("node",), ("node", "main.js"),
                     marker_statement='console.log(require("fs").readFileSync(0, "utf8").trim());',
                     runtime_reserves_memory=True, max_processes=64, official_rule="silent"),
    )
}


def get_language(name: str) -> LanguageSpec:
    try:
        return LANGUAGES[name]
    except KeyError:
        raise ValueError(f"unknown language {name!r}; one of {', '.join(LANGUAGES)}") from None


def official_passed(spec: LanguageSpec, result, end_token: str | None) -> bool | None:
    """The official harness's verdict of one sandbox ``result`` where its rule is not dscoder's (``protocol:
    deepseek``; DeepSeek-Coder ``human_eval/execution.py``), else None. A failed build or a run past its time
    limit fails; then JavaScript passes when it printed nothing (the end token's line aside) and C# when its
    stderr holds no "Fail" -- neither needs the end token, so an early exit passes as it does there, even with a
    non-zero status or a signal."""
    if spec.official_rule == "exit_status":
        return None
    if result.step == "compile" or result.status in ("timeout", "sandbox_error"):
        return False
    if spec.official_rule == "silent":
        stdout = result.stdout.replace(f"{end_token}\n", "", 1) if end_token else result.stdout
        return not stdout and not result.stderr
    return "Fail" not in result.stderr


def missing_toolchain(name: str) -> list[str]:
    """Tools of ``name`` that are not on PATH (``python`` always counts as present)."""
    spec = get_language(name)
    missing = [tool for tool in spec.tools if tool != "python" and shutil.which(tool) is None]
    if name == "java" and not missing and _javatuples() is None:
        missing.append("javatuples.jar (Debian: libjavatuples-java; or set DSCODER_JAVATUPLES_JAR)")
    return missing


def with_end_marker(program: str, language: str) -> str:
    """``program`` with the statement that echoes the end token where its test driver ends (module docstring)."""
    spec = get_language(language)
    statement = spec.marker_statement
    if not statement:
        return program
    if spec.marker_before_braces == 0:
        if language == "php" and program.rstrip().endswith("?>"):
            body = program.rstrip()[:-2]
            return f"{body}\n{statement}\n?>"
        return f"{program}\n{statement}\n"
    cut = len(program)
    for _ in range(spec.marker_before_braces):
        cut = program.rfind("}", 0, cut)
        if cut < 0:  # no driver to anchor to: the program cannot pass
            return program
    return f"{program[:cut]}{statement}\n{program[cut:]}"
