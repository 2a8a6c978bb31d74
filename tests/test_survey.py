"""Survey statistics (SPEC 2.1) against hand-worked values."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scoring import survey
from scoring.model import load_model

MODEL = load_model()
SCALE = MODEL.survey.model_copy(update={"respondent_groups": {}})


def frame(rows, unit="U1", groups=None):
    items = [f"Q{i + 1}" for i in range(len(rows[0]))]
    df = pd.DataFrame(rows, columns=items)
    df.insert(0, "response_id", [f"r{i}" for i in range(len(rows))])
    df.insert(1, "unit_id", unit)
    df.insert(2, "respondent_group", groups or [None] * len(rows))
    df.insert(3, "channel", None)
    return df, items


def test_unknown_excluded_from_denominator_and_counted():
    df, items = frame([["满意", "不了解"], ["基本满意", "不满意"], ["不了解", "不了解"]])
    s = survey.unit_statistics(survey.encode(df, items, SCALE), SCALE).loc["U1"]
    # respondent 1: 100 (only valid item); respondent 2: (60 + 0) / 2 = 30; respondent 3: no valid answer
    assert s["n_valid"] == 2 and s["n_respondents"] == 3 and s["n_unknown"] == 3
    assert s["mean"] == pytest.approx(65)
    # 满意率 over valid answers: 满意 1 of 3
    assert s["satisfaction_rate"] == pytest.approx(1 / 3)


def test_confidence_interval_is_t_interval():
    rows = [["满意"], ["比较满意"], ["基本满意"], ["不满意"], ["满意"]]
    df, items = frame(rows)
    s = survey.unit_statistics(survey.encode(df, items, SCALE), SCALE).loc["U1"]
    x = np.array([100, 80, 60, 0, 100.0])
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert s["ci_low"] == pytest.approx(x.mean() - half)
    assert s["ci_high"] == pytest.approx(min(100, x.mean() + half))


def test_respondent_group_weights_combine_group_means():
    scale = MODEL.survey  # 群众 0.55 / 企业 0.15 / 服务对象 0.30
    df, items = frame([["满意"], ["不满意"], ["基本满意"], ["比较满意"]], groups=["群众", "群众", "企业", "服务对象"])
    s = survey.unit_statistics(survey.encode(df, items, scale), scale).loc["U1"]
    assert s["mean"] == pytest.approx(0.55 * 50 + 0.15 * 60 + 0.30 * 80)
    # a group absent from a unit: its weight is shared among the others
    df2, _ = frame([["满意"], ["基本满意"]], groups=["群众", "企业"])
    s2 = survey.unit_statistics(survey.encode(df2, items, scale), scale).loc["U1"]
    assert s2["mean"] == pytest.approx((0.55 * 100 + 0.15 * 60) / 0.70)


def test_duplicates_and_straight_lining_screens():
    scale = SCALE.model_copy(update={"straight_lining_min_items": 3})
    df, items = frame([["满意", "比较满意", "满意"], ["不满意", "不满意", "不满意"], ["满意", "满意", "基本满意"]])
    df.loc[2, "response_id"] = "r0"
    screened = survey.screen(survey.encode(df, items, scale), scale)
    assert list(screened.duplicates["response_id"]) == ["r0"]
    assert list(screened.straight_liners["response_id"]) == ["r1"]
    assert list(screened.kept.ids["response_id"]) == ["r0"]


def test_answer_distribution_counts():
    df, items = frame([["满意", "不了解"], ["满意", None], ["不满意", "满意"]])
    dist = survey.answer_distribution(survey.encode(df, items, SCALE), SCALE)
    got = {(r.item, r.answer): r.count for r in dist.itertuples()}
    assert got == {("Q1", "满意"): 2, ("Q1", "不满意"): 1, ("Q2", "不了解"): 1, ("Q2", "满意"): 1}


def test_minimum_sample_flag():
    df, items = frame([["满意"]] * 29)
    assert survey.unit_statistics(survey.encode(df, items, SCALE), SCALE).loc["U1", "low_sample"]
    df, items = frame([["满意"]] * 30)
    assert not survey.unit_statistics(survey.encode(df, items, SCALE), SCALE).loc["U1", "low_sample"]


def test_reverse_suppressed_below_k_raters():
    ratings = pd.DataFrame({"rater": [0, 1, 2, 3, 3, 0], "unit_id": ["D1"] * 4 + ["D2"] * 2,
                            "c": ["满意", "不满意", "满意", "基本满意", "满意", "满意"]})
    r = survey.reverse_scores(ratings, ["c"], SCALE, min_raters=4)
    assert r.loc["D1", "n_raters"] == 4 and r.loc["D1", "score"] == pytest.approx(65)
    assert r.loc["D2", "suppressed"] and np.isnan(r.loc["D2", "score"])
