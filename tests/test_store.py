"""The store's workflow on SQLite and on a real PostgreSQL server: versions, publish, diff,
reproducible results, roster history, quarter history, annual roll-up, audit and migrations."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from scoring import i18n
from scoring.auth import PermissionDenied, Role
from scoring.pipeline import score_period
from scoring.service import InvalidRequest, Service
from scoring.store import NotFound, SchemaError, Store
from scoring.store import schema as s
from scoring.store import store as store_module
from scoring.store.store import FileRecord
from tests.actors import role, staff
from tests.store_fixtures import MODEL, make_inputs, units_frame


def counts(store: Store) -> dict[str, int]:
    """Rows per table, except the audit log (a sign-in or a refusal is recorded, and changes nothing)."""
    with store.engine.connect() as c:
        return {t.name: c.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in s.metadata.sorted_tables
                if t.name != "audit"}


def test_import_makes_a_draft_and_publish_makes_it_visible(store, service):
    v = service.store_inputs(MODEL, make_inputs("2026Q1"), [FileRecord.of("survey.xlsx", b"abc")])
    assert (v.period, v.number, v.published) == ("2026Q1", 1, False)
    assert v.row_counts["survey"] == 12 * 35
    with pytest.raises(NotFound, match="尚未发布 / 2026Q1 has not been published"):
        store.rankings("2026Q1")
    assert store.version("2026Q1", "latest").number == 1
    service.publish("2026Q1", reason="测试发布")
    assert store.version("2026Q1").published
    ranks = store.rankings("2026Q1")
    assert len(ranks) == 12 and ranks["version"].eq(1).all()
    assert ranks.attrs["previous_period"] is None and ranks["delta_total"].isna().all()


def test_stored_inputs_round_trip_and_results_reproduce(store, service):
    inputs = make_inputs("2026Q1", per_unit=20)
    inputs.survey.loc[3, "总体满意度"] = None
    inputs.indicators.loc[0, "value"] = np.nan
    v = service.store_inputs(MODEL, inputs)
    back = store.inputs("2026Q1", v.number)
    pd.testing.assert_frame_equal(back.units, inputs.units, check_dtype=False)
    pd.testing.assert_frame_equal(back.survey, inputs.survey.astype(object).where(inputs.survey.notna(), None),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(back.indicators, inputs.indicators, check_dtype=False)
    pd.testing.assert_frame_equal(back.compliance, inputs.compliance, check_dtype=False)
    assert back.warnings == inputs.warnings
    # the same scores, whether from the caller's frames or from storage
    expected = score_period(MODEL, inputs).to_json()
    assert store.result_json("2026Q1", 1) == json.loads(json.dumps(expected))
    assert service.recompute("2026Q1", 1).to_json() == expected
    assert service.reproduces("2026Q1", 1)
    results = store.results("2026Q1", 1)
    assert set(results["unit_id"]) == set(inputs.units["unit_id"])
    assert store.model("2026Q1", 1) == MODEL


def test_raters_are_stored_only_as_anonymous_numbers(store, service):
    inputs = make_inputs("2026Q1")
    names = set(inputs.reverse["rater"])
    service.store_inputs(MODEL, inputs)
    with store.engine.connect() as c:
        raters = [r[0] for r in c.execute(sa.select(s.reverse_ratings.c.rater))]
        dump = json.dumps([list(map(str, r)) for r in c.execute(sa.select(s.reverse_ratings))], ensure_ascii=False)
    assert sorted(set(raters)) == list(range(1, len(names) + 1))
    assert not any(n in dump for n in names)


def test_reimport_makes_a_new_version_and_old_ones_stay_readable_and_comparable(store, service):
    service.store_inputs(MODEL, make_inputs("2026Q1"))
    service.publish("2026Q1", reason="测试发布")
    units = units_frame(13).drop(index=4)  # U0005 leaves, U0013 joins
    units.loc[0, "unit_name"] = "单位0001（更名）"
    v2 = service.store_inputs(MODEL, make_inputs("2026Q1", variant=1, units=units))
    assert v2.number == 2
    assert store.version("2026Q1").number == 1, "publishing is explicit"
    assert [v.number for v in store.versions("2026Q1")] == [1, 2]
    d = store.diff("2026Q1", 1, 2)
    assert list(d.units_added["unit_id"]) == ["U0013"]
    assert list(d.units_removed["unit_id"]) == ["U0005"]
    assert d.units_changed.to_dict("records") == [
        {"unit_id": "U0001", "field": "unit_name", "old": "单位0001", "new": "单位0001（更名）"}]
    assert {"indicators", "compliance", "survey"} <= set(d.values["table"])
    assert not d.results.empty and {"rank_old", "rank_new", "rank_change"} <= set(d.results.columns)
    assert "U0013" in set(d.results["unit_id"]) and d.results.set_index("unit_id").loc["U0013", "total_old"] != \
        d.results.set_index("unit_id").loc["U0013", "total_old"]  # NaN: it had no result before
    assert store.diff("2026Q1", 2, 2).empty
    assert "没有差异 / no differences" in store.diff("2026Q1", 1, 1).to_text()
    service.publish("2026Q1", 2, reason="测试发布")
    assert store.rankings("2026Q1")["version"].eq(2).all()
    assert service.reproduces("2026Q1", 1) and service.reproduces("2026Q1", 2)


def test_exception_mid_write_leaves_the_store_exactly_as_it_was(store, monkeypatch, service):
    service.store_inputs(MODEL, make_inputs("2026Q1"))
    before = counts(store)

    def explode(conn, vid, rows):
        real_insert(conn, vid, rows)
        raise RuntimeError("disk on fire")
    real_insert = store_module.insert_inputs
    monkeypatch.setattr(store_module, "insert_inputs", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        service.store_inputs(MODEL, make_inputs("2026Q1", variant=1))
    assert counts(store) == before
    monkeypatch.undo()
    assert service.store_inputs(MODEL, make_inputs("2026Q1", variant=1)).number == 2
    assert store.verify() == []


def test_verify_notices_tampering(store, service):
    service.store_inputs(MODEL, make_inputs("2026Q1"))
    assert store.verify() == []
    with store.engine.begin() as c:
        c.execute(s.indicator_values.update().where(s.indicator_values.c.seq == 0).values(value=12345.0))
    assert store.verify() == ["2026Q1 v1: input checksum differs"]


def test_roster_history_keeps_identity_across_renames_and_moves(store, service):
    units = units_frame(6)
    service.store_inputs(MODEL, make_inputs("2025Q4", units=units))
    service.publish("2025Q4", reason="测试发布")
    moved = units.copy()
    moved.loc[0, ["unit_name", "group"]] = ["青山街道", "农业乡镇"]
    service.store_inputs(MODEL, make_inputs("2026Q1", units=moved))
    service.publish("2026Q1", reason="测试发布")
    assert store.roster("2025Q4").iloc[0].to_dict() == units.iloc[0].to_dict()
    assert store.roster("2026Q1").iloc[0].to_dict() == moved.iloc[0].to_dict()
    assert store.roster().iloc[0]["unit_name"] == "青山街道"
    h = store.history("U0001")
    assert list(h["period"]) == ["2025Q4", "2026Q1"]
    assert list(h["unit_name"]) == ["单位0001", "青山街道"] and list(h["group"]) == ["城区街道", "农业乡镇"]
    with store.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(s.units)).scalar() == 6
        assert c.execute(sa.select(sa.func.count()).select_from(s.unit_history)).scalar() == 7


def test_history_change_vs_previous_quarter_and_annual_rollup(store, service):
    for i, period in enumerate(["2025Q3", "2025Q4", "2026Q1", "2026Q2"]):
        service.store_inputs(MODEL, make_inputs(period, variant=i))
        service.publish(period, reason="测试发布")
    service.store_inputs(MODEL, make_inputs("2026Q3"))  # a draft: leaders do not see it
    h = store.history("U0003")
    assert list(h["period"]) == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert h["delta_total"].iloc[1:].tolist() == pytest.approx(h["total"].diff().iloc[1:].tolist())
    r = store.rankings("2026Q1").set_index("unit_id")
    prev = store.results("2025Q4").set_index("unit_id")
    assert r.attrs["previous_period"] == "2025Q4"
    ok = r["total"].notna() & prev["total"].reindex(r.index).notna()
    expected = r["total"] - prev["total"].reindex(r.index)
    assert r.loc[ok, "delta_total"].tolist() == pytest.approx(expected[ok].tolist())
    assert r.loc["U0003", "rank_change"] == prev.loc["U0003", "rank_overall"] - r.loc["U0003", "rank_overall"]

    year = service.annual(2026)
    q1, q2 = store.results("2026Q1").set_index("unit_id"), store.results("2026Q2").set_index("unit_id")
    row = year.set_index("unit_id").loc["U0003"]
    assert row["quarters"] == "Q1,Q2"
    assert row["total"] == pytest.approx((q1.loc["U0003", "total"] + q2.loc["U0003", "total"]) / 2)
    weighted = service.annual(2026, {"Q1": 0.25, "Q2": 0.75}).set_index("unit_id").loc["U0003", "total"]
    assert weighted == pytest.approx(0.25 * q1.loc["U0003", "total"] + 0.75 * q2.loc["U0003", "total"])
    assert year["rank_overall"].min() == 1
    with pytest.raises(NotFound):
        service.annual(2024)


def test_audit_log_and_import_history(store, service):
    data = b"fake workbook bytes"
    Service(store, staff("officer-li")).store_inputs(MODEL, make_inputs("2026Q1"), [FileRecord.of("a.xlsx", data)])
    Service(store, staff("officer-wang")).publish("2026Q1", reason="测试发布")
    log = store.audit()
    assert list(log["action"])[:2] == ["publish", "import"]
    assert list(log["who"])[:2] == ["officer-wang", "officer-li"]
    imp = store.imports("2026Q1").iloc[0]
    assert imp["who"] == "officer-li" and imp["version"] == 1
    assert imp["files"] == [{"file_name": "a.xlsx", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}]
    assert imp["row_counts"]["survey"] == 12 * 35
    v = store.version("2026Q1")
    assert v.published_by == "officer-wang" and v.created_by == "officer-li"


def test_model_versions_are_stored_once_per_distinct_text(store, service):
    service.store_inputs(MODEL, make_inputs("2026Q1"))
    service.store_inputs(MODEL, make_inputs("2026Q2"))
    data = MODEL.model_dump(mode="json", exclude_none=True)
    data["dimensions"] = {"mass": 0.5, "performance": 0.3, "compliance": 0.2}
    from scoring.model import model_from_dict
    other = model_from_dict(data)
    service.store_inputs(other, make_inputs("2026Q2"))
    assert store.version("2026Q1", 1).model_sha == store.version("2026Q2", 1).model_sha
    assert store.version("2026Q2", 2).model_sha != store.version("2026Q2", 1).model_sha
    assert store.model("2026Q2", 2).weights["mass"] == 0.5
    assert service.reproduces("2026Q2", 2)


def test_forward_migration_and_a_newer_database_is_refused(store_url):
    Store(store_url).close()
    engine = Store(store_url).engine

    def add_note_column(conn):
        conn.execute(sa.text("ALTER TABLE periods ADD COLUMN note TEXT"))
    now, later = s.SCHEMA_VERSION, s.SCHEMA_VERSION + 1
    with engine.begin() as conn:
        assert s.migrate(conn, target=later, steps={now: add_note_column}) == (now, later)
    with engine.begin() as conn:
        assert s.current_version(conn) == later
        conn.execute(sa.text("SELECT note FROM periods"))
    with pytest.raises(SchemaError, match="newer than this Sanwei supports"):
        Store(store_url)
    engine.dispose()


def test_schema_1_messages_become_structured_and_keep_their_words(store, service):
    """Schema 1 stored flags, warnings and exclusions as joined "中文 / English" strings; the
    upgrade turns them into the structured forms the library reads, words kept."""
    inputs = make_inputs("2026Q1")
    service.publish("2026Q1", service.store_inputs(MODEL, inputs).number, reason="测试发布")
    legacy_flag = "veto: 一票否决（重大安全事故 / 瞒报） / veto: 重大安全事故 / 瞒报"
    with store.engine.begin() as conn:
        conn.execute(sa.update(s.result_units).values(flags=json.dumps([legacy_flag], ensure_ascii=False)))
        conn.execute(sa.update(s.versions).values(
            warnings=json.dumps(["群众评价：1 条重复 / survey: 1 duplicate"], ensure_ascii=False),
            excluded=json.dumps([{"file": "a.xlsx", "column": "会议次数", "keyword": "会议次数", "overridden": False,
                                  "reason": "不计分：… / earns no points: …"}], ensure_ascii=False)))
        conn.execute(sa.update(s.meta).where(s.meta.c.key == "schema_version").values(value="1"))
    with Store(store.url) as upgraded:
        [flag] = upgraded.results("2026Q1")["flags"].iloc[0]
        assert flag.code == "veto" and i18n.flag_text(flag, "en") == "veto: 重大安全事故 / 瞒报"
        back = upgraded.inputs("2026Q1")
        assert back.warnings[0].message("en") == "survey: 1 duplicate"
        assert back.excluded[0].column == "会议次数" and not back.excluded[0].overridden
        assert upgraded.audit()["action"].iloc[0] == "migrate"


def test_unknown_period_and_version_say_so_in_both_languages(store, service):
    with pytest.raises(NotFound) as err:
        store.results("2030Q1")
    assert err.value.get("zh") == "没有 2030Q1 的数据" and err.value.get("en") == "no data for 2030Q1"
    service.store_inputs(MODEL, make_inputs("2026Q1"))
    with pytest.raises(NotFound, match="2026Q1 has no version 7"):
        service.publish("2026Q1", 7, reason="测试发布")
    assert store.audit()["action"].tolist().count("publish") == 0


def test_a_saved_model_is_a_draft_until_an_officer_activates_it(store, service):
    assert store.active_model(MODEL) is MODEL
    changed = MODEL.model_copy(update={
        "model": MODEL.model.model_copy(update={"version": "v2"}),
        "dimensions": MODEL.dimensions.model_copy(update={"mass": 0.5, "compliance": 0.1})})
    analyst = Service(store, role("zhang", Role.ANALYST))
    first = analyst.save_model(changed, "群众评价权重调高")
    assert store.active_model(MODEL) is MODEL  # a draft scores nothing
    with pytest.raises(PermissionDenied):
        analyst.activate_model(first, "想用就用")
    officer = Service(store, role("wang", Role.OFFICER))
    with pytest.raises(PermissionDenied):
        officer.save_model(changed)
    with pytest.raises(InvalidRequest):
        officer.activate_model(first, " ")  # a reason is required
    officer.activate_model(first, "考核委员会决定")
    assert store.active_model(MODEL).weights == {"mass": 0.5, "performance": 0.4, "compliance": 0.1}
    assert analyst.save_model(MODEL) != first
    versions = store.model_versions()
    assert list(versions["label"]) == ["v2", MODEL.model.version] and versions["active"].tolist() == [True, False]
    assert versions["created_by"].tolist() == ["zhang", "zhang"] and versions["note"].iloc[0] == "群众评价权重调高"
    assert store.stored_model(first).weights["mass"] == 0.5
    log = store.audit()
    assert {"save_model", "activate_model"} <= set(log["action"])
    assert log.loc[log["action"] == "activate_model", "who"].tolist() == ["wang"]
    with pytest.raises(NotFound):
        store.stored_model(999)


def test_unit_history_from_the_rankings_equals_the_stored_history(tmp_path):
    """The dashboard builds a unit's history from the quarters' rankings it already holds (no read
    per unit); it must be the store's own history exactly, changes vs the previous quarter included."""
    from scoring.store.history import unit_history_from

    with Store(f"sqlite:///{tmp_path}/h.db") as store:
        service = Service(store, staff("tester"))
        for period, n in (("2025Q4", 12), ("2026Q1", 14), ("2026Q3", 13)):  # a gap and a changing roster
            service.publish(period, service.store_inputs(MODEL, make_inputs(period, n_units=n, per_unit=31)).number,
                            reason="测试发布")
        frames = [store.rankings(p) for p in store.published_periods()]
        for unit in ("U0001", "U0013", "U0014", "NOPE"):
            want = store.history(unit)
            got = unit_history_from(frames, unit)
            assert list(got.columns) == list(want.columns) or want.empty
            def plain(df: pd.DataFrame) -> pd.DataFrame:  # a missing veto is None or NaN as the column's dtype has it
                df = df.reset_index(drop=True).astype(object)
                return df.where(df.notna(), None)
            pd.testing.assert_frame_equal(plain(got), plain(want))


def test_a_negative_zero_keeps_the_checksum_verifiable(store, service):
    """A cell reading -0 (e.g. a change of -0.04 rounded) is stored as 0.0: SQLite returns 0.0 for
    -0.0, so the checksum recomputed from storage must not have seen -0.0 at import."""
    inputs = make_inputs("2026Q1")
    inputs.indicators.loc[0, "value"] = -0.0
    service.store_inputs(MODEL, inputs)
    assert store.verify() == []
