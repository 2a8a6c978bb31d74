"""基层评议 Reverse evaluation: how the grassroots rate the departments above them, anonymity kept."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.auth import Permission

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ui.require(Permission.VIEW_RESULTS)
period = ui.need_period()
res = ui.result(period)
model = res.model
L = ui.lang()

st.title(ui.t("rev.title", period=period))
if model.reverse is None or res.reverse.empty:
    st.info(ui.t("rev.none"))
    st.stop()
rv = model.reverse
st.caption(ui.t("rev.caption", k=rv.min_raters, share=rv.share, floor=rv.excellent_floor,
                 criteria=ui.join(model.name_in(c, L) for c in rv.criteria)))
st.caption(ui.t(f"rev.cycle.{rv.cycle}", share=rv.share))
st.caption(ui.t("rev.below_k", k=rv.min_raters, rule=ui.t(f"rev.rule.{rv.below_k}")))
participation = ui.show_reverse_source(period, res.units, "rev_participation", folded=True)
df = views.reverse_rows(res.reverse, res.units, rv.excellent_floor)
c = st.columns(3)
c[0].metric(ui.t("rev.departments"), len(df), border=True)
c[1].metric(ui.t("rev.suppressed"), int(df["suppressed"].sum()), border=True)
c[2].metric(ui.t("rev.below"), int(df["below_floor"].sum()), border=True)

st.plotly_chart(charts.reverse_bar(df, rv.excellent_floor, L), key="rev_bar")

st.subheader(ui.t("rev.leader"))
st.caption(ui.t("rev.leader_caption"))
report = views.reverse_report(res, L)
report["result"] = [ui.t("rev.hidden", k=rv.min_raters) if s else f"{v:.2f}"
                    for s, v in zip(report["suppressed"], report["score"], strict=True)]
report["note"] = [ui.t("rev.capped", floor=rv.excellent_floor) if b else "" for b in report["below_floor"]]
criteria = list(rv.criteria)
ui.table(report, ["unit_name", "n_raters", "result", *criteria, "rule", "used", "note", "grade"],
         labels={c: model.name_in(c, L) for c in criteria}, config={**{c: "%.1f" for c in criteria}, "used": "%.2f"},
         key="rev_table", fit=True)
sheet = ui.t("nav.reverse")
shown = report.drop(columns=["result", "note"])
shown = shown.rename(columns=ui.headers(shown.columns, {c: model.name_in(c, L) for c in criteria}))
sheets = {sheet: shown} if participation is None else {sheet: shown, ui.t("rev.participation"): participation}
st.download_button(ui.t("rev.download"), lambda: ui.xlsx_bytes(sheets), file_name=f"sanwei_{period}_reverse.xlsx",
                   mime=XLSX, on_click="ignore", key="rev_download", icon=":material/download:")
st.caption(ui.t("rev.privacy"))
