"""权重分析 Weights: re-rank live under other dimension weights, then how robust each rank is."""

import numpy as np
import streamlit as st

import ui
from scoring import charts, sensitivity, views
from scoring.auth import Permission

ui.require(Permission.ANALYSE)
period = ui.need_period()
inp = ui.sens_input(period)
if inp is None:
    st.info(ui.t("w.no_ranked"))
    st.stop()
model = ui.result(period).model
version = ui.published_version(period)
L = ui.lang()
KEYS = {"mass": "w_mass", "performance": "w_perf", "compliance": "w_comp"}


def show(split: views.Split) -> None:
    """Set the sliders that differ from `split` (never the one the browser just moved)."""
    st.session_state["w_split"] = split
    for d, p in split.percents.items():
        if st.session_state.get(KEYS[d]) != p:
            st.session_state[KEYS[d]] = p


def reset() -> None:
    show(views.Split(views.official_percents(inp.weights)))


def percents() -> dict[str, int]:
    return {d: st.session_state[k] for d, k in KEYS.items()}


if st.session_state.get("w_period") != period or "w_split" not in st.session_state \
        or any(k not in st.session_state for k in KEYS.values()):
    st.session_state["w_period"] = period  # start from the official weights
    reset()

st.title(ui.t("w.title", period=period))
for note in inp.notes:  # the kernel did not reproduce the published result: say so, never hide it
    st.warning(ui.md(note.get(L)), icon=":material/warning:")
live, analysis = st.tabs([ui.t("w.tab_live"), ui.t("w.tab_analysis")])


@st.fragment
def live_panel() -> None:
    """Only this part reruns when a slider moves: the re-ranking is all that changes."""
    show(views.follow(st.session_state["w_split"], percents()))  # the other two give way, here, before drawing
    s = st.columns([3, 3, 3, 2])
    for col, (d, key) in zip(s, KEYS.items(), strict=False):
        col.slider(ui.t(f"dim.{d}"), 0, 100, key=key, format="%d%%")
    w = views.slider_weights(percents(), inp.weights)
    s[3].button(ui.t("w.reset"), on_click=reset, icon=":material/restart_alt:", key="w_reset")
    df = views.what_if(inp, w)
    moved = int((df["rank_change"] != 0).sum())
    if np.allclose(w, inp.weights):
        st.info(ui.t("w.official_banner"), icon=":material/verified:")
    else:
        st.warning(ui.t("w.whatif_banner", m=w[0], p=w[1], c=w[2], moved=moved,
                         graded=int(df["grade_changed"].sum())), icon=":material/science:")
    df = views.in_words(df, model, L)
    chips = ui.grade_column(model, L)
    ui.table(df.assign(grade=ui.grade_display(df["grade"]), official_grade=ui.grade_display(df["official_grade"])),
             ["rank", "change", "unit_name", "group", "score", "grade", "official_rank", "official_score",
              "official_grade"], key="w_table", fit=560,
             config={"score": "%.2f", "official_score": "%.2f", "grade": chips, "official_grade": chips})
    if moved:
        st.plotly_chart(charts.rank_shift_bar(df, L), key="w_shift")


with live:
    live_panel()

with analysis:
    st.caption(ui.t("sens.intro"))
    c = st.columns(5)
    method = c[0].radio(ui.t("sens.method"), ["uniform", "dirichlet"], key="s_method",
                        format_func=lambda m: ui.t(f"sens.{m}"))
    delta = c[1].slider(ui.t("sens.delta"), 1, 20, 5, key="s_delta", format="±%d pp", disabled=method != "uniform")
    kappa = c[2].select_slider(ui.t("sens.kappa"), [10, 20, 50, 100, 200, 500, 1000], 100, key="s_kappa",
                               disabled=method != "dirichlet")
    n = c[3].select_slider(ui.t("sens.n"), [1000, 2000, 5000, 10000], 5000, key="s_n")
    k = c[4].number_input(ui.t("sens.k"), 1, inp.n_units, min(10, inp.n_units), key="s_k")
    key = (ui.db(), period, version)
    mc_args = {"delta": delta / 100, "kappa": None} if method == "uniform" else {"delta": None, "kappa": float(kappa)}

    def run_mc():
        bar = st.progress(0.0, text=ui.t("sens.sampling"))
        out = sensitivity.monte_carlo(inp, n, top_k=int(k), seed=0, progress=lambda f: bar.progress(f, text=ui.t("sens.sampling")), **mc_args)
        bar.empty()
        return out

    mc = ui.memo((*key, "mc", n, int(k), tuple(mc_args.values())), run_mc)
    rob = views.robustness(mc)
    m = st.columns(4)
    m[0].metric(ui.t("sens.mars"), f"{mc.mean_abs_shift:.2f}")
    m[1].metric(ui.t("sens.spearman"), f"{mc.spearman.mean():.3f}")
    m[2].metric(ui.t("sens.robust_n"), f"{int(rob['robust'].sum())} / {len(rob)}")
    m[3].metric(ui.t("sens.seconds"), f"{mc.elapsed * 1000:.0f} ms")
    st.plotly_chart(charts.caterpillar(rob, L), key="s_cater")
    rob["badge"] = rob["robust"].map(lambda r: ui.t("sens.robust" if r else "sens.sensitive"))
    rob["interval"] = rob["rank_p05"].astype(str) + "–" + rob["rank_p95"].astype(str)
    rob = views.in_words(rob, model, L)
    p_top = f"p_top{mc.top_k}"
    pct = {c: st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1) for c in ("p_same_grade", p_top)}
    ui.table(rob, ["rank", "unit_name", "group", "grade", "interval", "p_same_grade", p_top, "badge"],
             labels={p_top: ui.t("col.p_top", k=mc.top_k)}, config=pct, key="s_rob", fit=480)

    st.subheader(ui.t("sens.sweep"))
    a, b = st.columns([1, 3])
    dim = a.radio(ui.t("sens.dimension"), list(inp.dimensions), key="s_dim", format_func=lambda d: ui.t(f"dim.{d}"))
    names = dict(zip(inp.unit_ids, inp.unit_names, strict=True))
    default = [u for u in rob["unit_id"].head(8)]
    picked = b.multiselect(ui.t("sens.units"), list(names), default, key="s_units", format_func=names.get, select_all=False)
    sw = ui.memo((*key, "sweep", dim), lambda: sensitivity.sweep(inp, dim))
    cross = views.crossings_for(sw, picked)
    st.plotly_chart(charts.sweep_chart(views.sweep_long(sw, picked), cross, names, sw.official, dim, L), key="s_sweep")
    ui.table(cross, ["weight", "up_name", "down_name", "score"], key="s_cross", height=220,
             config={"weight": "%.4f", "score": "%.2f"})

    st.subheader(ui.t("sens.ternary"))
    tern = ui.memo((*key, "ternary"), lambda: sensitivity.ternary(inp, 0.01))
    who = st.selectbox(ui.t("sens.ternary_unit"), list(names), key="s_tern_unit", format_func=names.get)
    a, b = st.columns(2)
    a.plotly_chart(charts.ternary_map(views.ternary_points(tern), inp.weights, L), key="s_tern")
    b.plotly_chart(charts.ternary_map(views.ternary_points(tern, who, model, L), inp.weights, L, unit=True), key="s_tern_u")

    st.subheader(ui.t("sens.sobol"))
    sob = ui.memo((*key, "sobol", tuple(mc_args.values())),
                  lambda: sensitivity.sobol_weights(inp, 1024, delta=mc_args["delta"] or 0.1))
    st.plotly_chart(charts.sobol_bars(sob.to_frames()["sobol_mean_abs_shift"], L), key="s_sobol")
    st.caption(ui.t("sens.sobol_caption"))

    st.subheader(ui.t("sens.methods"))
    st.caption(ui.t("sens.methods_intro"))
    names_ind = {c: model.indicators[c].name for c in views.method_candidates(model)}
    with st.form("s_methods_form"):
        f = st.columns([3, 1, 1, 2])
        varied = f[0].multiselect(ui.t("sens.methods_ind"), list(names_ind), key="s_m_ind", format_func=names_ind.get, select_all=False)
        agg = f[1].checkbox(ui.t("sens.methods_agg"), key="s_m_agg")
        treat = f[2].checkbox(ui.t("sens.methods_treat"), key="s_m_treat")
        missing = f[3].multiselect(ui.t("sens.methods_missing"), ["reweight", "zero", "group_mean", "group_median", "previous"],
                                   key="s_m_missing", format_func=lambda m: ui.t(f"missing.{m}"), select_all=False)
        go = st.form_submit_button(ui.t("sens.methods_run"), icon=":material/play_arrow:")
    if go:
        st.session_state["s_m_chosen"] = sensitivity.Assumptions.of(
            mc_args["delta"] or 0.05, {c: views.METHOD_OPTIONS for c in varied}, aggregation=agg, treatment=treat,
            missing=missing)
    methods_res = None
    if (chosen := st.session_state.get("s_m_chosen")) is not None:
        try:
            methods_res = ui.method_analysis(period, chosen, 1000)
        except ValueError as err:
            st.error(str(err))
    if methods_res is not None:
        for note in methods_res.space.notes:
            st.warning(note.get(L), icon=":material/warning:")
        m_units, m_sobol = views.assumptions_view(methods_res, L)
        a, b = st.columns([3, 2])
        a.plotly_chart(charts.caterpillar(m_units, L), key="s_m_cater")
        b.plotly_chart(charts.assumption_bars(m_sobol, L), key="s_m_sobol")
        m_units["interval"] = m_units["rank_p05"].astype(str) + "–" + m_units["rank_p95"].astype(str)
        m_units = views.in_words(m_units, model, L)
        ui.table(m_units, ["rank", "unit_name", "group", "grade", "interval", "p_same_grade"], key="s_m_units", fit=360,
                 config={"p_same_grade": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)})
        st.caption(ui.t("sens.methods_caption", n=methods_res.n_samples, ms=methods_res.elapsed * 1000))

    sweeps = [ui.memo((*key, "sweep", d), lambda d=d: sensitivity.sweep(inp, d)) for d in inp.dimensions]

    def workbook() -> bytes:
        """Built on click, outside the script run: only captured results, no session state."""
        parts = {**mc.to_frames(), **sob.to_frames(), **tern.to_frames(),
                 **(methods_res.to_frames() if methods_res is not None else {})}
        for s in sweeps:
            parts.update(s.to_frames())
        return ui.xlsx_bytes(views.analysis_frames(parts, L, model))

    st.download_button(ui.t("sens.download"), workbook, file_name=f"sanwei_{period}_sensitivity.xlsx",
                       icon=":material/download:", on_click="ignore", key="s_download")
