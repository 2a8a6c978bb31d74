"""Uncertainty over method choices (issue 16): the kernel varies, besides the weights, indicators'
normalisation methods, the aggregation rule, outlier treatment and the missing policy — and every
sample ranks, grades and scores exactly as `score_period` of the model it stands for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from scoring.model import load_model, model_from_dict
from scoring.pipeline import score_period
from scoring.sensitivity import (
    Assumptions,
    SensitivityInput,
    analyse,
    method_space,
    model_with_choices,
)
from tests.store_fixtures import make_inputs

MODEL = load_model()


def _inputs(seed: int = 2):
    inputs = make_inputs("2026Q3", n_units=48, seed=seed)
    drop = inputs.indicators.sample(frac=0.06, random_state=seed).index
    inputs.indicators.loc[drop, "value"] = np.nan
    inputs.indicators.loc[inputs.indicators.index[5], "value"] = 1e4  # one outlier for the treatment to act on
    q2 = make_inputs("2026Q2", n_units=48, seed=seed).indicators
    previous = q2.assign(period="2026Q2")[["unit_id", "code", "value", "period"]]
    return replace(inputs, previous=previous)


ALL = Assumptions.of(0.05, {"LIV05": ["zscore", "rank"], "ECO02": ["minmax", "zscore"], "SAF03": ["minmax"]},
                     aggregation=True, treatment=True, missing=["zero", "group_mean", "group_median", "previous"])


@pytest.fixture(scope="module")
def space():
    inputs = _inputs()
    result = score_period(MODEL, inputs)
    return method_space(MODEL, inputs, SensitivityInput.from_result(result), ALL), inputs


def test_every_sample_equals_the_pipeline_of_its_model(space):
    sp, inputs = space
    assert [f.name for f in sp.factors] == ["weights", "method:LIV05", "method:ECO02", "method:SAF03", "aggregation",
                                            "treatment", "missing"]
    u = np.random.default_rng(5).random((16, sp.n_columns))
    ev = sp.evaluate(u)
    ids = list(sp.inp.unit_ids)
    seen = set()
    for i, choice in enumerate(sp.choices(u)):
        got = score_period(model_with_choices(MODEL, choice), inputs).units.set_index("unit_id").loc[ids]
        assert (got["rank_overall"].to_numpy() == ev.rank[i]).all(), choice
        assert (got["rank_group"].to_numpy() == ev.group_rank[i]).all(), choice
        assert (got["grade"].to_numpy() == np.array(sp.inp.tier_labels, dtype=object)[ev.tier[i]]).all(), choice
        np.testing.assert_allclose(got["total"].round(2).to_numpy(), ev.score[i], atol=1e-9)
        seen.update((k, str(v)) for k, v in choice.items() if k != "weights")
    assert ("aggregation", "geometric") in seen and ("treatment", "True") in seen and ("missing", "previous") in seen


def test_the_models_own_choices_give_the_published_result(space):
    sp, _ = space
    assert sp.notes == ()
    ev = sp.evaluate(sp.nominal_row()[None, :])
    assert (ev.rank[0] == sp.inp.nominal.rank).all() and (ev.tier[0] == sp.inp.nominal.tier).all()


def test_a_geometric_treated_model_is_its_own_nominal_too():
    data = MODEL.model_dump()
    data["performance"]["aggregation"] = "geometric"
    data["performance"]["treatment"]["outliers"] = "log"
    model = model_from_dict(data)
    inputs = _inputs(3)
    inp = SensitivityInput.from_result(score_period(model, inputs))
    assert inp.notes == ()  # from_result's own check of the tree (geometric root) against the published scores
    sp = method_space(model, inputs, inp, Assumptions.of(None, aggregation=True, treatment=True))
    assert sp.notes == ()
    ev = sp.evaluate(sp.nominal_row()[None, :])
    assert (ev.rank[0] == inp.nominal.rank).all()


def test_rank_intervals_and_sobol_indices_per_assumption(space):
    sp, _ = space
    res = analyse(sp, n_samples=300, n_sobol=64, seed=1)
    frames = res.to_frames()
    units = frames["assumption_units"]
    assert (units["rank_p05"] <= units["rank_median"]).all() and (units["rank_median"] <= units["rank_p95"]).all()
    assert len(frames["assumption_samples"]) == 300 and frames["assumption_sobol"]["n_evaluations"].iloc[0] == 64 * 9
    sobol = frames["assumption_sobol"].set_index("factor")
    assert list(sobol.index) == [f.name for f in sp.factors]
    assert (sobol["ST"] >= -1e-12).all() and sobol["ST"].max() > 0.05
    again = analyse(sp, n_samples=300, n_sobol=64, seed=1)
    assert np.array_equal(again.rank_hist, res.rank_hist)  # seeded


def test_an_assumption_that_changes_nothing_has_no_effect():
    """With no value missing the missing policy changes no score, so its total index is exactly 0."""
    inputs = make_inputs("2026Q3", n_units=36, seed=4)
    assert inputs.indicators["value"].notna().all()
    inp = SensitivityInput.from_result(score_period(MODEL, inputs))
    sp = method_space(MODEL, inputs, inp, Assumptions.of(0.05, missing=["zero", "group_median"]))
    sobol = analyse(sp, n_samples=50, n_sobol=32).sobol.set_index("factor")
    assert sobol.at["missing", "ST"] == 0.0 and sobol.at["weights", "ST"] > 0


def test_impossible_options_are_refused(space):
    sp, inputs = space
    with pytest.raises(ValueError, match="needs target"):
        method_space(MODEL, inputs, sp.inp, Assumptions.of(None, {"LIV05": ["target"]}))
    with pytest.raises(ValueError, match="unknown or unscored"):
        method_space(MODEL, inputs, sp.inp, Assumptions.of(None, {"FOR01": ["minmax"]}))
    with pytest.raises(ValueError, match="at least one"):
        method_space(MODEL, inputs, sp.inp, Assumptions.of(None))
