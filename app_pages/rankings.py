"""排名总览 Rankings: the published quarter ranked, filtered, charted and downloadable."""

import streamlit as st

import ui
from scoring import charts, i18n, views
from scoring.auth import Permission
from scoring.export import localised_details, ranking_style

service = ui.require(Permission.VIEW_RESULTS)
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
ui.quarter_state(service, period)

ALL = "__all__"
groups = [g.name for g in model.group] or sorted(rk["group"].unique())
f = st.columns([4, 2.3, 2, 1.7])
group = f[0].segmented_control(ui.t("rank.group"), [ALL, *groups], default=ALL, key="rank_group",
                               format_func=lambda g: ui.t("rank.all") if g == ALL else ui.md(model.name_in(g, L)))
grades = f[1].multiselect(ui.t("rank.grades"), tiers, format_func=labels.get, key="rank_grades",
                          placeholder=ui.t("rank.all"), select_all=False)
query = f[2].text_input(ui.t("rank.search"), key="rank_query", placeholder=ui.t("rank.search_hint"))
flagged = f[3].toggle(ui.t("rank.flagged"), key="rank_flagged")
group = None if group in (None, ALL) else group

export = ["rank", "unit_name", "group", "total", "mass", "performance", "compliance", "grade", "change",
          "delta_total", "level", "rules", "veto", "flag_codes"]
full = {"rank": ui.t("col.rank_group" if group else "col.rank_overall"), "group": ui.t("col.group"),
        "mass": ui.t("dim.mass"), "performance": ui.t("dim.performance"), "compliance": ui.t("dim.compliance")}
show = ui.headers(export, {"rank": full["rank"]})
# on screen every column fits at 1280 px beside the sidebar: short headers (the full ones on hover),
# rank and score change in one cell, the grade followed by what set it (quota, veto), the flags led by
# the early-warning dot (its rules listed below the table)
columns = ["rank", "unit_name", "group", "total", "mass", "performance", "compliance", "grade", "both", "flag_codes"]
short = {c: ui.t(f"rank.h.{c}") for c in ("rank", "group", "mass", "performance", "compliance")}
short["rank"] = full["rank"] if L == "zh" else short["rank"]  # 总排名 / 组内排名 fit; "Rank in group" does not
W = {"zh": {"rank": 72, "unit_name": 140, "group": 76, "grade": 112, "flag_codes": 60},
     "en": {"rank": 52, "unit_name": 150, "group": 120, "grade": 116, "flag_codes": 28}}[L]


def build():
    """The filtered table, its download copy and both charts: the same for every session that asks
    for this quarter, language and filter, so they are built once (ui.derived), not on every rerun."""
    view = views.in_words(views.ranking_view(rk, group, grades, query, flagged), model, L)
    view["flag_codes"] = view["flag_codes"].map(lambda codes: i18n.join((i18n.flag_label(c, L) for c in codes), L))
    view["level"] = view["unit_id"].map(warn["level"]).map(lambda v: ui.warning_label(v) if isinstance(v, str) else "")
    view["rules"] = view["unit_id"].map(warn["rules"]).map(lambda r: ui.warning_rules(r) if isinstance(r, list) else "")
    table = view[export].rename(columns=show)  # the download: grades as words, every column
    dots = view["unit_id"].map(warn["level"]).map(lambda v: ui.warning_icon(v) if isinstance(v, str) else "")
    view["flag_codes"] = [f"{d} {f}".strip() for d, f in zip(dots, view["flag_codes"], strict=True)]
    view["grade"] = [g + views.grade_reasons(fs, L) for g, fs in zip(ui.grade_display(view["grade"]), view["flags"], strict=True)]
    view["both"] = [views.change_text(r, d) for r, d in zip(view["change_raw"], view["delta_total"], strict=True)]
    sub = rk[rk["unit_id"].isin(view["unit_id"])]
    contrib = charts.contribution_bar(views.contributions(sub, model.weights), L)
    dist = charts.grade_bar(views.grade_counts(sub, tiers), tiers, labels, L)
    return view, table, contrib, dist


warn = ui.warnings(period).set_index("unit_id")  # (they look back over earlier quarters: keyed on every publication)
view, table, contrib, dist = ui.derived("rankings_page", period, L, group, tuple(grades), query, flagged,
                                        ui.state().publications, compute=build)
number = {c: st.column_config.NumberColumn(format=f, width=w, help=full.get(c)) for c, f, w in (
    ("rank", "%d", W["rank"]), ("total", "%.2f", 60), ("mass", "%.1f", 58), ("performance", "%.1f", 58),
    ("compliance", "%.1f", 58))}
event = ui.table(
    view, columns, labels=short, key="rank_table", on_select="rerun", selection_mode="single-row", fit=720,
    config={**number, "unit_name": st.column_config.TextColumn(width=W["unit_name"]),
            "group": st.column_config.TextColumn(width=W["group"], help=full["group"]),
            "grade": ui.grade_column(model, L, notes=views.reason_words(L), width=W["grade"], help=ui.t("rank.grade_help")),
            "both": st.column_config.TextColumn(width=84, help=ui.t("rank.change_help_both")),
            "flag_codes": st.column_config.TextColumn(width=W["flag_codes"], help=ui.t("warn.caption"))})
st.caption(ui.t("rank.click_hint", n=len(table)))
warned = view[view["rules"] != ""]  # the rules that fired, beside the table rather than widening it
if len(warned):
    with st.expander(f'{ui.t("warn.title")} ({len(warned)})'):
        ui.table(warned, ["level", "unit_name", "rules"], key="rank_warnings", fit=320)
if event.selection.rows:
    st.session_state["unit_id"] = view.iloc[event.selection.rows[0]]["unit_id"]
    st.switch_page("app_pages/unit.py")

c1, c2 = st.columns([3, 1.3])
c1.plotly_chart(contrib, key="contrib")
c2.plotly_chart(dist, key="grade_dist")


sheet = ui.t("rank.sheet")
style = ranking_style(show, [labels[t] for t in tiers])


def workbook() -> bytes:
    """Built on click, outside the script run: it may only use values captured here, not session state."""
    details = localised_details(res, L)
    return ui.xlsx_bytes({sheet: table, **details}, {sheet: style})


st.download_button(ui.t("rank.download"), workbook, file_name=f"sanwei_{period}_ranking.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/download:", on_click="ignore", key="rank_download")
