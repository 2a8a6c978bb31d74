"""Indicator scoring methods (SPEC 2.2). Pure kernels over numpy arrays, no validation.

Each kernel takes the raw values `x` of one indicator and, where the method is relative,
per-unit comparison-group statistics already broadcast to `x`'s shape. NaN in, NaN out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.model import Direction, Indicator, Method
from scoring.text import Text

FULL = 100.0


def efficacy(x: np.ndarray, satisfactory: np.ndarray, unacceptable: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """功效系数法: 60 + 40·(x − 不允许值)/(满意值 − 不允许值), clipped to [floor, 100].
    For lower-is-better the caller passes the bounds swapped, which the formula handles."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = 60.0 + 40.0 * (x - unacceptable) / (satisfactory - unacceptable)
    return np.clip(s, floor, FULL)


def target(x: np.ndarray, goal: float, cap: float, lower_is_better: bool) -> np.ndarray:
    """目标完成率: 100·min(ratio, cap)/cap where ratio is x/target (or target/x when lower is better)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = goal / x if lower_is_better else x / goal
    ratio = np.where(lower_is_better & (x <= 0), cap, ratio)  # nothing at all is the best possible "lower"
    return np.clip(np.minimum(ratio, cap) / cap * FULL, 0.0, FULL)


def minmax(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, lower_is_better: bool) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (hi - x) / (hi - lo) if lower_is_better else (x - lo) / (hi - lo)
    return s * FULL


def zscore(x: np.ndarray, mean: np.ndarray, std: np.ndarray, lower_is_better: bool) -> np.ndarray:
    """T-score 50 + 10·z (population standard deviation), clipped to [0, 100]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x - mean) / std
    return np.clip(50.0 + 10.0 * (-z if lower_is_better else z), 0.0, FULL)


def rank_points(avg_rank: np.ndarray, n: np.ndarray, floor: float) -> np.ndarray:
    """位次赋分: linear from 100 (first) to `floor` (last). `avg_rank` is the average rank of
    tied units, so ties share the points of the places they occupy."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = FULL - (FULL - floor) * (avg_rank - 1.0) / (n - 1.0)
    return np.where(n <= 1, FULL, s)


def threshold(x: np.ndarray, goal: float, lower_is_better: bool) -> np.ndarray:
    met = x <= goal if lower_is_better else x >= goal
    return np.where(np.isnan(x), np.nan, np.where(met, FULL, 0.0))


def band(x: np.ndarray, lower: float, upper: float, tolerance: float) -> np.ndarray:
    """区间型: full marks inside [lower, upper], falling linearly to 0 at `tolerance` outside."""
    distance = np.maximum(lower - x, 0.0) + np.maximum(x - upper, 0.0)
    return np.clip(FULL * (1.0 - distance / tolerance), 0.0, FULL)


# ------------------------------------------------------------------ the validating wrapper

def score_indicator(ind: Indicator, x: pd.Series, scope: pd.Series, efficacy_floor: float) -> tuple[pd.Series, pd.Series]:
    """Score one indicator for every unit. `scope` labels each unit's comparison group.

    Returns (scores, no_spread): where the comparison group had no spread, every unit got full marks.
    Missing values stay NaN; the missing-value policy is applied by the caller.
    """
    lower = ind.direction == Direction.LOWER
    values = x.to_numpy(dtype=float)
    grouped = x.groupby(scope, sort=False)
    no_spread = np.zeros(len(x), dtype=bool)

    def stat(name: str) -> np.ndarray:
        return grouped.transform(name).to_numpy(dtype=float)

    m = ind.method
    if m == Method.EFFICACY:
        if ind.satisfactory is not None:
            sat = np.full(len(x), ind.satisfactory)
            unacc = np.full(len(x), ind.unacceptable)
        else:
            lo, hi = stat("min"), stat("max")
            sat, unacc = (lo, hi) if lower else (hi, lo)
            no_spread = hi == lo
        s = efficacy(values, sat, unacc, efficacy_floor)
    elif m == Method.TARGET:
        s = target(values, ind.target, ind.cap, lower)
    elif m == Method.MINMAX:
        lo, hi = stat("min"), stat("max")
        no_spread = hi == lo
        s = minmax(values, lo, hi, lower)
    elif m == Method.ZSCORE:
        std = grouped.transform("std", ddof=0).to_numpy(dtype=float)
        no_spread = std == 0
        s = zscore(values, stat("mean"), std, lower)
    elif m == Method.RANK:
        avg = grouped.rank(method="average", ascending=lower).to_numpy(dtype=float)
        n = stat("count")
        no_spread = (stat("min") == stat("max")) & (n > 1)
        s = rank_points(avg, n, ind.floor)
    elif m == Method.THRESHOLD:
        s = threshold(values, ind.target, lower)
    else:
        s = band(values, ind.lower, ind.upper, ind.tolerance)
    no_spread &= ~np.isnan(values)
    s = np.where(no_spread, FULL, s)
    s = np.where(np.isnan(values), np.nan, s)
    return pd.Series(s, index=x.index), pd.Series(no_spread, index=x.index)


def describe(ind: Indicator) -> Text:
    """The scoring rule in words, for the unit breakdown."""
    d = {"higher": ("越高越好", "higher is better"), "lower": ("越低越好", "lower is better"),
         "band": ("区间型", "within a band")}[ind.direction.value]
    m = ind.method
    if m == Method.EFFICACY:
        if ind.satisfactory is not None:
            zh = f"功效系数法：60 + 40×(x − {ind.unacceptable:g})/({ind.satisfactory:g} − {ind.unacceptable:g})"
            en = f"efficacy coefficient: 60 + 40·(x − {ind.unacceptable:g})/({ind.satisfactory:g} − {ind.unacceptable:g})"
        else:
            zh, en = "功效系数法，满意值/不允许值取组内最优/最差", "efficacy coefficient, bounds = best/worst in the group"
    elif m == Method.TARGET:
        zh = f"目标完成率：目标 {ind.target:g}，封顶 {ind.cap:g}"
        en = f"target completion: target {ind.target:g}, cap {ind.cap:g}"
    elif m == Method.MINMAX:
        zh, en = "极差标准化（组内最小 0 分、最大 100 分）", "min-max within the group (min 0, max 100)"
    elif m == Method.ZSCORE:
        zh, en = "标准分 50 + 10z（组内）", "T-score 50 + 10·z within the group"
    elif m == Method.RANK:
        zh = f"位次赋分：第一名 100 分，末位 {ind.floor:g} 分，并列均分"
        en = f"rank points: first 100, last {ind.floor:g}, ties share"
    elif m == Method.THRESHOLD:
        zh, en = f"达标得满分（标准 {ind.target:g}），否则 0 分", f"full marks if the target {ind.target:g} is met, else 0"
    else:
        zh = f"区间型：[{ind.lower:g}, {ind.upper:g}] 内满分，超出 {ind.tolerance:g} 降为 0"
        en = f"band: full marks in [{ind.lower:g}, {ind.upper:g}], 0 at {ind.tolerance:g} outside"
    return Text(f"{zh}（{d[0]}）", f"{en} ({d[1]})")
