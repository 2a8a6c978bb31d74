"""The store's CLI commands and the demo fill, end to end on the demo spreadsheets, on both databases."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import openpyxl
import pytest

from scoring.cli import build_parser, main
from scoring.service import Service
from scoring.store import Store
from tests.store_fixtures import MODEL, make_inputs, units_frame
from tests.test_store import counts

MODEL_FILE = Path(str(resources.files("scoring").joinpath("data/model.toml")))

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def demo_files(period: str) -> list[str]:
    return [str(DEMO / "units.xlsx"), *map(str, sorted(DEMO.glob(f"{period}_*.xlsx")))]


def test_import_publish_versions_history_on_the_demo_files(store_url, capsys):
    assert main(["import", "--db", store_url, "--period", "2026Q2", *demo_files("2026Q2"), "--who", "officer"]) == 0
    assert "已保存为 2026Q2 第 1 版（草稿）" in capsys.readouterr().out
    # without units.xlsx the roster comes from the store (here: none published yet, so it is required)
    assert main(["import", "--db", store_url, "--period", "2026Q3", *demo_files("2026Q3")[1:]]) == 1
    capsys.readouterr()
    assert main(["publish", "--db", store_url, "2026Q2"]) == 0
    assert main(["import", "--db", store_url, "--period", "2026Q3", *demo_files("2026Q3")[1:], "--lang", "en"]) == 0
    assert "stored as 2026Q3 version 1 (draft)" in capsys.readouterr().out
    assert main(["import", "--db", store_url, "--period", "2026Q3", *demo_files("2026Q3")]) == 0
    assert main(["publish", "--db", store_url, "2026Q3", "--version", "1"]) == 0
    capsys.readouterr()
    assert main(["versions", "--db", store_url, "2026Q3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[1].split()[:2] == ["1", "*"]
    assert main(["versions", "--db", store_url, "2026Q3", "--diff", "1", "2"]) == 0
    assert "version 1 → 2" in capsys.readouterr().out
    assert main(["history", "--db", store_url, "JD01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines[1:]] == ["2026Q2", "2026Q3"]
    assert main(["history", "--db", store_url, "NOPE"]) == 1
    assert capsys.readouterr().err.strip() == "单位 NOPE 没有已发布的结果"
    assert main(["history", "--db", store_url, "NOPE", "--lang", "en"]) == 1
    assert capsys.readouterr().err.strip() == "unit NOPE has no published result"
    assert main(["annual", "--db", store_url, "2026"]) == 0
    annual = capsys.readouterr().out
    assert "Q2,Q3" in annual and "JD01" in annual
    assert main(["annual", "--db", store_url, "2019"]) == 1
    with Store(store_url) as store:
        service = Service(store, "tester")
        assert service.reproduces("2026Q3", 1) and service.reproduces("2026Q3", 2)
        assert store.imports("2026Q2").iloc[0]["who"] == "officer"


def test_a_rejected_import_stores_nothing(store_url, tmp_path, capsys):
    bad = tmp_path / "2026Q3_survey.xlsx"
    bad.write_bytes(b"this is not a workbook")
    with Store(store_url) as store:
        service = Service(store, "tester")
        service.store_inputs(MODEL, make_inputs("2026Q2"))
        before = counts(store)
        assert main(["import", "--db", store_url, "--period", "2026Q3", demo_files("2026Q3")[0], str(bad)]) == 1
        captured = capsys.readouterr()
        assert "2026Q3_survey.xlsx" in captured.out and captured.err.strip() == "有错误，未保存任何数据"
        assert counts(store) == before


def test_publish_of_a_missing_period_is_a_message_not_a_traceback(store_url, capsys):
    assert main(["publish", "--db", store_url, "1999Q1"]) == 1
    assert capsys.readouterr().err.strip() == "没有 1999Q1 的数据"
    assert main(["publish", "--db", store_url, "1999Q1", "--lang", "en"]) == 1
    assert capsys.readouterr().err.strip() == "no data for 1999Q1"


def test_db_defaults_to_the_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path}/env.db"
    monkeypatch.setenv("SANWEI_DATABASE_URL", url)
    assert build_parser().parse_args(["versions", "2026Q1"]).db == url
    monkeypatch.delenv("SANWEI_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)  # the default never depends on the current directory
    assert build_parser().parse_args(["versions", "2026Q1"]).db == f"sqlite:///{tmp_path}/xdg/sanwei/sanwei.db"


def test_export_is_formatted_and_formula_safe(store_url, tmp_path):
    units = units_frame(9)
    units.loc[0, "unit_name"] = '=HYPERLINK("http://evil.example","点我")'
    units.loc[1, "unit_name"] = "@SUM(1+1)"
    with Store(store_url) as store:
        service = Service(store, "tester")
        service.store_inputs(MODEL, make_inputs("2026Q1", units=units))
        service.publish("2026Q1")
    out = tmp_path / "ranking.xlsx"
    assert main(["export", "--db", store_url, "2026Q1", "--out", str(out)]) == 0
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
        service = Service(store, "tester")
        if twice:
            service.store_inputs(MODEL, make_inputs("2024Q4"))
            assert service.load_demo(DEMO) == []
            return
        periods = service.load_demo(DEMO)
        assert periods == ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
        assert store.published_periods() == periods
        assert service.load_demo(DEMO) == []
        assert len(store.rankings("2026Q3")) == 36
        assert store.verify() == []


def test_cli_import_uses_the_model_saved_on_the_dashboard(store_url, capsys):
    changed = MODEL.model_copy(update={
        "model": MODEL.model.model_copy(update={"version": "saved-on-dashboard"}),
        "dimensions": MODEL.dimensions.model_copy(update={"mass": 0.5, "compliance": 0.1})})
    with Store(store_url) as store:
        service = Service(store, "tester")
        service.save_model(changed)
    assert main(["import", "--db", store_url, "--period", "2026Q3", *demo_files("2026Q3")]) == 0
    with Store(store_url) as store:
        service = Service(store, "tester")
        assert store.model("2026Q3", "latest").weights["mass"] == 0.5
    assert main(["import", "--db", store_url, "--period", "2026Q3", *demo_files("2026Q3"),
                 "--model", str(MODEL_FILE)]) == 0
    with Store(store_url) as store:
        service = Service(store, "tester")
        assert store.model("2026Q3", "latest").weights["mass"] == 0.4
