"""Real processes against the store: a writer killed with SIGKILL mid-import, and two writers
plus readers at once. Both run on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from scoring.service import Service
from scoring.store import Store
from scoring.store import schema as s
from tests.actors import staff
from tests.store_fixtures import MODEL, make_inputs

ROOT = Path(__file__).resolve().parent.parent


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.store_fixtures", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def all_versions(store: Store) -> dict[tuple[str, int], str]:
    return {(v.period, v.number): v.checksum for p in store.periods()["period"] for v in store.versions(p)}


def assert_intact(store: Store, url: str) -> None:
    """Physical integrity, no orphan rows, and every version's rows and checksums as recorded."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    with store.engine.connect() as c:
        ids = set(c.execute(sa.select(s.versions.c.id)).scalars())
        for table in (*s.INPUT_TABLES.values(), s.imports, s.snapshots, s.result_units):
            assert set(c.execute(sa.select(table.c.version_id).distinct()).scalars()) <= ids, table.name
    assert store.verify() == []


def test_sigkill_at_random_points_never_damages_earlier_versions(store_url):
    seed = int(os.environ.get("SANWEI_CRASH_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    store = Store(store_url)
    service = Service(store, staff("tester"))
    service.store_inputs(MODEL, make_inputs("2026Q1"))
    service.publish("2026Q1", reason="测试发布")
    service.store_inputs(MODEL, make_inputs("2026Q1", variant=1))
    published = store.snapshot_text("2026Q1")
    for round_ in range(6):
        before = all_versions(store)
        proc = spawn("write", store_url, "2026Q2", "3", "120", "50", str(round_))
        if round_ % 2 == 0:  # inside the import transaction, for sure
            assert proc.stdout.readline().strip() == "writing", proc.stderr.read()
            time.sleep(rng.uniform(0, 0.3))
        else:  # anywhere: scoring, writing, committing or publishing
            time.sleep(rng.uniform(0.3, 4.0))
        proc.kill()
        out, _ = proc.communicate()
        committed = {int(line.split()[1]) for line in out.splitlines() if line.startswith("committed")}

        after = all_versions(store)
        assert {k: after[k] for k in before} == before, f"seed {seed}"
        new = {n for (_, n) in set(after) - set(before)}
        last = max((n for (p, n) in before if p == "2026Q2"), default=0)
        # the kill may land between a commit and its "committed" line: one more version, complete
        assert committed <= new <= committed | {max(committed, default=last) + 1}, f"seed {seed}"
        assert_intact(store, store_url)
    assert store.snapshot_text("2026Q1") == published
    numbers = [v.number for v in store.versions("2026Q2")]
    assert numbers == list(range(1, len(numbers) + 1)), "no gaps: a killed import allocates nothing"
    assert service.store_inputs(MODEL, make_inputs("2026Q2")).number == len(numbers) + 1
    store.close()


def test_two_writers_and_two_readers_at_once(store_url):
    writers = [spawn("write", store_url, "2026Q1", "5", "12", "35", str(seed)) for seed in (1, 2)]
    readers = [spawn("read", store_url, "2026Q1", "6") for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in (*writers, *readers)]
    for p, (_, err) in zip((*writers, *readers), outputs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err, err

    committed = sorted(int(line.split()[1]) for out, _ in outputs[:2] for line in out.splitlines()
                       if line.startswith("committed"))
    assert committed == list(range(1, 11)), "every import got its own version number"
    store = Store(store_url)
    assert [v.number for v in store.versions("2026Q1")] == committed
    sums = {v: float(store.results("2026Q1", v)["total"].sum()) for v in committed}
    reads = [json.loads(line) for out, _ in outputs[2:] for line in out.splitlines()]
    assert reads, "the readers saw published results"
    for r in reads:  # each read is one whole version, never a mix
        assert len(r["versions"]) == 1 and r["n"] == 12
        assert r["sum"] == pytest.approx(sums[r["versions"][0]], abs=1e-9)
    assert_intact(store, store_url)
    store.close()
