"""The quarterly store: every period's imported inputs, versions, published results and audit log.

One API over SQLite (the default) and PostgreSQL. An import becomes a new immutable draft
version in one transaction; publishing points the period at a version. Results are stored as
snapshots and can always be recomputed from the stored inputs and the stored model text.

The store keeps persistence only: it neither reads spreadsheets nor scores. What to write is
decided by the application service (`scoring.service`), which every change of state goes through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select, text

from scoring.inputs import PeriodInputs, is_period
from scoring.model import Model, model_from_toml
from scoring.report import Report
from scoring.store import accounts, codec, db, diff, history
from scoring.store import schema as s
from scoring.store.accounts import Account
from scoring.store.db import InvalidPeriod, NotFound
from scoring.store.io import dumps, frame, insert_inputs, load_inputs, results_frame
from scoring.text import SanweiError

ACTIVE_MODEL_KEY = "active_model_id"
Version = int | str | None  # a number, "latest", or None for the published version
RESULT_COLUMNS = ["unit_id", "unit_name", "unit_type", "group_name", "status", "mass", "performance", "compliance",
                  "bonus", "deduction", "total", "total_unclipped", "rank_group", "rank_overall", "grade", "veto",
                  "grade_cap", "n_raters", "flags"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class FileRecord:
    name: str
    sha256: str
    size: int

    @classmethod
    def of(cls, name: str, data: bytes | Path) -> FileRecord:
        raw = Path(data).read_bytes() if isinstance(data, Path) else data
        return cls(name, hashlib.sha256(raw).hexdigest(), len(raw))


@dataclass(frozen=True)
class VersionInfo:
    period: str
    number: int
    id: int
    checksum: str
    model_sha: str
    model_label: str
    created_by: str
    created_at: str
    published: bool  # the version leaders currently see
    published_by: str | None
    published_at: str | None
    row_counts: dict[str, int]
    model_name: str = ""
    publish_reason: str | None = None  # the reason given when it was last published


@dataclass(frozen=True)
class StoreState:
    """What a dashboard page needs to know about the store on every run, read in one transaction:
    each period's last and published version, how many publications there have been (a rollback or
    re-publication changes it even when the version numbers do not), and the active model.
    Everything read for a published version can be cached on this (`ui.shared`)."""

    periods: tuple[tuple[str, int, int | None], ...]  # (period, last_version, published_version), by period
    publications: int
    active_model_id: int | None

    def published(self) -> dict[str, int]:
        return {p: pub for p, _, pub in self.periods if pub is not None}

    def previous_published(self, period: str) -> tuple[str, int] | None:
        """The published quarter before `period` and its version (what rankings compare with)."""
        earlier = [(p, v) for p, v in self.published().items() if p < period]
        return earlier[-1] if earlier else None


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    password_hash: str | None
    roles: frozenset[str]
    unit_id: str | None = None
    sso: str | None = None
    demo: bool = False


class AccountExists(SanweiError, ValueError):
    def __init__(self, username: str, first: bool = False):
        if first:
            super().__init__("已经有账户了：第一个管理员只能在没有任何账户时创建",
                             "the store already has accounts: the first admin can only be created while it has none")
        else:
            super().__init__(f"账户“{username}”已存在", f"account {username!r} already exists")


@dataclass(frozen=True)
class NewVersion:
    """Everything one import writes, encoded before the write lock is taken (`new_version`)."""

    period: str
    model_toml: str
    model_sha: str
    model_name: str
    model_label: str
    rows: dict[str, list[tuple]]
    items: list[str]
    criteria: list[str]
    checksum: str
    excluded: list[dict]
    warnings: list[dict]
    snapshot: str
    result_rows: list[tuple]
    files: tuple[FileRecord, ...]
    report: list[dict]

    @property
    def row_counts(self) -> dict[str, int]:
        return codec.row_counts(self.rows)


def _result_rows(units: pd.DataFrame) -> list[tuple]:
    df = units.rename(columns={"group": "group_name"})[RESULT_COLUMNS]
    out = []
    for row in df.itertuples(index=False, name=None):
        *head, flags = row
        clean = [None if codec.is_missing(v) else (v.item() if hasattr(v, "item") else v) for v in head]
        out.append((*clean, json.dumps([f.as_json() for f in flags], ensure_ascii=False)))
    return out


def new_version(model: Model, inputs: PeriodInputs, units: pd.DataFrame, result_json: dict,
                files: Sequence[FileRecord] = (), report: Report | None = None) -> NewVersion:
    """Encode a scored import for storage: its inputs, its model text, the result's units table
    (PeriodResult.units) and JSON contract, the files it came from and its validation report."""
    if not is_period(inputs.period):  # periods sort as text: a malformed one would never be "previous"
        raise InvalidPeriod(inputs.period)
    toml = model.to_toml()
    msha = codec.sha256_text(toml)
    rows, lines = codec.encode_with_lines(inputs)
    items, criteria = inputs.item_columns(), inputs.criterion_columns()
    return NewVersion(
        period=inputs.period, model_toml=toml, model_sha=msha, model_name=model.model.name,
        model_label=model.model.version, rows=rows, items=items, criteria=criteria,
        checksum=codec.checksum(rows, msha, items, criteria, lines),
        excluded=[e.as_json() for e in inputs.excluded], warnings=[w.as_json() for w in inputs.warnings],
        snapshot=dumps(result_json), result_rows=_result_rows(units), files=tuple(files),
        report=[i.as_json() for i in report.issues] if report else [],
    )


class Store:
    """`Store(url)` opens (and creates or migrates) the store. Writes name who made them: the
    signed-in account the service acts for."""

    SYSTEM = "system"  # the audit name of what the store does by itself (create, migrate)

    def __init__(self, url: str | None = None):
        self.url = db.resolve_url(url)
        self.engine = db.make_engine(self.url)
        if db.read(self.engine, s.current_version) != s.SCHEMA_VERSION:  # opening must not queue for the write lock
            db.write(self.engine, self._migrate)

    def _migrate(self, conn: Connection) -> None:
        found, target = s.migrate(conn)
        if found != target:
            self._audit(conn, self.SYSTEM, "create" if found is None else "migrate", None, None,
                        {"from": found, "to": target})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def write_version(self, version: NewVersion, who: str) -> VersionInfo:
        """Store an encoded import as the next draft version of its period, in one transaction."""
        return db.write(self.engine, lambda conn: self._import_tx(conn, version, who))

    def publish(self, period: str, version: int | None, who: str, reason: str) -> VersionInfo:
        """Make `version` (default: the latest) the one leaders see, with the reason given; the
        roster history follows it. Publishing an older version is how a result is rolled back."""
        number = db.write(self.engine, lambda conn: self._publish_tx(conn, period, version, who, reason))
        return self.version(period, number)

    def write_demo_if_empty(self, versions: Sequence[NewVersion], demo_accounts: Sequence[NewAccount],
                            who: str) -> list[str]:
        """Store and publish every version, and create the demo accounts, in one transaction, only
        if the store holds no version and no account yet (two processes starting at once write
        them once). Returns the periods written."""
        def tx(conn: Connection) -> list[str]:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(728317)"))
            if conn.execute(select(func.count()).select_from(s.versions)).scalar() or accounts.count(conn):
                return []
            for v in versions:
                self._import_tx(conn, v, who)
                self._publish_tx(conn, v.period, None, who, "示范数据 / demo data")
            for a in demo_accounts:
                self._create_account_tx(conn, a, who)
            return [v.period for v in versions]
        return db.write(self.engine, tx)

    # ------------------------------------------------------------------ accounts
    def account(self, username: str) -> Account | None:
        return self._read(lambda c: accounts.by_username(c, username))

    def account_by_sso(self, identity: str) -> Account | None:
        return self._read(lambda c: accounts.by_sso(c, identity))

    def accounts(self) -> list[Account]:
        return self._read(accounts.listing)

    def count_accounts(self) -> int:
        return self._read(accounts.count)

    def create_account(self, account: NewAccount, who: str, first: bool = False) -> None:
        """Add an account. With `first`, only while the store has none (the first admin): two
        people creating it at once get one account and one refusal."""
        def tx(conn: Connection) -> None:
            if first and accounts.count(conn):
                raise AccountExists(account.username, first=True)
            self._create_account_tx(conn, account, who)
        db.write(self.engine, tx)

    def _create_account_tx(self, conn: Connection, a: NewAccount, who: str) -> None:
        if accounts.by_username(conn, a.username) is not None:
            raise AccountExists(a.username)
        accounts.create(conn, a.username, a.display_name, a.password_hash, a.roles, a.unit_id, a.sso, a.demo, who,
                        _now())
        self._audit(conn, who, "add_account", None, None, {"username": a.username, "roles": sorted(a.roles),
                                                          "unit_id": a.unit_id, "sso": a.sso, "demo": a.demo})

    def update_account(self, username: str, who: str, action: str, detail: dict | None = None, **values) -> None:
        """Change an account's columns (a password hash, disabled, display name, unit, sso, lang) with
        an audit row `action`; NotFound when there is no such account."""
        def tx(conn: Connection) -> None:
            if not accounts.update(conn, username, **values):
                raise NotFound(f"没有账户“{username}”", f"no account {username!r}")
            self._audit(conn, who, action, None, None, {"username": username, **(detail or {})})
        db.write(self.engine, tx)

    def set_roles(self, username: str, roles: frozenset[str], who: str) -> None:
        def tx(conn: Connection) -> None:
            account_id = accounts.account_id(conn, username)
            if account_id is None:
                raise NotFound(f"没有账户“{username}”", f"no account {username!r}")
            accounts.set_roles(conn, account_id, roles)
            self._audit(conn, who, "set_roles", None, None, {"username": username, "roles": sorted(roles)})
        db.write(self.engine, tx)

    def record_sign_in(self, username: str, ok: bool, lock_for: Callable[[int], int], how: str) -> Account | None:
        """Count a sign-in attempt in one transaction: success clears the failures, a failure adds
        one and locks the account for `lock_for(failures)` minutes. Returns the account after it."""
        def tx(conn: Connection) -> Account | None:
            found = accounts.by_username(conn, username)
            if found is None:
                self._audit(conn, username[:64], "sign_in_failed", None, None, {"how": how, "known": False})
                return None
            now = datetime.now(UTC)
            if ok:
                accounts.update(conn, username, failures=0, locked_until=None, last_login_at=_now())
                self._audit(conn, username, "sign_in", None, None, {"how": how})
            else:
                failures = found.failures + 1
                minutes = lock_for(failures)
                until = (now + timedelta(minutes=minutes)).isoformat(timespec="seconds") if minutes else None
                accounts.update(conn, username, failures=failures, locked_until=until)
                self._audit(conn, username, "sign_in_failed", None, None,
                            {"how": how, "failures": failures, "locked_until": until})
            return accounts.by_username(conn, username)
        return db.write(self.engine, tx)


    def is_empty(self) -> bool:
        return not self.periods().shape[0]

    @staticmethod
    def _model_id(conn: Connection, sha: str, name: str, label: str, toml: str, now: str) -> int:
        """The id of this exact model text, stored once however often it is used."""
        model_id = conn.execute(select(s.model_versions.c.id).where(s.model_versions.c.sha256 == sha)).scalar()
        if model_id is None:
            model_id = conn.execute(s.model_versions.insert().values(
                sha256=sha, name=name, label=label, toml=toml, created_at=now)).inserted_primary_key[0]
        return model_id

    def save_model(self, model: Model, who: str, note: str = "") -> int:
        """Keep a model version as a draft (never overwriting one; the same text is kept once).
        It scores nothing until an officer activates it (`activate_model`)."""
        toml = model.to_toml()

        def tx(conn: Connection) -> int:
            m = s.model_versions
            sha = codec.sha256_text(toml)
            found = conn.execute(select(m.c.id, m.c.created_by).where(m.c.sha256 == sha)).first()
            if found is None:
                model_id = conn.execute(m.insert().values(
                    sha256=sha, name=model.model.name, label=model.model.version, toml=toml, created_at=_now(),
                    created_by=who, note=note)).inserted_primary_key[0]
            else:
                model_id = found.id
                if found.created_by is None:  # a model an import brought along, now saved by someone
                    conn.execute(m.update().where(m.c.id == model_id).values(created_by=who, note=note))
            self._audit(conn, who, "save_model", None, None, {"model_id": model_id, "label": model.model.version,
                                                             "note": note})
            return model_id
        return db.write(self.engine, tx)

    def activate_model(self, model_id: int, who: str, reason: str) -> None:
        """Make a stored model version the one new imports are scored with. Lives in the store, so
        every dashboard process behind a load balancer agrees."""
        def tx(conn: Connection) -> None:
            label = conn.execute(select(s.model_versions.c.label).where(s.model_versions.c.id == model_id)).scalar()
            if label is None:
                raise NotFound(f"没有第 {model_id} 号模型", f"no model {model_id}")
            key = s.meta.c.key == ACTIVE_MODEL_KEY
            previous = conn.execute(select(s.meta.c.value).where(key)).scalar()
            if previous is None:
                conn.execute(s.meta.insert().values(key=ACTIVE_MODEL_KEY, value=str(model_id)))
            else:
                conn.execute(s.meta.update().where(key).values(value=str(model_id)))
            self._audit(conn, who, "activate_model", None, None, {"model_id": model_id, "label": label,
                                                                 "previous": previous, "reason": reason})
        db.write(self.engine, tx)

    def model_versions(self) -> pd.DataFrame:
        """Every stored model version (saved ones and those imports used): id, name, label, created_at,
        created_by, note, active."""
        def read(conn: Connection) -> pd.DataFrame:
            m = s.model_versions
            df = frame(conn.execute(select(m.c.id, m.c.name, m.c.label, m.c.created_at, m.c.created_by, m.c.note)
                                    .order_by(m.c.id)))
            active = conn.execute(select(s.meta.c.value).where(s.meta.c.key == ACTIVE_MODEL_KEY)).scalar()
            return df.assign(active=df["id"].astype(str) == (active or ""))
        return self._read(read)

    def stored_model(self, model_id: int) -> Model:
        toml = self._read(lambda c: c.execute(select(s.model_versions.c.toml)
                                              .where(s.model_versions.c.id == model_id)).scalar())
        if toml is None:
            raise NotFound(f"没有第 {model_id} 号模型", f"no model {model_id}")
        return model_from_toml(toml, f"model #{model_id}")

    def active_model_id(self) -> int | None:
        """The id of the model last activated, or None (the model that ships with Sanwei)."""
        active = self._read(lambda c: c.execute(select(s.meta.c.value).where(s.meta.c.key == ACTIVE_MODEL_KEY)).scalar())
        return None if active is None else int(active)

    def active_model(self, default: Model) -> Model:
        """The model last activated, else `default` (the model that ships with Sanwei)."""
        model_id = self.active_model_id()
        return default if model_id is None else self.stored_model(model_id)

    def _import_tx(self, conn: Connection, p: NewVersion, who: str) -> VersionInfo:
        now = _now()
        model_id = self._model_id(conn, p.model_sha, p.model_name, p.model_label, p.model_toml, now)
        number = self._next_number(conn, p.period)
        vid = conn.execute(s.versions.insert().values(
            period=p.period, number=number, model_id=model_id, checksum=p.checksum,
            row_counts=json.dumps(p.row_counts), survey_items=dumps(p.items), reverse_criteria=dumps(p.criteria),
            excluded=dumps(p.excluded), warnings=dumps(p.warnings), created_by=who, created_at=now,
        )).inserted_primary_key[0]
        insert_inputs(conn, vid, p.rows)
        import_id = conn.execute(s.imports.insert().values(
            version_id=vid, who=who, at=now, row_counts=json.dumps(p.row_counts), report=dumps(p.report),
        )).inserted_primary_key[0]
        if p.files:
            conn.execute(s.import_files.insert(), [
                {"import_id": import_id, "seq": i, "file_name": f.name, "sha256": f.sha256, "size": f.size}
                for i, f in enumerate(p.files)])
        conn.execute(s.snapshots.insert().values(version_id=vid, sha256=codec.sha256_text(p.snapshot), json=p.snapshot))
        if p.result_rows:
            conn.execute(s.result_units.insert(), [dict(zip(RESULT_COLUMNS, r, strict=True)) | {"version_id": vid}
                                                   for r in p.result_rows])
        detail = {"files": [f.name for f in p.files], "rows": p.row_counts, "warnings": len(p.warnings),
                  "checksum": p.checksum}
        if p.rows.get("exemptions"):  # 容错纠错 waive scores: the audit names each one and its document
            detail["exemptions"] = [{"unit_id": r[0], "target": r[1], "document": r[3], "approved_on": r[4]}
                                    for r in p.rows["exemptions"]]
        self._audit(conn, who, "import", p.period, number, detail)
        return VersionInfo(p.period, number, vid, p.checksum, p.model_sha, p.model_label, who, now, False,
                           None, None, p.row_counts, p.model_name)

    @staticmethod
    def _next_number(conn: Connection, period: str) -> int:
        """Allocate the period's next version number under a row lock (a no-op clause on SQLite,
        whose BEGIN IMMEDIATE already admits one writer). The unique (period, number) constraint
        backs it up: a loser of a race is retried by db.write."""
        row = conn.execute(select(s.periods.c.last_version).where(s.periods.c.period == period)
                           .with_for_update()).first()
        if row is None:
            conn.execute(s.periods.insert().values(period=period, last_version=1))
            return 1
        conn.execute(s.periods.update().where(s.periods.c.period == period).values(last_version=row[0] + 1))
        return row[0] + 1

    def _publish_tx(self, conn: Connection, period: str, version: int | None, who: str, reason: str) -> int:
        row = conn.execute(select(s.periods).where(s.periods.c.period == period).with_for_update()).first()
        if row is None:
            raise NotFound(f"没有 {period} 的数据", f"no data for {period}")
        number = version or row.last_version
        v = conn.execute(select(s.versions.c.id).where(s.versions.c.period == period,
                                                       s.versions.c.number == number)).first()
        if v is None:
            raise NotFound(f"{period} 没有第 {number} 版", f"{period} has no version {number}")
        now = _now()
        conn.execute(s.periods.update().where(s.periods.c.period == period).values(published_version=number))
        conn.execute(s.versions.update().where(s.versions.c.id == v.id).values(published_by=who, published_at=now))
        conn.execute(s.publications.insert().values(version_id=v.id, who=who, at=now, reason=reason))
        history.update_roster(conn, period, v.id)
        previous = row.published_version
        self._audit(conn, who, "rollback" if previous and number < previous else "publish", period, number,
                    {"previous": previous, "reason": reason})
        return number

    def record_audit(self, who: str, action: str, detail: dict) -> None:
        """An audit entry for something done outside a store transaction (a backup, a restore)."""
        db.write(self.engine, lambda conn: self._audit(conn, who, action, None, None, detail))

    @staticmethod
    def _audit(conn: Connection, who: str, action: str, period: str | None, version: int | None, detail: dict) -> None:
        conn.execute(s.audit.insert().values(at=_now(), who=who, action=action, period=period, version=version,
                                             detail=dumps(detail)))

    # ------------------------------------------------------------------ reading
    def _read(self, fn: Callable[[Connection], Any]) -> Any:
        return db.read(self.engine, fn)

    def periods(self) -> pd.DataFrame:
        """period, last_version, published_version (None while only drafts exist)."""
        return self._read(lambda c: frame(c.execute(select(s.periods).order_by(s.periods.c.period))))

    def state(self) -> StoreState:
        """The store's publication state in one read (see StoreState)."""
        def read(conn: Connection) -> StoreState:
            rows = conn.execute(select(s.periods.c.period, s.periods.c.last_version, s.periods.c.published_version)
                                .order_by(s.periods.c.period)).all()
            pubs = conn.execute(select(func.count()).select_from(s.publications)).scalar_one()
            active = conn.execute(select(s.meta.c.value).where(s.meta.c.key == ACTIVE_MODEL_KEY)).scalar()
            return StoreState(tuple((r[0], int(r[1]), None if r[2] is None else int(r[2])) for r in rows), int(pubs),
                              None if active is None else int(active))
        return self._read(read)

    def published_periods(self) -> list[str]:
        df = self.periods()
        return list(df.loc[df["published_version"].notna(), "period"])

    def _version_row(self, conn: Connection, period: str, version: Version) -> Any:
        p = conn.execute(select(s.periods).where(s.periods.c.period == period)).first()
        if p is None:
            raise NotFound(f"没有 {period} 的数据", f"no data for {period}")
        number = {None: p.published_version, "latest": p.last_version}.get(version, version)
        if number is None:
            raise NotFound(f"{period} 尚未发布", f"{period} has not been published")
        row = conn.execute(self._versions_query().where(s.versions.c.period == period,
                                                        s.versions.c.number == number)).first()
        if row is None:
            raise NotFound(f"{period} 没有第 {number} 版", f"{period} has no version {number}")
        return row

    @staticmethod
    def _versions_query():
        v, m, p, pub = s.versions, s.model_versions, s.periods, s.publications
        reason = (select(pub.c.reason).where(pub.c.version_id == v.c.id).order_by(pub.c.id.desc()).limit(1)
                  .scalar_subquery())
        return (select(v, m.c.sha256.label("model_sha"), m.c.label.label("model_label"),
                       m.c.name.label("model_name"), reason.label("publish_reason"),
                       (p.c.published_version == v.c.number).label("is_published"))
                .join(m, m.c.id == v.c.model_id).join(p, p.c.period == v.c.period))

    @staticmethod
    def _info(row: Any) -> VersionInfo:
        return VersionInfo(row.period, row.number, row.id, row.checksum, row.model_sha, row.model_label,
                           row.created_by, row.created_at, bool(row.is_published), row.published_by,
                           row.published_at, json.loads(row.row_counts), row.model_name, row.publish_reason)

    def versions(self, period: str) -> list[VersionInfo]:
        rows = self._read(lambda c: c.execute(self._versions_query().where(s.versions.c.period == period)
                                              .order_by(s.versions.c.number)).all())
        return [self._info(r) for r in rows]

    def version(self, period: str, version: Version = None) -> VersionInfo:
        return self._info(self._read(lambda c: self._version_row(c, period, version)))

    def inputs(self, period: str, version: Version = None) -> PeriodInputs:
        def read(conn: Connection) -> PeriodInputs:
            v = self._version_row(conn, period, version)
            return codec.decode(period, load_inputs(conn, v.id), json.loads(v.survey_items),
                                json.loads(v.reverse_criteria), json.loads(v.excluded), json.loads(v.warnings))
        return self._read(read)

    def reverse_ratings(self, period: str, version: Version = None) -> tuple[pd.DataFrame, list[str]]:
        """A version's reverse ratings (rater number, unit_id, one column per criterion) and its
        criteria, without decoding the rest of its inputs."""
        def read(conn: Connection) -> tuple[pd.DataFrame, list[str]]:
            v = self._version_row(conn, period, version)
            criteria = json.loads(v.reverse_criteria)
            t = s.reverse_ratings
            rows = [tuple(r) for r in conn.execute(select(t.c.rater, t.c.unit_id, t.c.answers)
                                                    .where(t.c.version_id == v.id).order_by(t.c.seq))]
            return codec.reverse_frame(rows, criteria), criteria
        return self._read(read)

    def model(self, period: str, version: Version = None) -> Model:
        def read(conn: Connection) -> str:
            v = self._version_row(conn, period, version)
            return conn.execute(select(s.model_versions.c.toml).where(s.model_versions.c.id == v.model_id)).scalar_one()
        return model_from_toml(self._read(read), f"{period} model")

    def results(self, period: str, version: Version = None) -> pd.DataFrame:
        """The units table of a version's result (PeriodResult.units shape); the published one by default."""
        def read(conn: Connection) -> pd.DataFrame:
            v = self._version_row(conn, period, version)
            return results_frame(conn.execute(select(*(s.result_units.c[c] for c in RESULT_COLUMNS))
                                              .where(s.result_units.c.version_id == v.id)
                                              .order_by(s.result_units.c.rank_overall.nulls_last(), s.result_units.c.unit_id)))
        return self._read(read)

    def snapshot_text(self, period: str, version: Version = None) -> str:
        def read(conn: Connection) -> str:
            v = self._version_row(conn, period, version)
            return conn.execute(select(s.snapshots.c.json).where(s.snapshots.c.version_id == v.id)).scalar_one()
        return self._read(read)

    def result_json(self, period: str, version: Version = None) -> dict:
        """The stored JSON contract of a version's result (per-unit breakdowns included)."""
        return json.loads(self.snapshot_text(period, version))

    def rankings(self, period: str, version: int | None = None, previous: tuple[str, int] | None = None) -> pd.DataFrame:
        """The published quarter for the rankings page, with change vs the previous published quarter
        (or exactly `version` of `period` against `previous` = (period, version) or None)."""
        return self._read(lambda c: history.rankings(c, period, version, previous))

    def history(self, unit_id: str) -> pd.DataFrame:
        """One unit across published quarters: scores, ranks, grade and change vs the quarter before."""
        return self._read(lambda c: history.unit_history(c, unit_id))

    def published_results(self, year: int | str) -> pd.DataFrame:
        """The ranked (ok) units of every published quarter of `year`, with the period, in period order."""
        return self._read(lambda c: history.published_in_year(c, str(year)))

    def roster(self, period: str | None = None) -> pd.DataFrame:
        """Units of the latest published version at or before `period`, named as valid at `period`."""
        return self._read(lambda c: history.roster(c, period))

    def diff(self, period: str, old: int, new: int) -> diff.VersionDiff:
        def read(conn: Connection) -> diff.VersionDiff:
            a, b = self._version_row(conn, period, old), self._version_row(conn, period, new)
            return diff.compare(conn, period, a, b)
        return self._read(read)

    def imports(self, period: str | None = None) -> pd.DataFrame:
        """Import history: version, who, when, row counts, files (name, sha256, size), error/warning counts."""
        def read(conn: Connection) -> pd.DataFrame:
            q = (select(s.versions.c.period, s.versions.c.number.label("version"), s.imports.c.id, s.imports.c.who,
                        s.imports.c.at, s.imports.c.row_counts, s.imports.c.report)
                 .join(s.versions, s.versions.c.id == s.imports.c.version_id).order_by(s.imports.c.id))
            if period is not None:
                q = q.where(s.versions.c.period == period)
            df = frame(conn.execute(q))
            files = frame(conn.execute(select(s.import_files).order_by(s.import_files.c.import_id, s.import_files.c.seq)))
            grouped = {k: g[["file_name", "sha256", "size"]].to_dict("records") for k, g in files.groupby("import_id")}
            df["files"] = [grouped.get(i, []) for i in df["id"]]
            df["row_counts"] = [json.loads(r) for r in df["row_counts"]]
            reports = [json.loads(r) for r in df["report"]]
            df["warnings"] = [sum(i["severity"] == "warning" for i in r) for r in reports]
            df["report"] = reports
            return df.drop(columns="id")
        return self._read(read)

    def audit(self, limit: int = 500) -> pd.DataFrame:
        """The newest `limit` audit entries: at, who, action, period, version, detail."""
        return self._read(lambda c: frame(c.execute(
            select(s.audit.c.at, s.audit.c.who, s.audit.c.action, s.audit.c.period, s.audit.c.version,
                   s.audit.c.detail).order_by(s.audit.c.id.desc()).limit(limit))))

    def verify(self) -> list[str]:
        """Recompute every version's checksums and row counts from storage; [] means intact."""
        def read(conn: Connection) -> list[str]:
            problems = []
            q = select(s.versions.c.id, s.versions.c.period, s.versions.c.number, s.versions.c.checksum,
                       s.versions.c.row_counts, s.versions.c.survey_items, s.versions.c.reverse_criteria,
                       s.model_versions.c.sha256, s.model_versions.c.toml, s.snapshots.c.sha256.label("snap_sha"),
                       s.snapshots.c.json).join(s.model_versions, s.model_versions.c.id == s.versions.c.model_id) \
                .outerjoin(s.snapshots, s.snapshots.c.version_id == s.versions.c.id)
            for v in conn.execute(q):
                where = f"{v.period} v{v.number}"
                rows = load_inputs(conn, v.id)
                stored = json.loads(v.row_counts)  # versions stored before a table existed do not count it
                if {t: len(r) for t, r in rows.items() if t in stored or r} != stored:
                    problems.append(f"{where}: row counts differ")
                if codec.checksum(rows, v.sha256, json.loads(v.survey_items), json.loads(v.reverse_criteria)) != v.checksum:
                    problems.append(f"{where}: input checksum differs")
                if codec.sha256_text(v.toml) != v.sha256:
                    problems.append(f"{where}: model text differs from its hash")
                if v.json is None or codec.sha256_text(v.json) != v.snap_sha:
                    problems.append(f"{where}: result snapshot missing or altered")
            return problems
        return self._read(read)

