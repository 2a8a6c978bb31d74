"""申诉复核 Appeals: a unit files an appeal against one item of its published result during the 公示;
officers read the queue and the evidence, decide with a written reply, and turn an accepted appeal
into a corrected version (published on 数据导入 by the usual rules). Data (reasons, replies, file
names) is shown as text only; evidence is offered only as an attachment download."""

import pandas as pd
import streamlit as st

import ui
from scoring import evidence
from scoring.auth import Permission as P
from scoring.text import SanweiError

service = ui.require(P.FILE_APPEAL, P.VIEW_APPEALS)
period = ui.need_period()
L = ui.lang()
st.title(ui.t("ap.title", period=period))
ui.quarter_state(service, period)
if msg := st.session_state.pop("ap_flash", None):
    st.success(msg, icon=":material/check_circle:")


def label(targets: dict, target: str) -> str:
    pair = targets.get(target)
    return pair[1 if L == "en" else 0] if pair else target


def details(appeal, targets: dict) -> None:
    """One appeal as plain text, with its evidence as attachment downloads."""
    with st.container(border=True):
        st.text(f"#{appeal.id} · {appeal.unit_id} · {label(targets, appeal.target)} · "
                f"{ui.t('ap.status.' + appeal.status)}")
        st.text(f"{ui.t('col.appeal_reason')}: {appeal.reason}")
        if appeal.reply:
            st.text(f"{ui.t('col.reply')}: {appeal.reply}")
        for f in appeal.files:  # read on click; served as an attachment with the type its content was recognised as
            st.download_button(ui.t("ap.download", name=f.file_name),  # a button label is plain text
                               lambda a=appeal.id, seq=f.seq: service.evidence(a, seq)[2], file_name=f.file_name,
                               mime=f.content_type, key=f"ap_ev_{appeal.id}_{f.seq}", icon=":material/attach_file:",
                               on_click="ignore")


def listing(appeals, targets_of) -> pd.DataFrame:
    return pd.DataFrame([{
        "appeal": a.id, "unit_id": a.unit_id, "appeal_target": label(targets_of(a.unit_id), a.target),
        "filed_at": a.filed_at[:16].replace("T", " "), "status": ui.t(f"ap.status.{a.status}"),
        "reply": a.reply or "", "correction": "" if a.correction_version is None else str(a.correction_version)}
        for a in appeals],
        columns=["appeal", "unit_id", "appeal_target", "filed_at", "status", "reply", "correction"])


# ---------------------------------------------------------------- a unit files and follows its appeals
if service.actor.can(P.FILE_APPEAL) and service.actor.unit_id:
    uid = service.actor.unit_id
    try:
        targets = service.appeal_targets(period, uid)
    except SanweiError:
        targets = {}
    notice = service.announcement(period)
    st.subheader(ui.t("ap.file"))
    if notice is None:
        st.info(ui.t("ap.closed", period=period, why=ui.t("ap.not_announced")))
    elif targets:
        target = st.selectbox(ui.t("ap.target"), list(targets), key="ap_target", format_func=lambda x: label(targets, x))
        reason = st.text_area(ui.t("ap.reason"), key="ap_reason", max_chars=2000)
        uploads = ui.file_uploader(st, ui.t("ap.files", mb=evidence.MAX_FILE_BYTES >> 20, n=evidence.MAX_FILES),
                                   evidence.EXTENSIONS, "ap_files", max_mb=evidence.MAX_FILE_BYTES >> 20,
                                   accept_multiple_files=True)
        st.caption(ui.t("state.appeal_until", date=notice.appeal_until))
        if st.button(ui.t("ap.submit"), type="primary", key="ap_submit", icon=":material/send:"):
            try:  # the service checks the window, the item, the reason and every file
                number = service.file_appeal(period, target, reason, [(u.name, u.getvalue()) for u in uploads or []])
            except SanweiError as err:
                st.error(ui.md(err.get(L)), icon=":material/error:")
            else:
                st.session_state["ap_flash"] = ui.t("ap.filed", id=number)
                for k in ("ap_reason", "ap_files"):
                    st.session_state.pop(k, None)
                st.rerun()
    mine = service.appeals(period)
    st.subheader(ui.t("ap.mine"))
    if not mine:
        st.caption(ui.t("ap.none"))
    else:
        ui.table(listing(mine, lambda _: targets), ["appeal", "appeal_target", "filed_at", "status", "reply", "correction"],
                 labels={"status": ui.t("col.state")},
                 key="ap_mine", fit=True)
        for a in mine:
            details(a, targets)

# ---------------------------------------------------------------- officers: the queue and decisions
if service.actor.can(P.VIEW_APPEALS):
    queue = service.appeals(period)
    cache: dict[str, dict] = {}

    def targets_of(unit_id: str) -> dict:
        if unit_id not in cache:
            try:
                cache[unit_id] = service.appeal_targets(period, unit_id)
            except SanweiError:
                cache[unit_id] = {}
        return cache[unit_id]

    st.subheader(ui.t("ap.queue"))
    if not queue:
        st.caption(ui.t("ap.none"))
        st.stop()
    ui.table(listing(queue, targets_of), ["appeal", "unit_id", "appeal_target", "filed_at", "status", "reply", "correction"],
             labels={"status": ui.t("col.state")},
             key="ap_queue", fit=True)
    ids = [a.id for a in queue]
    wanted = st.session_state.get("ap_pick")
    pick = st.selectbox(ui.t("ap.pick"), ids, index=ids.index(wanted) if wanted in ids else len(ids) - 1, key="ap_pick",
                        format_func=lambda i: f"#{i}")
    appeal = next(a for a in queue if a.id == pick)
    details(appeal, targets_of(appeal.unit_id))
    if service.actor.can(P.DECIDE_APPEAL) and appeal.status == "filed":
        ui.label('ap.decide')
        reply = st.text_area(ui.t("ap.reply"), key=f"ap_reply_{appeal.id}", max_chars=2000)
        c = st.columns([1, 1, 4])
        for col, accept, key in ((c[0], True, "ap_accept"), (c[1], False, "ap_reject")):
            if col.button(ui.t("ap.accept" if accept else "ap.reject"), key=key, type="primary" if accept else "secondary"):
                try:
                    service.decide_appeal(appeal.id, accept, reply)
                except SanweiError as err:
                    st.error(ui.md(err.get(L)), icon=":material/error:")
                else:
                    st.session_state["ap_flash"] = ui.t("ap.decided", id=appeal.id)
                    st.rerun()
    if service.actor.can(P.DECIDE_APPEAL) and service.actor.can(P.IMPORT) and appeal.status == "accepted" \
            and appeal.correction_version is None:
        ui.label('ap.correct')
        value = st.text_input(ui.t("ap.correct_value"), key=f"ap_value_{appeal.id}", help=ui.t("ap.correct_help"))
        if st.button(ui.t("ap.correct"), key="ap_correct", type="primary", icon=":material/edit_note:"):
            try:
                v = service.correct_appeal(appeal.id, value)
            except SanweiError as err:
                st.error(ui.md(err.get(L)), icon=":material/error:")
            else:
                st.session_state["ap_flash"] = ui.t("ap.corrected", period=v.period, version=v.number, id=appeal.id)
                st.session_state["imp_pub_period"] = v.period  # the import page offers it for publishing
                st.session_state[f"imp_pub_version_{v.period}"] = v.number
                st.rerun()
