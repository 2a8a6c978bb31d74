"""The formalism screen matches families, not strings (SPEC 2.3, issue 13 §3).

One table of header variants: word-order variants of meeting, document, ledger, trace, check-in,
bulletin, report, study and social-media measures must match; look-alikes that measure results
(a rate, an outcome of a meeting, a document's legality) must not.
"""

import tomllib

import pandas as pd
import pytest

from scoring import formalism
from scoring.importer import read_period
from scoring.model import ModelError, default_model_toml, model_from_dict

POSITIVE = [
    # meetings, in any order, 召开/开会, counts in words or units
    "会议次数", "会议召开次数", "召开会议次数", "召开会议（次）", "开会数量", "全年开会次数", "会议数", "会议场次",
    "召开各类会议次数", "会议频次", "视频会议召开次数", "座谈会场次", "党组会议召开数量", "部署会召开次数", "开会次",
    "例会次数（次）", "召开专题会议次数",
    # documents
    "发文数量", "印发文件数量", "文件数量（件）", "发文数", "公文数量", "印发文件件数", "下发文件份数", "文件印发数量",
    "以县委名义印发的文件数量",
    # ledgers and material
    "台账页数", "台账页数（页）", "台账厚度", "台账资料厚度", "材料份数", "材料数量", "汇报材料页数", "页数",
    "【台账】页数", "档案盒数", "台账（本）",
    # traces, photos, check-ins
    "拍照留痕", "工作留痕", "痕迹管理", "照片数量", "照片张数", "工作群打卡次数", "打卡", "签到率", "拍照上传次数",
    # bulletins and reports
    "简报数量", "简报期数", "印发简报", "信息报送数量", "信息报送", "信息报送（条）", "政务信息采用数", "信息报送得分",
    # study
    "学习时长", "学习积分", "学习笔记", "学习强国积分", "理论学习时长（小时）", "读书笔记篇数",
    # likes, shares, views
    "点赞数", "转发量", "阅读量", "浏览量", "公众号粉丝数",
    # English
    "meeting count", "Number of meetings held", "meetings held", "documents issued", "number of documents",
    "ledger pages", "photos uploaded", "check-ins", "study hours", "likes", "shares", "views",
    # full-width and spaced variants
    "会议　召开　次数", "ＭＥＥＴＩＮＧ ＣＯＵＮＴ",
]

NEGATIVE = [
    # look-alikes: results, rates and procedures, not amounts of paperwork
    "安全生产培训覆盖率", "会议决定事项落实率", "规范性文件合法性审查", "重大决策履行民主程序", "突发事件信息报送及时率",
    "安全隐患台账销号率", "社会治安状况", "文件会议精简度", "多表合一精简报表数", "会议较年度计划压减比例", "工作指导有效性", "考核方式合理性", "会议决定事项落实数量",
    "规范性文件备案审查率", "会议室使用率", "文件数字化率", "建筑材料抽检合格率", "发文较年度计划压减比例",
    # the default model's substantive names
    "新增市场主体数", "群众诉求重复投诉率", "信访积案化解率", "一般公共预算收入增速", "12345热线按时办结率",
    "政务服务好评率", "涉企办件超期率", "生产安全事故起数", "矛盾纠纷调解成功率", "固定资产投资完成率",
    "总体满意度", "干部工作作风", "政务公开透明", "依法依规信息公开", "审计整改落实", "行政执法规范",
    "数字化治理", "社会组织数量", "学校数量", "market share", "tax revenue share", "meeting decisions implemented (%)",
]


def test_the_table_is_large_enough():
    assert len(POSITIVE) + len(NEGATIVE) >= 60
    assert len(POSITIVE) >= 40 and len(NEGATIVE) >= 30
    assert not set(POSITIVE) & set(NEGATIVE)


@pytest.mark.parametrize("header", POSITIVE)
def test_formalism_variants_match(header):
    assert formalism.match(header), header
    family, text = formalism.find(header)
    assert family.zh and family.en and text


@pytest.mark.parametrize("header", NEGATIVE)
def test_look_alikes_do_not_match(header):
    assert formalism.match(header) is None, (header, formalism.match(header))


def test_the_match_shows_the_words_it_found():
    assert formalism.match("会议召开次数") == "会议召开次数"
    assert formalism.match("全年召开各类会议次数（次）") in ("召开各类会议次数", "会议次数")
    family, _ = formalism.find("印发文件件数")
    assert family.key == "documents"


def _model_dict() -> dict:
    return tomllib.loads(default_model_toml().decode("utf-8"))


def test_a_word_order_variant_with_a_weight_is_a_model_error():
    """会议召开次数 with weight 0.1 was accepted by the validator before the screen matched families."""
    data = _model_dict()
    ind = next(i for i in data["performance"]["indicator"] if i["code"] == "SAF04")
    ind["name"] = "会议召开次数"
    with pytest.raises(ModelError) as raised:
        model_from_dict(data)
    [problem] = [p for p in raised.value.problems if p.where == "performance.SAF04"]
    assert "会议召开次数" in problem.message_zh and "substantive" in problem.message_en
    assert "meeting counts" in problem.message_en and "会议次数" in problem.message_zh


def test_the_override_with_a_reason_is_unchanged(tmp_path):
    """An indicator that matches the screen is scored only when the model marks it substantive, and
    the import lists it with that reason beside the columns it excludes."""
    data = _model_dict()
    ind = next(i for i in data["performance"]["indicator"] if i["code"] == "SAF04")
    ind["name"] = "违规召开会议次数"
    with pytest.raises(ModelError):
        model_from_dict(data)
    ind["substantive"] = "统计违反“四不开”的会议 / counts meetings held against the rules"
    model = model_from_dict(data)
    units = pd.DataFrame({"单位编码": ["JD01", "JD02"], "单位名称": ["青山街道", "东湖街道"],
                          "单位类型": ["乡镇街道"] * 2, "考核组别": ["城区街道"] * 2})
    values = pd.DataFrame({"单位编码": ["JD01", "JD02"], "违规召开会议次数": [1, 0], "会议召开次数": [30, 12]})
    files = []
    for name, df in (("units.xlsx", units), ("ind.xlsx", values)):
        df.to_excel(tmp_path / name, index=False)
        files.append((name, tmp_path / name))
    inputs, report = read_period(model, "2026Q3", files)
    assert report.ok, report.to_text("en")
    assert set(inputs.indicators["code"]) == {"SAF04"}
    shown = {e.column: e for e in inputs.excluded}
    assert shown["违规召开会议次数"].overridden and "四不开" in shown["违规召开会议次数"].reason.zh
    assert not shown["会议召开次数"].overridden and "不计分" in shown["会议召开次数"].reason.zh
