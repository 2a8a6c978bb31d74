"""数据导入 Import: upload a quarter's spreadsheets, see what they hold and what is wrong, store, publish."""

import streamlit as st

import ui
from scoring import period_hint, views
from scoring.auth import Permission
from scoring.inputs import is_period, next_period
from scoring.service import ImportBusy, default_announcement_end
from scoring.store import FileRecord
from scoring.templates import KINDS, SHEET_NAMES, template_bytes
from scoring.text import SanweiError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
L = ui.lang()
store = ui.store()
service = ui.require(Permission.IMPORT)
model = ui.active_model()
st.title(ui.t("imp.title"))
st.caption(ui.t("imp.caption", name=model.model.name, version=model.model.version))
if msg := st.session_state.pop("imp_flash", None):
    st.success(msg, icon=":material/check_circle:")

stored = list(store.periods()["period"])
names = [u.name for u in st.session_state.get("imp_files") or []]
if names != st.session_state.get("imp_named") and (said := period_hint.from_names(names)):
    st.session_state["imp_period"] = said  # new files that name their quarter preselect it
st.session_state["imp_named"] = names
st.session_state.setdefault("imp_period", next_period(stored[-1] if stored else None))
c = st.columns([1, 3])
period = c[0].text_input(ui.t("imp.period"), key="imp_period")
uploads = ui.file_uploader(c[1], ui.t("imp.files"), ["xlsx", "xlsm", "csv"], "imp_files", accept_multiple_files=True,
                           help=ui.t("imp.files_help"))
files = [(u.name, u.getvalue()) for u in uploads or []]
if len(files) > 6:  # the uploader shows two rows of chips and scrolls the rest: name them all here
    c[1].caption(ui.t("imp.chosen", n=len(files), names=ui.join(n for n, _ in files)))
period_ok = is_period(period)
if not period_ok:
    st.error(ui.t("imp.bad_period"))
override = bool(st.session_state.get("imp_override"))  # the box below, offered once the files disagree

if st.button(ui.t("imp.validate"), type="primary", disabled=not (files and period_ok), key="imp_validate",
             icon=":material/fact_check:"):
    st.session_state.pop("imp", None)  # the last check's previews go before new files are read
    with st.status(ui.t("imp.reading"), expanded=True) as status:
        st.write(ui.t("imp.reading_files", n=len(files)))
        try:  # each file is read in a memory- and time-limited child process (scoring.isolation)
            previews, inputs, report = service.check_uploads(period, files, model, override)
        except ImportBusy as err:
            status.update(label=ui.md(err.get(L)), state="error", expanded=False)
        else:
            status.update(label=ui.t("imp.checked", e=len(report.errors), w=len(report.warnings)),
                          state="complete" if report.ok else "error", expanded=False)
            # only previews (20 rows each) and the report stay in the session: the parsed tables
            # and validated inputs are dropped here; storing reads the uploads again
            st.session_state["imp"] = {"period": period, "previews": previews, "report": report, "ok": inputs is not None,
                                       "records": [FileRecord.of(n, d) for n, d in files], "override": override}
            del inputs

imp = st.session_state.get("imp")
if imp:
    st.subheader(ui.t("imp.preview"))
    tabs = st.tabs([ui.md(p["name"]) for p in imp["previews"]])
    for tab, p in zip(tabs, imp["previews"], strict=True):
        with tab:
            if p["error"] is not None:
                st.error(ui.t("imp.unreadable"))
                continue
            kind = ui.t(f"kind.{p['kind']}") if p["kind"] else ui.t("kind.unknown")
            st.caption(ui.t("imp.preview_caption", kind=kind, sheet=p["sheet"] or "", rows=p["rows"]))
            st.dataframe(p["head"], placeholder="", key=f"imp_head_{p['name']}")

    rep = imp["report"].to_frame()
    st.subheader(ui.t("imp.report"))
    m = st.columns(3)
    m[0].metric(ui.t("imp.errors"), len(imp["report"].errors))
    m[1].metric(ui.t("imp.warnings"), len(imp["report"].warnings))
    m[2].metric(ui.t("imp.files_n"), len(imp["previews"]))
    if rep.empty:
        st.success(ui.t("imp.clean"))
    else:
        f = st.columns(2)
        sev = f[0].multiselect(ui.t("imp.severity"), ["error", "warning", "info"], key="imp_sev",
                               format_func=lambda s: ui.t(f"sev.{s}"), placeholder=ui.t("rank.all"), select_all=False)
        fl = f[1].multiselect(ui.t("imp.file"), sorted(rep["file"].unique()), key="imp_file", placeholder=ui.t("rank.all"), select_all=False)
        view = views.report_view(rep, sev, fl, L)
        view["severity"] = view["severity"].map(lambda s: ui.t(f"sev.{s}"))
        # what an officer needs first fits at 1280 px: where, what is wrong, what to write instead
        order = ["severity", "file", "cell", "message", "suggestions", "expected", "header", "sheet", "value"]
        width = {"severity": 56, "file": 150, "cell": 56, "message": 330, "suggestions": 140, "expected": 160}
        ui.table(view, order, key="imp_report", config={c: st.column_config.TextColumn(width=w) for c, w in width.items()})
        sheet = ui.t("imp.report")  # the download callable runs outside the script: capture the name and table
        full = views.report_view(rep, None, None, L)
        full = full.assign(severity=full["severity"].map(lambda s: ui.t(f"sev.{s}"))).rename(columns=ui.headers(full.columns))
        st.download_button(ui.t("imp.report_download"), lambda: ui.xlsx_bytes({sheet: full}),
                           file_name=f"sanwei_{imp['period']}_report.xlsx", mime=XLSX, on_click="ignore",
                           key="imp_report_dl", icon=":material/download:")
    said = period_hint.agreed(e for p in imp["previews"] for e in p["periods"])
    if said and said != period or override:  # confirming another quarter than the files name: explicit
        st.checkbox(ui.t("imp.override", period=period, said=said or "—"), key="imp_override")
    if not imp["ok"]:
        st.error(ui.t("imp.blocked"))
    elif st.button(ui.t("imp.store"), type="primary", key="imp_store", icon=":material/save:"):
        if [FileRecord.of(n, d) for n, d in files] != imp["records"]:
            st.error(ui.t("imp.changed"))
        else:
            try:
                with st.spinner(ui.t("imp.storing")):
                    v, report = service.import_files(imp["period"], files, model, imp["override"])
            except ImportBusy as err:
                st.error(ui.md(err.get(L)))
            else:
                if v is None:  # the model or the roster changed since the check
                    imp.update(report=report, ok=False)
                    st.rerun()
                st.session_state["imp_flash"] = ui.t("imp.stored", period=v.period, version=v.number)
                st.session_state["imp_pub_period"] = v.period
                st.session_state[f"imp_pub_version_{v.period}"] = v.number  # offer the new draft for publishing
                del st.session_state["imp"]
                st.rerun()

st.divider()
known = list(store.periods()["period"])[::-1]
if known:
    st.subheader(ui.t("imp.versions"))
    pp = st.session_state.pop("imp_pub_period", None)
    if pp in known:
        st.session_state["imp_hist_period"] = pp
    hp = st.selectbox(ui.t("imp.period"), known, key="imp_hist_period")
    versions = service.versions(hp)
    vt = views.version_rows(versions)
    vt["published"] = vt["published"].map(lambda b: "✓" if b else "")
    ui.table(vt, list(vt.columns), key="imp_versions")
    current = next((v.number for v in versions if v.published), None)

    c = st.columns([1, 1, 3])
    number = c[0].selectbox(ui.t("imp.pick_version"), [v.number for v in versions][::-1], key=f"imp_pub_version_{hp}")
    if c[1].button(ui.t("imp.publish"), key="imp_publish", icon=":material/publish:",
                   disabled=not service.actor.can(Permission.PUBLISH)):
        st.session_state["imp_confirming"] = (hp, number)
    if st.session_state.get("imp_confirming") == (hp, number):
        with st.container(border=True):  # publishing (or rolling back) is confirmed, with a reason kept with the version
            ui.label('imp.confirm_title')
            st.write(ui.t("imp.confirm_text", period=hp, version=number,
                          current=current if current is not None else ui.t("imp.none_published")))
            if current is not None and number < current:
                st.warning(ui.t("imp.rollback_text"), icon=":material/history:")
            reason = st.text_area(ui.t("imp.reason"), key="imp_reason", max_chars=500)
            a = st.columns([1, 1, 2])
            announce = a[0].checkbox(ui.t("imp.announce"), key="imp_announce",
                                     value=store.announcement(hp) is None)  # a first publication usually opens one
            until = a[1].date_input(ui.t("imp.announce_until"), key="imp_announce_until",
                                    value=default_announcement_end(store.model(hp, number)), disabled=not announce)
            c = st.columns([1, 1, 4])
            if c[0].button(ui.t("imp.confirm"), type="primary", key="imp_confirm"):  # the service checks the reason
                try:
                    service.publish(hp, number, reason, until if announce else None)
                except SanweiError as err:  # e.g. publishing would reveal raters by differencing
                    st.error(ui.md(err.get(L)), icon=":material/error:")
                else:
                    del st.session_state["imp_confirming"], st.session_state["imp_reason"]
                    st.session_state["imp_flash"] = ui.t("imp.published", period=hp, version=number)
                    st.session_state["period_next"] = hp
                    st.rerun()
            if c[1].button(ui.t("imp.cancel"), key="imp_cancel"):
                del st.session_state["imp_confirming"]
                st.rerun()
    hist = views.import_rows(store.imports(hp), ui.lang())
    ui.label('imp.history')
    ui.table(hist, list(hist.columns), key="imp_history")

st.subheader(ui.t("imp.templates"))
t = st.columns(len(KINDS))
for col, kind in zip(t, KINDS, strict=True):
    col.download_button(ui.t(f"kind.{kind}"), lambda kind=kind: template_bytes(kind, model), file_name=f"{SHEET_NAMES[kind]}_template.xlsx",
                        mime=XLSX, key=f"tpl_{kind}", icon=":material/download:", on_click="ignore")
