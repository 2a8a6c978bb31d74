"""The feedback reports and the 公示 list as real files: the text pdftotext extracts from the PDF and
python-docx reads from the Word file carries the figures of the stored JSON result; Chinese renders
(an embedded font); the batch zip holds every unit's two files; a unit account gets its own report
only. The first report's PDF pages are rendered to PNG (pdftoppm) — into docs/screenshots/ with
SANWEI_SCREENSHOTS=1 (`make screenshots`), otherwise into a temporary folder, so a test run leaves
the checkout clean."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from docx import Document

from scoring.auth import PermissionDenied
from scoring.feedback.fonts import cjk_path
from scoring.service import Service
from scoring.store import Store
from ui.session import demo_accounts

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("SANWEI_SCREENSHOTS") == "1" else \
    Path(tempfile.gettempdir()) / "sanwei-screenshots"
PERIOD = "2026Q3"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("SANWEI_REQUIRE_POPPLER") == "1":  # set by .ci/run
            pytest.fail(f"{name} (poppler-utils) is required in CI")
        pytest.skip(f"{name} not installed (apt-get install poppler-utils)")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('reports')}/sanwei.db")
    Service.load_demo(store, ROOT / "data" / "demo", None, demo_accounts())
    yield store
    store.close()


def pdf_text(data: bytes, tmp: Path) -> str:
    path = tmp / "r.pdf"
    path.write_bytes(data)
    return subprocess.run([_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def figures(unit: dict) -> list[str]:
    """What the report must show of a unit's JSON result, formatted as the report formats it."""
    out = [unit["unit_name"], unit["unit_id"], unit["group"], f"{unit['total']:.2f}", f"{unit['rank_overall']} / ",
           f"{unit['rank_group']} / ", unit["grade"]]
    out += [f"{unit[d]:.2f}" for d in ("mass", "performance", "compliance")]
    s = unit["survey"]
    out += [str(s["n_valid"]), f"{s['mean']:.2f}", f"{s['ci'][0]:.2f} – {s['ci'][1]:.2f}", f"{s['satisfaction_rate']:.1%}"]
    for row in unit["indicators"]:
        if row["dimension"] == "performance":
            out += [row["name"]] + [f"{row[k]:.2f}" for k in ("score", "contribution") if row[k] is not None]
    for e in unit["exemptions"]:
        out += [e["document"]]
    return out


@pytest.mark.parametrize("unit_id", ["JD01", "JD05", "BM01"])
def test_the_pdf_and_the_word_report_carry_the_json_results_figures(demo, tmp_path, unit_id):
    officer = Service.resume(demo, "officer")
    unit = next(u for u in demo.result_json(PERIOD)["units"] if u["unit_id"] == unit_id)
    pdf = officer.feedback_report(PERIOD, unit_id, "pdf")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    word = docx_text(officer.feedback_report(PERIOD, unit_id, "docx"))
    for name, got in (("pdf", text), ("docx", word)):
        missing = [f for f in figures(unit) if f not in got]
        assert not missing, (name, unit_id, missing)
        for heading in ("考核结果反馈单", "三个维度与组内平均", "总分构成", "实绩指标明细", "群众评价", "过程合规",
                        "不计分项", "优势与短板", "历季趋势", "容错纠错", "申诉与复核", "年度考核", "等次理由", "预警"):
            assert heading in got, (name, heading)
    if cjk_path() is None and os.environ.get("SANWEI_REQUIRE_POPPLER") != "1":
        pytest.skip("no CJK TrueType font (apt-get install fonts-wqy-microhei): the PDF names an unembedded CID font")
    fonts = subprocess.run([_tool("pdffonts"), "-"], input=pdf, capture_output=True).stdout.decode()
    assert "yes" in fonts  # the CJK font is embedded


def test_the_english_report(demo, tmp_path):
    text = pdf_text(Service.resume(demo, "leader").feedback_report(PERIOD, "JD01", "pdf", "en"), tmp_path)
    for words in ("Assessment feedback report", "The three dimensions against the group average", "Why this grade",
                  "Annual result", "Every performance indicator"):
        assert words in text


def test_pdf_pages_render_to_png_screenshots(demo, tmp_path):
    data = Service.resume(demo, "officer").feedback_report(PERIOD, "JD05", "pdf")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("pdftoppm"), "-r", "90", "-png", "-f", "1", "-l", "2", str(path), str(SHOTS / "report")],
                   check=True)
    pages = sorted(SHOTS.glob("report-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 20_000 for p in pages)
    notice = Service.resume(demo, "officer").announcement_list(PERIOD, "pdf")
    (tmp_path / "notice.pdf").write_bytes(notice)
    subprocess.run([_tool("pdftoppm"), "-r", "90", "-png", "-f", "1", "-l", "1", "-singlefile", str(tmp_path / "notice.pdf"),
                    str(SHOTS / "announcement")], check=True)
    assert (SHOTS / "announcement.png").stat().st_size > 20_000


def test_the_announcement_list_as_pdf_and_xlsx(demo, tmp_path):
    officer = Service.resume(demo, "officer")
    notice = demo.announcement(PERIOD)
    units = demo.result_json(PERIOD)["units"]
    text = pdf_text(officer.announcement_list(PERIOD, "pdf"), tmp_path)
    assert f"{PERIOD} 三维考评结果公示" in text and f"公示期：{notice.starts_on} 至 {notice.ends_on}" in text
    assert "示范市考核办公室" in text and notice.appeal_until in text
    for u in units:
        assert u["unit_name"] in text and (u["total"] is None or f"{u['total']:.2f}" in text)
    book = openpyxl.load_workbook(io.BytesIO(officer.announcement_list(PERIOD, "xlsx")))
    sheet = book.active
    assert sheet["A1"].value == f"{PERIOD} 三维考评结果公示" and sheet.page_setup.paperSize == 9
    header = [c.value for c in sheet[5]]
    assert header == ["总排名", "单位", "考核组别", "等次", "总分", "标记"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=6, max_row=5 + len(units))]
    assert rows[0][0] == 1 and {r[1] for r in rows} == {u["unit_name"] for u in units}
    for u in units:  # a veto in force is marked 否
        assert ("否" in (next(r for r in rows if r[1] == u["unit_name"])[5] or "")) == bool(u["veto"])
    waived = next(u for u in units if any(f["code"] == "veto_waived" for f in u["flags"]))
    assert "容" in next(r for r in rows if r[1] == waived["unit_name"])[5]


def test_a_unit_downloads_its_own_report_only_and_officers_get_every_units_zip(demo):
    unit = Service.resume(demo, "jd01")
    assert unit.feedback_report(PERIOD, "JD01", "docx")[:2] == b"PK"
    for denied in (lambda: unit.feedback_report(PERIOD, "JD02"), lambda: unit.feedback_zip(PERIOD),
                   lambda: Service.resume(demo, "leader").feedback_zip(PERIOD)):
        with pytest.raises(PermissionDenied):
            denied()
    seen = []
    data = Service.resume(demo, "officer").feedback_zip(PERIOD, progress=lambda i, n, name: seen.append((i, n)))
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    n = len(demo.result_json(PERIOD)["units"])
    assert len(names) == 2 * n and sum(x.endswith(".pdf") for x in names) == n
    assert seen[0] == (0, n) and seen[-1] == (n, n)


def test_names_from_data_are_text_in_the_reports_and_the_announcement_list(tmp_path):
    """Every name of the hostile store (markup, HTML, a formula, `$…$`) is printed as its characters:
    reportlab's paragraph markup and matplotlib's mathtext never see it as theirs."""
    from scoring.feedback import charts
    from tests import hostile_store
    from tests.fixtures.make_fixtures import MARKUP_NAMES

    url = f"sqlite:///{tmp_path}/hostile.db"
    hostile_store.fill(url)
    with Store(url) as store:
        officer = Service.resume(store, "officer")
        period = hostile_store.PERIODS[-1]
        units = store.result_json(period)["units"]
        marked = [u["unit_id"] for u in units if u["unit_name"] in MARKUP_NAMES]
        assert len(marked) > len(MARKUP_NAMES)  # the first units of the roster and a department
        for uid in marked:
            name = next(u["unit_name"] for u in units if u["unit_id"] == uid)
            text = pdf_text(officer.feedback_report(period, uid, "pdf"), tmp_path)
            assert name in text.replace("\n", ""), (uid, name)
            assert name in docx_text(officer.feedback_report(period, uid, "docx"))
        notice = pdf_text(officer.announcement_list(period, "pdf"), tmp_path)
        assert all(n in notice for n in MARKUP_NAMES)
    hist = pd.DataFrame({"period": ["2026Q2", "2026Q3"], "total": [80.0, 82.0], "grade": ["$\\nosuchmacro{$", "$x^2$"],
                         "rank_overall": [3, 2]})
    assert charts.trend(hist, "zh").startswith(b"\x89PNG")  # mathtext would refuse the first grade
