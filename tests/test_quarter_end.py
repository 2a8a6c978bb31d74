"""The quarter's end through the service, on both databases: 公示 opened with a publication, its state
over time, appeals filed in their window (late ones refused with the date), evidence refused unless
its content is allowed, decisions with replies, a correction linked to its appeal and published by
the normal rules, early warnings, the annual quarter table. Every new change of state is refused to
every role without its permission, and nothing changes then."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from scoring import evidence
from scoring import service as service_module
from scoring import warning as early
from scoring.annual import quarter_table
from scoring.auth import GRANTS, Permission, PermissionDenied, Role
from scoring.model import WarningRule
from scoring.service import ANNOUNCING, FINAL, PUBLISHED, REVIEWING, InvalidRequest, Service
from scoring.store import schema as s
from tests.actors import role, staff
from tests.store_fixtures import MODEL, make_inputs, units_frame
from tests.test_store import counts

UNITS = units_frame(9).assign(unit_id=lambda d: d["unit_id"].where(d.index > 0, "JD01"))
DAY = date(2026, 10, 10)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def as_role(store, r: Role) -> Service:
    return Service(store, role(f"{r.value}-user", r, unit_id="JD01" if r is Role.UNIT else None))


@pytest.fixture
def on_day(monkeypatch):
    """Set the office's calendar day the service sees."""
    def set_day(day: date) -> None:
        monkeypatch.setattr(service_module, "today", lambda: day)
    set_day(DAY)
    return set_day


@pytest.fixture
def announced(store, on_day):
    """2026Q1 and Q2 published; Q2 announced from DAY to DAY + 4 (appeals: the model's 5 days)."""
    setup = Service(store, staff("setup"))
    for p in ("2026Q1", "2026Q2"):
        setup.store_inputs(MODEL, make_inputs(p, units=UNITS))
    setup.publish("2026Q1", reason="发布")
    setup.publish("2026Q2", reason="发布并公示", announce_until=date(2026, 10, 14))
    return store


def indicator_target(store) -> str:
    return next(t for t in as_role(store, Role.UNIT).appeal_targets("2026Q2", "JD01") if t.startswith("indicator:"))


def test_publishing_opens_a_announcement_whose_state_follows_the_calendar_and_the_appeals(announced, on_day):
    officer = as_role(announced, Role.OFFICER)
    notice = officer.announcement("2026Q2")
    assert (notice.starts_on, notice.ends_on, notice.appeal_until, notice.office) == \
        ("2026-10-10", "2026-10-14", "2026-10-14", MODEL.workflow.office)
    assert officer.period_status("2026Q1") == (PUBLISHED, None)
    assert officer.period_status("2026Q2")[0] == ANNOUNCING
    unit = as_role(announced, Role.UNIT)
    appeal = unit.file_appeal("2026Q2", indicator_target(announced), "数据报送有误")
    on_day(date(2026, 10, 15))
    assert officer.period_status("2026Q2")[0] == REVIEWING  # the 公示 is over, an appeal is open
    officer.decide_appeal(appeal, False, "经核实，数据无误")
    assert officer.period_status("2026Q2")[0] == FINAL
    with pytest.raises(InvalidRequest, match="before today"):
        officer.publish("2026Q2", reason="重新公示", announce_until=date(2026, 10, 1))
    log = announced.audit()
    published = log[log["action"] == "publish"]
    assert published["detail"].str.contains('"ends_on":"2026-10-14"').any()


def test_a_unit_files_an_appeal_with_evidence_an_officer_accepts_it_and_a_corrected_version_is_published(announced):
    unit, officer = as_role(announced, Role.UNIT), Service(announced, role("wang", Role.OFFICER))
    target = indicator_target(announced)
    code = target.split(":")[1]
    number = unit.file_appeal("2026Q2", target, "统计口径有误，应为 99", [("证明.pdf", PDF), ("照片.png", PNG)])
    filed = unit.appeal(number)
    assert (filed.status, filed.unit_id, filed.version, [f.content_type for f in filed.files]) == \
        ("filed", "JD01", 1, ["application/pdf", "image/png"])
    assert unit.evidence(number, 0) == ("证明.pdf", "application/pdf", PDF)
    assert [a.id for a in officer.appeals("2026Q2")] == [number]
    with pytest.raises(InvalidRequest):
        officer.decide_appeal(number, True, " ")  # a reply is required
    officer.decide_appeal(number, True, "经核实，予以更正")
    with pytest.raises(Exception, match="already decided"):
        officer.decide_appeal(number, False, "再次处理")
    v = officer.correct_appeal(number, "99")
    assert v.number == 2 and not v.published
    corrected = announced.inputs("2026Q2", 2).indicators
    row = corrected[(corrected["unit_id"] == "JD01") & (corrected["code"] == code)]
    assert float(row["value"].iloc[0]) == 99.0
    assert unit.appeal(number).correction_version == 2 and unit.appeal(number).status == "accepted"
    officer.publish("2026Q2", 2, reason="申诉更正后发布")
    done = unit.appeal(number)
    assert (done.status, done.reply, done.correction_version) == ("corrected", "经核实，予以更正", 2)
    log = announced.audit()
    actions = list(log["action"])
    assert {"file_appeal", "accept_appeal", "import", "publish"} <= set(actions)
    imp = log[(log["action"] == "import") & (log["version"] == 2)]
    assert f'"appeal":{number}' in imp["detail"].iloc[0]
    assert f'"appeals_corrected":[{number}]' in log[log["action"] == "publish"]["detail"].iloc[0]
    assert log.loc[log["action"] == "file_appeal", "who"].iloc[0] == "unit-user"


def test_a_late_appeal_is_refused_with_the_date_and_one_without_a_announcement_is_refused(announced, on_day):
    unit = as_role(announced, Role.UNIT)
    on_day(date(2026, 10, 15))
    before = counts(announced)
    with pytest.raises(InvalidRequest, match="closed on 2026-10-14 .*today is 2026-10-15"):
        unit.file_appeal("2026Q2", indicator_target(announced), "晚了")
    with pytest.raises(InvalidRequest, match="not announced"):
        unit.file_appeal("2026Q1", indicator_target(announced), "未公示")
    assert counts(announced) == before


def test_the_appeal_window_follows_the_model(store, on_day):
    short = MODEL.model_copy(update={"workflow": MODEL.workflow.model_copy(update={"appeal_days": 2})})
    setup = Service(store, staff("setup"))
    setup.store_inputs(short, make_inputs("2026Q2", units=UNITS))
    setup.publish("2026Q2", reason="公示", announce_until=date(2026, 10, 16))
    assert setup.announcement("2026Q2").appeal_until == "2026-10-11"  # day 1 and day 2


def test_appeals_are_a_units_own_and_items_must_exist(announced):
    unit = as_role(announced, Role.UNIT)
    with pytest.raises(PermissionDenied):
        unit.file_appeal("2026Q2", indicator_target(announced), "替别人申诉", unit_id="U0002")
    with pytest.raises(InvalidRequest, match="that can be appealed"):
        unit.file_appeal("2026Q2", "indicator:NOPE", "不存在的指标")
    with pytest.raises(InvalidRequest, match="reason"):
        unit.file_appeal("2026Q2", indicator_target(announced), " ")
    other = Service(announced, role("jd02", Role.UNIT, unit_id="U0002"))
    number = other.file_appeal("2026Q2", next(iter(other.appeal_targets("2026Q2", "U0002"))), "本单位申诉",
                               [("a.pdf", PDF)])
    assert unit.appeals("2026Q2") == []  # not another unit's
    for denied in (lambda: unit.appeal(number), lambda: unit.evidence(number, 0), lambda: unit.appeals(unit_id="U0002"),
                   lambda: unit.appeal_targets("2026Q2", "U0002")):
        with pytest.raises(PermissionDenied):
            denied()
    assert as_role(announced, Role.LEADER).appeal(number).unit_id == "U0002"  # leaders read the queue


@pytest.mark.parametrize(("name", "data", "match"), [
    ("a.exe", b"MZ\x90\x00" + b"\x00" * 60, "not an allowed kind"),
    ("fake.pdf", b"<html><script>alert(1)</script></html>", "not an allowed kind"),
    ("photo.pdf", PNG, "does not match"),
    ("empty.pdf", b"", "empty"),
    ("big.pdf", b"%PDF-" + b"0" * evidence.MAX_FILE_BYTES, "exceeds"),
])
def test_evidence_is_allowed_by_content_size_and_extension(announced, name, data, match):
    unit = as_role(announced, Role.UNIT)
    before = counts(announced)
    with pytest.raises(evidence.EvidenceRefused, match=match):
        unit.file_appeal("2026Q2", indicator_target(announced), "附件", [(name, data)])
    assert counts(announced) == before


def test_office_files_are_opened_as_bounded_containers_and_macros_refused():
    def office(parts: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, d in parts.items():
                z.writestr(n, d)
        return buf.getvalue()
    types = b'<?xml version="1.0"?><Types/>'
    docx = office({"[Content_Types].xml": types, "word/document.xml": b"<w/>"})
    xlsx = office({"[Content_Types].xml": types, "xl/workbook.xml": b"<x/>"})
    macro = office({"[Content_Types].xml": types, "xl/workbook.xml": b"<x/>", "xl/vbaProject.bin": b"\x00"})
    checked = evidence.check([("../../etc/说明.docx", docx), ("表.xlsx", xlsx)])
    assert [(e.file_name, e.content_type) for e in checked] == [("说明.docx", evidence.DOCX), ("表.xlsx", evidence.XLSX)]
    with pytest.raises(evidence.EvidenceRefused, match="macros"):
        evidence.check([("m.xlsx", macro)])
    with pytest.raises(evidence.EvidenceRefused, match="not an allowed kind"):
        evidence.check([("plain.docx", office({"a.txt": b"x"}))])
    with pytest.raises(evidence.EvidenceRefused, match="at most"):
        evidence.check([("a.pdf", PDF)] * (evidence.MAX_FILES + 1))
    assert evidence.safe_name("a\x00b\u202e.pdf") == "ab.pdf"


# every new change of state, as (permission it needs, the call); `number` is a filed appeal
CHANGES = {
    "file_appeal": (Permission.FILE_APPEAL, lambda s, store, n: s.file_appeal("2026Q2", indicator_target(store), "理由")),
    "decide_appeal": (Permission.DECIDE_APPEAL, lambda s, store, n: s.decide_appeal(n, True, "受理")),
    "publish with 公示": (Permission.PUBLISH, lambda s, store, n: s.publish("2026Q2", reason="公示", announce_until=DAY)),
    "feedback_zip": (Permission.BATCH_REPORTS, lambda s, store, n: s.feedback_zip("2026Q2")),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_new_state_change_is_refused_without_its_permission(announced, change):
    number = as_role(announced, Role.UNIT).file_appeal("2026Q2", indicator_target(announced), "理由")
    permission, call = CHANGES[change]
    lacking = [r for r in Role if permission not in GRANTS[r]]
    before = counts(announced)
    for r in lacking:
        with pytest.raises(PermissionDenied):
            call(as_role(announced, r), announced, number)
    assert counts(announced) == before


def test_a_correction_needs_an_accepted_appeal_and_an_officer(announced):
    unit, officer = as_role(announced, Role.UNIT), as_role(announced, Role.OFFICER)
    number = unit.file_appeal("2026Q2", indicator_target(announced), "理由")
    before = counts(announced)
    with pytest.raises(InvalidRequest, match="not accepted"):
        officer.correct_appeal(number, 1.0)
    for r in (Role.UNIT, Role.LEADER, Role.ANALYST, Role.ADMIN):
        with pytest.raises(PermissionDenied):
            as_role(announced, r).correct_appeal(number, 1.0)
    with pytest.raises(PermissionDenied):  # an import linked to an appeal needs the right to decide appeals too
        Service(announced, role("importer", Role.ANALYST)).store_inputs(MODEL, make_inputs("2026Q2", units=UNITS),
                                                                       appeal_id=number)
    assert counts(announced) == before
    officer.decide_appeal(number, True, "受理")
    with pytest.raises(InvalidRequest, match="number"):
        officer.correct_appeal(number, "abc")


def test_corrections_of_a_deduction_a_veto_and_a_compliance_item(announced):
    from scoring.service import correct_inputs

    inputs = announced.inputs("2026Q2")
    vetoed = inputs.adjustments.loc[inputs.adjustments["veto"].notna(), "unit_id"].iloc[0]
    lifted = correct_inputs(inputs, vetoed, "veto", None, 7).adjustments
    assert lifted.loc[lifted["unit_id"] == vetoed, "veto"].isna().all()
    less = correct_inputs(inputs, "JD01", "deduction", "0.5", 7).adjustments
    assert float(less.loc[less["unit_id"] == "JD01", "deduction"].iloc[0]) == 0.5
    passed = correct_inputs(inputs, "JD01", "compliance:C01", "通过", 7).compliance
    assert list(passed.loc[(passed["unit_id"] == "JD01") & (passed["item"] == "C01"), "status"]) == ["pass"]
    with pytest.raises(InvalidRequest):
        correct_inputs(inputs, "JD01", "deduction", "-1", 7)


def test_the_schema_step_of_appeals_adds_the_tables_once(store_url):
    from scoring.store import Store

    step = next(v for v, f in s.MIGRATIONS.items() if f is s._announcements_and_appeals)
    assert step + 1 == s.SCHEMA_VERSION  # the latest step
    with Store(store_url) as store:
        with store.engine.begin() as conn:
            for t in (s.appeal_files, s.appeals, s.announcements):
                t.drop(conn)
            conn.execute(s.meta.update().where(s.meta.c.key == "schema_version").values(value=str(step)))
    with Store(store_url) as store:  # reopening runs the step
        with store.engine.connect() as conn:
            assert s.current_version(conn) == step + 1
            assert {"announcements", "appeals", "appeal_files"} <= set(sa.inspect(conn).get_table_names())
        with store.engine.begin() as conn:
            s._announcements_and_appeals(conn)  # idempotent


# ---------------------------------------------------------------- early warning and the annual table
def _panel(rows: list[tuple]) -> pd.DataFrame:
    cols = ["period", "unit_id", "rank_group", "mass", "performance", "compliance", "grade", "low_sample",
            "n_valid", "satisfaction_rate"]
    df = pd.DataFrame(rows, columns=cols).assign(unit_name=lambda d: d["unit_id"], group="G", status="ok",
                                                 rank_overall=lambda d: d["rank_group"])
    return df[early.PANEL_COLUMNS]


def test_warning_rules_classify_red_yellow_green_and_say_which_fired():
    model = MODEL.model_copy(update={"warning": MODEL.warning.model_copy(update={"rule": (
        WarningRule(kind="rank_fall", places=3, quarters=2, level="red"),
        WarningRule(kind="dimension_below", threshold=60, level="red"),
        WarningRule(kind="low_sample", level="yellow"),
        WarningRule(kind="satisfaction_fall", points=5, level="yellow"),
    )})})
    panel = _panel([
        ("2026Q1", "A", 1, 80, 80, 80, "良好", False, 40, 0.90), ("2026Q2", "A", 4, 80, 80, 80, "良好", False, 40, 0.90),
        ("2026Q3", "A", 8, 80, 80, 80, "良好", False, 40, 0.90),  # fell 3 and 4 places: red
        ("2026Q1", "B", 2, 80, 80, 80, "良好", False, 40, 0.90), ("2026Q2", "B", 1, 80, 80, 80, "良好", False, 40, 0.90),
        ("2026Q3", "B", 2, 80, 80, 80, "良好", True, 20, 0.80),   # low sample, satisfaction −10 points: yellow
        ("2026Q1", "C", 3, 80, 80, 80, "良好", False, 40, 0.90), ("2026Q2", "C", 2, 80, 80, 80, "良好", False, 40, 0.90),
        ("2026Q3", "C", 1, 80, 55, 80, "良好", False, 40, 0.90),  # performance below 60: red
        ("2026Q3", "D", 3, 80, 80, 80, "良好", False, 40, 0.90),  # new this quarter: green
    ])
    out = early.classify(model, panel, "2026Q3").set_index("unit_id")
    assert out["level"].to_dict() == {"A": "red", "B": "yellow", "C": "red", "D": "green"}
    assert out.at["A", "rules"][0].text.zh == "组内排名连续 2 个季度下降 3 位及以上（1→4→8）"
    assert [f.kind for f in out.at["B", "rules"]] == ["low_sample", "satisfaction_fall"]
    assert "80.0%" in out.at["B", "rules"][1].text.en and "55.00" in out.at["C", "rules"][0].text.zh


def test_warnings_of_a_published_quarter_through_the_service(announced):
    officer, unit = as_role(announced, Role.OFFICER), as_role(announced, Role.UNIT)
    table = officer.warnings("2026Q2")
    assert set(table["level"]) <= {"red", "yellow", "green"} and len(table) == len(UNITS)
    assert list(unit.warnings("2026Q2", "JD01")["unit_id"]) == ["JD01"]
    with pytest.raises(PermissionDenied):
        unit.warnings("2026Q2")


def test_the_annual_quarter_table_marks_missing_quarters_and_its_contributions_sum_to_the_total(announced):
    officer = as_role(announced, Role.OFFICER)
    year = officer.annual(2026).set_index("unit_id")
    q = officer.annual_quarters(2026)
    assert set(q["state"]) == {"ok", "pending"}  # Q3 and Q4 not yet published
    sums = q[q["state"] == "ok"].groupby("unit_id")["contribution"].sum()
    assert (sums - year.loc[sums.index, "total"]).abs().max() < 1e-9
    assert list(as_role(announced, Role.UNIT).annual_quarters(2026, "JD01")["unit_id"].unique()) == ["JD01"]
    assert list(as_role(announced, Role.UNIT).annual(2026, unit_id="JD01")["unit_id"]) == ["JD01"]
    one = pd.DataFrame({"unit_id": ["A", "A", "B"], "unit_name": "x", "group": "g", "period": ["2026Q1", "2026Q2", "2026Q2"],
                        "total": [80.0, 90.0, 70.0], "rank_overall": [1, 1, 2], "grade": "良好"})
    t = quarter_table(one, {"Q1": 0.25, "Q2": 0.25, "Q3": 0.25, "Q4": 0.25}, "2026")
    b = t[t["unit_id"] == "B"].set_index("quarter")
    assert b.at["Q1", "state"] == "missing" and b.at["Q2", "share"] == 1.0 and b.at["Q3", "state"] == "pending"
