"""The state of a published quarter (公示中, 复核中, final) and early-warning labels, as pages show them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from scoring import views
from scoring.i18n import clauses
from scoring.service import ANNOUNCING, Service
from ui.data import db
from ui.data import reverse_source as reverse_source_of
from ui.data import state as store_state
from ui.shared import shared
from ui.state import lang, t
from ui.table import table

ICONS = {"red": "🔴", "yellow": "🟡", "green": "🟢"}


def quarter_state(service: Service, period: str) -> str:
    """Show (and return) what the published result of `period` is now; the text holds dates only."""
    service.require_results()  # (checked here: a shared hit does not call the service)
    st_ = store_state()
    state, notice = shared(("period_status", db(), period, st_.publications, st_.appeals, date.today().isoformat()),
                           lambda: service.period_status(period), quiet=True)
    if state == ANNOUNCING:
        st.info(t("state.announcing", start=notice.starts_on, end=notice.ends_on) + " · "
                + t("state.appeal_until", date=notice.appeal_until), icon=":material/campaign:")
    elif state == "reviewing":
        st.warning(t("state.reviewing"), icon=":material/gavel:")
    elif state == "final":
        st.success(t("state.final"), icon=":material/verified:")
    return state


def show_reverse_source(period: str, units: pd.DataFrame, key: str, folded: bool = False) -> pd.DataFrame | None:
    """Show where the published reverse ratings came from and, for an online round, each rater unit's
    participation (in an expander when `folded`); returns that table (None for a spreadsheet)."""
    line, part = views.reverse_source(*reverse_source_of(period), units, lang())
    st.caption(line)
    if part is not None:
        with st.expander(t("rev.participation")) if folded else st.container():
            table(part, ["unit_name", "issued", "cast", "rate"], config={"rate": "percent"}, fit=True, key=key)
    return part


def warning_icon(level: str) -> str:
    """The level's coloured dot alone, for a narrow column."""
    return ICONS.get(level, "")


def warning_label(level: str) -> str:
    return f"{warning_icon(level)} {t(f'warn.{level}')}"


def warning_rules(rules) -> str:
    """The rules that fired, in the session's language, as one line of plain text."""
    return clauses((f.text.get(lang()) for f in rules), lang())
