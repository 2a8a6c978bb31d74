"""Downloads, colours and memoised analysis results shared by the pages."""

from __future__ import annotations

from io import BytesIO

import pandas as pd
import streamlit as st

from scoring import views
from scoring.charts import grade_colour
from scoring.model import Model
from scoring.safe_export import write_xlsx


def xlsx_bytes(frames: dict[str, pd.DataFrame], styles: dict | None = None) -> bytes:
    buf = BytesIO()
    write_xlsx(frames, buf, styles)
    return buf.getvalue()


def grade_column(model: Model, lang: str, label: str | None = None, notes: tuple[str, ...] = (), **kw):
    """The grade column of a table: each grade a chip in its tier's colour (best green → lowest red),
    followed by grey chips of `notes` (what set the grade: views.grade_reasons).
    A column config, not a pandas Styler: Streamlit marshals a Styler cell by cell in Python
    (about 140 ms for 400 units on every rerun), a column config costs nothing per row. The column
    holds lists (`grade_display`)."""
    tiers = model.grades.tier
    return st.column_config.MultiselectColumn(
        label, options=[*(views.grade_label(model, tier.label, lang) for tier in tiers), *notes],
        color=[*(grade_colour(i) for i in range(len(tiers))), *("#78909C" for _ in notes)], **kw)


def grade_display(labels: pd.Series) -> pd.Series:
    """Grade labels (already in the session's language) as the one-element lists `grade_column` shows."""
    return pd.Series([[g] if isinstance(g, str) and g else [] for g in labels], index=labels.index, dtype=object)


@st.cache_resource(show_spinner=False)
def _memo() -> dict:
    return {}


def memo(key: tuple, compute):
    """Keep `compute()` per key across reruns and sessions (analysis results; a few dozen at most).
    Unlike st.cache_data this lets the computation drive a progress bar on a miss."""
    cache = _memo()
    if key not in cache:
        while len(cache) >= 32:
            cache.pop(next(iter(cache)))
        cache[key] = compute()
    return cache[key]
