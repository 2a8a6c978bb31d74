"""Random cell contents and shapes written into real xlsx/csv files: the reader returns a Table
or raises InputError, nothing else escapes (issue 3 §6)."""

import csv
import io
from datetime import datetime

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.reader import Table, read_table
from scoring.report import InputError

HEADERS = st.sampled_from(["单位编码", "单位名称", "问卷编号", "合计", "备注", "", " ", "=1+1", "Q1"])
CELLS = st.one_of(st.none(), st.text(max_size=12), HEADERS, st.integers(-10**12, 10**12),
                  st.floats(allow_nan=True, allow_infinity=True), st.booleans())
GRIDS = st.lists(st.lists(CELLS, max_size=8), max_size=25)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(source, name):
    try:
        table = read_table(source, name)
    except InputError as err:
        assert err.report.errors and all(i.file == name for i in err.report.errors)
        return None
    assert isinstance(table, Table)
    assert len(table.rows) == len(table.data) and len(table.header) == len(table.columns) == table.data.shape[1]
    return table


def xlsx_bytes(grid, offset_row, offset_col, hidden_first):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_numbers": False,
                                            "nan_inf_to_errors": True})
    workbook.set_properties({"created": datetime(2024, 1, 1)})  # same bytes for the same grid
    if hidden_first:
        workbook.add_worksheet("hidden").hide()
        workbook.add_worksheet("visible")
        workbook.worksheets()[1].activate()
    sheet = workbook.worksheets()[-1] if workbook.worksheets() else workbook.add_worksheet()
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value is not None:
                sheet.write(offset_row + i, offset_col + j, value)
    workbook.close()
    return buffer.getvalue()


@FUZZ
@given(GRIDS, st.integers(0, 40), st.integers(0, 30), st.booleans())
def test_fuzz_xlsx(grid, offset_row, offset_col, hidden_first):
    outcome(xlsx_bytes(grid, offset_row, offset_col, hidden_first), "fuzz.xlsx")


@FUZZ
@given(GRIDS, st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]), st.sampled_from([",", ";", "\t"]))
def test_fuzz_csv(grid, encoding, delimiter):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([["" if c is None else c for c in row] for row in grid])
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buffer.getvalue().encode("utf-8")
    outcome(data, "fuzz.csv")


@FUZZ
@given(GRIDS, st.data())
def test_fuzz_damaged_xlsx(grid, data):
    raw = bytearray(xlsx_bytes(grid, 0, 0, False))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    outcome(bytes(raw[:cut]), "damaged.xlsx")


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["x.xlsx", "x.csv", "x.xls", "x.txt"]))
def test_fuzz_arbitrary_bytes(data, name):
    outcome(data, name)
