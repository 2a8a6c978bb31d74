import numpy as np
import pandas as pd

from scoring.grades import apply_quota, quota_allowed, tier_index
from scoring.model import load_model
from scoring.ranking import competition_rank, competition_rank_rows

GRADES = load_model().grades


def test_thresholds():
    assert list(tier_index(np.array([95, 90, 89.99, 80, 60, 59.99, 0]), GRADES)) == [0, 0, 1, 1, 2, 3, 3]


def test_quota_demotes_beyond_twenty_percent_ties_included():
    scores = pd.Series([99, 98, 97, 97, 91, 85, 70, 60, 50, 40.0])
    tiers = pd.Series(tier_index(scores.to_numpy(), GRADES))
    groups = pd.Series(["g"] * 10)
    assert quota_allowed(10, 0.2) == 2
    new, demoted = apply_quota(tiers, scores, groups, GRADES, pd.Series(True, index=scores.index))
    assert list(new[:5]) == [0, 0, 1, 1, 1]
    assert list(demoted[:5]) == [False, False, True, True, True]
    # a tie across the boundary: both drop ("at most 20%")
    scores2 = pd.Series([99, 97, 97, 80, 80, 80, 80, 80, 80, 80.0])
    new2, _ = apply_quota(pd.Series(tier_index(scores2.to_numpy(), GRADES)), scores2, groups, GRADES,
                          pd.Series(True, index=scores.index))
    assert list(new2[:3]) == [0, 1, 1]


def test_competition_ranking():
    s = pd.Series([90.001, 80, 90.004, 70, np.nan])
    assert list(competition_rank(s, 2)) == [1, 3, 1, 4, pd.NA]
    m = np.array([[3.0, 5, 5, 1], [1, 1, 1, 2]])
    assert competition_rank_rows(m).tolist() == [[3, 1, 1, 4], [2, 2, 2, 1]]
