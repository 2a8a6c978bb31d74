"""The `sanwei` command end to end, as a user runs it (a real subprocess)."""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def sanwei(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "scoring", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def score_args(period="2026Q3"):
    return ["score", "--units", DEMO / "units.xlsx", "--survey", DEMO / f"{period}_survey.xlsx",
            "--indicators", *sorted(DEMO.glob(f"{period}_indicators_*.xlsx")),
            "--compliance", DEMO / f"{period}_compliance.xlsx", "--reverse", DEMO / f"{period}_reverse.xlsx",
            "--period", period]


def test_score_demo_quarter_json_contract(tmp_path):
    out = tmp_path / "r.xlsx"
    res = sanwei(*score_args(), "--json", "-", "--out", out)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["period"] == "2026Q3" and len(data["units"]) == 36
    unit = data["units"][0]
    for key in ["unit_id", "unit_name", "unit_type", "group", "status", "total", "mass", "performance", "compliance",
                "bonus", "deduction", "rank_group", "rank_overall", "grade", "veto", "flags", "survey", "indicators"]:
        assert key in unit
    assert isinstance(unit["total"], float) and isinstance(unit["rank_overall"], int)
    assert set(unit["survey"]) == {"n_valid", "n_unknown", "mean", "ci", "ci_level", "satisfaction_rate", "screen"}
    for u in data["units"]:
        total = sum(i["contribution"] for i in u["indicators"]) + u["bonus"] - u["deduction"]
        assert total == pytest.approx(u["total"], abs=1e-9)
    assert {e["column"] for e in data["excluded"] if not e["overridden"]} == {"台账页数", "会议次数"}
    assert {e["column"] for e in data["excluded"] if e["overridden"]} == {"违反精文简会规定发文开会次数"}
    wb = openpyxl.load_workbook(out, read_only=True)
    assert "排名 ranking" in wb.sheetnames
    ranking = pd.read_excel(out, sheet_name="排名 ranking", engine="calamine")
    assert len(ranking) == 36 and ranking["总排名 rank"].iloc[0] == 1


def test_score_prints_a_ranking_table():
    res = sanwei(*score_args("2026Q2"))
    assert res.returncode == 0, res.stderr
    assert "石桥镇" in res.stdout and "较差" in res.stdout  # the veto case of 2026Q2


def test_broken_file_exit_1_with_readable_report(tmp_path):
    bad = tmp_path / "bad_indicators.xlsx"
    df = pd.read_excel(DEMO / "2026Q3_indicators_tongji.xlsx", engine="calamine")
    df[df.columns[2]] = df[df.columns[2]].astype(object)
    df.iloc[3, 2] = "n/a?"
    df.to_excel(bad, index=False)
    args = score_args()
    i = args.index("--indicators")
    args[i + 1] = bad
    res = sanwei(*args)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "bad_indicators.xlsx" in res.stderr and "C5" in res.stderr and "不是数值" in res.stderr


def test_truncated_xlsx_is_refused_without_traceback(tmp_path):
    bad = tmp_path / "units.xlsx"
    bad.write_bytes((DEMO / "units.xlsx").read_bytes()[:500])
    res = sanwei("validate", bad)
    assert res.returncode == 1 and "Traceback" not in res.stderr + res.stdout
    assert "units.xlsx" in res.stdout


def test_validate_and_english_report(tmp_path):
    res = sanwei("validate", DEMO / "units.xlsx", DEMO / "2026Q3_survey.xlsx", "--lang", "en", "--out", tmp_path / "rep.xlsx")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "rep.xlsx").exists()


def test_template_and_demo(tmp_path):
    for kind in ["units", "survey", "indicators", "compliance", "reverse"]:
        out = tmp_path / f"{kind}.xlsx"
        assert sanwei("template", kind, "--out", out).returncode == 0
        header = next(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
        assert header[0]
    # a blank template imports as "nothing to score", not as a crash
    res = sanwei("validate", tmp_path / "units.xlsx")
    assert "Traceback" not in res.stderr
    res = sanwei("demo", "--out", tmp_path / "demo")
    assert res.returncode == 0 and len(list((tmp_path / "demo").glob("*.xlsx"))) == 45  # 2 quarters with exemptions


def test_usage_errors_exit_2():
    assert sanwei("score").returncode == 2
    assert sanwei("frobnicate").returncode == 2
    assert sanwei("template", "nonsense", "--out", "x.xlsx").returncode == 2
