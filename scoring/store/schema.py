"""The store's tables (SQLAlchemy Core, portable to SQLite and PostgreSQL) and their migrations.

Every version of a period is immutable once written: its inputs, its model and its result
snapshot are rows keyed by `version_id`. Only the publication pointers change afterwards.
JSON goes into TEXT columns so both databases store it the same way.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)

from scoring.text import SanweiError

metadata = MetaData()
Real = Float(53)  # double precision on PostgreSQL, REAL on SQLite


def _ref(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="RESTRICT")


meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

model_versions = Table(
    "model_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("toml", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", Text),   # schema 3: who saved it (NULL: a model an import brought along)
    Column("note", Text),         # schema 3: what the draft changes, in its author's words
)

# One row per period; locked (FOR UPDATE) to allocate version numbers without races.
periods = Table(
    "periods", metadata,
    Column("period", String(16), primary_key=True),
    Column("last_version", Integer, nullable=False),
    Column("published_version", Integer),
)

versions = Table(
    "versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(16), _ref("periods.period"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("model_id", Integer, _ref("model_versions.id"), nullable=False),
    Column("checksum", String(64), nullable=False),     # sha256 of the stored inputs + model hash
    Column("row_counts", Text, nullable=False),         # {"survey": n, ...}
    Column("survey_items", Text, nullable=False),       # item columns, in order
    Column("reverse_criteria", Text, nullable=False),
    Column("excluded", Text, nullable=False),           # formalism exclusions
    Column("warnings", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("published_by", Text),
    Column("published_at", String(32)),
    UniqueConstraint("period", "number", name="uq_versions_period_number"),
)

imports = Table(
    "imports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version_id", Integer, _ref("versions.id"), nullable=False, unique=True),
    Column("who", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Column("row_counts", Text, nullable=False),
    Column("report", Text, nullable=False),             # the validation report's issues, as JSON records
)

import_files = Table(
    "import_files", metadata,
    Column("import_id", Integer, _ref("imports.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
)


def _input_table(name: str, *columns: Column) -> Table:
    """A normalised input table: rows of one version, kept in their imported order by `seq`."""
    return Table(name, metadata,
                 Column("version_id", Integer, _ref("versions.id"), primary_key=True),
                 Column("seq", Integer, primary_key=True),
                 *columns)


version_units = _input_table(
    "version_units",
    Column("unit_id", Text, nullable=False), Column("unit_name", Text), Column("unit_type", Text),
    Column("group_name", Text))
survey_responses = _input_table(
    "survey_responses",
    Column("response_id", Text), Column("unit_id", Text), Column("respondent_group", Text),
    Column("channel", Text),
    Column("answers", Text, nullable=False),  # JSON list aligned with versions.survey_items
    Column("duration", Real))                 # seconds taken, when the survey file gives them (schema 4)
indicator_values = _input_table(
    "indicator_values",
    Column("unit_id", Text), Column("code", Text), Column("value", Real), Column("source", Text))
compliance_results = _input_table(
    "compliance_results",
    Column("unit_id", Text), Column("item", Text), Column("status", String(16)), Column("points", Real))
adjustments = _input_table(
    "adjustments",
    Column("unit_id", Text), Column("bonus", Real), Column("deduction", Real), Column("veto", Text),
    Column("note", Text))
reverse_ratings = _input_table(
    "reverse_ratings",
    Column("rater", Integer),                 # anonymous, numbered per import; never a name
    Column("unit_id", Text),
    Column("answers", Text, nullable=False))  # JSON list aligned with versions.reverse_criteria

exemptions = _input_table(  # 容错纠错 (schema 4)
    "exemptions",
    Column("unit_id", Text), Column("target", Text), Column("reason", Text), Column("document", Text),
    Column("approved_on", String(10)))

previous_values = _input_table(  # schema 6: the previous quarter's values a "previous" missing policy fills from
    "previous_values",
    Column("unit_id", Text), Column("code", Text), Column("value", Real), Column("period", String(16)))

INPUT_TABLES = {"units": version_units, "survey": survey_responses, "indicators": indicator_values,
                "compliance": compliance_results, "adjustments": adjustments, "reverse": reverse_ratings,
                "exemptions": exemptions, "previous": previous_values}

# The roster's identity and history: unit_id never changes; a rename or a move to another
# group is a new row valid from the period of the published version that made it.
units = Table(
    "units", metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("first_period", String(16), nullable=False),
)
unit_history = Table(
    "unit_history", metadata,
    Column("unit_id", String(64), _ref("units.unit_id"), primary_key=True),
    Column("valid_from", String(16), primary_key=True),
    Column("unit_name", Text), Column("unit_type", Text), Column("group_name", Text),
    Column("version_id", Integer, _ref("versions.id"), nullable=False),
)

# Published result snapshots: the full JSON contract, and the per-unit table the rankings read.
snapshots = Table(
    "snapshots", metadata,
    Column("version_id", Integer, _ref("versions.id"), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("json", Text, nullable=False),
)
result_units = Table(
    "result_units", metadata,
    Column("version_id", Integer, _ref("versions.id"), primary_key=True),
    Column("unit_id", String(64), primary_key=True),
    Column("unit_name", Text), Column("unit_type", Text), Column("group_name", Text),
    Column("status", String(16)),
    Column("mass", Real), Column("performance", Real), Column("compliance", Real),
    Column("bonus", Real), Column("deduction", Real), Column("total", Real), Column("total_unclipped", Real),
    Column("rank_group", Integer), Column("rank_overall", Integer),
    Column("grade", Text), Column("veto", Text), Column("grade_cap", Integer),
    Column("flags", Text, nullable=False),   # JSON list
    Column("n_raters", Integer),             # distinct reverse-evaluation raters of a rated department (schema 4)
)

# Accounts (schema 3). A password hash is argon2 (never the password); an account signed in through
# the office's identity provider has `sso` = the provider's e-mail or subject and may have no hash.
accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text),
    Column("sso", String(256), unique=True),
    Column("unit_id", String(64)),             # the unit of a unit account
    Column("disabled", Integer, nullable=False),
    Column("demo", Integer, nullable=False),   # a demo account: one click to sign in, only in demo mode
    Column("failures", Integer, nullable=False),
    Column("locked_until", String(32)),
    Column("lang", String(8)),
    Column("created_by", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_login_at", String(32)),
)
account_roles = Table(
    "account_roles", metadata,
    Column("account_id", Integer, _ref("accounts.id"), primary_key=True),
    Column("role", String(16), primary_key=True),
)

# Every publication of a version (a rollback is a publication of an older one), with its reason.
publications = Table(
    "publications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version_id", Integer, _ref("versions.id"), nullable=False),
    Column("who", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Column("reason", Text, nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("who", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("period", String(16)),
    Column("version", Integer),
    Column("detail", Text, nullable=False),
)

# ---------------------------------------------------------------- migrations
# A fresh database gets the current tables and SCHEMA_VERSION at once. An older database runs
# MIGRATIONS[v] for every v from its version up: each step upgrades v -> v + 1 in the same
# transaction as the version bump, so a failed upgrade leaves the old schema intact.
SCHEMA_VERSION = 6


def _split(text: str) -> tuple[str, str]:
    """A schema-1 message "中文 / English" as its two halves. Data in the Chinese half may hold
    " / " itself (a veto reason), so the cut is the first " / " that English text follows."""
    parts = re.split(r" / (?=[A-Za-z0-9])", str(text), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])


def _structured_messages(conn: Connection) -> None:
    """1 -> 2: flags, warnings and formalism exclusions were joined "中文 / English" strings; they
    become codes and parameters (flags; the old words kept as `text_zh`/`text_en`), located
    issues (warnings) and data (exclusions), as the library now writes them."""
    def flags(raw: str) -> str:
        out = []
        for f in json.loads(raw):
            code, _, words = str(f).partition(": ")
            zh, en = _split(words)
            out.append({"code": code, "params": {"text_zh": zh, "text_en": en}})
        return json.dumps(out, ensure_ascii=False)

    def warnings(raw: str) -> str:
        return json.dumps([{"severity": "warning", "file": "", "message_zh": zh, "message_en": en}
                           for zh, en in map(_split, json.loads(raw))], ensure_ascii=False)

    def excluded(raw: str) -> str:
        rows = json.loads(raw)
        return json.dumps([{"file": e["file"], "column": e["column"], "keyword": e["keyword"],
                            "overridden": e["overridden"],
                            "note": _split(e.get("reason", ""))[1].partition(": ")[2] if e["overridden"] else ""}
                           for e in rows], ensure_ascii=False)

    for row in conn.execute(select(result_units.c.version_id, result_units.c.unit_id, result_units.c.flags)).all():
        conn.execute(result_units.update().where(result_units.c.version_id == row.version_id,
                                                 result_units.c.unit_id == row.unit_id).values(flags=flags(row.flags)))
    for row in conn.execute(select(versions.c.id, versions.c.warnings, versions.c.excluded)).all():
        conn.execute(versions.update().where(versions.c.id == row.id).values(
            warnings=warnings(row.warnings), excluded=excluded(row.excluded)))


def _accounts(conn: Connection) -> None:
    """2 -> 3: accounts and roles, publications with their reasons, who saved a model version."""
    for table in (accounts, account_roles, publications):
        table.create(conn, checkfirst=True)
    have = {c["name"] for c in inspect(conn).get_columns("model_versions")}
    for column in ("created_by", "note"):
        if column not in have:
            conn.execute(text(f"ALTER TABLE model_versions ADD COLUMN {column} TEXT"))
    if conn.execute(select(publications.c.id).limit(1)).first() is not None:
        return
    conn.execute(publications.insert().from_select(
        ["version_id", "who", "at", "reason"],
        select(versions.c.id, versions.c.published_by, versions.c.published_at, text("''"))
        .where(versions.c.published_by.isnot(None))))


def _add_column(conn: Connection, table: Table, name: str) -> None:
    """Add a column of the current table definition, unless it is there already."""
    if name in {c["name"] for c in inspect(conn).get_columns(table.name)}:
        return
    kind = table.c[name].type.compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))


_LEGACY_DIMENSIONS = {"群众评价": "mass", "实绩数据": "performance", "过程合规": "compliance"}
_LEGACY_INCOMPLETE = re.compile(r"^缺少(.+?)数据，不排名、不评等次$")


def _legacy_incomplete(raw: str) -> str:
    """Schema 1 worded `incomplete` as "缺少实绩数据数据…" (the dimension's name, which ends in 数据,
    then 数据 again) and the upgrade to 2 kept those words; they become the code and its dimensions."""
    out, changed = [], False
    for f in json.loads(raw):
        m = _LEGACY_INCOMPLETE.match(str((f.get("params") or {}).get("text_zh", ""))) if f.get("code") == "incomplete" else None
        names = m.group(1).split("、") if m else []
        if names and all(n in _LEGACY_DIMENSIONS for n in names):
            f, changed = {"code": "incomplete", "params": {"dimensions": [_LEGACY_DIMENSIONS[n] for n in names]}}, True
        out.append(f)
    return json.dumps(out, ensure_ascii=False) if changed else raw


def _backfill_raters(conn: Connection) -> None:
    """Rater counts of the versions stored before schema 4, from their stored ratings: distinct raters
    with at least one scored answer, per department of a rated type (as the pipeline counts them)."""
    models = {}
    for v in conn.execute(select(versions.c.id, versions.c.reverse_criteria, model_versions.c.toml)
                          .join(model_versions, model_versions.c.id == versions.c.model_id)).all():
        if v.toml not in models:
            data = tomllib.loads(v.toml)
            rev, scale = data.get("reverse"), (data.get("survey") or {}).get("answer", [])
            models[v.toml] = None if rev is None else (
                set(rev.get("applies_to", ["市直部门"])), {a["label"] for a in scale if "score" in a})
        spec = models[v.toml]
        if spec is None:
            continue
        types, scored = spec
        raters: dict[str, set] = {}
        for r in conn.execute(select(reverse_ratings.c.rater, reverse_ratings.c.unit_id, reverse_ratings.c.answers)
                              .where(reverse_ratings.c.version_id == v.id)):
            if any(a in scored for a in json.loads(r.answers) if isinstance(a, str)):
                raters.setdefault(r.unit_id, set()).add(r.rater)
        if not raters and not conn.execute(select(reverse_ratings.c.seq).where(
                reverse_ratings.c.version_id == v.id).limit(1)).first():
            continue  # no reverse evaluation in that version: no count
        for u in conn.execute(select(result_units.c.unit_id, result_units.c.unit_type)
                              .where(result_units.c.version_id == v.id)).all():
            if u.unit_type in types:
                conn.execute(result_units.update().where(result_units.c.version_id == v.id,
                                                         result_units.c.unit_id == u.unit_id)
                             .values(n_raters=len(raters.get(u.unit_id, ()))))


def _exemptions_and_raters(conn: Connection) -> None:
    """3 -> 4: survey durations (for the straight-lining screen's speed evidence); exemptions (容错纠错)
    as an input table; the rater count of
    each rated department (filled in for the versions already stored); legacy `incomplete` flags as
    codes (their schema-1 words said 缺少实绩数据数据)."""
    _add_column(conn, survey_responses, "duration")
    exemptions.create(conn, checkfirst=True)
    _add_column(conn, result_units, "n_raters")
    _backfill_raters(conn)
    rows = conn.execute(select(result_units.c.version_id, result_units.c.unit_id, result_units.c.flags)
                        .where(result_units.c.flags.like('%"text_zh"%'))).all()
    for row in rows:
        if (flags := _legacy_incomplete(row.flags)) != row.flags:
            conn.execute(result_units.update().where(result_units.c.version_id == row.version_id,
                                                     result_units.c.unit_id == row.unit_id).values(flags=flags))


def _pseudonymous_raters(conn: Connection) -> None:
    """4 -> 5: reverse raters were numbered 1, 2, … in order of first appearance over the period and
    kept in imported row order, so rater 1 was the first township of the roster. Every stored
    version's raters become random numbers per department, its rows sorted by (department, number)
    as the importer now stores them, and its input checksum is recomputed over the new rows.
    Scores do not change: a department's result depends only on its distinct raters' ratings."""
    import numpy as np
    import pandas as pd

    from scoring.inputs import anonymise_raters
    from scoring.store import codec, io

    rng = np.random.default_rng()
    ids = [r.id for r in conn.execute(select(versions.c.id).order_by(versions.c.id))]
    for vid in ids:
        rows = io.load_inputs(conn, vid)
        if not rows["reverse"]:
            continue
        frame = pd.DataFrame(rows["reverse"], columns=["rater", "unit_id", "answers"])
        frame["rater"] = frame["rater"].map(lambda r: None if r is None else f"r{r}")  # names again, to draw afresh
        shuffled = anonymise_raters(frame, rng)
        rows["reverse"] = [(None if pd.isna(r) else int(r), u, a) for r, u, a in
                           shuffled[["rater", "unit_id", "answers"]].itertuples(index=False, name=None)]
        conn.execute(reverse_ratings.delete().where(reverse_ratings.c.version_id == vid))
        io.bulk_insert(conn, reverse_ratings, ["version_id", "seq", "rater", "unit_id", "answers"],
                       [(vid, i, *r) for i, r in enumerate(rows["reverse"])])
        v = conn.execute(select(versions.c.survey_items, versions.c.reverse_criteria, model_versions.c.sha256)
                         .join(model_versions, model_versions.c.id == versions.c.model_id)
                         .where(versions.c.id == vid)).one()
        checksum = codec.checksum(rows, v.sha256, json.loads(v.survey_items), json.loads(v.reverse_criteria))
        conn.execute(versions.update().where(versions.c.id == vid).values(checksum=checksum))


def _previous_values(conn: Connection) -> None:
    """5 -> 6: the table of previous-quarter values kept with a version (issue 16); old versions have none."""
    previous_values.create(conn, checkfirst=True)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _structured_messages, 2: _accounts,
                                                      3: _exemptions_and_raters, 4: _pseudonymous_raters,
                                                      5: _previous_values}


class SchemaError(SanweiError, RuntimeError):
    """The database was written by a newer Sanwei, or is not a Sanwei store."""


def current_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table("meta"):
        return None
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value) if value is not None else None


def migrate(conn: Connection, target: int = SCHEMA_VERSION,
            steps: dict[int, Callable[[Connection], None]] | None = None) -> tuple[int | None, int]:
    """Bring the schema to `target` inside the caller's write transaction; returns (from, to)."""
    steps = MIGRATIONS if steps is None else steps
    if conn.dialect.name == "postgresql":  # serialise concurrent first starts
        conn.execute(text("SELECT pg_advisory_xact_lock(728316)"))
    found = current_version(conn)
    if found is None:
        metadata.create_all(conn)
        conn.execute(meta.insert().values(key="schema_version", value=str(target)))
        return None, target
    if found > target:
        raise SchemaError(f"数据库结构版本 {found} 高于本程序支持的 {target}，请升级 Sanwei",
                          f"the database schema version {found} is newer than this Sanwei supports ({target}): upgrade")
    for v in range(found, target):
        steps[v](conn)
    if found != target:
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(target)))
    return found, target
