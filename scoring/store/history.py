"""Views across quarters: the roster with its history, rankings with change, unit trends, the annual roll-up.

Only published versions count here: they are what leaders see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, func, select

from scoring.store import schema as s
from scoring.store.db import NotFound
from scoring.store.io import frame, results_frame

_R, _V, _P = s.result_units, s.versions, s.periods


def _published():
    """result_units of every period's published version, with the period."""
    return (select(_V.c.period, _V.c.number.label("version"), *(c for c in _R.c if c.name != "version_id"))
            .join(_V, _V.c.id == _R.c.version_id)
            .join(_P, and_(_P.c.period == _V.c.period, _P.c.published_version == _V.c.number)))


def _previous_published(conn: Connection, period: str) -> str | None:
    return conn.execute(select(func.max(_P.c.period)).where(_P.c.period < period,
                                                            _P.c.published_version.isnot(None))).scalar()


def _of_version(period: str, number: int):
    """result_units of one version of `period`, with the period and version number."""
    return (select(_V.c.period, _V.c.number.label("version"), *(c for c in _R.c if c.name != "version_id"))
            .join(_V, _V.c.id == _R.c.version_id).where(_V.c.period == period, _V.c.number == number))


def rankings(conn: Connection, period: str, version: int | None = None,
             previous: tuple[str, int] | None = None) -> pd.DataFrame:
    """The published units of `period` sorted by overall rank, with prev_total, delta_total,
    prev_rank_overall, rank_change (positive = moved up) and prev_grade from the previous
    published quarter (named in `attrs["previous_period"]`).

    With `version` (and `previous`, the previous published quarter and its version, or None when
    there is none) exactly those versions are read, whatever is published meanwhile: a caller that
    caches the result under those numbers can never store another version's rows under them."""
    if version is None:
        version = conn.execute(select(_P.c.published_version).where(_P.c.period == period)).scalar()
        if version is None:
            raise NotFound(f"{period} 尚未发布", f"{period} has not been published")
        prev_period = _previous_published(conn, period)
        previous = None if prev_period is None else (prev_period, conn.execute(
            select(_P.c.published_version).where(_P.c.period == prev_period)).scalar())
    order = (_R.c.rank_overall.nulls_last(), _R.c.unit_id)
    cur = results_frame(conn.execute(_of_version(period, version).order_by(*order)))
    if cur.empty and conn.execute(select(_V.c.id).where(_V.c.period == period, _V.c.number == version)).first() is None:
        raise NotFound(f"{period} 没有第 {version} 版", f"{period} has no version {version}")
    cols = ["unit_id", "total", "rank_overall", "rank_group", "grade"]
    prev = results_frame(conn.execute(_of_version(*previous) if previous else _of_version("", -1)))
    out = _with_change(cur, prev.reindex(columns=cols))
    out.attrs["previous_period"] = previous[0] if previous else None
    return out


def _with_change(cur: pd.DataFrame, prev: pd.DataFrame, on: str = "unit_id") -> pd.DataFrame:
    """`cur` with prev_total, delta_total, prev_rank_overall, rank_change, prev_rank_group,
    rank_group_change (positive = moved up) and prev_grade from the matching rows of `prev`."""
    prev = prev.rename(columns={"total": "prev_total", "rank_overall": "prev_rank_overall",
                                "rank_group": "prev_rank_group", "grade": "prev_grade"})
    out = cur.merge(prev, on=on, how="left")
    out["delta_total"] = out["total"].astype(float) - out["prev_total"].astype(float)
    out["rank_change"] = out["prev_rank_overall"].astype("Int64") - out["rank_overall"].astype("Int64")
    out["rank_group_change"] = out["prev_rank_group"].astype("Int64") - out["rank_group"].astype("Int64")
    return out


def unit_history(conn: Connection, unit_id: str) -> pd.DataFrame:
    """One unit per published quarter, with the change vs the previous *published quarter* (empty
    when the unit was not in it — never vs an older quarter of its own)."""
    df = results_frame(conn.execute(_published().where(_R.c.unit_id == unit_id).order_by(_V.c.period)))
    periods = [p for (p,) in conn.execute(select(_P.c.period).where(_P.c.published_version.isnot(None))
                                          .order_by(_P.c.period))]
    following = dict(zip(periods[:-1], periods[1:], strict=True))
    prev = df[["period", "total", "rank_overall", "rank_group", "grade"]].copy()
    prev["period"] = prev["period"].map(following)  # this row is the previous quarter of that one
    return _with_change(df, prev.dropna(subset=["period"]), on="period")


def unit_history_from(rankings_by_period: list[pd.DataFrame], unit_id: str) -> pd.DataFrame:
    """`unit_history` assembled from the published quarters' `rankings` frames (which every page
    already holds), without reading the store again: the same rows, columns and changes."""
    parts = [r[r["unit_id"] == unit_id] for r in rankings_by_period]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True).sort_values("period", kind="stable").reset_index(drop=True)
    out.attrs = {}
    return out


def published_in_year(conn: Connection, year: str) -> pd.DataFrame:
    """The ranked units of every published quarter of `year`, in period order (for the annual roll-up)."""
    return results_frame(conn.execute(_published().where(_V.c.period.like(f"{year}Q%"), _R.c.status == "ok")
                                      .order_by(_V.c.period, _R.c.unit_id)))


# ---------------------------------------------------------------- roster with history
_H = s.unit_history
_ATTRS = ["unit_name", "unit_type", "group_name"]


def _in_effect(conn: Connection, period: str) -> pd.DataFrame:
    """Each unit's attributes valid at `period` (its latest history row starting at or before it)."""
    df = frame(conn.execute(select(_H).where(_H.c.valid_from <= period).order_by(_H.c.unit_id, _H.c.valid_from)))
    return df.drop_duplicates("unit_id", keep="last").set_index("unit_id")


def update_roster(conn: Connection, period: str, version_id: int) -> None:
    """Record renames and group moves that a published version makes, valid from its period.
    unit_id is the identity: the unit itself is never replaced."""
    vu = s.version_units
    new = frame(conn.execute(select(vu.c.unit_id, *(vu.c[c] for c in _ATTRS)).where(vu.c.version_id == version_id)
                             .order_by(vu.c.seq))).drop_duplicates("unit_id", keep="last")
    known = dict(conn.execute(select(s.units.c.unit_id, s.units.c.first_period)).all())
    fresh = [u for u in new["unit_id"] if u not in known]
    if fresh:
        conn.execute(s.units.insert(), [{"unit_id": u, "first_period": period} for u in fresh])
    earlier = [u for u in new["unit_id"] if u in known and known[u] > period]
    if earlier:
        conn.execute(s.units.update().where(s.units.c.unit_id.in_(earlier)).values(first_period=period))
    current = _in_effect(conn, period)
    inserts = []
    for row in new.itertuples(index=False):
        attrs = {c: getattr(row, c) for c in _ATTRS}
        if row.unit_id in current.index:
            was = current.loc[row.unit_id]
            if all(was[c] == attrs[c] for c in _ATTRS):
                continue
            if was["valid_from"] == period:
                conn.execute(_H.update().where(_H.c.unit_id == row.unit_id, _H.c.valid_from == period)
                             .values(**attrs, version_id=version_id))
                continue
        inserts.append({"unit_id": row.unit_id, "valid_from": period, "version_id": version_id, **attrs})
    if inserts:
        conn.execute(_H.insert(), inserts)


def roster(conn: Connection, period: str | None = None) -> pd.DataFrame:
    """UNIT_COLUMNS of the units in the latest published version at or before `period` (or the
    latest published version at all), named and grouped as valid at `period`."""
    q = select(func.max(_P.c.period)).where(_P.c.published_version.isnot(None))
    base = conn.execute(q.where(_P.c.period <= period) if period else q).scalar()
    if base is None:
        base = conn.execute(q).scalar()
    columns = ["unit_id", "unit_name", "unit_type", "group"]
    if base is None:
        return pd.DataFrame(columns=columns)
    vu = s.version_units
    ids = frame(conn.execute(select(vu.c.unit_id).join(_V, _V.c.id == vu.c.version_id)
                             .join(_P, and_(_P.c.period == _V.c.period, _P.c.published_version == _V.c.number))
                             .where(_V.c.period == base).order_by(vu.c.seq)))["unit_id"].drop_duplicates()
    attrs = _in_effect(conn, max(period or base, base))
    out = attrs.reindex(ids)[_ATTRS].reset_index().rename(columns={"group_name": "group"})
    return out.replace({np.nan: None})[columns]
