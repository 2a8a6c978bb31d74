"""A throw-away PostgreSQL server in a temp dir, for the test suite and bench/store.

Uses Debian's server binaries. When we run as root the cluster is owned by and run as the
`postgres` user, because the server refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server binaries, or no user to run them as: the caller skips or fails."""


def _bindir() -> Path:
    if explicit := os.environ.get("SANWEI_PG_BINDIR"):
        if not (Path(explicit) / "initdb").exists():
            raise ServerUnavailable(f"SANWEI_PG_BINDIR={explicit} holds no initdb")
        return Path(explicit)
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if not versions:
        raise ServerUnavailable("PostgreSQL server binaries (initdb) not found: apt-get install postgresql, "
                                "or set SANWEI_PG_BINDIR")
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """`with TempPostgres() as pg: pg.url` — a fresh cluster with database `sanwei`, removed on exit.

    `durable=False` turns fsync off: fine for tests (we kill clients, never the server), while the
    bench keeps the default so its figures are honest.
    """

    def __init__(self, durable: bool = False):
        self.bindir = Path()
        self.durable = durable
        self.dir: Path | None = None
        self.port = 0
        self._prefix: list[str] = []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/sanwei"

    def _run(self, *args: str) -> None:
        cmd = [*self._prefix, str(self.bindir / args[0]), *args[1:]]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")
        except (OSError, subprocess.TimeoutExpired) as err:
            raise ServerUnavailable(f"{args[0]} could not run: {err}") from None
        if proc.returncode != 0:
            raise ServerUnavailable(f"{' '.join(args[:1])} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def start(self) -> TempPostgres:
        self.bindir = _bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="sanwei-pg-"))
        if os.geteuid() == 0:
            try:
                import pwd
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerUnavailable("running as root but there is no `postgres` user to run the server") from None
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        data, sock = self.dir / "data", self.dir
        self.port = _free_port()
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        opts = f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=100"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "server.log"), "-o", opts, "-w", "-t", "60", "start")
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE sanwei")
        return self

    def stop(self) -> None:
        if self.dir is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        except ServerUnavailable:
            pass  # never started; the directory still goes
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> TempPostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def fresh_database(url: str, name: str) -> str:
    """Create database `name` on the server of `url` and return its URL (isolates one test)."""
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return u.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
