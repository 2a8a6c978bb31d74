"""The session's language and the one translation function the pages use (`t`).

The language lives in the session under `_lang` (not a widget key, so it survives every page
switch) and in the URL (`?lang=en`, so it survives a reload and a shared link); a signed-in
account also keeps it as its preference.
"""

from __future__ import annotations

import streamlit as st

from scoring import i18n, plain
from scoring.flags import Flag

LANGS = ("zh", "en")


def lang() -> str:
    state = st.session_state
    if state.get("_lang") not in LANGS:
        asked = st.query_params.get("lang")
        state["_lang"] = asked if asked in LANGS else "zh"
    return state["_lang"]


def set_lang(value: str) -> None:
    if value in LANGS:
        st.session_state["_lang"] = value
        st.query_params["lang"] = value


def t(key: str, **values) -> str:
    """The UI string `key` in the session's language (scoring.i18n.t). UI strings are markdown;
    the text values filled in are data (names, file names, periods) and shown as text (`md`)."""
    return i18n.t(key, lang(), **{k: md(v) if isinstance(v, str) else v for k, v in values.items()})


def label(key: str, level: int = 0, **values) -> None:
    """A bold label (or a heading of `level`): the UI string `key`, its values shown as text (`t`)."""
    text = t(key, **values)
    st.markdown("#" * level + " " + text if level else "**" + text + "**")


def md(value: object) -> str:
    """Data shown where Streamlit renders markdown (titles, captions, banners, tabs, metrics, radio
    and segmented-control options): as text, never as a link, image, formula or HTML."""
    return plain.markdown(value)


def flag_label(code: str) -> str:
    return i18n.flag_label(code, lang())


def flag_text(flag: Flag) -> str:
    return i18n.flag_text(flag, lang())


def join(items) -> str:
    return i18n.join(items, lang())
