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


def model_with_choices(model: Model, choice: dict) -> Model:
    """The model one sample of the method-choice analysis stands for (`MethodSpace.choices`): its
    weights, each varied indicator's method, every node's aggregation rule, treatment on or off, the
    missing policy. Scored by `score_period`, it must rank and grade as the kernel does."""
    data = model.model_dump()
    data["dimensions"] = dict(zip(DIMENSIONS, map(float, choice["weights"]), strict=True))
    perf = data["performance"]
    for item in perf["indicator"]:
        if (m := choice.get(f"method:{item['code']}")) is not None:
            item["method"] = m
    if (rule := choice.get("aggregation")) not in (None, "model"):
        perf["aggregation"] = rule
        for node in perf["node"]:
            node["aggregation"] = rule
    if (on := choice.get("treatment")) is not None:
        if on and perf["treatment"]["outliers"] == "off":
            perf["treatment"]["outliers"] = "winsorise"
        elif not on:
            perf["treatment"]["outliers"] = "off"
    if (policy := choice.get("missing")) is not None:
        perf["missing"] = policy
    return Model.model_validate(data)
