"""Anonymity by construction (issue 17 §3), proved by reading the database as its administrator would:
every table and column, SQLite's physical order, PostgreSQL's row metadata (xmin, ctid)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import DateTime, inspect, text

from scoring.service import Service
from scoring.store import schema as s
from tests.test_rounds import K, ballot, client, make_round, quarter  # noqa: F401  (the fixture)

N_PER_UNIT = 3


def cast_all(service, depts, towns, tokens) -> list[tuple[str, str, dict]]:
    """Cast every token, interleaving units; returns (token, unit, ratings) in casting order."""
    order = [(tokens[u][i], u) for i in range(N_PER_UNIT) for u in towns]
    cast = []
    for n, (tok, unit) in enumerate(order):
        ratings = ballot(depts, n + 1)
        Service.submit_ballot(service.store, tok, ratings, client())
        cast.append((tok, unit, ratings))
    return cast


def dump(conn) -> str:
    """Every cell of every table, as text."""
    out = []
    for table in inspect(conn).get_table_names():
        for row in conn.execute(text(f'SELECT * FROM "{table}"')):
            out.extend(str(v) for v in row)
    return "\n".join(out)


def stored_order(conn) -> list[str]:
    """The ballots' ratings in the order the database hands them out without ORDER BY."""
    return [r[0] for r in conn.execute(text("SELECT ratings FROM round_ballots"))]


def canonical(ratings: dict) -> str:
    return json.dumps(ratings, ensure_ascii=False, sort_keys=True)


@pytest.mark.parametrize("per_unit", [True, False])
def test_the_database_cannot_tell_who_cast_which_ballot(service, quarter, per_unit):  # noqa: F811
    depts, towns = quarter
    round_id, tokens = make_round(service, depts, towns, per_unit=per_unit, ballots=N_PER_UNIT)
    service.open_round(round_id)
    cast = cast_all(service, depts, towns, tokens)
    engine = service.store.engine

    def check_rows(conn) -> None:
        # the ballot table holds the round, the ratings, the unit only when counted per unit, a random id
        cols = {c["name"]: c for c in inspect(conn).get_columns("round_ballots")}
        assert set(cols) == {"id", "round_id", "unit_id", "ratings"}
        assert not any(isinstance(c["type"], DateTime) for c in cols.values())
        tcols = {c["name"] for c in inspect(conn).get_columns("round_tokens")}
        assert tcols == {"token_hash", "round_id", "unit_id", "used"}  # token use: a flag, no time
        rows = conn.execute(text("SELECT id, round_id, unit_id, ratings FROM round_ballots")).all()
        assert len(rows) == len(cast) and {r.round_id for r in rows} == {round_id}
        assert sorted(r.ratings for r in rows) == sorted(canonical(c[2]) for c in cast)
        assert all(len(r.id) == 32 and int(r.id, 16) >= 0 for r in rows) and len({r.id for r in rows}) == len(rows)
        if per_unit:
            by_ratings = {canonical(c[2]): c[1] for c in cast}
            assert all(r.unit_id == by_ratings[r.ratings] for r in rows)
        else:
            assert {r.unit_id for r in rows} == {None}
        # no token anywhere, in any table (only hashes), and the audit does not list ballots
        everything = dump(conn)
        assert not any(tok in everything for tok, _, _ in cast)
        actions = [a for (a,) in conn.execute(text("SELECT action FROM audit"))]
        assert not [a for a in actions if "ballot" in a]
        # neither the ids nor the stored order follow the casting order
        casting = [canonical(c[2]) for c in cast]
        by_id = [r.ratings for r in sorted(rows, key=lambda r: r.id)]
        assert by_id != casting
        assert stored_order(conn) != casting

    with engine.connect() as conn:
        check_rows(conn)
        if conn.dialect.name == "sqlite":
            with pytest.raises(Exception, match="rowid"):
                conn.execute(text("SELECT rowid FROM round_ballots"))
            with pytest.raises(Exception, match="rowid"):
                conn.execute(text("SELECT rowid FROM round_tokens"))
            # physical order is the random key's order
            assert stored_order(conn) == [r[0] for r in conn.execute(text(
                "SELECT ratings FROM round_ballots ORDER BY id"))]
        else:
            # a spent token's transaction id is shared by all of its group's ballots or by none
            ballots = conn.execute(text("SELECT xmin::text AS x, unit_id FROM round_ballots")).all()
            spent = conn.execute(text("SELECT xmin::text AS x, unit_id FROM round_tokens WHERE used = 1")).all()
            assert len(spent) == len(cast)
            for tok in spent:
                sharing = [b for b in ballots if b.x == tok.x]
                group = [b for b in ballots if b.unit_id == tok.unit_id] if per_unit else ballots
                assert sharing in ([], group) or sorted(sharing) == sorted(group), (len(sharing), len(group))
                assert len(sharing) != 1 or len(group) == 1

    service.close_round(round_id)
    with engine.connect() as conn:
        check_rows(conn)
        if conn.dialect.name == "postgresql":
            # closing rewrote every ballot and token in one shuffled transaction
            assert conn.execute(text("SELECT count(DISTINCT xmin::text) FROM round_ballots")).scalar() == 1
            assert conn.execute(text("SELECT count(DISTINCT xmin::text) FROM round_tokens")).scalar() == 1
            by_place = [r[0] for r in conn.execute(text("SELECT ratings FROM round_ballots ORDER BY ctid"))]
            assert by_place != [canonical(c[2]) for c in cast]
            # (the old row versions the rewrite leaves are vacuumed once no running transaction can see
            # them: another test's open snapshot on the same server may delay that, so it is not asserted)


def test_the_schema_keeps_ballots_and_tokens_apart():
    ballots, tokens = s.round_ballots, s.round_tokens
    assert not {c.name for c in ballots.columns} & {"token_hash", "token", "at", "created_at", "seq"}
    assert ballots.dialect_options["sqlite"]["with_rowid"] is False
    assert tokens.dialect_options["sqlite"]["with_rowid"] is False
    assert all(fk.column.table is not tokens for fk in ballots.foreign_keys)
