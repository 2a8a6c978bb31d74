"""The quarter's end in the dashboard (AppTest, demo store whose latest quarter is in its 公示): a unit
files an appeal and follows it, an officer decides it and stores the correction, leaders read the
queue without deciding; reports, the annual page and the warnings per role, in Chinese and English."""

from __future__ import annotations

import pytest

from scoring.store import Store
from tests.apptest import open_page


@pytest.fixture(scope="module", autouse=True)
def demo_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quarter_end_app")
    mp = pytest.MonkeyPatch()
    mp.setenv("SANWEI_DATABASE_URL", f"sqlite:///{tmp}/sanwei.db")
    mp.setenv("SANWEI_DEMO", "1")
    yield tmp
    mp.undo()


def texts(at) -> str:
    return "\n".join([*(x.value for x in at.text), *(x.value for x in at.info), *(x.value for x in at.success),
                      *(x.value for x in at.caption), *(x.value for x in at.warning), *(x.value for x in at.error)])


def test_a_unit_files_an_appeal_an_officer_accepts_and_corrects_it_a_leader_only_reads():
    unit = open_page("appeals", user="jd01")
    assert not unit.exception
    assert unit.title[0].value == "2026Q3 申诉与复核"
    assert "公示中" in texts(unit)
    target = unit.selectbox(key="ap_target")
    assert all(o.startswith(("实绩指标", "过程合规", "扣分", "一票否决")) for o in target.options)
    target.select_index(0)
    unit.button(key="ap_submit").click().run()
    assert any("reason" in e.value or "理由" in e.value for e in unit.error)  # the service wants a reason
    unit.text_area(key="ap_reason").input("统计局报送数据有误，应以更正后的统计公报为准")
    unit.button(key="ap_submit").click().run()
    assert not unit.exception and "已提交第 1 号申诉" in texts(unit)
    assert unit.dataframe[0].value.iloc[0]["状态"] == "待处理"
    assert "统计局报送数据有误" in texts(unit)  # the reason as text, never markdown

    leader = open_page("appeals", user="leader")
    assert not leader.exception and "ap_accept" not in {b.key for b in leader.button}
    assert len(leader.dataframe[0].value) == 1

    officer = open_page("appeals", user="officer")
    officer.text_area(key="ap_reply_1").input("经核实，予以更正")
    officer.button(key="ap_accept").click().run()
    assert not officer.exception and "已处理第 1 号申诉" in texts(officer)
    officer.text_input(key="ap_value_1").input("15.5")
    officer.button(key="ap_correct").click().run()
    assert not officer.exception and "已生成 2026Q3 第 2 版（草稿，关联第 1 号申诉）" in texts(officer)
    with Store() as store:
        assert store.appeal(1).correction_version == 2 and store.version("2026Q3").number == 1

    again = open_page("appeals", user="jd01")
    assert again.dataframe[0].value.iloc[0]["答复"] == "经核实，予以更正"


def test_the_reports_page_per_role():
    unit = open_page("reports", user="jd01")
    assert not unit.exception and unit.selectbox(key="rp_unit").options == ["青山街道 (JD01)"]
    keys = {b.key for b in unit.button} | {getattr(d, "key", None) for d in unit.get("download_button")}
    assert "rp_batch" not in keys
    officer = open_page("reports", user="officer")
    assert len(officer.selectbox(key="rp_unit").options) == 36 and "rp_batch" in {b.key for b in officer.button}
    leader = open_page("reports", user="leader", lang="en")
    assert not leader.exception and leader.title[0].value == "2026Q3 feedback reports"
    assert "rp_batch" not in {b.key for b in leader.button}


def test_the_annual_page_in_both_languages():
    at = open_page("annual", user="leader")
    assert not at.exception and at.title[0].value == "2026 年度考核"
    table = at.dataframe[0].value
    assert len(table) == 36 and list(table.columns[:3]) == ["总排名", "组内排名", "单位"]
    assert set(table["Q4"]) == {"未发布"}  # not yet published, marked
    en = open_page("annual", user="analyst", lang="en")
    assert not en.exception and en.title[0].value == "2026 annual result"
    assert "Annual total" in en.dataframe[0].value.columns


def test_warnings_on_home_rankings_and_the_units_own_page():
    home = open_page("home", user="leader")
    assert not home.exception and any("红色预警" in m.label or "黄色预警" in m.label for m in home.metric)
    rank = open_page("rankings", user="leader")
    assert any(str(f).startswith(("🔴", "🟡")) for f in rank.dataframe[0].value["提示"])  # the dot leads the flags
    assert any("触发的规则" in df.value.columns and len(df.value) for df in rank.dataframe[1:])
    unit = open_page("unit", user="jd01")
    assert not unit.exception and any("本单位预警" in x for x in texts(unit).splitlines())


def test_publishing_can_open_an_announcement():
    at = open_page("import_data", user="officer")
    at.button(key="imp_publish").click().run()
    assert not at.exception
    assert at.checkbox(key="imp_announce").value is False  # 2026Q3 is announced already
    assert at.date_input(key="imp_announce_until").value is not None
