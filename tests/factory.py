"""Synthetic period inputs for library tests (the demo data set covers the realistic case)."""

import numpy as np
import pandas as pd

from scoring.inputs import PeriodInputs

LABELS = ["满意", "比较满意", "基本满意", "不满意", "不了解"]


def make_inputs(model, seed=0, n_towns=8, n_depts=4, respondents=35, period="2026Q3") -> PeriodInputs:
    rng = np.random.default_rng(seed)
    n = n_towns + n_depts
    ids = [f"U{i:02d}" for i in range(n)]
    types = ["乡镇街道"] * n_towns + ["市直部门"] * n_depts
    groups = ["城区街道" if i < n_towns // 2 else "农业乡镇" for i in range(n_towns)] + ["市直部门"] * n_depts
    units = pd.DataFrame({"unit_id": ids, "unit_name": [f"单位{i}" for i in range(n)], "unit_type": types, "group": groups})

    items = [q.code for q in model.survey.item]
    resp_unit = np.repeat(ids, respondents)
    answers = rng.choice(LABELS, size=(len(resp_unit), len(items)), p=[0.4, 0.3, 0.15, 0.1, 0.05])
    survey = pd.DataFrame(answers, columns=items)
    survey.insert(0, "response_id", [f"R{i}" for i in range(len(resp_unit))])
    survey.insert(1, "unit_id", resp_unit)
    survey.insert(2, "respondent_group", rng.choice(list(model.survey.respondent_groups), size=len(resp_unit)))
    survey.insert(3, "channel", "电话")

    rows = []
    for uid, utype in zip(ids, types, strict=True):
        for ind in model.indicators.values():
            if model.applies(ind.code, utype):
                rows.append({"unit_id": uid, "code": ind.code, "value": float(rng.uniform(0, 120)), "source": "a.xlsx"})
    indicators = pd.DataFrame(rows)

    compliance = pd.DataFrame([{"unit_id": u, "item": c.code, "status": rng.choice(["pass", "partial", "fail"], p=[0.8, 0.15, 0.05]),
                                "points": np.nan} for u in ids for c in model.compliance.item])
    adjustments = pd.DataFrame({"unit_id": ids, "bonus": rng.choice([0, 0, 1, 3, 5], size=n).astype(float),
                                "deduction": rng.choice([0, 0, 0, 2], size=n).astype(float), "veto": None, "note": None})
    dept_ids = ids[n_towns:]
    reverse = pd.DataFrame([{"rater": r, "unit_id": d, **{c: rng.choice(LABELS) for c in model.reverse.criteria}}
                            for d in dept_ids for r in range(6)])
    return PeriodInputs(period, units, survey, indicators, compliance, adjustments, reverse)
