"""The stable JSON contract of a scored period (documented in docs/json.md).

Scores are numbers (never strings); missing values are null.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from scoring import i18n
from scoring.flags import Flag

if TYPE_CHECKING:
    from scoring.pipeline import PeriodResult

SCHEMA_VERSION = 2  # 2: flags and notes as {code, params, zh, en}; ci + ci_level; warnings located


def _num(v: Any) -> float | int | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _int(v: Any) -> int | None:
    f = _num(v)
    return None if f is None else int(f)


def _indicator_records(breakdown) -> dict[str, list[dict]]:
    """The breakdown rows grouped by unit, in one pass over plain records."""
    out: dict[str, list[dict]] = {}
    for b in breakdown.to_dict("records"):
        raw = b["raw"]
        record = {
            "dimension": b["dimension"], "code": b["code"], "name": b["name"],
            "raw": raw if isinstance(raw, str) else _num(raw),
            "score": _num(b["score"]), "weight": _num(b["weight"]), "contribution": _num(b["contribution"]),
            "note": i18n.flag_json(b["note"]) if isinstance(b["note"], Flag) else None,
        }
        if isinstance(b.get("treatment"), Flag):  # only where an outlier treatment changed the raw value
            record["treatment"] = i18n.flag_json(b["treatment"])
        out.setdefault(b["unit_id"], []).append(record)
    return out


def result_to_json(r: PeriodResult) -> dict:
    survey = r.survey.to_dict("index")
    indicators = _indicator_records(r.breakdown)
    units = []
    for row in r.units.to_dict("records"):
        s = survey.get(row["unit_id"]) if r.model.survey is not None else None  # a model without a survey
        units.append({
            "unit_id": row["unit_id"], "unit_name": row["unit_name"], "unit_type": row["unit_type"],
            "group": row["group"], "status": row["status"], "total": _num(row["total"]), "mass": _num(row["mass"]),
            "performance": _num(row["performance"]), "compliance": _num(row["compliance"]),
            "bonus": _num(row["bonus"]), "deduction": _num(row["deduction"]),
            "rank_group": _int(row["rank_group"]), "rank_overall": _int(row["rank_overall"]),
            "grade": row["grade"] if isinstance(row["grade"], str) else None,
            "veto": row["veto"] if isinstance(row["veto"], str) else None,
            "flags": [i18n.flag_json(f) for f in row["flags"]],
            "survey": None if s is None else {
                "n_valid": _int(s["n_valid"]), "n_unknown": _int(s["n_unknown"]), "mean": _num(s["mean"]),
                "ci": [_num(s["ci_low"]), _num(s["ci_high"])], "ci_level": r.model.survey.ci_level,
                "satisfaction_rate": _num(s["satisfaction_rate"]),
            },
            "indicators": indicators.get(row["unit_id"], []),
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "period": r.period,
        "model": {"name": r.model.model.name, "version": r.model.model.version, "weights": r.model.weights},
        "units": units,
        "excluded": [{**e.as_json(), "reason": e.reason.as_json()} for e in r.excluded],
        "warnings": [w.as_json() for w in r.warnings],
    }
