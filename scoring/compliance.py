"""Process compliance (SPEC 2.3): only necessary procedural justice counts.

Points style: each item earns its points on 通过, a model-set share on 部分, 0 on 未通过 (or a
number of points directly); the dimension is earned / possible × 100, items not assessed are
left out of "possible". Deduction style: 100 − Σ deductions, floored at 0; a cell holds the
deduction, or a status: 通过 deducts nothing, 未通过 the item's points, 部分 the share not earned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.model import Compliance, ComplianceStyle

ITEM_COLUMNS = ["unit_id", "item", "status", "points", "earned", "possible"]


def item_results(rows: pd.DataFrame, spec: Compliance) -> pd.DataFrame:
    """Per unit × item: earned and possible points (deduction style: earned = −deduction)."""
    points = pd.Series({i.code: i.points for i in spec.item}, dtype=float)
    per = pd.Series({i.code: i.per_violation for i in spec.item if i.per_violation}, dtype=float)
    df = rows[rows["item"].isin(points.index)].copy()
    full = df["item"].map(points).astype(float)
    status = df["status"]
    given = pd.to_numeric(df["points"], errors="coerce")
    # an item that counts violations: the number in its cell is how many, each costing `per_violation`
    cost = (df["item"].map(per).astype(float) * given).where(df["item"].isin(per.index))
    if spec.style == ComplianceStyle.POINTS:
        share = status.map({"pass": 1.0, "partial": spec.partial_share, "fail": 0.0})
        given = given.where(cost.isna(), (full - cost).clip(lower=0.0))
        df["earned"] = np.where(given.notna(), given, share * full)
        df["possible"] = np.where(df["earned"].notna(), full, np.nan)
    else:
        lost = status.map({"pass": 0.0, "partial": 1 - spec.partial_share, "fail": 1.0}).astype(float)
        given = given.where(cost.isna(), np.minimum(cost, full))
        deduction = np.where(given.notna(), given, lost * full)
        df["earned"] = -deduction
        df["possible"] = np.where(pd.notna(deduction), 0.0, np.nan)
    return df[ITEM_COLUMNS]


def dimension_scores(items: pd.DataFrame, spec: Compliance) -> pd.DataFrame:
    """Per unit: the compliance score and, for deduction style, how much the floor at 0 added."""
    assessed = items[items["earned"].notna()]
    g = assessed.groupby("unit_id", sort=False)
    earned = g["earned"].sum()
    if spec.style == ComplianceStyle.POINTS:
        possible = g["possible"].sum()
        score = (earned / possible * 100).where(possible > 0)
        floor_added = pd.Series(0.0, index=score.index)
    else:
        raw = 100.0 + earned
        score = raw.clip(lower=0.0)
        floor_added = score - raw
    return pd.DataFrame({"score": score, "floor_added": floor_added})
