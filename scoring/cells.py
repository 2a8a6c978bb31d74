"""Cell-level cleaning of imported text, vectorised over whole columns.

Cells arrive as text (see `scoring.reader`); these functions turn what a person would call
"obviously the same" into one spelling, and flag what cannot be read instead of raising,
so the importer can report every bad cell at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# C0/C1 control characters except tab, LF and CR, plus invisible format characters
# (soft hyphen, zero-width, bidi overrides, BOM): they hide or reorder text and never belong in data.
# Characters above U+00FF are literal so the pattern means the same in RE2 (pyarrow) and Python `re`.
CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"


def as_text(values: pd.Series) -> pd.Series:
    """The column as pandas' Arrow-backed `str` dtype (missing stays missing)."""
    return values if values.dtype == "str" else values.astype("str")


def _clean_array(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    had_control = pc.fill_null(pc.match_substring_regex(text, CONTROL), False)
    if pc.any(had_control).as_py():
        text = pc.replace_substring_regex(text, CONTROL, "")
    if not pc.all(pc.string_is_ascii(text)).as_py():  # NFKC leaves ASCII unchanged
        text = pc.utf8_normalize(text, "NFKC")
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), None, text), had_control


def clean_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """NFKC (full-width letters, digits, spaces and punctuation to half-width), control and
    invisible characters removed, surrounding whitespace trimmed, empty cells missing.

    Returns (clean, had_control): `had_control` marks cells that lost control characters,
    so the caller can tell the user where the text was changed. Runs in Arrow compute
    (pandas' own `.str.normalize` is a per-cell Python loop), and on the distinct values
    only when a column repeats a few answers, as survey columns do."""
    text = pa.array(as_text(values), type=pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    if len(encoded.dictionary) * 4 < len(text):
        unique, flags = _clean_array(encoded.dictionary)
        # already clean (the usual case): keep the column as it is instead of rebuilding it
        clean = text if unique.equals(encoded.dictionary) else pc.take(unique, encoded.indices)
        had_control = pc.take(flags, encoded.indices) if pc.any(flags).as_py() else None
    else:
        clean, had_control = _clean_array(text)
    out = clean.to_pandas().astype("str")
    out.index = values.index
    control = (np.zeros(len(text), dtype=bool) if had_control is None
               else pc.fill_null(had_control, False).to_numpy(zero_copy_only=False))
    return out, pd.Series(control, index=values.index, dtype=bool)


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from text cells: "85", "８５", "85.0", "1,234.5", "85%", "85 %" (-> 85.0),
    "−3" (Unicode minus). Blank cells give NaN and are not bad.

    Returns (floats, bad): float64 values (NaN where blank or bad) and a boolean mask of
    non-blank cells that are not numbers. Percent text keeps its number ("85%" -> 85.0);
    a numeric Excel cell formatted as a percentage arrives as its stored fraction (0.85)."""
    text, _ = clean_text(values)
    text = text.str.replace("\u2212", "-", regex=False).str.replace(r"\s*%$", "", regex=True)
    grouped = text.str.fullmatch(_GROUPED).fillna(False).astype(bool)
    if grouped.any():
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
    ok = text.str.fullmatch(_NUMBER).fillna(False).astype(bool)
    floats = pd.to_numeric(text.where(ok), errors="coerce").astype("float64")
    return floats, text.notna() & ~ok
