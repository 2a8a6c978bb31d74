"""Exports never carry a cell a spreadsheet would run as a formula (CWE-1236)."""

import io

import openpyxl
import pandas as pd
import pytest

from scoring.safe_export import neutralise, neutralise_frame, write_xlsx


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_dangerous_text_gets_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["城关镇", "U01", "a=b", "", None, 3, -3.5, float("nan"), True])
def test_other_values_untouched(value):
    assert neutralise(value) is value


def test_frame_text_neutralised_numbers_kept():
    df = pd.DataFrame({"name": ["=cmd", "ok", None], "score": [-1.5, 2.0, 3.0], "=col": pd.Series(["-x", "y", "@z"], dtype="str")})
    out = neutralise_frame(df)
    assert out["name"].tolist()[:2] == ["'=cmd", "ok"] and pd.isna(out["name"].iloc[2])
    assert out["score"].tolist() == [-1.5, 2.0, 3.0]
    assert out["'=col"].tolist() == ["'-x", "y", "'@z"]
    assert df["name"].iloc[0] == "=cmd"  # input not modified


def test_write_xlsx_has_no_formulas_and_frozen_header():
    buffer = io.BytesIO()
    write_xlsx({"结果": pd.DataFrame({"单位": ["=1+1", "城关镇"], "得分": [-5, 90.5]})}, buffer)
    sheet = openpyxl.load_workbook(buffer)["结果"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["单位", "得分"], ["'=1+1", -5], ["城关镇", 90.5]]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.freeze_panes == "A2"
