"""One-at-a-time sweeps of a dimension's weight and the exact weights where two units cross."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.sensitivity.inputs import SensitivityInput
from scoring.sensitivity.kernel import Evaluation, _evaluate


def _sweep_lines(inp: SensitivityInput, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weight j = t, the others (1 − t)·r with r the official others rescaled to sum 1:
    w(t) = r + t·(e_j − r), so every unit's unclipped total is a + b·t."""
    r = inp.weights.copy()
    r[j] = 0.0
    r = r / r.sum() if r.sum() > 0 else np.where(np.arange(len(r)) == j, 0.0, 1.0 / (len(r) - 1))
    slope_w = -r
    slope_w[j] += 1.0
    return r, inp.dims @ r + inp.adjust, inp.dims @ slope_w


def _beyond(a: np.ndarray, b: np.ndarray, bound: float, upper: bool) -> tuple[np.ndarray, np.ndarray]:
    """The interval of t where a + b·t is at or beyond `bound` (above if `upper`), as (left, right)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tc = (bound - a) / b
    right_side = b > 0 if upper else b < 0  # beyond the bound for t ≥ tc
    left = np.where(b == 0, -np.inf, np.where(right_side, tc, -np.inf))
    right = np.where(b == 0, np.inf, np.where(right_side, np.inf, tc))
    return left, right


def crossings(inp: SensitivityInput, dimension: str, units: Sequence[int] | None = None) -> pd.DataFrame:
    """Every weight t in (0, 1) of `dimension` at which two units' totals are equal, solved exactly.

    Unclipped totals are lines a + b·t, so the pair (u, v) meets at t = (a_v − a_u)/(b_u − b_v) and the
    steeper one is ahead afterwards (`up` overtakes `down`). The clip to [0, 100] bends the lines: when
    they meet at or beyond a bound both are clipped there, so the pair is tied over [tie_from, tie_to]
    and `up` is ahead only after tie_to. Ranks use scores rounded to `decimals`, so a pair also shares a
    rank within about 0.5·10^−decimals / |b_u − b_v| of t.
    """
    j = inp.dimensions.index(dimension)
    _, a, b = _sweep_lines(inp, j)
    idx = np.arange(inp.n_units) if units is None else np.asarray(units)
    iu, iv = np.triu_indices(len(idx), k=1)
    u, v = idx[iu], idx[iv]
    db = b[u] - b[v]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (a[v] - a[u]) / db
    hit = (db != 0) & (t > 1e-12) & (t < 1 - 1e-12)  # a tie at an end point is no overtaking
    u, v, t, db = u[hit], v[hit], t[hit], db[hit]
    y = a[u] + b[u] * t
    up = np.where(db > 0, u, v)
    down = np.where(db > 0, v, u)
    # met at or beyond a bound: tied where both lines are beyond it (an interval around t)
    tie_from, tie_to = t.copy(), t.copy()
    for bound, upper in ((100.0, True), (0.0, False)):
        beyond = y >= bound if upper else y <= bound
        if beyond.any():
            lu, ru = _beyond(a[u[beyond]], b[u[beyond]], bound, upper)
            lv, rv = _beyond(a[v[beyond]], b[v[beyond]], bound, upper)
            tie_from[beyond] = np.clip(np.maximum(lu, lv), 0, 1)
            tie_to[beyond] = np.clip(np.minimum(ru, rv), 0, 1)
    ids = np.array(inp.unit_ids, dtype=object)
    names = np.array(inp.unit_names, dtype=object)
    same = inp.groups[up] == inp.groups[down]
    out = pd.DataFrame({"dimension": dimension, "weight": t, "up_id": ids[up], "up_name": names[up],
                        "down_id": ids[down], "down_name": names[down], "score": np.clip(y, 0, 100),
                        "tie_from": tie_from, "tie_to": tie_to, "same_group": same,
                        "official": inp.weights[j]})
    return out.sort_values("weight", kind="stable").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Scores, ranks and grades along one dimension's weight from 0 to 1 (others in proportion)."""

    dimension: str
    t: np.ndarray
    weights: np.ndarray
    eval: Evaluation
    crossings: pd.DataFrame
    official: float
    unit_ids: tuple[str, ...]
    tier_labels: list[str]

    def to_frames(self) -> dict[str, pd.DataFrame]:
        n_t, n = self.eval.rank.shape
        long = pd.DataFrame({
            "dimension": self.dimension, "weight": np.repeat(self.t, n),
            "unit_id": np.tile(np.array(self.unit_ids, dtype=object), n_t), "score": self.eval.score.ravel(),
            "rank": self.eval.rank.ravel(), "group_rank": self.eval.group_rank.ravel(),
            "grade": np.array(self.tier_labels, dtype=object)[self.eval.tier.ravel()]})
        return {f"sweep_{self.dimension}": long, f"crossings_{self.dimension}": self.crossings}


def sweep(inp: SensitivityInput, dimension: str, n_points: int = 101,
          units: Sequence[int] | None = None) -> SweepResult:
    """One-at-a-time sweep; `units` restricts the crossing list (all pairs of 2,000 units is ~2M pairs)."""
    if dimension not in inp.dimensions:
        raise ValueError(f"unknown dimension {dimension!r}; one of {inp.dimensions}")
    j = inp.dimensions.index(dimension)
    r, _, _ = _sweep_lines(inp, j)
    t = np.linspace(0.0, 1.0, n_points)
    w = r[None, :] * (1 - t[:, None])
    w[:, j] = t
    return SweepResult(dimension, t, w, _evaluate(inp, w), crossings(inp, dimension, units), float(inp.weights[j]),
                       inp.unit_ids, inp.tier_labels)
