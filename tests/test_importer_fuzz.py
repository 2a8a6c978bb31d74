"""Whatever lands in a sheet, the importer answers with inputs or a located report — never an exception."""

import string

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.importer import read_period
from scoring.model import load_model

MODEL = load_model()
HEADERS = ["单位编码", "单位名称", "单位类型", "考核组别", "问卷编号", "总体满意度", "税收收入占比", "重大决策履行民主程序",
           "加分", "一票否决", "被评部门", "文件会议精简度", "台账页数", "random"]
CELL = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(alphabet=string.printable + "满意不了解通过部分街道镇局%，　", max_size=12),
                 st.sampled_from(["JD01", "青山街道", "满意", "较满意", "85%", "通过", "市级、省级", "=1+1", "乡镇街道", "城区街道"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(headers=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
       rows=st.lists(st.lists(CELL, min_size=8, max_size=8), max_size=6),
       ext=st.sampled_from(["xlsx", "csv"]))
def test_random_sheets_never_raise(tmp_path, headers, rows, ext):
    frame = pd.DataFrame([r[: len(headers)] for r in rows], columns=headers, dtype=object)
    path = tmp_path / f"f.{ext}"
    if ext == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_excel(path, index=False)
    roster = pd.DataFrame({"unit_id": ["JD01"], "unit_name": ["青山街道"], "unit_type": ["乡镇街道"], "group": ["城区街道"]})
    inputs, report = read_period(MODEL, "2026Q3", [(path.name, path)], roster=roster)
    assert (inputs is None) == (not report.ok)
    for issue in report.errors:
        assert issue.file == path.name and issue.message_zh and issue.message_en
