"""Formula-injection neutralisation for every spreadsheet the product writes (CWE-1236, OWASP ASVS).

Exported cells hold text that came from uploads (unit names, notes, veto reasons); a cell
such as `=HYPERLINK(...)` or `@SUM(...)` would run as a formula when an officer opens the
export. Text beginning with = + - @ tab or CR gets a leading apostrophe; numbers stay numbers.

Every xlsx the product writes goes through `write_xlsx` — exports, reports, the analysis and the
blank templates — and nothing in a written file is a formula: cells coloured by their value (grades)
get their fill when written, not from a conditional-format rule (whose value is a formula: a grade
label `"&WEBSERVICE(...)&"` would break out of it, and xlsxwriter rewrites function names even
inside its string literals); a data validation's list is a quoted list of neutralised words (or
none); sheet names lose the characters Excel forbids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pandas as pd
import xlsxwriter

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The value, with a leading apostrophe if it is text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every text cell and column name neutralised; numeric columns untouched."""
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
            out[column] = series.mask(series.str.startswith(TRIGGERS).fillna(False).astype(bool), "'" + series)
        else:
            out[column] = series.map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
LIST_LIMIT = 255  # Excel's limit on a data validation's list, separators included


def safe_sheet_name(name: object, taken: set[str]) -> str:
    """A sheet name Excel accepts: forbidden characters dropped, no leading/trailing apostrophe,
    at most 31 characters, not already `taken` (case-insensitively)."""
    base = SHEET_NAME_BAD.sub("", str(name)).strip("'").strip() or "Sheet"
    candidate, n = base[:31], 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base[:31 - len(str(n)) - 1]}~{n}"
    taken.add(candidate.lower())
    return candidate


def list_validation(words) -> dict | None:
    """An xlsxwriter list validation offering `words` (a warning, not a block), or None when the
    words cannot be a literal list (a comma or quote in one, or longer than Excel allows)."""
    items = [str(neutralise(w)) for w in words]
    if not items or any("," in w or '"' in w for w in items) or len(",".join(items)) > LIST_LIMIT:
        return None
    return {"validate": "list", "source": items, "error_type": "warning", "ignore_blank": True}


@dataclass(frozen=True)
class SheetStyle:
    """How one sheet looks: number formats and widths by column, fills by cell value (e.g. grades)."""

    number_formats: dict[str, str] = field(default_factory=dict)
    widths: dict[str, int] = field(default_factory=dict)
    fills: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {cell text: colour}
    header: bool = True  # False: a key/value sheet without a header row
    autofilter: bool = False
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> words offered (data validation)
    choice_rows: int = 5_000  # rows below the header the choices apply to


def write_xlsx(frames: dict[str, pd.DataFrame], path_or_buffer: str | IO[bytes],
               styles: dict[str, SheetStyle] | None = None) -> None:
    """Write one sheet per frame (name -> frame) with a frozen, bold header row, every text cell
    neutralised and written as text (never as a formula); `styles` formats chosen sheets."""
    workbook = xlsxwriter.Workbook(path_or_buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                                    "strings_to_numbers": False, "nan_inf_to_errors": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDE7F0", "text_wrap": True, "valign": "vcenter"})
    taken: set[str] = set()
    for name, frame in frames.items():
        style = (styles or {}).get(name, SheetStyle())
        sheet = workbook.add_worksheet(safe_sheet_name(name, taken))
        safe = neutralise_frame(frame)
        first = 1 if style.header else 0
        if style.header:
            sheet.write_row(0, 0, [str(c) for c in safe.columns], bold)
            sheet.freeze_panes(1, 0)
        for j, column in enumerate(frame.columns):
            fmt = workbook.add_format({"num_format": style.number_formats[column]}) \
                if column in style.number_formats else None
            fills = {str(neutralise(text)): workbook.add_format({"bg_color": colour})
                     for text, colour in style.fills.get(column, {}).items()}
            if column in style.widths:
                sheet.set_column(j, j, style.widths[column])
            for i, value in enumerate(safe.iloc[:, j].tolist(), start=first):
                if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                    continue
                if isinstance(value, (bool, np.bool_)):
                    sheet.write_boolean(i, j, bool(value))
                elif isinstance(value, (int, float, np.integer, np.floating)):
                    sheet.write_number(i, j, float(value), fmt)
                else:
                    sheet.write_string(i, j, str(value), fills.get(str(value)))
            if column in style.choices and (rule := list_validation(style.choices[column])):
                sheet.data_validation(first, j, first + style.choice_rows - 1, j, rule)
        if style.autofilter and len(frame.columns):
            sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)
    workbook.close()
