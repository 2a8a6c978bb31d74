"""Outlier treatment of raw indicator values before scoring (the model's `[performance.treatment]`).

COINr's rule and algorithm, per indicator and comparison group (relative scoring compares a unit
with its group, so that is where an extreme value distorts the others' scores):

- skewness and kurtosis are the bias-corrected sample statistics (Excel's SKEW and KURT, e1071
  type 2; scipy's `skew(bias=False)` and `kurtosis(bias=False)`: excess kurtosis), needing at
  least 4 values;
- a group's values are flagged when |skewness| ≥ `skew` and kurtosis ≥ `kurtosis` (COINr's
  `check_SkewKurt`, thresholds 2 and 3.5);
- `winsorise`: the most extreme value on the side of the skew is replaced by the next value in,
  one point at a time, until the flag clears or `max_points` values were changed;
- `log`: the group's values become ln(x − min + 0.01·(max − min)) (COINr's `log_CT`), mirrored
  (−ln(max − x + 0.01·(max − min))) when the skew is negative, so the direction is kept.

Every changed value is returned with a note (a `scoring.flags.Flag`): nothing is treated silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.flags import NoteCode, make
from scoring.model import OutlierTreatment, Treatment


def skewness(x: np.ndarray) -> float:
    """Bias-corrected sample skewness G1 (NaN with fewer than 3 values or no spread)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 3:
        return float("nan")
    d = x - x.mean()
    m2, m3 = (d ** 2).mean(), (d ** 3).mean()
    if m2 == 0:
        return float("nan")
    return float(m3 / m2 ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(x: np.ndarray) -> float:
    """Bias-corrected sample excess kurtosis G2 (NaN with fewer than 4 values or no spread)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 4:
        return float("nan")
    d = x - x.mean()
    m2, m4 = (d ** 2).mean(), (d ** 4).mean()
    if m2 == 0:
        return float("nan")
    return float(((n + 1) * (m4 / m2 ** 2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def flagged(x: np.ndarray, skew: float = 2.0, kurt: float = 3.5) -> bool:
    """COINr's outlier rule: |skewness| ≥ `skew` and kurtosis ≥ `kurt` (False when undefined)."""
    s, k = skewness(x), kurtosis(x)
    return bool(np.isfinite(s) and np.isfinite(k) and abs(s) >= skew and k >= kurt)


def winsorise(x: np.ndarray, spec: Treatment) -> tuple[np.ndarray, np.ndarray]:
    """Winsorised copy of `x` (NaN kept) and the mask of changed points."""
    out = np.asarray(x, dtype=float).copy()
    changed = np.zeros(len(out), bool)
    for _ in range(spec.max_points):
        if not flagged(out, spec.skew, spec.kurtosis):
            break
        live = np.flatnonzero(~np.isnan(out))
        vals = out[live]
        if skewness(out) > 0:
            target = live[vals == vals.max()]
            rest = vals[vals < vals.max()]
            if not len(rest):
                break
            out[target] = rest.max()
        else:
            target = live[vals == vals.min()]
            rest = vals[vals > vals.min()]
            if not len(rest):
                break
            out[target] = rest.min()
        changed[target] = True
    return out, changed


def log_transform(x: np.ndarray) -> np.ndarray:
    """COINr's log_CT on the side of the skew: ln(x − min + a), or −ln(max − x + a) for negative skew,
    a = 0.01·(max − min)."""
    x = np.asarray(x, dtype=float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    a = 0.01 * (hi - lo)
    return np.log(x - lo + a) if skewness(x) >= 0 else -np.log(hi - x + a)


def treat(values: pd.Series, scope: pd.Series, spec: Treatment) -> tuple[pd.Series, pd.Series]:
    """Treat one indicator's raw `values` within each comparison group (`scope`).

    Returns (treated values, notes): a note (Flag) on every value the treatment changed, None elsewhere.
    """
    out = values.astype(float).copy()
    notes = pd.Series(None, index=values.index, dtype=object)
    if spec.outliers == OutlierTreatment.OFF:
        return out, notes
    for _, idx in values.groupby(scope, sort=False).groups.items():
        x = values.loc[idx].to_numpy(dtype=float)
        if not flagged(x, spec.skew, spec.kurtosis):
            continue
        s, k = skewness(x), kurtosis(x)
        if spec.outliers == OutlierTreatment.WINSORISE:
            treated, changed = winsorise(x, spec)
            out.loc[idx] = treated
            for i in np.flatnonzero(changed):
                notes.loc[idx[i]] = make(NoteCode.WINSORISED, value=float(x[i]), treated=float(treated[i]),
                                         skew=s, kurtosis=k)
        else:
            treated = log_transform(x)
            out.loc[idx] = treated
            for i in np.flatnonzero(~np.isnan(x)):
                notes.loc[idx[i]] = make(NoteCode.LOG_TRANSFORMED, value=float(x[i]), treated=float(treated[i]),
                                         skew=s, kurtosis=k)
    return out, notes
