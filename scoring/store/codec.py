"""PeriodInputs <-> plain rows, and the checksum that proves a stored version is unchanged.

The checksum is computed over exactly the tuples written to (and read back from) the database,
so `verify` can recompute it from storage alone.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pandas as pd

from scoring.formalism import Exclusion
from scoring.inputs import (
    ADJUSTMENT_COLUMNS,
    COMPLIANCE_COLUMNS,
    INDICATOR_COLUMNS,
    PREVIOUS_COLUMNS,
    REVERSE_ID_COLUMNS,
    SURVEY_ID_COLUMNS,
    UNIT_COLUMNS,
    PeriodInputs,
    anonymise_raters,
)
from scoring.report import Issue

# Column order of the rows of each input table (after version_id, seq).
ROW_COLUMNS: dict[str, list[str]] = {
    "units": ["unit_id", "unit_name", "unit_type", "group_name"],
    "survey": ["response_id", "unit_id", "respondent_group", "channel", "answers"],
    "indicators": ["unit_id", "code", "value", "source"],
    "compliance": ["unit_id", "item", "status", "points"],
    "adjustments": ["unit_id", "bonus", "deduction", "veto", "note"],
    "reverse": ["rater", "unit_id", "answers"],
    "previous": ["unit_id", "code", "value", "period"],
}
# Tables added later: left out of checksums and row counts when empty, so versions stored before
# them keep verifying.
OPTIONAL = ("previous",)
_TEXT = {"units": (0, 1, 2, 3), "survey": (0, 1, 2, 3), "indicators": (0, 1, 3), "compliance": (0, 1, 2),
         "adjustments": (0, 3, 4), "reverse": (1,), "previous": (0, 1, 3)}
_REAL = {"indicators": (2,), "compliance": (3,), "adjustments": (1, 2), "previous": (2,)}


def is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _text(v: Any) -> str | None:
    return None if is_missing(v) else str(v)


def _real(v: Any) -> float | None:
    return None if is_missing(v) else float(v)


def _answer(v: Any) -> Any:
    """A survey cell as JSON: the answer label, a number the model may map, or null."""
    if is_missing(v):
        return None
    if isinstance(v, str):
        return v
    return v.item() if hasattr(v, "item") else v


def _answers(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    if not columns:
        return ["[]"] * len(frame)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return [dumps([_answer(v) for v in row]) for row in frame[columns].to_numpy(dtype=object)]


def _typed(table: str, rows: list[tuple]) -> list[tuple]:
    text_i, real_i = _TEXT.get(table, ()), _REAL.get(table, ())
    out = []
    for row in rows:
        row = list(row)
        for i in text_i:
            row[i] = _text(row[i])
        for i in real_i:
            row[i] = _real(row[i])
        out.append(tuple(row))
    return out


def encode(inputs: PeriodInputs) -> dict[str, list[tuple]]:
    """Rows per input table, in the order of ROW_COLUMNS."""
    items, criteria = inputs.item_columns(), inputs.criterion_columns()
    s, r = inputs.survey, inputs.reverse
    raw = {
        "units": list(inputs.units[UNIT_COLUMNS].itertuples(index=False, name=None)),
        "survey": list(zip(*(s[c] for c in SURVEY_ID_COLUMNS), _answers(s, items), strict=True)),
        "indicators": list(inputs.indicators[INDICATOR_COLUMNS].itertuples(index=False, name=None)),
        "compliance": list(inputs.compliance[COMPLIANCE_COLUMNS].itertuples(index=False, name=None)),
        "adjustments": list(inputs.adjustments[ADJUSTMENT_COLUMNS].itertuples(index=False, name=None)),
        "reverse": list(zip(anonymise_raters(r["rater"]), r["unit_id"], _answers(r, criteria), strict=True)),
        "previous": list(inputs.previous[PREVIOUS_COLUMNS].itertuples(index=False, name=None)),
    }
    return {t: _typed(t, rows) for t, rows in raw.items()}


def row_counts(rows: dict[str, list[tuple]]) -> dict[str, int]:
    """Rows per table, optional tables only when they hold rows."""
    return {t: len(r) for t, r in rows.items() if r or t not in OPTIONAL}


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=columns) if rows else \
        pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def _wide(rows: list[tuple], ids: list[str], items: list[str]) -> pd.DataFrame:
    """Id columns plus one column per item, from rows whose last field is the JSON answer list."""
    head = _frame([r[:-1] for r in rows], ids)
    answers = [json.loads(r[-1]) for r in rows]
    body = pd.DataFrame(answers, columns=items, dtype=object) if answers else \
        pd.DataFrame({c: pd.Series(dtype="object") for c in items})
    body = body.astype(object).where(body.notna(), None)
    return pd.concat([head, body.set_index(head.index)], axis=1)


def decode(period: str, rows: dict[str, list[tuple]], items: list[str], criteria: list[str],
           excluded: list[dict], warnings: list[dict]) -> PeriodInputs:
    def nan_float(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        for c in cols:
            frame[c] = pd.to_numeric(frame[c]).astype(float)
        return frame

    reverse = _wide(rows["reverse"], REVERSE_ID_COLUMNS, criteria)
    reverse["rater"] = reverse["rater"].astype("Int64")
    return PeriodInputs(
        period=period,
        units=_frame(rows["units"], UNIT_COLUMNS),
        survey=_wide(rows["survey"], SURVEY_ID_COLUMNS, items),
        indicators=nan_float(_frame(rows["indicators"], INDICATOR_COLUMNS), ["value"]),
        compliance=nan_float(_frame(rows["compliance"], COMPLIANCE_COLUMNS), ["points"]),
        adjustments=nan_float(_frame(rows["adjustments"], ADJUSTMENT_COLUMNS), ["bonus", "deduction"]),
        reverse=reverse,
        previous=nan_float(_frame(rows.get("previous", []), PREVIOUS_COLUMNS), ["value"]),
        excluded=[Exclusion(**e) for e in excluded],
        warnings=[Issue.from_json(w) for w in warnings],
    )


def checksum(rows: dict[str, list[tuple]], model_sha: str, items: list[str], criteria: list[str]) -> str:
    """sha256 over every stored row of a version (tables in a fixed order) and its model."""
    h = hashlib.sha256()
    h.update(json.dumps([model_sha, items, criteria], ensure_ascii=False).encode())
    for table in ROW_COLUMNS:
        if table in OPTIONAL and not rows.get(table):
            continue
        h.update(f"\x1e{table}\x1f".encode())
        for row in rows[table]:
            h.update(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
            h.update(b"\n")
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
