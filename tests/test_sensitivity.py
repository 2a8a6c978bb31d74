"""Weight sensitivity (issue 6): the vectorised kernel against the pipeline, exact crossings against a
fine sweep, Monte Carlo invariants, Sobol estimators against SALib and analytic values.

One file for the whole `scoring/sensitivity/` package, in sections that follow its modules: most tests
share the scored period and the per-sample pipeline re-run, and check several modules at once."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring import grades as grading
from scoring import sensitivity as sens
from scoring.model import load_model, model_from_dict
from scoring.pipeline import score_period
from scoring.sensitivity.kernel import _competition, _evaluate, _sort, _to_units
from scoring.sensitivity.sweeps import _sweep_lines
from scoring.sensitivity.tree import _leaf_weights, _tree_rows
from scoring.text import Text
from scoring.tree import aggregate
from tests.factory import make_inputs

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BASE = load_model()


def quota_model(excellent=72.0, good=66.0, fair=55.0, decimals=2, scope="group", **quota):
    """The default model with grade thresholds the synthetic data reach, so quotas bite; `quota`
    sets quota_rounding, quota_min_one and quota_ties."""
    data = BASE.model_dump(mode="json", exclude_none=True)
    data["model"]["rank_decimals"] = decimals
    data["grades"]["quota_scope"] = scope
    data["grades"].update(quota)
    data["grades"]["tier"] = [
        {"label": "优秀", "min": excellent, "quota": 0.2}, {"label": "良好", "min": good, "quota": 0.5},
        {"label": "一般", "min": fair}, {"label": "较差", "min": 0}]
    return model_from_dict(data)


def period(model, seed=3, vetoes=(3, 17), drop=(5, 50, 120)):
    inputs = make_inputs(model, seed, n_towns=40, n_depts=12, respondents=30)
    inputs.adjustments.loc[list(vetoes), "veto"] = "重大安全事故"
    inputs.indicators = inputs.indicators.drop(index=list(drop))  # missing values: reweighted in the tree
    return inputs


@pytest.fixture(scope="module")
def scored():
    model = quota_model()
    inputs = period(model)
    result = score_period(model, inputs)
    return model, inputs, result, sens.SensitivityInput.from_result(result)


def pipeline_view(model, inputs, inp, weights, factors=None):
    """The straightforward method: re-run the whole pipeline with these weights."""
    r = score_period(sens.model_with_weights(model, weights, factors, inp.tree), inputs)
    u = r.units.set_index("unit_id").loc[list(inp.unit_ids)]
    tiers = u["grade"].map({t: i for i, t in enumerate(inp.tier_labels)}).to_numpy()
    return u["total"].round(model.model.rank_decimals).to_numpy(), u["rank_overall"].to_numpy(dtype=int), \
        u["rank_group"].to_numpy(dtype=int), tiers


def random_input(rng, n, grades, decimals=2, groups=3):
    dims = np.round(rng.uniform(40, 100, size=(n, 3)), 1)
    return sens.SensitivityInput.from_arrays(
        dims, rng.choice([0.0, 0.0, 1.0, 5.0, -2.0], n), rng.integers(0, groups, n), rng.random(n) < 0.05,
        (rng.random(n) < 0.1).astype(int), weights=[0.4, 0.4, 0.2], grades=grades, decimals=decimals)


# ---- ranks and grades ------------------------------------------------------------------------

def test_competition_ranking_ties_1_2_2_4():
    dims = np.repeat([[90.0], [85.0], [85.0], [70.0]], 3, axis=1)
    inp = sens.SensitivityInput.from_arrays(dims, groups=[0, 1, 0, 0], weights=[0.4, 0.4, 0.2], grades=BASE.grades)
    ev = sens.evaluate(inp, [0.4, 0.4, 0.2])
    assert dict(zip(inp.unit_ids, ev.rank, strict=True)) == {"U1": 1, "U2": 2, "U3": 2, "U4": 4}
    assert dict(zip(inp.unit_ids, ev.group_rank, strict=True)) == {"U1": 1, "U2": 1, "U3": 2, "U4": 3}


@SETTINGS
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 6), n=st.integers(1, 40), top=st.sampled_from([3, 50, 10_000]),
       dtype=st.sampled_from([np.uint16, np.int32]))
def test_ranks_and_mid_ranks_equal_scipy(seed, rows, n, top, dtype):
    keys = np.random.default_rng(seed).integers(0, top, size=(rows, n)).astype(dtype)
    order, sk = _sort(keys)
    first, mid = _competition(sk, mid=True)
    np.testing.assert_array_equal(_to_units(order, first), stats.rankdata(keys, method="min", axis=1))
    np.testing.assert_array_equal(_to_units(order, mid), stats.rankdata(keys, method="average", axis=1))


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), decimals=st.sampled_from([0, 2, 3]),
       groups=st.sampled_from([1, 3, 8]))
def test_evaluate_equals_reference_ranks(seed, n, decimals, groups):
    """Every key width and group count path (packed sort, argsort, one sort or one per group)."""
    rng = np.random.default_rng(seed)
    inp = random_input(rng, n, quota_model(decimals=decimals).grades, decimals=decimals, groups=groups)
    w = sens.sample_dirichlet(inp.weights, 20.0, 5, rng)
    ev = sens.evaluate(inp, w)
    score = np.round(np.clip(w @ inp.dims.T + inp.adjust, 0, 100), decimals)
    np.testing.assert_allclose(ev.score, score, atol=1e-9)
    np.testing.assert_array_equal(ev.rank, stats.rankdata(-ev.score, "min", axis=1))
    for g in np.unique(inp.groups):
        cols = inp.groups == g
        np.testing.assert_array_equal(ev.group_rank[:, cols], stats.rankdata(-ev.score[:, cols], "min", axis=1))
    np.testing.assert_array_equal(ev.tier, grading.grade_rows(ev.score, inp.scope, inp.grades, inp.cap, inp.veto))


@SETTINGS
@given(seed=st.integers(0, 10_000), decimals=st.sampled_from([0, 1, 2]),
       mins=st.sampled_from([(90, 80, 60, 0), (1.1, 0.29, 0.0), (89.995, 50.5, 0)]))
def test_integer_tiers_equal_tier_index(seed, decimals, mins):
    g = quota_model().grades.model_copy(update={"tier": tuple(
        grading.Grades.model_fields["tier"].annotation.__args__[0](label=str(m), min=m) for m in mins)})
    scale = 10.0 ** decimals
    q = np.random.default_rng(seed).integers(0, int(100 * scale) + 1, size=(3, 50))
    np.testing.assert_array_equal(grading.tier_rows(q, g, scale), grading.tier_index(q / scale, g))


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), scope=st.sampled_from(["group", "all"]),
       decimals=st.sampled_from([0, 2]), rounding=st.sampled_from(["floor", "round", "ceil"]),
       min_one=st.booleans(), ties=st.sampled_from(["demote_all", "keep_all"]))
def test_grade_rows_equals_pipeline_grading(seed, n, scope, decimals, rounding, min_one, ties):
    """Thresholds, cap, veto and quota (every rounding, minimum and tie rule of the model), row by row."""
    rng = np.random.default_rng(seed)
    model = quota_model(scope=scope, decimals=decimals, quota_rounding=rounding, quota_min_one=min_one,
                        quota_ties=ties)
    scale = 10.0 ** decimals
    q = rng.integers(int(50 * scale), int(80 * scale), size=(4, n))
    groups = rng.integers(0, 2, n)
    cap = (rng.random(n) < 0.2).astype(int)
    veto = rng.random(n) < 0.1
    got = grading.grade_rows(q, groups if scope == "group" else np.zeros(n, int), model.grades, cap, veto, scale)
    idx = pd.Index([f"u{i}" for i in range(n)])
    for row, mine in zip(q, got, strict=True):
        ref, _ = grading.grade_units(model.grades, pd.Series(row / scale, index=idx),
                                     pd.Series(groups, index=idx).astype(str), pd.Series(True, index=idx),
                                     pd.Series(veto, index=idx), pd.Series(cap, index=idx))
        np.testing.assert_array_equal(mine, ref.to_numpy())


# ---- performance tree ------------------------------------------------------------------------

@SETTINGS
@given(seed=st.integers(0, 10_000), missing=st.sampled_from([0.0, 0.3, 0.9]))
def test_tree_rows_equal_tree_aggregate(seed, missing):
    """The kernel's tree = the pipeline's `scoring.tree.aggregate` with every weight times its factor:
    root scores and effective leaf weights, absent leaves' weight shared out among their siblings."""
    rng = np.random.default_rng(seed)
    leaves = [i.code for i in BASE.scored_indicators]
    scores = pd.DataFrame(rng.uniform(0, 100, (40, len(leaves))), columns=leaves)
    scores = scores.mask(rng.random(scores.shape) < missing)
    tree = sens.tree_from_model(BASE, scores)
    factors = sens.sample_tree_factors(tree.n_edges, 0.5, 3, rng)
    got = _tree_rows(tree, factors)
    for i, f in enumerate(factors):
        weights = {code: BASE.tree_weights[code] * x for code, x in zip(tree.codes, f, strict=True) if code}
        agg = aggregate(scores, BASE.scored_children, weights)
        np.testing.assert_allclose(got[i], agg.node_scores[""].to_numpy(), rtol=1e-12, equal_nan=True)
        for present, units in tree.patterns:
            if present.any():
                share = _leaf_weights(tree, f[None] * tree.weights, present)[0]
                np.testing.assert_allclose(agg.effective.iloc[units].to_numpy(), np.tile(share, (len(units), 1)),
                                           rtol=1e-12, atol=1e-15)


# ---- input from a scored period, kernel against the pipeline ---------------------------------

def test_nominal_reproduces_the_published_result(scored):
    model, _, result, inp = scored
    assert inp.notes == ()
    u = result.units.set_index("unit_id").loc[list(inp.unit_ids)]
    nom = inp.nominal
    np.testing.assert_array_equal(nom.rank, u["rank_overall"].to_numpy(dtype=int))
    np.testing.assert_array_equal(nom.group_rank, u["rank_group"].to_numpy(dtype=int))
    assert (np.array(inp.tier_labels, dtype=object)[nom.tier] == u["grade"].to_numpy()).all()
    assert len(set(u["grade"])) >= 3 and inp.veto.sum() == 2 and inp.cap.any()  # quota, veto and cap all in play


def test_units_out_of_group_order_give_no_notes(scored):
    """The kernel keeps units grouped; a result listed in any order is compared unit by unit."""
    *_, result, _ = scored
    shuffled = result.units.sample(frac=1, random_state=3).reset_index(drop=True)
    assert sens.SensitivityInput.from_result(replace(result, units=shuffled)).notes == ()


def test_notes_say_what_differs_in_both_languages(scored):
    """A published result the kernel does not reproduce is noted: one `Text` (zh and en) per check."""
    *_, result, _ = scored
    units = result.units.copy()
    ok = units.index[units["status"] == "ok"]
    units.loc[ok[:2], "rank_overall"] = 999
    units.loc[ok[:1], "grade"] = "?"
    notes = sens.SensitivityInput.from_result(replace(result, units=units)).notes
    assert notes == (
        Text("权重分析复算的总排名有 2 个单位与已发布结果不一致。",
             "The overall rank recomputed for the weight analysis differs from the published result for 2 units."),
        Text("权重分析复算的等次有 1 个单位与已发布结果不一致。",
             "The grade recomputed for the weight analysis differs from the published result for 1 unit."))


def test_incomplete_units_are_excluded_and_listed():
    model = quota_model()
    inputs = period(model)
    inputs.survey = inputs.survey[inputs.survey["unit_id"] != "U05"]
    inp = sens.SensitivityInput.from_result(score_period(model, inputs))
    assert "U05" not in inp.unit_ids and inp.excluded["unit_id"].tolist() == ["U05"]
    assert [f.code for f in inp.excluded["flags"].iloc[0]] == ["incomplete"]


@pytest.mark.parametrize("tree_delta", [0.0, 0.3])
def test_kernel_equals_per_sample_pipeline(scored, tree_delta):
    """Scores, ranks (overall and group) and grades (quota, veto, cap) on the same weight samples."""
    model, inputs, _, inp = scored
    rng = np.random.default_rng(11)
    w = sens.sample_uniform(inp.weights, 0.15, 12, rng)
    f = sens.sample_tree_factors(inp.tree.n_edges, tree_delta, 12, rng) if tree_delta else None
    ev = _evaluate(inp, w, f)
    demoted = 0
    for i in range(len(w)):
        score, rank, group_rank, tiers = pipeline_view(model, inputs, inp, w[i], None if f is None else f[i])
        np.testing.assert_allclose(ev.score[i], score, atol=1e-9)
        np.testing.assert_array_equal(ev.rank[i], rank)
        np.testing.assert_array_equal(ev.group_rank[i], group_rank)
        np.testing.assert_array_equal(ev.tier[i], tiers)
        demoted += (ev.tier[i] > grading.tier_rows(ev.score[i], inp.grades)).sum()
    assert demoted > 0  # the quota (or cap, veto) changed grades in these samples


# ---- Monte Carlo and weight samples ----------------------------------------------------------

def test_monte_carlo_equals_straightforward_loop(scored):
    """Histograms, shifts and correlations equal a per-sample pipeline loop on the same samples."""
    model, inputs, _, inp = scored
    mc = sens.monte_carlo(inp, 24, delta=0.1, tree_delta=0.2, seed=5, top_k=5, chunk=7, kendall_samples=24)
    rng = np.random.default_rng(5)
    w = sens.sample_uniform(inp.weights, 0.1, 24, rng)
    f = sens.sample_tree_factors(inp.tree.n_edges, 0.2, 24, rng)
    np.testing.assert_array_equal(mc.weights, w)
    n = inp.n_units
    hist, ghist, thist = np.zeros((n, n), int), np.zeros_like(mc.group_rank_hist), np.zeros((n, 4), int)
    nominal_rank = pipeline_view(model, inputs, inp, inp.weights)[1]
    for i in range(len(w)):
        score, rank, group_rank, tiers = pipeline_view(model, inputs, inp, w[i], f[i])
        hist[np.arange(n), rank - 1] += 1
        ghist[np.arange(n), group_rank - 1] += 1
        thist[np.arange(n), tiers] += 1
        assert mc.abs_shift[i] == pytest.approx(np.abs(rank - nominal_rank).mean())
        assert mc.spearman[i] == pytest.approx(stats.spearmanr(inp.nominal.score, score).statistic)
        assert mc.kendall[i] == pytest.approx(stats.kendalltau(inp.nominal.score, score).statistic)
    np.testing.assert_array_equal(mc.rank_hist, hist)
    np.testing.assert_array_equal(mc.group_rank_hist, ghist)
    np.testing.assert_array_equal(mc.tier_hist, thist)
    ranks = np.repeat(np.arange(1, n + 1)[None], n, 0)
    for unit in range(n):  # percentiles from the histogram = numpy's inverted-CDF percentiles of the samples
        samples = np.repeat(ranks[unit], hist[unit])
        for p in (0.05, 0.5, 0.95):
            assert mc.rank_quantile(p)[unit] == np.percentile(samples, 100 * p, method="inverted_cdf")
    assert (mc.p_top(5) == (hist[:, :5].sum(axis=1) / 24)).all()


def test_delta_zero_collapses_to_nominal(scored):
    *_, inp = scored
    mc = sens.monte_carlo(inp, 50, delta=0.0, seed=1)
    nom = inp.nominal.rank
    for p in (0.05, 0.5, 0.95):
        np.testing.assert_array_equal(mc.rank_quantile(p), nom)
        np.testing.assert_array_equal(mc.rank_quantile(p, group=True), inp.nominal.group_rank)
    assert (mc.p_same_grade == 1).all() and (mc.abs_shift == 0).all() and np.allclose(mc.spearman, 1)
    np.testing.assert_array_equal(mc.p_top(), (nom <= 10).astype(float))


def test_monte_carlo_is_seeded_and_independent_of_chunks_and_threads(scored):
    *_, inp = scored
    a = sens.monte_carlo(inp, 300, kappa=200.0, delta=None, seed=9, workers=1)
    b = sens.monte_carlo(inp, 300, kappa=200.0, delta=None, seed=9, chunk=37, workers=2)
    c = sens.monte_carlo(inp, 300, kappa=200.0, delta=None, seed=10)
    for x in ("rank_hist", "group_rank_hist", "tier_hist", "abs_shift", "spearman", "weights"):
        np.testing.assert_array_equal(getattr(a, x), getattr(b, x))
    assert not np.array_equal(a.weights, c.weights)
    frames = a.to_frames()
    assert set(frames) == {"mc_units", "mc_summary", "mc_samples"} and len(frames["mc_units"]) == inp.n_units


def test_weight_samplers():
    rng = np.random.default_rng(0)
    w0 = np.array([0.4, 0.4, 0.2])
    u = sens.sample_uniform(w0, 0.05, 5000, rng)
    assert np.allclose(u.sum(axis=1), 1) and (np.abs(u - w0) <= 0.05 + 1e-12).all()
    assert (sens.sample_uniform(w0, 0.0, 3, rng) == w0).all()
    assert (sens.sample_uniform(np.array([0.9, 0.1, 0.0]), 0.2, 500, rng) >= 0).all()
    d = sens.sample_dirichlet(np.array([0.5, 0.5, 0.0]), 100.0, 5000, rng)
    assert (d[:, 2] == 0).all() and np.allclose(d.mean(axis=0), [0.5, 0.5, 0], atol=0.01)


# ---- sweeps and crossings --------------------------------------------------------------------

@SETTINGS
@given(seed=st.integers(0, 10_000), dim=st.sampled_from(["mass", "performance", "compliance"]))
def test_crossings_equal_a_fine_sweep(seed, dim):
    """Analytic crossing weights of the exact totals = sign changes on a 200,001-point sweep."""
    rng = np.random.default_rng(seed)
    inp = random_input(rng, 8, BASE.grades)
    j = inp.dimensions.index(dim)
    t = np.linspace(0, 1, 200_001)[1:-1]  # at the very ends float noise decides exact ties
    r, a, b = _sweep_lines(inp, j)
    w = r[None] * (1 - t[:, None])
    w[:, j] = t
    lines = np.clip(w @ inp.dims.T + inp.adjust, 0, 100)
    np.testing.assert_allclose(lines, np.clip(a + b * t[:, None], 0, 100), atol=1e-9)
    found = sens.crossings(inp, dim)
    ids = list(inp.unit_ids)
    # the order of the (clipped) totals flips where the listed crossing's tie interval ends inside the grid
    flips = {frozenset((x.up_id, x.down_id)): (x.tie_from, x.tie_to) for x in found.itertuples()
             if t[0] < x.tie_from and x.tie_to < t[-1]}
    brute = {}
    for u in range(8):
        for v in range(u + 1, 8):
            sign = np.sign(lines[:, u] - lines[:, v])
            nz = np.flatnonzero(sign)  # ties (zeros) are skipped: a crossing may fall on a grid point
            for k in np.flatnonzero(sign[nz[1:]] != sign[nz[:-1]]):
                brute[frozenset((ids[u], ids[v]))] = (t[nz[k]], t[nz[k + 1]])
    assert brute.keys() == flips.keys()
    for pair, (lo, hi) in brute.items():
        tie_from, tie_to = flips[pair]
        assert lo - 1e-12 <= tie_from <= tie_to <= hi + 1e-12 and (hi - lo) - (tie_to - tie_from) <= 2e-5
    for x in found.itertuples():  # after the crossing (and any tie at a bound) `up` is ahead
        u, v = ids.index(x.up_id), ids.index(x.down_id)
        after = np.clip(a + b * min(x.tie_to + 1e-6, 1), 0, 100)
        before = np.clip(a + b * max(x.tie_from - 1e-6, 0), 0, 100)
        assert after[u] >= after[v] and before[v] >= before[u]
        if x.tie_to > x.tie_from:
            mid = np.clip(a + b * (x.tie_from + x.tie_to) / 2, 0, 100)
            assert mid[u] == mid[v] and mid[u] in (0, 100)


def test_crossing_at_the_clip_is_a_tie_interval():
    dims = np.array([[100.0, 95.0, 95.0], [80.0, 100.0, 100.0]])
    inp = sens.SensitivityInput.from_arrays(dims, [8.0, 10.0], weights=[0.4, 0.4, 0.2], grades=BASE.grades)
    # unclipped: U1 = 103 + 5t, U2 = 110 − 20t meet at t = 0.28 above 100; both clipped to 100 until U2
    # drops below 100 at t = 0.5, where U1 goes ahead
    (x,) = sens.crossings(inp, "mass").itertuples()
    assert (x.up_id, x.down_id, x.score) == ("U1", "U2", 100)
    assert x.weight == pytest.approx(0.28) and x.tie_from == 0 and x.tie_to == pytest.approx(0.5)


def test_sweep_frames_and_official_point(scored):
    *_, inp = scored
    s = sens.sweep(inp, "compliance", 11, units=range(10))
    assert np.allclose(s.weights.sum(axis=1), 1) and s.t[0] == 0 and s.t[-1] == 1
    r, _, _ = _sweep_lines(inp, 2)
    assert np.allclose(r * (1 - 0.2) + np.eye(3)[2] * 0.2, inp.weights)
    frames = s.to_frames()
    assert len(frames["sweep_compliance"]) == 11 * inp.n_units
    assert set(frames["crossings_compliance"]["up_id"]) <= set(inp.unit_ids[:10])


# ---- ternary map -----------------------------------------------------------------------------

def test_ternary_map(scored):
    *_, inp = scored
    tm = sens.ternary(inp, 0.01)
    assert len(tm.weights) == 5151 and np.allclose(tm.weights.sum(axis=1), 1)
    official = np.flatnonzero((np.abs(tm.weights - inp.weights) < 1e-12).all(axis=1))[0]
    np.testing.assert_array_equal(tm.eval.rank[official], inp.nominal.rank)
    np.testing.assert_array_equal(tm.eval.tier[official], inp.nominal.tier)
    assert (tm.eval.rank[np.arange(5151), tm.leader] == 1).all()
    corner = np.flatnonzero(tm.weights[:, 0] == 1)[0]  # all weight on mass
    np.testing.assert_array_equal(tm.eval.rank[corner],
                                  stats.rankdata(-np.round(np.clip(inp.dims[:, 0] + inp.adjust, 0, 100), 2), "min"))
    unit = tm.to_frames(inp.unit_ids[0])["ternary_unit"]
    assert len(unit) == 5151 and set(unit["grade"]) <= set(inp.tier_labels)


# ---- Sobol -----------------------------------------------------------------------------------

def _salib_layout(problem, n, seed):
    from SALib.sample import sobol as sobol_sample
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    return x, problem["num_vars"] + 2


def _ours(y, step):
    k = step - 2
    f_ab = np.stack([y[j + 1::step] for j in range(k)])[..., None]
    return sens.sobol_indices(y[0::step, None], y[step - 1::step, None], f_ab)


def test_sobol_estimators_equal_salib_and_analytic_ishigami():
    from SALib.analyze import sobol as sobol_analyze
    from SALib.test_functions import Ishigami
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x, step = _salib_layout(problem, 2 ** 13, seed=1)
    y = Ishigami.evaluate(x)
    s1, st = _ours(y, step)
    ref = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=1)
    np.testing.assert_allclose(s1[:, 0], ref["S1"], rtol=1e-10)
    np.testing.assert_allclose(st[:, 0], ref["ST"], rtol=1e-10)
    a, b = 7.0, 0.1
    v = a ** 2 / 8 + b * np.pi ** 4 / 5 + b ** 2 * np.pi ** 8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2
    v13 = 8 * b ** 2 * np.pi ** 8 / 225
    np.testing.assert_allclose(s1[:, 0], [v1 / v, a ** 2 / 8 / v, 0], atol=0.03)
    np.testing.assert_allclose(st[:, 0], [(v1 + v13) / v, a ** 2 / 8 / v, v13 / v], atol=0.03)


def test_sobol_estimators_on_the_g_function():
    from SALib.analyze import sobol as sobol_analyze
    from SALib.test_functions import Sobol_G
    a = np.array([0, 1, 4.5, 9, 99, 99, 99, 99])
    problem = {"num_vars": 8, "names": [f"x{i}" for i in range(8)], "bounds": [[0, 1]] * 8}
    x, step = _salib_layout(problem, 2 ** 13, seed=2)
    y = Sobol_G.evaluate(x, a)
    s1, st = _ours(y, step)
    ref = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=2)
    np.testing.assert_allclose(s1[:, 0], ref["S1"], rtol=1e-10)
    np.testing.assert_allclose(st[:, 0], ref["ST"], rtol=1e-10)
    np.testing.assert_allclose(s1[:, 0], Sobol_G.sensitivity_index(a), atol=0.03)
    np.testing.assert_allclose(st[:, 0], Sobol_G.total_sensitivity_index(a).ravel(), atol=0.03)


def test_sobol_weights_ignore_a_dimension_that_cannot_reorder():
    """Compliance equal for every unit and no bonus: its weight only rescales, so it has no effect."""
    rng = np.random.default_rng(4)
    dims = np.column_stack([rng.uniform(60, 95, 30), rng.uniform(60, 95, 30), np.full(30, 80.0)])
    inp = sens.SensitivityInput.from_arrays(dims, weights=[0.4, 0.4, 0.2], grades=BASE.grades, decimals=6)
    res = sens.sobol_weights(inp, 256, delta=0.1, seed=3)
    assert np.nanmax(np.abs(res.st_rank[2])) == 0 and res.mar_st[2] == 0
    assert np.nanmax(res.st_rank[:2]) > 0 and res.mar_st[0] > 0
    frames = res.to_frames()
    assert len(frames["sobol_units"]) == 30 and len(frames["sobol_mean_abs_shift"]) == 3
