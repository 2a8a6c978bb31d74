"""基层评议 Reverse evaluation: how the grassroots rate the departments above them, anonymity kept."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.auth import Permission

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
                 criteria=ui.join(rv.criteria)))
df = views.reverse_rows(res.reverse, res.units, rv.excellent_floor)
c = st.columns(3)
c[0].metric(ui.t("rev.departments"), len(df), border=True)
c[1].metric(ui.t("rev.suppressed"), int(df["suppressed"].sum()), border=True)
c[2].metric(ui.t("rev.below"), int(df["below_floor"].sum()), border=True)

st.plotly_chart(charts.reverse_bar(df, rv.excellent_floor, L), key="rev_bar")
df["result"] = [ui.t("rev.hidden", k=rv.min_raters) if s else f"{v:.2f}" for s, v in zip(df["suppressed"], df["score"], strict=True)]
df["note"] = [ui.t("rev.capped", floor=rv.excellent_floor) if b else "" for b in df["below_floor"]]
ui.table(df, ["unit_name", "n_raters", "result", "note"], key="rev_table", fit=True)
st.caption(ui.t("rev.privacy"))
