"""Dependency order on real-world-shaped repositories (tests/fixtures/repo_level, written for these tests:
modelled on javapoet's nested ``Builder``/``Kind`` types, cobra's Go packages with ``go.mod`` and an external test
package, express's root ``require('..')``, ky's TypeScript ESM imports, Newtonsoft.Json's C# delegates, nested
types and projects, starlette's ``types`` modules and huggingface_hub's re-exporting generated package), scored
against hand-written true edges (>= 95% of true edges found, >= 99% of acyclic true edges in order with the
default settings). Files go in as the repository-level stage sees them: empty files (``__init__.py``) dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from dscoder.data.languages import is_module_manifest, language_of
from dscoder.data.repo_level.builder import FileRecord, build_repository_samples, check_record
from dscoder.data.repo_level.config import OrderingConfig
from dscoder.data.repo_level.deps import SourceFile, family_of, make_extractor
from dscoder.data.repo_level.quality import order_quality

FIXTURES = Path(__file__).parent / "fixtures" / "repo_level"


def load_fixture(name: str) -> tuple[list[FileRecord], list[FileRecord], list[tuple[str, str]]]:
    """(files, manifests, true edges as (dependency, user)) of one fixture repository."""
    files, manifests = [], []
    for p in sorted((FIXTURES / name).rglob("*")):
        if p.is_file():
            rel = p.relative_to(FIXTURES / name).as_posix()
            record = FileRecord(rel, rel, p.read_text(encoding="utf-8"), language_of(rel) or "")
            if is_module_manifest(rel):
                manifests.append(record)
            elif check_record(rel, record.text, record.language) is None:  # the stage drops empty files
                files.append(record)
    truth = []
    for line in (FIXTURES / f"{name}.edges").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            user, deps = line.split(":", 1)
            truth += [(dep, user.strip()) for dep in deps.split()]
    return files, manifests, truth


def _quality(name: str, order: str = "scc"):
    files, manifests, truth = load_fixture(name)
    languages = sorted({f.language for f in files if family_of(f.language)})
    result = build_repository_samples(name, files, OrderingConfig(order=order, repo_level_languages=languages),
                                      extra=manifests)  # fmt: skip
    family = family_of(languages[0])
    members = [f for f in files if family_of(f.language) == family]
    extractor = make_extractor(family, manifests={m.path: m.text for m in manifests})
    deps = extractor.extract([SourceFile(f.path, f.text, f.language) for f in members])
    found = {(members[b].path, members[a].path) for b, a in deps.edges}
    repo_samples = [s.metadata["files"] for s in result.samples if s.metadata["sample_kind"] == "repo"]
    return order_quality(truth, repo_samples, found), repo_samples, found, result


@pytest.mark.parametrize("name", ["javapoet", "cobra", "express", "ky", "newtonsoft", "starlette", "hub"])
def test_true_edges_found_and_in_order_with_default_order(name):
    quality, _, _, _ = _quality(name, order=OrderingConfig().order)
    assert quality.recall >= 0.95 and quality.in_order_share >= 0.99
    assert (quality.found_edges, quality.acyclic_in_order) == (quality.true_edges, quality.acyclic_edges)


def test_java_nested_types_are_not_package_names_and_explicit_imports_shadow():
    quality, _, found, _ = _quality("javapoet")
    base = "src/main/java/com/squareup/javapoet/"
    assert quality.extra_edges == 0
    # MethodSpec mentions Builder (its own nested one): no edge from every file with a nested Builder
    assert (base + "TypeSpec.java", base + "MethodSpec.java") not in found
    # Util imports java.util.regex.Pattern: not LineWrapper's nested Pattern
    assert (base + "LineWrapper.java", base + "Util.java") not in found
    # import com.squareup.javapoet.TypeSpec.Builder resolves to TypeSpec's file
    assert (base + "TypeSpec.java", "src/test/java/com/example/UsesBuilders.java") in found


def test_javascript_requires_of_the_repository_root_resolve():
    _, samples, found, _ = _quality("express")
    assert {("index.js", "test/app.js"), ("index.js", "test/Router.js"), ("index.js", "examples/auth/index.js"),
            ("index.js", "examples/hello-world/index.js")} <= found  # require('..'), '../', '../..', '../../'
    assert len(samples) == 1 and samples[0].index("index.js") < samples[0].index("test/app.js")


def test_go_mod_resolves_imports_and_one_package_stays_together():
    quality, samples, found, _ = _quality("cobra")
    assert quality.recall == 1.0 and len(samples) == 1
    assert ("command.go", "doc/md_docs.go") in found  # github.com/spf13/cobra -> the root package
    assert ("args.go", "command.go") in found  # same package: command.go uses PositionalArgs from args.go
    assert ("doc/md_docs.go", "doc/man_examples_test.go") in found  # package doc_test imports its folder's doc
    assert all(not path.endswith("go.mod") for path in samples[0])


def test_paper_order_is_measured_the_same_way():
    quality, _, _, _ = _quality("javapoet", order="paper")
    assert quality.true_edges == quality.found_edges == 27


def test_csharp_delegates_builtins_nested_types_and_projects_declare_nothing_false():
    from dscoder.data.repo_level.deps.csharp import top_level_types
    from dscoder.data.repo_level.deps.lexing import strip_c_like

    quality, _, found, result = _quality("newtonsoft")
    assert quality.extra_edges == 0 and result.counts["cycles_broken"] == 0
    contract = (FIXTURES / "newtonsoft" / "Src/Lib/Serialization/JsonContract.cs").read_text(encoding="utf-8")
    # the delegate's generic return type names object: it declares ExtensionDataGetter; Enumerator is nested
    assert top_level_types(strip_c_like(contract, verbatim=True)) == (
        [("Lib.Serialization", n) for n in ("ExtensionDataGetter", "ExtensionDataSetter", "JsonContractType", "JsonContract")],
        ["Lib.Serialization"],
    )
    lib = "Src/Lib/"
    assert (lib + "Serialization/JsonContract.cs", lib + "Serialization/JsonProperty.cs") not in found  # object
    assert (lib + "Serialization/JsonObjectContract.cs", lib + "Serialization/JsonContract.cs") not in found  # nested
    # the test project's global-namespace Person: seen by the tests (they reference Lib), never by the library
    assert ("Src/Lib.Tests/TestObjects/Person.cs", "Src/Lib.Tests/JsonConvertTests.cs") in found
    assert ("Src/Lib.Tests/TestObjects/Person.cs", lib + "PersonFormatter.cs") not in found


def test_python_standard_library_names_stay_standard_library():
    quality, _, found, _ = _quality("starlette")
    assert quality.extra_edges == 0
    assert ("tests/types.py", "starlette/routing.py") not in found  # import types (tests/__init__.py is empty)
    assert ("tests/types.py", "tests/test_routing.py") in found  # from tests.types import ...


def test_python_reexporting_package_is_no_cycle_and_its_modules_follow_their_imports():
    quality, samples, found, result = _quality("hub")
    types = "src/hub/inference/_generated/types/"
    assert quality.extra_edges == 0 and result.counts["cycles_broken"] == 0
    assert (types + "__init__.py", types + "base.py") not in found  # base.py: import types is the standard library
    order = next(s for s in samples if types + "base.py" in s)
    assert order.index(types + "base.py") < order.index(types + "text_to_image.py") < order.index(types + "__init__.py")
    assert ("utils/helpers.py", "utils/generate_inference_types.py") in found  # a template string is no import
