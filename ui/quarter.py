"""The state of a published quarter (公示中, 复核中, final) and early-warning labels, as pages show them."""

from __future__ import annotations

import streamlit as st

from scoring.service import ANNOUNCING, Service
from ui.state import lang, t

ICONS = {"red": "🔴", "yellow": "🟡", "green": "🟢"}


def quarter_state(service: Service, period: str) -> str:
    """Show (and return) what the published result of `period` is now; the text holds dates only."""
    state, notice = service.period_status(period)
    if state == ANNOUNCING:
        st.info(t("state.announcing", start=notice.starts_on, end=notice.ends_on) + " · "
                + t("state.appeal_until", date=notice.appeal_until), icon=":material/campaign:")
    elif state == "reviewing":
        st.warning(t("state.reviewing"), icon=":material/gavel:")
    elif state == "final":
        st.success(t("state.final"), icon=":material/verified:")
    return state


def warning_label(level: str) -> str:
    return f"{ICONS.get(level, '')} {t(f'warn.{level}')}"


def warning_rules(rules) -> str:
    """The rules that fired, in the session's language, as one line of plain text."""
    return "；".join(f.text.get(lang()) for f in rules) if lang() == "zh" else "; ".join(f.text.get("en") for f in rules)
