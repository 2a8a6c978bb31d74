"""Regression tests for the scoring library against SPEC §2/§3 and issues 2 and 3.

Each test's docstring states the rule it guards, with the SPEC or issue section it comes from."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import compliance as comp
from scoring.flags import NoteCode, codes
from scoring.i18n import flag_text
from scoring.importer import read_period
from scoring.model import ModelError, default_model_toml, load_model, model_from_dict
from scoring.pipeline import score_period
from scoring.ranking import competition_rank
from tests.factory import make_inputs

MODEL = load_model()
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
PERIOD = "2026Q3"


def _units() -> pd.DataFrame:
    return pd.read_excel(DEMO / "units.xlsx", engine="calamine")


def _write(tmp_path: Path, name: str, frame: pd.DataFrame) -> tuple[str, Path]:
    path = tmp_path / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_excel(path, index=False)
    return name, path


def _model_dict() -> dict:
    return tomllib.loads(default_model_toml().decode("utf-8"))


def _by_unit(result) -> pd.DataFrame:
    return result.units.set_index("unit_id")


# --------------------------------------------------------------------------- mass evaluation

def test_survey_without_respondent_group_column_still_scores_mass():
    """受访者类别 is optional in the survey (SPEC 3): without the column, every unit still gets a
    mass score under the default model's respondent-group weights and is ranked (SPEC 2.1)."""
    inputs = make_inputs(MODEL)
    inputs.survey["respondent_group"] = None  # the optional column was not in the file
    r = _by_unit(score_period(MODEL, inputs))
    assert r["mass"].notna().all(), "units lost their mass score when 受访者类别 is absent"
    assert (r["status"] == "ok").all()


def test_respondents_left_out_of_the_mean_are_not_counted_as_valid_sample():
    """Respondents without a 受访者类别 are left out of the valid n as well as the weighted mean
    (SPEC 2.1): a mean resting on 5 of 35 respondents reports n_valid = 5 and is flagged low_sample."""
    inputs = make_inputs(MODEL, respondents=35)
    s = inputs.survey
    s.loc[s.index[s["unit_id"] == "U00"][:30], "respondent_group"] = None
    result = score_period(MODEL, inputs)
    stats = result.survey.loc["U00"]
    assert stats["n_valid"] == 5, f"the mean uses 5 respondents but n_valid={stats['n_valid']}"
    assert "low_sample" in codes(_by_unit(result).at["U00", "flags"]), "5 valid respondents not flagged low_sample"


def test_per_unit_response_numbering_is_not_a_duplicate():
    """The duplicate-response-id screen (SPEC 2.1) works within a unit: questionnaires numbered
    1, 2, … afresh in every unit, as survey firms do, are not duplicates and every unit keeps its mass score."""
    inputs = make_inputs(MODEL)
    inputs.survey["response_id"] = inputs.survey.groupby("unit_id").cumcount().add(1).astype(str)
    r = _by_unit(score_period(MODEL, inputs))
    assert r["mass"].notna().all(), f"{r['mass'].isna().sum()} units lost their survey to the duplicate screen"


# --------------------------------------------------------------------------- compliance / adjustments

def test_deduction_style_counts_failed_items():
    """In deduction style (扣分制, SPEC 2.3) a 未通过 or 部分 item costs points: a unit with a failed
    and a partial item scores below 100."""
    spec = MODEL.compliance.model_copy(update={"style": "deduction"})
    rows = pd.DataFrame({"unit_id": ["A"] * 3, "item": ["C01", "C02", "C03"],
                         "status": ["pass", "fail", "partial"], "points": [np.nan] * 3})
    score = comp.dimension_scores(comp.item_results(rows, spec), spec).at["A", "score"]
    assert score < 100, "a failed and a partial item cost nothing in deduction style"


@pytest.mark.parametrize("cell", ["无", "否"])
def test_veto_cell_saying_none_is_not_a_veto(cell):
    """A 一票否决 cell saying 无 or 否 is no veto (SPEC 2.4): officers fill the column that way when
    there was no event."""
    inputs = make_inputs(MODEL)
    inputs.adjustments["veto"] = None
    inputs.adjustments.loc[inputs.adjustments["unit_id"] == "U00", "veto"] = cell
    r = _by_unit(score_period(MODEL, inputs))
    assert r.at["U00", "veto"] is None or pd.isna(r.at["U00", "veto"]), f"{cell!r} was taken as a veto reason"


def test_two_compliance_files_keep_the_first_files_veto_and_bonus(tmp_path):
    """Compliance files of one quarter merge (多表合一, SPEC 3): a second file without 加分 and
    一票否决 columns leaves the first file's bonus and veto in place."""
    units = _units()
    ids = units["单位编码"].tolist()
    a = pd.DataFrame({"单位编码": ids, "重大决策履行民主程序": "通过", "规范性文件合法性审查": "通过",
                      "依法依规信息公开": "通过", "加分": ["省级"] + [None] * (len(ids) - 1),
                      "一票否决": [None, "发生较大安全生产事故"] + [None] * (len(ids) - 2)})
    b = pd.DataFrame({"单位编码": ids, "审计整改落实": "通过", "行政执法规范": "通过", "信访事项依法办理": "通过"})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                                  _write(tmp_path, "comp_a.xlsx", a), _write(tmp_path, "comp_b.xlsx", b)])
    assert report.ok, report.to_text()
    r = _by_unit(score_period(MODEL, inputs))
    assert r.at[ids[0], "bonus"] == 3, "the 省级 bonus of comp_a.xlsx was lost"
    assert isinstance(r.at[ids[1], "veto"], str), "the veto of comp_a.xlsx was lost"


def test_conflicting_compliance_results_in_two_files_are_an_error(tmp_path):
    """The same unit × compliance item with different results in two files of one quarter (通过 vs
    未通过) is an error naming both files (Issue 2 §4, SPEC 3)."""
    units = _units()
    ids = units["单位编码"].tolist()
    a = pd.DataFrame({"单位编码": ids, "重大决策履行民主程序": "通过"})
    c = pd.DataFrame({"单位编码": ids, "重大决策履行民主程序": "未通过"})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                                  _write(tmp_path, "comp_a.xlsx", a), _write(tmp_path, "comp_c.xlsx", c)])
    assert not report.ok, "通过 vs 未通过 for the same unit and item was accepted without an error"
    assert any("comp_a.xlsx" in e.message_zh and "comp_c.xlsx" in e.message_zh for e in report.errors)


# --------------------------------------------------------------------------- ranks and grades

def test_rank_rounding_is_round_half_up():
    """Ranks use the score rounded half up (四舍五入) to 2 decimals (SPEC 2.4): 85.125 rounds to
    85.13 and ties with 85.13."""
    ranks = competition_rank(pd.Series([85.125, 85.13]), 2).tolist()
    assert ranks == [1, 1], ranks


def test_quota_on_the_lowest_tier_is_rejected():
    """A quota on the lowest tier is a model error at grades.tier (Issue 2 §1): there is no tier
    below it for the units over the quota to drop to."""
    data = _model_dict()
    data["grades"]["tier"][-1]["quota"] = 0.1
    with pytest.raises(ModelError) as raised:
        model_from_dict(data)
    assert [p.where for p in raised.value.problems] == ["grades.tier"], raised.value.text("en")


# --------------------------------------------------------------------------- model validation

def test_compliance_item_matching_the_formalism_screen_needs_an_explicit_reason():
    """A compliance item named with a formalism keyword (会议/留痕) and no `substantive` reason is a
    model error (SPEC 2.3): a false positive is marked substantive only explicitly, with a reason."""
    data = _model_dict()
    data["compliance"]["item"][0]["name"] = "会议纪要留痕规范"
    with pytest.raises(ModelError):
        model_from_dict(data)


def test_target_method_rejects_a_zero_target():
    """A `target` indicator needs a target above 0 (Issue 2 §1): target = 0 is a model error, not a
    division by zero at scoring time."""
    data = _model_dict()
    for ind in data["performance"]["indicator"]:
        if ind["code"] == "ECO03":
            ind["target"] = 0
    with pytest.raises(ModelError):
        model_from_dict(data)


# --------------------------------------------------------------------------- missing values

def test_group_mean_policy_never_reports_a_nan_fill():
    """With missing = group_mean, an indicator nobody in the group reported is dropped and
    reweighted, and its breakdown note says so, never a 'nan' fill (SPEC 2.2)."""
    model = MODEL.model_copy(update={"performance": MODEL.performance.model_copy(update={"missing": "group_mean"})})
    inputs = make_inputs(model)
    grp = inputs.units.loc[inputs.units["group"] == "城区街道", "unit_id"]
    ind = inputs.indicators
    inputs.indicators = ind[~((ind["code"] == "SAF02") & ind["unit_id"].isin(grp))]
    b = score_period(model, inputs).breakdown
    notes = b.loc[(b["code"] == "SAF02") & b["unit_id"].isin(grp), "note"].tolist()
    texts = [flag_text(n, lang) for n in notes for lang in ("zh", "en")]
    assert codes(notes) == [NoteCode.MISSING_REWEIGHTED.value] * len(grp), texts
    assert not any("nan" in t.lower() for t in texts), texts


# --------------------------------------------------------------------------- reverse evaluation

def test_reverse_raters_in_two_files_are_counted_as_distinct(tmp_path):
    """Raters in different files of one quarter are distinct (SPEC 2.5): 3 towns in one file and
    3 other towns in another are 6 raters, at least k = 5, so the department's result is shown."""
    units = _units()
    dept = units.loc[units["考核组别"] == "市直部门", "单位编码"].iloc[0]
    towns = units.loc[units["单位类型"] == "乡镇街道", "单位名称"].tolist()
    crit = {c: "满意" for c in MODEL.reverse.criteria}
    a = pd.DataFrame({"评议单位": towns[:3], "被评部门": dept, **crit})
    b = pd.DataFrame({"评议单位": towns[3:6], "被评部门": dept, **crit})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                                  _write(tmp_path, "rev_a.xlsx", a), _write(tmp_path, "rev_b.xlsx", b)])
    assert report.ok, report.to_text()
    from scoring.survey import reverse_scores
    rev = reverse_scores(inputs.reverse, inputs.criterion_columns(), MODEL.survey, MODEL.reverse.min_raters)
    assert rev.at[dept, "n_raters"] == 6 and not rev.at[dept, "suppressed"]


# --------------------------------------------------------------------------- importer

def test_indicator_file_with_type_and_group_columns_is_not_a_second_roster(tmp_path):
    """An indicator sheet that also carries 单位类型 and 考核组别 is read as indicators, not as a
    second roster (SPEC 3, issue 3): its values are kept and the roster gains no units."""
    units = _units()
    u = units.head(2)
    ind = pd.DataFrame({"单位编码": u["单位编码"], "单位名称": u["单位名称"], "单位类型": u["单位类型"],
                        "考核组别": u["考核组别"], "一般公共预算收入增速": [5.0, 6.0]})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "tongji.xlsx", ind)])
    assert inputs is not None, report.to_text()
    assert len(inputs.indicators) == 2, "the indicator values were silently dropped"
    assert len(inputs.units) == len(units), "the indicator sheet was added to the roster"


def test_indicator_file_with_a_group_column_is_not_called_a_broken_roster(tmp_path):
    """An indicator sheet with an extra 考核组别 column imports as indicators, with no error about a
    roster (单位名录) the user never uploaded (SPEC 3, issue 3)."""
    units = _units()
    u = units.head(2)
    ind = pd.DataFrame({"单位编码": u["单位编码"], "考核组别": u["考核组别"], "一般公共预算收入增速": [5.0, 6.0]})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "tongji.xlsx", ind)])
    assert not any("单位名录" in e.message_zh for e in report.errors), report.to_text()
    assert inputs is not None and len(inputs.indicators) == 2


def test_merge_conflict_error_names_the_sheet(tmp_path):
    """The 多表合一 conflict error names the sheet, row and column, like every import error (SPEC 3)."""
    units = _units()
    a = pd.DataFrame({"单位编码": ["JD01"], "一般公共预算收入增速": [5.0]})
    b = pd.DataFrame({"单位编码": ["JD01"], "一般公共预算收入增速": [7.5]})
    _, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                             _write(tmp_path, "a.xlsx", a), _write(tmp_path, "b.xlsx", b)])
    [err] = report.errors
    assert err.sheet and err.row and err.column, err


def test_duplicate_survey_item_columns_are_reported(tmp_path):
    """Two survey columns that map to the same item (总体满意度 and Q1) are reported at the second
    column, never resolved silently (Issue 3 §2)."""
    units = _units()
    s = pd.DataFrame([["R1", "JD01", "群众", "满意", "不满意"]],
                     columns=["问卷编号", "单位编码", "受访者类别", "总体满意度", "Q1"])
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "s.xlsx", s)])
    assert any(i.file == "s.xlsx" and i.column == "E" for i in report.issues), (
        f"a duplicated survey item column was resolved silently:\n{report.to_text()}")


def test_period_missing_a_whole_dimension_file_is_reported(tmp_path):
    """Importing a period without a survey or compliance file warns about each missing dimension,
    since every unit will be incomplete (SPEC 2.4, §3); warnings do not block the import."""
    units = _units()
    ind = pd.DataFrame({"单位编码": units["单位编码"], "重点工作任务完成率": 90.0})
    inputs, report = read_period(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "ind.xlsx", ind)])
    assert report.ok, report.to_text()
    said = [i.message_en for i in report.warnings]
    assert any("survey" in m for m in said) and any("compliance" in m for m in said), (
        f"no warning that the survey and compliance files are missing:\n{report.to_text()}")


def test_cli_empty_roster_gives_a_report_not_a_traceback(tmp_path):
    """A units file with a header row only is an input error (Issue 2 §5): `score` exits 1 and prints
    the report naming the file, with no traceback."""
    pd.DataFrame(columns=["单位编码", "单位名称", "单位类型", "考核组别"]).to_excel(tmp_path / "units.xlsx", index=False)
    pd.DataFrame(columns=["单位编码", "一般公共预算收入增速"]).to_excel(tmp_path / "ind.xlsx", index=False)
    res = subprocess.run([sys.executable, "-m", "scoring", "score", "--units", str(tmp_path / "units.xlsx"),
                          "--indicators", str(tmp_path / "ind.xlsx"), "--period", PERIOD],
                         capture_output=True, text=True, timeout=120)
    assert "Traceback" not in res.stderr, res.stderr[-600:]
    assert res.returncode == 1, (res.returncode, res.stdout[-600:], res.stderr[-600:])
    assert "units.xlsx" in res.stdout + res.stderr, "the report does not name the units file"
