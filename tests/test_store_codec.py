"""The stored form of a period's inputs is exact: decoding and encoding again gives the same rows
and checksum, whatever the cells hold (hypothesis)."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.inputs import PeriodInputs
from scoring.report import Issue, Severity
from scoring.store import codec

ITEMS = ["总体满意度", "办事便利程度", "Q3"]
cell = st.one_of(st.none(), st.sampled_from(["满意", "比较满意", "不了解"]), st.text(max_size=6),
                 st.integers(-5, 5), st.just(float("nan")))
number = st.one_of(st.floats(allow_nan=True, allow_infinity=False), st.integers(-10**6, 10**6), st.none())
text = st.one_of(st.none(), st.text(max_size=8))


@settings(max_examples=60, deadline=None)
@given(answers=st.lists(st.tuples(text, cell, cell, cell), max_size=15),
       indicators=st.lists(st.tuples(text, st.text(max_size=4), number), max_size=10),
       raters=st.lists(st.one_of(st.none(), st.sampled_from(["JD01", "JD02", "柳河镇"]), st.integers(0, 3)), max_size=8))
def test_decode_then_encode_is_the_identity_on_stored_rows(answers, indicators, raters):
    survey = pd.DataFrame([(f"r{i}", u, "群众", None, *a) for i, (u, *a) in enumerate(answers)],
                          columns=["response_id", "unit_id", "respondent_group", "channel", *ITEMS])
    inputs = PeriodInputs(
        period="2026Q1", units=pd.DataFrame({"unit_id": ["U1"], "unit_name": ["甲"], "unit_type": ["t"], "group": [None]}),
        survey=survey,
        indicators=pd.DataFrame([(u, c, v, "f.xlsx") for u, c, v in indicators], columns=["unit_id", "code", "value", "source"]),
        reverse=pd.DataFrame({"rater": pd.Series(raters, dtype=object), "unit_id": "BM01", "文件会议精简度": "满意"}),
        warnings=[Issue(Severity.WARNING, "f.xlsx", "警告", "warning", sheet="S", row=3, column="B")],
    )
    rows = codec.encode(inputs)
    back = codec.decode("2026Q1", rows, inputs.item_columns(), inputs.criterion_columns(), [],
                        [w.as_json() for w in inputs.warnings])
    assert codec.encode(back) == rows
    assert codec.checksum(codec.encode(back), "m", ITEMS, ["文件会议精简度"]) == codec.checksum(rows, "m", ITEMS, ["文件会议精简度"])
    for (_, *want), got in zip(answers, back.survey[ITEMS].itertuples(index=False), strict=True):
        for w, g in zip(want, got, strict=True):
            if w is None or (isinstance(w, float) and math.isnan(w)):
                assert g is None
            else:
                assert g == w
    assert sorted(back.reverse["rater"].isna()) == sorted(r is None for r in raters)  # rows are re-ordered
    assert back.reverse["rater"].nunique() == len({r for r in raters if r is not None})


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.tuples(text, text, st.one_of(st.none(), st.sampled_from(['"', "\\", "满意", "\u2028", "\n"]))),
                     min_size=1, max_size=40))
def test_checksum_by_column_makes_the_same_bytes_as_row_by_row(rows):
    """The checksum hashes each row's compact JSON; a long table is built by column in Arrow
    (issue 10 §5: a million survey rows took seconds row by row) and must give identical bytes,
    or versions stored before would no longer verify."""
    import json

    long = rows * (codec.FAST_ROWS // len(rows) + 1)
    reference = "".join(json.dumps(list(r), ensure_ascii=False, separators=(",", ":")) + "\n" for r in long).encode()
    assert b"".join(codec._row_lines(long)) == reference


def test_checksum_from_the_survey_columns_equals_the_one_from_its_rows():
    """new_version hashes a long survey from its Arrow columns (encode_with_lines); it must equal the
    hash `verify` recomputes from the stored rows, for awkward text too."""
    n = codec.FAST_ROWS + 7
    odd = ['a"b', "c\\d", "满意", "\u2028", None, "x y"]
    survey = pd.DataFrame({"response_id": pd.Series([f"r{i}" for i in range(n)], dtype="str"),
                           "unit_id": [odd[i % 6] for i in range(n)], "respondent_group": "群众", "channel": None,
                           ITEMS[0]: [odd[(i + 1) % 6] for i in range(n)], ITEMS[1]: "满意", ITEMS[2]: None})
    inputs = PeriodInputs(period="2026Q1", units=pd.DataFrame({"unit_id": ["U1"], "unit_name": ["甲"],
                                                              "unit_type": ["t"], "group": [None]}), survey=survey)
    rows, lines = codec.encode_with_lines(inputs)
    assert "survey" in lines and rows == codec.encode(inputs)
    assert codec.checksum(rows, "m", ITEMS, [], lines) == codec.checksum(rows, "m", ITEMS, [])
