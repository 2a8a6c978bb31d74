"""Online rating rounds (issue 17): rounds, one-time tokens, refusals, rate limiting, results past k,
and the round feeding scoring exactly like imported reverse ratings. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from scoring.auth import PermissionDenied, Role
from scoring.pipeline import score_period
from scoring.rounds import BallotRefused, Refusal, RoundStatus, rating_frame, token_hash
from scoring.service import InvalidRequest, Service
from tests.actors import role
from tests.store_fixtures import MODEL, make_inputs

TODAY = date.today()
LABELS = [a.label for a in MODEL.survey.answer]
CRITERIA = list(MODEL.reverse.criteria)
K = MODEL.reverse.min_raters


def client() -> str:
    return f"test-{uuid.uuid4().hex}"  # a fresh address per test: the limiter is per process


@pytest.fixture
def quarter(service):
    """2026Q3 imported and published: 4 departments (D) and 8 townships (T) in the roster."""
    inputs = make_inputs("2026Q3", n_units=12, per_unit=4)
    v = service.store_inputs(MODEL, inputs)
    service.publish("2026Q3", v.number, reason="测试发布")
    units = inputs.units
    return (list(units.loc[units["unit_type"] == "市直部门", "unit_id"]),
            list(units.loc[units["unit_type"] != "市直部门", "unit_id"]))


def make_round(service, depts, raters, per_unit=True, ballots=2, opens=TODAY, closes=TODAY + timedelta(days=7),
               period="2026Q3"):
    spec = service.round_spec(period, depts, {u: ballots for u in raters}, opens, closes, per_unit)
    return service.create_round(spec)


def ballot(depts, n: int = 0) -> dict:
    """Ratings that name `n` (so the tests can recognise a ballot in the database)."""
    digits = list(itertools.islice(itertools.cycle(np.base_repr(n, 4).zfill(len(depts) * len(CRITERIA))[::-1]),
                                   len(depts) * len(CRITERIA)))
    return {d: [LABELS[int(digits[i * len(CRITERIA) + j])] for j in range(len(CRITERIA))] for i, d in enumerate(depts)}


def refused(code: Refusal, fn, *args):
    with pytest.raises(BallotRefused) as err:
        fn(*args)
    assert err.value.code == code, err.value
    return err.value


def test_round_lifecycle_tokens_refusals_and_results_past_k(service, quarter):
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns)
    assert set(tokens) == set(towns) and all(len(t) == 2 for t in tokens.values())
    every = [t for ts in tokens.values() for t in ts]
    assert len(set(every)) == len(every) and all(len(t) >= 26 for t in every)  # 160 bits, url-safe
    store, who = service.store, client()
    t0 = tokens[towns[0]][0]
    assert refused(Refusal.NOT_YET, Service.ballot, store, t0, who).get("en").startswith("This rating round has not")
    service.open_round(round_id)
    rnd, unit, names = Service.ballot(store, t0, who)
    assert rnd.id == round_id and unit == towns[0] and rnd.departments == tuple(depts)
    assert names[depts[0]].startswith("单位") and set(names) == {*depts, unit}

    # k - 1 townships rate the first two departments, k townships rate the others
    for i, town in enumerate(towns[:K]):
        ratings = ballot(depts, i)
        if i == K - 1:
            ratings = {d: (r if d in depts[2:] else [LABELS[-1]] * len(CRITERIA)) for d, r in ratings.items()}
        Service.submit_ballot(store, tokens[town][0], ratings, who)
    refused(Refusal.USED, Service.submit_ballot, store, t0, ballot(depts), who)
    refused(Refusal.USED, Service.ballot, store, t0, who)
    refused(Refusal.UNKNOWN, Service.ballot, store, "A" * 27, who)
    refused(Refusal.UNKNOWN, Service.submit_ballot, store, "not a token!", ballot(depts), who)
    with pytest.raises(InvalidRequest):
        service.round_results(round_id)  # nothing is shown while the round is open
    assert service.round_participation(round_id).set_index("unit_id").loc[towns[0], "cast"] == 1

    service.close_round(round_id)
    refused(Refusal.CLOSED, Service.submit_ballot, store, tokens[towns[-1]][0], ballot(depts), client())
    with pytest.raises(InvalidRequest):
        service.open_round(round_id)  # a closed round stays closed
    res = service.round_results(round_id)
    assert list(res.loc[depts[:2], "n_raters"]) == [K - 1, K - 1] and res.loc[depts[:2], "suppressed"].all()
    assert res.loc[depts[:2], "score"].isna().all()
    assert list(res.loc[depts[2:], "n_raters"]) == [K, K] and not res.loc[depts[2:], "suppressed"].any()
    assert res.loc[depts[2:], "score"].notna().all()
    part = service.round_participation(round_id)
    assert part["issued"].sum() == 2 * len(towns) and part["cast"].sum() == K
    assert part.set_index("unit_id").loc[towns[0], "rate"] == 0.5


def test_two_ballots_of_one_unit_are_one_rater_when_counted_per_unit(service, quarter):
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns[:K - 1], ballots=3)
    service.open_round(round_id)
    for town in towns[:K - 1]:
        for t in tokens[town]:
            Service.submit_ballot(service.store, t, ballot(depts, 7), client())
    service.close_round(round_id)
    res = service.round_results(round_id)
    assert (res["n_ratings"] == 3 * (K - 1)).all() and (res["n_raters"] == K - 1).all() and res["suppressed"].all()


def test_a_round_without_units_needs_k_units_taking_part(service, quarter):
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns, per_unit=False, ballots=K)
    service.open_round(round_id)
    for t in tokens[towns[0]]:  # k ballots, all from one township: they must not show a score
        Service.submit_ballot(service.store, t, ballot(depts, 1), client())
    assert {u for u, _ in service.store.round_ballots(round_id)[0]} == {None}
    service.close_round(round_id)
    assert service.round_results(round_id)["suppressed"].all()

    round_id, tokens = make_round(service, depts, towns, per_unit=False, ballots=1)
    service.open_round(round_id)
    for town in towns[:K]:
        Service.submit_ballot(service.store, tokens[town][0], ballot(depts, 2), client())
    service.close_round(round_id)
    res = service.round_results(round_id)
    assert not res["suppressed"].any() and (res["n_raters"] == K).all()


def test_expired_and_incomplete_ballots_are_refused_without_spending_the_token(service, quarter):
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns, opens=TODAY - timedelta(days=9),
                                  closes=TODAY - timedelta(days=2))
    service.open_round(round_id)
    err = refused(Refusal.EXPIRED, Service.submit_ballot, service.store, tokens[towns[0]][0], ballot(depts), client())
    assert (TODAY - timedelta(days=2)).isoformat() in err.get("zh")

    round_id, tokens = make_round(service, depts, towns)
    service.open_round(round_id)
    t = tokens[towns[0]][0]
    short = ballot(depts)
    short[depts[0]] = short[depts[0]][:-1]
    free_text = ballot(depts)
    free_text[depts[1]][0] = "处长姓王，电话 13800000000"
    for bad in (short, free_text, {**ballot(depts), "X": ["满意"] * len(CRITERIA)}, []):
        refused(Refusal.INCOMPLETE, Service.submit_ballot, service.store, t, bad, client())
    Service.submit_ballot(service.store, t, ballot(depts), client())  # the token was not spent by the refusals


def test_refused_attempts_are_rate_limited_per_client(service, quarter):
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns)
    service.open_round(round_id)
    prober, rater = client(), client()
    for i in range(10):
        refused(Refusal.UNKNOWN, Service.ballot, service.store, f"{i:027d}", prober)
    err = refused(Refusal.LIMITED, Service.ballot, service.store, tokens[towns[0]][0], prober)
    assert "分钟" in err.get("zh")
    refused(Refusal.LIMITED, Service.submit_ballot, service.store, tokens[towns[0]][0], ballot(depts), prober)
    for town in towns[:3]:  # valid ballots from one address are never slowed
        Service.submit_ballot(service.store, tokens[town][0], ballot(depts), rater)
    Service.ballot(service.store, tokens[towns[4]][0], rater)


def test_rounds_need_the_officer_role_and_roster_units(service, quarter):
    depts, towns = quarter
    leader = Service(service.store, role("zhao", Role.LEADER))
    with pytest.raises(PermissionDenied):
        make_round(leader, depts, towns)
    with pytest.raises(InvalidRequest, match="NOPE"):
        make_round(service, depts, [*towns, "NOPE"])
    with pytest.raises(InvalidRequest):
        make_round(service, depts, [*towns, depts[0]])  # a department cannot rate itself
    with pytest.raises(InvalidRequest):
        make_round(service, depts, towns, period="2026-3")


def test_a_closed_round_feeds_scoring_exactly_like_imported_ratings(service, quarter):
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns, ballots=2)
    service.open_round(round_id)
    cast = []
    for n, town in enumerate(towns[:K + 1]):
        for j, t in enumerate(tokens[town][: 1 + (n % 2)]):
            ratings = ballot(depts, 3 * n + j)
            Service.submit_ballot(service.store, t, ratings, client())
            cast.append((town, ratings))
    with pytest.raises(InvalidRequest):
        service.apply_round(round_id, "2026Q3")  # not closed yet
    service.close_round(round_id)
    with pytest.raises(InvalidRequest):
        service.apply_round(round_id, "2026Q4")

    v = service.apply_round(round_id, "2026Q3")
    assert service.store.reverse_source("2026Q3", v.number).id == round_id
    assert service.store.reverse_source("2026Q3", v.number - 1) is None  # the spreadsheet version
    # the same ballots as an imported spreadsheet (raters named by their township) score the same
    rnd = service.store.round(round_id)
    imported = rating_frame(rnd, cast, len(towns), K)
    base = service.store.inputs("2026Q3", v.number - 1)
    base.reverse = imported
    expected = score_period(MODEL, base)
    got = service.store.results("2026Q3", v.number).set_index("unit_id")
    want = expected.units.set_index("unit_id")
    for col in ("mass", "total", "grade", "n_raters"):
        assert list(got.loc[depts, col]) == list(want.loc[depts, col]), col
    assert (got.loc[depts, "n_raters"] == K + 1).all()
    assert service.reproduces("2026Q3", v.number)
    service.publish("2026Q3", v.number, reason="计入网上评议结果")  # the differencing rule let it through
    # the department's feedback report names the source and each rater unit's participation
    from io import BytesIO

    import docx

    report = docx.Document(BytesIO(service.feedback_report("2026Q3", depts[0], kind="docx")))
    text = "\n".join(p.text for p in report.paragraphs)
    assert f"网上匿名评议第 {round_id} 轮" in text and "导入的评议汇总表格" not in text
    rows = [[c.text for c in r.cells] for tb in report.tables for r in tb.rows]
    header = next(r for r in rows if "参评率" in r)
    towns_shown = [r for r in rows if len(r) == len(header) and r[3].endswith("%") and r != header]
    assert len(towns_shown) == len(towns)


def test_reissued_tokens_replace_unused_ones(service, quarter):
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns[:K], ballots=2)
    service.open_round(round_id)
    Service.submit_ballot(service.store, tokens[towns[0]][0], ballot(depts), client())
    fresh = service.reissue_tokens(round_id)
    assert len(fresh[towns[0]]) == 1 and len(fresh[towns[1]]) == 2
    refused(Refusal.UNKNOWN, Service.ballot, service.store, tokens[towns[1]][0], client())
    Service.submit_ballot(service.store, fresh[towns[1]][0], ballot(depts), client())
    assert service.round_participation(round_id)["issued"].sum() == 2 * K


def test_token_hash_is_what_the_store_keeps():
    assert token_hash("abc") != token_hash("abd") and len(token_hash("abc")) == 64


def test_rating_frame_anonymises_like_an_import():
    from scoring.rounds import Round
    rnd = Round(1, "2026Q3", ("D1", "D2"), tuple(CRITERIA), tuple(LABELS), True, TODAY, TODAY,
                RoundStatus.CLOSED, "x", "", None, {"T1": 1, "T2": 1})
    frame = rating_frame(rnd, [("T2", ballot(["D1", "D2"], 1)), ("T1", ballot(["D1", "D2"], 2))], 2, K)
    assert list(frame.columns) == ["rater", "unit_id", *CRITERIA]
    assert pd.api.types.is_integer_dtype(frame["rater"]) and set(frame["unit_id"]) == {"D1", "D2"}
    assert list(frame["unit_id"]) == sorted(frame["unit_id"])


def test_the_limiter_forgets_refusals_after_its_window():
    from scoring.ratelimit import Limiter

    now = [0.0]
    limiter = Limiter(limit=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait("a") == 0
        limiter.fail("a")
    assert limiter.wait("a") == 60 and limiter.wait("b") == 0
    now[0] = 59.5
    assert limiter.wait("a") == pytest.approx(0.5)
    now[0] = 60.0
    assert limiter.wait("a") == 0


def test_a_store_from_before_rounds_gains_the_round_tables(store_url):
    from sqlalchemy import inspect, text

    from scoring.store import Store
    from scoring.store import schema as s

    with Store(store_url) as store, store.engine.begin() as conn:
        for table in reversed(s.ROUND_TABLES):
            table.drop(conn)
        step = next(v for v, f in s.MIGRATIONS.items() if f is s._rating_rounds)
        conn.execute(text(f"UPDATE meta SET value = '{step}' WHERE key = 'schema_version'"))
    with Store(store_url) as store, store.engine.connect() as conn:
        assert s.current_version(conn) == s.SCHEMA_VERSION
        assert {t.name for t in s.ROUND_TABLES} <= set(inspect(conn).get_table_names())
        assert store.rounds() == []
