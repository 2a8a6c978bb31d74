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


# ---- geometric aggregation (issue 16): every expected value below is worked out by hand

def test_geometric_mean_hand_computed():
    """Shift 0, equal weights: √(25·100) = 50, √(16·81) = 36; weights ¼/¾: 16^¼·81^¾ = 2·27 = 54."""
    s = pd.DataFrame({"a1": [25.0, 16.0], "a2": [100.0, 81.0], "b1": [50.0, 50.0]})
    w = {"A": 0.5, "B": 0.5, "a1": 0.5, "a2": 0.5, "b1": 1.0}
    agg = aggregate(s, CHILDREN, w, {"A": "geometric"}, shift=0.0)
    assert agg.node_scores.loc[0, "A"] == pytest.approx(50.0, abs=1e-12)  # √(25 × 100)
    assert agg.node_scores.loc[1, "A"] == pytest.approx(36.0, abs=1e-12)  # √(16 × 81)
    assert agg.node_scores.loc[0, ""] == pytest.approx(50.0, abs=1e-12)   # arithmetic root: (50 + 50) / 2
    w2 = {**w, "a1": 0.25, "a2": 0.75}
    agg2 = aggregate(s, CHILDREN, w2, {"A": "geometric"}, shift=0.0)
    assert agg2.node_scores.loc[1, "A"] == pytest.approx(54.0, abs=1e-12)  # 16^¼ · 81^¾ = 2 · 27


def test_geometric_zero_handling_hand_computed():
    """Shift 0: a zero child makes the node 0. Shift 1 (the default): √(1 · 101) − 1 = 9.0498756…;
    equal children give themselves back; an absent child is reweighted as in the arithmetic rule."""
    s = pd.DataFrame({"a1": [0.0, 0.0, 70.0, np.nan], "a2": [100.0, 100.0, 70.0, 64.0], "b1": [50.0] * 4})
    w = {"A": 0.5, "B": 0.5, "a1": 0.5, "a2": 0.5, "b1": 1.0}
    plain = aggregate(s, CHILDREN, w, {"A": "geometric"}, shift=0.0).node_scores["A"]
    assert plain[0] == 0.0
    shifted = aggregate(s, CHILDREN, w, {"A": "geometric"}, shift=1.0).node_scores["A"]
    assert shifted[1] == pytest.approx(101 ** 0.5 - 1, abs=1e-12)
    assert shifted[1] == pytest.approx(9.049875621120890, abs=1e-12)
    assert shifted[2] == pytest.approx(70.0, abs=1e-12)
    assert shifted[3] == pytest.approx(64.0, abs=1e-12)  # a1 absent: a2 alone


def test_geometric_contributions_still_add_up_to_the_root():
    """Under a geometric node each leaf's share is its normalised weight × G/A, so Σ share × score
    is the root score: the breakdown's contributions keep adding up to the total. Hand values:
    A = √(1·101) − 1, root = 0.5·A + 0.5·50; a1's share 0.5·0.5·A/50 (A/50: G over the arithmetic mean)."""
    s = pd.DataFrame({"a1": [0.0], "a2": [100.0], "b1": [50.0]})
    w = {"A": 0.5, "B": 0.5, "a1": 0.5, "a2": 0.5, "b1": 1.0}
    agg = aggregate(s, CHILDREN, w, {"A": "geometric"}, shift=1.0)
    a = 101 ** 0.5 - 1
    assert agg.node_scores.loc[0, ""] == pytest.approx(0.5 * a + 25, abs=1e-12)
    assert agg.effective.loc[0, "a2"] == pytest.approx(0.25 * a / 50, abs=1e-12)
    assert (agg.effective.loc[0] * s.loc[0]).sum() == pytest.approx(agg.node_scores.loc[0, ""], abs=1e-12)


def test_geometric_root_through_the_pipeline_hand_computed():
    """A two-indicator model whose root is geometric (shift 0): with target = 100 each score is the raw
    value, so the performance score is √(x·y)."""
    from scoring.inputs import PeriodInputs
    from scoring.model import model_from_dict
    from scoring.pipeline import score_period

    model = model_from_dict({
        "model": {"name": "geo", "normalise_within": "all"},
        "dimensions": {"mass": 0, "performance": 1, "compliance": 0},
        "performance": {"aggregation": "geometric", "geometric_shift": 0, "indicator": [
            {"code": "X", "name": "x", "weight": 0.5, "method": "target", "target": 100},
            {"code": "Y", "name": "y", "weight": 0.5, "method": "target", "target": 100}]},
        "grades": {"tier": [{"label": "A", "min": 50}, {"label": "B", "min": 0}]},
    })
    units = pd.DataFrame({"unit_id": ["U1", "U2"], "unit_name": ["一", "二"], "unit_type": "", "group": "all"})
    ind = pd.DataFrame({"unit_id": ["U1", "U1", "U2", "U2"], "code": ["X", "Y", "X", "Y"],
                        "value": [36.0, 100.0, 0.0, 80.0], "source": "t"})
    r = score_period(model, PeriodInputs("2026Q3", units, indicators=ind))
    perf = r.units.set_index("unit_id")["performance"]
    assert perf["U1"] == pytest.approx(60.0, abs=1e-12)  # √(36 × 100)
    assert perf["U2"] == 0.0                              # a zero with shift 0: the node is 0
    contrib = r.breakdown.groupby("unit_id")["contribution"].sum()
    assert contrib["U1"] == pytest.approx(60.0, abs=1e-12) and contrib["U2"] == 0.0
    assert "geometric_shift" in model.to_toml() and "aggregation" in model.to_toml()
