"""Which cells of a worksheet show their number as a percentage.

The xlsx parser (calamine) gives a cell's stored value: a cell showing 90% holds 0.9. A person
reading the sheet means 90, and the text "90%" is read as 90 already, so the reader multiplies
numeric cells with a percent format by 100. That format is found here, on the raw package:
`xl/styles.xml` says which cell styles use a percent number format (the built-in ids 9 "0%" and
10 "0.00%", or a custom format code with an unquoted %), and one byte scan of the sheet finds
the numeric cells carrying those styles. Excel, WPS and LibreOffice all write formats this way.
A workbook without a percent style (the usual case) costs one parse of styles.xml and nothing more.
"""

from __future__ import annotations

import posixpath
import re
import zipfile

import numpy as np
from defusedxml import ElementTree as SafeET

from scoring.xlsx_guard import SheetInfo, _local, _part_chunks

PERCENT_BUILTIN = frozenset({9, 10})  # 0%, 0.00%
# literal text ("…"), an escaped character (\x), colours and conditions ([Red], [>100]) never scale
_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
_CELL_TYPE = re.compile(rb'\st="([a-zA-Z]+)"')
_TEXT_TYPES = {b"s", b"str", b"inlineStr", b"b", b"e", b"d"}


def is_percent_format(code: str) -> bool:
    """Whether an Excel number format code multiplies the value by 100 (an unquoted %)."""
    return "%" in _LITERAL.sub("", code)


def _styles_part(zf: zipfile.ZipFile, workbook: str) -> str | None:
    folder, base = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    names = set(zf.namelist())
    if rels in names:
        for rel in SafeET.fromstring(zf.read(rels)):
            if (rel.get("Type") or "").endswith("/styles"):
                target = rel.get("Target") or ""
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                return path if path in names else None
    default = posixpath.join(folder, "styles.xml")
    return default if default in names else None


def percent_styles(zf: zipfile.ZipFile, workbook: str = "xl/workbook.xml") -> frozenset[int]:
    """Indexes of the cell styles (cellXfs) whose number format is a percentage. A styles part that
    cannot be read gives none: formats only refine how numbers are read, they never block a file."""
    part = _styles_part(zf, workbook)
    if part is None:
        return frozenset()
    try:
        root = SafeET.fromstring(zf.read(part))
    except Exception:  # a damaged or hostile styles part: read the numbers as stored
        return frozenset()
    custom: dict[int, str] = {}
    xfs: list[int] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "numFmt" and (fid := element.get("numFmtId", "")).isdigit():
            custom[int(fid)] = element.get("formatCode") or ""
        elif tag == "cellXfs":
            xfs = [int(x.get("numFmtId") or 0) if (x.get("numFmtId") or "0").isdigit() else 0
                   for x in element if _local(x.tag) == "xf"]
    return frozenset(i for i, fid in enumerate(xfs)
                     if fid in PERCENT_BUILTIN or (fid in custom and is_percent_format(custom[fid])))


def percent_cells(zf: zipfile.ZipFile, info: SheetInfo, file: str, styles: frozenset[int]) -> dict[str, np.ndarray]:
    """Numeric cells of the sheet with a percent style: column letters -> Excel row numbers.
    Cells written without a reference (positional cells) are not located and read as stored."""
    if not styles:
        return {}
    needles = [f's="{i}"'.encode() for i in styles]
    tag = re.compile(rb'<c\s[^>]*?\bs="(?:' + b"|".join(str(i).encode() for i in sorted(styles)) + rb')"[^>]*>')
    found: dict[bytes, list[int]] = {}
    for chunk in _part_chunks(zf, info.part):
        if not any(n in chunk for n in needles):
            continue
        for m in tag.finditer(chunk):
            cell = m.group(0)
            kind = _CELL_TYPE.search(cell)
            ref = _CELL_REF.search(cell)
            if ref is None or (kind is not None and kind.group(1) in _TEXT_TYPES):
                continue
            found.setdefault(ref.group(1), []).append(int(ref.group(2)))
    return {letters.decode(): np.array(rows, dtype=np.int64) for letters, rows in found.items()}
