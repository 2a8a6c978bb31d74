"""The indicator tree: weighted means level by level, absent children reweighted.

Works on a score matrix (units × leaves, NaN = absent) so each node is one vectorised step;
the loop runs over tree nodes, never over units.

A node combines its present children by the weighted arithmetic mean (the default) or, when the
model says so, the weighted geometric mean. Scores can be 0 (a threshold missed, the group's
worst on min-max), and a plain geometric mean is 0 as soon as one child is 0, so the geometric
rule is the *shifted* geometric mean

    G = exp(Σ wᵢ·ln(xᵢ + s)) − s        (wᵢ the present children's normalised weights)

with the model's `geometric_shift` s (default 1 point). It stays within [min, max] of the children,
equals the arithmetic mean when the children agree, and punishes imbalance: (0, 100) at equal
weights gives √(1 · 101) − 1 ≈ 9.05 where the arithmetic mean gives 50. With s = 0 it is the plain
geometric mean: any child at 0 makes the node 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

ARITHMETIC, GEOMETRIC = "arithmetic", "geometric"


def combine(values: np.ndarray, weights: np.ndarray, rule: str = ARITHMETIC, shift: float = 1.0
            ) -> tuple[np.ndarray, np.ndarray]:
    """One node: `values` (…, children) with NaN for absent children, `weights` broadcastable to it.

    Returns (score, norm): the node's score (NaN where no child is present) and the present children's
    normalised weights (0 for absent ones). For the geometric rule `norm` is scaled by G / A (A the
    arithmetic mean) so that Σ norm·value is the node's score: contributions still add up.
    """
    present = ~np.isnan(values)
    wp = np.where(present, weights, 0.0)
    total_w = wp.sum(axis=-1)
    filled = np.where(present, values, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = wp / total_w[..., None]
        arith = np.where(total_w > 0, (filled * norm).sum(axis=-1), np.nan)
        if rule != GEOMETRIC:
            return arith, np.nan_to_num(norm)
        logs = np.log(np.where(present, values + shift, 1.0))
        geo = np.exp(np.where(present, logs * norm, 0.0).sum(axis=-1)) - shift
        geo = np.where(total_w > 0, geo, np.nan)
        ratio = np.where(arith > 0, geo / arith, 1.0)
    return geo, np.nan_to_num(norm) * ratio[..., None]


@dataclass(frozen=True)
class TreeAggregate:
    node_scores: pd.DataFrame  # units × nodes ("" = the root), NaN where nothing below is present
    effective: pd.DataFrame  # units × leaves: each leaf's share of the root score (Σ share · score = root)


def aggregate(scores: pd.DataFrame, children: dict[str, list[str]], weights: dict[str, float],
              rules: Mapping[str, str] | None = None, shift: float = 1.0) -> TreeAggregate:
    """Aggregate leaf `scores` (columns = leaf codes) up the tree.

    `children` maps a node code ("" = root) to its child codes; `weights` gives each child's
    weight relative to its siblings; `rules` each node's rule (arithmetic unless given). A node's
    score is the weighted mean of its present children; weights of absent children (NaN score) are
    shared out among the present ones in proportion.
    """
    rules = rules or {}
    node_scores: dict[str, pd.Series] = {}
    share: dict[str, pd.DataFrame] = {}  # node -> units × leaves share of that node's score

    def visit(code: str) -> tuple[pd.Series, pd.DataFrame]:
        if code in scores.columns:
            col = scores[code]
            return col, pd.DataFrame({code: col.notna().astype(float)}, index=scores.index)
        parts = [(k, *visit(k)) for k in children.get(code, [])]
        parts = [p for p in parts if p[1] is not None]
        if not parts:
            return None, None
        w = np.array([weights[k] for k, _, _ in parts], dtype=float)
        s = np.column_stack([p[1].to_numpy(dtype=float) for p in parts])
        value, norm = combine(s, w, str(rules.get(code, ARITHMETIC)), shift)
        frames = [p[2].mul(norm[:, j], axis=0) for j, p in enumerate(parts)]
        sh = pd.concat(frames, axis=1)
        series = pd.Series(value, index=scores.index)
        node_scores[code] = series
        share[code] = sh
        return series, sh

    visit("")
    root = share.get("", pd.DataFrame(index=scores.index))
    effective = root.reindex(columns=scores.columns, fill_value=0.0).fillna(0.0)
    return TreeAggregate(pd.DataFrame(node_scores, index=scores.index), effective)
