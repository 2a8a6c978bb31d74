"""The statistical audit (issue 16) against reference libraries on the same data, to 1e-9: scipy for
correlations, skewness and kurtosis, pingouin for Cronbach's α, scikit-learn for the explained variance
of the first principal component; on the ASEM reference index, the pillars' correlation matrix equals
a direct pandas computation on COINr's published pillar scores."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from scoring import audit as auditing
from scoring import views
from scoring.model import load_model
from scoring.pipeline import score_period
from tests.store_fixtures import make_inputs
from tests.test_reference_asem import ASEM, asem_model, reference_data  # noqa: F401 - the fixture skips without the data

TOL = 1e-9


@pytest.fixture(scope="module")
def scored():
    inputs = make_inputs("2026Q3", n_units=48, seed=3)
    drop = inputs.indicators.sample(frac=0.05, random_state=1).index  # some missing values
    inputs.indicators.loc[drop, "value"] = np.nan
    return score_period(load_model(), inputs)


@pytest.fixture(scope="module")
def audited(scored):
    return auditing.audit(scored)


def _reported_scores(result) -> pd.DataFrame:
    ind = result.indicators
    raw = ind.pivot_table(index="unit_id", columns="code", values="raw", aggfunc="last", dropna=False)
    score = ind.pivot_table(index="unit_id", columns="code", values="score", aggfunc="last", dropna=False)
    return score.where(raw.notna())


def test_skewness_kurtosis_and_moments_equal_scipy(scored, audited):
    raw = scored.indicators.pivot_table(index="unit_id", columns="code", values="raw", aggfunc="last").astype(float)
    rows = audited.indicators.set_index("code")
    for code in rows.index:
        v = raw[code].dropna().to_numpy()
        assert rows.at[code, "n_reported"] == len(v)
        assert rows.at[code, "skewness"] == pytest.approx(stats.skew(v, bias=False), abs=TOL)
        assert rows.at[code, "kurtosis"] == pytest.approx(stats.kurtosis(v, bias=False), abs=TOL)
        assert rows.at[code, "sd"] == pytest.approx(np.std(v, ddof=1), abs=TOL)
        assert rows.at[code, "coverage"] + rows.at[code, "missing_share"] == pytest.approx(1)
    assert (rows["missing_share"] > 0).any()


def test_correlations_within_every_node_equal_scipy(scored, audited):
    scores = _reported_scores(scored)
    nodes = scored.nodes
    checked = 0
    for node, (pearson, spearman) in audited.within.items():
        frame = pd.DataFrame({k: scores[k] if k in scores else nodes[k] for k in pearson.columns})
        for a, b in itertools.combinations(pearson.columns, 2):
            both = frame[[a, b]].dropna()
            if len(both) < 3 or both[a].nunique() < 2 or both[b].nunique() < 2:
                continue
            assert pearson.at[a, b] == pytest.approx(stats.pearsonr(both[a], both[b]).statistic, abs=TOL), (node, a, b)
            assert spearman.at[a, b] == pytest.approx(stats.spearmanr(both[a], both[b]).statistic, abs=TOL), (node, a, b)
            checked += 1
    assert checked >= 10


def test_correlations_against_parent_performance_and_total_equal_scipy(scored, audited):
    units = scored.units.set_index("unit_id")
    scores = _reported_scores(scored)
    for row in audited.against.itertuples():
        child = scores[row.code] if row.code in scores else scored.nodes[row.code]
        for target, r_p, r_s in ((units["total"], row.pearson_total, row.spearman_total),
                                 (units["performance"], row.pearson_performance, row.spearman_performance)):
            both = pd.DataFrame({"x": child, "y": target}).dropna()
            if both["x"].nunique() < 2:
                assert np.isnan(r_p)
                continue
            assert r_p == pytest.approx(stats.pearsonr(both["x"], both["y"]).statistic, abs=TOL)
            assert r_s == pytest.approx(stats.spearmanr(both["x"], both["y"]).statistic, abs=TOL)


def test_cronbach_alpha_equals_pingouin_and_first_component_equals_scikit_learn(scored, audited):
    scores = _reported_scores(scored)
    nodes = audited.nodes.set_index("code")
    checked = 0
    for node, (pearson, _) in audited.within.items():
        frame = pd.DataFrame({k: scores[k] if k in scores else scored.nodes[k] for k in pearson.columns}).dropna()
        if len(frame) < 3 or (frame.std() == 0).any():
            continue
        assert nodes.at[node, "alpha"] == pytest.approx(pingouin.cronbach_alpha(frame)[0], abs=TOL)
        pca = PCA().fit(StandardScaler().fit_transform(frame))
        assert nodes.at[node, "pca_first_share"] == pytest.approx(pca.explained_variance_ratio_[0], abs=TOL)
        checked += 1
    assert checked >= 4


def test_reference_functions_on_random_data():
    rng = np.random.default_rng(7)
    latent = rng.normal(size=60)
    df = pd.DataFrame({f"x{i}": latent * (i + 1) + rng.normal(size=60) for i in range(4)})
    df.iloc[3, 1] = np.nan
    assert auditing.cronbach_alpha(df) == pytest.approx(pingouin.cronbach_alpha(df, nan_policy="listwise")[0], abs=TOL)
    complete = df.dropna()
    ratio = PCA().fit(StandardScaler().fit_transform(complete)).explained_variance_ratio_[0]
    assert auditing.first_component_share(df) == pytest.approx(ratio, abs=TOL)


def test_flags_negative_and_near_duplicate_pairs():
    """Two children copying each other (r = 1 > 0.92) and one running against them are listed."""
    from scoring.inputs import PeriodInputs
    from scoring.model import model_from_dict

    model = model_from_dict({
        "model": {"name": "dup", "normalise_within": "all"}, "dimensions": {"mass": 0, "performance": 1, "compliance": 0},
        "performance": {"indicator": [{"code": c, "name": c, "weight": 1 / 3, "method": "minmax"} for c in "ABC"]},
        "grades": {"tier": [{"label": "A", "min": 50}, {"label": "B", "min": 0}]}})
    x = np.arange(10.0)
    ids = [f"U{i}" for i in range(10)]
    units = pd.DataFrame({"unit_id": ids, "unit_name": ids, "unit_type": "", "group": "all"})
    ind = pd.concat([pd.DataFrame({"unit_id": ids, "code": c, "value": v, "source": "t"})
                     for c, v in (("A", x), ("B", 2 * x + 1), ("C", -x ** 2))])
    a = auditing.audit(score_period(model, PeriodInputs("2026Q3", units, indicators=ind)))
    kinds = {(p.a, p.b, p.method): p.kind for p in a.pairs.itertuples()}
    assert kinds[("A", "B", "pearson")] == "near_duplicate" and kinds[("A", "C", "spearman")] == "negative"
    eff = a.effective.set_index("code")
    assert eff["nominal_share"].to_numpy() == pytest.approx([1 / 3] * 3)
    assert eff["effective_share"].sum() == pytest.approx(1.0)
    assert set(views.audit_frames(a, model, "en")) >= {"Indicator data", "Node consistency", "Against parent and total",
                                                       "Pairs to look at", "Effective weights",
                                                       "Pearson Performance data", "Spearman Performance data"}


def test_the_audit_workbook_speaks_the_chosen_language(scored, audited, tmp_path):
    """Issue 15 §5: the audit workbook had English sheet names and raw headers (n_units, method codes)."""
    from scoring.safe_export import write_xlsx

    for lang, sheet, header, method in (("zh", "指标数据质量", "适用单位数", "功效系数"),
                                        ("en", "Indicator data", "Units", "efficacy coefficient")):
        out = tmp_path / f"audit_{lang}.xlsx"
        write_xlsx(views.audit_frames(audited, scored.model, lang), out)
        book = pd.read_excel(out, sheet_name=None)
        assert sheet in book and header in book[sheet].columns and method in set(book[sheet].iloc[:, 3])
        codes = [c for c in book if c.startswith("Pearson")]
        assert codes and all(len(c) <= 31 for c in book)  # one sheet per node and level, within Excel's limit
        raw = {"n_units", "pearson_parent", "a_name", "node", "indicators", "flagged_pairs"}
        assert not raw & ({*book} | {c for df in book.values() for c in df.columns})
    zh = pd.read_excel(tmp_path / "audit_zh.xlsx", sheet_name="Pearson 相关-ECO")
    assert list(zh.columns[:2]) == ["编码", "指标"] and "财政收入" in set(zh["指标"])  # names beside the codes


def test_asem_audit_pillar_correlations_match_pandas():
    """The audit runs on the ASEM reference index, and its correlation matrix of the 8 pillars equals
    pandas' on COINr's published pillar scores (which the pipeline reproduces)."""
    from scoring.inputs import PeriodInputs

    model = asem_model()
    data = pd.read_csv(ASEM / "treated_input.csv")
    long = data.melt(id_vars=["UnitCode"], value_vars=list(model.indicators), var_name="code", value_name="value")
    long = long.rename(columns={"UnitCode": "unit_id"}).assign(source="treated_input.csv")
    units = pd.DataFrame({"unit_id": data["UnitCode"], "unit_name": data["UnitName"], "unit_type": "", "group": "all"})
    a = auditing.audit(score_period(model, PeriodInputs("2018", units, indicators=long)))
    expected = pd.read_csv(ASEM / "aggregated_expected.csv").set_index("UnitCode")
    pillars = pd.read_csv(ASEM / "indicators.csv")["Agg1"].unique().tolist()
    pearson, spearman = a.levels[2]
    assert sorted(pearson.columns) == sorted(pillars) and len(pillars) == 8
    direct = expected[pillars].corr()
    np.testing.assert_allclose(pearson.loc[pillars, pillars], direct, rtol=0, atol=1e-9)
    np.testing.assert_allclose(spearman.loc[pillars, pillars], expected[pillars].corr(method="spearman"), rtol=0, atol=1e-9)
    assert len(a.indicators) == 49 and a.indicators["coverage"].notna().all()
    assert a.nodes["alpha"].notna().any() and a.nodes["pca_first_share"].between(0, 1).any()
