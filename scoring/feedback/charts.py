"""The report's charts as 200 dpi PNGs (matplotlib, no display), in the dashboard's colours."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from scoring.charts import DIM_COLOURS
from scoring.feedback.fonts import chart_family
from scoring.i18n import t

DPI = 200


def _figure(width: float = 6.6, height: float = 2.7):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    return fig, fig.add_subplot(111)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _style():
    """The charts' look; `text.parse_math` off, so a name from data with `$…$` in it stays text."""
    import matplotlib

    return matplotlib.rc_context({"font.family": chart_family(), "font.size": 8, "axes.spines.top": False,
                                  "axes.spines.right": False, "axes.unicode_minus": False, "text.parse_math": False})


def dimensions(df: pd.DataFrame, lang: str) -> bytes:
    """The unit's three dimension scores beside its group's means."""
    with _style():
        fig, ax = _figure()
        x = np.arange(len(df))
        names = [t(f"dim.{d}", lang) for d in df["dimension"]]
        a = ax.bar(x - 0.2, df["unit"], 0.4, color=[DIM_COLOURS[d] for d in df["dimension"]], label=t("chart.this_unit", lang))
        b = ax.bar(x + 0.2, df["group_mean"], 0.4, color="#B0BEC5", label=t("chart.group_mean", lang))
        ax.bar_label(a, fmt="%.1f", fontsize=7)
        ax.bar_label(b, fmt="%.1f", fontsize=7)
        ax.set_xticks(x, names)
        ax.set_ylim(0, 110)
        ax.legend(loc="lower right", fontsize=7)
        ax.set_title(t("chart.vs_group", lang))
        return _png(fig)


def waterfall(steps: pd.DataFrame, labels: list[str], lang: str) -> bytes:
    """From 0 to the total: each step's bar starts where the one before ended."""
    with _style():
        fig, ax = _figure(6.6, 3.0)
        base, bottoms, heights, colours = 0.0, [], [], []
        for kind, value in zip(steps["kind"], steps["value"], strict=True):
            if kind == "total":
                bottoms.append(0.0)
                heights.append(value)
                colours.append(DIM_COLOURS["mass"])
                continue
            bottoms.append(base if value >= 0 else base + value)
            heights.append(abs(value))
            colours.append(DIM_COLOURS["performance"] if value >= 0 else DIM_COLOURS["deduction"])
            base += value
        x = np.arange(len(steps))
        bars = ax.bar(x, heights, bottom=bottoms, color=colours)
        texts = [f"{v:.2f}" if k == "total" else f"{v:+.2f}" for k, v in zip(steps["kind"], steps["value"], strict=True)]
        ax.bar_label(bars, labels=texts, fontsize=6.5)
        ax.set_xticks(x, labels, rotation=30, ha="right")
        ax.set_ylim(0, 110)
        ax.set_title(t("chart.waterfall", lang))
        return _png(fig)


def trend(hist: pd.DataFrame, lang: str) -> bytes:
    """Total per quarter (left) and overall rank (right, 1 at the top)."""
    with _style():
        fig, ax = _figure(6.6, 2.6)
        x = np.arange(len(hist))
        ax.plot(x, hist["total"].astype(float), marker="o", color=DIM_COLOURS["mass"], label=t("col.total", lang))
        for i, (v, g) in enumerate(zip(hist["total"], hist["grade"], strict=True)):
            if pd.notna(v):
                ax.annotate(f"{float(v):.1f} {g or ''}", (i, float(v)), textcoords="offset points", xytext=(0, 5),
                            ha="center", fontsize=6.5)
        ax.set_xticks(x, list(hist["period"]))
        ax.set_ylabel(t("col.total", lang))
        ranks = pd.to_numeric(hist["rank_overall"], errors="coerce").astype(float)
        if ranks.notna().any():
            ax2 = ax.twinx()
            ax2.plot(x, ranks, linestyle=":", marker=".", color="#888", label=t("col.rank_overall", lang))
            ax2.invert_yaxis()
            ax2.set_ylabel(t("col.rank_overall", lang))
        ax.set_title(t("chart.trend", lang))
        return _png(fig)
