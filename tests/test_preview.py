"""Previewing an upload before validation: what the importer will read from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.model import load_model
from scoring.preview import preview

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
MODEL = load_model()


@pytest.mark.parametrize(("name", "kind"), [("units.xlsx", "units"), ("2026Q3_survey.xlsx", "survey"),
                                            ("2026Q3_indicators_ducha.xlsx", "indicators"),
                                            ("2026Q3_compliance.xlsx", "compliance"), ("2026Q3_reverse.xlsx", "reverse")])
def test_preview_recognises_every_kind(name, kind):
    p = preview(name, (DEMO / name).read_bytes(), MODEL, rows=5)
    assert p["kind"] == kind and p["error"] is None and len(p["head"]) == 5 and p["rows"] >= 5
    assert p["head"].index[0] >= 2  # Excel row numbers


def test_preview_of_an_unreadable_file():
    p = preview("broken.xlsx", b"plain text", MODEL)
    assert p["kind"] is None and (p["error"]["severity"] == "error").all()
