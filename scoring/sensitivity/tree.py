"""The performance indicator tree flattened to arrays, so the kernel can perturb its weights.

`_leaf_weights` and `_tree_rows` recompute every unit's performance score for many sets of edge
weights at once: they are the array twin of the pipeline's tree aggregation, `scoring.tree.aggregate`,
and must equal it (tests/test_sensitivity.py::test_tree_rows_equal_tree_aggregate).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from scoring.model import Model
from scoring.tree import combine


@dataclass(frozen=True, eq=False)
class Tree:
    """The performance tree flattened for the kernel.

    Edges 0..L-1 are the leaves (columns of `leaf_scores`, NaN = absent for that unit), edges
    L.. are the internal nodes in post-order, the root last. `weights[e]` is edge e's weight
    relative to its siblings; `nodes[k]` lists the child edges of internal node L + k.
    A node's score is the weighted mean of its present children, absent children's weight shared
    out in proportion — the same rule as `scoring.tree.aggregate`.
    """

    leaf_scores: np.ndarray
    weights: np.ndarray
    nodes: tuple[np.ndarray, ...]
    codes: tuple[str, ...]
    rules: tuple[str, ...] = ()  # each internal node's aggregation rule (empty: all arithmetic)
    shift: float = 1.0  # the geometric rule's shift (`scoring.tree.combine`)

    @property
    def geometric(self) -> bool:
        return "geometric" in self.rules

    @property
    def n_edges(self) -> int:
        return len(self.weights)

    @cached_property
    def patterns(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(leaves present, units) for each distinct presence pattern: units sharing one have the
        same effective leaf weights, so the whole tree is one matrix product per pattern."""
        present = ~np.isnan(self.leaf_scores)
        uniq, inverse = np.unique(present, axis=0, return_inverse=True)
        return [(pat, np.flatnonzero(inverse.ravel() == i)) for i, pat in enumerate(uniq)]


def _leaf_weights(tree: Tree, fw: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Each leaf's share of the root (samples × leaves) for one presence pattern, given the
    factor-scaled edge weights `fw`: the product of the normalised sibling weights down its path.

    Must equal `scoring.tree.aggregate(...).effective` for the units with this pattern, the
    aggregate's weights being the edge weights times the factors.
    """
    n_leaves = len(present)
    alive = np.concatenate([present, np.zeros(len(tree.nodes), bool)])
    for k, children in enumerate(tree.nodes):  # post-order: children before parents
        alive[n_leaves + k] = alive[children].any()
    share = np.zeros_like(fw)
    share[:, -1] = 1.0
    for k in range(len(tree.nodes) - 1, -1, -1):  # root first
        kids = tree.nodes[k][alive[tree.nodes[k]]]
        if len(kids):
            w = fw[:, kids]
            share[:, kids] = share[:, [n_leaves + k]] * w / w.sum(axis=1, keepdims=True)
    return share[:, :n_leaves]


def _tree_rows(tree: Tree, factors: np.ndarray) -> np.ndarray:
    """Performance score (samples × units) with every edge weight multiplied by `factors` (samples × edges).

    Row by row, must equal the root score `scoring.tree.aggregate(...).node_scores[""]` that the
    pipeline computes with those weights (NaN where no leaf is present).
    """
    fw = factors * tree.weights
    if tree.geometric:  # not linear in the leaf scores: node by node, as the pipeline aggregates
        return _tree_rows_by_node(tree, fw)
    filled = np.nan_to_num(tree.leaf_scores)
    out = np.full((len(factors), len(filled)), np.nan)
    for present, units in tree.patterns:
        if present.any():
            out[:, units] = _leaf_weights(tree, fw, present) @ filled[units].T
    return out


def _tree_rows_by_node(tree: Tree, fw: np.ndarray) -> np.ndarray:
    """`_tree_rows` for a tree with geometric nodes: each node by `scoring.tree.combine`, samples × units."""
    n_leaves = tree.leaf_scores.shape[1]
    values: list[np.ndarray] = [np.broadcast_to(tree.leaf_scores[:, e], (len(fw), len(tree.leaf_scores)))
                                for e in range(n_leaves)]
    for k, kids in enumerate(tree.nodes):
        score, _ = combine([values[c] for c in kids], [fw[:, [c]] for c in kids], tree.rules[k], tree.shift)
        values.append(score)
    return values[-1]


def tree_from_model(model: Model, leaf_scores: pd.DataFrame) -> Tree:
    """Flatten the model's performance tree (formalism subtrees left out, as in the pipeline)."""
    leaves = [i.code for i in model.scored_indicators]
    children = model.scored_children
    edge = {c: j for j, c in enumerate(leaves)}
    nodes: list[np.ndarray] = []
    codes = list(leaves)
    weights = [model.indicators[c].weight for c in leaves]

    def visit(code: str) -> int | None:
        if code in edge:
            return edge[code]
        kids = [e for e in (visit(k) for k in children.get(code, [])) if e is not None]
        if not kids:
            return None
        nodes.append(np.array(kids))
        codes.append(code)
        weights.append(model.nodes[code].weight if code else 1.0)
        edge[code] = len(codes) - 1
        return edge[code]

    visit("")
    scores = leaf_scores.reindex(columns=leaves).to_numpy(dtype=float)
    rules = tuple(str(model.aggregation.get(c, "arithmetic")) for c in codes[len(leaves):])
    return Tree(scores, np.array(weights, dtype=float), tuple(nodes), tuple(codes), rules,
                model.performance.geometric_shift)
