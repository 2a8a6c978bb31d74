"""Regressions found by reviewing the library against SPEC §2/§3 and issues 2 and 3.

Each test failed on the code as first written; its docstring names the spec sentence and the
problem, so the fix is never undone by accident."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import compliance as comp
from scoring.importer import import_files
from scoring.model import DEFAULT_MODEL_PATH, ModelError, load_model, model_from_dict
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
    return tomllib.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))


def _by_unit(result) -> pd.DataFrame:
    return result.units.set_index("unit_id")


# --------------------------------------------------------------------------- mass evaluation

def test_survey_without_respondent_group_column_still_scores_mass():
    """SPEC 3: 受访者类别 is *optional* in the survey. SPEC 2.1: a unit's score is the mean over
    respondents with at least one valid answer. With the default model's respondent-group weights,
    a survey without the column makes every unit's mass NaN -> every unit `incomplete`."""
    inputs = make_inputs(MODEL)
    inputs.survey["respondent_group"] = None  # the optional column was not in the file
    r = _by_unit(score_period(MODEL, inputs))
    assert r["mass"].notna().all(), "mass dropped for every unit when 受访者类别 is absent"
    assert (r["status"] == "ok").all()


def test_respondents_left_out_of_the_mean_are_not_counted_as_valid_sample():
    """SPEC 2.1: report valid n; a unit below the minimum sample (30) is flagged, not silently
    scored. Respondents with a blank/unknown 受访者类别 are dropped from the weighted mean but still
    counted in n_valid, so a mean resting on 5 respondents is reported as n=35 and not flagged."""
    inputs = make_inputs(MODEL, respondents=35)
    s = inputs.survey
    s.loc[s.index[s["unit_id"] == "U00"][:30], "respondent_group"] = None
    result = score_period(MODEL, inputs)
    stats = result.survey.loc["U00"]
    flagged = any(f.startswith("low_sample") for f in _by_unit(result).at["U00", "flags"])
    assert stats["n_valid"] <= 5 or flagged, (
        f"mean uses 5 respondents but n_valid={stats['n_valid']} and low_sample={stats['low_sample']}")


def test_per_unit_response_numbering_is_not_a_duplicate():
    """SPEC 2.1 screens 'duplicate response ids'. Survey firms commonly number questionnaires per
    unit (001, 002, ... in every unit); the screen is global, so every unit but the first loses its
    whole survey and becomes incomplete."""
    inputs = make_inputs(MODEL)
    inputs.survey["response_id"] = inputs.survey.groupby("unit_id").cumcount().add(1).astype(str)
    r = _by_unit(score_period(MODEL, inputs))
    assert r["mass"].notna().all(), f"{r['mass'].isna().sum()} units lost their survey to the duplicate screen"


# --------------------------------------------------------------------------- compliance / adjustments

def test_deduction_style_counts_failed_items():
    """SPEC 2.3: items score pass / partial / fail, or deductions from 100 (扣分制). In deduction
    style a 未通过 or 部分 status is silently treated as 'not assessed', so a unit that failed an
    item still scores 100."""
    spec = MODEL.compliance.model_copy(update={"style": "deduction"})
    rows = pd.DataFrame({"unit_id": ["A"] * 3, "item": ["C01", "C02", "C03"],
                         "status": ["pass", "fail", "partial"], "points": [np.nan] * 3})
    score = comp.dimension_scores(comp.item_results(rows, spec), spec).at["A", "score"]
    assert score < 100, "a failed and a partial item cost nothing in deduction style"


def test_veto_cell_saying_none_is_not_a_veto():
    """SPEC 2.4: 一票否决 veto *events* force the lowest grade. Officers fill the column with 无 / 否
    when there is no event; any non-blank text currently vetoes the unit."""
    inputs = make_inputs(MODEL)
    inputs.adjustments["veto"] = None
    inputs.adjustments.loc[inputs.adjustments["unit_id"] == "U00", "veto"] = "无"
    r = _by_unit(score_period(MODEL, inputs))
    assert r.at["U00", "veto"] is None or pd.isna(r.at["U00", "veto"]), "'无' (none) was taken as a veto reason"


def test_two_compliance_files_keep_the_first_files_veto_and_bonus(tmp_path):
    """SPEC 3: compliance has optional 加分/扣分/一票否决 columns; several files per quarter are
    normal (多表合一). The second file (no 加分/一票否决 column) overwrites the first file's bonus and
    veto with 0/None (pipeline keeps the *last* adjustments row per unit)."""
    units = _units()
    ids = units["单位编码"].tolist()
    a = pd.DataFrame({"单位编码": ids, "重大决策履行民主程序": "通过", "规范性文件合法性审查": "通过",
                      "依法依规信息公开": "通过", "加分": ["省级"] + [None] * (len(ids) - 1),
                      "一票否决": [None, "发生较大安全生产事故"] + [None] * (len(ids) - 2)})
    b = pd.DataFrame({"单位编码": ids, "审计整改落实": "通过", "行政执法规范": "通过", "信访事项依法办理": "通过"})
    inputs, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                                  _write(tmp_path, "comp_a.xlsx", a), _write(tmp_path, "comp_b.xlsx", b)])
    assert report.ok, report.to_text()
    r = _by_unit(score_period(MODEL, inputs))
    assert r.at[ids[0], "bonus"] == 3, "the 省级 bonus of comp_a.xlsx was lost"
    assert isinstance(r.at[ids[1], "veto"], str), "the veto of comp_a.xlsx was lost"


def test_conflicting_compliance_results_in_two_files_are_an_error(tmp_path):
    """Issue 2 §4 / SPEC 3: files of one quarter merge and the same unit × item with two different
    values is an error naming both files. For compliance, 通过 in one file and 未通过 in another are
    both silently counted (the unit gets half points)."""
    units = _units()
    ids = units["单位编码"].tolist()
    a = pd.DataFrame({"单位编码": ids, "重大决策履行民主程序": "通过"})
    c = pd.DataFrame({"单位编码": ids, "重大决策履行民主程序": "未通过"})
    inputs, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                                  _write(tmp_path, "comp_a.xlsx", a), _write(tmp_path, "comp_c.xlsx", c)])
    assert not report.ok, "通过 vs 未通过 for the same unit and item was accepted without an error"
    assert any("comp_a.xlsx" in e.message_zh and "comp_c.xlsx" in e.message_zh for e in report.errors)


# --------------------------------------------------------------------------- ranks and grades

def test_rank_rounding_is_round_half_up():
    """SPEC 2.4: competition ranking on the score rounded to 2 decimals. An assessment office rounds
    四舍五入 (half up): 85.125 -> 85.13 ties with 85.13. pandas/numpy round half to even (85.12)."""
    ranks = competition_rank(pd.Series([85.125, 85.13]), 2).tolist()
    assert ranks == [1, 1], ranks


def test_quota_on_the_lowest_tier_is_rejected_or_harmless():
    """Issue 2 §1: the model is validated with every problem reported. A quota on the lowest tier is
    accepted by the validator and then crashes scoring with IndexError (demotes to tier n)."""
    data = _model_dict()
    data["grades"]["tier"][-1]["quota"] = 0.1
    try:
        model = model_from_dict(data)
    except ModelError:
        return
    score_period(model, make_inputs(model))  # must not raise


# --------------------------------------------------------------------------- model validation

def test_compliance_item_matching_the_formalism_screen_needs_an_explicit_reason():
    """SPEC 2.3: a column whose header matches the formalism screen is kept out of every score; a
    false positive can be marked substantive *only explicitly, with a reason*. The validator checks
    performance indicators only: a compliance item named with a formalism keyword (会议/留痕) loads
    and is scored, reported as 'marked substantive in the model' with an empty reason."""
    data = _model_dict()
    data["compliance"]["item"][0]["name"] = "会议纪要留痕规范"
    with pytest.raises(ModelError):
        model_from_dict(data)


def test_target_method_rejects_a_zero_target():
    """Issue 2 §1: each method's parameters present (and usable). target = 0 divides by zero:
    x = 0 scores NaN (silently reweighted as if missing, with no note) and any x > 0 scores 100."""
    data = _model_dict()
    for ind in data["performance"]["indicator"]:
        if ind["code"] == "ECO03":
            ind["target"] = 0
    with pytest.raises(ModelError):
        model_from_dict(data)


# --------------------------------------------------------------------------- missing values

def test_group_mean_policy_never_reports_a_nan_fill():
    """SPEC 2.2: every filled or dropped value is visible in the unit's breakdown. With
    missing = group_mean and a group where nobody reported the indicator, the note says
    '按组内平均 nan 分计' while the value is in fact dropped and reweighted."""
    model = MODEL.model_copy(update={"performance": MODEL.performance.model_copy(update={"missing": "group_mean"})})
    inputs = make_inputs(model)
    grp = inputs.units.loc[inputs.units["group"] == "城区街道", "unit_id"]
    ind = inputs.indicators
    inputs.indicators = ind[~((ind["code"] == "SAF02") & ind["unit_id"].isin(grp))]
    b = score_period(model, inputs).breakdown
    notes = b.loc[(b["code"] == "SAF02") & b["unit_id"].isin(grp), "note"]
    assert not notes.str.contains("nan").any(), notes.iloc[0]


# --------------------------------------------------------------------------- reverse evaluation

def test_reverse_raters_in_two_files_are_counted_as_distinct(tmp_path):
    """SPEC 2.5: a department's result is shown only with at least k (5) distinct raters. Raters
    are numbered per file, so 3 towns in one file and 3 other towns in another count as 3 raters
    and the department's result is suppressed."""
    units = _units()
    dept = units.loc[units["考核组别"] == "市直部门", "单位编码"].iloc[0]
    towns = units.loc[units["单位类型"] == "乡镇街道", "单位名称"].tolist()
    crit = {c: "满意" for c in MODEL.reverse.criteria}
    a = pd.DataFrame({"评议单位": towns[:3], "被评部门": dept, **crit})
    b = pd.DataFrame({"评议单位": towns[3:6], "被评部门": dept, **crit})
    inputs, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                                  _write(tmp_path, "rev_a.xlsx", a), _write(tmp_path, "rev_b.xlsx", b)])
    assert report.ok, report.to_text()
    from scoring.survey import reverse_scores
    rev = reverse_scores(inputs.reverse, inputs.criterion_columns(), MODEL.survey, MODEL.reverse.min_raters)
    assert rev.at[dept, "n_raters"] == 6 and not rev.at[dept, "suppressed"]


# --------------------------------------------------------------------------- importer

def test_indicator_file_with_type_and_group_columns_is_not_a_second_roster(tmp_path):
    """SPEC 3 / issue 3: import what a person calls obviously fine. A department's indicator sheet
    that also carries 单位类型 and 考核组别 is taken as a *roster*: its indicator values vanish with
    'no problems found' and the roster gains duplicate units."""
    units = _units()
    u = units.head(2)
    ind = pd.DataFrame({"单位编码": u["单位编码"], "单位名称": u["单位名称"], "单位类型": u["单位类型"],
                        "考核组别": u["考核组别"], "一般公共预算收入增速": [5.0, 6.0]})
    inputs, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "tongji.xlsx", ind)])
    assert inputs is None or len(inputs.indicators) == 2, "the indicator values were silently dropped"


def test_indicator_file_with_a_group_column_is_not_called_a_broken_roster(tmp_path):
    """Same cause, other face: with only 考核组别 added, the indicator file is rejected as
    '单位名录缺少列：单位类型' — an error about a file the user never uploaded."""
    units = _units()
    u = units.head(2)
    ind = pd.DataFrame({"单位编码": u["单位编码"], "考核组别": u["考核组别"], "一般公共预算收入增速": [5.0, 6.0]})
    inputs, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "tongji.xlsx", ind)])
    assert not any("单位名录" in e.message_zh for e in report.errors), report.to_text()
    assert inputs is not None and len(inputs.indicators) == 2


def test_merge_conflict_error_names_the_sheet(tmp_path):
    """SPEC 3: every error names the file, sheet, row and column. The 多表合一 conflict error has
    no sheet (nor header)."""
    units = _units()
    a = pd.DataFrame({"单位编码": ["JD01"], "一般公共预算收入增速": [5.0]})
    b = pd.DataFrame({"单位编码": ["JD01"], "一般公共预算收入增速": [7.5]})
    _, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units),
                                             _write(tmp_path, "a.xlsx", a), _write(tmp_path, "b.xlsx", b)])
    [err] = report.errors
    assert err.sheet and err.row and err.column, err


def test_duplicate_survey_item_columns_are_reported(tmp_path):
    """Issue 3 §2: problems reported, never silently resolved. Two columns that both map to the
    same survey item (e.g. 总体满意度 twice after a merged header) — the second silently overwrites
    the first, with no error or warning."""
    units = _units()
    s = pd.DataFrame([["R1", "JD01", "群众", "满意", "不满意"]],
                     columns=["问卷编号", "单位编码", "受访者类别", "总体满意度", "Q1"])
    inputs, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "s.xlsx", s)])
    assert report.issues, "a duplicated survey item column was resolved silently"


def test_period_missing_a_whole_dimension_file_is_reported(tmp_path):
    """SPEC 2.4 / §3: a period with only some files. Importing units + indicators only says
    'no problems found', yet every unit will be incomplete (no survey, no compliance)."""
    units = _units()
    ind = pd.DataFrame({"单位编码": units["单位编码"], "重点工作任务完成率": 90.0})
    inputs, report = import_files(MODEL, PERIOD, [_write(tmp_path, "units.xlsx", units), _write(tmp_path, "ind.xlsx", ind)])
    assert report.issues, "no warning that the survey and compliance files are missing"


def test_cli_empty_roster_gives_a_report_not_a_traceback(tmp_path):
    """Issue 2 §5: exit 1 on input errors, the report printed, no traceback. A units file with a
    header row only crashes score_period (pd.concat of nothing) with a ValueError traceback."""
    pd.DataFrame(columns=["单位编码", "单位名称", "单位类型", "考核组别"]).to_excel(tmp_path / "units.xlsx", index=False)
    pd.DataFrame(columns=["单位编码", "一般公共预算收入增速"]).to_excel(tmp_path / "ind.xlsx", index=False)
    res = subprocess.run([sys.executable, "-m", "scoring", "score", "--units", str(tmp_path / "units.xlsx"),
                          "--indicators", str(tmp_path / "ind.xlsx"), "--period", PERIOD],
                         capture_output=True, text=True, timeout=120)
    assert "Traceback" not in res.stderr, res.stderr[-600:]
    assert res.returncode in (0, 1)
