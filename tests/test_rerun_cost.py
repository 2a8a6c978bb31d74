"""What a page rerun costs the server: the store is asked for the account and the publication
state only, nothing is scored again, and a publication is seen at the next run (ui/shared.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from scoring import pipeline
from scoring.service import Service
from scoring.store import Store
from tests.actors import staff
from tests.apptest import open_page
from tests.store_fixtures import MODEL, make_inputs
from ui.shared import CACHE

MAX_STATEMENTS = 7  # the account and its roles (2), the publication state (3), the two transactions' BEGIN (SQLite)


@pytest.fixture
def demo(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/sanwei.db"
    monkeypatch.setenv("SANWEI_DATABASE_URL", url)
    monkeypatch.setenv("SANWEI_DEMO", "1")
    return url


@pytest.fixture
def counted(monkeypatch):
    """Counts SQL statements and scoring runs while the test runs."""
    seen = {"sql": [], "score": 0}

    def statement(conn, cursor, sql, *args):
        seen["sql"].append(sql.split()[0])
    event.listen(Engine, "before_cursor_execute", statement)
    real = pipeline.score_period

    def score(*a, **k):
        seen["score"] += 1
        return real(*a, **k)
    monkeypatch.setattr(pipeline, "score_period", score)
    yield seen
    event.remove(Engine, "before_cursor_execute", statement)


@pytest.mark.parametrize("page", ["rankings", "home", "unit"])
def test_a_rerun_reads_two_small_things_and_scores_nothing(demo, counted, page):
    at = open_page(page, user="leader")
    assert not at.exception
    counted["sql"].clear()
    counted["score"] = 0
    for _ in range(3):
        at.run()
        assert not at.exception
    selects = [s for s in counted["sql"] if s.upper() == "SELECT"]
    assert len(counted["sql"]) <= 3 * MAX_STATEMENTS, counted["sql"]
    assert len(selects) <= 3 * 5 and counted["score"] == 0


def test_shared_results_are_loaded_once_and_a_publication_is_seen_at_the_next_run(demo, counted):
    CACHE.clear()
    first = open_page("rankings", user="leader")
    second = open_page("rankings", user="analyst")  # another session: the same copy
    assert CACHE.loads.get("result") == 1 and CACHE.loads.get("rankings", 0) >= 1
    loads = dict(CACHE.loads)
    first.run()
    second.run()
    assert CACHE.loads == loads
    assert "2026Q3 已发布第 1 版" in " ".join(c.value for c in first.sidebar.caption)
    with Store(demo) as store:  # another process publishes a new version
        service = Service(store, staff("li"), MODEL)
        units = store.roster("2026Q3")
        v = service.store_inputs(MODEL, make_inputs("2026Q3", units=units, seed=3))
        service.publish("2026Q3", v.number, "更正后重新发布")
    first.run()
    assert "2026Q3 已发布第 2 版" in " ".join(c.value for c in first.sidebar.caption)
    assert CACHE.loads["result"] == 2 and counted["score"] >= 1  # the new version, once
