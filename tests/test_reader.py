"""Messy but valid spreadsheets read as their clean twins (issue 3 §1)."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scoring.cells import parse_numbers
from scoring.limits import Limits
from scoring.reader import read_table
from scoring.report import InputError

MESSY = Path(__file__).parent / "fixtures" / "messy"
MODEL = {"财政收入增速", "税收占比", "台账页数"}
SURVEY_HEADER = ["问卷编号", "单位编码", "受访者类别", "Q1", "Q2"]


def numbers(table):
    return pd.DataFrame({j: parse_numbers(table.data[j])[0] for j in range(2, table.data.shape[1])})


@pytest.mark.parametrize("name", ["indicators_messy.xlsx", "lo_indicators_messy.xlsx"])
def test_messy_indicators_equal_clean_twin(name):
    clean = read_table(MESSY / "indicators_clean.xlsx", "clean.xlsx", extra_headers=MODEL)
    messy = read_table(MESSY / name, name, extra_headers=MODEL)
    assert messy.header == clean.header == ["单位编码", "单位名称", "财政收入增速", "税收占比", "台账页数(页)"]
    assert messy.data[[0, 1]].equals(clean.data[[0, 1]])
    pd.testing.assert_frame_equal(numbers(messy), numbers(clean))
    assert not any(parse_numbers(messy.data[j])[1].any() for j in range(2, 5))
    # located as the user sees it: column B.., Excel rows, blank row 8 and footer rows dropped
    assert messy.columns == ["B", "C", "E", "F", "G"]
    assert messy.rows.tolist() == [6, 7, 9, 10]
    assert messy.where(2, 3) == {"sheet": "Sheet1", "row": 9, "column": "F", "header": "税收占比"}


def test_two_row_header_without_model_names_joins_parts():
    table = read_table(MESSY / "indicators_messy.xlsx", "m.xlsx")
    assert table.header[:2] == ["单位编码", "单位名称"]
    assert table.header[2:] == ["实绩数据/财政收入增速", "实绩数据/税收占比", "实绩数据/台账页数(页)"]
    assert table.rows.tolist() == [6, 7, 9, 10]


@pytest.mark.parametrize("name", ["survey_sheets.xlsx", "lo_survey_sheets.xlsx"])
def test_data_sheet_found_past_instructions_and_hidden_sheet(name):
    table = read_table(MESSY / name, name)
    assert table.sheet == "群众评价"
    assert table.header == SURVEY_HEADER
    assert table.rows.tolist() == [3, 4, 5]
    assert table.data.iloc[0].tolist() == ["R001", "U01", "群众", "满意", "较满意"]


def test_sheet_hint_wins(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(SURVEY_HEADER)
    wb.active.append(["A", "U01", "群众", "满意", "满意"])
    second = wb.create_sheet("第二季度群众评价")
    second.append(SURVEY_HEADER)
    second.append(["B", "U02", "群众", "满意", "满意"])
    wb.save(tmp_path / "two.xlsx")
    assert read_table(tmp_path / "two.xlsx", "two.xlsx", sheet_hint=("群众评价",)).data.iloc[0, 0] == "B"
    table = read_table(tmp_path / "two.xlsx", "two.xlsx")
    assert table.data.iloc[0, 0] == "A" and len(table.report.warnings) == 1


@pytest.mark.parametrize("name", ["survey_utf8.csv", "survey_bom.csv", "survey_gb18030.csv", "lo_from_csv.xlsx"])
def test_csv_encodings_and_libreoffice_import(name):
    table = read_table(MESSY / name, name)
    assert table.header == SURVEY_HEADER
    assert table.rows.tolist() == [3, 4, 5]  # title row above, 合计 row below dropped
    assert table.data.iloc[1].tolist() == ["R002", "U02", "企业", "非常满意", "不满意"]


def test_bytes_source_equals_path():
    path = MESSY / "indicators_messy.xlsx"
    a = read_table(path, "m.xlsx", extra_headers=MODEL)
    b = read_table(path.read_bytes(), "m.xlsx", extra_headers=MODEL)
    assert a.data.equals(b.data) and a.header == b.header and a.rows.tolist() == b.rows.tolist()


def test_libreoffice_formulas_read_as_cached_values():
    table = read_table(MESSY / "lo_formulas.xlsx", "f.xlsx")
    assert table.data.iloc[:, 1:].astype(float).values.tolist() == [[8.5, 17.0], [85.0, 42.5]]


def test_semicolon_and_ragged_csv(tmp_path):
    (tmp_path / "a.csv").write_text("单位编码;值\nU01;1\nU02\n\nU03;3;\n", encoding="utf-8")
    table = read_table(tmp_path / "a.csv", "a.csv")
    assert table.header == ["单位编码", "值"] and table.rows.tolist() == [2, 3, 5]
    assert table.data[1].isna().tolist() == [False, True, False]


def refused(words, *args, **kwargs):
    with pytest.raises(InputError) as err:
        read_table(*args, **kwargs)
    assert words in err.value.report.errors[0].message_en
    return err.value.report.errors[0]


def test_limits_rows_columns_and_cell_length(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["单位编码", "说明"])
    for i in range(50):
        wb.active.append([f"U{i}", "x" * 200])
    wb.save(tmp_path / "l.xlsx")
    refused("limit of 20 rows", tmp_path / "l.xlsx", "l.xlsx", limits=Limits(max_rows=20))
    issue = refused("too long", tmp_path / "l.xlsx", "l.xlsx", limits=Limits(max_cell_chars=100))
    assert (issue.row, issue.column, issue.header) == (2, "B", "说明")
    refused("51 rows x 2 columns", tmp_path / "l.xlsx", "l.xlsx", limits=Limits(max_cells=100))
    refused("MiB", tmp_path / "l.xlsx", "l.xlsx", limits=Limits(max_upload_bytes=100))
    refused("limit of 1,000 rows", b"a\n" * 1001, "big.csv", limits=Limits(max_rows=1000))


def test_csv_gets_the_workbook_budgets(tmp_path):
    """A csv is held to the same budgets as a workbook (issue 10 §1): bytes, rows x widest row, one
    cell's length, checked while reading, so a file of empty cells never becomes millions of cells."""
    rows = "单位编码,说明\n" + "".join(f"U{i},{'x' * 200}\n" for i in range(50))
    issue = refused("51 rows x 2 columns", rows.encode(), "l.csv", limits=Limits(max_cells=100))
    assert issue.row == 51
    refused("over the limit of 1,000 cells", b",,,,,,,,,\n" * 200, "empty.csv", limits=Limits(max_cells=1000))
    issue = refused("too long", rows.encode(), "l.csv", limits=Limits(max_cell_chars=100))
    assert issue.row == 2
    refused("MiB", rows.encode(), "l.csv", limits=Limits(max_upload_bytes=100))
    table = read_table(rows.encode(), "l.csv")
    assert len(table.data) == 50 and table.data.iat[49, 1] == "x" * 200


def test_unsupported_extension_and_missing_file(tmp_path):
    refused("Unsupported file type", b"abc", "data.ods")
    refused("cannot be opened", tmp_path / "nope.xlsx", "nope.xlsx")
    refused("encoding", "单位".encode("gb18030") + b"\x81\x20", "bad.csv")
