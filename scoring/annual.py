"""The annual result (年度考核): a year's published quarters rolled up per unit, a pure function.

With a model, the roll-up is also graded (the model's tiers, quota and veto: a unit vetoed in
any quarter of the year gets the veto grade), and a yearly 基层评议上级 (`reverse.cycle = "year"`,
the seed's 每年组织) counts here: each rated department's annual mass score takes the model's
share of its result (below k raters: the model's `below_k` policy), its total moves with it, and a
result below the floor keeps it from the top tier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import grades as grading
from scoring.model import BelowK, Model, ReverseCycle
from scoring.ranking import competition_rank, round_half_up

SCORES = ["total", "mass", "performance", "compliance"]
COLUMNS = ["unit_id", "unit_name", "unit_type", "group", "quarters", *SCORES, "rank_group", "rank_overall"]
GRADED = ["grade", "vetoed_in", "n_raters", "reverse", "reverse_used", "reverse_rule"]
REVERSE_COLUMNS = ["score", "n_raters"]  # a yearly evaluation: per department, its result (NaN below k) and raters


def roll_up(quarters: pd.DataFrame, weights: dict[str, float], decimals: int = 2, model: Model | None = None,
            reverse: pd.DataFrame | None = None) -> pd.DataFrame:
    """Weighted mean of each unit's quarters (`quarters`: one row per unit and period, with the
    scores; `weights` by "Q1".."Q4", renormalised over the quarters the unit has), ranked overall
    and within the unit's latest group; name, type and group are the latest quarter's.

    With `model`: the annual grade, and the yearly reverse evaluation `reverse` (indexed by unit_id,
    REVERSE_COLUMNS) when the model organises it yearly. `reverse_rule` says what counted for each
    rated department: "own" result, "group_mean", "survey_only", or "incomplete" (not ranked)."""
    columns = COLUMNS + (GRADED if model is not None else [])
    if quarters.empty:
        return pd.DataFrame(columns=columns)
    df = quarters.sort_values("period", kind="stable")
    df = df.assign(w=df["period"].str[-2:].map(weights).fillna(0.0).astype(float))
    df = df[df["w"] > 0]
    g = df.groupby("unit_id", sort=False)
    wsum = g["w"].sum()
    out = pd.DataFrame({c: (df[c].astype(float) * df["w"]).groupby(df["unit_id"], sort=False).sum() / wsum
                        for c in SCORES})
    latest = g.last()
    out.insert(0, "quarters", g["period"].agg(lambda p: ",".join(x[-2:] for x in p)))
    for c in ("group", "unit_type", "unit_name"):
        out.insert(0, c, latest[c])
    ranked = pd.Series(True, index=out.index)
    cap = pd.Series(0, index=out.index)
    if model is not None:
        vetoed = df[df["veto"].notna()] if "veto" in df else df.iloc[:0]
        out["vetoed_in"] = vetoed.groupby("unit_id")["period"].agg(lambda p: ",".join(x[-2:] for x in p))
        for c in ("n_raters", "reverse", "reverse_used", "reverse_rule"):
            out[c] = np.nan if c != "reverse_rule" else None
        if model.reverse is not None and model.reverse.cycle == ReverseCycle.YEAR and reverse is not None:
            ranked, cap = _yearly_reverse(out, reverse, model)
    out["total"] = out["total"].clip(0.0, 100.0)
    score = out["total"].where(ranked)
    out["rank_group"] = competition_rank(score, decimals, by=out["group"])
    out["rank_overall"] = competition_rank(score, decimals)
    if model is not None:
        tiers, _ = grading.grade_units(model.grades, round_half_up(score, decimals), out["group"], ranked,
                                       out["vetoed_in"].notna(), cap)
        labels = np.array(model.tier_labels(), dtype=object)
        out["grade"] = np.where(ranked, labels[tiers.to_numpy()], None)
    out = out.reset_index()
    return out[columns].sort_values(["rank_overall", "unit_id"], ignore_index=True, na_position="last")


def _yearly_reverse(out: pd.DataFrame, reverse: pd.DataFrame, model: Model) -> tuple[pd.Series, pd.Series]:
    """Blend the year's reverse evaluation into the rated departments' annual mass and total, in
    place; returns which units are ranked and each unit's best allowed tier."""
    spec = model.reverse
    rated = out["unit_type"].isin(spec.applies_to)
    own = reverse["score"].reindex(out.index).astype(float)
    out["n_raters"] = reverse["n_raters"].reindex(out.index).astype(float).fillna(0.0).where(rated)
    out["reverse"] = own.where(rated)
    shown = rated & own.notna()
    used = own.where(shown)
    rule = pd.Series(np.where(shown, "own", None), index=out.index, dtype=object)
    below = rated & ~shown
    ranked = pd.Series(True, index=out.index)
    if spec.below_k == BelowK.GROUP_MEAN:
        fill = used.groupby(out["group"]).transform("mean").fillna(used.mean())
        filled = below & fill.notna()
        used = used.where(~filled, fill)
        rule[filled] = "group_mean"
        rule[below & ~filled] = "survey_only"
    elif spec.below_k == BelowK.INCOMPLETE:
        ranked = ~below
        rule[below] = "incomplete"
    else:
        rule[below] = "survey_only"
    counts = used.notna()
    blended = out["mass"] * (1 - spec.share) + used * spec.share
    out["total"] = out["total"] + (model.weights["mass"] * (blended - out["mass"])).where(counts, 0.0)
    out["mass"] = out["mass"].where(~counts, blended)
    out["reverse_used"] = used
    out["reverse_rule"] = rule
    below_floor = shown & (round_half_up(own, model.model.rank_decimals) < spec.excellent_floor)
    return ranked, pd.Series(np.where(below_floor, 1, 0), index=out.index)


QUARTER_COLUMNS = ["unit_id", "unit_name", "group", "quarter", "period", "state", "total", "rank_overall", "grade",
                   "share", "contribution"]


def quarter_table(quarters: pd.DataFrame, weights: dict[str, float], year: str) -> pd.DataFrame:
    """Each unit's four quarters of `year` (long: one row per unit and Q1..Q4): its total, rank and
    grade; `share` = the quarter's weight renormalised over the quarters the unit has (as roll_up
    does) and `contribution` = share × total, so a unit's contributions sum to its annual total
    (before a yearly reverse evaluation). `state`: "ok"; "missing" (the quarter is published but the
    unit was not ranked in it); "pending" (not published yet)."""
    if quarters.empty:
        return pd.DataFrame(columns=QUARTER_COLUMNS)
    df = quarters.sort_values("period", kind="stable").assign(quarter=lambda d: d["period"].str[-2:])
    df = df.assign(w=df["quarter"].map(weights).fillna(0.0).astype(float))
    published = set(df["period"])
    wsum = df[df["w"] > 0].groupby("unit_id")["w"].sum()
    latest = df.groupby("unit_id", sort=False).last()
    rows = []
    for uid, last in latest.iterrows():
        mine = df[df["unit_id"] == uid].set_index("quarter")
        for q in ("Q1", "Q2", "Q3", "Q4"):
            period = f"{year}{q}"
            if q in mine.index:
                r = mine.loc[q]
                share = float(r["w"] / wsum[uid]) if uid in wsum.index and r["w"] > 0 else 0.0
                rows.append((uid, last["unit_name"], last["group"], q, period, "ok", float(r["total"]),
                             r["rank_overall"], r["grade"], share, share * float(r["total"])))
            else:
                state = "missing" if period in published else "pending"
                rows.append((uid, last["unit_name"], last["group"], q, period, state, np.nan, pd.NA, None, 0.0, np.nan))
    out = pd.DataFrame(rows, columns=QUARTER_COLUMNS)
    out["rank_overall"] = out["rank_overall"].astype("Int64")
    return out
