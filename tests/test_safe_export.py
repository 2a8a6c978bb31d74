"""Exports never carry a cell a spreadsheet would run as a formula (CWE-1236)."""

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scoring.export import RANKING_SHEET, write_result_xlsx
from scoring.importer import read_period
from scoring.model import Model, load_model
from scoring.pipeline import score_period
from scoring.safe_export import neutralise, neutralise_frame, write_xlsx
from scoring.templates import KINDS, template_bytes

MODEL = load_model()
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


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


# ---------------------------------------------------------------------------- issue 10 §3

HOSTILE_FORMULA = '=HYPERLINK("http://host/x","点此")'
BREAKOUT = '"&WEBSERVICE("http://host/x")&"'
STRING_LITERAL = re.compile(r'^"(?:[^"]|"")*"$')


def formulas_not_ours(path) -> list[str]:
    """Everything Excel would evaluate in the workbook that is not a string literal the product put
    there itself: formula cells, conditional-format rules, data validations, defined names."""
    wb = openpyxl.load_workbook(path)
    found = [f"{ws.title}!{c.coordinate}: {c.value}" for ws in wb.worksheets for row in ws.iter_rows()
             for c in row if c.data_type == "f"]
    for ws in wb.worksheets:
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                found += [f"{ws.title} CF {f}" for f in rule.formula or [] if not STRING_LITERAL.match(f)]
        for dv in ws.data_validations.dataValidation:
            if dv.type != "list" or not re.fullmatch(r'"[^"]*"', dv.formula1 or ""):
                found.append(f"{ws.title} DV {dv.formula1}")
    found += [f"name {n}" for n in wb.defined_names]
    return found


def hostile_model():
    """The default model with formula-like names, built without the model's own checks (which now
    refuse a leading =) so the writer is tested on its own."""
    data = MODEL.model_dump(mode="json", exclude_none=True)
    data["survey"]["item"][0]["name"] = HOSTILE_FORMULA
    data["compliance"]["item"][0]["name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    data["reverse"]["criteria"] = [HOSTILE_FORMULA, *data["reverse"]["criteria"][1:]]
    data["grades"]["tier"][-1]["label"] = BREAKOUT
    data["grades"]["veto_grade"] = BREAKOUT
    return Model.model_validate(data)


def test_every_workbook_the_product_writes_holds_no_formula_it_did_not_put_there(tmp_path):
    """Templates (written with openpyxl, outside the safe writer) made a survey item named
    =HYPERLINK(...) a live formula; a grade label "&WEBSERVICE(...)&" broke out of the ranking's
    conditional-format rule. Every written workbook is opened with openpyxl and searched."""
    model = hostile_model()
    written = []
    for kind in KINDS:
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(template_bytes(kind, model))
        written.append(path)
    inputs, _ = read_period(MODEL, "2026Q3", [(p.name, p) for p in [DEMO / "units.xlsx", *sorted(DEMO.glob("2026Q3_*.xlsx"))]])
    inputs.reverse = inputs.reverse.rename(columns={MODEL.reverse.criteria[0]: HOSTILE_FORMULA})  # as the model names it
    result = score_period(model, inputs)
    result.units.loc[result.units.index[0], "unit_name"] = HOSTILE_FORMULA
    result.units.loc[result.units.index[1], "grade"] = BREAKOUT  # the lowest tier, as a veto would give
    write_result_xlsx(result, tmp_path / "result.xlsx")
    write_xlsx({"=cmd": pd.DataFrame({"a": [HOSTILE_FORMULA, BREAKOUT]})}, tmp_path / "report.xlsx")
    written += [tmp_path / "result.xlsx", tmp_path / "report.xlsx"]
    for path in written:
        assert formulas_not_ours(path) == [], path.name
    ranking = openpyxl.load_workbook(tmp_path / "result.xlsx")[RANKING_SHEET]
    grade = [c.value for c in ranking[1]].index("等次 grade")
    fills = {row[grade].value: row[grade].fill.fgColor.rgb for row in ranking.iter_rows(min_row=2) if row[grade].value}
    assert BREAKOUT in fills and fills[BREAKOUT] not in (None, "00000000")  # coloured, as text
    survey = openpyxl.load_workbook(tmp_path / "survey.xlsx")
    assert "'" + HOSTILE_FORMULA in [c.value for c in survey.worksheets[0][1]]
    assert survey.worksheets[0].data_validations.dataValidation  # the answer scale as a drop-down


def test_sheet_names_are_made_acceptable_to_excel(tmp_path):
    write_xlsx({"a/b:c*?[x]": pd.DataFrame({"a": [1]}), "A/B:C*?[X]": pd.DataFrame({"a": [2]}), "x" * 40: pd.DataFrame()},
               tmp_path / "n.xlsx")
    assert openpyxl.load_workbook(tmp_path / "n.xlsx").sheetnames == ["abcx", "ABCX~2", "x" * 31]
