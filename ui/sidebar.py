"""The sidebar (language, quarter, model in use) and the selected quarter."""

from __future__ import annotations

import streamlit as st

from scoring import i18n
from ui.data import active_model, published_periods
from ui.state import t


def sidebar() -> None:
    with st.sidebar:
        st.radio(i18n.t("sidebar.lang", "zh") + " / " + i18n.t("sidebar.lang", "en"), ["zh", "en"], key="lang",
                 format_func=lambda x: {"zh": "中文", "en": "English"}[x], horizontal=True)
        periods = published_periods()[::-1]
        if (wanted := st.session_state.pop("period_next", None)) in periods:
            st.session_state["period"] = wanted
        if periods:
            if st.session_state.get("period") not in periods:
                st.session_state["period"] = periods[0]
            st.selectbox(t("sidebar.period"), periods, key="period")
        model = active_model().model
        st.caption(t("sidebar.model", name=model.name, version=model.version))


def period() -> str | None:
    return st.session_state.get("period")


def need_period() -> str:
    """The selected published quarter; stops the page with a note when there is none."""
    p = period()
    if p is None:
        st.info(t("common.no_published"))
        st.stop()
    return p
