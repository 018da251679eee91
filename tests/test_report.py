"""The run report: HTML and Markdown from sections, pictures embedded, checked in a real headless browser."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dscoder.report import Section, Table, bar_chart, line_chart, render_markdown, write_report


def sections(tmp_path):
    chart = bar_chart(tmp_path / "funnel.png", ["kept", "rules:avg_line_length"], [90, 10], "Funnel", "files")
    curve = line_chart(tmp_path / "loss.png", {"pretrain": ([1, 2, 3], [5.0, 4.0, 3.5])}, "Loss", "step", "loss")
    return [
        Section("Data funnel", "Files per reason.", tables=[Table(["reason", "files"], [["kept", 90], ["x|y", 10]])],
                images=[chart]),
        Section("Training", images=[curve], code=[("sample", "# utils.py\ndef f():\n    return '<b>'\n")]),
    ]


def test_html_embeds_pictures_and_escapes_text(tmp_path):
    html_path, md_path = write_report(tmp_path / "out", "title <x>", "sub", sections(tmp_path))
    html = html_path.read_text()
    assert html.count("data:image/png;base64,") == 2
    assert "title &lt;x&gt;" in html and "return &#x27;&lt;b&gt;&#x27;" in html
    assert "<td class='num'>90</td>" in html
    assert "href='#data-funnel'" in html and "id='data-funnel'" in html
    md = md_path.read_text()
    assert "| reason | files |" in md and "|---|---:|" in md and "| x\\|y | 10 |" in md
    assert render_markdown("t", "s", []) == "# t\n\ns\n"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    html_path, _ = write_report(tmp_path / "out", "dscoder report", "sub", sections(tmp_path))
    shot = tmp_path / "shot.png"
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'prof'}",
         "--dump-dom", html_path.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    assert "Data funnel" in dom and dom.count("<img") == 2
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'prof'}",
         f"--screenshot={shot}", "--window-size=1200,900", html_path.as_uri()],
        capture_output=True, timeout=120, check=True,
    )
    assert shot.stat().st_size > 10_000
