"""Flags and notes are codes plus parameters; every code has words in both languages."""

from __future__ import annotations

import string

import pytest

from scoring import i18n
from scoring.flags import PARAMS, Flag, FlagCode, NoteCode, codes, make

SAMPLE = {"n": 12, "min": 30, "k": 5, "score": 57.784, "floor": 60.0, "tier": "优秀", "tier_en": "Excellent",
          "bonus": 7.0, "cap": 5.0, "raw": 104.5, "dimensions": ["mass", "compliance"],
          "reason": "重大安全事故 / 瞒报", "value": 81.25, "dropped": 3,
          "document": "示容〔2026〕3号", "points": 2.0, "item": "审计整改落实", "target": "一票否决", "target_en": "the veto", "name": "减负成效", "name_en": "Burden reduction",
          "period": "2026Q2", "treated": 4.4067, "skew": 2.87, "kurtosis": 8.61}


def _fields(text: str) -> set[str]:
    return {f.split(":")[0] for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("code", [*FlagCode, *NoteCode])
def test_every_code_has_words_in_both_languages(code):
    zh, en = i18n.FLAG_TEXT[code]
    declared = {p for p in PARAMS[code] if not p.endswith("_en")}
    assert _fields(zh) == _fields(en) == declared
    flag = make(code, **{p: SAMPLE[p] for p in PARAMS[code]})
    assert i18n.flag_text(flag, "zh") != i18n.flag_text(flag, "en")
    if isinstance(code, FlagCode):
        assert i18n.flag_label(code, "zh") != code and i18n.flag_label(code, "en") != code


def test_parameters_are_checked_and_round_trip():
    with pytest.raises(TypeError):
        make(FlagCode.VETO)
    flag = make(FlagCode.VETO, reason="重大安全事故 / 瞒报")
    assert Flag.from_json(flag.as_json()) == flag
    assert i18n.flag_text(flag, "zh") == "一票否决（重大安全事故 / 瞒报）"  # a " / " in data is just text
    assert i18n.flag_json(flag)["en"] == "veto: 重大安全事故 / 瞒报"
    assert codes([flag]) == ["veto"] and codes(None) == []


def test_english_data_values_are_used_in_english():
    flag = make(FlagCode.QUOTA, tier="良好", tier_en="Good")
    assert i18n.flag_text(flag, "en") == "beyond the tier quota: Good"
    assert i18n.flag_text(make(FlagCode.QUOTA, tier="良好", tier_en=""), "en") == "beyond the tier quota: 良好"
    assert i18n.flag_text(make(FlagCode.INCOMPLETE, dimensions=["performance"]), "zh") == "缺少实绩数据，不排名、不评等次"


def test_english_counts_of_one_are_singular():
    """Issue 15 §7: "only 1 reverse-evaluation raters" (the count is data, the noun is not)."""
    one = make(FlagCode.REVERSE_GROUP_MEAN, n=1, k=5, value=80.0)
    assert i18n.flag_text(one, "en") == "only 1 reverse-evaluation rater (fewer than 5): the group's mean 80.00 counts"
    assert "only 3 reverse-evaluation raters" in i18n.flag_text(make(FlagCode.REVERSE_GROUP_MEAN, n=3, k=5, value=1.0), "en")
    assert i18n.flag_json(one)["zh"].startswith("基层评议仅 1 个评议单位")


def test_unknown_labels_show_as_the_code():
    assert i18n.flag_label("something_new", "en") == "something_new"
