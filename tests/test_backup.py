"""`sanwei backup` / `sanwei restore` on both databases: a restored store has every version exactly."""

from __future__ import annotations

import dataclasses
import io
import uuid

import pandas as pd
import pytest

from scoring.cli import main
from scoring.service import Service
from scoring.store import Store
from tests.actors import staff
from tests.store_fixtures import MODEL, make_inputs
from tests.tempserver import drop_database, fresh_database

PASSWORD = "qingshan-2026-beifen"


@pytest.fixture
def empty_target(store_url, tmp_path, request):
    """A second empty store of the same kind as `store_url`."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/restored/sanwei.db"
        return
    url = fresh_database(request.getfixturevalue("postgres_url"), f"r_{uuid.uuid4().hex[:12]}")
    yield url
    drop_database(url)


def run(monkeypatch, *args: str, stdin: str | None = None) -> int:
    monkeypatch.setenv("SANWEI_PASSWORD", PASSWORD)
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(args))


def fill(url: str, monkeypatch) -> None:
    """Three quarters, a re-import, a rollback, an activated model, accounts: everything a store keeps."""
    assert run(monkeypatch, "user", "add", "root", "--role", "admin", "--password-stdin", "--db", url,
               stdin=PASSWORD + "\n") == 0
    assert run(monkeypatch, "user", "add", "zhao", "--role", "leader", "--password-stdin", "--db", url, "--user", "root",
               stdin=PASSWORD + "\n") == 0
    with Store(url) as store:
        service = Service(store, staff("wang"), MODEL)
        for period in ("2026Q1", "2026Q2"):
            service.publish(period, service.store_inputs(MODEL, make_inputs(period, 14, 31)).number, "发布结果")
        v1 = service.store_inputs(MODEL, make_inputs("2026Q3", 14, 31))
        service.publish("2026Q3", v1.number, "发布结果")
        corrected = make_inputs("2026Q3", 14, 31, variant=1)
        corrected.exemptions = pd.DataFrame([{"unit_id": "U0003", "target": "veto", "reason": "先行先试，容错免责",
                                              "document": "示容〔2026〕7号", "approved_on": "2026-09-20"}])
        v2 = service.store_inputs(MODEL, corrected)
        service.publish("2026Q3", v2.number, "更正后重新发布")
        service.publish("2026Q3", v1.number, "回退：更正有误")
        service.activate_model(service.save_model(MODEL, "草稿"), "启用新模型")


def records(df) -> list[dict]:
    df = df.astype(object)
    return df.where(df.notna(), None).to_dict("records")  # None == None, where NaN != NaN


def contents(url: str) -> dict:
    """Every version with its checksum, inputs, model and snapshot; accounts; the audit log."""
    with Store(url) as store:
        out = {"periods": records(store.periods()), "models": records(store.model_versions()),
               "active": store.active_model_id(), "verify": store.verify()}
        for period in store.periods()["period"]:
            for v in store.versions(period):
                inputs = store.inputs(period, v.number)  # every table of it, whatever a later issue adds
                out[(period, v.number)] = (v, store.snapshot_text(period, v.number), store.results(period, v.number).to_json(),
                                           store.model(period, v.number).to_toml(),
                                           {f.name: getattr(inputs, f.name).to_json() for f in dataclasses.fields(inputs)
                                            if isinstance(getattr(inputs, f.name), pd.DataFrame)})
        out["accounts"] = [(a.username, a.password_hash, sorted(a.roles)) for a in store.accounts()]
        out["audit"] = records(store.audit(10_000))
        return out


def test_backup_and_restore_into_an_empty_store_keeps_every_version(store_url, empty_target, tmp_path, monkeypatch, capsys):
    fill(store_url, monkeypatch)
    before = contents(store_url)
    assert before["verify"] == [] and len([k for k in before if isinstance(k, tuple)]) == 4
    assert "U0003" in before[("2026Q3", 2)][4]["exemptions"]  # every kind of input is in the comparison
    out = tmp_path / "backups" / "sanwei.backup"
    assert run(monkeypatch, "backup", "--out", str(out), "--db", store_url, "--user", "root") == 0
    assert out.stat().st_size > 0 and not out.with_name(out.name + ".partial").exists()
    # never overwritten; a leader may not take a copy of every account and input
    assert run(monkeypatch, "backup", "--out", str(out), "--db", store_url, "--user", "root") == 1
    assert run(monkeypatch, "backup", "--out", str(tmp_path / "x.backup"), "--db", store_url, "--user", "zhao") == 1
    assert "backup" in capsys.readouterr().err and not (tmp_path / "x.backup").exists()

    assert run(monkeypatch, "restore", str(out), "--db", empty_target, "--lang", "en") == 0
    assert "4 versions, 2 accounts, all checksums verified" in capsys.readouterr().out
    after = contents(empty_target)
    for key, value in before.items():
        if key == "audit":  # the restored log is the original one, then root signing in to back up, and the restore
            assert after["audit"][3:] == value
            assert [(a["action"], a["who"]) for a in after["audit"][:3]] == [("restore", "system"), ("backup", "root"),
                                                                              ("sign_in", "root")]
        else:
            assert after[key] == value, key
    with Store(empty_target) as restored:  # the restored store is a working store: sign in, publish
        service = Service.sign_in(restored, "root", PASSWORD)
        assert service.actor.username == "root"
        officer = Service(restored, staff("wang"), MODEL)
        assert officer.publish("2026Q3", 2, "恢复后再次发布").number == 2
        assert restored.verify() == []


def test_restore_refuses_a_store_that_holds_anything(store_url, tmp_path, monkeypatch, capsys):
    fill(store_url, monkeypatch)
    out = tmp_path / "b.backup"
    assert run(monkeypatch, "backup", "--out", str(out), "--db", store_url, "--user", "root") == 0
    before = contents(store_url)
    assert run(monkeypatch, "restore", str(out), "--db", store_url) == 1
    assert "只能恢复到空的存储" in capsys.readouterr().err
    assert contents(store_url) == before
    other = "sqlite:///" + str(tmp_path / "o.db") if store_url.startswith("postgresql") else None
    if other:  # a PostgreSQL backup is not a SQLite one
        assert run(monkeypatch, "restore", str(out), "--db", other, "--lang", "en") == 1
        assert "cannot be restored into sqlite" in capsys.readouterr().err
