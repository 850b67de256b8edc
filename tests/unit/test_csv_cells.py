"""CSV for Excel: the BOM first, no cell left to start with a formula character, and a lossless round trip."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from interfaces.csv_cells import BOM, FORMULA_STARTS, csv_text, guarded


def test_the_bom_comes_first_and_chinese_headers_survive() -> None:
    text = csv_text(["分类 category", "数量 count"], [["=1+1", 3]])
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert rows == [["分类 category", "数量 count"], ["'=1+1", "3"]]


@given(st.lists(st.lists(st.text(), min_size=1, max_size=4), max_size=5))
def test_no_cell_starts_with_a_formula_character_and_each_round_trips(table: list[list[str]]) -> None:
    text = csv_text(["h"], table)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert rows[1:] == [[guarded(c) for c in row] for row in table]
    for row, originals in zip(rows[1:], table, strict=True):
        for cell, original in zip(row, originals, strict=True):
            assert not cell.startswith(FORMULA_STARTS)
            assert cell.removeprefix("'") == original or cell == original
