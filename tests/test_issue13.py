"""Regression tests for issue 13: scoring rules an independent audit found wrong or missing, and
the seed's 容错纠错 (fault tolerance) and 减负 (burden reduction) rules.

Each test's docstring names the point of the issue it guards. Files are real xlsx written and read
back; the table-driven formalism test lives in tests/test_formalism.py.
"""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from scoring import i18n
from scoring.flags import FlagCode, codes, make
from scoring.importer import read_period
from scoring.model import default_model_toml, load_model, model_from_dict
from scoring.pipeline import score_period

MODEL = load_model()
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
PERIOD = "2026Q3"
ITEMS = [q.name for q in MODEL.survey.item]


def _model_dict() -> dict:
    return tomllib.loads(default_model_toml().decode("utf-8"))


def _write(tmp_path: Path, name: str, frame: pd.DataFrame) -> tuple[str, Path]:
    path = tmp_path / name
    frame.to_excel(path, index=False)
    return name, path


def _units() -> pd.DataFrame:
    return pd.read_excel(DEMO / "units.xlsx", engine="calamine")


def _demo_files(period: str = PERIOD) -> list[tuple[str, Path]]:
    return [(p.name, p) for p in [DEMO / "units.xlsx", *sorted(DEMO.glob(f"{period}_*.xlsx"))]]


def _by_unit(result) -> pd.DataFrame:
    return result.units.set_index("unit_id")


# --------------------------------------------------------------------------- §1, §2 straight-lining

def _survey(rows: dict[str, list[list[str]]], durations: dict[str, list[float]] | None = None) -> pd.DataFrame:
    """Survey rows per unit code: each row is the answers to the model's items."""
    frames = []
    for unit, answers in rows.items():
        df = pd.DataFrame(answers, columns=ITEMS)
        df.insert(0, "问卷编号", [f"{unit}-{i:03d}" for i in range(len(answers))])
        df.insert(1, "单位编码", unit)
        df.insert(2, "受访者类别", "群众")
        if durations is not None:
            df.insert(3, "答题时长", durations[unit])
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def test_demo_quarter_keeps_every_genuine_all_satisfied_respondent():
    """§1: the default no longer drops satisfied respondents: BM10 keeps all 149 valid respondents
    of 2026Q3 (it lost 28 before), and the period reports what the screen marked."""
    inputs, report = read_period(MODEL, PERIOD, _demo_files())
    assert report.ok
    r = score_period(MODEL, inputs)
    bm10 = r.survey.loc["BM10"]
    assert bm10["n_straight_lining"] == 28 and bm10["n_straight_dropped"] == 0
    assert bm10["n_valid"] == bm10["n_rows"] - bm10["n_duplicates"] == 149
    screen = r.to_json()["survey_screen"]
    assert screen["straight_lining"] == "flag" and screen["straight_lining_dropped"] == 0
    assert screen["straight_lining_found"] == int(r.survey["n_straight_lining"].sum()) > 50
    assert any("marked, not dropped" in w.message_en for w in r.warnings)
    assert FlagCode.STRAIGHT_LINING.value not in codes(_by_unit(r).at["BM10", "flags"])


def test_a_unit_where_everyone_answers_satisfied_is_scored(tmp_path):
    """§2: a unit whose every respondent answers 满意 throughout is scored (it was `incomplete`, with
    n_valid null and no low_sample flag), and its report says what the screen did for it."""
    units = _units()
    rows = {"JD01": [["满意"] * 8] * 40, "JD02": [["满意", "比较满意"] * 4] * 40}
    files = [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "survey.xlsx", _survey(rows))]
    inputs, report = read_period(MODEL, PERIOD, files)
    assert inputs is not None, report.to_text("en")
    for policy in ("flag", "drop", "drop_identical"):
        model = _with("survey", straight_lining=policy)
        r = score_period(model, inputs)
        jd01 = r.survey.loc["JD01"]
        assert jd01["n_valid"] == 40 and jd01["mean"] == 100, policy
        assert jd01["n_straight_lining"] == 40 and jd01["n_straight_dropped"] == 0, policy
        unit = next(u for u in r.to_json()["units"] if u["unit_id"] == "JD01")
        assert unit["mass"] == 100 and "mass" not in str(unit["flags"]), policy
        assert unit["survey"]["screen"] == {"rows": 40, "duplicates": 0, "straight_lining": 40,
                                            "straight_lining_dropped": 0, "guarded": policy != "flag"}
        if policy != "flag":
            assert FlagCode.SCREEN_GUARDED.value in codes(_by_unit(r).at["JD01", "flags"])


def test_drop_policy_uses_the_duration_column(tmp_path):
    """§1: `drop` needs evidence beyond identical answers: with a 答题时长 column, identical answers
    given in 20 seconds are dropped, the same answers given in 6 minutes are kept."""
    units = _units()
    rows = {"JD01": [["满意"] * 8] * 2 + [["满意", "比较满意"] * 4] * 38}
    durations = {"JD01": [20.0, 360.0] + [300.0] * 38}
    files = [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "survey.xlsx", _survey(rows, durations))]
    inputs, report = read_period(MODEL, PERIOD, files)
    assert inputs is not None and inputs.survey["duration"].notna().all()
    model = _with("survey", straight_lining="drop")
    r = score_period(model, inputs)
    assert r.survey.at["JD01", "n_straight_lining"] == 2 and r.survey.at["JD01", "n_straight_dropped"] == 1
    assert r.survey.at["JD01", "n_valid"] == 39
    [flag] = [f for f in _by_unit(r).at["JD01", "flags"] if f.code == FlagCode.STRAIGHT_LINING]
    assert flag.params == {"n": 2, "dropped": 1}


# --------------------------------------------------------------------------- §4 a column that earns nothing never blocks

def test_a_disagreement_in_a_formalism_column_is_information_not_an_error(tmp_path):
    """§4: two department files both carrying 会议次数 with different numbers made the quarter fail
    ("单位 BM12 的指标 FOR02 … 不一致"); the column earns nothing, so the import goes through, the
    column is listed as 不计分 and the disagreement is noted as information naming both cells."""
    units = _units()
    a = pd.DataFrame({"单位编码": ["BM12", "BM11"], "重点工作任务完成率": [95.0, 90.0], "会议次数": [12, 8]})
    b = pd.DataFrame({"单位编码": ["BM12", "BM11"], "预算执行进度": [97.0, 99.0], "会议次数": [30, 8]})
    files = [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "ducha.xlsx", a), _write(tmp_path, "yingji.xlsx", b)]
    inputs, report = read_period(MODEL, PERIOD, files)
    assert report.ok, report.to_text("en")
    [note] = [i for i in report.infos if "FOR02" in i.message_en]
    assert "ducha.xlsx" in note.message_zh and "yingji.xlsx" in note.message_zh and "BM12" in note.message_en
    assert note.column == "C" and note.row == 2 and "changes no score" in note.message_en
    assert {e.column for e in inputs.excluded} == {"会议次数"}
    assert any("不计分" in i.message_zh and i.header == "会议次数" for i in report.infos)
    # a scored indicator that disagrees still blocks
    b["重点工作任务完成率"] = [80.0, 90.0]
    files[2] = _write(tmp_path, "yingji.xlsx", b)
    inputs, report = read_period(MODEL, PERIOD, files)
    assert inputs is None and any("DEP01" in e.message_en for e in report.errors)


def test_validate_lists_the_columns_that_earn_no_points(tmp_path):
    """§8: `sanwei validate` lists the 不计分 columns with the rule and where they are."""
    import subprocess
    import sys

    files = [str(DEMO / "units.xlsx"), *map(str, sorted(DEMO.glob(f"{PERIOD}_indicators_*.xlsx")))]
    res = subprocess.run([sys.executable, "-m", "scoring", "validate", *files, "--lang", "en"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    lines = [x for x in res.stdout.splitlines() if x.startswith("INFO") and "earns no points" in x]
    assert any("(台账页数)" in x for x in lines) and any("(会议次数)" in x for x in lines), res.stdout


# --------------------------------------------------------------------------- §5 percent-formatted cells

MESSY = ROOT / "tests" / "fixtures" / "messy"


@pytest.mark.parametrize("name", ["percent_indicators.xlsx", "lo_percent_indicators.xlsx", "lo_percent_from_csv.xlsx"])
def test_percent_formatted_cells_read_as_the_percentage_shown(name, tmp_path):
    """§5: a cell showing 90% stores 0.9; it scored 0 instead of 80 on 12345热线按时办结率 (80 → 60,
    100 → 100), silently. Files written by openpyxl and by LibreOffice (re-saved, and its CSV
    filter turning "90%" into 0.9 with a 0.00% format) read as 90, like the text "90%"."""
    units = _units()
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), (name, MESSY / name)])
    assert inputs is not None, report.to_text("en")
    values = inputs.indicators.set_index(["unit_id", "code"])["value"]
    assert values[("JD01", "LIV03")] == 90 and values[("JD02", "LIV03")] == 95.5 and values[("JD03", "LIV03")] == 85
    assert values[("JD01", "LIV05")] == 98.5 and values[("JD02", "LIV05")] == 97
    scored = score_period(MODEL, inputs).breakdown.set_index(["unit_id", "code"])["score"]
    assert scored[("JD01", "LIV03")] == pytest.approx(80)
    assert any(i.column == "B" and "percentages" in i.message_en for i in report.infos)


def test_a_literal_percent_sign_in_a_format_does_not_scale():
    """§5: only a percent number format scales; 0"%" shows a quoted sign and stores what it shows."""
    from scoring.reader import read_table
    from scoring.xlsx_formats import is_percent_format

    table = read_table(MESSY / "percent_indicators.xlsx", "p.xlsx")
    assert table.data[4].tolist() == ["90"] * 3 and "E" not in table.percent
    assert [is_percent_format(c) for c in ("0%", "0.00%", "#,##0.0%;[Red]-#,##0.0%", '0"%"', "0\\%", "[>=100]0;0%",
                                           "General", "0.00")] == [True, True, True, False, False, True, False, False]


def test_a_percent_indicator_written_as_fractions_is_warned_with_its_location(tmp_path):
    """§5: an indicator in % whose plain numbers all lie in [0, 1.5] (城镇新增就业完成率 written as 1.02,
    0.98, 1.1) is scored as written with a warning naming the column; percent-formatted ones are not."""
    units = _units()
    name = "percent_indicators.xlsx"
    _, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), (name, MESSY / name)])
    [warning] = [w for w in report.warnings if "0.9" in w.message_en]
    assert (warning.file, warning.column, warning.row, warning.header) == (name, "D", 2, "城镇新增就业完成率")
    assert "城镇新增就业完成率" in warning.message_zh


def test_a_quarter_with_percent_formatted_rates_scores_like_the_plain_one(tmp_path):
    """§5: the demo quarter with its rates written as percent-formatted fractions (as Excel and WPS
    store them) scores exactly like the original."""
    import openpyxl

    files = _demo_files()
    plain = score_period(MODEL, read_period(MODEL, PERIOD, files)[0])
    src = DEMO / f"{PERIOD}_indicators_zhengwu.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb.active
    rates = [c.column for c in ws[1] if c.value in ("12345热线按时办结率", "政务服务好评率", "涉企办件超期率")]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.column in rates and isinstance(cell.value, (int, float)):
                cell.value, cell.number_format = cell.value / 100, "0.00%"
    wb.save(tmp_path / src.name)
    files = [(n, tmp_path / n if n == src.name else p) for n, p in files]
    formatted, report = read_period(MODEL, PERIOD, files)
    assert formatted is not None and not any("0.9" in w.message_en for w in report.warnings)
    again = score_period(MODEL, formatted)
    pd.testing.assert_series_equal(again.units["total"], plain.units["total"])


# --------------------------------------------------------------------------- §8 smaller items

def test_a_blank_code_resolves_by_name_and_a_disagreeing_pair_is_an_error(tmp_path):
    """§8: a row with a blank 单位编码 and a valid 单位名称 resolves by name (SPEC 3: code or name); a
    code and a name of two different units on one row is an error naming both."""
    units = _units()
    ind = pd.DataFrame({"单位编码": ["JD01", None, "JD03"], "单位名称": ["青山街道", "东湖街道", None],
                        "一般公共预算收入增速": [5.0, 6.0, 7.0]})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "i.xlsx", ind)])
    assert report.ok, report.to_text("en")
    assert inputs.indicators.set_index("unit_id")["value"].to_dict() == {"JD01": 5.0, "JD02": 6.0, "JD03": 7.0}
    ind.loc[0, "单位名称"] = "东湖街道"  # JD01's code with JD02's name
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "i.xlsx", ind)])
    [err] = report.errors
    assert inputs is None and "JD01" in err.message_zh and "东湖街道" in err.message_zh and "青山街道" in err.message_zh
    assert (err.row, err.column) == (2, "B") and "two different units" in err.message_en


def test_no_yes_words_mean_the_same_in_every_yes_no_column(tmp_path):
    """§8: "无", "否", "0" and a blank mean "none" alike in 加分, 扣分 and 一票否决 (无 and 否 were
    errors in 加分/扣分); in a pass/fail item 否 and 0 mean fail and 无 is not assessed, like a blank."""
    units = _units()
    words = ["无", "否", "0", None]
    comp = pd.DataFrame({"单位编码": ["JD01", "JD02", "JD03", "JD04"], "审计整改落实": ["无", "否", 0, None],
                         "加分": words, "扣分": words, "一票否决": words})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "c.xlsx", comp)])
    assert report.ok, report.to_text("en")
    adj = inputs.adjustments.set_index("unit_id").reindex(["JD01", "JD02", "JD03", "JD04"])
    assert adj["bonus"].fillna(0).tolist() == [0.0] * 4 and adj["deduction"].fillna(0).tolist() == [0.0] * 4
    assert adj["veto"].isna().all()
    items = score_period(MODEL, inputs).compliance.set_index("unit_id")
    assert items.loc["JD02", "earned"] == 0 and items.loc["JD03", "earned"] == 0  # 否, 0: fail
    assert "JD01" not in items.index and "JD04" not in items.index  # 无, blank: not assessed


def test_model_errors_read_in_both_languages():
    """§8: every model problem has a Chinese and an English message; a TOML syntax error and pydantic's
    choices no longer leave English inside the Chinese text."""
    import re

    from scoring.model import ModelError, model_from_toml

    with pytest.raises(ModelError) as raised:
        model_from_toml("[model\nname = 1")
    [p] = raised.value.problems
    assert "第 1 行" in p.message_zh and not re.search(r"[A-Za-z]{3,}", p.message_zh.replace("TOML", ""))
    data = _model_dict()
    data["performance"]["indicator"][0]["method"] = "foo"
    data["model"]["rank_decimals"] = "two"
    data["survey"]["answer"][0]["codes"] = [{"x": 1}]
    with pytest.raises(ModelError) as raised:
        model_from_dict(data)
    for p in raised.value.problems:
        assert p.message_zh and p.message_en and p.message_zh != p.message_en
        assert not re.search(r"[A-Za-z]{3,}", re.sub(r"'[^']*'", "", p.message_zh)), p.message_zh


def test_the_old_incomplete_reason_no_longer_says_shuju_shuju(store, service):
    """§8: results stored by schema 1 said "缺少实绩数据数据"; the upgrade to schema 4 turns those flags
    into the code with its dimensions, worded once: 缺少实绩数据."""
    import json

    import sqlalchemy as sa

    from scoring import i18n
    from scoring.store import Store
    from scoring.store import schema as s
    from tests.store_fixtures import MODEL as STORE_MODEL
    from tests.store_fixtures import make_inputs

    service.publish("2026Q1", service.store_inputs(STORE_MODEL, make_inputs("2026Q1")).number, reason="测试发布")
    legacy = ["incomplete: 缺少群众评价、实绩数据数据，不排名、不评等次 / missing mass evaluation, performance data: "
              "not ranked or graded", "veto: 一票否决（瞒报） / veto: 瞒报"]
    with store.engine.begin() as conn:
        conn.execute(sa.update(s.result_units).values(flags=json.dumps(legacy, ensure_ascii=False)))
        conn.execute(sa.update(s.meta).where(s.meta.c.key == "schema_version").values(value="1"))
    with Store(store.url) as upgraded:
        incomplete, veto = upgraded.results("2026Q1")["flags"].iloc[0]
        assert incomplete.code == "incomplete" and incomplete.params == {"dimensions": ["mass", "performance"]}
        assert i18n.flag_text(incomplete, "zh") == "缺少群众评价、实绩数据，不排名、不评等次"
        assert i18n.flag_text(veto, "en") == "veto: 瞒报"  # other legacy flags keep their words
    assert i18n.flag_text(make(FlagCode.INCOMPLETE, dimensions=["performance"]), "zh") == "缺少实绩数据，不排名、不评等次"


# --------------------------------------------------------------------------- §6 reverse evaluation

def _few_raters_inputs():
    """Synthetic inputs where department U09 is rated 不满意 by only 3 raters, the others by 6."""
    from tests.factory import make_inputs

    inputs = make_inputs(MODEL, seed=4)
    rev = inputs.reverse
    crit = list(MODEL.reverse.criteria)
    u09 = rev[rev["unit_id"] == "U09"].index
    rev.loc[u09, crit] = "不满意"
    inputs.reverse = rev.drop(index=u09[3:]).reset_index(drop=True)
    return inputs


def _with(section: str, **settings):
    """The default model with settings of one section changed, validated like a model file."""
    data = _model_dict()
    data[section].update(settings)
    return model_from_dict(data)


def _with_reverse(**settings):
    return _with("reverse", **settings)


def test_fewer_than_k_raters_follow_the_models_policy():
    """§6: a department with fewer than k raters fell back to the survey alone, so fewer raters hid
    a poor rating. below_k = survey_only (the old rule) | group_mean (the shipped default: the mean
    result of its group's shown departments) | incomplete (not ranked or graded)."""
    assert MODEL.reverse.below_k == "group_mean"
    inputs = _few_raters_inputs()
    share = MODEL.reverse.share
    results = {p: score_period(_with_reverse(below_k=p), inputs) for p in ("survey_only", "group_mean", "incomplete")}
    survey_mean = results["survey_only"].survey.at["U09", "mean"]
    only = _by_unit(results["survey_only"]).loc["U09"]
    assert only["mass"] == pytest.approx(survey_mean) and only["n_raters"] == 3
    shown = results["group_mean"].reverse
    peers = [u for u in ("U08", "U10", "U11") if not shown.at[u, "suppressed"]]
    mean = shown.loc[peers, "score"].mean()
    grp = _by_unit(results["group_mean"]).loc["U09"]
    assert grp["mass"] == pytest.approx(survey_mean * (1 - share) + mean * share)
    assert grp["reverse_rule"] == "group_mean"
    assert {"reverse_suppressed", "reverse_group_mean"} <= set(codes(grp["flags"]))
    inc = _by_unit(results["incomplete"]).loc["U09"]
    assert inc["status"] == "incomplete" and pd.isna(inc["rank_overall"]) and pd.isna(inc["grade"])
    [flag] = [f for f in inc["flags"] if f.code == FlagCode.INCOMPLETE]
    assert flag.params["dimensions"] == ["reverse"]
    # the other departments are unaffected by the policy
    for u in ("U08", "U10", "U11"):
        assert _by_unit(results["incomplete"]).at[u, "mass"] == pytest.approx(_by_unit(results["survey_only"]).at[u, "mass"])


def test_rater_counts_per_department_in_the_json_and_the_ranking_workbook(tmp_path):
    """§6, §8: each rated department's rater count (and the rule that counted) is in the JSON
    contract and in the ranking workbook."""
    from scoring.export import write_result_xlsx

    inputs = _few_raters_inputs()
    r = score_period(MODEL, inputs)
    units = {u["unit_id"]: u for u in r.to_json()["units"]}
    assert units["U09"]["reverse"]["n_raters"] == 3 and units["U09"]["reverse"]["score"] is None
    assert units["U09"]["reverse"]["rule"] == "group_mean" and units["U09"]["reverse"]["used"] is not None
    assert units["U08"]["reverse"]["n_raters"] == 6 and set(units["U08"]["reverse"]["criteria"]) == set(MODEL.reverse.criteria)
    assert units["U00"]["reverse"] is None  # towns are not rated
    assert r.to_json()["reverse"]["below_k"] == "group_mean"
    write_result_xlsx(r, tmp_path / "r.xlsx")
    ranking = pd.read_excel(tmp_path / "r.xlsx", sheet_name="排名 ranking", engine="calamine").set_index("单位编码 unit id")
    assert ranking.at["U09", "评议单位数 raters"] == 3 and pd.isna(ranking.at["U00", "评议单位数 raters"])
    reverse = pd.read_excel(tmp_path / "r.xlsx", sheet_name="基层评议 reverse", engine="calamine")
    assert set(reverse["unit_id"]) == {"U08", "U09", "U10", "U11"}


def test_a_per_department_result_for_the_principal_leader():
    """§6: the seed ties 基层评议上级 to the department's grade and its principal leader's (主要负责人)
    assessment: one row per rated department with raters, each criterion, the result (withheld
    below k), what counted, the grade."""
    from scoring import views

    r = score_period(MODEL, _few_raters_inputs())
    report = views.reverse_report(r, "zh").set_index("unit_id")
    assert list(report.columns[:4]) == ["unit_name", "group", "n_raters", "score"]
    assert set(MODEL.reverse.criteria) <= set(report.columns)
    assert report.at["U09", "suppressed"] and pd.isna(report.at["U09", "文件会议精简度"])
    assert report.at["U09", "rule"] == "评议单位不足，按组内部门平均计"
    u08 = report.loc["U08"]
    assert u08["score"] == pytest.approx(sum(u08[c] for c in MODEL.reverse.criteria) / 3, abs=20)
    assert u08["grade"] in MODEL.tier_labels()


def test_a_yearly_evaluation_counts_in_the_annual_result(store):
    """§6: the seed organises 基层评议上级 yearly; with reverse.cycle = "year" the ratings imported with a
    quarter count in the department's annual result and annual grade, not in that quarter."""
    from scoring.service import Service
    from tests.actors import staff
    from tests.store_fixtures import make_inputs as store_inputs

    model = _with_reverse(cycle="year")
    service = Service(store, staff("tester"), model)
    towns = [f"U{i:04d}" for i in (1, 2, 4, 5, 7, 8)]
    for q, period in enumerate(["2026Q1", "2026Q2"]):
        inputs = store_inputs(period, variant=q, model=model)
        crit = list(model.reverse.criteria)
        depts = inputs.units.loc[inputs.units["unit_type"] == "市直部门", "unit_id"].tolist()
        if period == "2026Q2":
            rows = [{"rater": t, "unit_id": d, **{c: ("不满意" if d == depts[0] else "满意") for c in crit}}
                    for d in depts for t in towns]
            inputs.reverse = pd.DataFrame(rows)
        else:
            inputs.reverse = inputs.reverse.iloc[:0]
        service.publish(period, service.store_inputs(model, inputs).number, reason="测试发布")
    q2 = service.recompute("2026Q2")
    assert not (q2.breakdown["code"] == "MASS.REVERSE").any() or \
        q2.breakdown.loc[q2.breakdown["code"] == "MASS.REVERSE", "weight"].eq(0).all()
    assert (q2.units.loc[q2.units["n_raters"].notna(), "reverse_rule"] == "year").all()
    year = service.annual(2026).set_index("unit_id")
    low, good = depts[0], depts[1]
    assert year.at[low, "reverse"] == 0 and year.at[good, "reverse"] == 100
    plain = service.store.published_results(2026).groupby("unit_id")["mass"].mean()
    share = model.reverse.share
    assert year.at[low, "mass"] == pytest.approx(plain[low] * (1 - share))
    assert year.at[good, "mass"] == pytest.approx(plain[good] * (1 - share) + 100 * share)
    assert year.at[low, "grade"] != model.grades.tier[0].label and year.at[low, "reverse_rule"] == "own"
    assert year.loc[year["unit_type"] == "乡镇街道", "reverse_rule"].isna().all()
    assert set(year["grade"].dropna()) <= set(model.tier_labels())


# --------------------------------------------------------------------------- §9 容错纠错 exemptions

def _exemption_files(tmp_path: Path, rows: list[list]) -> list[tuple[str, Path]]:
    """The demo 2026Q3 quarter with a veto for JD05 and deductions for JD06 (通报批评、约谈 = 3) and an
    exemptions file of `rows` (unit, item, reason, document, date)."""
    import datetime as dt
    import re

    import openpyxl

    files = [f for f in _demo_files() if "exemptions" not in f[0]]  # the demo's own exemptions left out
    wb = openpyxl.load_workbook(DEMO / f"{PERIOD}_compliance.xlsx")
    ws = wb.active
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        unit = row[0].value
        if unit == "JD05":
            row[head.index("一票否决")].value = "重点改革试点出现重大失误"
        if unit == "JD06":
            row[head.index("扣分")].value = "通报批评、约谈"
        if unit == "JD07":
            row[head.index("审计整改落实")].value = "未通过"
    wb.save(tmp_path / f"{PERIOD}_compliance.xlsx")
    ex = openpyxl.Workbook()
    ex.active.title = "容错纠错"
    ex.active.append(["单位编码", "容错事项", "容错理由", "批准文号", "批准日期"])
    for r in rows:
        ex.active.append([dt.date.fromisoformat(v) if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v) else v
                          for v in r])
    ex.save(tmp_path / f"{PERIOD}_exemptions.xlsx")
    named = {f"{PERIOD}_compliance.xlsx": tmp_path / f"{PERIOD}_compliance.xlsx"}
    return [(n, named.get(n, p)) for n, p in files] + [(f"{PERIOD}_exemptions.xlsx", tmp_path / f"{PERIOD}_exemptions.xlsx")]


EXEMPTIONS = [
    ["JD05", "一票否决", "改革创新中出现失误，符合容错情形（先行先试、程序合规、未谋私利）", "示容〔2026〕7号", "2026-09-20"],
    ["JD06", "通报批评", "为推进重点项目先行先试被通报，经认定符合容错情形", "示容〔2026〕8号", "2026年9月22日"],
    ["JD07", "审计整改落实", "整改因上级政策调整延期，经认定免责", "示容〔2026〕9号", "2026/9/25"],
    ["JD08", "一票否决", "误报的否决事项", "示容〔2026〕10号", "2026-09-26"],
]


def test_an_exemption_waives_a_veto_visibly(tmp_path):
    """§9: an approved exemption (unit, item, reason, document number, date) waives that veto: the
    unit keeps its score and rank, its grade is no longer forced, and the waived veto is shown as
    waived (a flag naming the reason and the document), never silently gone."""
    plain = _by_unit(score_period(MODEL, read_period(MODEL, PERIOD, _exemption_files(tmp_path, []))[0]))
    assert plain.at["JD05", "grade"] == MODEL.grades.veto_grade
    inputs, report = read_period(MODEL, PERIOD, _exemption_files(tmp_path, EXEMPTIONS))
    assert report.ok, report.to_text("en")
    assert inputs.exemptions["target"].tolist() == ["veto", "level:通报批评", "item:C04", "veto"]
    assert inputs.exemptions["approved_on"].tolist() == ["2026-09-20", "2026-09-22", "2026-09-25", "2026-09-26"]
    r = score_period(MODEL, inputs)
    u = _by_unit(r)
    assert u.at["JD05", "total"] == plain.at["JD05", "total"] and u.at["JD05", "rank_overall"] == plain.at["JD05", "rank_overall"]
    assert u.at["JD05", "grade"] != MODEL.grades.veto_grade and pd.isna(u.at["JD05", "veto"])
    [waived] = [f for f in u.at["JD05", "flags"] if f.code == FlagCode.VETO_WAIVED]
    assert waived.params == {"reason": "重点改革试点出现重大失误", "document": "示容〔2026〕7号"}
    assert FlagCode.VETO.value not in codes(u.at["JD05", "flags"])
    unit = next(x for x in r.to_json()["units"] if x["unit_id"] == "JD05")
    assert unit["veto"] is None and unit["exemptions"][0]["applied"] and "容错情形" in unit["exemptions"][0]["reason"]


def test_an_exemption_waives_a_named_deduction_or_a_compliance_item(tmp_path):
    """§9: 通报批评 (2 points) is waived and 约谈 (1 point) stays; a failed compliance item earns its
    points back with a note naming the document; an exemption with nothing to waive says so."""
    plain = _by_unit(score_period(MODEL, read_period(MODEL, PERIOD, _exemption_files(tmp_path, []))[0]))
    r = score_period(MODEL, read_period(MODEL, PERIOD, _exemption_files(tmp_path, EXEMPTIONS))[0])
    u = _by_unit(r)
    assert plain.at["JD06", "deduction"] == 3 and u.at["JD06", "deduction"] == 1
    assert u.at["JD06", "total"] == pytest.approx(plain.at["JD06", "total"] + 2)
    assert "deduction_waived" in codes(u.at["JD06", "flags"])
    row = r.breakdown[(r.breakdown["unit_id"] == "JD07") & (r.breakdown["code"] == "C04")].iloc[0]
    assert row["score"] == 100 and row["note"].code.value == "waived" and row["note"].params["document"] == "示容〔2026〕9号"
    assert u.at["JD07", "compliance"] > plain.at["JD07", "compliance"]
    [unused] = [f for f in u.at["JD08", "flags"] if f.code == FlagCode.EXEMPTION_UNUSED]
    assert unused.params["target"] == "一票否决" and unused.params["document"] == "示容〔2026〕10号"
    from scoring import views

    shown = views.exemption_rows(r, "zh").set_index("unit_id")
    assert list(shown.columns) == ["unit_name", "target", "reason", "document", "approved_on", "applied", "effect"]
    assert shown.at["JD06", "effect"] == "免除扣分 2 分" and not shown.at["JD08", "applied"]
    book = tmp_path / "r.xlsx"
    from scoring.export import write_result_xlsx

    write_result_xlsx(r, book)
    sheet = pd.read_excel(book, sheet_name="容错纠错 exemptions", engine="calamine")
    assert sheet["reason"].str.contains("容错情形").any()


def test_exemption_rows_are_checked_cell_by_cell(tmp_path):
    """§9: every field is required; an item the model does not know and an unreadable date are errors
    naming the cell."""
    rows = [["JD05", "加班补贴", "理由", "示容〔2026〕1号", "2026-09-20"], ["JD06", "一票否决", "理由", None, "2026-09-20"],
            ["JD07", "扣分", "理由", "示容〔2026〕2号", "九月"]]
    _, report = read_period(MODEL, PERIOD, _exemption_files(tmp_path, rows))
    where = {(e.column, e.row) for e in report.errors}
    assert {("B", 2), ("D", 3), ("E", 4)} <= where, report.to_text("en")
    assert any("加班补贴" in e.message_zh and "一票否决" in (e.expected or "") for e in report.errors)


def test_exemptions_are_stored_versioned_and_audited(tmp_path, store):
    """§9: exemptions are an input kind stored and versioned like the others: they round-trip, the
    checksum covers them, the diff between versions shows them and the import's audit entry lists
    each one with its document."""
    from scoring.service import Service
    from tests.actors import staff

    service = Service(store, staff("officer-wang"))
    files = _exemption_files(tmp_path, EXEMPTIONS[:1])
    v1, report = service.import_files(PERIOD, [f for f in files if "exemptions" not in f[0]])
    v2, report = service.import_files(PERIOD, files)
    assert v2 is not None, report.to_text("en")
    back = store.inputs(PERIOD, v2.number).exemptions
    assert back.to_dict("records") == [{"unit_id": "JD05", "target": "veto",
                                        "reason": unicodedata.normalize("NFKC", EXEMPTIONS[0][2]),
                                        "document": "示容〔2026〕7号", "approved_on": "2026-09-20"}]
    assert store.inputs(PERIOD, v1.number).exemptions.empty and store.verify() == []
    assert v1.checksum != v2.checksum
    d = store.diff(PERIOD, v1.number, v2.number)
    assert ((d.values["table"] == "exemptions") & (d.values["unit_id"] == "JD05")).any()
    assert "JD05" in set(d.results["unit_id"])  # the waived veto changed its grade
    entry = store.audit()
    detail = entry.loc[(entry["action"] == "import") & (entry["version"] == v2.number), "detail"].iloc[0]
    assert "示容〔2026〕7号" in detail and "JD05" in detail
    assert service.reproduces(PERIOD, v2.number)


def test_the_exemptions_template_imports():
    """§9: the blank 容错纠错 template, filled in, imports."""
    from io import BytesIO

    import openpyxl

    from scoring.templates import template_bytes

    wb = openpyxl.load_workbook(BytesIO(template_bytes("exemptions", MODEL)))
    wb.active.append(["JD01", "青山街道", "扣分", "符合容错情形", "示容〔2026〕1号", "2026-09-01"])
    buf = BytesIO()
    wb.save(buf)
    inputs, report = read_period(MODEL, PERIOD, [_demo_files()[0], ("ex.xlsx", buf.getvalue())])
    assert report.ok, report.to_text("en")
    assert inputs.exemptions["target"].tolist() == ["deduction"]


def test_a_schema_2_store_upgrades_and_keeps_its_checksums(store, service):
    """§9 (and §1, §6): the store's step 3 -> 4 adds the exemptions table, survey durations and the
    rater counts (filled in from the stored ratings) to a database written by schema 2; every
    version stored before keeps its checksum, computed as schema 2 computed it, changed only by the
    raters that step 4 -> 5 draws afresh."""
    import hashlib
    import json

    import sqlalchemy as sa

    from scoring.store import Store
    from scoring.store import schema as s
    from tests.store_fixtures import MODEL as STORE_MODEL
    from tests.store_fixtures import make_inputs

    v = service.store_inputs(STORE_MODEL, make_inputs("2026Q1"))
    service.publish("2026Q1", v.number, reason="测试发布")
    raters = store.results("2026Q1").set_index("unit_id")["n_raters"]
    with store.engine.begin() as conn:  # back to schema 2's tables
        conn.execute(sa.text("DROP TABLE exemptions"))
        conn.execute(sa.text("ALTER TABLE survey_responses DROP COLUMN duration"))
        conn.execute(sa.text("ALTER TABLE result_units DROP COLUMN n_raters"))
        conn.execute(sa.update(s.meta).where(s.meta.c.key == "schema_version").values(value="2"))
        survey = conn.execute(sa.select(s.survey_responses.c.response_id, s.survey_responses.c.unit_id,
                                        s.survey_responses.c.respondent_group, s.survey_responses.c.channel,
                                        s.survey_responses.c.answers).order_by(s.survey_responses.c.seq)).all()
        reverse = conn.execute(sa.select(s.reverse_ratings.c.rater, s.reverse_ratings.c.unit_id,
                                         s.reverse_ratings.c.answers).order_by(s.reverse_ratings.c.seq)).all()
    # schema 2's checksum: six tables, survey rows without a duration
    from scoring.store.codec import encode

    rows = encode(make_inputs("2026Q1"))

    def schema_2_checksum(reverse):
        h = hashlib.sha256()
        h.update(json.dumps([v.model_sha, make_inputs("2026Q1").item_columns(),
                             make_inputs("2026Q1").criterion_columns()], ensure_ascii=False).encode())
        stored = {"survey": survey, "reverse": reverse}  # (raters are random numbers drawn at import)
        for table in ("units", "survey", "indicators", "compliance", "adjustments", "reverse"):
            h.update(f"\x1e{table}\x1f".encode())
            for row in (list(map(tuple, stored[table])) if table in stored else rows[table]):
                h.update(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
                h.update(b"\n")
        return h.hexdigest()

    assert schema_2_checksum(reverse) == v.checksum
    with Store(store.url) as upgraded:
        assert upgraded.verify() == []
        # step 4 -> 5 draws the raters afresh (issue 10): the checksum changes by the reverse rows only
        with upgraded.engine.connect() as conn:
            redrawn = conn.execute(sa.select(s.reverse_ratings.c.rater, s.reverse_ratings.c.unit_id,
                                             s.reverse_ratings.c.answers).order_by(s.reverse_ratings.c.seq)).all()
        assert upgraded.version("2026Q1").checksum == schema_2_checksum(redrawn)
        again = upgraded.results("2026Q1").set_index("unit_id")["n_raters"]
        assert again.dropna().astype(int).to_dict() == raters.dropna().astype(int).to_dict() and again.notna().any()
        assert upgraded.inputs("2026Q1").exemptions.empty
        assert upgraded.audit()["action"].iloc[0] == "migrate"


# --------------------------------------------------------------------------- §10 减负成效 and 精文简会

def test_burden_reduction_earns_a_capped_bonus(tmp_path):
    """§10: 减负成效 is a bonus category: forms merged under 多表合一 (0.1 a form, at most 1), meetings
    and documents cut against the annual plan (0.05 a percentage point, at most 1 each); the category
    at most 2 points, within the bonus cap; for the unit types the model names (市直部门)."""
    units = _units()
    ind = pd.DataFrame({"单位编码": ["BM01", "BM02", "BM03", "JD01"], "多表合一精简报表数": [5, 30, 0, 9],
                        "会议较年度计划压减比例": [30.0, 10.0, -8.0, 20.0], "发文较年度计划压减比例": [10.0, 0.0, None, 20.0]})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "ducha.xlsx", ind)])
    assert report.ok, report.to_text("en")
    r = score_period(MODEL, inputs)
    bonus = r.burden.groupby("unit_id")["points"].sum()
    assert bonus.to_dict() == pytest.approx({"BM01": 0.5 + 1.0 + 0.5, "BM02": 1.0 + 0.5 + 0.0, "BM03": 0.0})
    u = _by_unit(r)
    assert u.at["BM01", "bonus"] == 2.0 and u.at["BM02", "bonus"] == 1.5 and u.at["BM03", "bonus"] == 0
    assert u.at["JD01", "bonus"] == 0 and "JD01" not in set(r.burden["unit_id"])  # towns: not a measure of theirs
    [flag] = [f for f in u.at["BM01", "flags"] if f.code == FlagCode.BURDEN_BONUS]
    assert flag.params == {"points": 2.0, "name": "减负成效", "name_en": "Burden reduction"}
    assert i18n.flag_text(flag, "en") == "Burden reduction bonus: 2"
    unit = next(x for x in r.to_json()["units"] if x["unit_id"] == "BM02")
    assert {b["code"]: b["points"] for b in unit["burden"]} == pytest.approx({"BR01": 1.0, "BR02": 0.5, "BR03": 0.0})


def test_jingwen_jianhui_violations_count_through_the_explicit_override(tmp_path):
    """§10: for 市直部门 a compliance item counts violations of the 精文简会 limits (三不发, 四不开, length
    and duration limits, annual plan totals). Its name counts documents and meetings, so the formalism
    screen recognises it; it is scored only through the model's explicit override, whose reason the
    import shows. Each violation costs 2.5 of its 10 points; it is not assessed for towns."""
    from scoring import formalism

    item = next(i for i in MODEL.compliance.item if i.per_violation)
    assert item.applies_to == ("市直部门",) and formalism.match(item.name) and "减负" in item.substantive
    units = _units()
    comp = pd.DataFrame({"单位编码": ["BM01", "BM02", "BM03", "JD01"], "重大决策履行民主程序": ["通过"] * 4,
                         item.name: [0, 2, 5, 1]})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "c.xlsx", comp)])
    assert report.ok, report.to_text("en")
    [note] = [i for i in report.infos if i.header == item.name]
    assert item.substantive in note.message_zh and "marked substantive" in note.message_en
    items = score_period(MODEL, inputs).compliance.set_index(["unit_id", "item"])
    assert items.at[("BM01", "C07"), "earned"] == 10 and items.at[("BM02", "C07"), "earned"] == 5
    assert items.at[("BM03", "C07"), "earned"] == 0  # never below 0
    assert ("JD01", "C07") not in items.index
    # without the override the model is rejected: the screen is not bypassed silently
    data = _model_dict()
    next(c for c in data["compliance"]["item"] if c["code"] == "C07").pop("substantive")
    with pytest.raises(Exception, match="substantive"):
        model_from_dict(data)
    # a count that is not a whole number of violations is an error naming the cell
    comp[item.name] = comp[item.name].astype(float)
    comp.loc[1, item.name] = 1.5
    _, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "c.xlsx", comp)])
    assert [(e.column, e.row) for e in report.errors] == [("C", 3)]


def test_burden_measures_are_validated_like_any_model_name():
    """§10: a burden measure named like a formalism count needs a reason; its code must be its own; its
    unit types must exist."""
    data = _model_dict()
    data["adjustments"]["burden"]["measure"][0]["name"] = "会议召开次数"
    data["adjustments"]["burden"]["measure"][1]["code"] = "C01"
    data["adjustments"]["burden"]["measure"][2]["applies_to"] = ["区县"]
    with pytest.raises(Exception) as raised:
        model_from_dict(data)
    where = {p.where for p in raised.value.problems}
    assert {"adjustments.burden.BR01", "adjustments.burden.C01", "adjustments.burden.BR03"} <= where


def test_the_published_ranking_workbook_has_the_rater_counts(store, service, tmp_path):
    """§8: `sanwei export` (the published ranking workbook) carries each rated department's rater count."""
    from scoring.store.export import write_ranking_xlsx
    from tests.store_fixtures import MODEL as STORE_MODEL
    from tests.store_fixtures import make_inputs

    inputs = make_inputs("2026Q1")
    service.publish("2026Q1", service.store_inputs(STORE_MODEL, inputs).number, reason="测试发布")
    write_ranking_xlsx(store, "2026Q1", tmp_path / "r.xlsx")
    df = pd.read_excel(tmp_path / "r.xlsx", engine="calamine").set_index("单位编码 unit id")
    depts = inputs.units.loc[inputs.units["unit_type"] == "市直部门", "unit_id"]
    expected = inputs.reverse.groupby("unit_id")["rater"].nunique().reindex(depts).fillna(0)
    assert df.loc[depts, "评议单位数 raters"].tolist() == expected.tolist()
    assert df.loc[~df.index.isin(depts), "评议单位数 raters"].isna().all()
