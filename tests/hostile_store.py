"""A store whose every name is markup (issue 10 §3): the model's name, groups, categories, indicators,
survey items, compliance items, criteria and grades; unit names, a veto reason and file names.
Rendered anywhere as anything but text, they become links, images, formulas, HTML or bold text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from scoring.auth import Role
from scoring.importer import read_period
from scoring.model import load_model, model_from_dict
from scoring.service import Service, today
from scoring.store import FileRecord, Store
from tests.actors import role, staff
from tests.fixtures.make_fixtures import MARKUP_NAMES
from ui.session import demo_accounts

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
BEACON, PHISH, IMG, MATH, BOLD, ANCHOR = MARKUP_NAMES
PERIODS = ("2026Q2", "2026Q3")


def _without_english_names(data):
    """The model's English names dropped: every page, in either language, shows the names below."""
    if isinstance(data, dict):
        return {k: _without_english_names(v) for k, v in data.items() if k not in ("name_en", "criteria_en")}
    return [_without_english_names(v) for v in data] if isinstance(data, list) else data


def hostile_model():
    data = _without_english_names(load_model().model_dump(mode="json", exclude_none=True))
    data["model"]["name"] = BEACON
    data["model"]["version"] = PHISH
    groups = {"城区街道": PHISH, "农业乡镇": MATH}
    for g in data["group"]:
        g["name"] = groups.get(g["name"], g["name"])
    for node in data["performance"]["node"][:3]:
        node["name"] = f"{ANCHOR}{node['code']}"
    for indicator, name in zip(data["performance"]["indicator"][:4], (IMG, BOLD, BEACON, PHISH), strict=True):
        indicator["name"] = f"{name}{indicator['code']}"
    for item, name in zip(data["survey"]["item"][:3], (BEACON, IMG, MATH), strict=True):
        item["name"] = f"{name}{item['code']}"
    data["compliance"]["item"][0]["name"] = f"{PHISH}{data['compliance']['item'][0]['code']}"
    data["grades"]["tier"][0]["label"] = BOLD
    data["grades"]["tier"][0]["label_en"] = f"{BOLD} en"
    data["grades"]["tier"][1]["label"] = IMG
    return model_from_dict(data, "hostile model")


def fill(url: str) -> Service:
    """Two published quarters of the demo data under the hostile model, with hostile unit names,
    group names, a veto reason and file names; the last one announced (公示) with an appeal whose
    reason and evidence file name are markup."""
    official, model = load_model(), hostile_model()
    groups = {"城区街道": PHISH, "农业乡镇": MATH}
    store = Store(url)
    for account in demo_accounts():  # the demo's one-click accounts, so the browser can sign in
        store.create_account(account, "test")
    service = Service(store, staff("hostile"))
    service.activate_model(service.save_model(model), "markup in every name")
    for period in PERIODS:
        paths = [DEMO / "units.xlsx", *sorted(DEMO.glob(f"{period}_*.xlsx"))]
        inputs, report = read_period(official, period, [(p.name, p) for p in paths])
        assert inputs is not None, report.to_text("en")
        units = inputs.units
        for i, name in enumerate(MARKUP_NAMES):
            units.loc[units.index[i], "unit_name"] = name  # JD01.. : the first rows of the roster
        units.loc[units.index[-1], "unit_name"] = ANCHOR  # a department (reverse evaluation)
        units["group"] = units["group"].map(lambda g: groups.get(g, g))
        adj = inputs.adjustments
        if len(adj):
            adj.loc[adj.index[0], "veto"] = PHISH
        files = [FileRecord(f"{name}.xlsx", "0" * 64, 1) for name in MARKUP_NAMES]
        version = service.store_inputs(model, inputs, files, report)
        last = period == PERIODS[-1]  # announced (公示), so its unit may appeal
        service.publish(period, version.number, reason="测试发布", announce_until=today() + timedelta(days=10) if last else None)
    unit = Service(store, role("jd01", Role.UNIT, unit_id="JD01"))
    target = next(iter(unit.appeal_targets(PERIODS[-1], "JD01")))  # an indicator whose name is markup
    unit.file_appeal(PERIODS[-1], target, f"{PHISH} {MATH} {BOLD}", [(f"{BOLD}{IMG}.pdf", b"%PDF-1.4 evidence")])
    store.close()
    return service
