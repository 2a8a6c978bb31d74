"""评议票 The anonymous ballot a cadre opens from a QR code on a phone: no sign-in (the one-time token in
the link is the credential), one narrow column, one radio row per question, nothing typed."""

import hashlib

import streamlit as st

import ui
from scoring.rounds import BallotRefused
from scoring.service import Service

st.set_page_config(layout="centered", initial_sidebar_state="collapsed")
L = ui.lang()
token = st.query_params.get("t", "")
client = st.context.ip_address or "unknown"
done = "_ballot_done"  # the digest of the token this session has just cast

st.title(ui.t("ballot.title"), anchor=False)
if not token:
    st.info(ui.t("ballot.missing"))
    st.stop()
if st.session_state.get(done) == hashlib.sha256(token.encode()).hexdigest():
    st.success(ui.t("ballot.done"), icon=":material/check_circle:")
    st.stop()
try:
    rnd, unit, names = Service.ballot(ui.store(), token, client)
except BallotRefused as err:
    st.error(err.get(L), icon=":material/block:")
    st.stop()

st.caption(ui.t("ballot.intro", period=rnd.period, n=len(rnd.departments), unknown=rnd.scale[-1]))
st.caption(ui.t("ballot.per_unit", unit=names[unit]) if rnd.per_unit else ui.t("ballot.no_unit"))
slot = st.empty()  # the form, replaced by the thanks in the same run once the ballot is cast
with slot.form("ballot"):
    answers = {}
    for n, dept in enumerate(rnd.departments, 1):
        st.subheader(ui.t("ballot.dept", n=n, name=names[dept]), anchor=False, divider="gray")
        answers[dept] = [st.radio(ui.md(c), rnd.scale, index=None, horizontal=True, format_func=ui.md,
                                  key=f"ballot_{n}_{j}") for j, c in enumerate(rnd.criteria)]
    submitted = st.form_submit_button(ui.t("ballot.submit"), type="primary", width="stretch")
if submitted:
    try:
        Service.submit_ballot(ui.store(), token, answers, client)
    except BallotRefused as err:
        st.error(err.get(L), icon=":material/error:")
    else:
        st.session_state[done] = hashlib.sha256(token.encode()).hexdigest()
        slot.success(ui.t("ballot.done"), icon=":material/check_circle:")
