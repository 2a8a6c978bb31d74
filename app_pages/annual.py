"""年度考核 Annual result: the year's published quarters rolled up by the model's [annual] rule, ranked
and graded with the quota; each quarter's score and contribution, missing quarters marked; xlsx."""

import pandas as pd
import streamlit as st

import ui
from scoring import charts, views
from scoring.auth import Permission as P
from scoring.export import NUMBER_FORMATS
from scoring.safe_export import SheetStyle

service = ui.require(P.VIEW_RESULTS)
L = ui.lang()
years = sorted({p[:4] for p in ui.published_periods()}, reverse=True)
if not years:
    st.info(ui.t("an.none"))
    st.stop()
year = st.selectbox(ui.t("an.year"), years, key="an_year")
df = service.annual(year)
quarters = service.annual_quarters(year)
model = service.store.model(df.attrs["periods"][-1])
st.title(ui.t("an.title", year=year))
weights = ui.join(f"{q} {w:.0%}" for q, w in df.attrs["weights"].items())
st.caption(ui.t("an.caption", weights=weights))

cell = quarters.assign(text=[f"{v:.2f}" if s == "ok" else ui.t(f"an.{s}")
                             for v, s in zip(quarters["total"], quarters["state"], strict=True)])
wide = cell.pivot(index="unit_id", columns="quarter", values="text").reindex(columns=["Q1", "Q2", "Q3", "Q4"])
table = df.join(wide, on="unit_id")
table = views.in_words(table, model, L)
table["vetoed_in"] = table["vetoed_in"].fillna("")
columns = ["rank_overall", "rank_group", "unit_name", "group", "total", "Q1", "Q2", "Q3", "Q4", "quarters", "grade",
           "vetoed_in"]
labels = {q: q for q in ("Q1", "Q2", "Q3", "Q4")} | {"total": ui.t("rep.annual_total")}
ui.table(table.assign(grade=ui.grade_display(table["grade"])), columns, labels=labels, key="an_table", fit=720,
         config={"total": "%.2f", "grade": ui.grade_column(model, L)})

st.plotly_chart(charts.annual_contributions(quarters, list(df["unit_id"]), L), key="an_chart")

st.subheader(ui.t("an.quarters"))
names = dict(zip(df["unit_id"], df["unit_name"], strict=True))
pick = st.selectbox(ui.t("rp.unit"), list(names), key="an_unit", format_func=lambda u: f"{names[u]} ({u})")
mine = quarters[quarters["unit_id"] == pick].copy()
shown = views.in_words(mine[mine["state"] == "ok"], model, L)
st.plotly_chart(charts.trend_chart(shown, L), key="an_trend")
mine["state"] = mine["state"].map(lambda s: "" if s == "ok" else ui.t(f"an.{s}"))
mine = views.in_words(mine, model, L)
mine["share"] = mine["share"] * 100
ui.table(mine, ["quarter", "period", "total", "rank_overall", "grade", "share", "contribution", "state"], key="an_q",
         fit=True, config={"total": "%.2f", "share": "%.0f%%", "contribution": "%.2f"})

head = ui.headers(columns, labels)
sheet, qsheet = ui.t("an.sheet"), ui.t("an.sheet_quarters")
qcols = ["unit_id", "unit_name", "group", "quarter", "period", "state", "total", "rank_overall", "grade", "share",
         "contribution"]
qhead = ui.headers(qcols)
out = table[columns].rename(columns=head)
qout = views.in_words(quarters, model, L)[qcols].rename(columns=qhead)
style = SheetStyle(number_formats={head[c]: NUMBER_FORMATS[c] for c in ("rank_overall", "rank_group", "total")},
                   widths={head["unit_name"]: 24}, autofilter=True)
st.download_button(ui.t("an.download"), lambda: ui.xlsx_bytes({sheet: out, qsheet: pd.DataFrame(qout)}, {sheet: style}),
                   file_name=f"sanwei_{year}_annual.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="an_download",
                   on_click="ignore", icon=":material/download:")
