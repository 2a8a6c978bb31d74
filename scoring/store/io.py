"""Row-level reads and writes shared by the store, its history views and its checks."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, select

from scoring.flags import Flag
from scoring.store import schema as s
from scoring.store.codec import ROW_COLUMNS


def bulk_insert(conn: Connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, one prepared executemany on SQLite.

    Measured on a 60,000-response survey (bench/store): COPY is several times faster than
    multi-row INSERTs through psycopg, and SQLite's executemany needs no help.
    """
    if not rows:
        return
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)


def insert_inputs(conn: Connection, version_id: int, rows: dict[str, list[tuple]]) -> None:
    for name, table in s.INPUT_TABLES.items():
        body = [(version_id, i, *r) for i, r in enumerate(rows[name])]
        bulk_insert(conn, table, ["version_id", "seq", *ROW_COLUMNS[name]], body)


def load_inputs(conn: Connection, version_id: int) -> dict[str, list[tuple]]:
    """The stored rows of one version, in imported order, shaped exactly as `codec.encode` made them."""
    out = {}
    for name, table in s.INPUT_TABLES.items():
        cols = [table.c[c] for c in ROW_COLUMNS[name]]
        out[name] = [tuple(r) for r in conn.execute(select(*cols).where(table.c.version_id == version_id)
                                                    .order_by(table.c.seq))]
    return out


def frame(result: Any) -> pd.DataFrame:
    """A SQLAlchemy result as a DataFrame, built column-wise (pandas inspects Row objects one
    by one otherwise, which dominates a 3,000-unit read)."""
    keys = list(result.keys())
    columns = list(zip(*result.all(), strict=True)) or [()] * len(keys)
    return pd.DataFrame({k: pd.Series(c, dtype=object) for k, c in zip(keys, columns, strict=True)}).infer_objects()


def results_frame(result: Any) -> pd.DataFrame:
    """result_units rows as the PeriodResult.units shape: `group` named back, flags as lists of Flag."""
    df = frame(result).rename(columns={"group_name": "group"})
    if "flags" in df:  # one parse for all rows
        parsed = json.loads("[" + ",".join(df["flags"]) + "]")
        df["flags"] = pd.Series([[Flag.from_json(f) for f in fs] for fs in parsed], index=df.index, dtype=object)
    for c in ("rank_group", "rank_overall", "n_raters"):
        if c in df:
            df[c] = df[c].astype("Int64")
    return df


def dumps(obj: Any) -> str:
    """Canonical JSON: the same object always gives the same text (checksums compare text)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_plain)


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    if isinstance(v, (set, tuple)):
        return list(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")
