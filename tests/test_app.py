"""Every dashboard page in Streamlit's AppTest on the demo quarters in a temporary SQLite store:
it renders without an exception, and its key widgets change what is shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scoring.model import default_model_toml
from scoring.store import Store
from tests.apptest import open_page

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = ["home", "import_data", "rankings", "unit", "weights", "audit", "reverse", "model_settings"]


@pytest.fixture(scope="module", autouse=True)
def store_env(tmp_path_factory):
    """One demo store for the module (the first page run fills it)."""
    tmp = tmp_path_factory.mktemp("app")
    mp = pytest.MonkeyPatch()
    mp.setenv("SANWEI_DATABASE_URL", f"sqlite:///{tmp}/sanwei.db")
    mp.setenv("SANWEI_DEMO", "1")
    yield tmp
    mp.undo()


def run(page: str = "home", lang: str = "zh", **state) -> AppTest:
    at = open_page(page, lang, **state)
    assert not at.exception, [e.value for e in at.exception]
    return at


def again(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success")
                     for e in getattr(at, kind))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders(page, lang):
    at = run(page, lang)
    assert at.title, f"{page} has no title"


def test_home_follows_the_period_and_language():
    at = run()
    assert at.title[0].value == "2026Q3 三维考评结果"
    at.sidebar.selectbox(key="period").select("2026Q2")
    again(at)
    assert at.title[0].value.startswith("2026Q2")
    assert any("发生较大生产安全事故" in str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    at.sidebar.radio(key="lang_choice").set_value("en")
    again(at)
    assert at.title[0].value == "2026Q2 three-dimension assessment"
    assert "Ledger thickness and meeting counts earn no points" in texts(at)


def test_rankings_filters_change_the_table():
    at = run("rankings")
    table = at.dataframe[0].value
    assert len(table) == 36 and list(table["总排名"][:3]) == [1, 2, 3]
    at.segmented_control(key="rank_group").set_value("农业乡镇")
    again(at)
    table = at.dataframe[0].value
    assert len(table) == 12 and set(table["考核组别"]) == {"农业乡镇"} and "组内排名" in table
    at.text_input(key="rank_query").input("镇")
    again(at)
    assert all("镇" in n for n in at.dataframe[0].value["单位"])
    at.multiselect(key="rank_grades").set_value(["优秀"])
    again(at)
    assert {g for chips in at.dataframe[0].value["等次"] for g in chips} <= {"优秀"}  # a grade is a coloured chip
    assert len(at.download_button) == 1


def test_unit_page_picks_a_unit_and_toggles_detail():
    at = run("unit", unit_pick="XZ03")
    assert at.title[0].value == "石桥镇 · 2026Q3"
    steps = next(c for c in charts(at) if c["data"][0]["type"] == "waterfall")["data"][0]["y"]
    at.toggle(key="wf_detail").set_value(True)
    again(at)
    detail = next(c for c in charts(at) if c["data"][0]["type"] == "waterfall")["data"][0]["y"]
    assert len(detail) > len(steps) and "一般公共预算收入增速" in detail
    frames = [df.value for df in at.dataframe]
    assert any("计分规则" in df for df in frames)
    assert any("不计分" in set(df.get("计分", [])) for df in frames)
    at.selectbox(key="unit_pick").select("BM12")
    again(at)
    assert at.title[0].value == "市生态环境局 · 2026Q3"


def test_unit_page_shows_exemptions_the_screens_and_the_reverse_rule():
    """Issue 13: the unit page shows a unit's exemptions with their reason and document (JD05's veto
    waived in 2026Q3), what the survey screens did for it, and for a department its raters and the
    below-k rule of the model."""
    at = run("unit", unit_pick="JD05")
    assert any("一票否决已容错免除" in w.value for w in at.warning)
    ex = next(df.value for df in at.dataframe if "批准文号" in df.value)
    assert list(ex["批准文号"]) == ["示考容〔2026〕9号"] and ex["容错理由"].str.contains("认定免责").all()
    said = texts(at)
    assert "所有题目答案相同" in said and "只标记、不剔除" in said
    at.selectbox(key="unit_pick").select("BM01")
    again(at)
    said = texts(at)
    assert "评议单位" in said and "少于 5 个评议单位时的规则（模型设置）：评议单位不足，按组内部门平均计" in said
    comp = next(df.value for df in at.dataframe if "违规次数" in df.value)
    assert comp["说明"].str.contains("示考容〔2026〕10号").any()


def test_weight_sliders_rerank_against_the_official_weights():
    at = run("weights")
    assert any("当前为正式权重" in i.value for i in at.info)
    official = at.dataframe[0].value
    at.slider(key="w_mass").set_value(70)
    again(at)
    # the other two gave way in proportion (40 : 20): the weights still sum to 1
    assert (at.slider(key="w_perf").value, at.slider(key="w_comp").value) == (20, 10)
    banner = next(w.value for w in at.warning if "假设分析" in w.value)
    assert int(re.search(r"(\d+) 个单位名次变化", banner).group(1)) > 0
    assert not official["排名"].equals(at.dataframe[0].value["排名"]) or \
        not official["单位"].equals(at.dataframe[0].value["单位"])
    at.button(key="w_reset").click()
    again(at)
    assert [at.slider(key=k).value for k in ("w_mass", "w_perf", "w_comp")] == [40, 40, 20]
    assert any("当前为正式权重" in i.value for i in at.info)


def test_sensitivity_controls_change_the_analysis():
    at = run("weights")
    kinds = [c["data"][0]["type"] for c in charts(at)]
    assert {"scatter", "scatterternary", "bar"} <= set(kinds)
    robust = next(m.value for m in at.metric if m.label == "稳健单位")
    at.slider(key="s_delta").set_value(20)
    again(at)
    assert next(m.value for m in at.metric if m.label == "稳健单位") != robust
    at.radio(key="s_dim").set_value("compliance")
    again(at)
    sweep = next(c for c in charts(at) if "sweep" in json.dumps(c.get("layout", {}).get("title", "")) or
                 "扫描" in json.dumps(c.get("layout", {}).get("title", ""), ensure_ascii=False))
    assert "过程合规" in json.dumps(sweep["layout"]["xaxis"]["title"], ensure_ascii=False)


def test_reverse_page_suppresses_small_samples():
    at = run("reverse", period="2025Q4")
    table = at.dataframe[0].value
    hidden = table[table["评议得分"].str.startswith("样本不足，不显示")]
    assert list(hidden["单位"]) == ["市生态环境局"]
    assert (table.loc[table["单位"] == "市生态环境局", "评议单位数"] == 4).all()


def test_an_analyst_saves_a_draft_that_an_officer_activates(store_env):
    at = run("model_settings", user="analyst")
    assert any("模型校验通过" in s.value for s in at.success)
    assert not [b for b in at.button if b.key == "model_activate"]  # analysts draft, officers activate
    before = len(at.selectbox(key="model_file").options)  # the official file + every stored version
    at.text_input(key="model_label").input("2027.1 草稿")
    at.text_input(key="model_note").input("群众评价权重不变，仅演示")
    again(at)
    at.button(key="model_save").click()
    again(at)
    with Store() as store:
        versions = store.model_versions()
        assert store.active_model_id() is None  # a draft scores nothing
    draft = versions.iloc[-1]
    assert len(versions) == before and draft["label"] == "2027.1 草稿" and draft["created_by"] == "analyst"
    assert len(at.selectbox(key="model_file").options) == before + 1

    officer = run("model_settings", user="officer")
    assert not [b for b in officer.button if b.key == "model_save"]
    officer.selectbox(key="model_file").select(int(draft["id"]))
    again(officer)
    officer.button(key="model_activate").click()
    again(officer)
    officer.text_area(key="model_reason").input("年度考核办公会议决定启用")
    again(officer)
    officer.button(key="model_activate_ok").click()
    again(officer)
    with Store() as store:
        assert store.active_model_id() == int(draft["id"])
        log = store.audit(5)
    assert log["action"].iloc[0] == "activate_model" and log["who"].iloc[0] == "officer"
    assert "年度考核办公会议决定启用" in log["detail"].iloc[0]


def test_model_upload_reports_located_problems():
    at = run("model_settings", user="analyst")
    bad = default_model_toml().decode("utf-8").replace("mass = 0.40", "mass = 0.50", 1)
    at.file_uploader(key="model_upload").upload("bad.toml", bad.encode(), "application/toml")
    again(at)
    assert any("模型有" in e.value for e in at.error)
    problems = at.dataframe[-1].value
    assert "维度权重" in set(problems["位置"])


def test_import_validates_stores_and_publishes():
    at = run("import_data")
    assert len(at.download_button) == 6  # a template for every file kind, 容错纠错 included
    at.text_input(key="imp_period").input("2026Q3")
    files = [DEMO / "units.xlsx", *sorted(DEMO.glob("2026Q3_*.xlsx"))]
    at.file_uploader(key="imp_files").set_value([(f.name, f.read_bytes(), XLSX) for f in files])
    again(at)
    at.button(key="imp_validate").click()
    again(at)
    assert len(at.tabs) >= len(files)
    at.button(key="imp_store").click()
    again(at)
    assert any("已保存 2026Q3 第 2 版" in s.value for s in at.success)
    assert at.selectbox(key="imp_pub_version_2026Q3").value == 2
    at.button(key="imp_publish").click()
    again(at)
    at.text_area(key="imp_reason").input("更正统计局数据后重新发布")
    again(at)
    at.button(key="imp_confirm").click()
    again(at)
    assert any("已发布 2026Q3 第 2 版" in s.value for s in at.success)
    with Store() as store:
        v = store.version("2026Q3")
    assert (v.number, v.published_by, v.publish_reason) == (2, "officer", "更正统计局数据后重新发布")


def test_import_with_errors_stores_nothing():
    at = run("import_data")
    at.text_input(key="imp_period").input("2027Q1")
    survey = (DEMO / "2026Q3_survey.xlsx").read_bytes()
    at.file_uploader(key="imp_files").set_value([("survey.xlsx", survey, XLSX), ("broken.xlsx", b"not a workbook", XLSX)])
    again(at)
    at.button(key="imp_validate").click()
    again(at)
    assert any("存在错误" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "imp_store"]
    report = next(df.value for df in at.dataframe if "级别" in df.value)
    assert "错误" in set(report["级别"]) and "broken.xlsx" in set(report["文件"])


def test_parsed_tables_do_not_stay_in_the_session():
    """The import page kept the parsed tables and the validated inputs (a province's quarter: hundreds
    of MB per session) in st.session_state after reading. Now only previews (20 rows each) and the
    report stay; storing reads the uploads again (issue 10 §1)."""
    import pandas as pd

    at = run("import_data")
    at.text_input(key="imp_period").input("2026Q3")
    files = [DEMO / "units.xlsx", *sorted(DEMO.glob("2026Q3_*.xlsx"))]
    at.file_uploader(key="imp_files").set_value([(f.name, f.read_bytes(), XLSX) for f in files])
    again(at)
    at.button(key="imp_validate").click()
    again(at)
    kept = at.session_state["imp"]
    assert set(kept) == {"period", "previews", "report", "ok", "records", "override"} and kept["ok"]
    frames = [v for p in kept["previews"] for v in p.values() if isinstance(v, pd.DataFrame)]
    assert all(len(f) <= 20 for f in frames) and not any("table" in p for p in kept["previews"])
    at.button(key="imp_store").click()
    again(at)
    assert any("已保存 2026Q3 第" in s.value for s in at.success)
    assert "imp" not in at.session_state
def test_audit_page_shows_heatmaps_tables_and_exports():
    """统计审查: metrics, indicator table, a correlation heatmap per node (Pearson or Spearman, or by level),
    α/PCA, effective weights; the group filter re-audits; the workbook holds every sheet."""
    at = run("audit")
    assert at.title[0].value == "2026Q3 统计审查"
    heat = [c for c in charts(at) if c["data"][0]["type"] == "heatmap"]
    assert heat and heat[0]["data"][0]["zmid"] == 0
    tables = {len(df.value.columns) for df in at.dataframe}
    assert len(at.dataframe) >= 5 and tables
    first = at.dataframe[0].value
    assert "偏度" in first.columns and "覆盖率" in first.columns and len(first) == 16
    at.radio(key="a_method").set_value("spearman")
    again(at)
    assert "Spearman" in [c for c in charts(at) if c["data"][0]["type"] == "heatmap"][0]["layout"]["title"]["text"]
    at.radio(key="a_view").set_value("level")
    again(at)
    assert any("第 1 级" in c["layout"]["title"]["text"] for c in charts(at) if c["data"][0]["type"] == "heatmap")
    at.selectbox(key="a_scope").select("市直部门")
    again(at)
    assert len(at.dataframe[0].value) == 16
    assert "本季度模型的数据处理：异常值 不处理；缺失值 按比例分配权重；聚合 算术加权平均。" in [e.value for e in at.caption]
    button = at.get("download_button")
    assert button and button[0].proto.label == "下载统计审查（Excel）"
    assert "功效系数" in set(first["计分方法"]) and "efficacy" not in set(first["计分方法"])  # names, not codes


def test_audit_page_in_english_shows_the_model_english_names():
    at = run("audit", "en")
    first = at.dataframe[0].value
    assert "Tax share of revenue" in set(first["Indicator"]) and "税收收入占比" not in set(first["Indicator"])
    assert "efficacy coefficient" in set(first["Method"])
    pairs = next(df.value for df in at.dataframe if "Issue" in df.value.columns)
    assert not pairs["Node"].astype(str).str.contains("实绩数据|经济发展|民生改善").any()


def test_weights_page_runs_the_method_choice_analysis():
    """The analyst picks assumptions (two indicators' methods, aggregation, missing policies) and runs
    them: rank intervals and a Sobol bar per assumption appear, and the workbook gains their sheets."""
    at = run("weights")
    at.multiselect(key="s_m_ind").select("LIV05").select("SAF03")
    at.checkbox(key="s_m_agg").check()
    at.multiselect(key="s_m_missing").select("zero").select("group_median")
    at.button(key="FormSubmitter:s_methods_form-运行方法不确定性分析").click()
    again(at)
    bars = [c for c in charts(at) if c["layout"]["title"]["text"].startswith("各项假设的 Sobol 指数")]
    assert bars and len(bars[0]["data"][0]["x"]) == 5  # weights, two methods, aggregation, missing
    assert any(t.startswith("1000 个蒙特卡洛样本") for t in (c.value for c in at.caption))
