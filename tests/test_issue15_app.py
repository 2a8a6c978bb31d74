"""Issue 15 in Streamlit's AppTest on the demo quarters in a temporary store of its own: the
import form's quarter, every file's problems in one pass, the language of tables and exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apptest import open_page

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Q3 = [DEMO / "units.xlsx", *sorted(DEMO.glob("2026Q3_*.xlsx"))]


@pytest.fixture(scope="module", autouse=True)
def store_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app15")
    mp = pytest.MonkeyPatch()
    mp.setenv("SANWEI_DATABASE_URL", f"sqlite:///{tmp}/sanwei.db")
    mp.setenv("SANWEI_DEMO", "1")
    yield tmp
    mp.undo()


def run(page: str = "home", lang: str = "zh", **kw):
    at = open_page(page, lang, **kw)
    assert not at.exception, [e.value for e in at.exception]
    return at


def again(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at, files):
    at.file_uploader(key="imp_files").set_value([(f.name, f.read_bytes(), XLSX) for f in files])
    return again(at)


def report_of(at):
    return next(df.value for df in at.dataframe if "级别" in df.value or "Severity" in df.value)


def test_the_quarter_the_files_name_is_preselected_and_another_needs_confirming():
    """The box defaulted to the next quarter (2026Q4) and 2026Q3 files validated there without a word."""
    at = run("import_data")
    assert at.text_input(key="imp_period").value == "2026Q4"  # nothing uploaded: the quarter after the last
    upload(at, Q3)
    assert at.text_input(key="imp_period").value == "2026Q3"  # the file names say so
    at.text_input(key="imp_period").input("2026Q4")
    again(at)
    at.button(key="imp_validate").click()
    again(at)
    assert not at.session_state["imp"]["ok"] and not [b for b in at.button if b.key == "imp_store"]
    wrong = report_of(at)
    assert any("表明期次为 2026Q3，与所选期次 2026Q4 不符" in m for m in wrong["问题"])
    at.checkbox(key="imp_override").check()
    again(at)
    at.button(key="imp_validate").click()
    again(at)
    assert at.session_state["imp"]["ok"] and at.session_state["imp"]["override"]
    assert any("已按确认的期次 2026Q4 导入" in m for m in report_of(at)["问题"])


def test_every_file_problem_in_one_pass_with_scale_words_suggested(tmp_path):
    """A text file renamed .xlsx hid every other file's problems, and an answer off the scale was
    only a warning: now both files' errors show together, the nearest scale words suggested."""
    import openpyxl

    wb = openpyxl.load_workbook(DEMO / "2026Q3_survey.xlsx")
    wb.active["F2"] = "挺满意的"
    wb.save(tmp_path / "2026Q3_survey.xlsx")
    notes = tmp_path / "2026Q3_notes.xlsx"
    notes.write_text("not a workbook\n")
    at = run("import_data")
    upload(at, [DEMO / "units.xlsx", tmp_path / "2026Q3_survey.xlsx", notes])
    at.button(key="imp_validate").click()
    again(at)
    rep = report_of(at)
    errors = rep[rep["级别"] == "错误"]
    assert set(errors["文件"]) == {"2026Q3_survey.xlsx", "2026Q3_notes.xlsx"}
    answer = errors[errors["单元格"] == "F2"].iloc[0]
    assert "答案不在量表中" in answer["问题"] and answer["建议"].startswith("满意")


def texts(at) -> str:
    shown = "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success", "title")
                       for e in getattr(at, kind))
    return shown.replace("\\", "")  # data is shown as text: markdown escapes


def cells(at) -> set:
    return {v for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()}


def test_english_pages_show_the_model_english_names():
    """Groups, categories, indicators, survey items and answers, criteria and the model's name
    showed in Chinese on English pages (issue 15 §5)."""
    at = run("rankings", "en", user="leader")
    assert {"Urban subdistricts", "City departments"} <= set(at.dataframe[0].value["Group"])
    assert not {"城区街道", "市直部门"} & set(at.dataframe[0].value["Group"])
    at = run("unit", "en", user="leader", unit_id="XZ03")
    shown = cells(at)
    assert "Work-safety accidents" in shown and "Safety and stability" in shown and "生产安全事故起数" not in shown
    assert "Rural townships" in texts(at) + str([m.value for m in at.metric])
    answers = next(c for c in at.get("plotly_chart") if "Satisfied" in c.proto.spec)
    assert "Overall satisfaction" in answers.proto.spec and "总体满意度" not in answers.proto.spec
    at = run("home", "en", user="leader")
    assert "Demo city three-dimension assessment model" in texts(at)
    at = run("reverse", "en", user="leader")
    assert "Useful guidance" in texts(at) and "工作指导有效性" not in texts(at)
    at = run("weights", "en", user="analyst")  # the what-if table, robustness and the annual table name groups too
    assert not {"城区街道", "农业乡镇", "市直部门"} & set(at.dataframe[0].value["Group"])
    at = run("annual", "en", user="leader")
    assert "City departments" in set(at.dataframe[0].value["Group"])
    at = run("unit", "en", user="leader", unit_id="BM10")
    assert "Group: City departments" in texts(at) and "Burden reduction bonus" in texts(at)
    assert "减负成效" not in texts(at)



def test_chinese_pages_show_no_raw_method_codes_and_no_none():
    import json

    at = run("model_settings", "zh", user="analyst")
    tree = next(json.loads(d.proto.columns) for d in at.dataframe if "method" in json.loads(d.proto.columns or "{}"))
    methods = {o["value"]: o["label"] for o in tree["method"]["type_config"]["options"]}
    assert methods["efficacy"] == "功效系数" and methods["band"] == "区间"
    at = run("unit", "zh", user="leader", unit_id="BM10")
    assert "None" not in cells(at) and "nan" not in cells(at)


def test_missing_numbers_show_blank_not_none():
    """The annual page's per-unit quarters showed "None" in a missing quarter's number cells; the model
    editor showed it in every empty bound. Every table and editor leaves a missing value blank."""
    at = run("annual", "zh", user="leader")
    quarters = next(d for d in at.dataframe if "季度" in d.value.columns)
    assert quarters.value["总分"].isna().any()  # a quarter without a score: its number cells are missing...
    assert quarters.proto.HasField("placeholder") and quarters.proto.placeholder == ""  # ...and drawn blank
    for page, user in (("annual", "leader"), ("rankings", "leader"), ("unit", "leader"), ("model_settings", "analyst")):
        shown = run(page, "zh", user=user)
        tables = list(shown.dataframe) + list(shown.get("arrow_data_frame"))
        assert tables and all(t.proto.HasField("placeholder") and t.proto.placeholder == "" for t in tables), page


def test_no_multiselect_offers_streamlits_english_select_all():
    """Streamlit's own "Select all" entry cannot be translated: every multiselect turns it off (a filter
    left empty already means all)."""
    seen = 0
    for page, user in (("rankings", "leader"), ("weights", "analyst"), ("accounts", "admin"), ("rounds", "officer")):
        at = run(page, "zh", user=user)
        for box in at.multiselect:
            seen += 1
            assert box.proto.HasField("select_all") and box.proto.select_all == 0, (page, box.label)
    assert seen >= 4


def test_the_import_report_speaks_one_language(tmp_path):
    at = run("import_data", "en")
    bad = tmp_path / "2026Q3_indicators.xlsx"
    import pandas as pd

    pd.DataFrame({"单位名称": ["青山街"], "税收收入占比": [80]}).to_excel(bad, index=False)
    upload(at, [DEMO / "units.xlsx", bad])
    at.button(key="imp_validate").click()
    again(at)
    rep = report_of(at)
    row = rep[rep["Cell"] == "A2"].iloc[0]
    assert row["Expected"] == "a roster code or name" and "青山街道" in row["Suggestions"]
    assert "None" not in set(rep.astype(str).to_numpy().ravel())


def test_small_things():
    """Issue 15 §7: "对比 —" on the first quarter, "1 warnings", model versions named by a timestamp only."""
    at = run("home", "zh", user="leader")
    at.sidebar.selectbox(key="period").select("2025Q2")
    again(at)
    assert "这是第一个已发布的季度，没有更早的季度可以对比。" in texts(at) and "对比 —" not in texts(at)

    from scoring.i18n import t

    assert t("imp.checked", "en", e=1, w=1) == "Validated: 1 error, 1 warning"
    assert t("imp.checked", "en", e=0, w=11) == "Validated: 0 errors, 11 warnings"
    assert t("model.invalid", "en", n=1).startswith("The model has 1 problem and")

    at = run("model_settings", "zh", user="analyst")
    at.button(key="model_save").click()
    again(at)
    picker = at.selectbox(key="model_file")
    saved = next(n for n in picker.options if n.startswith("#") and "2026.2-" in n)  # the labels shown
    assert "analyst" in saved  # who saved it, and what it derives from, not a bare timestamp


def test_every_chosen_file_is_named_when_the_chips_scroll():
    at = run("import_data")
    upload(at, Q3)
    chosen = next(c.value for c in at.caption if c.value.startswith("已选 ")).replace(chr(92), "")  # shown as text
    assert chosen.startswith(f"已选 {len(Q3)} 个文件") and all(f.name in chosen for f in Q3)
