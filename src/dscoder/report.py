"""The run report: one self-contained HTML page (and a Markdown twin) built from the stages' sections.

Each stage of a run contributes :class:`Section` objects (a title, a short text, tables, pictures, code). The
report renders them in order; pictures are embedded as base64 PNG so ``report.html`` opens anywhere, offline.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Table:
    columns: list[str]
    rows: list[list]
    caption: str = ""


@dataclass
class Section:
    title: str
    text: str = ""
    tables: list[Table] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)  # PNG files
    code: list[tuple[str, str]] = field(default_factory=list)  # (caption, code text)
    anchor: str = ""

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "text": self.text,
            "tables": [{"columns": t.columns, "rows": t.rows, "caption": t.caption} for t in self.tables],
            "images": [str(p) for p in self.images],
            "code": [list(c) for c in self.code],
            "anchor": self.anchor,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Section:
        return cls(
            title=data["title"],
            text=data.get("text", ""),
            tables=[Table(t["columns"], t["rows"], t.get("caption", "")) for t in data.get("tables", [])],
            images=[Path(p) for p in data.get("images", [])],
            code=[tuple(c) for c in data.get("code", [])],
            anchor=data.get("anchor", ""),
        )


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1f3b73;color:#fff;padding:24px 40px}header h1{margin:0 0 6px 0;font-size:26px}
header p{margin:0;opacity:.85}nav{padding:10px 40px;background:#e8ecf3;font-size:14px}
nav a{margin-right:14px;color:#1f3b73;text-decoration:none}main{padding:10px 40px 40px 40px;max-width:1200px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin:18px 0;padding:18px 24px}
h2{margin-top:0;color:#1f3b73;font-size:20px}table{border-collapse:collapse;margin:10px 0;font-size:14px}
th,td{border-bottom:1px solid #e3e6eb;padding:5px 12px;text-align:left}th{background:#f0f3f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:4px 0}
img{max-width:100%;border:1px solid #e3e6eb;border-radius:4px;margin:8px 0}
pre{background:#0f1724;color:#e6edf3;padding:12px;border-radius:6px;overflow:auto;font-size:12.5px;max-height:480px}
.caption{font-size:13px;color:#556;margin-top:10px}
"""


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def render_html(title: str, subtitle: str, sections: list[Section]) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header><nav>",
    ]
    for sec in sections:
        parts.append(f"<a href='#{sec.anchor or _slug(sec.title)}'>{html.escape(sec.title)}</a>")
    parts.append("</nav><main>")
    for sec in sections:
        parts.append(f"<section id='{sec.anchor or _slug(sec.title)}'><h2>{html.escape(sec.title)}</h2>")
        if sec.text:
            for para in sec.text.split("\n\n"):
                parts.append(f"<p>{html.escape(para)}</p>")
        for table in sec.tables:
            parts.append("<table>")
            if table.caption:
                parts.append(f"<caption>{html.escape(table.caption)}</caption>")
            parts.append("<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns) + "</tr>")
            for row in table.rows:
                cells = "".join(
                    f"<td class='num'>{html.escape(_fmt(v))}</td>" if _is_number(v) else f"<td>{html.escape(_fmt(v))}</td>"
                    for v in row
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
        for image in sec.images:
            if Path(image).is_file():
                data = base64.b64encode(Path(image).read_bytes()).decode()
                parts.append(f"<img alt='{html.escape(Path(image).stem)}' src='data:image/png;base64,{data}'>")
        for caption, code in sec.code:
            if caption:
                parts.append(f"<div class='caption'>{html.escape(caption)}</div>")
            parts.append(f"<pre>{html.escape(code)}</pre>")
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


def render_markdown(title: str, subtitle: str, sections: list[Section]) -> str:
    lines = [f"# {title}", "", subtitle, ""]
    for sec in sections:
        lines += [f"## {sec.title}", ""]
        if sec.text:
            lines += [sec.text, ""]
        for table in sec.tables:
            if table.caption:
                lines += [f"**{table.caption}**", ""]
            lines.append("| " + " | ".join(str(c) for c in table.columns) + " |")
            lines.append("|" + "|".join("---:" if any(_is_number(r[i]) for r in table.rows if i < len(r)) else "---"
                                        for i in range(len(table.columns))) + "|")
            for row in table.rows:
                lines.append("| " + " | ".join(_fmt(v).replace("|", "\\|") for v in row) + " |")
            lines.append("")
        for image in sec.images:
            lines += [f"![{Path(image).stem}]({image})", ""]
        for caption, code in sec.code:
            if caption:
                lines += [f"*{caption}*", ""]
            lines += ["```", code, "```", ""]
    return "\n".join(lines)


def write_report(output_dir: str | Path, title: str, subtitle: str, sections: list[Section]) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` into ``output_dir``; returns both paths."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(render_html(title, subtitle, sections), encoding="utf-8")
    md_path.write_text(render_markdown(title, subtitle, sections), encoding="utf-8")
    return html_path, md_path


def bar_chart(path: str | Path, labels: list[str], values: list[float], title: str, xlabel: str) -> Path:
    """A horizontal bar chart PNG (used for funnels and per-reason counts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(labels), 2) + 1.2))
    ax.barh(range(len(labels)), values, color="#3d6fd1")
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def line_chart(path: str | Path, series: dict[str, tuple[list[float], list[float]]], title: str, xlabel: str,
               ylabel: str) -> Path:
    """A line chart PNG of several named (x, y) series (used for loss curves)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for name, (xs, ys) in series.items():
        ax.plot(xs, ys, label=name, marker="." if len(xs) < 60 else None)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
