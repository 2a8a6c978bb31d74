"""The ternary map: every unit's rank, group rank and grade at every point of a grid over the 3-weight simplex."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from scoring.sensitivity.inputs import SensitivityInput
from scoring.sensitivity.kernel import Evaluation, _evaluate


@dataclass(frozen=True, eq=False)
class TernaryResult:
    """Every unit's rank, group rank and grade at every point of a grid over the weight simplex."""

    weights: np.ndarray  # points × 3
    eval: Evaluation  # points × units
    official: np.ndarray
    inp: SensitivityInput = field(repr=False)

    @cached_property
    def leader(self) -> np.ndarray:
        """Index of the first-ranked unit at each point (the first in input order if several tie)."""
        return np.argmax(self.eval.rank == 1, axis=1)

    @cached_property
    def n_leaders(self) -> np.ndarray:
        return (self.eval.rank == 1).sum(axis=1)

    def unit(self, unit_id: str) -> pd.DataFrame:
        i = self.inp.unit_ids.index(unit_id)
        return self._points().assign(
            unit_id=unit_id, score=self.eval.score[:, i], rank=self.eval.rank[:, i],
            group_rank=self.eval.group_rank[:, i],
            grade=np.array(self.inp.tier_labels, dtype=object)[self.eval.tier[:, i]])

    def _points(self) -> pd.DataFrame:
        return pd.DataFrame(self.weights, columns=[f"w_{d}" for d in self.inp.dimensions])

    def to_frames(self, unit_id: str | None = None) -> dict[str, pd.DataFrame]:
        ids = np.array(self.inp.unit_ids, dtype=object)
        names = np.array(self.inp.unit_names, dtype=object)
        out = {"ternary": self._points().assign(leader_id=ids[self.leader], leader_name=names[self.leader],
                                                n_leaders=self.n_leaders)}
        if unit_id is not None:
            out["ternary_unit"] = self.unit(unit_id)
        return out


def ternary(inp: SensitivityInput, step: float = 0.01) -> TernaryResult:
    """Grid of step `step` over the 3-weight simplex (0.01 → 5,151 points), corners included."""
    if len(inp.weights) != 3:
        raise ValueError("the ternary map needs exactly three dimensions")
    m = round(1 / step)
    if not math.isclose(m * step, 1.0):
        raise ValueError("step must divide 1")
    i, j = np.divmod(np.arange((m + 1) ** 2), m + 1)
    keep = i + j <= m
    grid = np.column_stack([i[keep], j[keep], m - i[keep] - j[keep]]) / m
    return TernaryResult(grid, _evaluate(inp, grid), inp.weights, inp)
