"""Downloads, colours and memoised analysis results shared by the pages."""

from __future__ import annotations

from io import BytesIO

import pandas as pd
import streamlit as st

from scoring.charts import grade_colour
from scoring.model import Model
from scoring.safe_export import write_xlsx
from scoring.views import GRADE_SEP


def xlsx_bytes(frames: dict[str, pd.DataFrame], styles: dict | None = None) -> bytes:
    buf = BytesIO()
    write_xlsx(frames, buf, styles)
    return buf.getvalue()


def grade_styler(df: pd.DataFrame, columns: str | list[str], model: Model):
    """Colour the grade column by tier (best green → lowest red); works on labels in either language."""
    colour = {}
    for i, tier in enumerate(model.grades.tier):
        colour[tier.label] = colour[tier.label_en or tier.label] = grade_colour(i)
    subset = [columns] if isinstance(columns, str) else columns
    def css(v) -> str:  # a grade may carry what set it: "良好 · 名额"
        base = v.split(GRADE_SEP)[0] if isinstance(v, str) else v
        return f"color: {colour[base]}; font-weight: 600" if base in colour else ""

    return df.style.map(css, subset=subset)


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
