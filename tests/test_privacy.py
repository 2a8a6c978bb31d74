"""Anonymity by construction and nothing a leader reads quotes free text (issue 10 §4)."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from scoring.export import write_result_xlsx
from scoring.importer import read_period
from scoring.model import load_model
from scoring.store import Store
from scoring.store import schema as s
from scoring.store.export import write_ranking_xlsx
from scoring.templates import template_bytes
from tests.actors import staff
from tests.fixtures.make_fixtures import FREE_TEXT

MODEL = load_model()
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
QUARTER = [DEMO / "units.xlsx", *sorted(DEMO.glob("2026Q3_*.xlsx"))]
MARKERS = ("赵六", "13700000000")


def files(paths) -> list[tuple[str, Path]]:
    return [(p.name, p) for p in paths]


# ---------------------------------------------------------------------------- raters

def test_raters_are_random_numbers_per_department_and_rows_are_not_in_imported_order():
    """Raters were numbered in order of first appearance and rows kept in imported order, so rater 1
    was the first township of the roster. Now each import draws new numbers per department and
    stores the rows sorted by (department, number): two imports of the same file differ."""
    first, _ = read_period(MODEL, "2026Q3", files(QUARTER))
    second, _ = read_period(MODEL, "2026Q3", files(QUARTER))
    for reverse in (first.reverse, second.reverse):
        assert reverse[["unit_id", "rater"]].equals(reverse[["unit_id", "rater"]].sort_values(["unit_id", "rater"]))
        for _, g in reverse.groupby("unit_id"):
            assert sorted(g["rater"].unique()) == list(range(1, g["rater"].nunique() + 1))
    criteria = first.criterion_columns()
    assert not first.reverse[criteria].equals(second.reverse[criteria])  # a rater's number says nothing
    raw = pd.read_excel(DEMO / "2026Q3_reverse.xlsx", engine="calamine")
    names = dict(zip(first.units["unit_name"], first.units["unit_id"], strict=True))
    dept = names[raw["被评部门"].iloc[0]]
    in_file = raw[raw["被评部门"].map(names) == dept][criteria].reset_index(drop=True)
    stored = first.reverse[first.reverse["unit_id"] == dept][criteria].reset_index(drop=True)
    assert len(in_file) == len(stored) and not in_file.equals(stored)  # not in the file's order


def test_a_rater_column_is_required_and_only_roster_units_count():
    """Without a rater column five copies of one rating passed k = 5; invented rater names counted."""
    _, report = read_period(MODEL, "2026Q3", files([DEMO / "units.xlsx", HOSTILE / "reverse_without_raters.xlsx"]))
    assert any("lack the rater column" in e.message_en for e in report.errors)
    _, report = read_period(MODEL, "2026Q3", files([DEMO / "units.xlsx", HOSTILE / "reverse_invented_raters.xlsx"]))
    bad = [e for e in report.errors if "rater is blank or not in the roster" in e.message_en]
    assert [e.row for e in bad] == [2, 3, 4, 5, 6] and all(e.column == "A" for e in bad)
    assert not any("虚构乡" in json.dumps(e.as_json(), ensure_ascii=False) for e in report.issues)


def test_the_reverse_template_says_what_is_really_kept():
    notes = [r[0] for r in openpyxl.load_workbook(io.BytesIO(template_bytes("reverse", MODEL)))["填写说明"].iter_rows(values_only=True)]
    text = "\n".join(notes)
    assert "never stored" not in text.replace("neither the name nor the row order is stored", "")
    assert "random number" in text and "roster unit" in text


# ---------------------------------------------------------------------------- free text

@pytest.fixture
def free_text_quarter(tmp_path) -> list[tuple[str, Path]]:
    """The demo quarter with a respondent's free text in an answer and a respondent-group cell."""
    survey = pd.read_excel(DEMO / "2026Q3_survey.xlsx", engine="calamine", dtype=str)
    survey.iloc[0, survey.columns.get_loc("总体满意度")] = FREE_TEXT
    survey.iloc[1, survey.columns.get_loc("受访者类别")] = f"群众（{FREE_TEXT}）"
    path = tmp_path / "2026Q3_survey.xlsx"
    survey.to_excel(path, index=False)
    return files([p for p in QUARTER if p.name != path.name] + [path])


def test_reports_name_the_cell_and_the_kind_of_problem_never_free_text(free_text_quarter, service, store, tmp_path):
    """Out-of-scale answers and bad category cells were copied verbatim into warnings, and so into the
    store, the published JSON and the 提示 sheet any leader downloads. Now none of them quotes the cell.
    (An off-scale answer is an error by default since issue 15; a model that leaves it out stores it.)"""
    _, refused = service.import_files("2026Q3", free_text_quarter)
    assert any(e.row == 2 and e.header == "总体满意度" for e in refused.errors)
    assert not any(m in json.dumps([i.as_json() for i in refused.issues], ensure_ascii=False) for m in MARKERS)
    warn = MODEL.model_copy(update={"survey": MODEL.survey.model_copy(update={"out_of_scale": "warn"})})
    version, report = service.import_files("2026Q3", free_text_quarter, warn)
    assert version is not None
    located = [w for w in report.warnings if w.row in (2, 3) and w.header in ("总体满意度", "受访者类别")]
    assert len(located) == 2
    service.publish("2026Q3", version.number, reason="测试发布")
    seen = [json.dumps([i.as_json() for i in report.issues], ensure_ascii=False),
            json.dumps(store.imports("2026Q3")["report"].tolist(), ensure_ascii=False),
            store.snapshot_text("2026Q3"),
            json.dumps([w.as_json() for w in store.inputs("2026Q3").warnings], ensure_ascii=False)]
    write_ranking_xlsx(store, "2026Q3", tmp_path / "ranking.xlsx")
    write_result_xlsx(service.recompute("2026Q3"), tmp_path / "result.xlsx")
    for book in ("ranking.xlsx", "result.xlsx"):
        wb = openpyxl.load_workbook(tmp_path / book)
        seen += [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    text = "\n".join(seen)
    assert not any(m in text for m in MARKERS)


# ---------------------------------------------------------------------------- the SQLite file

def test_the_sqlite_file_is_created_0600_in_a_folder_created_0700(tmp_path):
    path = tmp_path / "new" / "sanwei" / "sanwei.db"
    with Store(f"sqlite:///{path}"):
        pass
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path.parent.parent).st_mode) == 0o700
    for extra in (path.with_name("sanwei.db-wal"), path.with_name("sanwei.db-shm")):
        if extra.exists():
            assert stat.S_IMODE(os.stat(extra).st_mode) & 0o077 == 0


# ---------------------------------------------------------------------------- stores written before

def test_schema_2_raters_in_order_of_appearance_become_random_numbers(store, service):
    """A store written by schema 2 kept raters numbered in order of first appearance, rows in import
    order. The 2 -> 3 migration renumbers them at random per department, sorts the rows and
    recomputes the checksums; the stored results still reproduce."""
    inputs, _ = read_period(MODEL, "2026Q3", files(QUARTER))
    number = service.store_inputs(MODEL, inputs).number
    service.publish("2026Q3", number, reason="测试发布")
    t = s.reverse_ratings
    with store.engine.begin() as conn:
        vid = conn.execute(sa.select(s.versions.c.id)).scalar_one()
        rows = conn.execute(sa.select(t.c.seq, t.c.rater, t.c.unit_id).where(t.c.version_id == vid).order_by(t.c.seq)).all()
        # write them back as schema 2 did: numbered by first appearance, in an order that is not sorted
        order = sorted(rows, key=lambda r: (r.rater % 3, r.seq))
        appearance = {}
        for seq, r in enumerate(order):
            appearance.setdefault((r.unit_id, r.rater), len(appearance) + 1)
            conn.execute(t.update().where(t.c.version_id == vid, t.c.seq == r.seq).values(seq=-1 - seq))
        for seq, r in enumerate(order):
            conn.execute(t.update().where(t.c.version_id == vid, t.c.seq == -1 - seq)
                         .values(seq=seq, rater=appearance[(r.unit_id, r.rater)]))
        conn.execute(sa.update(s.meta).where(s.meta.c.key == "schema_version").values(value="2"))
    with Store(store.url) as upgraded:
        assert upgraded.verify() == []
        back = upgraded.inputs("2026Q3").reverse
        assert back[["unit_id", "rater"]].equals(back[["unit_id", "rater"]].sort_values(["unit_id", "rater"]))
        assert upgraded.audit()["action"].iloc[0] == "migrate"
        from scoring.service import Service

        again = Service(upgraded, staff()).recompute("2026Q3").units.set_index("unit_id")["total"].sort_index()
        stored = upgraded.results("2026Q3").set_index("unit_id")["total"].sort_index()
        assert (again - stored).abs().max() < 1e-9
