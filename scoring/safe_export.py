"""Formula-injection neutralisation for every spreadsheet the product writes (CWE-1236, OWASP ASVS).

Exported cells hold text that came from uploads (unit names, notes, veto reasons); a cell
such as `=HYPERLINK(...)` or `@SUM(...)` would run as a formula when an officer opens the
export. Text beginning with = + - @ tab or CR gets a leading apostrophe; numbers stay numbers.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class SheetStyle:
    """How one sheet looks: number formats and widths by column, fills by cell value (e.g. grades)."""

    number_formats: dict[str, str] = field(default_factory=dict)
    widths: dict[str, int] = field(default_factory=dict)
    fills: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {cell text: colour}
    header: bool = True  # False: a key/value sheet without a header row
    autofilter: bool = False


def write_xlsx(frames: dict[str, pd.DataFrame], path_or_buffer: str | IO[bytes],
               styles: dict[str, SheetStyle] | None = None) -> None:
    """Write one sheet per frame (name -> frame) with a frozen, bold header row, every text cell
    neutralised and written as text (never as a formula); `styles` formats chosen sheets."""
    workbook = xlsxwriter.Workbook(path_or_buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                                    "strings_to_numbers": False, "nan_inf_to_errors": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDE7F0", "text_wrap": True, "valign": "vcenter"})
    for name, frame in frames.items():
        style = (styles or {}).get(name, SheetStyle())
        sheet = workbook.add_worksheet(str(name)[:31])
        safe = neutralise_frame(frame)
        first = 1 if style.header else 0
        if style.header:
            sheet.write_row(0, 0, [str(c) for c in safe.columns], bold)
            sheet.freeze_panes(1, 0)
        for j, column in enumerate(frame.columns):
            fmt = workbook.add_format({"num_format": style.number_formats[column]}) \
                if column in style.number_formats else None
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
                    sheet.write_string(i, j, str(value))
            for text, colour in style.fills.get(column, {}).items():
                sheet.conditional_format(first, j, max(len(frame), 1), j, {
                    "type": "cell", "criteria": "==", "value": f'"{text}"',
                    "format": workbook.add_format({"bg_color": colour})})
        if style.autofilter and len(frame.columns):
            sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)
    workbook.close()
