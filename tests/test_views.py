"""scoring.views (the dashboard's data shaping), scoring.charts and the i18n table, without Streamlit."""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from scoring import charts, i18n, model_edit, sensitivity, views
from scoring.inputs import is_period, next_period
from scoring.model import DIMENSIONS, load_model
from scoring.report import Report
from scoring.service import Service
from scoring.store import Store
from tests.actors import staff

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
MODEL = load_model()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(f"sqlite:///{tmp_path_factory.mktemp('views')}/sanwei.db")
    Service.load_demo(s, DEMO)
    yield s
    s.close()


@pytest.fixture(scope="module")
def service(store):
    return Service(store, staff("tester"))


@pytest.fixture(scope="module")
def res(service):
    return service.recompute("2026Q3")


@pytest.fixture(scope="module")
def rk(store):
    return store.rankings("2026Q3")


# ------------------------------------------------------------------ periods and grades
def test_periods():
    assert next_period("2026Q3") == "2026Q4"
    assert next_period("2026Q4") == "2027Q1"
    assert is_period(next_period(None))
    assert is_period("2026Q1") and not is_period("2026Q5") and not is_period("26Q1") and not is_period("2026q1")


def test_grade_label_and_counts(rk):
    assert views.grade_label(MODEL, "优秀", "en") == "Excellent"
    assert views.grade_label(MODEL, "优秀", "zh") == "优秀"
    assert views.grade_label(MODEL, None, "en") == ""
    counts = views.grade_counts(rk, MODEL.tier_labels())
    assert list(counts["grade"]) == MODEL.tier_labels() and counts["count"].sum() == 36
    by = views.grade_counts(rk, MODEL.tier_labels(), by="group")
    assert len(by) == 3 * 4 and by.groupby("group")["count"].sum().eq(12).all()


# ------------------------------------------------------------------ home
def test_headline_and_movers(rk):
    head = views.headline(rk)
    assert head == {**head, "n_units": 36, "n_ranked": 36, "n_incomplete": 0, "n_veto": 0, "previous_period": "2026Q2"}
    up, down = views.movers(rk, n=3)
    assert len(up) == 3 and (up["rank_change"] > 0).all() and up["rank_change"].is_monotonic_decreasing
    assert len(down) == 3 and (down["rank_change"] < 0).all() and down["rank_change"].is_monotonic_increasing
    assert up["rank_change"].iloc[0] == rk["rank_change"].max()


def test_veto_cases(store):
    vetoes = views.veto_cases(store.rankings("2026Q2"))
    assert list(vetoes["unit_id"]) == ["XZ03"] and "生产安全事故" in vetoes["veto"].iloc[0]
    assert vetoes["grade"].iloc[0] == "较差" and vetoes["waived"].iloc[0] == ""
    # a veto waived by an exemption (容错纠错) is listed as waived, with its document, never silently gone
    waived = views.veto_cases(store.rankings("2026Q3"))
    assert list(waived["unit_id"]) == ["JD05"] and waived["waived"].iloc[0] == "示考容〔2026〕9号"
    assert "集体上访" in waived["veto"].iloc[0] and waived["grade"].iloc[0] != "较差"


# ------------------------------------------------------------------ rankings
@pytest.mark.parametrize(("change", "arrow"), [(3, "▲3"), (-2, "▼2"), (0, "—"), (None, ""), (pd.NA, "")])
def test_change_arrow(change, arrow):
    assert views.change_arrow(change) == arrow


def test_ranking_view_filters(rk):
    full = views.ranking_view(rk)
    assert len(full) == 36 and list(full["rank"]) == sorted(full["rank"]) and (full["rank"] == full["rank_overall"]).all()
    group = views.ranking_view(rk, group="城区街道")
    assert len(group) == 12 and list(group["rank"]) == sorted(group["rank_group"]) and group["rank"].iloc[0] == 1
    assert set(views.ranking_view(rk, grades=["优秀"])["grade"]) == {"优秀"}
    assert set(views.ranking_view(rk, query="jd0")["unit_id"]) == {f"JD0{i}" for i in range(1, 10)}
    assert views.ranking_view(rk, flagged_only=True)["flag_codes"].ne("").all()
    assert set(full["change"]) <= {"—"} | {f"{a}{n}" for a in "▲▼" for n in range(1, 36)}


def test_contributions_add_up_to_the_total(rk):
    long = views.contributions(rk, MODEL.weights)
    summed = long.groupby("unit_id")["value"].sum()
    expect = rk.set_index("unit_id")["total_unclipped"].astype(float)
    assert np.allclose(summed.reindex(expect.index), expect)
    assert list(dict.fromkeys(long["unit_id"])) == list(rk.sort_values("rank_overall")["unit_id"])


# ------------------------------------------------------------------ unit detail
def test_dimension_vs_group(res):
    df = views.dimension_vs_group(res.units, "XZ03")
    peers = res.units[res.units["group"] == "农业乡镇"]
    assert list(df["dimension"]) == list(DIMENSIONS)
    assert np.isclose(df.loc[df["dimension"] == "mass", "group_mean"].iloc[0], peers["mass"].mean())


@pytest.mark.parametrize("detail", [False, True])
def test_waterfall_reaches_the_total(res, detail):
    for uid in res.units["unit_id"]:
        unit = res.units.set_index("unit_id").loc[uid].copy()
        unit["unit_id"] = uid
        steps = views.waterfall_steps(res.breakdown, unit, MODEL, detail)
        assert steps["kind"].iloc[-1] == "total"
        assert np.isclose(steps["value"].iloc[:-1].sum(), unit["total"])
        if unit["bonus"]:
            assert "bonus" in set(steps["kind"])
    agg = views.waterfall_steps(res.breakdown, unit, MODEL)
    assert {"经济发展", "民生改善", "安全稳定"} & set(agg["name"]) or {"履职成效"} & set(agg["name"])


def test_waterfall_shows_the_clip():
    units = pd.Series({"unit_id": "U1", "bonus": 5.0, "deduction": 0.0, "total": 100.0})
    b = pd.DataFrame({"unit_id": ["U1"], "dimension": ["mass"], "code": ["MASS.SURVEY"], "name": [""],
                      "contribution": [98.0]})
    steps = views.waterfall_steps(b, units, MODEL)
    assert list(steps["kind"]) == ["dimension", "bonus", "clip", "total"] and steps["value"].iloc[2] == -3.0


def test_indicator_rows(res):
    ind = views.indicator_rows(res.breakdown, "XZ03", MODEL)
    en = views.indicator_rows(res.breakdown, "XZ03", MODEL, "en")
    assert not {"FOR01", "FOR02"} & set(ind["code"])  # formalism never scores
    perf = res.breakdown[(res.breakdown["unit_id"] == "XZ03") & (res.breakdown["dimension"] == "performance")]
    assert np.isclose(ind["contribution"].sum(), perf["contribution"].sum())
    assert ind["rule"].str.contains("法|率|赋分|满分|标准").all() and en["rule"].str.contains("[a-z]").all()
    assert ind.loc[ind["code"] == "ECO01", "category"].iloc[0] == "经济发展"


def test_strengths_and_weaknesses(res):
    good, bad = views.strengths_weaknesses(res.breakdown, res.units, "XZ03", n=3)
    assert len(good) <= 3 and (good["gap"] > 0).all() and good["gap"].is_monotonic_decreasing
    assert len(bad) <= 3 and (bad["gap"] < 0).all() and bad["gap"].is_monotonic_increasing
    assert np.allclose(good["score"] - good["group_mean"], good["gap"])


def test_survey_detail(res):
    stats = views.survey_stats(res.survey, "JD01")
    assert stats["ci_low"] <= stats["mean"] <= stats["ci_high"] and 0 <= stats["satisfaction_rate"] <= 1
    assert views.survey_stats(res.survey, "NOPE") is None
    shares = views.answer_shares(res.answers, "JD01", MODEL)
    assert np.allclose(shares.groupby("item")["share"].sum(), 1.0)
    assert list(shares["answer"].iloc[:5]) == [a.label for a in MODEL.survey.answer]
    assert "总体满意度" in set(shares["item"])


def test_compliance_and_excluded(res):
    comp = views.compliance_rows(res.compliance, "JD01", MODEL)
    assert len(comp) == 6 and set(comp["status"]) <= {"pass", "partial", "fail"} and "重大决策履行民主程序" in set(comp["item"])
    assert len(views.compliance_rows(res.compliance, "BM01", MODEL)) == 7  # departments: 精文简会 too
    ex = views.excluded_rows(res.excluded)
    kept_out = ex[~ex["overridden"]]
    assert set(kept_out["column"]) == {"台账页数", "会议次数"} and kept_out["reason"].str.startswith("不计分").all()
    # the 精文简会 violations look like a meeting count and are scored only by the model's override, shown
    [override] = ex[ex["overridden"]].to_dict("records")
    assert override["column"] == "违反精文简会规定发文开会次数" and "减负纪律" in override["reason"]


def test_trend(store):
    tr = views.trend(store.history("XZ03"))
    assert list(tr["period"]) == ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert tr.loc[tr["period"] == "2026Q2", "grade"].iloc[0] == "较差"  # the veto quarter


def test_reverse_rows_suppress_small_samples(store, service):
    r = service.recompute("2025Q4")
    df = views.reverse_rows(r.reverse, r.units, 60)
    hidden = df[df["suppressed"]]
    assert list(hidden["unit_name"]) == ["市生态环境局"] and hidden["score"].isna().all() and (hidden["n_raters"] == 4).all()
    assert df.loc[df["unit_name"] == "市住房和城乡建设局", "below_floor"].all()
    assert df["suppressed"].is_monotonic_increasing


# ------------------------------------------------------------------ weights
def test_sliders_rebalance_and_keep_the_official_weights_exact():
    official = [0.425, 0.375, 0.2]
    pct = views.official_percents(official)
    assert sum(pct.values()) == 100 and abs(pct["mass"] - 42.5) <= 0.5
    assert np.array_equal(views.slider_weights(pct, official), official)  # not a what-if by rounding
    moved = views.rebalance({**pct, "mass": 70}, "mass")
    assert moved["mass"] == 70 and sum(moved.values()) == 100
    assert moved["performance"] > moved["compliance"]  # shared in proportion (37.5 : 20)
    assert views.rebalance({"mass": 50, "performance": 50, "compliance": 0}, "compliance") == \
        {"compliance": 0, "mass": 50, "performance": 50}
    assert views.rebalance({"mass": 100, "performance": 0, "compliance": 0}, "mass") == \
        {"mass": 100, "performance": 0, "compliance": 0}
    assert views.rebalance({"mass": 20, "performance": 0, "compliance": 0}, "mass") == \
        {"mass": 20, "performance": 40, "compliance": 40}
    w = views.slider_weights({"mass": 70, "performance": 20, "compliance": 10}, official)
    assert np.allclose(w, [0.7, 0.2, 0.1])


def test_what_if(res):
    inp = sensitivity.SensitivityInput.from_result(res)
    same = views.what_if(inp, inp.weights)
    assert (same["rank_change"] == 0).all() and not same["grade_changed"].any()
    pub = res.units.set_index("unit_id")
    assert (same.set_index("unit_id")["rank"] == pub["rank_overall"].reindex(same["unit_id"])).all()
    other = views.what_if(inp, [0.1, 0.1, 0.8])
    assert (other["rank_change"] != 0).any() and other["rank"].is_monotonic_increasing
    assert np.allclose(other["official_rank"] - other["rank"], other["rank_change"])


def test_robustness_and_sweep(res):
    inp = sensitivity.SensitivityInput.from_result(res)
    still = views.robustness(sensitivity.monte_carlo(inp, 200, delta=0.0, top_k=5))
    assert still["robust"].all() and (still["rank_p05"] == still["rank"]).all()
    moving = views.robustness(sensitivity.monte_carlo(inp, 500, delta=0.2, top_k=5))
    assert not moving["robust"].all() and moving["rank"].is_monotonic_increasing
    sw = sensitivity.sweep(inp, "mass", n_points=21)
    picked = list(inp.unit_ids[:4])
    long = views.sweep_long(sw, picked)
    assert set(long["unit_id"]) == set(picked) and len(long) == 4 * 21
    cross = views.crossings_for(sw, picked)
    assert set(cross["up_id"]) | set(cross["down_id"]) <= set(picked) and cross["weight"].is_monotonic_increasing
    tern = sensitivity.ternary(inp, 0.1)
    assert len(views.ternary_points(tern)) == 66 and "rank" in views.ternary_points(tern, picked[0])
    sheets = views.analysis_frames({"x" * 40: pd.DataFrame()})
    assert list(sheets) == ["x" * 31]


# ------------------------------------------------------------------ import
def test_report_view():
    r = Report()
    r.error("a.xlsx", "单位不存在", "unknown unit", sheet="S", row=5, column="B", header="单位编码", value="X")
    r.warning("b.xlsx", "警告", "a warning")
    frame = r.to_frame()
    zh = views.report_view(frame, None, None, "zh")
    assert list(zh["cell"]) == ["B5", ""] and list(zh["message"]) == ["单位不存在", "警告"]
    en = views.report_view(frame, ["error"], None, "en")
    assert list(en["message"]) == ["unknown unit"]
    assert views.report_view(frame, None, ["b.xlsx"], "zh")["file"].tolist() == ["b.xlsx"]


def test_version_and_import_rows(store):
    v = views.version_rows(store.versions("2026Q3"))
    assert list(v["version"]) == [1] and v["published"].all() and v["rows"].iloc[0] > 0
    hist = views.import_rows(store.imports("2026Q3"))
    assert hist["files"].iloc[0].startswith("units.xlsx") and hist["rows"].iloc[0] == v["rows"].iloc[0]
    assert views.import_rows(pd.DataFrame()).empty


# ------------------------------------------------------------------ charts
def test_charts_build(res, rk):
    labels = {t: t for t in MODEL.tier_labels()}
    inp = sensitivity.SensitivityInput.from_result(res)
    mc = sensitivity.monte_carlo(inp, 200, delta=0.05, top_k=5)
    sw = sensitivity.sweep(inp, "performance", n_points=11)
    tern = sensitivity.ternary(inp, 0.1)
    unit = res.units.set_index("unit_id").loc["JD01"].copy()
    unit["unit_id"] = "JD01"
    figs = [
        charts.grade_bar(views.grade_counts(rk, MODEL.tier_labels(), "group"), MODEL.tier_labels(), labels, "zh", "group"),
        charts.contribution_bar(views.contributions(rk, MODEL.weights), "en"),
        charts.dimension_compare(views.dimension_vs_group(res.units, "JD01"), "zh"),
        charts.waterfall(views.waterfall_steps(res.breakdown, unit, MODEL), "en"),
        charts.answer_bars(views.answer_shares(res.answers, "JD01", MODEL), "zh"),
        charts.trend_chart(rk.assign(period="2026Q3").head(3), "zh"),
        charts.reverse_bar(views.reverse_rows(res.reverse, res.units, 60), 60, "zh"),
        charts.rank_shift_bar(views.what_if(inp, [0.2, 0.6, 0.2]), "zh"),
        charts.sweep_chart(views.sweep_long(sw), sw.crossings, {}, sw.official, "performance", "zh"),
        charts.caterpillar(views.robustness(mc), "zh"),
        charts.ternary_map(views.ternary_points(tern), inp.weights, "zh"),
        charts.ternary_map(views.ternary_points(tern, "JD01"), inp.weights, "en", unit=True),
        charts.sobol_bars(sensitivity.sobol_weights(inp, 64).to_frames()["sobol_mean_abs_shift"], "zh"),
        charts.sunburst(model_edit.model_tree(MODEL, "市直部门"), "zh"),
    ]
    assert all(isinstance(f, go.Figure) and f.data for f in figs)


# ------------------------------------------------------------------ i18n
def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_i18n_table_is_complete():
    for key, (zh, en) in i18n.TEXT.items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key
    assert i18n.t("nav.home") == "首页" and i18n.t("nav.home", "en") == "Home"
    assert i18n.t("rev.hidden", "zh", k=5).startswith("样本不足，不显示")
    with pytest.raises(KeyError):
        i18n.t("no.such.key")


def test_every_key_the_ui_uses_exists():
    sources = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), ROOT / "scoring" / "charts.py",
               *sorted((ROOT / "app_pages").glob("*.py"))]
    used = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\b(?:tr|t)\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", text))
        # ui.table(frame, ["column", ...]): each column's header is col.<column>
        used |= {f"col.{c}" for call in re.findall(r"table\([^,\[]+,\s*\[([^\]]*)\]", text)
                 for c in re.findall(r'"([a-z_0-9]+)"', call)}
    missing = sorted(k for k in used if k not in i18n.TEXT)
    assert not missing and len(used) > 150


def test_a_slider_move_is_followed_through_stale_echoes_of_the_others():
    """Issue 15 §7: a browser that has not drawn the last rebalance sends the other sliders' old
    values with its next press; they must not count as moves, or the moved slider is set back."""
    split = views.Split({"mass": 40, "performance": 40, "compliance": 20})
    split = views.follow(split, {"mass": 41, "performance": 40, "compliance": 20})
    assert split.percents == {"mass": 41, "performance": 39, "compliance": 20} and split.moving == "mass"
    # the next press arrives before the browser drew 39: performance still says 40 (an echo)
    split = views.follow(split, {"mass": 42, "performance": 40, "compliance": 20})
    assert split.percents["mass"] == 42 and split.moving == "mass"
    for m in range(43, 51):  # ...and eight more presses, each with whatever the browser last drew
        split = views.follow(split, {"mass": m, "performance": 40 - (m - 43), "compliance": 20})
    # ten presses end where one move to 50 does: the rest shared 40 : 20, not by drifting rounded steps
    assert split.percents == views.follow(views.Split(split.anchor), {**split.anchor, "mass": 50}).percents \
        == {"mass": 50, "performance": 33, "compliance": 17}
    # a browser that shows what the server set and moves another slider starts a new move from there
    moved = views.follow(split, {**split.percents, "compliance": 27})
    assert moved.moving == "compliance" and moved.anchor == split.percents
    assert moved.percents == {"mass": 44, "performance": 29, "compliance": 27}  # 73 shared 50 : 33
    assert views.follow(moved, moved.percents) is moved  # nothing sent differs: nothing moves
