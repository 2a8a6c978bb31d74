"""Grade rules: thresholds, quota, veto and caps. The tiers themselves are data in the model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scoring.model import Grades, QuotaRounding, QuotaTies


def tier_index(scores: np.ndarray, grades: Grades) -> np.ndarray:
    """Index into `grades.tier` (0 = best) by threshold, for an array of any shape."""
    mins = np.array([t.min for t in grades.tier], dtype=float)
    # tiers are sorted from high to low minimum: count the minimums a score fails to reach
    return (np.asarray(scores)[..., None] < mins).sum(axis=-1).clip(0, len(mins) - 1)


def quota_allowed(n_units: int, quota: float, grades: Grades | None = None) -> int:
    """How many units of a scope of `n_units` a tier with this quota may hold: quota × n rounded as
    the model says (floor by default), at least one place when the model says so."""
    x = quota * n_units
    rounding = grades.quota_rounding if grades is not None else QuotaRounding.FLOOR
    if rounding == QuotaRounding.CEIL:
        places = int(np.ceil(x - 1e-9))
    elif rounding == QuotaRounding.ROUND:
        places = int(np.floor(x + 0.5 + 1e-9))
    else:
        places = int(np.floor(x + 1e-9))
    if grades is not None and grades.quota_min_one and n_units > 0:
        places = max(places, 1)
    return min(places, n_units)


def apply_quota(tiers: pd.Series, scores: pd.Series, groups: pd.Series, grades: Grades,
                eligible: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Demote units beyond a tier's quota to the next tier, best scores keep their place.

    Units tied at the boundary are all demoted by default: a quota is a maximum ("at most 20%");
    with `quota_ties = "keep_all"` those tied with the last place all keep it instead.
    Returns the new tier indices and a boolean Series marking the demoted units.
    """
    tiers = tiers.copy()
    demoted = pd.Series(False, index=tiers.index)
    scope = groups if grades.quota_scope == "group" else pd.Series("", index=groups.index)
    for ti, tier in enumerate(grades.tier):
        if tier.quota is None:
            continue
        for _, idx in scope[eligible].groupby(scope[eligible]).groups.items():
            allowed = quota_allowed(len(idx), tier.quota, grades)
            in_tier = [i for i in idx if tiers[i] == ti]
            if len(in_tier) <= allowed:
                continue
            s = scores[in_tier].sort_values(ascending=False)
            if grades.quota_ties == QuotaTies.KEEP_ALL and allowed > 0:
                drop = s.index[s < s.iloc[allowed - 1]]
            else:
                drop = s.index[s <= s.iloc[allowed]]
            tiers[drop] = ti + 1
            demoted[drop] = True
    return tiers, demoted


def grade_units(grades: Grades, scores: pd.Series, groups: pd.Series, ok: pd.Series, vetoed: pd.Series,
                cap: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Tier index of every unit (the pipeline's grading), in this order: thresholds on the rounded
    `scores`, the cap (best tier allowed), the veto tier, then the quota within its scope.
    Returns (tiers, demoted by the quota). Only `ok` units are graded; the others' tiers are
    meaningless. Its per-sample twin is `grade_rows`, which must give the same tiers."""
    tiers = pd.Series(tier_index(scores.fillna(0).to_numpy(), grades), index=scores.index)
    capped = ok & (tiers < cap)
    tiers = tiers.where(~capped, cap)
    tiers[vetoed & ok] = veto_tier(grades)
    return apply_quota(tiers, scores, groups, grades, ok)


def tier_rows(scores: np.ndarray, grades: Grades, scale: float | None = None) -> np.ndarray:
    """`tier_index` for samples × units matrices, as int8, without its (..., tiers) temporary.

    With `scale`, `scores` are integers counting 1/scale points (rounded scores × 10^decimals) and
    each minimum becomes the smallest integer k with k / scale >= min, so the result equals
    `tier_index(scores / scale)` exactly while comparing integers.
    """
    mins = [t.min for t in grades.tier]
    tiers = np.zeros(np.shape(scores), dtype=np.int8)
    for m in mins[:-1]:  # the count of minimums not reached, as tier_index, capped at the last tier
        tiers += scores < (_integer_min(m, scale) if scale else m)
    return tiers


def _integer_min(m: float, scale: float) -> int:
    k = math.ceil(m * scale)
    while (k - 1) / scale >= m:
        k -= 1
    while k / scale < m:
        k += 1
    return k


def _as_slice(cols: np.ndarray) -> slice | np.ndarray:
    """Contiguous columns as a slice: views instead of fancy-index copies."""
    return slice(cols[0], cols[-1] + 1) if cols[-1] - cols[0] + 1 == len(cols) else cols


def veto_tier(grades: Grades) -> int:
    """The tier a veto forces: the model's veto grade, or the lowest tier."""
    labels = [t.label for t in grades.tier]
    return labels.index(grades.veto_grade) if grades.veto_grade is not None else len(labels) - 1


def grade_rows(scores: np.ndarray, scope: np.ndarray, grades: Grades, cap: np.ndarray | None = None,
               veto: np.ndarray | None = None, scale: float | None = None) -> np.ndarray:
    """Tier index of every unit (column) in every row of rounded `scores`, rows graded independently.

    The per-sample twin of `grade_units` (the pipeline's grading), which it must equal row by row on
    the same rounded scores (tests/test_sensitivity.py::test_grade_rows_equals_pipeline_grading).
    Same order: thresholds, the cap (best tier allowed), the veto tier, then each quota within its
    scope (`scope` = integer code per unit: the comparison group, or all zeros). A quota demotes every unit of the tier whose score
    is at or below the (allowed + 1)-th best score of that tier in its scope (with `quota_ties =
    "keep_all"`: below the allowed-th best), exactly like `apply_quota`; the cut is found with one
    `np.partition` per scope instead of a sort.
    All units passed are eligible (the pipeline grades `ok` units only). `scale`: see `tier_rows`.
    """
    tiers = tier_rows(scores, grades, scale)
    if cap is not None:
        np.maximum(tiers, np.asarray(cap, dtype=np.int8), out=tiers)
    if veto is not None and np.any(veto):
        tiers[:, np.asarray(veto, dtype=bool)] = veto_tier(grades)
    quota_tiers = [(ti, t.quota) for ti, t in enumerate(grades.tier) if t.quota is not None]
    if not quota_tiers:
        return tiers
    lowest = np.iinfo(scores.dtype).min if np.issubdtype(scores.dtype, np.integer) else -np.inf
    members = [np.flatnonzero(scope == s) for s in np.unique(scope)]
    keep_ties = grades.quota_ties == QuotaTies.KEEP_ALL
    for ti, quota in quota_tiers:
        for size, cols in ((len(m), _as_slice(m)) for m in members):
            allowed = quota_allowed(size, quota, grades)
            sub_t = tiers[:, cols]
            in_tier = sub_t == ti
            rows = np.flatnonzero(in_tier.sum(axis=1) > allowed)
            if rows.size == 0:
                continue
            sub_s = scores[rows][:, cols]
            m = in_tier[rows]
            filled = np.where(m, sub_s, lowest)
            if keep_ties and allowed > 0:
                # the allowed-th best score among the tier's units: everything below it drops
                kth = size - allowed
                cut = np.partition(filled, kth, axis=1)[:, kth]
                sub_t[rows] += m & (sub_s < cut[:, None])
            else:
                # the (allowed + 1)-th best score among the tier's units: it and everything below drop
                kth = size - 1 - allowed
                cut = np.partition(filled, kth, axis=1)[:, kth]
                sub_t[rows] += m & (sub_s <= cut[:, None])
            tiers[:, cols] = sub_t
    return tiers
