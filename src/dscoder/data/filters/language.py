"""Language identification as a datatrove block (report §2.1: the 87 languages of Table 1 + 2 text languages).

Sets ``metadata["language"]`` from the file's path (``metadata["path"]``) and, where the path is ambiguous,
its text (:func:`dscoder.data.languages.identify_language`), and drops files in no supported language:

* ``language:unsupported``: the path (or ``#!`` line) names no language of the set;
* ``language:not_allowed``: identified, but not in ``LanguageConfig.languages`` when that list is given;
* ``language:no_path``: the record has no ``path`` and ``trust_existing`` found no usable ``language`` either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datatrove.data import Document

from dscoder.data.filters.base import ConfiguredFilter
from dscoder.data.languages import SUPPORTED_LANGUAGES, identify_language


@dataclass
class LanguageConfig:
    """How files get their language.

    ``languages``: keep only these (empty: all 89). ``trust_existing``: a record that already carries a supported
    ``language`` keeps it (e.g. a corpus labelled upstream); otherwise the path decides. ``use_content``: let the
    text settle ambiguous extensions and extension-less scripts (``#!`` line).
    """

    languages: list[str] = field(default_factory=list)
    trust_existing: bool = False
    use_content: bool = True

    def __post_init__(self):
        unknown = sorted(set(self.languages) - SUPPORTED_LANGUAGES)
        if unknown:
            raise ValueError(f"languages: unknown language(s) {unknown} (the paper's names, e.g. 'python', 'c-sharp')")


class LanguageFilter(ConfiguredFilter):
    """Tag each file with its language; drop files in none of the supported languages (with a reason)."""

    name = "🔤 Language identification"
    family = "language"
    config_class = LanguageConfig
    config: LanguageConfig

    def __init__(self, config: LanguageConfig | None = None, exclusion_writer=None):
        super().__init__(config, exclusion_writer)
        self._allowed = frozenset(self.config.languages) if self.config.languages else None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        meta = doc.metadata
        existing = meta.get("language")
        path = meta.get("path")
        if self.config.trust_existing and existing in SUPPORTED_LANGUAGES:
            language = existing
        elif isinstance(path, str) and path:
            language = identify_language(path, doc.text if self.config.use_content else None)
            if language is None:
                return False, "language:unsupported"
        else:
            return False, "language:no_path"
        meta["language"] = language
        if self._allowed is not None and language not in self._allowed:
            return False, "language:not_allowed"
        self.stat_update(f"language_{language}")
        return True
