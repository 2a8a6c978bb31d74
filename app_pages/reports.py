"""反馈报告 Feedback reports: each unit's 考核结果反馈单 (PDF, Word); every unit's at once (zip) for
officers; the 公示 list (PDF, xlsx). A unit account downloads its own report only."""

import streamlit as st

import ui
from scoring.auth import Permission as P
from scoring.text import SanweiError

PDF, DOCX = "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX, ZIP = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"

service = ui.require(P.VIEW_RESULTS, P.VIEW_OWN_UNIT)
period = ui.need_period()
L = ui.lang()
res = ui.result(period)
st.title(ui.t("rp.title", period=period))
st.caption(ui.t("rp.caption"))
ui.quarter_state(service, period)

units = ui.visible_units(res.units)  # a unit account: its own unit, nothing else
names = dict(zip(units["unit_id"], units["unit_name"], strict=True))
uid = st.selectbox(ui.t("rp.unit"), list(names), key="rp_unit", format_func=lambda u: f"{names[u]} ({u})")
service.require_unit(uid)

c = st.columns(2)
for col, kind, mime, key in ((c[0], "pdf", PDF, "rp_pdf"), (c[1], "docx", DOCX, "rp_docx")):
    # made on click, outside the script run, from values captured here; the service checks the account again
    col.download_button(ui.t(f"rp.{kind}"), lambda kind=kind, uid=uid: service.feedback_report(period, uid, kind, L, res),
                        file_name=f"{period}_{uid}_feedback.{kind}", mime=mime, key=key, on_click="ignore",
                        icon=":material/description:", type="primary" if kind == "pdf" else "secondary")

if service.actor.can(P.BATCH_REPORTS):
    st.subheader(ui.t("rp.batch"))
    made = st.session_state.get("rp_zip")
    if st.button(ui.t("rp.batch_make"), key="rp_batch", icon=":material/folder_zip:"):
        with st.status(ui.t("rp.making"), expanded=True) as status:
            bar = st.progress(0.0)

            def progress(i: int, n: int, name: str) -> None:
                bar.progress(i / max(n, 1), text=ui.t("rp.batch_progress", name=ui.md(name), i=i + 1, n=n) if name else "")
            try:
                data = service.feedback_zip(period, L, res, progress)
            except SanweiError as err:
                status.update(state="error")
                st.error(ui.md(err.get(L)))
            else:
                made = st.session_state["rp_zip"] = (period, L, data)
                status.update(label=ui.t("rp.batch_done", n=len(res.units)), state="complete", expanded=False)
    if made and made[0] == period:
        st.download_button(ui.t("rp.batch_download"), made[2], file_name=f"{period}_feedback_reports.zip", mime=ZIP,
                           key="rp_zip_dl", on_click="ignore", icon=":material/download:")

if service.actor.can(P.VIEW_RESULTS) or service.announcement(period) is not None:
    st.subheader(ui.t("rp.notice"))
    c = st.columns(2)
    c[0].download_button(ui.t("rp.notice_pdf"), lambda: service.announcement_list(period, "pdf", L),
                         file_name=f"{period}_announcement.pdf", mime=PDF, key="rp_notice_pdf", on_click="ignore",
                         icon=":material/campaign:")
    c[1].download_button(ui.t("rp.notice_xlsx"), lambda: service.announcement_list(period, "xlsx", L),
                         file_name=f"{period}_announcement.xlsx", mime=XLSX, key="rp_notice_xlsx", on_click="ignore",
                         icon=":material/table:")
