"""Regression tests for the store (issue 4), the dashboard (issue 5) and the sensitivity page
(issue 6): each test's docstring states the rule it guards."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from scoring.service import Service
from scoring.store import Store
from tests.actors import staff
from tests.apptest import open_page
from tests.store_fixtures import MODEL, make_inputs, units_frame

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- helpers
def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/review.db"


def _publish(store: Store, inputs) -> None:
    service = Service(store, staff("tester"))
    v = service.store_inputs(MODEL, inputs)
    service.publish(inputs.period, v.number, reason="测试发布")


def _app(monkeypatch, url: str, page: str = "home", lang: str = "zh", **state) -> AppTest:
    monkeypatch.setenv("SANWEI_DATABASE_URL", url)
    monkeypatch.setenv("SANWEI_DEMO", "1")
    return open_page(page, lang, **state)


def _errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception]


# ---------------------------------------------------------------- 1. every flag shows on the pages
@pytest.fixture
def uncategorised_store(tmp_path):
    """A published quarter whose survey has a few respondents outside the model's respondent
    categories, so their units are flagged `uncategorised`."""
    url = _url(tmp_path)
    inp = make_inputs("2026Q1")
    inp.survey.loc[inp.survey.index[:5], "respondent_group"] = "路人"  # not in [survey.respondent_groups]
    with Store(url) as store:
        _publish(store, inp)
        flags = store.results("2026Q1")["flags"]
    assert any(f.code == "uncategorised" for fl in flags for f in fl)
    return url


@pytest.mark.parametrize("page", ["rankings", "unit"])
def test_uncategorised_flag_does_not_crash_the_page(monkeypatch, uncategorised_store, page):
    """A unit flagged `uncategorised` shows on the rankings and unit pages without an exception."""
    at = _app(monkeypatch, uncategorised_store, page, unit_pick="U0001", unit_id="U0001")
    assert not at.exception, _errors(at)


# ---------------------------------------------------------------- 2. pages on edge data


def _all_incomplete_store(url: str) -> None:
    """A published quarter in which no unit has performance data: every unit is incomplete."""
    inp = make_inputs("2026Q1")
    inp.indicators = inp.indicators.iloc[0:0]
    with Store(url) as store:
        _publish(store, inp)
        assert (store.results("2026Q1")["status"] != "ok").all()


def test_weights_page_survives_a_quarter_with_no_complete_unit(monkeypatch, tmp_path):
    """With no complete unit in the quarter there is nothing to rank: the weights page still opens
    without an exception."""
    page = "weights"
    url = _url(tmp_path)
    _all_incomplete_store(url)
    at = _app(monkeypatch, url, page)
    assert not at.exception, _errors(at)


def test_home_headline_shows_no_nan_when_no_unit_is_complete(monkeypatch, tmp_path):
    """With no complete unit in the quarter, Home opens and no headline metric reads 'nan'."""
    url = _url(tmp_path)
    _all_incomplete_store(url)
    at = _app(monkeypatch, url, "home")
    assert not at.exception, _errors(at)
    assert all(str(m.value).lower() != "nan" for m in at.metric), [m.value for m in at.metric]


# ---------------------------------------------------------------- 3. change vs the previous quarter
def _gap_store(url: str) -> None:
    """Three published quarters; U0012 is absent from the middle one (e.g. merged away and restored)."""
    full = units_frame(12)
    with Store(url) as store:
        _publish(store, make_inputs("2026Q1", units=full, variant=0))
        _publish(store, make_inputs("2026Q2", units=full[full["unit_id"] != "U0012"].reset_index(drop=True),
                                    variant=1))
        _publish(store, make_inputs("2026Q3", units=full, variant=2))


def test_history_change_is_vs_the_previous_quarter_not_an_older_one(tmp_path):
    """Change is against the previous quarter only (Issue 4 §6): a unit absent from 2026Q2 has no
    2026Q3 score or rank change, in history() as in rankings()."""
    url = _url(tmp_path)
    _gap_store(url)
    with Store(url) as store:
        h = store.history("U0012").set_index("period")
        r = store.rankings("2026Q3").set_index("unit_id")
    assert list(h.index) == ["2026Q1", "2026Q3"]
    assert pd.isna(r.loc["U0012", "delta_total"])
    assert pd.isna(h.loc["2026Q3", "delta_total"]), h.loc["2026Q3", ["total", "delta_total"]]
    assert pd.isna(h.loc["2026Q3", "rank_change"])


def test_group_view_arrow_follows_the_group_rank_it_is_shown_next_to(tmp_path):
    """With a comparison group chosen, the change arrow follows the group rank the table shows, not
    the overall rank (Issue 5 §4)."""
    from scoring import views

    url = _url(tmp_path)
    with Store(url) as store:
        _publish(store, make_inputs("2026Q1", n_units=30, variant=0))
        _publish(store, make_inputs("2026Q2", n_units=30, variant=1))
        rk = store.rankings("2026Q2")
        prev = store.results("2026Q1").set_index("unit_id")["rank_group"]
    group = rk["group"].iloc[0]
    view = views.ranking_view(rk, group).set_index("unit_id")
    expected = (prev.reindex(view.index).astype("Int64") - view["rank_group"]).map(views.change_arrow)
    wrong = view.index[view["change"] != expected]
    assert wrong.empty, view.loc[wrong, ["rank_group", "rank_overall", "change"]].assign(group_change=expected[wrong])


# ---------------------------------------------------------------- 4. English pages have no Chinese
def _small_store(url: str) -> None:
    with Store(url) as store:
        _publish(store, make_inputs("2026Q1", variant=0))
        _publish(store, make_inputs("2026Q2", variant=1))


def test_english_ternary_unit_map_shows_english_grades(monkeypatch, tmp_path):
    """In English, the per-unit ternary map's hover text shows no Chinese grade labels (Issue 5 §1,
    issue 6 §3)."""
    import json

    url = _url(tmp_path)
    _small_store(url)
    at = _app(monkeypatch, url, "weights", lang="en")
    assert not at.exception, _errors(at)
    zh = {t.label for t in MODEL.grades.tier}
    texts = set()
    for c in at.get("plotly_chart"):
        for trace in json.loads(c.proto.spec)["data"]:
            if trace.get("type") == "scatterternary" and isinstance(trace.get("text"), list):
                texts |= set(trace["text"])
    assert texts, "no per-unit ternary map found"
    assert not texts & zh, texts


def test_english_home_model_text_has_no_chinese_separator(monkeypatch, tmp_path):
    """In English, Home's model text lists the grades (Excellent ≥ 90, …) with no Chinese
    separator '、'."""
    url = _url(tmp_path)
    _small_store(url)
    at = _app(monkeypatch, url, "home", lang="en")
    assert not at.exception, _errors(at)
    text = "\n".join(m.value for m in at.markdown)
    assert "Excellent" in text and "、" not in text


# ---------------------------------------------------------------- 5. periods are YYYYQn
def test_cli_import_rejects_a_malformed_period(tmp_path, capsys):
    """`sanwei import` takes only a YYYYQn period: `--period 2026q2` exits 1 and stores nothing, as
    periods are ordered as strings and another form would fall out of quarter and year order."""
    from scoring.cli import main

    url = _url(tmp_path)
    demo = ROOT / "data" / "demo"
    files = [str(demo / "units.xlsx"), *map(str, sorted(demo.glob("2026Q2_*.xlsx")))]
    code = main(["import", "--db", url, "--period", "2026q2", *files])
    with Store(url) as store:
        stored = list(store.periods()["period"])
    assert code == 1 and stored == [], stored


# ---------------------------------------------------------------- 6. the rankings page's Excel download
def _capture_downloads(monkeypatch) -> dict[str, object]:
    """Record the deferred download callables a page registers (file name -> callable)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    seen: dict[str, object] = {}
    real = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        seen[file_name] = data_callable
        return real(self, data_callable, mimetype, coordinates, file_name, **kw)
    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return seen


def test_rankings_excel_download_is_formatted(monkeypatch, tmp_path):
    """The rankings page's Excel download is formatted (Issue 5 §4): scores have a number format and
    grades are coloured, as in `sanwei export`."""
    from io import BytesIO

    import openpyxl

    url = _url(tmp_path)
    _small_store(url)
    seen = _capture_downloads(monkeypatch)
    at = _app(monkeypatch, url, "rankings")
    assert not at.exception, _errors(at)
    name = next(n for n in seen if n and n.endswith("_ranking.xlsx"))
    data = seen[name]()
    wb = openpyxl.load_workbook(BytesIO(data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    total = ws.cell(2, header.index("总分") + 1)
    assert total.number_format != "General", "scores written without a number format"
    grades = [row[header.index("等次")] for row in ws.iter_rows(min_row=2) if row[header.index("等次")].value]
    assert grades and all(c.fill.fgColor.rgb not in (None, "00000000") for c in grades), "grades not coloured"



# ---------------------------------------------------------------- 7. weights page: three sliders
def test_weights_page_has_three_dimension_sliders(monkeypatch, tmp_path):
    """The weights page has a slider for each of the three dimensions (Issue 5 §6), compliance
    included."""
    url = _url(tmp_path)
    _small_store(url)
    at = _app(monkeypatch, url, "weights")
    assert not at.exception, _errors(at)
    labels = {s.label for s in at.slider}
    assert {"群众评价", "实绩数据", "过程合规"} <= labels, labels


def test_weights_page_starts_at_the_official_weights_when_they_are_not_whole_percents(monkeypatch, tmp_path):
    """The weights page opens on the official weights even when they are not whole percents
    (42.5/37.5/20): it shows the official-weights banner, not a what-if."""
    from scoring.model import model_from_dict

    data = MODEL.model_dump(mode="json", exclude_none=True)
    data["dimensions"] = {"mass": 0.425, "performance": 0.375, "compliance": 0.2}
    model = model_from_dict(data)
    url = _url(tmp_path)
    with Store(url) as store:
        service = Service(store, staff("tester"))
        inp = make_inputs("2026Q1")
        service.publish("2026Q1", service.store_inputs(model, inp).number, reason="测试发布")
    at = _app(monkeypatch, url, "weights")
    assert not at.exception, _errors(at)
    assert any("当前为正式权重" in i.value for i in at.info), [w.value for w in at.warning]
