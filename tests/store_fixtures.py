"""Synthetic PeriodInputs for the store tests and bench/store, shaped for the default model.

Built directly (no spreadsheets) so tests and the benchmark measure the store, not the reader.
`variant` perturbs values so a re-import of the same period differs in a known way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.inputs import PeriodInputs
from scoring.model import Model, load_model
from scoring.report import Issue, Severity

MODEL = load_model()
CHANNELS = ["电话", "入户", "网络"]


def units_frame(n_units: int, model: Model = MODEL) -> pd.DataFrame:
    groups = [(g.name, g.unit_type) for g in model.group]
    rows = []
    for i in range(n_units):
        name, utype = groups[i % len(groups)]
        rows.append((f"U{i + 1:04d}", f"单位{i + 1:04d}", utype, name))
    return pd.DataFrame(rows, columns=["unit_id", "unit_name", "unit_type", "group"])


def make_inputs(period: str, n_units: int = 12, per_unit: int = 35, seed: int = 0, variant: int = 0,
                model: Model = MODEL, units: pd.DataFrame | None = None) -> PeriodInputs:
    rng = np.random.default_rng([seed, variant, int(period[:4]), int(period[-1])])
    units = units_frame(n_units, model) if units is None else units
    ids = units["unit_id"].to_numpy()
    labels = [a.label for a in model.survey.answer]
    items = [i.name for i in model.survey.item]
    latent = rng.normal(0, 1, len(ids))

    n = len(ids) * per_unit
    unit_of = np.repeat(np.arange(len(ids)), per_unit)
    p = np.array([0.45, 0.3, 0.15, 0.05, 0.05])
    shift = latent[unit_of][:, None] * 0.15
    cut = np.cumsum(p)
    u = rng.random((n, len(items))) - shift
    answers = np.array(labels, dtype=object)[np.searchsorted(cut, u.clip(0, 0.9999))]
    answers[rng.random((n, len(items))) < 0.01] = None
    survey = pd.DataFrame({
        "response_id": [f"{period}-{i:07d}" for i in range(n)],
        "unit_id": ids[unit_of],
        "respondent_group": rng.choice(list(model.survey.respondent_groups), n),
        "channel": rng.choice(CHANNELS, n),
    })
    survey = pd.concat([survey, pd.DataFrame(answers, columns=items)], axis=1)

    ind_rows = []
    for code, ind in model.indicators.items():
        for k, (uid, utype) in enumerate(zip(ids, units["unit_type"], strict=True)):
            if not model.applies(code, utype):
                continue
            base = ind.target or ind.satisfactory or 50.0
            value = round(float(base * (0.9 + 0.05 * latent[k]) + rng.normal(0, abs(base) * 0.05 + 0.5)), 2)
            ind_rows.append((uid, code, value, "indicators.xlsx"))
    indicators = pd.DataFrame(ind_rows, columns=["unit_id", "code", "value", "source"])

    statuses = rng.choice(["pass", "pass", "pass", "partial", "fail"], (len(ids), len(model.compliance.item)))
    compliance = pd.DataFrame([(uid, item.code, statuses[k, j], np.nan)
                               for k, uid in enumerate(ids) for j, item in enumerate(model.compliance.item)],
                              columns=["unit_id", "item", "status", "points"])
    adjustments = pd.DataFrame({
        "unit_id": ids,
        "bonus": rng.choice([0.0, 0.0, 0.0, 1.0, 3.0], len(ids)),
        "deduction": rng.choice([0.0, 0.0, 0.0, 0.0, 2.0], len(ids)),
        "veto": [("重大安全事故" if k == 1 else None) for k in range(len(ids))],
        "note": "",
    })

    depts = units.loc[units["unit_type"] == "市直部门", "unit_id"].to_numpy()
    raters = units.loc[units["unit_type"] != "市直部门", "unit_name"].to_numpy()
    criteria = list(model.reverse.criteria)
    rev_rows = [(r, d, *rng.choice(labels[:4], len(criteria))) for d in depts for r in raters]
    reverse = pd.DataFrame(rev_rows, columns=["rater", "unit_id", *criteria])
    return PeriodInputs(period=period, units=units, survey=survey, indicators=indicators, compliance=compliance,
                        adjustments=adjustments, reverse=reverse,
                        warnings=[Issue(Severity.WARNING, "", f"合成数据，种子 {seed}，变体 {variant}",
                                        f"synthetic data, seed {seed}, variant {variant}")])


# ---------------------------------------------------------------- worker processes
# `python -m tests.store_fixtures write URL PERIOD COUNT N_UNITS PER_UNIT SEED` imports COUNT versions,
#   publishing each, and prints "committed <number>" after each commit ("writing" inside the transaction).
# `python -m tests.store_fixtures read URL PERIOD SECONDS` reads the published rankings in a loop and
#   prints one JSON line per read: the version seen and the sum of its totals.

def _write(url: str, period: str, count: int, n_units: int, per_unit: int, seed: int) -> None:
    from scoring.service import Service
    from scoring.store import Store, io
    from scoring.store import store as store_module

    def marked(conn, vid, rows):
        print("writing", flush=True)
        io.insert_inputs(conn, vid, rows)
    store_module.insert_inputs = marked
    service = Service(Store(url), f"worker-{seed}")
    for i in range(count):
        v = service.store_inputs(MODEL, make_inputs(period, n_units, per_unit, seed=seed, variant=i))
        print(f"committed {v.number}", flush=True)
        service.publish(period, v.number)


def _read(url: str, period: str, seconds: float) -> None:
    import json
    import time

    from scoring.store import NotFound, Store
    store = Store(url)
    # read for `seconds` from the first published result on (waiting for it at most 120 s), so a
    # busy machine that starts the writers late does not leave the readers with nothing to read
    end, first = time.monotonic() + 120, None
    while time.monotonic() < end:
        try:
            r = store.rankings(period)
        except NotFound:
            continue
        if first is None:
            first = time.monotonic()
            end = first + seconds
        print(json.dumps({"versions": sorted(set(map(int, r["version"]))), "n": len(r),
                          "sum": float(r["total"].sum())}), flush=True)


if __name__ == "__main__":
    import sys

    cmd, url, period, *rest = sys.argv[1:]
    if cmd == "write":
        _write(url, period, *map(int, rest))
    else:
        _read(url, period, float(rest[0]))
