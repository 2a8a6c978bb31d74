"""基层评议 Reverse evaluation: how the grassroots rate the departments above them, anonymity kept."""

import streamlit as st

import ui
from scoring import charts, views

period = ui.need_period()
res = ui.result(period)
model = res.model
L = ui.lang()

st.title(ui.tr("rev.title", period=period))
if model.reverse is None or res.reverse.empty:
    st.info(ui.tr("rev.none"))
    st.stop()
rv = model.reverse
st.caption(ui.tr("rev.caption", k=rv.min_raters, share=rv.share, floor=rv.excellent_floor,
                 criteria=ui.join(rv.criteria)))
df = views.reverse_rows(res.reverse, res.units, rv.excellent_floor)
c = st.columns(3)
c[0].metric(ui.tr("rev.departments"), len(df), border=True)
c[1].metric(ui.tr("rev.suppressed"), int(df["suppressed"].sum()), border=True)
c[2].metric(ui.tr("rev.below"), int(df["below_floor"].sum()), border=True)

st.plotly_chart(charts.reverse_bar(df, rv.excellent_floor, L), key="rev_bar")
df["result"] = [ui.tr("rev.hidden", k=rv.min_raters) if s else f"{v:.2f}" for s, v in zip(df["suppressed"], df["score"], strict=True)]
df["note"] = [ui.tr("rev.capped", floor=rv.excellent_floor) if b else "" for b in df["below_floor"]]
show = ui.cols("unit_name", "n_raters", "result", "note")
st.dataframe(df[list(show)].rename(columns=show), hide_index=True, key="rev_table", height=38 + 35 * len(df))
st.caption(ui.tr("rev.privacy"))
