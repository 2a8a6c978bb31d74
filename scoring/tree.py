"""The indicator tree: weighted means level by level, absent children reweighted.

Works on a score matrix (units × leaves, NaN = absent) so each node is one vectorised step;
the loop runs over tree nodes, never over units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TreeAggregate:
    node_scores: pd.DataFrame  # units × nodes ("" = the root), NaN where nothing below is present
    effective: pd.DataFrame  # units × leaves: each leaf's share of the root score (rows sum to 1)


def aggregate(scores: pd.DataFrame, children: dict[str, list[str]], weights: dict[str, float]) -> TreeAggregate:
    """Aggregate leaf `scores` (columns = leaf codes) up the tree.

    `children` maps a node code ("" = root) to its child codes; `weights` gives each child's
    weight relative to its siblings. A node's score is the weighted mean of its present children;
    weights of absent children (NaN score) are shared out among the present ones in proportion.
    """
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
        present = ~np.isnan(s)
        wp = np.where(present, w, 0.0)
        total_w = wp.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = wp / total_w[:, None]
            value = np.where(total_w > 0, np.nansum(np.where(present, s, 0.0) * norm, axis=1), np.nan)
        frames = [p[2].mul(np.nan_to_num(norm[:, j]), axis=0) for j, p in enumerate(parts)]
        sh = pd.concat(frames, axis=1)
        series = pd.Series(value, index=scores.index)
        node_scores[code] = series
        share[code] = sh
        return series, sh

    visit("")
    root = share.get("", pd.DataFrame(index=scores.index))
    effective = root.reindex(columns=scores.columns, fill_value=0.0).fillna(0.0)
    return TreeAggregate(pd.DataFrame(node_scores, index=scores.index), effective)
