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
    scale = SCALE.model_copy(update={"straight_lining_min_items": 3, "straight_lining": "drop_identical"})
    df, items = frame([["满意", "比较满意", "满意"], ["不满意", "不满意", "不满意"], ["满意", "满意", "基本满意"],
                       ["比较满意", "比较满意", "比较满意"]])
    df.loc[2, "response_id"] = "r0"
    screened = survey.screen(survey.encode(df, items, scale), scale)
    assert list(screened.duplicates["response_id"]) == ["r0"]
    assert list(screened.straight_liners["response_id"]) == ["r1", "r3"]
    assert list(screened.kept.ids["response_id"]) == ["r0"]
    assert screened.summary.loc["U1"].to_dict() == {"n_rows": 4, "n_duplicates": 1, "n_straight_lining": 2,
                                                    "n_straight_dropped": 2, "screen_guarded": False}


# --------------------------------------------------------------------------- straight-lining (issue 13 §1, §2)

def _liners(rows, unit="U1", durations=None, **settings):
    scale = SCALE.model_copy(update=settings)
    df, items = frame(rows, unit)
    if durations is not None:
        df["duration"] = durations
    return survey.screen(survey.encode(df, items, scale), scale)


MIXED = ["满意", "比较满意", "满意", "基本满意", "满意", "比较满意", "满意", "满意"]


def test_identical_answers_are_flagged_and_kept_by_default():
    """Satisfied people answer 满意 to every item: the default marks and reports them, never drops."""
    assert MODEL.survey.straight_lining == "flag"
    s = _liners([["满意"] * 8] * 3 + [MIXED] * 2)
    assert len(s.straight_liners) == 3 and not s.straight_liners["dropped"].any()
    assert set(s.straight_liners["answer"]) == {"满意"} and len(s.kept.ids) == 5
    assert s.summary.loc["U1", "n_straight_lining"] == 3 and s.summary.loc["U1", "n_straight_dropped"] == 0


def test_min_items_counts_answered_items_not_items_in_the_survey():
    """straight_lining_min_items (6 in the default model) counts the items a respondent answered:
    7 of 8 answered alike is a straight-liner, 5 of 8 is too few to tell."""
    seven = ["满意"] * 7 + [None]
    five = ["满意"] * 5 + [None] * 3
    s = _liners([seven, five, MIXED], straight_lining_min_items=6)
    assert list(s.straight_liners["response_id"]) == ["r0"]
    # 不了解 is an answer that breaks the pattern: not a straight-liner
    s = _liners([["满意"] * 7 + ["不了解"]], straight_lining_min_items=6)
    assert s.straight_liners.empty


def test_drop_needs_evidence_beyond_identical_answers():
    """`drop` removes identical answers only when the respondent was too fast (a duration column) or
    is one of a run of identical forms in a row; identical answers alone are kept."""
    rows = [["满意"] * 8, ["满意"] * 8, MIXED, ["比较满意"] * 8]
    s = _liners(rows, durations=[10.0, 240.0, 12.0, np.nan], straight_lining="drop")
    got = s.straight_liners.set_index("response_id")
    assert got["dropped"].to_dict() == {"r0": True, "r1": False, "r3": False}
    assert got.at["r0", "evidence"] == "speed" and list(s.kept.ids["response_id"]) == ["r1", "r2", "r3"]
    # a run of five identical forms in a row (bulk-filled) is evidence; four, or five apart, are not
    run = [MIXED] + [["满意"] * 8] * 5 + [MIXED] + [["满意"] * 8] * 4
    s = _liners(run, straight_lining="drop")
    dropped = s.straight_liners.loc[s.straight_liners["dropped"], "response_id"].tolist()
    assert dropped == ["r1", "r2", "r3", "r4", "r5"]
    assert set(s.straight_liners.loc[s.straight_liners["dropped"], "evidence"]) == {"run"}


def test_the_screen_never_empties_a_unit():
    """Whatever the policy, a unit whose every respondent answered 满意 throughout keeps them all."""
    for policy in ("flag", "drop", "drop_identical"):
        s = _liners([["满意"] * 8] * 6, durations=[5.0] * 6, straight_lining=policy)
        assert len(s.kept.ids) == 6, policy
        assert s.summary.loc["U1", "n_straight_dropped"] == 0
        assert s.summary.loc["U1", "screen_guarded"] == (policy != "flag")


def test_warn_is_the_old_spelling_of_drop_identical():
    """Quarters stored with models before 2026.2 say straight_lining = "warn": it keeps its meaning."""
    from scoring.model import StraightLining

    assert SCALE.model_validate({**SCALE.model_dump(), "straight_lining": "warn"}).straight_lining \
        == StraightLining.DROP_IDENTICAL


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
