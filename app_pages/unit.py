"""单位详情 Unit breakdown: where one unit's total comes from, how it compares, how it moved."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.auth import Permission

service = ui.require(Permission.VIEW_RESULTS, Permission.VIEW_OWN_UNIT)
period = ui.need_period()
res = ui.result(period)
model = res.model
L = ui.lang()
units = ui.visible_units(res.units)  # a unit account: its own unit, nothing else
names = dict(zip(units["unit_id"], units["unit_name"], strict=True))

# a unit chosen on the rankings page or given in the URL (?unit=JD01) opens directly
wanted = st.session_state.pop("unit_id", None)
if wanted is None and st.query_params.get("unit") != st.session_state.get("unit_qp"):
    wanted = st.query_params.get("unit")  # a link followed, not the echo of our own last choice
if wanted in names:
    st.session_state["unit_pick"] = wanted
if st.session_state.get("unit_pick") not in names:
    st.session_state["unit_pick"] = units.sort_values("rank_overall")["unit_id"].iloc[0]
uid = st.selectbox(ui.t("unit.pick"), list(names), key="unit_pick", format_func=lambda u: f"{names[u]} ({u})")
st.query_params["unit"] = st.session_state["unit_qp"] = uid
service.require_unit(uid)
row = units.set_index("unit_id").loc[uid].copy()
row["unit_id"] = uid

st.title(ui.md(f"{row['unit_name']} · {period}"), anchor=False)  # no anchor id made from data
st.caption(ui.t("unit.in_group", group=model.name_in(row["group"], L)))  # a metric box cut "City departments" at 1280 px
hist = views.trend(ui.history(uid))
last = hist[hist["period"] == period]
c = st.columns([1, 1, 1, 1.5])
c[0].metric(ui.t("col.total"), "—" if row["status"] != "ok" else f"{row['total']:.2f}", border=True,
            delta=None if last.empty or last["delta_total"].isna().all() else f"{last['delta_total'].iloc[0]:+.2f}")
c[1].metric(ui.t("col.rank_overall"), "—" if row["status"] != "ok" else int(row["rank_overall"]), border=True,
            delta=None if last.empty or last["rank_change"].isna().all() else int(last["rank_change"].iloc[0]))
c[2].metric(ui.t("col.rank_group"), "—" if row["status"] != "ok" else int(row["rank_group"]), border=True)
c[3].metric(ui.t("col.grade"), ui.md(views.grade_label(model, row["grade"], L)) or "—", border=True)
ui.quarter_state(service, period)
warn = ui.warnings(period, uid)
if len(warn):
    level = warn.iloc[0]["level"]
    box = {"red": st.error, "yellow": st.warning}.get(level, st.success)
    box(ui.t("warn.own", level=ui.warning_label(level)), icon=":material/notifications:")
    if warn.iloc[0]["rules"]:
        st.text(ui.warning_rules(warn.iloc[0]["rules"]))
for flag in row["flags"]:  # a veto reason is data
    (st.error if flag.code == "veto" else st.warning)(f"**{ui.flag_label(flag.code)}** — {ui.md(ui.flag_text(flag))}")

left, right = st.columns(2)
# figures and tables of a unit are the same for every session: built once per quarter, language and unit
left.plotly_chart(ui.derived("unit_dims", period, L, uid, compute=lambda: charts.dimension_compare(
    views.dimension_vs_group(res.units, uid), L)), key="dims")
detail = right.toggle(ui.t("unit.detail"), key="wf_detail")
right.plotly_chart(ui.derived("unit_waterfall", period, L, uid, detail, compute=lambda: charts.waterfall(
    views.waterfall_steps(res.breakdown, row, model, detail, L), L)), key="waterfall")

tabs = st.tabs([ui.t(k) for k in ("unit.tab_ind", "unit.tab_survey", "unit.tab_comp", "unit.tab_ex", "unit.tab_excl",
                                   "unit.tab_trend")])
with tabs[0]:
    ind = ui.derived("unit_indicators", period, L, uid, compute=lambda: views.indicator_rows(
        res.breakdown, uid, model, L).assign(weight=lambda d: d["weight"] * 100))
    ui.table(ind, ["category", "name", "raw", "unit", "score", "weight", "contribution", "rule", "note"], fit=True,
             config={"raw": "%.2f", "score": "%.1f", "weight": "%.2f%%", "contribution": "%.2f"})
    good, bad = ui.derived("unit_strengths", period, L, uid, compute=lambda: [df.assign(name=df["name"].map(
        lambda n: model.name_in(n, L))) for df in views.strengths_weaknesses(res.breakdown, res.units, uid)])
    a, b = st.columns(2)
    for col, title, df in ((a, "unit.strengths", good), (b, "unit.weaknesses", bad)):
        with col:
            ui.label(title)
            ui.table(df, ["name", "score", "group_mean", "gap"], config={"score": "%.1f", "group_mean": "%.1f", "gap": "%+.1f"})
with tabs[1]:
    stats = ui.derived("unit_survey", period, uid, compute=lambda: views.survey_stats(res.survey, uid))
    if stats is None:
        st.info(ui.t("unit.no_survey"))
    else:
        m = st.columns(5)
        m[0].metric(ui.t("unit.n_valid"), int(stats["n_valid"]))
        m[1].metric(ui.t("unit.n_unknown"), int(stats["n_unknown"]))
        m[2].metric(ui.t("unit.mean"), f"{stats['mean']:.2f}")
        m[3].metric(ui.t("unit.ci", level=model.survey.ci_level), f"{stats['ci_low']:.1f} – {stats['ci_high']:.1f}")
        m[4].metric(ui.t("unit.sat_rate"), f"{stats['satisfaction_rate']:.1%}")
        st.plotly_chart(ui.derived("unit_answers", period, L, uid, compute=lambda: charts.answer_bars(
            views.answer_shares(res.answers, uid, model, L), L)), key="answers")
    if (screen := views.survey_screen(res.survey, uid)) is not None:
        ui.label('unit.screen')
        st.caption(ui.t("unit.screen_text", **screen, policy=ui.t(f"straight.{model.survey.straight_lining}")))
        if screen["guarded"]:
            st.caption(ui.t("unit.screen_guarded"))
    if (rev := views.unit_reverse(res, uid)) is not None:
        ui.label('unit.reverse')
        result = ui.t("rev.hidden", k=model.reverse.min_raters) if rev["score"] is None else f"{rev['score']:.2f}"
        st.caption(ui.t("unit.reverse_text", n=rev["n_raters"], result=result,
                        rule=ui.t(f"rev.rule.{rev['rule']}") if rev["rule"] else ""))
        st.caption(ui.t("unit.reverse_policy", k=model.reverse.min_raters, rule=ui.t(f"rev.rule.{model.reverse.below_k}")))
        ui.show_reverse_source(period, res.units, "unit_participation")
with tabs[2]:
    comp = views.compliance_rows(res.compliance, uid, model, L)
    comp["status"] = comp["status"].map(lambda s: ui.t(f"status.{s}") if isinstance(s, str) else "")
    ui.table(comp, ["item", "status", "violations", "earned", "possible", "note"], config={"violations": "%d"})
    burden = views.burden_rows(res.burden, uid, model)
    if not burden.empty:
        ui.label('unit.burden')
        ui.table(burden, ["name", "value", "unit", "points"], config={"value": "%g", "points": "%.2f"})
with tabs[3]:
    ex = views.exemption_rows(res, L, uid)
    if ex.empty:
        st.info(ui.t("unit.no_exemptions"))
    else:
        st.caption(ui.t("unit.ex_caption"))
        ex["applied"] = ex["applied"].map(lambda b: "✓" if b else "")
        ui.table(ex, ["target", "reason", "document", "approved_on", "applied", "effect"],
                 labels={"target": ui.t("ex.target"), "reason": ui.t("ex.reason")}, key="unit_exemptions", fit=True)
with tabs[4]:
    st.caption(ui.t("unit.excl_caption"))
    ex = views.excluded_rows(res.excluded, L)
    ex["points"] = [ui.t("col.points") if o else ui.t("unit.no_points") for o in ex["overridden"]]
    ui.table(ex, ["column", "points", "reason", "file"])
with tabs[5]:
    hist["grade"] = hist["grade"].map(lambda g: views.grade_label(model, g, L))
    st.plotly_chart(ui.derived("unit_trend", period, L, uid, tuple(ui.state().published().items()),
                               compute=lambda: charts.trend_chart(hist, L)), key="trend")
    ui.table(hist, ["period", "total", "rank_overall", "rank_group", "grade", "delta_total"],
             config={"total": "%.2f", "delta_total": "%+.2f"})
