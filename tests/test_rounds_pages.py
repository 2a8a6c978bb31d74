"""The online rating pages in AppTest: the officer's round page (create, print, open, close, results,
feed a quarter), the ballot page signed out (answer, submit, refused again), the source on the reverse page."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scoring.rounds import RoundStatus
from scoring.service import Service
from scoring.store import Store
from tests.actors import staff
from tests.apptest import open_page

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rounds")
    mp = pytest.MonkeyPatch()
    url = f"sqlite:///{tmp}/sanwei.db"
    mp.setenv("SANWEI_DATABASE_URL", url)
    mp.setenv("SANWEI_DEMO", "1")
    open_page("home")  # fills the demo store
    yield url
    mp.undo()


def officer(url: str) -> Service:
    return Service(Store(url), staff("wang"))


def questions(at: AppTest) -> list:
    return [r for r in at.radio if str(r.key).startswith("ballot_")]


def ballot_page(token: str, lang: str = "zh") -> AppTest:
    """The ballot page as a signed-out phone opens it from a QR code."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["_lang"] = lang
    at.query_params["t"] = token
    at.run()
    at.switch_page("app_pages/ballot.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def new_round(url: str, raters: int = 6, per_unit: bool = True):
    s = officer(url)
    roster = s.store.roster()
    depts = list(roster.loc[roster["unit_type"] == "市直部门", "unit_id"])[:3]
    towns = list(roster.loc[roster["unit_type"] != "市直部门", "unit_id"])[:raters]
    spec = s.round_spec("2026Q3", depts, {u: 2 for u in towns}, date.today(), date.today() + timedelta(days=3), per_unit)
    round_id, tokens = s.create_round(spec)
    s.open_round(round_id)
    return s, round_id, tokens, depts, towns


def test_the_officer_creates_a_round_and_gets_one_pdf_per_rater_unit(url):
    at = open_page("rounds")
    assert not at.exception
    form = at.tabs[1]
    form.text_input[0].set_value("2026Q3")
    form.button[0].click().run()  # the form's submit button
    assert not at.exception, [e.value for e in at.exception]
    fresh = at.session_state["_round_sheets"]
    round_id, data, n = fresh
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = z.namelist()
        assert files and all(f.endswith(".pdf") for f in files)
        assert z.read(files[0]).startswith(b"%PDF")
    rnd = officer(url).store.round(round_id)
    assert len(files) == len(rnd.raters) and n == 10 * len(rnd.raters) and rnd.status == RoundStatus.DRAFT
    assert any("第" in s.value and str(round_id) in s.value for s in at.success)


def test_a_phone_casts_a_ballot_once_without_signing_in(url):
    s, round_id, tokens, depts, towns = new_round(url)
    token = tokens[towns[0]][0]
    at = ballot_page(token)
    assert len(questions(at)) == 3 * len(depts) and all(r.value is None for r in questions(at))
    at.button[0].click().run()  # nothing answered: refused, token not spent
    assert at.error and "每个部门" in at.error[0].value
    for r in questions(at):
        r.set_value(r.options[1])
    at.button[0].click().run()
    assert not at.exception and at.success and "已提交" in at.success[0].value
    assert s.round_participation(round_id).set_index("unit_id").loc[towns[0], "cast"] == 1
    again = ballot_page(token, "en")
    assert again.error and "already been used" in again.error[0].value and not questions(again)
    assert "not valid" in ballot_page("x" * 27, "en").error[0].value


def test_results_feed_the_quarter_and_the_reverse_page_names_the_source(url):
    s, round_id, tokens, depts, towns = new_round(url)
    for town in towns:
        Service.submit_ballot(s.store, tokens[town][0], {d: ["满意", "比较满意", "满意"] for d in depts}, "t")
    at = open_page("rounds", round_pick=round_id)
    assert any("结束后" in i.value for i in at.info)  # open: no results
    s.close_round(round_id)
    at = open_page("rounds", round_pick=round_id)
    assert not at.exception
    shown = at.dataframe[-1].value
    assert len(shown) == len(depts)
    at.button(key="round_apply").click().run()
    assert not at.exception and at.success
    v = s.store.versions("2026Q3")[-1]
    s.publish("2026Q3", v.number, reason="计入网上评议")
    page = open_page("reverse", period="2026Q3")
    assert not page.exception
    assert any(f"网上匿名评议第 {round_id} 轮" in c.value for c in page.caption)
