"""The store, the service and cached reads.

Reads are cached on what makes them immutable: a stored version never changes, so
(store URL, period, version) is a safe key; views across quarters are keyed on the store's
publication stamp, which changes with every import and publish.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from scoring import sensitivity
from scoring.auth import Permission
from scoring.model import Model, load_model, model_from_dict
from scoring.pipeline import PeriodResult
from scoring.service import Service
from scoring.store import Store, resolve_url
from ui.state import t

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
OFFICIAL = 0  # id of the official model file in the version picker; stored versions have ids ≥ 1


# ---------------------------------------------------------------- store
@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    s = Store(url)
    if os.environ.get("SANWEI_DEMO") == "1":  # the demo switch: an empty store gets the demo quarters and accounts
        from ui.session import demo_accounts

        Service.load_demo(s, DEMO_DIR, official_model(), demo_accounts())
    return s


def store() -> Store:
    return _store(resolve_url())


def db() -> str:
    """The store URL: part of every cache key, so two stores in one process never mix."""
    return resolve_url()


def db_stamp() -> tuple:
    """Changes whenever anything is imported or published."""
    p = store().periods()
    return tuple(p.itertuples(index=False, name=None))


# ---------------------------------------------------------------- models
@st.cache_resource(show_spinner=False)
def official_model() -> Model:
    return load_model()


def model_versions() -> list[tuple[int, str]]:
    """(id, label) of the official model file, then every stored model version, oldest first, each
    named by its version name, who saved it and when, its note, and whether it is the active one."""
    stored = store().model_versions()
    def name(r) -> str:
        text = [v if isinstance(v, str) else "" for v in (r.created_by, r.created_at, r.note)]
        parts = [f"#{r.id} {r.label}", text[0], text[1][:16].replace("T", " "), text[2][:40]]
        return " · ".join(p for p in parts if p) + (t("model.active_mark") if r.active else "")
    return [(OFFICIAL, t("model.official"))] + [(int(r.id), name(r)) for r in stored.itertuples()]


@st.cache_resource(show_spinner=False, max_entries=32)
def _stored_model(url: str, model_id: int) -> Model:
    return _store(url).stored_model(model_id)


def model_version(model_id: int) -> Model:
    return official_model() if model_id == OFFICIAL else _stored_model(db(), model_id)


def active_model() -> Model:
    """The model last saved on 模型设置 (kept in the store, so every server process agrees), else the official file."""
    model_id = store().active_model_id()
    return official_model() if model_id is None else _stored_model(db(), model_id)


def save_model(model: Model, label: str, note: str) -> int:
    """Keep the edited model as a draft named `label` (a readable version name); never overwrites."""
    from ui.session import service

    data = model.model_dump(mode="json", exclude_none=True)
    data["model"]["version"] = label.strip() or f"{model.model.version}-{datetime.now():%Y%m%d-%H%M}"  # what it derives from
    return service().save_model(model_from_dict(data, "edited model"), note)


# ---------------------------------------------------------------- cached reads
@st.cache_data(show_spinner=False, max_entries=64)
def _rankings(url: str, period: str, stamp: tuple) -> pd.DataFrame:
    return _store(url).rankings(period)


@st.cache_data(show_spinner=False, max_entries=256)
def _history(url: str, unit_id: str, stamp: tuple) -> pd.DataFrame:
    return _store(url).history(unit_id)


@st.cache_resource(show_spinner=False, max_entries=16)
def _result(url: str, period: str, version: int) -> PeriodResult:
    """Shared by every session: callers check the reader's permission first (ui.result)."""
    from scoring.pipeline import score_period

    s = _store(url)
    return score_period(s.model(period, version), s.inputs(period, version))


@st.cache_resource(show_spinner=False, max_entries=16)
def _sens_input(url: str, period: str, version: int) -> sensitivity.SensitivityInput | None:
    result = _result(url, period, version)
    if not (result.units["status"] == "ok").any():
        return None  # nothing ranked: nothing to re-weight
    return sensitivity.SensitivityInput.from_result(result)


def published_version(period: str) -> int:
    p = store().periods().set_index("period")
    return int(p.at[period, "published_version"])


def published_periods() -> list[str]:
    return store().published_periods()


def rankings(period: str) -> pd.DataFrame:
    """The published quarter with change vs the previous one (a cached copy: safe to modify)."""
    _signed_in().require_read(period)
    return _rankings(db(), period, db_stamp())


def history(unit_id: str) -> pd.DataFrame:
    _signed_in().require_unit(unit_id)
    return _history(db(), unit_id, db_stamp())


def result(period: str) -> PeriodResult:
    """The published version's full PeriodResult (breakdown, survey, answers, compliance, reverse);
    read-only. A unit account may read it for its own unit's page, which shows nothing else."""
    service = _signed_in()
    service.require_read(period, unit_id=service.actor.unit_id)
    return _result(db(), period, published_version(period))


def sens_input(period: str) -> sensitivity.SensitivityInput | None:
    _signed_in().require(Permission.ANALYSE)
    return _sens_input(db(), period, published_version(period))


def _signed_in() -> Service:
    from ui.session import service

    return service()
