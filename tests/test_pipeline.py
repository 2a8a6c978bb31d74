"""Properties of the whole scoring pipeline (SPEC 2), on synthetic inputs."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import i18n
from scoring.flags import codes
from scoring.model import load_model
from scoring.pipeline import score_period
from tests.factory import make_inputs

MODEL = load_model()
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def by_unit(result):
    return result.units.set_index("unit_id")


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_scores_in_range_and_contributions_add_up(seed):
    r = score_period(MODEL, make_inputs(MODEL, seed))
    u = by_unit(r)
    for col in ["total", "mass", "performance", "compliance"]:
        assert u[col].dropna().between(0, 100).all()
    assert r.breakdown["score"].dropna().between(-100, 100).all()
    contrib = r.breakdown.groupby("unit_id")["contribution"].sum()
    np.testing.assert_allclose(contrib + u["bonus"] - u["deduction"], u["total_unclipped"], atol=1e-9)
    dims = sum(MODEL.weights[d] * u[d] for d in MODEL.weights)
    np.testing.assert_allclose(dims + u["bonus"] - u["deduction"], u["total_unclipped"], atol=1e-9)


@SETTINGS
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_permuting_input_rows_changes_nothing(seed, perm_seed):
    inputs = make_inputs(MODEL, seed)
    base = by_unit(score_period(MODEL, inputs)).sort_index()
    rng = np.random.default_rng(perm_seed)
    for name in ["units", "survey", "indicators", "compliance", "adjustments", "reverse"]:
        df = getattr(inputs, name)
        setattr(inputs, name, df.iloc[rng.permutation(len(df))].reset_index(drop=True))
    again = by_unit(score_period(MODEL, inputs)).sort_index()
    pd.testing.assert_frame_equal(base.drop(columns="flags"), again.drop(columns="flags"), check_exact=False, rtol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 1000), bump=st.floats(0.01, 500))
def test_raising_a_higher_is_better_indicator_never_lowers_the_total(seed, pick, bump):
    inputs = make_inputs(MODEL, seed)
    higher = [c for c, i in MODEL.indicators.items() if i.direction == "higher" and not MODEL.is_formalism(c)]
    rows = inputs.indicators[inputs.indicators["code"].isin(higher)]
    row = rows.index[pick % len(rows)]
    unit = inputs.indicators.at[row, "unit_id"]
    before = by_unit(score_period(MODEL, inputs)).at[unit, "total_unclipped"]
    inputs.indicators.at[row, "value"] += bump
    after = by_unit(score_period(MODEL, inputs)).at[unit, "total_unclipped"]
    assert after >= before - 1e-9


@SETTINGS
@given(seed=st.integers(0, 10_000), pages=st.lists(st.floats(0, 1e6), min_size=12, max_size=12))
def test_formalism_values_change_no_score(seed, pages):
    inputs = make_inputs(MODEL, seed)
    base = by_unit(score_period(MODEL, inputs))
    extra = pd.DataFrame({"unit_id": inputs.units["unit_id"], "code": "FOR01", "value": pages, "source": "x.xlsx"})
    inputs.indicators = pd.concat([inputs.indicators, extra], ignore_index=True)
    again = by_unit(score_period(MODEL, inputs))
    pd.testing.assert_frame_equal(base, again)


def test_veto_keeps_score_and_rank_but_forces_lowest_grade():
    inputs = make_inputs(MODEL, 3)
    base = by_unit(score_period(MODEL, inputs))
    top = base["total"].idxmax()
    inputs.adjustments.loc[inputs.adjustments["unit_id"] == top, "veto"] = "发生较大生产安全事故"
    r = by_unit(score_period(MODEL, inputs))
    assert r.at[top, "total"] == base.at[top, "total"]
    assert r.at[top, "rank_overall"] == base.at[top, "rank_overall"]
    assert r.at[top, "grade"] == "较差"
    assert "veto" in codes(r.at[top, "flags"])


def test_unit_missing_a_dimension_is_incomplete_not_ranked():
    inputs = make_inputs(MODEL, 4)
    inputs.compliance = inputs.compliance[inputs.compliance["unit_id"] != "U01"]
    r = by_unit(score_period(MODEL, inputs))
    assert r.at["U01", "status"] == "incomplete"
    assert pd.isna(r.at["U01", "rank_overall"]) and pd.isna(r.at["U01", "grade"])
    [flag] = [f for f in r.at["U01", "flags"] if f.code == "incomplete"]
    assert flag.params["dimensions"] == ["compliance"] and "过程合规" in i18n.flag_text(flag, "zh")
    assert r["rank_overall"].dropna().max() == len(r) - 1


def test_bonus_capped_and_total_clipped():
    inputs = make_inputs(MODEL, 5)
    inputs.adjustments["bonus"] = 50.0
    r = by_unit(score_period(MODEL, inputs))
    assert (r["bonus"] == MODEL.adjustments.bonus_cap).all()
    inputs.adjustments["deduction"] = 1000.0
    r = by_unit(score_period(MODEL, inputs))
    assert (r["total"] == 0).all() and all("clipped" in codes(fl) for fl in r["flags"])


@pytest.mark.parametrize("policy", ["reweight", "zero", "group_mean"])
def test_missing_value_policy_is_visible_in_the_breakdown(policy):
    model = MODEL.model_copy(update={"performance": MODEL.performance.model_copy(update={"missing": policy})})
    inputs = make_inputs(model, 6)
    drop = (inputs.indicators["unit_id"] == "U00") & (inputs.indicators["code"] == "LIV03")
    inputs.indicators = inputs.indicators[~drop]
    r = score_period(model, inputs)
    row = r.breakdown[(r.breakdown["unit_id"] == "U00") & (r.breakdown["code"] == "LIV03")].iloc[0]
    assert row["note"].code.startswith("missing") and "missing" in i18n.flag_text(row["note"], "en")
    if policy == "reweight":
        assert row["weight"] == 0 and np.isnan(row["score"])
    elif policy == "zero":
        assert row["score"] == 0 and row["weight"] > 0
    else:
        assert row["score"] > 0 and row["weight"] > 0


def test_department_below_reverse_floor_cannot_be_excellent():
    inputs = make_inputs(MODEL, 7)
    dept = "U10"
    inputs.reverse.loc[inputs.reverse["unit_id"] == dept, list(MODEL.reverse.criteria)] = "不满意"
    items = [q.code for q in MODEL.survey.item]
    inputs.survey.loc[inputs.survey["unit_id"] == dept, items[:4]] = "满意"
    inputs.survey.loc[inputs.survey["unit_id"] == dept, items[4:]] = "比较满意"
    inputs.indicators.loc[inputs.indicators["unit_id"] == dept, "value"] = 1000.0
    r = by_unit(score_period(MODEL, inputs))
    assert r.at[dept, "grade"] != "优秀" and r.at[dept, "grade_cap"] == 1
    assert "reverse_below_floor" in codes(r.at[dept, "flags"])


def test_deduction_style_compliance():
    comp = MODEL.compliance.model_copy(update={"style": "deduction"})
    model = MODEL.model_copy(update={"compliance": comp})
    inputs = make_inputs(model, 8)
    inputs.compliance["status"] = None
    inputs.compliance["points"] = 5.0
    inputs.compliance.loc[inputs.compliance["unit_id"] == "U00", "points"] = 30.0  # 6 × 30 = 180 > 100
    r = score_period(model, inputs)
    u = by_unit(r)
    towns = [i for i in model.compliance.item if not i.applies_to or "乡镇街道" in i.applies_to]  # U01 is a town
    assert u.at["U01", "compliance"] == pytest.approx(100 - 5 * len(towns))
    assert u.at["U00", "compliance"] == 0
    contrib = r.breakdown.groupby("unit_id")["contribution"].sum()
    np.testing.assert_allclose(contrib + u["bonus"] - u["deduction"], u["total_unclipped"], atol=1e-9)
