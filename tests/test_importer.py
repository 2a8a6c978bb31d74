"""The importer on real xlsx/csv files written and read back."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.importer import read_period
from scoring.model import load_model
from scoring.pipeline import score_period

MODEL = load_model()
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
PERIOD = "2026Q3"


def demo_files(period=PERIOD):
    names = ["units.xlsx", *sorted(p.name for p in DEMO.glob(f"{period}_*.xlsx"))]
    return [(n, DEMO / n) for n in names]


def write(tmp_path, name, frame, **kw):
    path = tmp_path / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False, **kw)
    else:
        frame.to_excel(path, index=False)
    return (name, path)


@pytest.fixture(scope="module")
def demo_inputs():
    inputs, report = read_period(MODEL, PERIOD, demo_files())
    assert report.ok, report.to_text()
    return inputs


def test_demo_quarter_imports_cleanly(demo_inputs):
    assert len(demo_inputs.units) == 36
    assert demo_inputs.survey["unit_id"].notna().all()
    assert set(demo_inputs.indicators["code"]) >= {i.code for i in MODEL.scored_indicators}
    assert {e.column for e in demo_inputs.excluded if not e.overridden} == {"台账页数", "会议次数"}
    assert {e.column for e in demo_inputs.excluded if e.overridden} == {"违反精文简会规定发文开会次数"}
    assert demo_inputs.adjustments["veto"].notna().sum() >= 0


def test_formalism_columns_excluded_with_the_rule(demo_inputs):
    for e in demo_inputs.excluded:
        if e.overridden:  # scored only because the model marks it substantive, with the reason shown
            assert e.note and e.note in e.reason.zh and "marked substantive" in e.reason.en
        else:
            assert "不计分" in e.reason.zh and "earns no points" in e.reason.en


def test_survey_answers_are_canonical_labels(demo_inputs):
    labels = {a.label for a in MODEL.survey.answer}
    items = demo_inputs.item_columns()
    assert items == [q.code for q in MODEL.survey.item]
    values = demo_inputs.survey[items].stack().dropna()
    assert set(values) <= labels


def test_conflicting_values_in_two_files_name_both(tmp_path):
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    a = pd.DataFrame({"单位编码": ["JD01", "JD02"], "一般公共预算收入增速": [5.0, 6.0]})
    b = pd.DataFrame({"单位名称": ["青山街道", "东湖街道"], "一般公共预算收入增速": [5.0, 7.5]})
    files = [write(tmp_path, "units.xlsx", units), write(tmp_path, "tongji.xlsx", a), write(tmp_path, "caizheng.xlsx", b)]
    inputs, report = read_period(MODEL, PERIOD, files)
    assert inputs is None
    [err] = report.errors
    assert "tongji.xlsx" in err.message_zh and "caizheng.xlsx" in err.message_zh and "JD02" in err.message_en
    # the same value in both files is fine (多表合一)
    b.loc[1, "一般公共预算收入增速"] = 6.0
    files[2] = write(tmp_path, "caizheng.xlsx", b)
    inputs, report = read_period(MODEL, PERIOD, files)
    assert report.ok and len(inputs.indicators) == 2


def test_unknown_unit_suggests_closest_roster_names(tmp_path):
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    ind = pd.DataFrame({"单位名称": ["青山街", "不存在的单位"], "税收收入占比": ["85%", "abc"]})
    inputs, report = read_period(MODEL, PERIOD, [write(tmp_path, "units.xlsx", units), write(tmp_path, "ind.xlsx", ind)])
    assert inputs is None
    unit_err = next(e for e in report.errors if e.row == 2 and e.column == "A")
    assert "青山街道" in unit_err.suggestions and unit_err.value is None  # the free-text cell is not quoted
    num_err = next(e for e in report.errors if e.row == 3 and e.column == "B")
    assert num_err.file == "ind.xlsx" and "not a number" in num_err.message_en and num_err.value is None


def test_out_of_scale_answer_is_an_error_with_the_nearest_scale_words(tmp_path):
    """It was a warning and the answer silently left out (issue 15 §3): an officer must see it."""
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    survey = pd.DataFrame({"问卷编号": ["a", "b", "c"], "单位编码": ["JD01"] * 3, "总体满意度": ["满意", "挺满意的", "挺满意的"]})
    inputs, report = read_period(MODEL, PERIOD, [write(tmp_path, "units.xlsx", units), write(tmp_path, "s.csv", survey)])
    assert inputs is None
    errors = [e for e in report.errors if e.header == "总体满意度"]
    assert [e.row for e in errors] == [3, 4] and "not on the scale" in errors[0].message_en
    assert errors[0].suggestions[0] == "满意" and set(errors[0].suggestions) <= {a.label for a in MODEL.survey.answer}
    assert "挺满意的" not in str(errors[0].as_json())  # the scale words are suggested, the cell is not quoted


def test_out_of_scale_answer_warns_and_is_left_out_when_the_model_says_warn(tmp_path):
    model = MODEL.model_copy(update={"survey": MODEL.survey.model_copy(update={"out_of_scale": "warn"})})
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    survey = pd.DataFrame({"问卷编号": ["a", "b"], "单位编码": ["JD01", "JD01"], "总体满意度": ["满意", "超级满意"],
                           "办事便利程度": ["较满意", "满意"]})
    inputs, report = read_period(model, PERIOD, [write(tmp_path, "units.xlsx", units), write(tmp_path, "s.csv", survey)])
    assert report.ok
    [w] = [i for i in report.warnings if i.header == "总体满意度"]
    assert w.row == 3 and w.column == "C" and "not on the scale" in w.message_en
    assert "超级满意" not in str(w.as_json())  # a cell that matched nothing is free text: never quoted
    assert inputs.survey["Q1"].iloc[0] == "满意" and pd.isna(inputs.survey["Q1"].iloc[1])
    assert inputs.survey["Q2"].tolist() == ["比较满意", "满意"]  # 较满意 is an alias


def test_an_unreadable_file_hides_no_other_file_problem(tmp_path):
    """A text file renamed .xlsx in the set left 1 error; without it the set had more (issue 15 §3)."""
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    ind = pd.DataFrame({"单位编码": ["JD01", None], "单位名称": ["青山街道", "东湖街到"], "税收收入占比": [80.0, 70.0]})
    files = [write(tmp_path, "units.xlsx", units), write(tmp_path, "ind.xlsx", ind)]
    _, alone = read_period(MODEL, PERIOD, files)
    _, mixed = read_period(MODEL, PERIOD, [("notes.xlsx", b"just text, not a workbook\n"), *files])
    assert len(mixed.errors) == len(alone.errors) + 1 and {e.file for e in mixed.errors} == {"notes.xlsx", "ind.xlsx"}
    [unit] = [e for e in alone.errors if e.row == 3]  # a blank code and a misspelt name: the names it may mean
    assert unit.column == "B" and "东湖街道" in unit.suggestions and "code is blank" in unit.message_en


def test_a_roster_with_errors_still_lets_every_other_file_be_checked(tmp_path):
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    stored = units.rename(columns={"单位编码": "unit_id", "单位名称": "unit_name", "单位类型": "unit_type", "考核组别": "group"})
    units.loc[0, "单位名称"] = None
    ind = pd.DataFrame({"单位编码": ["JD02"], "税收收入占比": ["abc"]})
    _, report = read_period(MODEL, PERIOD, [write(tmp_path, "units.xlsx", units), write(tmp_path, "ind.xlsx", ind)],
                            roster=stored)
    assert {e.file for e in report.errors} == {"units.xlsx", "ind.xlsx"}


def test_csv_gb18030_and_bom(tmp_path):
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    for enc in ["gb18030", "utf-8-sig", "utf-8"]:
        name = f"units_{enc}.csv"
        units.to_csv(tmp_path / name, index=False, encoding=enc)
        inputs, report = read_period(MODEL, PERIOD, [(name, tmp_path / name)])
        assert report.ok, (enc, report.to_text())


def test_missing_roster_is_an_error(tmp_path):
    ind = pd.DataFrame({"单位编码": ["JD01"], "税收收入占比": [1.0]})
    inputs, report = read_period(MODEL, PERIOD, [write(tmp_path, "ind.xlsx", ind)])
    assert inputs is None and "roster" in report.errors[0].message_en


def test_adding_a_formalism_column_to_a_file_changes_no_score(tmp_path):
    files = demo_files()
    base = score_period(MODEL, read_period(MODEL, PERIOD, files)[0]).units
    name, path = next(f for f in files if "tongji" in f[0])
    df = pd.read_excel(path, engine="calamine")
    df["发文数量"] = range(len(df))
    df["工作群打卡次数"] = 1000
    patched = [(n, p) if n != name else write(tmp_path, name, df) for n, p in files]
    inputs, report = read_period(MODEL, PERIOD, patched)
    assert report.ok
    again = score_period(MODEL, inputs).units
    pd.testing.assert_frame_equal(base, again)
    assert {"发文数量", "工作群打卡次数"} <= {e.column for e in inputs.excluded}


def test_substantive_override_is_scored_and_shown(tmp_path):
    import tomllib

    from scoring.model import default_model_toml, model_from_dict

    data = tomllib.loads(default_model_toml().decode("utf-8"))
    eco01 = next(i for i in data["performance"]["indicator"] if i["code"] == "ECO01")
    eco01["name"] = "违反三不发规定印发文件件数"
    eco01["substantive"] = "统计违规发文而非发文数量 / counts violations of the document rules, not documents issued"
    model = model_from_dict(data)
    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    ind = pd.DataFrame({"单位编码": ["JD01", "JD02"], "违反三不发规定印发文件件数": [9.0, 11.0], "发文数量": [300, 20]})
    inputs, report = read_period(model, PERIOD, [write(tmp_path, "units.xlsx", units), write(tmp_path, "i.xlsx", ind)])
    assert report.ok
    assert set(inputs.indicators["code"]) == {"ECO01"}
    shown = {e.column: e for e in inputs.excluded}
    assert shown["违反三不发规定印发文件件数"].overridden and "violations" in shown["违反三不发规定印发文件件数"].reason.en
    assert not shown["发文数量"].overridden


def test_tables_already_read_are_not_read_again(monkeypatch):
    from scoring import importer
    from scoring.preview import preview

    files = demo_files()
    previews = [preview(n, p.read_bytes(), MODEL) for n, p in files]
    tables = {p["name"]: p["table"] for p in previews}
    calls = []
    monkeypatch.setattr(importer, "read_table", lambda *a, **k: calls.append(a[1]))
    inputs, report = read_period(MODEL, PERIOD, files, tables=tables)
    assert report.ok and calls == []
    assert len(inputs.units) == 36


def test_numeric_answer_codes_only_when_the_model_maps_them(tmp_path):
    import tomllib

    from scoring.model import default_model_toml, model_from_dict

    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    survey = pd.DataFrame({"问卷编号": ["a", "b"], "单位编码": ["JD01", "JD01"], "总体满意度": [1, 4]})
    files = [write(tmp_path, "units.xlsx", units), write(tmp_path, "s.xlsx", survey)]
    inputs, report = read_period(MODEL, PERIOD, files)
    assert {e.row for e in report.errors if e.header == "总体满意度"} == {2, 3}  # not on the default scale
    data = tomllib.loads(default_model_toml().decode("utf-8"))
    for answer, code in zip(data["survey"]["answer"], [1, 2, 3, 4, 9], strict=True):
        answer["codes"] = [code]
    coded = model_from_dict(data)
    inputs, report = read_period(coded, PERIOD, files)
    assert report.ok and inputs.survey["Q1"].tolist() == ["满意", "不满意"]


def test_answers_and_units_are_mapped_once_per_distinct_value(tmp_path, monkeypatch):
    """A million-row survey made 8 M per-cell calls to aliases.normalise (issue 10 §5): mapping is
    now done once per distinct value, so 20,000 rows x 8 items cost a few dozen calls, not 180,000."""
    from scoring import aliases

    units = pd.read_excel(DEMO / "units.xlsx", engine="calamine")
    rng = np.random.default_rng(0)
    words = ["满意", "比较满意", "较满意", "基本满意", "不满意", "不了解"]
    n = 20_000
    survey = pd.DataFrame({"问卷编号": [f"R{i}" for i in range(n)], "单位编码": rng.choice(units["单位编码"], n),
                           **{q.name: rng.choice(words, n) for q in MODEL.survey.item}})
    files = [write(tmp_path, "units.xlsx", units), write(tmp_path, "s.csv", survey)]
    calls = []
    original = aliases.normalise
    monkeypatch.setattr(aliases, "normalise", lambda text: calls.append(1) or original(text))
    inputs, report = read_period(MODEL, PERIOD, files)
    assert report.ok and len(inputs.survey) == n
    assert len(calls) < 2_000, f"{len(calls)} normalise calls for {n} rows"
