"""Each scoring method of SPEC 2.2 against hand-worked values."""

import numpy as np
import pandas as pd
import pytest

from scoring import methods
from scoring.model import Indicator


def ind(**kw):
    return Indicator(code="X", name="x", weight=1, **kw)


def score(indicator, values, groups=None, floor=0.0):
    x = pd.Series(values, dtype=float)
    scope = pd.Series(groups if groups is not None else ["g"] * len(x))
    s, notes = methods.score_indicator(indicator, x, scope, floor)
    return s.to_numpy(), notes.to_numpy()


def test_efficacy_hand_worked_example():
    # x = 5.81, 满意值 12, 不允许值 6 -> 60 + 40 * (5.81 - 6) / (12 - 6) = 58.7333...
    s, _ = score(ind(satisfactory=12, unacceptable=6), [5.81])
    assert s[0] == pytest.approx(58.733333333, abs=1e-9)


def test_efficacy_clips_and_floor_60():
    i = ind(satisfactory=12, unacceptable=6)
    s, _ = score(i, [20, -100])
    assert list(s) == [100, 0]
    s, _ = score(i, [-100], floor=60)
    assert s[0] == 60


def test_efficacy_lower_is_better_swaps_bounds():
    i = ind(direction="lower", satisfactory=2, unacceptable=15)
    s, _ = score(i, [2, 15, 8.5])
    assert s == pytest.approx([100, 60, 80])


def test_efficacy_group_bounds_when_absent():
    s, _ = score(ind(), [10, 20, 30, 1, 3], groups=["a", "a", "a", "b", "b"])
    assert s == pytest.approx([60, 80, 100, 60, 100])


def test_target_completion_with_cap():
    s, _ = score(ind(method="target", target=100, cap=1.2), [60, 120, 150])
    assert s == pytest.approx([50, 100, 100])
    s, _ = score(ind(method="target", target=100), [60, 150])
    assert s == pytest.approx([60, 100])
    s, _ = score(ind(method="target", target=5, direction="lower"), [10, 5, 0])
    assert s == pytest.approx([50, 100, 100])


def test_minmax_and_lower():
    s, _ = score(ind(method="minmax"), [0, 5, 10])
    assert s == pytest.approx([0, 50, 100])
    s, _ = score(ind(method="minmax", direction="lower"), [0, 5, 10])
    assert s == pytest.approx([100, 50, 0])


def test_zscore_t_score():
    s, _ = score(ind(method="zscore"), [1, 2, 3])
    sd = np.std([1, 2, 3])
    assert s == pytest.approx([50 - 10 / sd, 50, 50 + 10 / sd])


def test_rank_points_ties_share():
    s, _ = score(ind(method="rank", floor=60), [10, 30, 30, 5])
    # places: 30,30 share 1st and 2nd -> (100 + 86.667) / 2; 10 third 73.33; 5 last 60
    assert s == pytest.approx([73.3333333, 93.3333333, 93.3333333, 60])


def test_threshold_and_band():
    s, _ = score(ind(method="threshold", target=90), [89.9, 90, 95])
    assert list(s) == [0, 100, 100]
    s, _ = score(ind(method="threshold", target=3, direction="lower"), [2, 4])
    assert list(s) == [100, 0]
    b = ind(method="band", direction="band", lower=90, upper=105, tolerance=30)
    s, _ = score(b, [95, 75, 120, 150])
    assert s == pytest.approx([100, 50, 50, 0])


@pytest.mark.parametrize("method", ["minmax", "zscore", "rank", "efficacy"])
def test_no_spread_gives_full_marks_and_a_note(method):
    s, no_spread = score(ind(method=method), [7, 7, 7])
    assert list(s) == [100, 100, 100]
    assert no_spread.all()


def test_missing_stays_missing():
    s, _ = score(ind(method="minmax"), [1, np.nan, 3])
    assert np.isnan(s[1]) and s[0] == 0 and s[2] == 100


def test_every_rule_has_words():
    for i in [ind(), ind(satisfactory=1, unacceptable=0), ind(method="target", target=1), ind(method="minmax"),
              ind(method="zscore"), ind(method="rank"), ind(method="threshold", target=1),
              ind(method="band", direction="band", lower=1, upper=2, tolerance=1)]:
        rule = methods.describe(i)
        assert rule.zh and rule.en and rule.zh != rule.en
