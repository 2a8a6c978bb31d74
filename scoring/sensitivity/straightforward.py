"""The straightforward method (COINr's: re-run the whole pipeline once per weight sample), kept for
the checks against the kernel and for the benchmark: a model with other weights."""

from __future__ import annotations

import numpy as np

from scoring.model import DIMENSIONS, Model
from scoring.sensitivity.tree import Tree


def model_with_weights(model: Model, weights, tree_factors: np.ndarray | None = None,
                       tree: Tree | None = None) -> Model:
    """A fresh model with other dimension weights (and tree weights times `tree_factors`, edges as in
    `tree`). Built with `model_validate` from a dump: `model_copy(update=...)` would keep the
    cached `Model.weights` of the original."""
    data = model.model_dump()
    data["dimensions"] = dict(zip(DIMENSIONS, map(float, weights), strict=True))
    if tree_factors is not None:
        factor = dict(zip(tree.codes, tree_factors, strict=True))
        for kind in ("node", "indicator"):
            for item in data["performance"][kind]:
                item["weight"] = item["weight"] * float(factor.get(item["code"], 1.0))
    return Model.model_validate(data)
