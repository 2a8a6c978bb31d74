"""A messy file yields exactly the same scores as its clean twin (issue: real-world import).

Every demo file of one quarter is rewritten the way offices' spreadsheets really look — title
and note rows, a hidden sheet first, unit names instead of codes, full-width digits and spaces,
numbers stored as text with % and thousands separators, blank rows and columns, a 合计 row,
Likert variants — and the whole quarter must score identically.
"""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scoring.importer import read_period
from scoring.model import load_model
from scoring.pipeline import score_period

MODEL = load_model()
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
PERIOD = "2026Q3"
FULLWIDTH = str.maketrans("0123456789. ", "０１２３４５６７８９．\u3000")
VARIANTS = {"比较满意": "较满意", "满意": "非常满意"}


def messy_value(value, col, names):
    if value is None:
        return None
    if col == 0 and value in names:  # unit code -> unit name with stray spaces
        return f" {names[value]}\u3000"
    if isinstance(value, float | int) and not isinstance(value, bool):
        text = f"{value:,}" if abs(value) >= 1000 else repr(value)
        return text.translate(FULLWIDTH) if int(value) % 2 else f"{text}%" if 0 <= value <= 100 else text
    if value in VARIANTS:
        return VARIANTS[value]
    return f"{value} "


def make_messy(src: Path, dst: Path, names: dict[str, str]) -> None:
    clean = openpyxl.load_workbook(src).active
    rows = list(clean.iter_rows(values_only=True))
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "旧数据"
    hidden.append(["单位编码", "说明"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet(clean.title)
    ws.append([f"{src.stem} 报送表（示范市考核办）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    ws.append(["填报说明：数值可带单位，单位列可填名称"])
    ws.append([])
    header, *body = rows
    ws.append([None, *(f" {h} " for h in header)])  # a blank first column
    unit_col = 0 if header[0] in ("单位编码", "评议单位") else None
    for i, row in enumerate(body):
        ws.append([None, *(messy_value(v, j if j == unit_col else -1, names) for j, v in enumerate(row))])
        if i % 25 == 10:
            ws.append([])
    ws.append([None, "合计", *([None] * (len(header) - 1))])
    wb.save(dst)


@pytest.fixture(scope="module")
def files():
    return ["units.xlsx", *sorted(p.name for p in DEMO.glob(f"{PERIOD}_*.xlsx"))]


def test_messy_quarter_scores_exactly_like_its_clean_twin(tmp_path, files):
    roster = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    names = dict(zip(roster["单位编码"], roster["单位名称"], strict=True))
    clean_inputs, report = read_period(MODEL, PERIOD, [(n, DEMO / n) for n in files])
    assert report.ok, report.to_text()
    messy = []
    for n in files:
        if n == "units.xlsx":
            messy.append((n, DEMO / n))
            continue
        make_messy(DEMO / n, tmp_path / n, names)
        messy.append((n, tmp_path / n))
    messy_inputs, report = read_period(MODEL, PERIOD, messy)
    assert report.ok, report.to_text()
    clean = score_period(MODEL, clean_inputs)
    dirty = score_period(MODEL, messy_inputs)
    pd.testing.assert_frame_equal(clean.units, dirty.units)
    pd.testing.assert_frame_equal(clean.breakdown.reset_index(drop=True), dirty.breakdown.reset_index(drop=True))
