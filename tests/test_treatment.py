"""Data treatment as model settings (issue 16): outliers winsorised or log-transformed, missing values
filled by the group median or the previous quarter — off by default, never silent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scoring import treatment as tr
from scoring.flags import NoteCode
from scoring.inputs import PeriodInputs
from scoring.model import ModelError, Treatment, load_model, model_from_dict
from scoring.pipeline import score_period
from scoring.service import Service
from tests.actors import staff
from tests.store_fixtures import MODEL, make_inputs

X = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100], dtype=float)  # COINr's example: two outliers


def test_skewness_and_kurtosis_are_the_bias_corrected_ones():
    for x in (X, np.random.default_rng(1).lognormal(0, 1, 40)):
        assert tr.skewness(x) == pytest.approx(stats.skew(x, bias=False), abs=1e-9)
        assert tr.kurtosis(x) == pytest.approx(stats.kurtosis(x, bias=False), abs=1e-9)
        assert tr.skewness(x) == pytest.approx(pd.Series(x).skew(), abs=1e-9)
        assert tr.kurtosis(x) == pytest.approx(pd.Series(x).kurt(), abs=1e-9)
    assert np.isnan(tr.kurtosis([1.0, 2.0, 3.0])) and np.isnan(tr.skewness([5.0, 5.0, 5.0]))


def test_winsorise_replaces_the_extremes_one_at_a_time_up_to_the_limit():
    """COINr's example: 100 is replaced by the next value in (30); skewness 1.71 then clears the flag.
    1..20, 100, 200, 300: 300 → 200 (skewness 2.66, kurtosis 6.10: still flagged), then both 200s → 100
    (2.21 and 3.45 < 3.5: clear); with max_points = 1 the limit stops it after the first, still flagged."""
    assert tr.flagged(X)
    out, changed = tr.winsorise(X, Treatment(outliers="winsorise"))
    assert out.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 30] and changed.tolist() == [False] * 11 + [True]
    assert not tr.flagged(out)
    y = np.array([*range(1, 21), 100, 200, 300], dtype=float)
    two, changed = tr.winsorise(y, Treatment(outliers="winsorise"))
    assert two[-3:].tolist() == [100, 100, 100] and changed.sum() == 2 and not tr.flagged(two)
    one, changed = tr.winsorise(y, Treatment(outliers="winsorise", max_points=1))
    assert one[-3:].tolist() == [100, 200, 200] and changed.sum() == 1 and tr.flagged(one)
    low, _ = tr.winsorise(-X, Treatment(outliers="winsorise"))  # negative skew: the lowest value
    assert low.tolist() == (-out).tolist()


def test_log_transform_is_coinrs_log_ct_and_keeps_the_direction():
    a = 0.01 * (100 - 1)
    assert tr.log_transform(X) == pytest.approx(np.log(X - 1 + a), abs=1e-12)
    neg = tr.log_transform(-X)
    assert neg == pytest.approx(-np.log(-1 - (-X) + a), abs=1e-12)
    assert (np.diff(neg[np.argsort(-X)]) > 0).all()  # increasing in x


def _model(treatment: dict | None = None, missing: str = "reweight", method: str = "minmax", **extra):
    perf = {"missing": missing, "indicator": [
        {"code": "A", "name": "甲", "weight": 0.5, "method": method, **extra},
        {"code": "B", "name": "乙", "weight": 0.5, "method": "minmax"}]}
    if treatment:
        perf["treatment"] = treatment
    return model_from_dict({
        "model": {"name": "t"}, "dimensions": {"mass": 0, "performance": 1, "compliance": 0},
        "group": [{"name": "g1", "unit_type": ""}, {"name": "g2", "unit_type": ""}],
        "performance": perf, "grades": {"tier": [{"label": "A", "min": 50}, {"label": "B", "min": 0}]},
    })


def _inputs(a: list[float], b: list[float] | None = None, period="2026Q3", groups=None) -> PeriodInputs:
    n = len(a)
    ids = [f"U{i:02d}" for i in range(n)]
    groups = groups or ["g1"] * n
    units = pd.DataFrame({"unit_id": ids, "unit_name": ids, "unit_type": "", "group": groups})
    b = b if b is not None else list(np.linspace(10, 90, n))
    rows = [(u, c, v, "t.xlsx") for c, vals in (("A", a), ("B", b)) for u, v in zip(ids, vals, strict=True)]
    return PeriodInputs(period, units, indicators=pd.DataFrame(rows, columns=["unit_id", "code", "value", "source"]))


def test_winsorisation_in_the_pipeline_is_listed_on_the_breakdown_and_in_the_json():
    inputs = _inputs(list(X))
    off = score_period(_model(), inputs)
    on = score_period(_model({"outliers": "winsorise"}), inputs)
    a_off = off.indicators.set_index(["unit_id", "code"])["score"].xs("A", level="code")
    a_on = on.indicators.set_index(["unit_id", "code"])
    # min-max over 1..10, 30, 30 after treatment: U10 (value 30) now gets full marks instead of 29/99 of them
    assert a_off["U10"] == pytest.approx(2900 / 99) and a_on.loc[("U10", "A"), "score"] == pytest.approx(100.0)
    assert a_on.loc[("U11", "A"), "raw"] == 100  # the breakdown keeps the reported value
    note = a_on.loc[("U11", "A"), "treatment"]
    assert note.code == NoteCode.WINSORISED and note.params["value"] == 100 and note.params["treated"] == 30
    assert a_on.loc[("U05", "A"), "treatment"] is None
    js = {u["unit_id"]: u for u in on.to_json()["units"]}
    row = next(r for r in js["U11"]["indicators"] if r["code"] == "A")
    assert row["treatment"]["code"] == "winsorised" and "100 → 30" in row["treatment"]["zh"]
    assert "treatment" not in next(r for r in js["U05"]["indicators"] if r["code"] == "A")
    assert all("treatment" not in r for u in off.to_json()["units"] for r in u["indicators"])  # off: nothing added


def test_log_treatment_and_its_notes():
    on = score_period(_model({"outliers": "log"}), _inputs(list(X)))
    a = on.indicators[on.indicators["code"] == "A"].set_index("unit_id")
    assert (a["treatment"].map(lambda n: n.code) == NoteCode.LOG_TRANSFORMED).all()
    lx = np.log(X - 1 + 0.99)
    assert a["score"].to_numpy() == pytest.approx(100 * (lx - lx.min()) / (lx.max() - lx.min()), abs=1e-9)


def test_treatment_works_per_comparison_group_and_only_on_listed_indicators():
    a = list(X) + [5.0, 6.0, 7.0, 8.0]
    groups = ["g1"] * 12 + ["g2"] * 4
    r = score_period(_model({"outliers": "winsorise"}), _inputs(a, groups=groups))
    treated = r.indicators[r.indicators["treatment"].notna()]
    assert set(treated["unit_id"]) == {"U11"} and set(treated["code"]) == {"A"}
    only_b = score_period(_model({"outliers": "winsorise", "indicators": ["B"]}), _inputs(a, groups=groups))
    assert only_b.indicators["treatment"].isna().all()


def test_treatment_is_refused_on_fixed_threshold_indicators():
    with pytest.raises(ModelError, match="relative methods"):
        _model({"outliers": "winsorise", "indicators": ["A"]}, method="target", target=10)
    with pytest.raises(ModelError, match="unknown indicator"):
        _model({"outliers": "winsorise", "indicators": ["NOPE"]})
    m = _model({"outliers": "winsorise"}, method="target", target=10)  # unlisted: it simply does not apply
    assert not m.treated("A") and m.treated("B")


def test_default_model_treats_nothing():
    m = load_model()
    assert not m.performance.treatment.on and not any(m.treated(c) for c in m.indicators)


def test_group_median_imputation_hand_computed():
    """Scores of A (min-max over 0, 10, 40, 100): 0, 10, 40, 100; U04 missing gets their median 25."""
    a = [0.0, 10.0, 40.0, 100.0, np.nan]
    r = score_period(_model(missing="group_median"), _inputs(a))
    row = r.indicators.set_index(["unit_id", "code"]).loc[("U04", "A")]
    assert row["score"] == 25.0 and np.isnan(row["raw"])
    assert row["note"].code == NoteCode.MISSING_GROUP_MEDIAN and row["note"].params["value"] == 25.0
    mean = score_period(_model(missing="group_mean"), _inputs(a)).indicators.set_index(["unit_id", "code"])
    assert mean.loc[("U04", "A"), "score"] == 37.5


def test_previous_quarter_imputation_is_stored_with_the_version(store):
    """2026Q2 published; a 2026Q3 import under missing = "previous" fills a missing value with the unit's
    2026Q2 value (scored within the group), names the quarter, and the stored version recomputes the same."""
    data = MODEL.model_dump()
    data["performance"]["missing"] = "previous"
    model = model_from_dict(data)
    service = Service(store, staff())
    q2 = make_inputs("2026Q2")
    service.store_inputs(model, q2)
    service.publish("2026Q2", reason="发布二季度")
    q3 = make_inputs("2026Q3")
    unit, code = "U0001", "LIV03"
    q3.indicators.loc[(q3.indicators["unit_id"] == unit) & (q3.indicators["code"] == code), "value"] = np.nan
    info = service.store_inputs(model, q3)
    stored = store.inputs("2026Q3", info.number)
    was = q2.indicators.set_index(["unit_id", "code"]).loc[(unit, code), "value"]
    assert len(stored.previous) and set(stored.previous["period"]) == {"2026Q2"}
    result = service.recompute("2026Q3", info.number)
    row = result.indicators.set_index(["unit_id", "code"]).loc[(unit, code)]
    assert row["note"].code == NoteCode.MISSING_PREVIOUS and row["note"].params == {"value": was, "period": "2026Q2"}
    ind = model.indicators[code]
    assert row["score"] == pytest.approx(min(100.0, max(0.0, 60 + 40 * (was - ind.unacceptable) / (ind.satisfactory - ind.unacceptable))))
    assert service.reproduces("2026Q3", info.number) and store.verify() == []
    assert info.row_counts["previous"] == len(stored.previous)
    assert "previous" not in store.version("2026Q2", 1).row_counts  # only a "previous" model attaches them
    first = make_inputs("2026Q3")  # no published 2026Q2 value for a new period before: reweighted instead
    assert service.previous_values("2025Q1").empty and first is not None


def test_treatments_show_on_the_unit_page_table_and_in_the_result_workbook():
    """The unit page's indicator table (views.indicator_rows) and the result workbook's breakdown sheet
    (export.result_frames) carry the treatment's words next to any other note."""
    from scoring import export, views

    model = _model({"outliers": "winsorise"}, missing="group_median")
    a = list(X)
    a[3] = np.nan
    r = score_period(model, _inputs(a))
    rows = views.indicator_rows(r.breakdown, "U11", model, "zh").set_index("code")
    assert "异常值缩尾处理：100 → 30" in rows.at["A", "note"]
    assert "group median" in views.indicator_rows(r.breakdown, "U03", model, "en").set_index("code").at["A", "note"]
    sheet = export.result_frames(r, "en")["明细 breakdown"]
    treated = sheet[(sheet["unit_id"] == "U11") & (sheet["code"] == "A")]
    assert treated["treatment"].iloc[0].startswith("outlier winsorised: 100 → 30")
