"""Per-language dependency extractors (report §2.2): which files of the same repository each file uses.

One extractor per language family; the files of one family in one repository form one dependency graph
(C and C++ share one, as do JavaScript and TypeScript).
"""

from __future__ import annotations

from .base import DependencyExtractor, DependencyResult, SourceFile
from .c_family import CFamilyExtractor
from .csharp import CSharpExtractor
from .go import GoExtractor
from .java import JavaExtractor
from .javascript import JavaScriptExtractor
from .php import PhpExtractor
from .python import PythonExtractor
from .ruby import RubyExtractor
from .rust import RustExtractor

__all__ = [
    "EXTRACTORS",
    "DependencyExtractor",
    "DependencyResult",
    "SourceFile",
    "family_of",
    "make_extractor",
]

#: family name -> extractor class. The family name is its first (paper) language.
EXTRACTORS: dict[str, type[DependencyExtractor]] = {
    "python": PythonExtractor,
    "java": JavaExtractor,
    "c-sharp": CSharpExtractor,
    "c": CFamilyExtractor,
    "javascript": JavaScriptExtractor,
    "go": GoExtractor,
    "rust": RustExtractor,
    "php": PhpExtractor,
    "ruby": RubyExtractor,
}
_FAMILY = {lang: family for family, cls in EXTRACTORS.items() for lang in cls.languages}


def family_of(language: str) -> str | None:
    """The dependency family of a language (``cpp`` -> ``c``), ``None`` when no extractor reads it."""
    return _FAMILY.get(language)


def make_extractor(family: str, **options) -> DependencyExtractor:
    """A fresh extractor of ``family``. ``options``: ``extra_include_dirs`` (C), ``manifests`` (path -> text of
    the repository's ``go.mod`` / ``package.json`` / ``*.csproj`` files, read by Go, JavaScript and C#),
    ``go_mod_files``."""
    cls = EXTRACTORS[family]
    manifests = options.get("manifests") or {}

    def named(name: str) -> dict[str, str]:
        return {path: text for path, text in manifests.items() if path.rsplit("/", 1)[-1] == name}

    if cls is CSharpExtractor:
        return cls(csproj_files={path: text for path, text in manifests.items() if path.endswith(".csproj")})

    if cls is CFamilyExtractor:
        return cls(extra_include_dirs=options.get("extra_include_dirs", ()))
    if cls is GoExtractor:
        return cls(go_mod_files=options.get("go_mod_files") or named("go.mod"))
    if cls is JavaScriptExtractor:
        return cls(package_json_files=named("package.json"))
    return cls()
