"""Grade rules: thresholds, quota, veto and caps. The tiers themselves are data in the model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.model import Grades


def tier_index(scores: np.ndarray, grades: Grades) -> np.ndarray:
    """Index into `grades.tier` (0 = best) by threshold, for an array of any shape."""
    mins = np.array([t.min for t in grades.tier], dtype=float)
    # tiers are sorted from high to low minimum: count the minimums a score fails to reach
    return (np.asarray(scores)[..., None] < mins).sum(axis=-1).clip(0, len(mins) - 1)


def quota_allowed(n_units: int, quota: float) -> int:
    """How many units of a comparison group a tier with this quota may hold."""
    return int(np.floor(quota * n_units + 1e-9))


def apply_quota(tiers: pd.Series, scores: pd.Series, groups: pd.Series, grades: Grades,
                eligible: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Demote units beyond a tier's quota to the next tier, best scores keep their place.

    Units tied at the boundary are all demoted: a quota is a maximum ("at most 20%").
    Returns the new tier indices and a boolean Series marking the demoted units.
    """
    tiers = tiers.copy()
    demoted = pd.Series(False, index=tiers.index)
    scope = groups if grades.quota_scope == "group" else pd.Series("", index=groups.index)
    for ti, tier in enumerate(grades.tier):
        if tier.quota is None:
            continue
        for _, idx in scope[eligible].groupby(scope[eligible]).groups.items():
            allowed = quota_allowed(len(idx), tier.quota)
            in_tier = [i for i in idx if tiers[i] == ti]
            if len(in_tier) <= allowed:
                continue
            s = scores[in_tier].sort_values(ascending=False)
            cut = s.iloc[allowed] if allowed < len(s) else None
            drop = s.index[s <= cut] if cut is not None else s.index[:0]
            tiers[drop] = ti + 1
            demoted[drop] = True
    return tiers, demoted
