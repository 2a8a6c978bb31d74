"""Every demo quarter scores exactly as recorded in tests/golden/demo_scores.json.

The file was recorded before the design refactor of issue 9 (which changes no score). A change
that is meant to move a score regenerates it (`python -m tests.test_golden --write`) and says in
its commit which scores moved and why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from scoring.demo import PERIODS
from scoring.importer import load_period
from scoring.model import load_model
from scoring.pipeline import score_period

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
GOLDEN = Path(__file__).parent / "golden" / "demo_scores.json"
FIELDS = ("total", "rank_group", "rank_overall", "grade", "status", "mass", "performance", "compliance")


def scores(period: str) -> dict[str, dict]:
    model = load_model()
    files = [DEMO / "units.xlsx", *sorted(DEMO.glob(f"{period}_*.xlsx"))]
    result = score_period(model, load_period(model, period, [(f.name, f) for f in files])).to_json()
    return {u["unit_id"]: {k: u[k] for k in FIELDS} for u in result["units"]}


@pytest.mark.parametrize("period", PERIODS)
def test_demo_quarter_scores_are_unchanged(period):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[period]
    got = scores(period)
    assert got.keys() == expected.keys()
    for unit, recorded in expected.items():
        for key in FIELDS:
            want, have = recorded[key], got[unit][key]
            if isinstance(want, float) and isinstance(have, float):
                assert have == pytest.approx(want, abs=1e-9), (unit, key)
            else:
                assert have == want, (unit, key)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.write_text(json.dumps({p: scores(p) for p in PERIODS}, ensure_ascii=False, indent=1, sort_keys=True),
                      encoding="utf-8")
