"""The session's language and the one translation function the pages use (`t`)."""

from __future__ import annotations

import streamlit as st

from scoring import i18n
from scoring.flags import Flag


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **values) -> str:
    """The UI string `key` in the session's language (scoring.i18n.t)."""
    return i18n.t(key, lang(), **values)


def flag_label(code: str) -> str:
    return i18n.flag_label(code, lang())


def flag_text(flag: Flag) -> str:
    return i18n.flag_text(flag, lang())


def join(items) -> str:
    return i18n.join(items, lang())
