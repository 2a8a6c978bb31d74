"""排名总览 Rankings: the published quarter ranked, filtered, charted and downloadable."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.auth import Permission
from scoring.export import localised_details, ranking_style

ui.require(Permission.VIEW_RESULTS)
period = ui.need_period()
res = ui.result(period)
model = res.model
L = ui.lang()
rk = ui.rankings(period)
tiers = model.tier_labels()
labels = {t: views.grade_label(model, t, L) for t in tiers}

st.title(ui.t("rank.title", period=period))
prev = rk.attrs.get("previous_period")
st.caption(ui.t("rank.caption", prev=prev) if prev else ui.t("rank.caption_first"))

ALL = "__all__"
groups = [g.name for g in model.group] or sorted(rk["group"].unique())
f = st.columns([4, 2.5, 2, 1.3])
group = f[0].segmented_control(ui.t("rank.group"), [ALL, *groups], default=ALL, key="rank_group",
                               format_func=lambda g: ui.t("rank.all") if g == ALL else ui.md(model.name_in(g, L)))
grades = f[1].multiselect(ui.t("rank.grades"), tiers, format_func=labels.get, key="rank_grades",
                          placeholder=ui.t("rank.all"))
query = f[2].text_input(ui.t("rank.search"), key="rank_query", placeholder=ui.t("rank.search_hint"))
flagged = f[3].toggle(ui.t("rank.flagged"), key="rank_flagged")
group = None if group in (None, ALL) else group

view = views.ranking_view(rk, group, grades, query, flagged)
view["grade"] = view["grade"].map(lambda g: labels.get(g, ""))
view["flag_codes"] = view["flag_codes"].map(lambda codes: ui.join(map(ui.flag_label, codes)))
view["group"] = view["group"].map(lambda g: model.name_in(g, L))
columns = ["rank", "unit_name", "group", "total", "mass", "performance", "compliance", "grade", "change",
           "delta_total", "veto", "flag_codes"]
rank_header = {"rank": ui.t("col.rank_group" if group else "col.rank_overall")}
progress = {d: st.column_config.ProgressColumn(format="%.1f", min_value=0, max_value=100)
            for d in ("mass", "performance", "compliance")}
event = ui.table(
    view, columns, labels=rank_header, key="rank_table", on_select="rerun", selection_mode="single-row", fit=720,
    config={**progress, "total": "%.2f", "delta_total": "%+.2f",
            "change": st.column_config.TextColumn(help=ui.t("rank.change_help"))},
    style=lambda shown, head: ui.grade_styler(shown, head["grade"], model))
show = ui.headers(columns, rank_header)
table = view[columns].rename(columns=show)
st.caption(ui.t("rank.click_hint", n=len(table)))
if event.selection.rows:
    st.session_state["unit_id"] = view.iloc[event.selection.rows[0]]["unit_id"]
    st.switch_page("app_pages/unit.py")

c1, c2 = st.columns([3, 1.3])
sub = rk[rk["unit_id"].isin(view["unit_id"])]
c1.plotly_chart(charts.contribution_bar(views.contributions(sub, model.weights), L), key="contrib")
counts = views.grade_counts(sub, tiers)
c2.plotly_chart(charts.grade_bar(counts, tiers, labels, L), key="grade_dist")


sheet = ui.t("rank.sheet")
style = ranking_style(show, [labels[t] for t in tiers])


def workbook() -> bytes:
    """Built on click, outside the script run: it may only use values captured here, not session state."""
    details = localised_details(res, L)
    return ui.xlsx_bytes({sheet: table, **details}, {sheet: style})


st.download_button(ui.t("rank.download"), workbook, file_name=f"sanwei_{period}_ranking.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/download:", on_click="ignore", key="rank_download")
