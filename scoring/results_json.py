"""The stable JSON contract of a scored period (documented in docs/json.md).

Scores are numbers (never strings); missing values are null.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

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


def _reverse_records(r: PeriodResult) -> dict[str, dict]:
    """Per rated department (a unit with a rater count): raters, its own result (null below k), the
    value its mass score used (its result, the group mean, or null), and each criterion's score."""
    if r.model.reverse is None:
        return {}
    criteria = list(r.model.reverse.criteria)
    table = r.reverse.to_dict("index")
    mass = r.breakdown[(r.breakdown["dimension"] == "mass") & (r.breakdown["code"] == "MASS.REVERSE")]
    used = dict(zip(mass["unit_id"], mass["raw"], strict=True))
    out = {}
    for unit_id, n, rule in zip(r.units["unit_id"], r.units["n_raters"], r.units["reverse_rule"], strict=True):
        if _int(n) is None:
            continue
        row = table.get(unit_id, {})
        out[unit_id] = {
            "n_raters": _int(n), "n_ratings": _int(row.get("n_ratings")) or 0, "score": _num(row.get("score")),
            "suppressed": bool(row.get("suppressed", True)), "used": _num(used.get(unit_id)), "rule": rule,
            "criteria": {c: _num(row.get(c)) for c in criteria},
        }
    return out


def _survey_screen(r: PeriodResult) -> dict | None:
    """The period's survey screens: the straight-lining policy and what each screen found."""
    if r.model.survey is None:
        return None
    s = r.survey
    total = (lambda c: int(pd.to_numeric(s[c], errors="coerce").fillna(0).sum())) if len(s) else (lambda c: 0)
    return {"straight_lining": str(r.model.survey.straight_lining),
            "straight_lining_min_items": r.model.survey.straight_lining_min_items,
            "duplicates": total("n_duplicates"), "straight_lining_found": total("n_straight_lining"),
            "straight_lining_dropped": total("n_straight_dropped"),
            "guarded_units": sorted(s.index[s["screen_guarded"].eq(True)].tolist()) if len(s) else []}


def result_to_json(r: PeriodResult) -> dict:
    survey = r.survey.to_dict("index")
    indicators = _indicator_records(r.breakdown)
    reverse = _reverse_records(r)
    burden: dict[str, list[dict]] = {}
    for b in r.burden.to_dict("records"):
        burden.setdefault(b["unit_id"], []).append({"code": b["code"], "name": b["name"], "value": _num(b["value"]),
                                                    "points": _num(b["points"])})
    exemptions: dict[str, list[dict]] = {}
    for e in r.exemptions.to_dict("records"):
        exemptions.setdefault(e["unit_id"], []).append({
            "target": e["target"], "reason": e["reason"], "document": e["document"], "approved_on": e["approved_on"],
            "applied": bool(e["applied"]), "waived_points": _num(e["waived_points"])})
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
                "screen": {"rows": _int(s["n_rows"]), "duplicates": _int(s["n_duplicates"]),
                           "straight_lining": _int(s["n_straight_lining"]),
                           "straight_lining_dropped": _int(s["n_straight_dropped"]),
                           "guarded": s["screen_guarded"] is True or s["screen_guarded"] == 1.0},
            },
            "reverse": reverse.get(row["unit_id"]),
            "exemptions": exemptions.get(row["unit_id"], []),
            "burden": burden.get(row["unit_id"], []),
            "indicators": indicators.get(row["unit_id"], []),
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "period": r.period,
        "model": {"name": r.model.model.name, "version": r.model.model.version, "weights": r.model.weights},
        "units": units,
        "survey_screen": _survey_screen(r),
        "reverse": None if r.model.reverse is None else {
            "cycle": str(r.model.reverse.cycle), "min_raters": r.model.reverse.min_raters,
            "below_k": str(r.model.reverse.below_k), "share": r.model.reverse.share,
            "excellent_floor": r.model.reverse.excellent_floor, "criteria": list(r.model.reverse.criteria)},
        "excluded": [{**e.as_json(), "reason": e.reason.as_json()} for e in r.excluded],
        "warnings": [w.as_json() for w in r.warnings],
    }
