"""Accounts and their roles in the store: rows in, rows out; who may change them is the service's rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from scoring.store import schema as s

_A, _R = s.accounts, s.account_roles


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    roles: frozenset[str]
    unit_id: str | None
    sso: str | None
    disabled: bool
    demo: bool
    failures: int
    locked_until: str | None
    lang: str | None
    password_hash: str | None
    created_by: str
    created_at: str
    last_login_at: str | None


def _roles(conn: Connection, account_id: int) -> frozenset[str]:
    return frozenset(r for (r,) in conn.execute(select(_R.c.role).where(_R.c.account_id == account_id)))


def _account(conn: Connection, row: Any) -> Account | None:
    if row is None:
        return None
    return Account(row.username, row.display_name, _roles(conn, row.id), row.unit_id, row.sso, bool(row.disabled),
                   bool(row.demo), row.failures, row.locked_until, row.lang, row.password_hash, row.created_by,
                   row.created_at, row.last_login_at)


def by_username(conn: Connection, username: str) -> Account | None:
    return _account(conn, conn.execute(select(_A).where(_A.c.username == username)).first())


def by_sso(conn: Connection, identity: str) -> Account | None:
    return _account(conn, conn.execute(select(_A).where(_A.c.sso == identity)).first())


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(_A)).scalar_one()


def listing(conn: Connection) -> list[Account]:
    rows = conn.execute(select(_A).order_by(_A.c.username)).all()
    return [_account(conn, r) for r in rows]


def create(conn: Connection, username: str, display_name: str, password_hash: str | None, roles: frozenset[str],
           unit_id: str | None, sso: str | None, demo: bool, who: str, now: str) -> None:
    account_id = conn.execute(_A.insert().values(
        username=username, display_name=display_name, password_hash=password_hash, sso=sso, unit_id=unit_id,
        disabled=0, demo=int(demo), failures=0, created_by=who, created_at=now)).inserted_primary_key[0]
    set_roles(conn, account_id, roles)


def set_roles(conn: Connection, account_id: int, roles: frozenset[str]) -> None:
    conn.execute(_R.delete().where(_R.c.account_id == account_id))
    if roles:
        conn.execute(_R.insert(), [{"account_id": account_id, "role": r} for r in sorted(roles)])


def update(conn: Connection, username: str, **values: Any) -> bool:
    """Change columns of one account; False when there is no such account."""
    return conn.execute(_A.update().where(_A.c.username == username).values(**values)).rowcount == 1


def account_id(conn: Connection, username: str) -> int | None:
    return conn.execute(select(_A.c.id).where(_A.c.username == username)).scalar()
