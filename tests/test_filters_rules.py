"""The paper's rule filters (report §2.1, SPEC §1.1): each rule exactly at, just above and just below its boundary."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from dscoder.data.filters.rules import (
    RuleConfig,
    RuleFilter,
    alpha_fraction,
    line_length_stats,
    visible_text,
)


def verdict(text: str, language: str = "python", config: RuleConfig | None = None):
    """None when kept, else the drop reason."""
    result = RuleFilter(config).filter(Document(text=text, id="x", metadata={"language": language}))
    return None if result is True else result[1]


def lines(*lengths: int) -> str:
    return "\n".join("a" * n for n in lengths) + "\n"


# --- average line length > 100 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lengths", "reason"),
    [((100, 100, 100), None), ((100, 100, 101), "rules:avg_line_length"), ((100, 100, 99), None)],
)
def test_average_line_length_boundary(lengths, reason):
    assert verdict(lines(*lengths)) == reason


def test_line_length_stats_uses_splitlines():
    assert line_length_stats("ab\r\ncd\n") == (2.0, 2)
    assert line_length_stats("") == (0.0, 0)
    assert line_length_stats("abc") == (3.0, 3)


# --- maximum line length > 1000 ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("longest", "reason"), [(1000, None), (1001, "rules:max_line_length"), (999, None)])
def test_max_line_length_boundary(longest, reason):
    text = lines(longest, *([10] * 20))  # average stays far below 100
    assert verdict(text) == reason


# --- alphabetic fraction < 0.25 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("letters", "reason"), [(25, None), (24, "rules:alpha_fraction"), (26, None)])
def test_alpha_fraction_boundary(letters, reason):
    text = "a" * letters + "1" * (100 - letters)
    assert alpha_fraction(text) == letters / 100
    assert verdict(text) == reason


def test_alpha_fraction_counts_unicode_letters_like_str_isalpha():
    text = "héllo 世界 ½ ١٢ ğ\n" * 3 + "x = 1"
    assert alpha_fraction(text) == sum(c.isalpha() for c in text) / len(text)
    assert alpha_fraction("") == 0.0


# --- <?xml version= in the first 100 characters, unless XSLT ------------------------------------------------------
@pytest.mark.parametrize(("offset", "reason"), [(86, "rules:xml_header"), (87, None), (85, "rules:xml_header")])
def test_xml_header_window_boundary(offset, reason):
    # "<?xml version=" is 14 characters: at offset 86 it ends exactly at character 100
    text = "a" * offset + "<?xml version=" + ' "1.0"?>\n<root>' + "b" * 50 + "</root>\n"
    assert verdict(text, language="markdown") == reason


def test_xml_header_is_allowed_for_xslt():
    text = '<?xml version="1.0"?>\n<xsl:stylesheet version="1.0">\n</xsl:stylesheet>\n'
    assert verdict(text, language="xslt") is None
    assert verdict(text, language="html") == "rules:xml_header"


# --- HTML: visible text >= 20% and >= 100 characters ---------------------------------------------------------------
def html_page(visible: int, total: int) -> str:
    """An HTML file of exactly ``total`` characters whose visible text is ``visible`` letters."""
    head = "<p>" + "v" * visible + "</p>\n<script>\n"
    tail = "</script>\n"
    filler = total - len(head) - len(tail)
    assert filler >= 0
    body = ("var aaaaaaaaaa;\n" * (filler // 16 + 1))[:filler]
    page = head + body + tail
    assert len(page) == total and len(visible_text(page)) == visible
    return page


@pytest.mark.parametrize(
    ("visible", "total", "reason"),
    [
        (100, 500, None),  # exactly 20% and exactly 100 characters: kept
        (100, 501, "rules:html_visible_text"),  # just below 20%
        (100, 499, None),  # just above 20%
        (99, 400, "rules:html_visible_text"),  # 24.75% but just below 100 characters
        (101, 400, None),
    ],
)
def test_html_visible_text_boundaries(visible, total, reason):
    assert verdict(html_page(visible, total), language="html") == reason


def test_html_rule_applies_to_html_only():
    assert verdict(html_page(100, 501), language="javascript") is None


def test_visible_text_uses_a_real_parser():
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<p>Hello   <b>world</b></p><script>var x = '<p>not text</p>';</script><!-- comment -->"
        "<template><p>hidden</p></template><noscript>nojs</noscript><p>a &lt; b</p></body></html>"
    )
    assert visible_text(html) == "Hello world a < b"
    assert visible_text("") == ""


# --- JSON / YAML: 50 <= characters <= 5000 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "reason"),
    [(50, None), (49, "rules:json_yaml_size"), (51, None), (5000, None), (5001, "rules:json_yaml_size"), (4999, None)],
)
@pytest.mark.parametrize("language", ["json", "yaml"])
def test_json_yaml_size_boundaries(language, n, reason):
    text = ("a" * 39 + "\n") * (n // 40 + 1)
    assert verdict(text[:n], language=language) == reason


def test_json_yaml_rule_skips_other_languages():
    assert verdict("a" * 20, language="python") is None


# --- configuration ---------------------------------------------------------------------------------------------
def test_thresholds_are_configurable_and_null_switches_a_rule_off():
    text = lines(150, 150)
    assert verdict(text) == "rules:avg_line_length"
    assert verdict(text, config=RuleConfig(max_avg_line_length=200)) is None
    assert verdict(text, config=RuleConfig(max_avg_line_length=None)) is None
    assert verdict("1" * 50, config=RuleConfig(min_alpha_fraction=None)) is None


def test_first_failing_rule_names_the_drop_and_bytes_are_counted():
    block = RuleFilter()
    docs = [
        Document(text="1" * 2000, id="a", metadata={"language": "python"}),  # fails avg, max and alpha: avg first
        Document(text="é" * 10, id="b", metadata={"language": "json"}),
        Document(text="def f():\n    return 1\n", id="c", metadata={"language": "python"}),
    ]
    kept = list(block.run(iter(docs)))
    assert [d.id for d in kept] == ["c"]
    assert block.stats["dropped_rules:avg_line_length"].total == 1
    assert block.stats["bytes_dropped_rules:json_yaml_size"].total == 20  # UTF-8 bytes, not characters
    assert block.stats["bytes_kept"].total == len(docs[2].text)
