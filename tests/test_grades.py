import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.grades import apply_quota, quota_allowed, tier_index
from scoring.model import load_model
from scoring.ranking import competition_rank
from scoring.sensitivity import SensitivityInput, evaluate

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


def _grade(scores, groups=None, **settings):
    grades = GRADES.model_copy(update=settings)
    scores = pd.Series(scores, dtype=float)
    groups = pd.Series(groups or ["g"] * len(scores))
    tiers = pd.Series(tier_index(scores.to_numpy(), grades))
    new, _ = apply_quota(tiers, scores, groups, grades, pd.Series(True, index=scores.index))
    return list(new)


def test_quota_rounding_and_a_minimum_of_one_place():
    """Issue 13 §7: floor(0.2 × 3) = 0 places, so a group of 3 could never have 优秀; the model now
    chooses the rounding and an optional minimum of one place, the old rule still available."""
    small = [95, 93, 91]
    assert _grade(small, quota_rounding="floor", quota_min_one=False) == [1, 1, 1]  # the old behaviour
    assert _grade(small, quota_rounding="floor", quota_min_one=True) == [0, 1, 1]
    assert _grade(small, quota_rounding="round", quota_min_one=False) == [0, 1, 1]
    assert _grade(small, quota_rounding="ceil", quota_min_one=False) == [0, 1, 1]
    eleven = [99, 98, 97, 96, 95, 70, 70, 70, 70, 70, 70]
    assert [quota_allowed(11, 0.2, GRADES.model_copy(update={"quota_rounding": r, "quota_min_one": False}))
            for r in ("floor", "round", "ceil")] == [2, 2, 3]
    assert _grade(eleven, quota_rounding="ceil")[:5] == [0, 0, 0, 1, 1]
    assert quota_allowed(0, 0.2, GRADES.model_copy(update={"quota_min_one": True})) == 0
    assert GRADES.quota_min_one and GRADES.quota_rounding == "floor"  # the shipped model


def test_boundary_tie_rule_is_a_model_setting():
    """Issue 13 §7: a tie at the boundary demoted every tied unit and left the place empty; with
    quota_ties = "keep_all" every unit tied with the last place keeps it."""
    tied = [99, 97, 97, 80, 80, 80, 80, 80, 80, 80]  # 2 places, the 2nd and 3rd tied
    assert _grade(tied, quota_ties="demote_all")[:3] == [0, 1, 1]
    assert _grade(tied, quota_ties="keep_all")[:3] == [0, 0, 0]
    below = [99, 98, 97, 97, 80, 80, 80, 80, 80, 80]  # the tie is below the last place: drops either way
    assert _grade(below, quota_ties="keep_all")[:4] == [0, 0, 1, 1]


def test_competition_ranking():
    s = pd.Series([90.001, 80, 90.004, 70, np.nan])
    assert list(competition_rank(s, 2)) == [1, 3, 1, 4, pd.NA]


def test_kernel_ranks_rows_of_scores():
    """The sensitivity kernel ranks every row of weights at once: with unit weight vectors each row
    is one dimension's scores, ranked like `competition_rank` ranks them."""
    m = np.array([[3.0, 5, 5, 1], [1, 1, 1, 2]])
    inp = SensitivityInput.from_arrays(m.T, weights=[0.5, 0.5], grades=GRADES)
    ranks = evaluate(inp, np.eye(2)).rank
    assert ranks.tolist() == [[3, 1, 1, 4], [2, 2, 2, 1]]
    assert ranks.tolist() == [competition_rank(pd.Series(row), 2).tolist() for row in m]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), decimals=st.sampled_from([0, 1, 2, 3]),
       groups=st.sampled_from([1, 3]), step=st.sampled_from([0.005, 0.25]))
def test_kernel_ranks_equal_competition_rank(seed, n, decimals, groups, step):
    """The sensitivity kernel's ranks, overall and within groups, equal the pipeline's `competition_rank`
    of the clipped totals. Scores on a grid of `step` near 85 and simple weights give identical units,
    totals half-way between two rounded values (rounded up, not down) and totals clipped at 100."""
    rng = np.random.default_rng(seed)
    dims = 85 + rng.integers(0, 8, size=(n, 3)) * step
    dims[rng.random(n) < 0.2] = dims[0]
    adjust = rng.choice([0.0, 0.0, 1.0, -2.0, 15.0], n)
    inp = SensitivityInput.from_arrays(dims, adjust, rng.integers(0, groups, n), weights=[0.4, 0.4, 0.2],
                                       grades=GRADES, decimals=decimals)
    w = np.vstack([[[1, 0, 0], [0.5, 0.5, 0], [0.4, 0.4, 0.2]], rng.multinomial(20, [1 / 3] * 3, size=3) / 20])
    ev = evaluate(inp, w)
    group = pd.Series(inp.groups)
    for i, row in enumerate(w):
        total = pd.Series(np.clip(inp.dims @ row + inp.adjust, 0, 100))
        np.testing.assert_array_equal(ev.rank[i], competition_rank(total, decimals).to_numpy(dtype=int))
        np.testing.assert_array_equal(ev.group_rank[i], competition_rank(total, decimals, by=group).to_numpy(dtype=int))
