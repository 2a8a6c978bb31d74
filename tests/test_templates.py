"""Blank templates: every kind downloads, and a filled-in set imports and scores without a fix-up."""

from io import BytesIO

import openpyxl
import pytest

from scoring.importer import read_period
from scoring.model import load_model
from scoring.pipeline import score_period
from scoring.templates import KINDS, headers, template_bytes

MODEL = load_model()


def filled(kind: str, rows: list[list]) -> bytes:
    wb = openpyxl.load_workbook(BytesIO(template_bytes(kind, MODEL)))
    for row in rows:
        wb.active.append(row)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("kind", KINDS)
def test_template_has_a_header_and_instructions(kind):
    wb = openpyxl.load_workbook(BytesIO(template_bytes(kind, MODEL)))
    assert [c.value for c in wb.active[1]] == headers(kind, MODEL)
    assert wb["填写说明"]["A1"].value


def test_filled_templates_import_and_score():
    units = [["T01", "甲街道", "乡镇街道", "城区街道"], ["T02", "乙镇", "乡镇街道", "农业乡镇"], ["D01", "市某局", "市直部门", "市直部门"]]
    items = len(MODEL.survey.item)
    survey = [[f"{u}-{i}", u, "群众", "电话", *(["满意", "比较满意"] * items)[:items]] for u in ("T01", "T02", "D01")
              for i in range(3)]
    n_ind = len(MODEL.scored_indicators)
    indicators = [[u, name, *([90] * n_ind)] for u, name, *_ in units]
    compliance = [[u, *(["通过"] * len(MODEL.compliance.item)), "省级", None, None, None] for u, *_ in units]
    reverse = [["T01", "市某局", "满意", "满意", "比较满意"]]
    files = [("units.xlsx", filled("units", units)), ("survey.xlsx", filled("survey", survey)),
             ("indicators.xlsx", filled("indicators", indicators)), ("compliance.xlsx", filled("compliance", compliance)),
             ("reverse.xlsx", filled("reverse", reverse))]
    inputs, report = read_period(MODEL, "2026Q3", files)
    assert report.ok, report.to_text()
    result = score_period(MODEL, inputs).units.set_index("unit_id")
    assert (result["status"] == "ok").all()
    assert (result["bonus"] == 3).all()
    # a department's indicators that do not apply to it are simply not scored (their cells are ignored)
    assert result.loc["D01", "performance"] > 0
