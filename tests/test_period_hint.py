"""The quarter files name (file name, sheet title, response ids) against the quarter chosen for the import."""

import io

import openpyxl
import pandas as pd
import pytest

from scoring import period_hint
from scoring.importer import read_period
from tests.test_importer import DEMO, MODEL, demo_files


@pytest.mark.parametrize(("text", "period"), [
    ("2026Q3_survey.xlsx", "2026Q3"), ("survey-2026q4.csv", "2026Q4"), ("2026 Q1 指标.xlsx", "2026Q1"),
    ("2026年第三季度群众评价.xlsx", "2026Q3"), ("2025年4季度", "2025Q4"), ("2026Q3-JD01-001", "2026Q3"),
    ("units.xlsx", None), ("13920261234.xlsx", None), ("2026Q3 vs 2026Q2.xlsx", None), (None, None)])
def test_a_text_names_one_period(text, period):
    assert period_hint.in_text(text) == period


def test_names_agree_or_say_nothing():
    assert period_hint.from_names(["units.xlsx", "2026Q3_survey.xlsx", "2026Q3_reverse.xlsx"]) == "2026Q3"
    assert period_hint.from_names(["2026Q3_survey.xlsx", "2026Q2_reverse.xlsx"]) is None
    assert period_hint.from_names(["units.xlsx"]) is None


def test_files_of_another_quarter_are_an_error_until_confirmed():
    """2026Q3 files checked as 2026Q4 validated with no error and no warning (issue 15 §2)."""
    inputs, report = read_period(MODEL, "2026Q4", demo_files("2026Q3"))
    assert inputs is None
    wrong = [e for e in report.errors if e.value == "2026Q3" and e.expected == "2026Q4"]
    assert {e.file for e in wrong} == {n for n, _ in demo_files("2026Q3")} - {"units.xlsx"}
    ids = next(e for e in wrong if e.header == "问卷编号")
    assert ids.file == "2026Q3_survey.xlsx" and ids.column == "A" and "response ids" in ids.message_en
    inputs, report = read_period(MODEL, "2026Q4", demo_files("2026Q3"), period_override=True)
    assert inputs is not None and inputs.period == "2026Q4"
    assert len([w for w in report.warnings if w.value == "2026Q3"]) == len(wrong)
    assert read_period(MODEL, "2026Q3", demo_files("2026Q3"))[1].ok


def test_sheet_titles_and_response_ids_count_without_a_telling_file_name():
    wb = openpyxl.load_workbook(DEMO / "2026Q3_survey.xlsx")
    wb.active.title = "2026年第三季度"
    buf = io.BytesIO()
    wb.save(buf)
    files = [("units.xlsx", DEMO / "units.xlsx"), ("survey.xlsx", buf.getvalue())]
    _, report = read_period(MODEL, "2026Q2", files)
    sources = {e.message_en.split(" says ")[0] for e in report.errors if e.value == "2026Q3"}
    assert sources == {"the sheet title", "the response ids"}


def test_ids_that_name_several_periods_say_nothing():
    assert period_hint.in_ids(pd.Series(["2026Q3-1", "2026Q2-2"])) is None
    assert period_hint.in_ids(pd.Series(["a1", None, "2026Q3-2"])) == "2026Q3"
