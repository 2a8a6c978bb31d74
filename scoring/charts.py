"""Plotly figures of the dashboard, built from `scoring.views` frames (no Streamlit here).

One restrained palette for the whole product: a dimension keeps its colour on every page, and
grades go from green (best tier) to red (lowest).

Plotly renders HTML tags in every label, legend entry and hover text, so every string that comes
from data (unit, group, indicator, item, answer and grade names) passes through `scoring.plain.html`
here (`_h`, `_hs`) before it reaches a figure: it shows as the characters it is.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from scoring.i18n import t
from scoring.plain import html as _h


def _hs(values) -> list[str]:
    """Data labels as text for plotly (see the module doc)."""
    return [_h(v) for v in values]

DIM_COLOURS = {"mass": "#3B6EA5", "performance": "#4E8F5C", "compliance": "#C49A2C",
               "bonus": "#9CC5A1", "deduction": "#C0504D"}
GRADE_COLOURS = ["#2E7D32", "#1F6FB2", "#B8860B", "#C62828", "#6D4C41", "#546E7A"]
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"


def grade_colour(i: int) -> str:
    return GRADE_COLOURS[min(i, len(GRADE_COLOURS) - 1)]


def whole_step(top: float, ticks: int = 6) -> int:
    """A whole-number tick step showing about `ticks` ticks up to `top`: counts and ranks have no 0.2 or 5.33."""
    return max(1, math.ceil(top / ticks)) if top == top else 1


def _layout(fig: go.Figure, height: int = 360, **kw) -> go.Figure:
    """The product's layout, in one update_layout call: plotly validates on every update, so one
    call instead of four makes a figure about a third cheaper to build (the unit page builds four)."""
    title = {"y": 1.0, "yref": "container", "yanchor": "top", "pad": {"t": 12}}
    if "title" in kw:
        given = kw.pop("title")
        title.update(given if isinstance(given, dict) else {"text": given})
    axes = {"gridcolor": "#EEE"}
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 95, "b": 10}, font_family=FONT,
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left",
                              "traceorder": "normal"}, plot_bgcolor="white", title=title, **kw)
    fig.update_xaxes(axes)
    fig.update_yaxes(axes)
    return fig


def grade_bar(counts: pd.DataFrame, tiers: list[str], labels: dict[str, str], lang: str, by: str | None = None) -> go.Figure:
    """Units per grade; stacked per `by` (e.g. the comparison group) when given."""
    fig = go.Figure()
    for i, tier in enumerate(tiers):
        part = counts[counts["grade"] == tier]
        x = _hs(part[by]) if by else [_h(labels[tier])]
        fig.add_bar(x=x, y=part["count"], name=_h(labels[tier]), marker_color=grade_colour(i), text=part["count"],
                    textposition="inside")
    top = counts.groupby(by or "grade")["count"].sum().max() if len(counts) else 1
    fig.update_yaxes(dtick=whole_step(top), tick0=0, rangemode="tozero")
    return _layout(fig, barmode="stack", yaxis_title=t("chart.units", lang), title=t("chart.grades", lang))


def contribution_bar(long: pd.DataFrame, lang: str) -> go.Figure:
    """Totals stacked by weighted dimension score, bonus and deduction, one bar per unit in rank order."""
    fig = go.Figure()
    order = _hs(dict.fromkeys(long["unit_name"]))
    for part in ("mass", "performance", "compliance", "bonus", "deduction"):
        p = long[long["part"] == part]
        if not p.empty:
            fig.add_bar(x=_hs(p["unit_name"]), y=p["value"], name=t(f"part.{part}", lang), marker_color=DIM_COLOURS[part],
                        hovertemplate="%{x}: %{y:.2f}<extra>" + t(f"part.{part}", lang) + "</extra>")
    # names upright-rotated at a small size: 36 units fit side by side in half a 1280 px page
    fig.update_xaxes(categoryorder="array", categoryarray=order, tickangle=-90, tickfont={"size": 10}, automargin=True)
    return _layout(fig, height=460, barmode="relative", yaxis_title=t("chart.points", lang),
                   title=t("chart.contributions", lang))


def dimension_compare(df: pd.DataFrame, lang: str) -> go.Figure:
    names = [t(f"dim.{d}", lang) for d in df["dimension"]]
    fig = go.Figure([
        go.Bar(x=names, y=df["unit"], name=t("chart.this_unit", lang), marker_color=[DIM_COLOURS[d] for d in df["dimension"]],
               text=df["unit"].round(1), textposition="outside"),
        go.Bar(x=names, y=df["group_mean"], name=t("chart.group_mean", lang), marker_color="#B0BEC5",
               text=df["group_mean"].round(1), textposition="outside"),
    ])
    return _layout(fig, barmode="group", yaxis_range=[0, 110], title=t("chart.vs_group", lang))


def waterfall(steps: pd.DataFrame, lang: str) -> go.Figure:
    def label(r) -> str:
        if r.kind == "dimension":
            return t(f"dim.{r.dimension}", lang)
        if r.kind in ("category", "item"):
            return _h(r.name)
        return t(f"part.{r.kind}", lang)

    # horizontal, first step on top: every indicator's name has a line of its own, however many there are
    fig = go.Figure(go.Waterfall(
        y=[label(r) for r in steps.itertuples()], x=steps["value"], orientation="h",
        measure=["total" if k == "total" else "relative" for k in steps["kind"]],
        text=[f"{v:+.2f}" if k != "total" else f"{v:.2f}" for k, v in zip(steps["kind"], steps["value"], strict=True)],
        textposition="outside", connector={"line": {"color": "#BBB"}},
        increasing={"marker": {"color": DIM_COLOURS["performance"]}},
        decreasing={"marker": {"color": DIM_COLOURS["deduction"]}}, totals={"marker": {"color": DIM_COLOURS["mass"]}}))
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, height=max(400, 110 + 24 * len(steps)), title=t("chart.waterfall", lang),
                   xaxis_range=[0, 115], showlegend=False)


def answer_bars(shares: pd.DataFrame, lang: str) -> go.Figure:
    """Each survey item's answer distribution as a 100% horizontal bar, scale order left to right."""
    palette = ["#2E7D32", "#7CB342", "#FBC02D", "#E53935", "#9E9E9E", "#6D4C41", "#546E7A"]
    fig = go.Figure()
    for i, (answer, g) in enumerate(shares.groupby("answer", sort=False)):
        fig.add_bar(y=_hs(g["item"]), x=g["share"] * 100, name=_h(answer), orientation="h",
                    marker_color=palette[i % len(palette)], customdata=g["count"],
                    hovertemplate="%{y} %{fullData.name}: %{x:.1f}% (%{customdata})<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=60 + 34 * shares["item"].nunique(), barmode="stack", xaxis_title="%",
                   title=t("chart.answers", lang))


def trend_chart(df: pd.DataFrame, lang: str) -> go.Figure:
    """Total score (left axis) and overall rank (right axis, 1 at the top) per quarter, grade as text."""
    fig = go.Figure([
        go.Scatter(x=df["period"], y=df["total"], name=t("col.total", lang), mode="lines+markers+text",
                   text=_hs(df["grade"]), textposition="top center", line={"color": DIM_COLOURS["mass"]}),
        go.Scatter(x=df["period"], y=df["rank_overall"], name=t("col.rank_overall", lang), yaxis="y2",
                   mode="lines+markers", line={"color": "#888", "dash": "dot"}),
    ])
    ranks = df["rank_overall"].dropna()
    low, high = (int(ranks.min()), int(ranks.max())) if len(ranks) else (1, 1)
    step = whole_step(high - low + 1, 5)  # whole ranks, 1 on top, a little room around the line
    return _layout(fig, title=t("chart.trend", lang), yaxis_title=t("col.total", lang),
                   yaxis2={"title": t("col.rank_overall", lang), "overlaying": "y", "side": "right",
                           "range": [high + 0.5, max(0.5, low - 0.5)], "dtick": step, "tick0": 1, "showgrid": False})


def reverse_bar(df: pd.DataFrame, floor: float, lang: str) -> go.Figure:
    shown = df[~df["suppressed"]]
    fig = go.Figure(go.Bar(x=_hs(shown["unit_name"]), y=shown["score"], text=shown["score"].round(1), textposition="outside",
                           marker_color=[DIM_COLOURS["deduction"] if b else DIM_COLOURS["mass"] for b in shown["below_floor"]]))
    fig.add_hline(y=floor, line_dash="dash", line_color="#C0504D")
    fig.add_annotation(x=1, xref="paper", xanchor="left", y=floor, text=t("reverse.floor", lang, floor=floor),
                       showarrow=False, font={"color": "#C0504D"})  # beside the plot, never on a bar
    _layout(fig, yaxis_range=[0, 110], title=t("chart.reverse", lang), showlegend=False)
    return fig.update_layout(margin={"r": 90})


def rank_shift_bar(df: pd.DataFrame, lang: str) -> go.Figure:
    """What-if rank change per unit (up is good), units in what-if rank order."""
    moved = df[df["rank_change"] != 0]
    fig = go.Figure(go.Bar(x=_hs(moved["unit_name"]), y=moved["rank_change"],
                           marker_color=[DIM_COLOURS["performance"] if v > 0 else DIM_COLOURS["deduction"] for v in moved["rank_change"]]))
    return _layout(fig, height=440, title=t("chart.rank_shift", lang), yaxis_title=t("col.rank_change", lang), showlegend=False)


def sweep_chart(long: pd.DataFrame, crossings: pd.DataFrame, names: dict[str, str], official: float,
                dimension: str, lang: str) -> go.Figure:
    """Rank against one dimension's weight; swaps marked where they happen, the official weight dashed."""
    fig = go.Figure()
    for uid, g in long.groupby("unit_id", sort=False):
        fig.add_scatter(x=g["weight"], y=g["rank"], mode="lines", name=_h(names.get(uid, uid)), line={"shape": "hv"})
    if not crossings.empty:
        fig.add_scatter(x=crossings["weight"], y=[None] * len(crossings), mode="markers", showlegend=False)
        for x in crossings["weight"]:
            fig.add_vline(x=x, line_width=1, line_color="rgba(0,0,0,0.12)")
    fig.add_vline(x=official, line_dash="dash", line_color="#C0504D",
                  annotation_text=t("sens.official_mark", lang, w=official))
    fig.update_yaxes(autorange="reversed", title=t("col.rank_overall", lang))
    return _layout(fig, height=440, xaxis_title=t("sens.weight_of", lang, dim=t(f"dim.{dimension}", lang)),
                   title=t("chart.sweep", lang))


def caterpillar(df: pd.DataFrame, lang: str) -> go.Figure:
    """Each unit's 5–95% Monte Carlo rank interval and median, sorted by nominal rank."""
    df = df.sort_values("rank")
    fig = go.Figure()
    for robust, name, colour in ((True, "sens.median_robust", DIM_COLOURS["performance"]),
                                 (False, "sens.median_sensitive", DIM_COLOURS["deduction"])):
        part = df[df["robust"] == robust]  # one legend entry per colour: a red dot is explained
        fig.add_scatter(x=_hs(part["unit_name"]), y=part["rank_median"], mode="markers", name=t(name, lang),
                        marker={"color": colour, "size": 8},
                        error_y={"type": "data", "symmetric": False, "array": part["rank_p95"] - part["rank_median"],
                                 "arrayminus": part["rank_median"] - part["rank_p05"], "color": "#90A4AE"})
    fig.add_scatter(x=_hs(df["unit_name"]), y=df["rank"], mode="markers", name=t("sens.nominal", lang),
                    marker={"symbol": "line-ew-open", "size": 12, "color": "#333"})
    fig.update_yaxes(autorange="reversed", title=t("col.rank_overall", lang))
    fig.update_xaxes(tickangle=-90, tickfont={"size": 10}, categoryorder="array", categoryarray=_hs(df["unit_name"]))
    return _layout(fig, height=420, title=t("chart.caterpillar", lang))


def ternary_map(points: pd.DataFrame, official, lang: str, unit: bool = False) -> go.Figure:
    """The weight simplex coloured by the leading unit (or, for one unit, its rank); official point starred."""
    a, b, c = (points[f"w_{d}"] for d in ("mass", "performance", "compliance"))
    if unit:
        marker = {"color": points["rank"], "colorscale": "Viridis_r", "size": 5,  # the bar stays clear of the axis titles
                  "colorbar": {"title": t("col.rank_overall", lang), "len": 0.5, "y": 1, "yanchor": "top", "x": 1.02}}
        text = _hs(points["grade"])
        fig = go.Figure(go.Scatterternary(a=a, b=b, c=c, mode="markers", marker=marker, text=text,
                                          hovertemplate="%{a:.2f}/%{b:.2f}/%{c:.2f}: #%{marker.color} %{text}<extra></extra>",
                                          showlegend=False))
    else:
        fig = go.Figure()
        for name, g in points.groupby("leader_name", sort=False):
            fig.add_trace(go.Scatterternary(a=g["w_mass"], b=g["w_performance"], c=g["w_compliance"], mode="markers",
                                            name=_h(name), marker={"size": 5}))
    fig.add_trace(go.Scatterternary(a=[official[0]], b=[official[1]], c=[official[2]], mode="markers",
                                    name=t("sens.official", lang), marker={"symbol": "star", "size": 16, "color": "#C0504D",
                                                                         "line": {"color": "white", "width": 1}}))
    fig.update_layout(ternary={"aaxis": {"title": t("dim.mass", lang)}, "baxis": {"title": t("dim.performance", lang)},
                               "caxis": {"title": t("dim.compliance", lang)}})
    _layout(fig, height=520, title=t("chart.ternary_unit" if unit else "chart.ternary", lang))
    return fig.update_layout(margin={"l": 60, "r": 60, "t": 60, "b": 90},
                             legend={"y": -0.12, "yanchor": "top", "x": 0.5, "xanchor": "center"})


def sobol_bars(summary: pd.DataFrame, lang: str) -> go.Figure:
    names = [t(f"dim.{f}", lang) for f in summary["factor"]]
    fig = go.Figure([
        go.Bar(x=names, y=summary["S1"], name="S1", error_y={"type": "data", "array": summary["S1_conf"]},
               marker_color=DIM_COLOURS["mass"]),
        go.Bar(x=names, y=summary["ST"], name="ST", error_y={"type": "data", "array": summary["ST_conf"]},
               marker_color=DIM_COLOURS["compliance"]),
    ])
    return _layout(fig, height=340, barmode="group", title=t("chart.sobol", lang))


def sunburst(tree: pd.DataFrame, lang: str) -> go.Figure:
    """The indicator tree sized by effective weight (formalism items get no area: they earn nothing)."""
    leaf = tree["kind"] == "indicator"
    fig = go.Figure(go.Sunburst(ids=tree["code"], labels=_hs(tree["name"]), parents=tree["parent"],
                                values=tree["effective"].where(leaf, 0.0), branchvalues="remainder",
                                hovertemplate="%{label}: %{value:.1%}<extra></extra>"))
    return _layout(fig, height=460, title=t("chart.tree", lang))


def annual_contributions(quarters: pd.DataFrame, order: list[str], lang: str) -> go.Figure:
    """Each unit's annual total stacked by its quarters' contributions, units in annual rank order."""
    fig = go.Figure()
    palette = {"Q1": "#3B6EA5", "Q2": "#4E8F5C", "Q3": "#C49A2C", "Q4": "#8E6C8A"}
    names = quarters.drop_duplicates("unit_id").set_index("unit_id")["unit_name"]
    for q, g in quarters[quarters["state"] == "ok"].groupby("quarter", sort=True):
        g = g.set_index("unit_id").reindex(order)
        fig.add_bar(x=_hs(names.get(u, u) for u in order), y=g["contribution"], name=q, marker_color=palette.get(q),
                    hovertemplate="%{x} " + q + ": %{y:.2f}<extra></extra>")
    fig.update_xaxes(tickangle=-45)
    return _layout(fig, height=420, barmode="stack", yaxis_title=t("chart.points", lang), title=t("chart.annual", lang))


def corr_heatmap(matrix: pd.DataFrame, names: dict[str, str], title: str, lang: str,
                 near: float = 0.92) -> go.Figure:
    """A correlation matrix, red for negative and blue for positive (0 white); cells with |r| above
    `near` off the diagonal (near-duplicates) and negative ones are marked in their text."""
    labels = _hs(names.get(c, c) or t("dim.performance", lang) for c in matrix.columns)
    z = matrix.to_numpy(dtype=float)
    text = [[("" if pd.isna(v) else f"{v:.2f}" + (" ‼" if i != j and abs(v) > near else " ▼" if v < 0 else ""))
             for j, v in enumerate(row)] for i, row in enumerate(z)]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=labels, zmin=-1, zmax=1, zmid=0, colorscale="RdBu", text=text,
                               texttemplate="%{text}", hovertemplate="%{y} × %{x}: %{z:.3f}<extra></extra>",
                               colorbar={"title": "r"}))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=max(320, 60 + 42 * len(labels)), title=_h(title))  # (the title names a node)


def effective_weights(df: pd.DataFrame, lang: str) -> go.Figure:
    """Nominal share of the performance score next to the correlation-based effective share, per indicator."""
    fig = go.Figure([
        go.Bar(x=_hs(df["name"]), y=df["nominal_share"], name=t("audit.nominal", lang), marker_color="#B0BEC5"),
        go.Bar(x=_hs(df["name"]), y=df["effective_share"], name=t("audit.effective", lang), marker_color=DIM_COLOURS["performance"]),
    ])
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(tickangle=-45)
    return _layout(fig, height=420, barmode="group", title=t("chart.effective", lang))


def assumption_bars(summary: pd.DataFrame, lang: str) -> go.Figure:
    """Sobol S1 and ST of each assumption (a weight, a method choice) on the mean absolute rank shift."""
    fig = go.Figure([
        go.Bar(x=_hs(summary["label"]), y=summary["S1"], name="S1", error_y={"type": "data", "array": summary["S1_conf"]},
               marker_color=DIM_COLOURS["mass"]),
        go.Bar(x=_hs(summary["label"]), y=summary["ST"], name="ST", error_y={"type": "data", "array": summary["ST_conf"]},
               marker_color=DIM_COLOURS["compliance"]),
    ])
    return _layout(fig, height=360, barmode="group", title=t("chart.sobol_methods", lang))
