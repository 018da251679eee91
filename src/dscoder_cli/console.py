"""The tables every command prints at the end of a run (rich, imported when a command runs, never for ``--help``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple


class Styled(NamedTuple):
    """A row shown in a rich style (``"bold red"`` for what needs the user's attention)."""

    cells: tuple
    style: str


def _cell(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def print_table(title: str, rows: Iterable[tuple | Styled], columns: tuple[str, ...] = ("what", "value"),
                right: tuple[str, ...] | None = None) -> None:
    """Print ``rows`` (one tuple of cells each; whole numbers with thousands separators) under ``columns``; the
    ``right`` columns are right-aligned (default: all but the first). A cell too long for its column wraps (a word
    longer than the column folds onto the next line) instead of being cut with "…", also when piped."""
    from rich.console import Console
    from rich.table import Table

    from dscoder.terminal import wrap_cells

    table = Table(title=title)
    right = columns[1:] if right is None else right
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    for row in rows:
        cells, style = (row.cells, row.style) if isinstance(row, Styled) else (row, None)
        table.add_row(*(_cell(v) for v in cells), style=style)
    Console().print(wrap_cells(table))
