"""Rows of online rating rounds: rounds, rater units, token hashes, anonymous ballots (schema 7).

Casting a ballot is one transaction: the token is marked used (no time), the ballot is written
under a random id, and the new ballot is rewritten together with up to MIX other ballots of the
round in shuffled order. On PostgreSQL every row carries the id of the transaction that last wrote
it (xmin) and its place in the heap (ctid); without the mix, the ballot and its token would share
that transaction id. With it, the token's transaction names a batch of MIX + 1 ballots (of the
same rater unit where the round counts per unit), and closing a round rewrites every ballot and
token of it in one shuffled transaction. SQLite keeps both tables clustered by their random keys.
"""

from __future__ import annotations

import json
import random
from datetime import date

from sqlalchemy import Connection, func, select

from scoring.rounds import Round, RoundSpec, RoundStatus
from scoring.store import schema as s


def _round(row, raters: dict[str, int]) -> Round:
    return Round(row.id, row.period, tuple(json.loads(row.departments)), tuple(json.loads(row.criteria)),
                 tuple(json.loads(row.scale)), bool(row.per_unit), date.fromisoformat(row.opens_on),
                 date.fromisoformat(row.closes_on), RoundStatus(row.status), row.created_by, row.created_at,
                 row.closed_at, raters)


def create(conn: Connection, spec: RoundSpec, who: str, now: str, hashes: dict[str, list[str]]) -> int:
    round_id = conn.execute(s.rating_rounds.insert().values(
        period=spec.period, departments=json.dumps(list(spec.departments), ensure_ascii=False),
        criteria=json.dumps(list(spec.criteria), ensure_ascii=False),
        scale=json.dumps(list(spec.scale), ensure_ascii=False), per_unit=int(spec.per_unit),
        opens_on=spec.opens_on.isoformat(), closes_on=spec.closes_on.isoformat(), status=RoundStatus.DRAFT.value,
        created_by=who, created_at=now)).inserted_primary_key[0]
    conn.execute(s.round_raters.insert(), [{"round_id": round_id, "unit_id": u, "ballots": int(n)}
                                           for u, n in spec.raters.items()])
    add_tokens(conn, round_id, hashes)
    return round_id


def add_tokens(conn: Connection, round_id: int, hashes: dict[str, list[str]]) -> None:
    rows = [{"token_hash": h, "round_id": round_id, "unit_id": u, "used": 0} for u, hs in hashes.items() for h in hs]
    random.SystemRandom().shuffle(rows)
    if rows:
        conn.execute(s.round_tokens.insert(), rows)


def drop_unused(conn: Connection, round_id: int) -> dict[str, int]:
    """Delete the round's unused tokens (a reissue); returns how many each unit had."""
    t = s.round_tokens
    counts = dict(conn.execute(select(t.c.unit_id, func.count()).where(t.c.round_id == round_id, t.c.used == 0)
                               .group_by(t.c.unit_id)).all())
    conn.execute(t.delete().where(t.c.round_id == round_id, t.c.used == 0))
    return counts


def get(conn: Connection, round_id: int, lock: bool = False) -> Round | None:
    q = select(s.rating_rounds).where(s.rating_rounds.c.id == round_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    if row is None:
        return None
    r = s.round_raters
    raters = dict(conn.execute(select(r.c.unit_id, r.c.ballots).where(r.c.round_id == round_id)
                               .order_by(r.c.unit_id)).all())
    return _round(row, raters)


def listing(conn: Connection) -> list[Round]:
    ids = [r.id for r in conn.execute(select(s.rating_rounds.c.id).order_by(s.rating_rounds.c.id.desc()))]
    return [get(conn, i) for i in ids]


def set_status(conn: Connection, round_id: int, status: RoundStatus, now: str | None = None) -> None:
    values = {"status": status.value} | ({"closed_at": now} if status == RoundStatus.CLOSED else {})
    conn.execute(s.rating_rounds.update().where(s.rating_rounds.c.id == round_id).values(**values))


def token(conn: Connection, digest: str):
    t = s.round_tokens
    return conn.execute(select(t.c.round_id, t.c.unit_id, t.c.used).where(t.c.token_hash == digest)).first()


def spend(conn: Connection, digest: str) -> bool:
    """Mark a token used; False when it was used already (a second tab, a race)."""
    t = s.round_tokens
    return conn.execute(t.update().where(t.c.token_hash == digest, t.c.used == 0).values(used=1)).rowcount == 1


def add_ballot(conn: Connection, rnd: Round, ballot_id: str, unit_id: str | None, ratings: dict) -> None:
    """Write a ballot. On PostgreSQL, rewrite it with every ballot of its group (its rater unit when
    the round counts per unit, else the whole round) in shuffled order: they all then carry this
    transaction's id, which is the only one the spent token shares with any ballot."""
    b = s.round_ballots
    row = {"id": ballot_id, "round_id": rnd.id, "unit_id": unit_id,
           "ratings": json.dumps(ratings, ensure_ascii=False, sort_keys=True)}
    if conn.dialect.name != "postgresql":  # clustered by the random id: no order, no row metadata
        conn.execute(b.insert(), [row])
        return
    group = b.c.round_id == rnd.id
    if unit_id is not None:
        group = group & (b.c.unit_id == unit_id)
    rows = [dict(r._mapping) for r in conn.execute(select(b).where(group))] + [row]
    conn.execute(b.delete().where(group))
    random.SystemRandom().shuffle(rows)
    conn.execute(b.insert(), rows)


def mix_all(conn: Connection, round_id: int) -> None:
    """Rewrite every ballot and token of the round in one shuffled transaction (at close): afterwards
    they share one transaction id and their heap order is random (PostgreSQL; SQLite has neither)."""
    if conn.dialect.name != "postgresql":
        return
    for table, key in ((s.round_ballots, "round_id"), (s.round_tokens, "round_id")):
        rows = [dict(r._mapping) for r in conn.execute(select(table).where(table.c[key] == round_id))]
        random.SystemRandom().shuffle(rows)
        conn.execute(table.delete().where(table.c[key] == round_id))
        if rows:
            conn.execute(table.insert(), rows)


def ballots(conn: Connection, round_id: int) -> list[tuple[str | None, dict]]:
    b = s.round_ballots
    return [(r.unit_id, json.loads(r.ratings)) for r in
            conn.execute(select(b.c.unit_id, b.c.ratings).where(b.c.round_id == round_id).order_by(b.c.id))]


def used(conn: Connection, round_id: int) -> dict[str, int]:
    t = s.round_tokens
    return dict(conn.execute(select(t.c.unit_id, func.sum(t.c.used)).where(t.c.round_id == round_id)
                             .group_by(t.c.unit_id)).all())


def link_version(conn: Connection, version_id: int, round_id: int) -> None:
    conn.execute(s.round_versions.insert().values(version_id=version_id, round_id=round_id))


def source(conn: Connection, version_id: int) -> int | None:
    """The round a version's reverse ratings came from, or None (a spreadsheet, or none)."""
    return conn.execute(select(s.round_versions.c.round_id).where(s.round_versions.c.version_id == version_id)).scalar()
