"""The annual result (年度考核): a year's published quarters rolled up per unit, a pure function."""

from __future__ import annotations

import pandas as pd

from scoring.ranking import competition_rank

SCORES = ["total", "mass", "performance", "compliance"]
COLUMNS = ["unit_id", "unit_name", "unit_type", "group", "quarters", *SCORES, "rank_group", "rank_overall"]


def roll_up(quarters: pd.DataFrame, weights: dict[str, float], decimals: int = 2) -> pd.DataFrame:
    """Weighted mean of each unit's quarters (`quarters`: one row per unit and period, with the
    scores; `weights` by "Q1".."Q4", renormalised over the quarters the unit has), ranked overall
    and within the unit's latest group; name, type and group are the latest quarter's."""
    if quarters.empty:
        return pd.DataFrame(columns=COLUMNS)
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
    out = out.reset_index()
    out["rank_group"] = competition_rank(out["total"], decimals, by=out["group"])
    out["rank_overall"] = competition_rank(out["total"], decimals)
    return out[COLUMNS].sort_values(["rank_overall", "unit_id"], ignore_index=True)
