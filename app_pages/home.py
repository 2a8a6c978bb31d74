"""首页 Home: the published quarter at a glance and the model in plain words."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.auth import Permission

service = ui.require(Permission.VIEW_RESULTS)
period = ui.need_period()
res = ui.result(period)
model = res.model
rk = ui.rankings(period)
L = ui.lang()
labels = {t.label: views.grade_label(model, t.label, L) for t in model.grades.tier}


def build():
    """The headline, movers, veto cases and the grade chart: built once per quarter and language
    for every session (ui.derived), not on each rerun."""
    counts = views.grade_counts(rk, model.tier_labels(), by="group")
    counts["group"] = counts["group"].map(lambda g: model.name_in(g, L))  # grades stay tiers: the chart names them
    up, down = views.movers(rk)
    arrows = [views.in_words(df, model, L).assign(
        both=[views.change_text(r, d) for r, d in zip(df["rank_change"], df["delta_total"], strict=True)]) for df in (up, down)]
    vetoes = views.in_words(views.veto_cases(rk), model, L)
    return (views.headline(rk), charts.grade_bar(counts, model.tier_labels(), labels, L, by="group"),
            arrows, vetoes)


head, grade_fig, (up, down), vetoes = ui.derived("home_page", period, L, compute=build)

st.title(ui.t("home.title", period=period))
st.caption(ui.t("home.subtitle", model=model.name_in(model.model.name, L), version=model.model.version))
ui.quarter_state(service, period)

c = st.columns(4)
c[0].metric(ui.t("home.units"), head["n_units"], border=True)
c[1].metric(ui.t("home.ranked"), head["n_ranked"], border=True,
            help=ui.t("home.incomplete_help", n=head["n_incomplete"]))
c[2].metric(ui.t("home.mean_total"), f"{head['mean_total']:.2f}" if head["n_ranked"] else "—", border=True)
c[3].metric(ui.t("home.veto"), head["n_veto"], border=True)

left, right = st.columns([1.1, 1])
with left:
    st.plotly_chart(grade_fig, key="grades")
with right:
    prev = head["previous_period"]
    if prev:
        ui.label("home.movers", 5, prev=prev)
    else:
        ui.label("home.movers_title", 5)
    if prev is None:  # the first published quarter: nothing to compare with
        st.caption(ui.t("home.movers_first"))
    for title, df in zip(("home.risers", "home.fallers"), (up, down) if prev else (), strict=False):
        ui.label(title)
        if df.empty:
            st.caption(ui.t("common.none"))
            continue
        ui.table(df, ["unit_name", "group", "rank_overall", "both"],  # fits half a 1280 px page
                 labels={"rank_overall": ui.t("rank.h.rank"), "group": ui.t("rank.h.group")},
                 config={"unit_name": st.column_config.TextColumn(width=130),
                         "group": st.column_config.TextColumn(width=112 if L == "en" else 76),
                         "rank_overall": st.column_config.NumberColumn(width=52, help=ui.t("col.rank_overall")),
                         "both": st.column_config.TextColumn(width=84, help=ui.t("rank.change_help_both"))})

st.subheader(ui.t("warn.title"))
st.caption(ui.t("warn.caption"))
warn = ui.warnings(period)
w = st.columns(3)
for col, level in zip(w, ("red", "yellow", "green"), strict=True):
    col.metric(ui.warning_label(level), int((warn["level"] == level).sum()), border=True)
flagged = warn[warn["level"] != "green"].assign(level=lambda d: d["level"].map(ui.warning_label),
                                               rules=lambda d: d["rules"].map(ui.warning_rules))
if flagged.empty:
    st.caption(ui.t("warn.none"))
else:
    ui.table(flagged, ["level", "unit_name", "group", "rules"], key="home_warnings", fit=420)

st.subheader(ui.t("home.veto_cases"))
if vetoes.empty:
    st.caption(ui.t("home.no_veto"))
else:
    ui.table(vetoes, ["unit_name", "group", "total", "grade", "veto", "waived"], config={"total": "%.2f"})

st.divider()
w = {d: round(v * 100) for d, v in model.weights.items()}
tiers = ui.join(f"{labels[t.label]} ≥ {t.min:g}" for t in model.grades.tier)
st.subheader(ui.t("home.model_title"))
st.markdown(ui.t("home.model_text", mass=w["mass"], performance=w["performance"], compliance=w["compliance"],
                  tiers=tiers))
st.info(ui.t("home.formalism"), icon=":material/block:")
