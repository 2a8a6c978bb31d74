"""The 公示 list: every unit of a published quarter (rank, unit, group, grade, total; veto and
exemption marks) under a title, the announcement period, the issuing office and the date, laid out
to print on A4 — as a PDF and as a print-ready, formula-safe xlsx."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pandas as pd
import xlsxwriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as RLTable

from scoring import i18n, views
from scoring.feedback.fonts import pdf_font
from scoring.feedback.pdf import GRID, HEAD_BG, MARGIN, WIDTH, _p, styles
from scoring.model import Model
from scoring.safe_export import neutralise

COLUMNS = ["rank_overall", "unit_name", "group", "grade", "total", "marks"]


@dataclass
class Notice:
    period: str
    units: pd.DataFrame          # the published units table (Store.rankings / results)
    model: Model
    office: str
    starts_on: str | None = None
    ends_on: str | None = None
    appeal_until: str | None = None
    made_on: date | None = None


def rows(n: Notice, lang: str) -> pd.DataFrame:
    """The list's rows in rank order (unranked units last), marks as short words."""
    df = n.units.sort_values(["rank_overall", "unit_id"], na_position="last")
    marks = []
    for fs, veto in zip(df["flags"], df["veto"], strict=True):
        codes = {f.code.value for f in fs}
        m = []
        if isinstance(veto, str) and veto:
            m.append(i18n.t("ann.veto_mark", lang))
        if codes & {"veto_waived", "deduction_waived", "compliance_waived"}:
            m.append(i18n.t("ann.ex_mark", lang))
        marks.append(" ".join(m))
    return pd.DataFrame({
        "rank_overall": df["rank_overall"].map(lambda r: "" if pd.isna(r) else str(int(r))),
        "unit_name": df["unit_name"].astype(str), "group": df["group"].astype(str),
        "grade": df["grade"].map(lambda g: views.grade_label(n.model, g, lang)),
        "total": df["total"].map(lambda v: "" if pd.isna(v) else f"{float(v):.2f}"),
        "marks": marks})


def _texts(n: Notice, lang: str) -> tuple[str, str, str, str | None]:
    t = lambda k, **kw: i18n.t(k, lang, **kw)  # noqa: E731
    period = t("ann.period", start=n.starts_on, end=n.ends_on) if n.starts_on else t("ann.no_period")
    issued = t("ann.issued", office=n.office, date=(n.made_on or date.today()).isoformat())
    appeal = t("ann.appeal", date=n.appeal_until) if n.appeal_until else None
    return t("ann.title", period=n.period), period, issued, appeal


def headers(lang: str) -> list[str]:
    return [i18n.t(k, lang) for k in ("col.rank_overall", "col.unit_name", "col.group", "col.grade", "col.total",
                                      "col.marks")]


def notice_pdf(n: Notice, lang: str = "zh") -> bytes:
    st = styles()
    title, period, issued, appeal = _texts(n, lang)
    df = rows(n, lang)
    out = io.BytesIO()
    font = pdf_font()

    def footer(canvas, d) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawCentredString(A4[0] / 2, 9 * mm, f"{title} · {d.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=title, author=n.office)
    widths = [WIDTH * w for w in (0.1, 0.32, 0.18, 0.14, 0.14, 0.12)]
    body = [[_p(h, st["cell"]) for h in headers(lang)]] + [
        [_p(v, st["num"] if j in (0, 4) else st["cell"]) for j, v in enumerate(r)] for r in df.itertuples(index=False)]
    table = RLTable(body, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), HEAD_BG), ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story = [_p(title, st["title"]), _p(period, st["subtitle"]), _p(issued, st["line"]), Spacer(1, 4 * mm), table,
             Spacer(1, 3 * mm), _p(i18n.t("ann.marks", lang), st["muted"])]
    if appeal:
        story.append(_p(appeal, st["base"]))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def notice_xlsx(n: Notice, lang: str = "zh") -> bytes:
    """One sheet: title, period and office rows above the table; A4 portrait, one page wide, the
    header row repeated on every printed page; every text cell formula-safe."""
    title, period, issued, appeal = _texts(n, lang)
    df = rows(n, lang)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet(i18n.t("rp.notice", lang)[:31])
    big = book.add_format({"bold": True, "font_size": 16, "align": "center"})
    centre = book.add_format({"align": "center"})
    head = book.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "align": "center", "valign": "vcenter"})
    cell = book.add_format({"border": 1})
    num = book.add_format({"border": 1, "num_format": "0.00"})
    rank = book.add_format({"border": 1, "num_format": "0"})
    last = len(COLUMNS) - 1
    sheet.merge_range(0, 0, 0, last, neutralise(title), big)
    sheet.merge_range(1, 0, 1, last, neutralise(period), centre)
    sheet.merge_range(2, 0, 2, last, neutralise(issued), centre)
    sheet.write_row(4, 0, [neutralise(h) for h in headers(lang)], head)
    for i, r in enumerate(df.itertuples(index=False), start=5):
        sheet.write_number(i, 0, int(r.rank_overall), rank) if r.rank_overall else sheet.write_blank(i, 0, None, rank)
        sheet.write_string(i, 1, neutralise(r.unit_name), cell)
        sheet.write_string(i, 2, neutralise(r.group), cell)
        sheet.write_string(i, 3, neutralise(r.grade), cell)
        sheet.write_number(i, 4, float(r.total), num) if r.total else sheet.write_blank(i, 4, None, num)
        sheet.write_string(i, 5, neutralise(r.marks), cell)
    end = 5 + len(df)
    sheet.write_string(end + 1, 0, neutralise(i18n.t("ann.marks", lang)))
    if appeal:
        sheet.write_string(end + 2, 0, neutralise(appeal))
    for j, w in enumerate((8, 28, 14, 10, 10, 10)):
        sheet.set_column(j, j, w)
    sheet.set_paper(9)  # A4
    sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(4)
    sheet.center_horizontally()
    sheet.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
    sheet.set_footer("&C&P / &N")
    sheet.print_area(0, 0, end + 2, last)
    book.close()
    return out.getvalue()

