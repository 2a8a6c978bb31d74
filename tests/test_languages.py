"""One language at a time (issue 15 §5): the model's English names, bilingual texts split,
workbooks downloaded from the dashboard under sheet names and headers of the chosen language."""

import pandas as pd
import pytest

from scoring import sensitivity, views
from scoring.export import localised_details
from scoring.model import load_model
from scoring.pipeline import score_period
from scoring.report import in_language
from tests.test_importer import MODEL, demo_files, read_period


@pytest.fixture(scope="module")
def result():
    inputs, report = read_period(MODEL, "2026Q3", demo_files())
    assert report.ok
    return score_period(MODEL, inputs)


def test_every_name_of_the_default_model_has_an_english_one():
    m = load_model()
    named = [m.model, *m.group, *m.nodes.values(), *m.indicators.values(), *m.compliance.item,
             *m.burden_measures.values(), *m.survey.item]
    assert all(n.name_en for n in named) and all(a.label_en for a in m.survey.answer)
    assert len(m.reverse.criteria_en) == len(m.reverse.criteria)
    assert m.name_in("城区街道", "en") == "Urban subdistricts" and m.name_in("城区街道", "zh") == "城区街道"
    assert m.name_in("青山街道", "en") == "青山街道"  # data has no English name: shown as it is


def test_a_bilingual_text_shows_one_language():
    assert in_language("单位名录中的编码或名称 / a roster code or name", "en") == "a roster code or name"
    assert in_language("单位名录中的编码或名称 / a roster code or name", "zh") == "单位名录中的编码或名称"
    assert in_language("2026-03-05 / 2026年3月5日", "en") == "2026-03-05 / 2026年3月5日"  # two spellings, not languages
    assert in_language(None, "en") is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_result_workbook_details_follow_the_language(result, lang):
    sheets = localised_details(result, lang)
    words = {"zh": ("明细", "群众评价", "满意率", "工作指导有效性"),
             "en": ("Breakdown", "Survey", "Satisfaction rate", "Useful guidance")}[lang]
    assert words[0] in sheets and words[1] in sheets
    headers = {h for df in sheets.values() for h in df.columns}
    assert words[2] in headers and words[3] in headers
    assert not {"message_zh", "satisfaction_rate", "n_valid", "unit_name"} & headers


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_analysis_workbook_follows_the_language(result, lang):
    inp = sensitivity.SensitivityInput.from_result(result)
    parts = {**sensitivity.monte_carlo(inp, 50).to_frames(), **sensitivity.sweep(inp, "mass").to_frames()}
    sheets = views.analysis_frames(parts, lang, MODEL)
    expect = {"zh": ("蒙特卡洛-单位", "扫描-群众评价", "名次 5% 分位", "保持优秀的概率"),
              "en": ("Monte Carlo units", "Sweep Mass evaluation", "Rank 5th percentile", "P(Excellent)")}[lang]
    assert {expect[0], expect[1]} <= set(sheets)
    head = list(sheets[expect[0]].columns)
    assert expect[2] in head and expect[3] in head and "rank_p05" not in head
    assert all(len(s) <= 31 for s in sheets) and pd.Series(list(sheets)).is_unique


def test_a_ranking_grade_says_what_set_it_and_changes_share_a_cell(result):
    """The quota reason was only on the unit page (issue 15 §4): the ranking's grade cell says it."""
    units = result.units.set_index("unit_id")
    quota = next(u for u, fs in units["flags"].items() if any(f.code == "quota" for f in fs))
    assert views.grade_reasons(units.at[quota, "flags"], "en") == ["quota"]
    assert views.grade_reasons(units.at[quota, "flags"], "zh") == ["名额"] and "名额" in views.reason_words("zh")
    assert views.grade_reasons([], "zh") == []
    assert views.change_text(3, 1.254) == "▲3 +1.25" and views.change_text(None, None) == ""
