"""Sobol indices of the dimension weights on each unit's rank and on the mean absolute rank shift."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring.sensitivity.inputs import SensitivityInput
from scoring.sensitivity.kernel import _evaluate


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices, the estimators SALib uses.

    f_a, f_b: (N, m) outputs on the two base matrices; f_ab: (k, N, m), f_ab[i] on A with column i
    from B. Returns (S1, ST), each (k, m). Outputs are centred on their mean over all evaluations
    first, as SALib does: the first-order estimator is biased for outputs far from 0, like ranks.
    An output that never varies gets NaN.
    """
    centre = (f_a.sum(axis=0) + f_b.sum(axis=0) + f_ab.sum(axis=(0, 1))) / (len(f_a) * (len(f_ab) + 2))
    f_a, f_b, f_ab = f_a - centre, f_b - centre, f_ab - centre
    var = np.var(np.concatenate([f_a, f_b]), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = np.mean(f_b * (f_ab - f_a), axis=1) / var
        st = 0.5 * np.mean((f_a - f_ab) ** 2, axis=1) / var
    return s1, st


@dataclass(frozen=True, eq=False)
class SobolResult:
    """Sobol indices of the independent weight factors on each unit's rank and on the mean
    absolute rank shift (`mar_*`, with bootstrap 95% half-widths)."""

    factors: tuple[str, ...]
    bounds: np.ndarray  # k × 2 range of each raw factor
    s1_rank: np.ndarray  # factors × units
    st_rank: np.ndarray
    mar_s1: np.ndarray
    mar_st: np.ndarray
    mar_s1_conf: np.ndarray
    mar_st_conf: np.ndarray
    n_evaluations: int
    inp: SensitivityInput = field(repr=False)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        summary = pd.DataFrame({"factor": self.factors, "low": self.bounds[:, 0], "high": self.bounds[:, 1],
                                "S1": self.mar_s1, "S1_conf": self.mar_s1_conf, "ST": self.mar_st,
                                "ST_conf": self.mar_st_conf, "n_evaluations": self.n_evaluations})
        units = pd.DataFrame({"unit_id": self.inp.unit_ids, "unit_name": self.inp.unit_names,
                              "rank": self.inp.nominal.rank})
        for i, f in enumerate(self.factors):
            units[f"S1_{f}"] = self.s1_rank[i]
            units[f"ST_{f}"] = self.st_rank[i]
        return {"sobol_mean_abs_shift": summary, "sobol_units": units}


def sobol_weights(inp: SensitivityInput, n_base: int = 1024, *, delta: float | None = 0.1, seed: int = 0,
                  n_boot: int = 200) -> SobolResult:
    """Sobol indices of the dimension weights, N·(k + 2) evaluations on a scrambled Sobol' sequence.

    Weights on the simplex are dependent (they sum to 1), and Sobol indices need independent
    inputs, so the factors are independent raw weights x_i ~ U(max(0, w_i − delta), w_i + delta)
    (U(0, 1) with delta None) and the weights are x / Σx: the index of "mass" measures the effect of
    the mass weight's uncertainty through its share of the total, including what it takes from the others.
    """
    if n_base < 2 or n_base & (n_base - 1):
        raise ValueError("n_base must be a power of 2 (Sobol' sequence balance)")
    k = len(inp.weights)
    lo = np.zeros(k) if delta is None else np.maximum(inp.weights - delta, 0)
    hi = np.ones(k) if delta is None else inp.weights + delta
    base = qmc.Sobol(2 * k, scramble=True, seed=seed).random(n_base)
    a = lo + base[:, :k] * (hi - lo)
    b = lo + base[:, k:] * (hi - lo)
    ab = np.repeat(a[None], k, axis=0)
    for i in range(k):
        ab[i, :, i] = b[:, i]
    x = np.concatenate([a, b, ab.reshape(-1, k)])
    sums = x.sum(axis=1, keepdims=True)
    w = np.divide(x, sums, out=np.full_like(x, 1.0 / k), where=sums > 0)
    ranks = _evaluate(inp, w).rank.astype(float)
    mar = np.abs(ranks - inp.nominal.rank).mean(axis=1)

    def split(y):
        return y[:n_base], y[n_base:2 * n_base], y[2 * n_base:].reshape(k, n_base, *y.shape[1:])

    s1, st = sobol_indices(*split(ranks))
    ma, mb, mab = split(mar[:, None])
    m1, mt = sobol_indices(ma, mb, mab)
    rng = np.random.default_rng(seed)
    boots = np.array([np.concatenate(sobol_indices(ma[r], mb[r], mab[:, r]))[:, 0]
                      for r in rng.integers(0, n_base, size=(n_boot, n_base))])
    conf = stats.norm.ppf(0.975) * np.nanstd(boots, axis=0)
    return SobolResult(inp.dimensions, np.column_stack([lo, hi]), s1, st, m1[:, 0], mt[:, 0], conf[:k], conf[k:],
                       len(w), inp)
