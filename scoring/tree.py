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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

ARITHMETIC, GEOMETRIC = "arithmetic", "geometric"


def combine(values: Sequence[np.ndarray], weights: Sequence, rule: str = ARITHMETIC, shift: float = 1.0
            ) -> tuple[np.ndarray, list[np.ndarray]]:
    """One node: its children's scores `values` (one array each, all the same shape; NaN = absent) and
    their `weights` (a number each, or arrays broadcastable to the scores).

    Returns (score, norm): the node's score (NaN where no child is present) and each child's
    normalised weight among the present ones (0 where absent). For the geometric rule `norm` is scaled
    by G / A (A the arithmetic mean) so that Σ norm·value is the node's score: contributions still add up.
    Children are summed one after another, elementwise (the pipeline and the sensitivity kernels call
    this same function, so they agree to the last bit, and no reduction runs over a short last axis).
    """
    present = [~np.isnan(v) for v in values]
    wp = [np.where(p, w, 0.0) for p, w in zip(present, weights, strict=True)]
    total_w = wp[0].copy()
    for x in wp[1:]:
        total_w += x
    some = total_w > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = [np.where(some, x / total_w, 0.0) for x in wp]
        arith = np.zeros(np.shape(total_w))
        for p, v, n in zip(present, values, norm, strict=True):
            arith += np.where(p, v, 0.0) * n
        arith = np.where(some, arith, np.nan)
        if rule != GEOMETRIC:
            return arith, norm
        logsum = np.zeros(np.shape(total_w))
        for p, v, n in zip(present, values, norm, strict=True):
            logsum += np.where(p, np.log(np.where(p, v + shift, 1.0)), 0.0) * n
        geo = np.where(some, np.exp(logsum) - shift, np.nan)
        ratio = np.where(arith > 0, geo / arith, 1.0)
    return geo, [n * ratio for n in norm]


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
        value, norm = combine([p[1].to_numpy(dtype=float) for p in parts], [float(weights[k]) for k, _, _ in parts],
                              str(rules.get(code, ARITHMETIC)), shift)
        frames = [p[2].mul(norm[j], axis=0) for j, p in enumerate(parts)]
        sh = pd.concat(frames, axis=1)
        series = pd.Series(value, index=scores.index)
        node_scores[code] = series
        share[code] = sh
        return series, sh

    visit("")
    root = share.get("", pd.DataFrame(index=scores.index))
    effective = root.reindex(columns=scores.columns, fill_value=0.0).fillna(0.0)
    return TreeAggregate(pd.DataFrame(node_scores, index=scores.index), effective)
