"""A report Document as a Word file (python-docx), A4, the same blocks as the PDF."""

from __future__ import annotations

import io
import re

from docx import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from scoring.feedback.content import Chart, Document, Fields, Heading, Para, Table

# East Asian text in Word uses the eastAsia font of a run; 宋体/微软雅黑 exist on the machines that open these
EAST_ASIA = "微软雅黑"
LATIN = "Arial"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML: dropped, never an error


def _clean(text: str) -> str:
    return _CONTROL.sub("", str(text))


def _font(run, size: float | None = None, bold: bool = False, colour: str | None = None) -> None:
    run.font.name = LATIN
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold or None
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)


def _shade(cell, fill: str) -> None:
    pr = cell._element.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    pr.append(shd)


def _cell(cell, text: str, size: float = 8, bold: bool = False, right: bool = False) -> None:
    par = cell.paragraphs[0]
    _font(par.add_run(_clean(text)), size, bold)
    if right:
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def render_docx(doc: Document) -> bytes:
    word = WordDocument()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    usable = 18.0  # cm
    normal = word.styles["Normal"]
    normal.font.name, normal.font.size = LATIN, Pt(9.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA)
    word.core_properties.title = f"{doc.title} {doc.subtitle}"
    word.core_properties.author = "Sanwei"

    for text, size, bold in [(doc.title, 18, True), (doc.subtitle, 12, False)]:
        p = word.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(_clean(text)), size, bold)
    for line in doc.lines:
        p = word.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(_clean(line)), 8.5, colour="455A64")
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head, _, tail = doc.footer.partition("{page}")
    _font(footer.add_run(_clean(head)), 7.5, colour="78909C")
    field_run = footer.add_run()
    _font(field_run, 7.5, colour="78909C")
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        field_run._element.append(el)
    _font(footer.add_run(_clean(tail)), 7.5, colour="78909C")

    for block in doc.blocks:
        if isinstance(block, Heading):
            p = word.add_paragraph()
            p.paragraph_format.space_before, p.paragraph_format.keep_with_next = Pt(10), True
            _font(p.add_run(_clean(block.text)), 12, True, "1F4E79")
        elif isinstance(block, Para):
            colour = {"muted": "607D8B", "alert": "C62828"}.get(block.tone)
            _font(word.add_paragraph().add_run(_clean(block.text)), 9, colour=colour)
        elif isinstance(block, Fields):
            table = word.add_table(rows=0, cols=2)
            table.style = "Table Grid"
            for k, v in block.rows:
                cells = table.add_row().cells
                _cell(cells[0], k, 8.5, True)
                _shade(cells[0], "DDE7F0")
                _cell(cells[1], v, 8.5)
            for row in table.rows:
                row.cells[0].width, row.cells[1].width = Cm(usable * 0.24), Cm(usable * 0.76)
        elif isinstance(block, Table):
            table = word.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for j, h in enumerate(block.header):
                _cell(table.rows[0].cells[j], h, 8, True)
                _shade(table.rows[0].cells[j], "DDE7F0")
            for r in block.rows:
                cells = table.add_row().cells
                for j, v in enumerate(r):
                    _cell(cells[j], v, 7.5, right=j in block.numeric)
            total = sum(block.widths)
            for row in table.rows:
                for j, w in enumerate(block.widths):
                    row.cells[j].width = Cm(usable * w / total)
        elif isinstance(block, Chart):
            word.add_picture(io.BytesIO(block.png), width=Cm(min(block.width_cm, usable)))
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
