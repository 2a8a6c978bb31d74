"""统计审查 Audit: do the indicators measure what the tree claims? Coverage, outliers, correlations,
α, PCA and effective weights of the published quarter (all computed by `scoring.audit`)."""

import streamlit as st

import ui
from scoring import charts, views
from scoring.auth import Permission

ui.require(Permission.ANALYSE)
period = ui.need_period()
model = ui.result(period).model
L = ui.lang()

st.title(ui.t("audit.title", period=period))
st.caption(ui.t("audit.intro"))
perf = model.performance
if perf is not None:
    st.caption(ui.t("audit.settings", outliers=ui.t(f"outliers.{perf.treatment.outliers.value}"),
                    missing=ui.t(f"missing.{perf.missing.value}"),
                    aggregation=ui.join(ui.t(f"aggregation.{a}") for a in sorted({a.value for a in model.aggregation.values()}))))
    st.caption(ui.t("audit.rule", skew=perf.treatment.skew, kurtosis=perf.treatment.kurtosis))
groups = [""] + [g.name for g in model.group]
scope = st.selectbox(ui.t("audit.scope"), groups, key="a_scope", format_func=lambda g: g or ui.t("audit.all_units"))
a = ui.statistical_audit(period, scope)
tables, names = views.audit_tables(a, model, L), views.audit_names(a, model, L)

m = st.columns(4)
m[0].metric(ui.t("audit.n_outliers"), int(a.indicators["outlier_flag"].sum()) if len(a.indicators) else 0)
pairs = a.pairs[a.pairs["method"] == "pearson"]
m[1].metric(ui.t("audit.n_negative"), int((pairs["kind"] == "negative").sum()))
m[2].metric(ui.t("audit.n_duplicates"), int((pairs["kind"] == "near_duplicate").sum()))
alpha = a.nodes["alpha"].dropna() if len(a.nodes) else a.nodes
m[3].metric(ui.t("audit.low_alpha"), f"{alpha.min():.2f}" if len(alpha) else "—")

st.subheader(ui.t("audit.indicators"))
pct = {c: st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1) for c in ("coverage", "missing_share")}
ui.table(tables["indicators"], ["name", "method", "n_units", "n_reported", "coverage", "missing_share", "mean", "sd", "skewness",
                        "kurtosis", "outlier_flag", "groups_flagged", "n_beyond_iqr"], key="a_ind", fit=520,
         config={**pct, "mean": "%.2f", "sd": "%.2f", "skewness": "%.2f", "kurtosis": "%.2f"})

st.subheader(ui.t("audit.correlations"))
c = st.columns([2, 2, 2])
view = c[0].radio(ui.t("audit.node"), ["node", "level"], key="a_view", horizontal=True,
                  format_func=lambda v: ui.t("audit.by_node" if v == "node" else "audit.by_level"))
method = c[2].radio(ui.t("audit.method"), ["pearson", "spearman"], key="a_method", horizontal=True,
                    format_func=lambda x: ui.t(f"audit.{x}"))
pick = 0 if method == "pearson" else 1
if view == "node" and a.within:
    node = c[1].selectbox(ui.t("audit.node"), list(a.within), key="a_node", format_func=lambda n: names.get(n, n))
    title = ui.t("chart.corr", node=names.get(node, node), method=ui.t(f"audit.{method}"))
    st.plotly_chart(charts.corr_heatmap(a.within[node][pick], names, title, L), key="a_heat")
elif view == "level" and a.levels:
    depth = c[1].selectbox(ui.t("audit.level"), list(a.levels), key="a_level")
    title = ui.t("chart.corr_level", depth=depth, method=ui.t(f"audit.{method}"))
    st.plotly_chart(charts.corr_heatmap(a.levels[depth][pick], names, title, L), key="a_heat_level")
ui.label('audit.pairs')
ui.table(tables["pairs"], ["node_name", "a_name", "b_name", "corr_method", "r", "kind"], key="a_pairs", fit=300,
         config={"r": "%.3f"})
ui.label('audit.against')
ui.table(tables["against"], ["parent_name", "name", "pearson_parent", "spearman_parent", "pearson_performance", "pearson_total",
                   "spearman_total"], key="a_against", fit=420,
         config={k: "%.3f" for k in ("pearson_parent", "spearman_parent", "pearson_performance", "pearson_total",
                                     "spearman_total")})

st.subheader(ui.t("audit.nodes"))
ui.table(tables["nodes"], ["node_name", "n_children", "n_complete", "alpha", "pca_first_share"], key="a_nodes", fit=True,
         config={"alpha": "%.3f", "pca_first_share": "%.1%"} | {"pca_first_share": st.column_config.ProgressColumn(
             format="percent", min_value=0, max_value=1)})

st.subheader(ui.t("audit.effective_title"))
st.caption(ui.t("audit.effective_caption"))
st.plotly_chart(charts.effective_weights(tables["effective"], L), key="a_eff")
ui.table(tables["effective"], ["name", "pearson_performance", "nominal_share", "effective_share", "ratio"], key="a_eff_t", fit=420,
         config={"pearson_performance": "%.3f", "nominal_share": "%.3f", "effective_share": "%.3f", "ratio": "%.2f"})

st.download_button(ui.t("audit.download"), lambda: ui.xlsx_bytes(views.audit_frames(a, model, L)),
                   file_name=f"sanwei_{period}_audit.xlsx", icon=":material/download:", on_click="ignore", key="a_download")
