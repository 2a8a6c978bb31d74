"""Standard competition ranking (1, 2, 2, 4) on scores rounded half up (四舍五入) to the model's decimals."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Scores are sums of binary floats: 85.125 may be stored as 85.12499999999999. A nudge far below
# any meaningful score difference makes such values round the way the printed decimal does.
ROUND_EPS = 1e-9


def rounded_keys(scores: np.ndarray, decimals: int) -> np.ndarray:
    """Scores rounded half up, as integers in units of 10^-decimals (NaN stays NaN, as float)."""
    return np.floor(np.asarray(scores, dtype=float) * 10.0**decimals + 0.5 + ROUND_EPS)


def round_half_up(scores: pd.Series, decimals: int) -> pd.Series:
    """四舍五入 to `decimals`: 85.125 -> 85.13 (pandas' own round would give the banker's 85.12)."""
    return pd.Series(rounded_keys(scores.to_numpy(dtype=float), decimals) / 10.0**decimals, index=scores.index)


def competition_rank(scores: pd.Series, decimals: int, by: pd.Series | None = None) -> pd.Series:
    """Rank descending; NaN scores get no rank. With `by`, ranks restart within each group."""
    rounded = round_half_up(scores, decimals)
    if by is None:
        ranks = rounded.rank(method="min", ascending=False)
    else:
        ranks = rounded.groupby(by, sort=False).rank(method="min", ascending=False)
    return ranks.astype("Int64")

