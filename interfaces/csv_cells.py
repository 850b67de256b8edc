"""CSV that Excel opens right: a UTF-8 byte-order mark (so Chinese shows), and no cell read as a formula.

A cell starting with = + - @, a tab or a carriage return is prefixed with an apostrophe (OWASP's
CSV-injection advice): Excel then shows it as text instead of evaluating it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guarded(cell: object) -> str:
    """The cell as text, an apostrophe before it if Excel would take it for a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The table as CSV: the BOM, a header row, then each row with every cell guarded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guarded(h) for h in headers])
    writer.writerows([guarded(c) for c in row] for row in rows)
    return BOM + out.getvalue()
