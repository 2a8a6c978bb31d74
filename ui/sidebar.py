"""The sidebar: language, who is signed in, the quarter, and which version of it is published."""

from __future__ import annotations

import streamlit as st

from scoring import i18n
from scoring.auth import Permission
from scoring.service import Service
from ui.data import active_model, published_info, published_periods
from ui.session import sign_out
from ui.state import LANGS, lang, set_lang, t


def language(service: Service | None) -> None:
    """The language switch; a change is kept in the URL and, when signed in, on the account."""
    st.session_state["lang_choice"] = lang()  # the widget follows the session's language on every page

    def changed() -> None:
        set_lang(st.session_state["lang_choice"])
        if service is not None:
            service.set_language(st.session_state["lang_choice"])

    st.radio(i18n.t("sidebar.lang", "zh") + " / " + i18n.t("sidebar.lang", "en"), LANGS, key="lang_choice",
             format_func=lambda x: {"zh": "中文", "en": "English"}[x], horizontal=True, on_change=changed)
    if st.query_params.get("lang") != lang():
        st.query_params["lang"] = lang()


def sidebar(service: Service | None) -> None:
    with st.sidebar:
        language(service)
        if service is None:
            return
        actor = service.actor
        st.caption(t("sidebar.signed_in", name=actor.name,
                     roles=i18n.join((t(f"role.{r}") for r in sorted(actor.roles)), lang())))
        st.button(t("sidebar.sign_out"), on_click=sign_out, icon=":material/logout:", key="sign_out")
        periods = published_periods()[::-1]
        if (wanted := st.session_state.pop("period_next", None)) in periods:
            st.session_state["period"] = wanted
        if periods:
            if st.session_state.get("period") not in periods:
                st.session_state["period"] = periods[0]
            st.selectbox(t("sidebar.period"), periods, key="period")
            published(st.session_state["period"])
        if actor.can(Permission.IMPORT) or actor.can(Permission.DRAFT_MODEL):
            model = active_model().model
            st.caption(t("sidebar.model", name=active_model().name_in(model.name, lang()), version=model.version))


def published(period: str) -> None:
    """Which version of the quarter everyone sees: number, when, by whom, under which model."""
    v = published_info(period)
    st.caption(t("sidebar.published", period=period, version=v.number, at=(v.published_at or "")[:16].replace("T", " "),
                 who=v.published_by or "", model=active_model().name_in(v.model_name, lang()), model_version=v.model_label))


def period() -> str | None:
    return st.session_state.get("period")


def need_period() -> str:
    """The selected published quarter; stops the page with a note when there is none."""
    p = period()
    if p is None:
        st.info(t("common.no_published"))
        st.stop()
    return p
