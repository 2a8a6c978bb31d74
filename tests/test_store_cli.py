"""The store's CLI commands and the demo fill, end to end on the demo spreadsheets, on both databases."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import openpyxl
import pytest

from scoring.cli import build_parser, main
from scoring.service import Service
from scoring.store import Store
from tests.actors import staff
from tests.store_fixtures import MODEL, make_inputs, units_frame
from tests.test_store import counts

MODEL_FILE = Path(str(resources.files("scoring").joinpath("data/model.toml")))

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def demo_files(period: str) -> list[str]:
    return [str(DEMO / "units.xlsx"), *map(str, sorted(DEMO.glob(f"{period}_*.xlsx")))]


PASSWORD = "qingshan-2026-kaohe"


@pytest.fixture
def cli(store_url, monkeypatch, capsys):
    """`cli(*args, user="wang")` runs `sanwei … --db URL --user USER` on a store with a first admin
    (root) and, made by it on the command line, an officer, an analyst, a leader and a unit account."""
    monkeypatch.setenv("SANWEI_PASSWORD", PASSWORD)

    def run(*args: str, user: str | None = "wang", stdin: str | None = None) -> int:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main([*args, "--db", store_url, *(["--user", user] if user else [])])

    assert run("user", "add", "root", "--role", "admin", "--password-stdin", user=None, stdin=PASSWORD + "\n") == 0
    for name, role, extra in (("wang", "officer", ()), ("li", "officer", ()), ("zhang", "analyst", ()),
                              ("zhao", "leader", ()), ("jd01", "unit", ("--unit", "JD01"))):
        assert run("user", "add", name, "--role", role, *extra, "--password-stdin", user="root",
                   stdin=PASSWORD + "\n") == 0
    capsys.readouterr()
    return run


def test_import_publish_versions_history_on_the_demo_files(store_url, cli, capsys):
    assert cli("import", "--period", "2026Q2", *demo_files("2026Q2")) == 0
    assert "已保存为 2026Q2 第 1 版（草稿）" in capsys.readouterr().out
    # without units.xlsx the roster comes from the store (here: none published yet, so it is required)
    assert cli("import", "--period", "2026Q3", *demo_files("2026Q3")[1:]) == 1
    capsys.readouterr()
    assert cli("publish", "2026Q2", "--reason", "第二季度结果", "--yes") == 0
    assert cli("import", "--period", "2026Q3", *demo_files("2026Q3")[1:], "--lang", "en") == 0
    assert "stored as 2026Q3 version 1 (draft)" in capsys.readouterr().out
    assert cli("import", "--period", "2026Q3", *demo_files("2026Q3")) == 0
    assert cli("publish", "2026Q3", "--version", "1", "--reason", "第三季度结果", "--yes") == 0
    capsys.readouterr()
    assert cli("versions", "2026Q3") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[1].split()[:2] == ["1", "*"] and "第三季度结果" in out[1]
    assert cli("versions", "2026Q3", "--diff", "1", "2") == 0
    assert "version 1 → 2" in capsys.readouterr().out
    assert cli("history", "JD01", user="zhao") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines[1:]] == ["2026Q2", "2026Q3"]
    assert cli("history", "NOPE") == 1
    assert capsys.readouterr().err.strip() == "单位 NOPE 没有已发布的结果"
    assert cli("history", "NOPE", "--lang", "en") == 1
    assert capsys.readouterr().err.strip() == "unit NOPE has no published result"
    assert cli("annual", "2026", user="zhao") == 0
    annual = capsys.readouterr().out
    assert "Q2,Q3" in annual and "JD01" in annual
    assert cli("annual", "2019") == 1
    with Store(store_url) as store:
        service = Service(store, staff("tester"))
        assert service.reproduces("2026Q3", 1) and service.reproduces("2026Q3", 2)
        assert store.imports("2026Q2").iloc[0]["who"] == "wang"
        assert store.version("2026Q3").publish_reason == "第三季度结果"


def test_a_rejected_import_stores_nothing(store_url, cli, tmp_path, capsys):
    bad = tmp_path / "2026Q3_survey.xlsx"
    bad.write_bytes(b"this is not a workbook")
    with Store(store_url) as store:
        service = Service(store, staff("tester"))
        service.store_inputs(MODEL, make_inputs("2026Q2"))
        before = counts(store)
        assert cli("import", "--period", "2026Q3", demo_files("2026Q3")[0], str(bad)) == 1
        captured = capsys.readouterr()
        assert "2026Q3_survey.xlsx" in captured.out and captured.err.strip() == "有错误，未保存任何数据"
        assert counts(store) == before


def test_publish_of_a_missing_period_is_a_message_not_a_traceback(cli, capsys):
    assert cli("publish", "1999Q1", "--reason", "试试", "--yes") == 1
    assert capsys.readouterr().err.strip() == "没有 1999Q1 的数据"
    assert cli("publish", "1999Q1", "--reason", "试试", "--yes", "--lang", "en") == 1
    assert capsys.readouterr().err.strip() == "no data for 1999Q1"


def test_db_defaults_to_the_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path}/env.db"
    monkeypatch.setenv("SANWEI_DATABASE_URL", url)
    assert build_parser().parse_args(["versions", "2026Q1"]).db == url
    monkeypatch.delenv("SANWEI_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)  # the default never depends on the current directory
    assert build_parser().parse_args(["versions", "2026Q1"]).db == f"sqlite:///{tmp_path}/xdg/sanwei/sanwei.db"


def test_export_is_formatted_and_formula_safe(store_url, cli, tmp_path):
    units = units_frame(9)
    units.loc[0, "unit_name"] = '=HYPERLINK("http://evil.example","点我")'
    units.loc[1, "unit_name"] = "@SUM(1+1)"
    with Store(store_url) as store:
        service = Service(store, staff("tester"))
        service.store_inputs(MODEL, make_inputs("2026Q1", units=units))
        service.publish("2026Q1", reason="测试发布")
    out = tmp_path / "ranking.xlsx"
    assert cli("export", "2026Q1", "--out", str(out), user="zhao") == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["排名 ranking"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["总排名 rank", "组内排名 group rank", "单位编码 unit id"]
    col = {h: i for i, h in enumerate(header)}
    names = [row[col["单位名称 unit"]] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 9
    assert not any(n.startswith(("=", "@", "+", "-")) for n in names)
    assert any("HYPERLINK" in n for n in names)
    for row in ws.iter_rows(min_row=2):
        assert row[col["单位名称 unit"]].data_type == "s"
    total = ws.cell(row=2, column=col["总分 total"] + 1)
    assert isinstance(total.value, float) and total.number_format == "0.00"
    assert ws.cell(row=2, column=col["总排名 rank"] + 1).number_format == "0"
    grade = col["等次 grade"]
    colours = {row[grade].value: row[grade].fill.fgColor.rgb for row in ws.iter_rows(min_row=2) if row[grade].value}
    assert set(colours) <= set(MODEL.tier_labels()) and len(set(colours.values())) == len(colours)  # one colour a tier
    assert not ws.conditional_formatting  # fills written with the cells: no rule (a formula) in the file
    assert wb["说明 about"]["B1"].value == "2026Q1"


@pytest.mark.parametrize("twice", [False, True])
def test_load_demo_fills_an_empty_store_once(store_url, twice):
    with Store(store_url) as store:
        service = Service(store, staff("tester"))
        if twice:
            service.store_inputs(MODEL, make_inputs("2024Q4"))
            assert Service.load_demo(store, DEMO) == []
            return
        periods = Service.load_demo(store, DEMO)
        assert periods == ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
        assert store.published_periods() == periods
        assert Service.load_demo(store, DEMO) == []
        assert len(store.rankings("2026Q3")) == 36
        assert store.verify() == []


def test_cli_import_uses_the_model_an_officer_activated(store_url, cli, tmp_path, capsys):
    changed = MODEL.model_copy(update={
        "model": MODEL.model.model_copy(update={"version": "saved-on-dashboard"}),
        "dimensions": MODEL.dimensions.model_copy(update={"mass": 0.5, "compliance": 0.1})})
    draft = tmp_path / "draft.toml"
    draft.write_text(changed.to_toml(), encoding="utf-8")
    assert cli("model", "save", str(draft), "--note", "群众评价 50%", user="zhang") == 0
    assert cli("import", "--period", "2026Q3", *demo_files("2026Q3")) == 0
    with Store(store_url) as store:
        assert store.model("2026Q3", "latest").weights["mass"] == 0.4  # a draft scores nothing
        [model_id] = store.model_versions().query("label == 'saved-on-dashboard'")["id"]
    assert cli("model", "activate", "--id", str(model_id), "--reason", "考核委员会决定", user="zhang") == 1
    assert cli("model", "activate", "--id", str(model_id), "--reason", "考核委员会决定") == 0
    assert cli("import", "--period", "2026Q3", *demo_files("2026Q3")) == 0
    with Store(store_url) as store:
        assert store.model("2026Q3", "latest").weights["mass"] == 0.5
    assert cli("import", "--period", "2026Q3", *demo_files("2026Q3"), "--model", str(MODEL_FILE)) == 0
    with Store(store_url) as store:
        assert store.model("2026Q3", "latest").weights["mass"] == 0.4


def test_user_commands_keep_argon2_hashes_and_enforce_roles(store_url, cli, capsys):
    with Store(store_url) as store:
        accounts = {a.username: a for a in store.accounts()}
    assert set(accounts) == {"root", "wang", "li", "zhang", "zhao", "jd01"}
    assert all(a.password_hash.startswith("$argon2id$") and PASSWORD not in a.password_hash for a in accounts.values())
    assert accounts["jd01"].unit_id == "JD01" and accounts["jd01"].roles == {"unit"}
    assert cli("user", "list", user="root") == 0
    assert "zhang" in capsys.readouterr().out
    for who in ("wang", "zhang", "zhao", "jd01"):  # only an administrator manages accounts
        assert cli("user", "add", "eve", "--role", "admin", "--password-stdin", user=who, stdin=PASSWORD + "\n") == 1
        assert "无权" in capsys.readouterr().err
        assert cli("user", "list", user=who) == 1
    assert cli("user", "roles", "zhao", "--role", "leader", "--role", "analyst", user="root") == 0
    assert cli("user", "disable", "li", user="root") == 0
    assert cli("versions", "2026Q3", user="li") == 1
    assert "停用" in capsys.readouterr().err
    assert cli("user", "enable", "li", user="root") == 0
    assert cli("user", "passwd", "zhao", "--password-stdin", user="zhao", stdin="new-secret-for-leader-2026\n") == 0
    with Store(store_url) as store:
        assert store.account("zhao").roles == {"leader", "analyst"}
        log = store.audit()
    assert {"add_account", "set_roles", "disable", "enable", "set_password"} <= set(log["action"])
    assert set(log.loc[log["action"].isin(["add_account", "set_roles", "disable"]), "who"]) <= {"root", "system"}
    # the first admin exists: nobody can make another "first" admin, and no command runs without an account
    assert cli("user", "add", "root2", "--role", "admin", "--password-stdin", user=None, stdin=PASSWORD + "\n") == 1
    assert cli("versions", "2026Q3", user=None) == 1


STAFF_VIEW = ("wang", "zhang", "zhao")


@pytest.mark.parametrize(("command", "allowed"), [
    (("import", "--period", "2026Q3"), ("wang",)),
    (("publish", "2026Q2", "--reason", "复核后发布", "--yes"), ("wang",)),
    (("versions", "2026Q2"), ("wang", "zhang")),
    (("annual", "2026"), STAFF_VIEW),
    (("export", "2026Q2", "--out", "OUT"), STAFF_VIEW),
    (("history", "JD01"), (*STAFF_VIEW, "jd01")),  # a unit account reads its own unit
    (("history", "U0002"), STAFF_VIEW),             # and no other
])
def test_every_store_command_refuses_an_account_without_the_role(store_url, cli, tmp_path, capsys, command, allowed):
    with Store(store_url) as store:
        service = Service(store, staff("setup"))
        units = units_frame(9)
        units.loc[0, "unit_id"] = "JD01"
        service.store_inputs(MODEL, make_inputs("2026Q2", units=units))
        service.publish("2026Q2", reason="准备数据")
        service.store_inputs(MODEL, make_inputs("2026Q2", units=units, variant=1))
        before = counts(store)
    args = [str(tmp_path / "out.xlsx") if a == "OUT" else a for a in command]
    if command[0] == "import":
        args += demo_files("2026Q3")
    for who in sorted({"root", "wang", "zhang", "zhao", "jd01"} - set(allowed)):
        assert cli(*args, user=who) == 1, who
        assert "无权" in capsys.readouterr().err
    with Store(store_url) as store:
        assert counts(store) == before  # a refusal never changes anything
    assert cli(*args, user=allowed[0]) == 0


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_account(store_url, cli, monkeypatch, capsys):
    monkeypatch.setenv("SANWEI_PASSWORD", "not-the-password")
    for _ in range(5):
        assert cli("versions", "2026Q1") == 1
        assert capsys.readouterr().err.strip() == "账户名或密码不正确"
    assert cli("versions", "2026Q1", user="nobody") == 1
    assert capsys.readouterr().err.strip() == "账户名或密码不正确"  # an unknown name reads the same
    monkeypatch.setenv("SANWEI_PASSWORD", PASSWORD)
    assert cli("versions", "2026Q1") == 1
    assert "锁定" in capsys.readouterr().err  # locked: even the right password waits
    with Store(store_url) as store:
        account = store.account("wang")
        assert account.failures == 5 and account.locked_until
        assert (store.audit()["action"] == "sign_in_failed").sum() >= 6


def test_the_quarters_end_on_the_command_line_with_refusals(store_url, cli, capsys, tmp_path, monkeypatch):
    """Publish with a 公示, a unit appeals with evidence, refusals for roles without the permission
    (exit 1, nothing stored), an officer decides and corrects, another publishes, reports and lists."""
    from datetime import date

    from scoring import service as service_module

    monkeypatch.setattr(service_module, "today", lambda: date(2026, 10, 10))
    assert cli("import", "--period", "2026Q3", *demo_files("2026Q3")) == 0
    assert cli("publish", "2026Q3", "--reason", "发布并公示", "--announce-until", "2026-10-14", "--yes") == 0
    evidence = tmp_path / "证明.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    capsys.readouterr()
    with Store(store_url) as store:
        before = counts(store)
    for user, args in (("zhao", ("appeal", "file", "2026Q3", "--target", "indicator:ECO01", "--reason", "领导不能申诉")),
                       ("jd01", ("appeal", "decide", "--id", "1", "--accept", "--reply", "单位不能处理")),
                       ("jd01", ("report", "2026Q3", "--unit", "XZ03", "--out", str(tmp_path / "x.pdf"))),
                       ("zhao", ("report", "2026Q3", "--all", "--out", str(tmp_path / "all.zip")))):
        assert cli(*args, user=user) == 1
        assert "无权" in capsys.readouterr().err
    with Store(store_url) as store:
        assert counts(store) == before
    assert cli("appeal", "file", "2026Q3", "--target", "indicator:ECO01", "--reason", "报送有误",
               "--evidence", str(evidence), user="jd01") == 0
    assert "已提交第 1 号申诉" in capsys.readouterr().out
    assert cli("appeal", "decide", "--id", "1", "--accept", "--reply", "予以更正", user="zhao") == 1  # leaders read only
    assert cli("appeal", "decide", "--id", "1", "--accept", "--reply", "予以更正") == 0
    assert cli("appeal", "correct", "--id", "1", "--value", "15.5") == 0
    assert "第 2 版（草稿，关联第 1 号申诉）" in capsys.readouterr().out
    assert cli("publish", "2026Q3", "--reason", "申诉更正", "--yes", user="li") == 0
    capsys.readouterr()
    assert cli("appeal", "list", "2026Q3", user="jd01") == 0
    assert "corrected" in capsys.readouterr().out
    assert cli("report", "2026Q3", "--out", str(tmp_path / "mine.pdf"), user="jd01") == 0
    assert (tmp_path / "mine.pdf").read_bytes().startswith(b"%PDF-")
    assert cli("announcement", "2026Q3", "--out", str(tmp_path / "list.xlsx"), user="zhao") == 0
    assert openpyxl.load_workbook(tmp_path / "list.xlsx").active["A1"].value == "2026Q3 三维考评结果公示"
    assert cli("warnings", "2026Q3", user="zhao") == 0 and "level" in capsys.readouterr().out
    monkeypatch.setattr(service_module, "today", lambda: date(2026, 10, 20))
    assert cli("appeal", "file", "2026Q3", "--target", "indicator:ECO01", "--reason", "晚了", user="jd01") == 1
    assert "2026-10-14" in capsys.readouterr().err
