"""CSV cells that a spreadsheet cannot run (CSV/formula injection, OWASP; QUALITY X5).

Every export of data that people typed (names, answers, audit details) goes through
`safe_cell`: a cell starting with a formula character gets a leading apostrophe, which
spreadsheets show as text, while the csv round trip keeps the rest of the value intact.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# Spreadsheet apps run cells starting with these as formulas; NUL is stripped by some
# of them, which would expose the character after it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_line(cells: Iterable[object]) -> str:
    """One CSV record (with its line ending), every cell neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()
