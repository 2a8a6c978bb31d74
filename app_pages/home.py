"""首页 Home: the published quarter at a glance and the model in plain words."""

import streamlit as st

import ui
from scoring import charts, views

period = ui.need_period()
res = ui.result(period)
model = res.model
rk = ui.rankings(period)
head = views.headline(rk)
L = ui.lang()
labels = {t.label: views.grade_label(model, t.label, L) for t in model.grades.tier}

st.title(ui.tr("home.title", period=period))
st.caption(ui.tr("home.subtitle", model=model.model.name, version=model.model.version))

c = st.columns(4)
c[0].metric(ui.tr("home.units"), head["n_units"], border=True)
c[1].metric(ui.tr("home.ranked"), head["n_ranked"], border=True,
            help=ui.tr("home.incomplete_help", n=head["n_incomplete"]))
c[2].metric(ui.tr("home.mean_total"), f"{head['mean_total']:.2f}" if head["n_ranked"] else "—", border=True)
c[3].metric(ui.tr("home.veto"), head["n_veto"], border=True)

left, right = st.columns([1.1, 1])
with left:
    counts = views.grade_counts(rk, model.tier_labels(), by="group")
    st.plotly_chart(charts.grade_bar(counts, model.tier_labels(), labels, L, by="group"), key="grades")
with right:
    st.markdown(f"##### {ui.tr('home.movers', prev=head['previous_period'] or '—')}")
    up, down = views.movers(rk)
    shown = ui.cols("unit_name", "group", "rank_overall", "change", "delta_total")
    for title, df in ((ui.tr("home.risers"), up), (ui.tr("home.fallers"), down)):
        st.markdown(f"**{title}**")
        if df.empty:
            st.caption(ui.tr("common.none"))
            continue
        df = df.assign(change=df["rank_change"].map(views.change_arrow))
        st.dataframe(df[list(shown)].rename(columns=shown), hide_index=True,
                     column_config={shown["delta_total"]: st.column_config.NumberColumn(format="%+.2f")})

vetoes = views.veto_cases(rk)
st.subheader(ui.tr("home.veto_cases"))
if vetoes.empty:
    st.caption(ui.tr("home.no_veto"))
else:
    vetoes["grade"] = vetoes["grade"].map(lambda g: labels.get(g, g))
    shown = ui.cols("unit_name", "group", "total", "grade", "veto")
    st.dataframe(vetoes[list(shown)].rename(columns=shown), hide_index=True,
                 column_config={shown["total"]: st.column_config.NumberColumn(format="%.2f")})

st.divider()
w = {d: round(v * 100) for d, v in model.weights.items()}
tiers = ui.join(f"{labels[t.label]} ≥ {t.min:g}" for t in model.grades.tier)
st.subheader(ui.tr("home.model_title"))
st.markdown(ui.tr("home.model_text", mass=w["mass"], performance=w["performance"], compliance=w["compliance"],
                  tiers=tiers))
st.info(ui.tr("home.formalism"), icon=":material/block:")
