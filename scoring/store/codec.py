"""PeriodInputs <-> plain rows, and the checksum that proves a stored version is unchanged.

The checksum is computed over exactly the tuples written to (and read back from) the database,
so `verify` can recompute it from storage alone.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from scoring.formalism import Exclusion
from scoring.inputs import (
    ADJUSTMENT_COLUMNS,
    COMPLIANCE_COLUMNS,
    EXEMPTION_COLUMNS,
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
    "survey": ["response_id", "unit_id", "respondent_group", "channel", "duration", "answers"],
    "indicators": ["unit_id", "code", "value", "source"],
    "compliance": ["unit_id", "item", "status", "points"],
    "adjustments": ["unit_id", "bonus", "deduction", "veto", "note"],
    "reverse": ["rater", "unit_id", "answers"],
    "exemptions": ["unit_id", "target", "reason", "document", "approved_on"],
    "previous": ["unit_id", "code", "value", "period"],
}
# Tables added later: left out of checksums and row counts when empty, so versions stored before
# them keep verifying.
OPTIONAL = ("exemptions", "previous")
_TEXT = {"units": (0, 1, 2, 3), "survey": (0, 1, 2, 3), "indicators": (0, 1, 3), "compliance": (0, 1, 2),
         "adjustments": (0, 3, 4), "reverse": (1,), "exemptions": (0, 1, 2, 3, 4), "previous": (0, 1, 3)}
_REAL = {"survey": (4,), "indicators": (2,), "compliance": (3,), "adjustments": (1, 2), "previous": (2,)}
SURVEY_TEXT_IDS = [c for c in SURVEY_ID_COLUMNS if c != "duration"]
# Columns added after schema 2, left out of the checksum while every row of the table has them
# empty, so versions stored before they existed keep their checksum: table -> column positions.
_LATER_COLUMNS = {"survey": (4,)}


def is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _text(v: Any) -> str | None:
    return None if is_missing(v) else str(v)


def _real(v: Any) -> float | None:
    """A number as stored: -0.0 becomes 0.0 (SQLite returns 0.0 for it, so the checksum computed from
    storage must not see -0.0 where the import saw it)."""
    return None if is_missing(v) else float(v) + 0.0


def _answer(v: Any) -> Any:
    """A survey cell as JSON: the answer label, a number the model may map, or null."""
    if is_missing(v):
        return None
    if isinstance(v, str):
        return v
    return v.item() if hasattr(v, "item") else v


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_TEXTUAL = ("string", "empty")
_CONTROL = r"[\x00-\x1f]"  # what JSON escapes beyond quotes and backslashes


def _textual(values: pd.Series) -> bool:
    """Text or missing only (Arrow text, or objects that are all str/None)."""
    if values.dtype != object:
        return pd.api.types.is_string_dtype(values.dtype)
    return pd.api.types.infer_dtype(values, skipna=True) in _TEXTUAL


def _answers(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Each row's answers as a JSON list. Answer columns hold a few distinct labels: each distinct
    label is encoded once and the rows are joined in Arrow (a million rows x 8 items in well under
    a second, against seconds cell by cell); any other content is encoded cell by cell."""
    if not columns:
        return ["[]"] * len(frame)
    if not all(_textual(frame[c]) for c in columns):
        return [_DUMPS([_answer(v) for v in row]) for row in frame[columns].to_numpy(dtype=object)]
    return _answers_arrow(frame, columns).to_pylist()


def _answers_arrow(frame: pd.DataFrame, columns: list[str]) -> pa.Array:
    parts = []
    for c in columns:
        codes, uniques = pd.factorize(frame[c], use_na_sentinel=True)
        encoded = np.array([_DUMPS(str(u)) for u in uniques] + ["null"], dtype=object)
        parts.append(pa.array(encoded[codes], pa.large_string()))
    big = pa.large_string()
    joined = pc.binary_join_element_wise(*parts, pa.scalar(",", big))
    return pc.binary_join_element_wise(pa.scalar("[", big), joined, pa.scalar("]", big), pa.scalar("", big))


def _text_arrow(values: pd.Series) -> pa.Array:
    """A text column as Arrow (the values `_texts` gives), by distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = pa.array([str(u) for u in uniques], pa.large_string())
    return texts.take(pa.array(np.where(codes < 0, None, codes), pa.int64()))


def _texts(values: pd.Series) -> list[str | None]:
    """`_text` of every cell of a column, converted by column when it holds text only."""
    if not _textual(values):
        return [_text(v) for v in values]
    return pd.Series(values).astype("str").to_numpy(dtype=object, na_value=None).tolist()


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


def _raters(raters: pd.Series) -> list[int | None]:
    return [None if is_missing(v) else int(v) for v in raters]


def _reals(values: pd.Series) -> list[float | None]:
    return [_real(v) for v in values]


def encode_with_lines(inputs: PeriodInputs) -> tuple[dict[str, list[tuple]], dict[str, list[bytes]]]:
    """`encode`, and the survey's checksum lines made from its Arrow columns, block by block: a
    million rows are hashed without turning a million Python strings back into Arrow
    (`checksum(..., lines=)`)."""
    s, items = inputs.survey, inputs.item_columns()
    if len(s) < FAST_ROWS or not all(_textual(s[c]) for c in [*SURVEY_TEXT_IDS, *items]) or s["duration"].notna().any():
        return encode(inputs), {}  # (durations are numbers: the lines of a survey that has them go row by row)
    answers = _answers_arrow(s, items) if items else pa.array(["[]"] * len(s), pa.large_string())
    columns = [*(_text_arrow(s[c]) for c in SURVEY_TEXT_IDS), answers]  # no duration: left out while empty
    blocks = [_arrow_lines([c.slice(at, BLOCK_ROWS) for c in columns]) for at in range(0, len(s), BLOCK_ROWS)]
    del columns
    rows = encode(inputs, survey_answers=answers.to_pylist())
    return rows, ({"survey": blocks} if all(b is not None for b in blocks) else {})


def encode(inputs: PeriodInputs, survey_answers: list[str] | None = None) -> dict[str, list[tuple]]:
    """Rows per input table, in the order of ROW_COLUMNS. Reverse ratings are stored only as
    `anonymise_raters` leaves them: random numbers per department, sorted, never a name.
    `survey_answers` are the survey's answer lists already encoded (`encode_with_lines`)."""
    items, criteria = inputs.item_columns(), inputs.criterion_columns()
    s, r = inputs.survey, anonymise_raters(inputs.reverse)
    answers = _answers(s, items) if survey_answers is None else survey_answers
    raw = {
        "units": list(inputs.units[UNIT_COLUMNS].itertuples(index=False, name=None)),
        "survey": list(zip(*(_texts(s[c]) for c in SURVEY_TEXT_IDS), _reals(s["duration"]), answers, strict=True)),
        "indicators": list(inputs.indicators[INDICATOR_COLUMNS].itertuples(index=False, name=None)),
        "compliance": list(inputs.compliance[COMPLIANCE_COLUMNS].itertuples(index=False, name=None)),
        "adjustments": list(inputs.adjustments[ADJUSTMENT_COLUMNS].itertuples(index=False, name=None)),
        "reverse": list(zip(_raters(r["rater"]), r["unit_id"], _answers(r, criteria), strict=True)),
        "exemptions": list(inputs.exemptions[EXEMPTION_COLUMNS].itertuples(index=False, name=None)),
        "previous": list(inputs.previous[PREVIOUS_COLUMNS].itertuples(index=False, name=None)),
    }
    return {t: rows if t == "survey" else _typed(t, rows) for t, rows in raw.items()}  # the survey is typed by column


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


def reverse_frame(rows: list[tuple], criteria: list[str]) -> pd.DataFrame:
    """Stored reverse rows (rater, unit_id, answers JSON) as the PeriodInputs.reverse frame."""
    reverse = _wide(rows, REVERSE_ID_COLUMNS, criteria)
    reverse["rater"] = reverse["rater"].astype("Int64")
    return reverse


def decode(period: str, rows: dict[str, list[tuple]], items: list[str], criteria: list[str],
           excluded: list[dict], warnings: list[dict]) -> PeriodInputs:
    def nan_float(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        for c in cols:
            frame[c] = pd.to_numeric(frame[c]).astype(float)
        return frame

    reverse = reverse_frame(rows["reverse"], criteria)
    return PeriodInputs(
        period=period,
        units=_frame(rows["units"], UNIT_COLUMNS),
        survey=_wide(rows["survey"], SURVEY_ID_COLUMNS, items),
        indicators=nan_float(_frame(rows["indicators"], INDICATOR_COLUMNS), ["value"]),
        compliance=nan_float(_frame(rows["compliance"], COMPLIANCE_COLUMNS), ["points"]),
        adjustments=nan_float(_frame(rows["adjustments"], ADJUSTMENT_COLUMNS), ["bonus", "deduction"]),
        reverse=reverse,
        exemptions=_frame(rows.get("exemptions", []), EXEMPTION_COLUMNS),
        previous=nan_float(_frame(rows.get("previous", []), PREVIOUS_COLUMNS), ["value"]),
        excluded=[Exclusion(**e) for e in excluded],
        warnings=[Issue.from_json(w) for w in warnings],
    )


def checksum(rows: dict[str, list[tuple]], model_sha: str, items: list[str], criteria: list[str],
             lines: dict[str, list[bytes]] | None = None) -> str:
    """sha256 over every stored row of a version (tables in a fixed order) and its model: each row
    as its compact JSON list and a newline (`_row_lines` makes the same bytes faster; `lines` are
    those bytes made already, per table, by `encode_with_lines`)."""
    h = hashlib.sha256()
    h.update(json.dumps([model_sha, items, criteria], ensure_ascii=False).encode())
    for table in ROW_COLUMNS:
        if table in OPTIONAL and not rows.get(table):
            continue
        h.update(f"\x1e{table}\x1f".encode())
        for block in (lines or {}).get(table) or _row_lines(_hashed(table, rows[table])):
            h.update(block)
    return h.hexdigest()


def _hashed(table: str, rows: list[tuple]) -> list[tuple]:
    """The rows as the checksum sees them: columns added later are left out while all empty."""
    later = [i for i in _LATER_COLUMNS.get(table, ()) if all(r[i] is None for r in rows)]
    if not later:
        return rows
    return [tuple(v for i, v in enumerate(r) if i not in later) for r in rows]


FAST_ROWS = 10_000  # tables at least this long are hashed by column
BLOCK_ROWS = 100_000


def _row_lines(rows: list[tuple]):
    """The bytes `json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\\n"` of every row, in
    blocks. A long table whose fields are all text or null (the survey) is built by column in Arrow:
    quotes and backslashes escaped, strings quoted, nulls as null, fields joined; a block holding
    anything JSON escapes differently (control characters) or anything but text goes row by row."""
    for start in range(0, len(rows), BLOCK_ROWS):
        block = rows[start:start + BLOCK_ROWS]
        fast = _fast_lines(block) if len(rows) >= FAST_ROWS else None
        yield fast if fast is not None else "".join(_DUMPS(list(row)) + "\n" for row in block).encode()


def _fast_lines(block: list[tuple]) -> bytes | None:
    columns = []
    for column in zip(*block, strict=True):
        try:
            columns.append(pa.array(column, pa.large_string()))
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return None  # not all text: row by row
    return _arrow_lines(columns)


def _arrow_lines(columns: list[pa.Array]) -> bytes | None:
    """The JSON lines of rows whose fields are these text columns (nulls as null), or None when a
    column holds a character JSON escapes otherwise than by a backslash before it."""
    big = pa.large_string()
    quote, nothing = pa.scalar('"', big), pa.scalar("", big)
    fields = []
    for text in columns:
        if pc.any(pc.fill_null(pc.match_substring_regex(text, _CONTROL), False)).as_py():
            return None
        escaped = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
        fields.append(pc.fill_null(pc.binary_join_element_wise(quote, escaped, quote, nothing), "null"))
    if not fields:
        return None
    lines = pc.binary_join_element_wise(pa.scalar("[", big), pc.binary_join_element_wise(*fields, pa.scalar(",", big)),
                                        pa.scalar("]\n", big), nothing)
    _, offsets, data = lines.buffers()  # no nulls: the lines are the data buffer between the first and last offset
    first, last = np.frombuffer(offsets, dtype=np.int64)[[lines.offset, lines.offset + len(lines)]]
    return data[int(first):int(last)].to_pybytes()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
