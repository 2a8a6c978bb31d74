"""Cell cleaning: the spellings a person calls "the same number" or "the same text" agree."""

import pandas as pd
import pytest

from scoring.cells import clean_text, parse_numbers


def test_clean_text_normalises_and_reports_control_characters():
    raw = pd.Series(["　城关镇 ", "Ｕ０１", "U02\x07", "\u202e58", "", "  ", None, "a\nb"], dtype=object)
    clean, control = clean_text(raw)
    assert clean.tolist()[:4] == ["城关镇", "U01", "U02", "58"]
    assert clean.iloc[4:7].isna().all()
    assert clean.iloc[7] == "a\nb"
    assert control.tolist() == [False, False, True, True, False, False, False, False]


@pytest.mark.parametrize("text, value", [
    ("85", 85.0), ("８５", 85.0), (" 85.5 ", 85.5), ("85%", 85.0), ("85 %", 85.0), ("８５％", 85.0),
    ("1,234.5", 1234.5), ("１，２３４", 1234.0), ("12,345,678", 12345678.0), ("−3", -3.0), ("-0.5", -0.5),
    ("+2", 2.0), (".5", 0.5), ("1e3", 1000.0), ("1.2E-2", 0.012),
])
def test_parse_numbers_accepts(text, value):
    floats, bad = parse_numbers(pd.Series([text]))
    assert floats.iloc[0] == pytest.approx(value)
    assert not bad.iloc[0]


@pytest.mark.parametrize("text", ["abc", "1,2", "12,34", "nan", "inf", "85%%", "1.2.3", "--1", "%", "一百"])
def test_parse_numbers_flags_bad_cells(text):
    floats, bad = parse_numbers(pd.Series([text]))
    assert bad.iloc[0] and pd.isna(floats.iloc[0])


def test_parse_numbers_blanks_are_missing_not_bad():
    floats, bad = parse_numbers(pd.Series([None, "", "  ", float("nan")], dtype=object))
    assert floats.isna().all() and not bad.any()
    assert floats.dtype == "float64" and bad.dtype == bool


def test_parse_numbers_keeps_index_and_numbers():
    series = pd.Series([1.5, 2, "3"], index=[10, 11, 12], dtype=object)
    floats, bad = parse_numbers(series)
    assert floats.tolist() == [1.5, 2.0, 3.0] and list(floats.index) == [10, 11, 12] and not bad.any()
