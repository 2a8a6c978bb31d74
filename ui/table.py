"""One way to show a table: chosen columns under translated headers, formats by column, a height
that fits the rows. Replaces picking, renaming and sizing by hand on every page."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from ui.state import t

HEADER_PX, ROW_PX = 38, 35  # Streamlit's dataframe header and row heights


def height(rows: int, cap: int | None = None) -> int:
    """Pixels that show `rows` rows without an inner scrollbar (at most `cap`)."""
    px = HEADER_PX + ROW_PX * rows
    return min(px, cap) if cap else px


def headers(columns: Sequence[str], labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """Column -> header in the session's language: `labels` first, else the i18n key col.<column>."""
    return {c: (labels or {}).get(c) or t(f"col.{c}") for c in columns}


def table(df: pd.DataFrame, columns: Sequence[str], *, labels: Mapping[str, str] | None = None,
          config: Mapping[str, Any] | None = None, fit: bool | int = False,
          style: Callable[[pd.DataFrame, dict[str, str]], Any] | None = None, **kwargs):
    """`st.dataframe` of `df[columns]` under translated headers, index hidden.

    `config` maps a column to a column config, or to a number format string such as "%.2f";
    `fit` sizes the table to its rows (True) or to at most that many pixels (an int);
    `style(shown, headers)` may return a Styler of the shown frame. Returns what st.dataframe
    returns (the selection event when `on_select` is given)."""
    head = headers(columns, labels)
    shown = df[list(columns)].rename(columns=head)
    for c in shown.columns:  # a blank text cell is "" (sorts and copies as blank), not None
        if shown[c].dtype == object or pd.api.types.is_string_dtype(shown[c]):
            shown[c] = shown[c].fillna("")
    kwargs.setdefault("placeholder", "")  # a missing number (a quarter not scored) shows blank, not "None"
    cfg = {head[c]: st.column_config.NumberColumn(format=v) if isinstance(v, str) else v
           for c, v in (config or {}).items()}
    if fit:
        kwargs["height"] = height(len(shown), None if fit is True else int(fit))
    data = style(shown, head) if style else shown
    return st.dataframe(data, hide_index=True, column_config=cfg, **kwargs)
