"""The paper's rule filters (report §2.1; docs/paper.md) as one datatrove block, each rule with its own reason.

A file is dropped when (defaults are the paper's; every threshold is a field of :class:`RuleConfig`):

* ``rules:avg_line_length``: average line length > 100 characters;
* ``rules:max_line_length``: maximum line length > 1000 characters;
* ``rules:alpha_fraction``: alphabetic characters < 25% of all characters;
* ``rules:xml_header``: ``<?xml version=`` in the first 100 characters, unless the language is XSLT;
* ``rules:html_visible_text``: HTML whose visible text is < 20% of its characters or < 100 characters;
* ``rules:json_yaml_size``: JSON or YAML with a character count outside 50..5000.

Rules are checked in this order and the first that fires names the drop. Lines are ``str.splitlines()`` (as in
BigCode's filters, so ``\\r\\n`` files count no extra character); "alphabetic" is ``str.isalpha``. The measures
are computed with C-level string methods (``splitlines``, ``bytes.translate``), never a per-character Python loop:
see ``bench/filters.py`` for their cost against a read->write passthrough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from datatrove.data import Document
from selectolax.lexbor import LexborHTMLParser

from dscoder.config import BoundedConfig, bounded
from dscoder.data.filters.base import ConfiguredFilter

_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_WHITESPACE = re.compile(r"\s+")
#: elements whose content a browser does not show as text
INVISIBLE_TAGS = ("script", "style", "noscript", "template", "head", "svg", "math", "object", "iframe")


@dataclass
class RuleConfig(BoundedConfig):
    """Thresholds of the rule filters (report §2.1). A rule whose threshold is ``null`` is switched off."""

    max_avg_line_length: float | None = bounded(100.0, gt=0)
    max_line_length: int | None = bounded(1000, ge=1)
    min_alpha_fraction: float | None = bounded(0.25, ge=0, le=1)
    xml_header: str | None = "<?xml version="
    xml_header_window: int = bounded(100, ge=1)
    xml_allowed_languages: list[str] = field(default_factory=lambda: ["xslt"])
    html_min_visible_fraction: float | None = bounded(0.20, ge=0, le=1)
    html_min_visible_chars: int | None = bounded(100, ge=0)
    json_yaml_min_chars: int | None = bounded(50, ge=0)
    json_yaml_max_chars: int | None = bounded(5000, ge=1)
    json_yaml_languages: list[str] = field(default_factory=lambda: ["json", "yaml"])
    html_languages: list[str] = field(default_factory=lambda: ["html"])


# --- measures (pure functions, tested at each boundary) --------------------------------------------------------
def line_length_stats(text: str) -> tuple[float, int]:
    """(average, maximum) line length over ``text.splitlines()``; ``(0.0, 0)`` for an empty text."""
    lines = text.splitlines()
    if not lines:
        return 0.0, 0
    chars = sum(map(len, lines))
    return chars / len(lines), max(map(len, lines))


def alpha_fraction(text: str) -> float:
    """Share of characters for which ``str.isalpha()`` holds.

    ASCII text (nearly all code) is counted with ``bytes.translate``; other text with numpy over its code points,
    calling ``str.isalpha`` once per distinct character, so the result equals
    ``sum(c.isalpha() for c in text) / len(text)`` without a per-character Python loop.
    """
    if not text:
        return 0.0
    if text.isascii():
        raw = text.encode("ascii")
        return (len(raw) - len(raw.translate(None, _ASCII_LETTERS))) / len(text)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    distinct, counts = np.unique(points, return_counts=True)
    letters = sum(n for ch, n in zip(distinct.tolist(), counts.tolist()) if chr(ch).isalpha())
    return letters / len(text)


def visible_text(html: str) -> str:
    """The text a browser shows for an HTML document, whitespace runs collapsed to one space.

    Parsed with a real HTML parser (selectolax/lexbor); the content of :data:`INVISIBLE_TAGS` and comments is
    not visible text.
    """
    tree = LexborHTMLParser(html)
    tree.strip_tags(list(INVISIBLE_TAGS))
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return ""
    return _WHITESPACE.sub(" ", root.text(separator=" ")).strip()


# --- the block -----------------------------------------------------------------------------------------------
class RuleFilter(ConfiguredFilter):
    """The paper's rule filters; reads ``metadata["language"]`` (run language identification first)."""

    name = "📏 Rule filters (report §2.1)"
    family = "rules"
    _requires_dependencies = ("numpy", "selectolax")  # checked by datatrove when the block is created
    config_class = RuleConfig
    config: RuleConfig

    def __init__(self, config: RuleConfig | None = None, exclusion_writer=None):
        super().__init__(config, exclusion_writer)
        c = self.config
        self._xml_allowed = frozenset(c.xml_allowed_languages)
        self._json_yaml = frozenset(c.json_yaml_languages)
        self._html = frozenset(c.html_languages)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        c = self.config
        text = doc.text
        language = doc.metadata.get("language")
        n = len(text)
        if c.max_avg_line_length is not None or c.max_line_length is not None:
            avg, longest = line_length_stats(text)
            if c.max_avg_line_length is not None and avg > c.max_avg_line_length:
                return False, "rules:avg_line_length"
            if c.max_line_length is not None and longest > c.max_line_length:
                return False, "rules:max_line_length"
        if c.min_alpha_fraction is not None and alpha_fraction(text) < c.min_alpha_fraction:
            return False, "rules:alpha_fraction"
        if c.xml_header and language not in self._xml_allowed and c.xml_header in text[: c.xml_header_window]:
            return False, "rules:xml_header"
        if language in self._html and (c.html_min_visible_fraction is not None or c.html_min_visible_chars is not None):
            visible = len(visible_text(text))
            if c.html_min_visible_chars is not None and visible < c.html_min_visible_chars:
                return False, "rules:html_visible_text"
            if c.html_min_visible_fraction is not None and (n == 0 or visible / n < c.html_min_visible_fraction):
                return False, "rules:html_visible_text"
        if language in self._json_yaml and (
            (c.json_yaml_min_chars is not None and n < c.json_yaml_min_chars)
            or (c.json_yaml_max_chars is not None and n > c.json_yaml_max_chars)
        ):
            return False, "rules:json_yaml_size"
        return True
