"""Backing up a store and restoring it into an empty one, with the databases' own tools.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --single-transaction` (Debian's binaries,
found as tests/tempserver.py finds the server's; $SANWEI_PG_BINDIR overrides); the password goes in
the environment, never on a command line `ps` shows. SQLite: the online backup API, which copies
a consistent snapshot while the dashboard keeps reading and writing (WAL).

A restore goes only into an empty store — a new database, or a file that does not exist yet — so
it can never overwrite an office's data; afterwards every version's checksums are recomputed
(`Store.verify`). Who may do this is decided by the application service (scoring.service).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from scoring.text import SanweiError

SQLITE_MAGIC, PGDUMP_MAGIC = b"SQLite format 3\x00", b"PGDMP"


class BackupError(SanweiError, RuntimeError):
    """A backup or restore that could not be done; the target is unchanged."""


def _pg_tool(name: str) -> str:
    if explicit := os.environ.get("SANWEI_PG_BINDIR"):
        return str(Path(explicit) / name)
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:  # the newest: pg_dump must not be older than the server
        return found[-1]
    if which := shutil.which(name):
        return which
    raise BackupError(f"找不到 {name}：请安装 postgresql-client", f"{name} not found: apt-get install postgresql-client")


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BackupError(f"{Path(cmd[0]).name} 无法运行：{err}", f"{Path(cmd[0]).name} could not run: {err}") from None
    if proc.returncode:
        msg = (proc.stderr or proc.stdout).strip()[-800:]
        raise BackupError(f"{Path(cmd[0]).name} 失败：{msg}", f"{Path(cmd[0]).name} failed: {msg}")


def backup(url: str, out: str | Path) -> Path:
    """Write a backup of the store at `url` to `out` (never overwriting a file)."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} 已存在，不会覆盖", f"{out} exists: not overwriting it")
    out.parent.mkdir(parents=True, exist_ok=True)
    u = make_url(url)
    partial = out.with_name(out.name + ".partial")
    try:
        if u.get_backend_name() == "sqlite":
            src = sqlite3.connect(u.database)
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        else:
            conninfo, env = _libpq(u)
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
                  f"--dbname={conninfo}"], env)
        partial.replace(out)  # a backup file exists only once it is complete
    finally:
        partial.unlink(missing_ok=True)
    return out


def kind(path: str | Path) -> str:
    """'sqlite' or 'postgresql': which database a backup file came from."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} 不是 Sanwei 备份文件", f"{path} is not a Sanwei backup")


def is_empty(url: str) -> bool:
    """No Sanwei data at `url`: no tables at all, or a store with no version and no account."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and not Path(u.database).exists():
        return True
    engine = create_engine(u)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if not tables:
                return True
            if not {"versions", "accounts"} <= tables:
                return False  # a database holding something else: not ours to overwrite
            return not any(conn.execute(text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in ("versions", "accounts"))
    finally:
        engine.dispose()


def restore(path: str | Path, url: str) -> None:
    """Restore the backup at `path` into the empty store at `url` (same kind of database)."""
    path, u = Path(path), make_url(url)
    backend = "sqlite" if u.get_backend_name() == "sqlite" else "postgresql"
    if kind(path) != backend:
        raise BackupError(f"这是 {kind(path)} 的备份，不能恢复到 {backend}",
                          f"this is a {kind(path)} backup: it cannot be restored into {backend}")
    if not is_empty(url):
        raise BackupError("只能恢复到空的存储（新数据库或不存在的文件），现有数据未改动",
                          "a backup is restored only into an empty store (a new database or file): nothing was changed")
    if backend == "sqlite":
        target = Path(u.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):  # an empty store's files: replaced whole
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        partial = target.with_name(target.name + ".partial")
        src = sqlite3.connect(path)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        partial.replace(target)
        return
    conninfo, env = _libpq(u)
    _run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--clean", "--if-exists", "--exit-on-error",
          "--single-transaction", f"--dbname={conninfo}", str(path)], env)
