"""The application service's guards (issue 10 §1, §4): one import at a time per server process, and
no publication whose reverse ratings let two published versions reveal a rater by differencing."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from scoring import anonymity
from scoring.service import DifferencingRefused, ImportBusy, one_import
from tests.store_fixtures import MODEL, make_inputs

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
CRITERIA = list(MODEL.reverse.criteria)
K = MODEL.reverse.min_raters


def ratings(raters: list[str], dept: str, answers: dict[str, str] | None = None) -> pd.DataFrame:
    answers = answers or {}
    return pd.DataFrame([{"rater": r, "unit_id": dept, **{c: answers.get(r, "满意") for c in CRITERIA}} for r in raters])


def with_reverse(period: str, reverse: pd.DataFrame):
    inputs = make_inputs(period)
    inputs.reverse = reverse
    return inputs


def department(inputs) -> str:
    return inputs.units.loc[inputs.units["unit_type"] == "市直部门", "unit_id"].iloc[0]


def test_an_import_waits_for_no_one_it_is_told_another_is_running(service):
    """Two officers importing at once on one server: the second is told to try again, at once."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with one_import():
            held.set()
            release.wait(30)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(30)
    try:
        files = [("units.xlsx", DEMO / "units.xlsx")]
        with pytest.raises(ImportBusy) as err:
            service.check_uploads("2026Q3", files)
        assert "Another import is running" in err.value.get("en")
        with pytest.raises(ImportBusy):
            service.import_files("2026Q3", files)
    finally:
        release.set()
        other.join()
    previews, inputs, report = service.check_uploads("2026Q3", [("units.xlsx", DEMO / "units.xlsx")])
    assert report.ok and "table" not in previews[0]


def test_publishing_v2_with_one_more_rater_than_published_v1_is_refused(service, store):
    """v1 (5 raters) and v2 (the same 5 and a 6th) both published would reveal the 6th rater's score
    as 6·s2 − 5·s1 (issue 10 §4): v2 is refused with the reason; v3, whose 5 raters all differ from
    v1's (a difference of 10 ratings), is not."""
    base = make_inputs("2026Q1")
    dept = department(base)
    towns = list(base.units.loc[base.units["unit_type"] != "市直部门", "unit_name"])
    v1 = service.store_inputs(MODEL, with_reverse("2026Q1", ratings(towns[:5], dept)))
    service.publish("2026Q1", v1.number, "测试发布")
    v2 = service.store_inputs(MODEL, with_reverse("2026Q1", ratings(towns[:6], dept, {towns[5]: "不满意"})))
    with pytest.raises(DifferencingRefused) as err:
        service.publish("2026Q1", v2.number, "测试发布")
    assert f"fewer than {K} raters" in err.value.get("en") and "1 rater(s) apart" in err.value.get("en")
    assert store.version("2026Q1").number == v1.number  # nothing changed
    v3 = service.store_inputs(MODEL, with_reverse("2026Q1", ratings(towns[:5], dept, dict.fromkeys(towns[:5], "不满意"))))
    assert service.publish("2026Q1", v3.number, "测试发布").number == v3.number
    assert service.publish("2026Q1", v1.number, "测试发布").number == v1.number  # rolling back to a published one reveals nothing new


def test_a_changed_answer_of_one_rater_is_a_difference_of_two():
    rows = ratings(["甲", "乙", "丙", "丁", "戊"], "D1")
    changed = rows.copy()
    changed.loc[0, CRITERIA[0]] = "不满意"
    [d] = anonymity.differences(changed.assign(rater=range(5)), rows.assign(rater=[4, 3, 2, 1, 0]), CRITERIA, K)
    assert (d.unit_id, d.raters) == ("D1", 2)
    assert anonymity.differences(rows.assign(rater=range(5)), rows.assign(rater=[3, 1, 0, 4, 2]), CRITERIA, K) == []
    four = rows.iloc[:4].assign(rater=range(4))  # suppressed (< k raters): no published score to difference
    assert anonymity.differences(rows.assign(rater=range(5)), four, CRITERIA, K) == []
