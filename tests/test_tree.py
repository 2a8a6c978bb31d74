import numpy as np
import pandas as pd
import pytest

from scoring.tree import aggregate

CHILDREN = {"": ["A", "B"], "A": ["a1", "a2"], "B": ["b1"]}
WEIGHTS = {"A": 0.6, "B": 0.4, "a1": 0.25, "a2": 0.75, "b1": 1.0}


def test_weighted_means_level_by_level():
    s = pd.DataFrame({"a1": [100.0], "a2": [60.0], "b1": [50.0]})
    agg = aggregate(s, CHILDREN, WEIGHTS)
    a = 0.25 * 100 + 0.75 * 60
    assert agg.node_scores.loc[0, "A"] == pytest.approx(a)
    assert agg.node_scores.loc[0, ""] == pytest.approx(0.6 * a + 0.4 * 50)
    assert agg.effective.loc[0].to_dict() == pytest.approx({"a1": 0.15, "a2": 0.45, "b1": 0.4})


def test_missing_children_reweighted_and_effective_weights_sum_to_one():
    s = pd.DataFrame({"a1": [np.nan, np.nan], "a2": [60.0, np.nan], "b1": [50.0, 70.0]})
    agg = aggregate(s, CHILDREN, WEIGHTS)
    assert agg.node_scores.loc[0, "A"] == 60
    assert agg.node_scores.loc[0, ""] == pytest.approx(0.6 * 60 + 0.4 * 50)
    assert np.isnan(agg.node_scores.loc[1, "A"])
    assert agg.node_scores.loc[1, ""] == 70  # B takes all the weight
    assert agg.effective.sum(axis=1).to_numpy() == pytest.approx([1, 1])
    root = (agg.effective * s.fillna(0)).sum(axis=1)
    assert root.to_numpy() == pytest.approx(agg.node_scores[""].to_numpy())
