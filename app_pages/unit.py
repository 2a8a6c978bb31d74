"""单位详情 Unit breakdown: where one unit's total comes from, how it compares, how it moved."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.pipeline import parse_flag

period = ui.need_period()
res = ui.result(period)
model = res.model
L = ui.lang()
units = res.units
names = dict(zip(units["unit_id"], units["unit_name"], strict=True))

# a unit chosen on the rankings page or given in the URL (?unit=JD01) opens directly
wanted = st.session_state.pop("unit_id", None)
if wanted is None and st.query_params.get("unit") != st.session_state.get("unit_qp"):
    wanted = st.query_params.get("unit")  # a link followed, not the echo of our own last choice
if wanted in names:
    st.session_state["unit_pick"] = wanted
if st.session_state.get("unit_pick") not in names:
    st.session_state["unit_pick"] = units.sort_values("rank_overall")["unit_id"].iloc[0]
uid = st.selectbox(ui.tr("unit.pick"), list(names), key="unit_pick", format_func=lambda u: f"{names[u]} ({u})")
st.query_params["unit"] = st.session_state["unit_qp"] = uid
row = units.set_index("unit_id").loc[uid].copy()
row["unit_id"] = uid

st.title(f"{row['unit_name']} · {period}")
hist = views.trend(ui.history(uid))
last = hist[hist["period"] == period]
c = st.columns(5)
c[0].metric(ui.tr("col.total"), "—" if row["status"] != "ok" else f"{row['total']:.2f}", border=True,
            delta=None if last.empty or last["delta_total"].isna().all() else f"{last['delta_total'].iloc[0]:+.2f}")
c[1].metric(ui.tr("col.rank_overall"), "—" if row["status"] != "ok" else int(row["rank_overall"]), border=True,
            delta=None if last.empty or last["rank_change"].isna().all() else int(last["rank_change"].iloc[0]))
c[2].metric(ui.tr("col.rank_group"), "—" if row["status"] != "ok" else int(row["rank_group"]), border=True)
c[3].metric(ui.tr("col.grade"), views.grade_label(model, row["grade"], L) or "—", border=True)
c[4].metric(ui.tr("col.group"), row["group"], border=True)
for kind, zh, en in map(parse_flag, row["flags"]):
    (st.error if kind == "veto" else st.warning)(f"**{ui.flag(kind)}** — {zh if L == 'zh' else en}")

left, right = st.columns(2)
left.plotly_chart(charts.dimension_compare(views.dimension_vs_group(units, uid), L), key="dims")
detail = right.toggle(ui.tr("unit.detail"), key="wf_detail")
right.plotly_chart(charts.waterfall(views.waterfall_steps(res.breakdown, row, model, detail), L), key="waterfall")

tabs = st.tabs([ui.tr(k) for k in ("unit.tab_ind", "unit.tab_survey", "unit.tab_comp", "unit.tab_excl", "unit.tab_trend")])
with tabs[0]:
    ind = views.indicator_rows(res.breakdown, uid, model)
    ind["rule"] = ind["rule_zh" if L == "zh" else "rule_en"]
    ind["weight"] = ind["weight"] * 100
    show = ui.cols("category", "name", "raw", "unit", "score", "weight", "contribution", "rule", "note")
    num = {show[k]: st.column_config.NumberColumn(format=f) for k, f in
           (("raw", "%.2f"), ("score", "%.1f"), ("weight", "%.2f%%"), ("contribution", "%.2f"))}
    st.dataframe(ind[list(show)].rename(columns=show), hide_index=True, column_config=num, height=38 + 35 * len(ind))
    good, bad = views.strengths_weaknesses(res.breakdown, units, uid)
    sw = ui.cols("name", "score", "group_mean", "gap")
    fmt = {v: st.column_config.NumberColumn(format="%+.1f" if k == "gap" else "%.1f") for k, v in sw.items() if k != "name"}
    a, b = st.columns(2)
    a.markdown(f"**{ui.tr('unit.strengths')}**")
    a.dataframe(good[list(sw)].rename(columns=sw), hide_index=True, column_config=fmt)
    b.markdown(f"**{ui.tr('unit.weaknesses')}**")
    b.dataframe(bad[list(sw)].rename(columns=sw), hide_index=True, column_config=fmt)
with tabs[1]:
    stats = views.survey_stats(res.survey, uid)
    if stats is None:
        st.info(ui.tr("unit.no_survey"))
    else:
        m = st.columns(5)
        m[0].metric(ui.tr("unit.n_valid"), int(stats["n_valid"]))
        m[1].metric(ui.tr("unit.n_unknown"), int(stats["n_unknown"]))
        m[2].metric(ui.tr("unit.mean"), f"{stats['mean']:.2f}")
        m[3].metric(ui.tr("unit.ci"), f"{stats['ci_low']:.1f} – {stats['ci_high']:.1f}")
        m[4].metric(ui.tr("unit.sat_rate"), f"{stats['satisfaction_rate']:.1%}")
        st.plotly_chart(charts.answer_bars(views.answer_shares(res.answers, uid, model), L), key="answers")
with tabs[2]:
    comp = views.compliance_rows(res.compliance, uid, model)
    comp["status"] = comp["status"].map(lambda s: ui.tr(f"status.{s}") if isinstance(s, str) else "")
    show = ui.cols("item", "status", "earned", "possible")
    st.dataframe(comp[list(show)].rename(columns=show), hide_index=True)
with tabs[3]:
    st.caption(ui.tr("unit.excl_caption"))
    ex = views.excluded_rows(res.excluded)
    ex["points"] = ui.tr("unit.no_points")
    ex["reason"] = ex["reason"].map(lambda r: r.split(" / ", 1)[0 if L == "zh" else -1])
    show = ui.cols("column", "points", "reason", "file")
    st.dataframe(ex[list(show)].rename(columns=show), hide_index=True)
with tabs[4]:
    hist["grade"] = hist["grade"].map(lambda g: views.grade_label(model, g, L))
    st.plotly_chart(charts.trend_chart(hist, L), key="trend")
    show = ui.cols("period", "total", "rank_overall", "rank_group", "grade", "delta_total")
    st.dataframe(hist[list(show)].rename(columns=show), hide_index=True,
                 column_config={show["total"]: st.column_config.NumberColumn(format="%.2f"),
                                show["delta_total"]: st.column_config.NumberColumn(format="%+.2f")})
