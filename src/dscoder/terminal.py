"""Rich tables that stay whole in a terminal and in scripts.

rich cuts a cell that does not fit its column with "…" (``humaneval-pyt…``), and a piped command gets a console
80 columns wide, so a script reading a table lost the ends of names and paths. :func:`wrap_cells` makes every
column wrap, folding a word longer than its column onto the next line instead: nothing is cut at any width.
Machine-readable output is the ``--json`` option of the list commands.
"""

from __future__ import annotations

__all__ = ["wrap_cells"]


def wrap_cells(table):
    """``table`` (a ``rich.table.Table``) with every column wrapping and folding long words; returns it."""
    for column in table.columns:
        column.no_wrap = False
        column.overflow = "fold"
    return table
