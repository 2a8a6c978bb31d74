"""Shared fixtures. PostgreSQL: one throw-away server per test session (tests/tempserver.py)."""

from __future__ import annotations

import os
import uuid

import pytest

from scoring.service import Service
from scoring.store import Store
from tests.actors import staff
from tests.tempserver import ServerUnavailable, TempPostgres, drop_database, fresh_database


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a real PostgreSQL server started for this session; skips (or, with
    SANWEI_REQUIRE_POSTGRES=1 as in CI, fails) when the server binaries are missing."""
    server = TempPostgres()
    try:
        server.start()
    except ServerUnavailable as err:
        server.stop()
        if os.environ.get("SANWEI_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (SANWEI_REQUIRE_POSTGRES=1) but unavailable: {err}")
        pytest.skip(f"PostgreSQL tests skipped: {err}")
    yield server.url
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A fresh, empty store location on each database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/sanwei.db"
        return
    url = fresh_database(request.getfixturevalue("postgres_url"), f"t_{uuid.uuid4().hex[:12]}")
    yield url
    drop_database(url)


@pytest.fixture
def store(store_url):
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture
def service(store):
    """The application service over `store`, acting as "tester"."""
    return Service(store, staff("tester"))
