"""The store, the service and cached reads.

Every run of a page reads the store's publication state once (`state()`: one transaction) and
the signed-in account once (ui.session); everything else a leader's page shows is read once per
published version into the process-wide cache (`ui.shared`), keyed on what makes it immutable —
(store URL, period, version) — so a rerun reads nothing more and recomputes nothing, and
20 sessions opening the same quarter share one copy. A publication on another app process
changes the state, hence the keys, at the next run.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path

import pandas as pd

from scoring import audit, sensitivity
from scoring.auth import Actor, Permission, Role
from scoring.model import Model, load_model, model_from_dict
from scoring.pipeline import PeriodResult
from scoring.service import Service
from scoring.store import NotFound, Store, VersionInfo, resolve_url
from scoring.store.store import StoreState
from ui.shared import per_run, shared
from ui.state import t

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
OFFICIAL = 0  # id of the official model file in the version picker; stored versions have ids ≥ 1

# ---------------------------------------------------------------- store
_STORES: dict[str, Store] = {}  # one engine (connection pool) per store URL for the whole process
_STORES_LOCK = threading.Lock()


def _store(url: str) -> Store:
    with _STORES_LOCK:  # the first sessions of a process arrive together: open (and fill) the store once
        if url not in _STORES:
            s = Store(url)
            if os.environ.get("SANWEI_DEMO") == "1":  # the demo switch: an empty store gets the demo quarters and accounts
                from ui.session import demo_accounts

                Service.load_demo(s, DEMO_DIR, official_model(), demo_accounts())
            _STORES[url] = s
        return _STORES[url]


def store() -> Store:
    return _store(resolve_url())


def db() -> str:
    """The store URL: part of every cache key, so two stores in one process never mix."""
    return resolve_url()


def state() -> StoreState:
    """The store's publication state, read once per run of the page (`Store.state`)."""
    return per_run("store_state", lambda: store().state())


# ---------------------------------------------------------------- models
def official_model() -> Model:
    return shared(("official_model",), load_model)


def model_versions() -> list[tuple[int, str]]:
    """(id, label) of the official model file, then every stored model version, oldest first, each
    named by its version name, who saved it and when, its note, and whether it is the active one."""
    stored = store().model_versions()
    def name(r) -> str:
        text = [v if isinstance(v, str) else "" for v in (r.created_by, r.created_at, r.note)]
        parts = [f"#{r.id} {r.label}", text[0], text[1][:16].replace("T", " "), text[2][:40]]
        return " · ".join(p for p in parts if p) + (t("model.active_mark") if r.active else "")
    return [(OFFICIAL, t("model.official"))] + [(int(r.id), name(r)) for r in stored.itertuples()]


def _stored_model(url: str, model_id: int) -> Model:
    return shared(("stored_model", url, model_id), lambda: _store(url).stored_model(model_id))


def model_version(model_id: int) -> Model:
    return official_model() if model_id == OFFICIAL else _stored_model(db(), model_id)


def active_model() -> Model:
    """The model last saved on 模型设置 (kept in the store, so every server process agrees), else the official file."""
    model_id = state().active_model_id
    return official_model() if model_id is None else _stored_model(db(), model_id)


def save_model(model: Model, label: str, note: str) -> int:
    """Keep the edited model as a draft named `label` (a readable version name); never overwrites."""
    from ui.session import service

    data = model.model_dump(mode="json", exclude_none=True)
    data["model"]["version"] = label.strip() or f"{model.model.version}-{datetime.now():%Y%m%d-%H%M}"  # what it derives from
    return service().save_model(model_from_dict(data, "edited model"), note)


# ---------------------------------------------------------------- cached reads
def _result(url: str, period: str, version: int) -> PeriodResult:
    """Shared by every session: callers check the reader's permission first (ui.result)."""
    def load() -> PeriodResult:
        from scoring.pipeline import score_period

        s = _store(url)
        return score_period(s.model(period, version), s.inputs(period, version))
    return shared(("result", url, period, version), load)


def _sens_input(url: str, period: str, version: int) -> sensitivity.SensitivityInput | None:
    def load() -> sensitivity.SensitivityInput | None:
        result = _result(url, period, version)
        if not (result.units["status"] == "ok").any():
            return None  # nothing ranked: nothing to re-weight
        return sensitivity.SensitivityInput.from_result(result)
    return shared(("sens_input", url, period, version), load)


def _audit(url: str, period: str, version: int, scope: str) -> audit.Audit:
    def load() -> audit.Audit:
        result = _result(url, period, version)
        units = None if not scope else result.units.loc[result.units["group"] == scope, "unit_id"].tolist()
        return audit.audit(result, units, scope)
    return shared(("audit", url, period, version, scope), load)


def statistical_audit(period: str, scope: str = "") -> audit.Audit:
    """The published quarter's statistical audit, of every unit or of one comparison group (`scope`)."""
    _signed_in().require(Permission.ANALYSE)
    return _audit(db(), period, published_version(period), scope)


def method_analysis(period: str, assumptions: sensitivity.Assumptions, n_samples: int, progress=None
                    ) -> sensitivity.AssumptionResult:
    """Monte Carlo and Sobol indices over the chosen method assumptions, on the published version's
    stored inputs (the previous quarter's published values when a "previous" policy is among them)."""
    from dataclasses import replace

    from ui.output import memo

    service = _signed_in()
    service.require(Permission.ANALYSE)
    version = published_version(period)

    def compute():
        inputs = store().inputs(period, version)
        if "previous" in assumptions.missing and inputs.previous.empty:
            prev = service.previous_values(period)
            inputs = replace(inputs, previous=prev[prev["unit_id"].isin(set(inputs.units["unit_id"]))])
        space = sensitivity.method_space(_result(db(), period, version).model, inputs, _sens_input(db(), period, version),
                                         assumptions)
        return sensitivity.analyse(space, n_samples, n_sobol=256)

    return memo((db(), period, version, "methods", assumptions, n_samples), compute)


def published_version(period: str) -> int:
    try:
        return state().published()[period]
    except KeyError:
        raise NotFound(f"{period} 尚未发布", f"{period} has not been published") from None


def published_periods() -> list[str]:
    return list(state().published())


def version_key(period: str) -> tuple:
    """(store URL, period, published version): the key of everything read for the published quarter."""
    return db(), period, published_version(period)


def published_info(period: str) -> VersionInfo:
    """Who published the quarter's published version, when, under which model (the sidebar)."""
    st_ = state()
    key = ("version_info", *version_key(period), st_.publications)  # a re-publication changes when and by whom
    return shared(key, lambda: store().version(period, key[3]))


def rankings(period: str) -> pd.DataFrame:
    """The published quarter with change vs the previous one. Shared by every session, so never
    assign into it; frames derived from it (a filter, .assign, .copy) are independent of it
    (pandas copy-on-write)."""
    _signed_in().require_read(period)
    return _rankings(db(), period, published_version(period))


def _rankings(url: str, period: str, version: int) -> pd.DataFrame:
    previous = state().previous_published(period)
    return shared(("rankings", url, period, version, previous), lambda: _store(url).rankings(period, version, previous))


def history(unit_id: str) -> pd.DataFrame:
    """One unit across published quarters (read-only), taken from the quarters' shared rankings:
    a unit page reads nothing from the store (scoring.store.history.unit_history_from)."""
    from scoring.store.history import unit_history_from

    _signed_in().require_unit(unit_id)
    url = db()
    return unit_history_from([_rankings(url, p, v) for p, v in state().published().items()], unit_id)


def result(period: str) -> PeriodResult:
    """The published version's full PeriodResult (breakdown, survey, answers, compliance, reverse);
    read-only. A unit account may read it for its own unit's page, which shows nothing else."""
    service = _signed_in()
    service.require_read(period, unit_id=service.actor.unit_id)
    return _result(db(), period, published_version(period))


def reverse_source(period: str) -> tuple:
    """(round, participation) when the published version's reverse ratings came from an online
    round, else (None, None). Read once per published version (a round feeds a version only once
    closed, so neither changes); the reader's permission is checked on every call."""
    service, version = _signed_in(), published_version(period)
    service.require_unit(service.actor.unit_id)  # (the published version: `state()` has read which it is)
    return shared(("reverse_source", db(), period, version),
                  lambda: service.reverse_source(period, version, service.actor.unit_id))


def sens_input(period: str) -> sensitivity.SensitivityInput | None:
    _signed_in().require(Permission.ANALYSE)
    return _sens_input(db(), period, published_version(period))


def derived(name: str, period: str, *parts, compute):
    """Something a page derives from the published quarter (a figure, a display frame), computed
    once per (version, `parts`) for every session: `parts` must name everything `compute` uses
    besides the published data (language, filters, unit). Figures in it are frozen (freeze_figure)."""
    def build():
        value = compute()
        return tuple(map(freeze_figure, value)) if isinstance(value, tuple) else freeze_figure(value)
    return shared((name, *version_key(period), *parts), build, quiet=True)


def freeze_figure(value):
    """A plotly figure shown by many sessions: st.plotly_chart calls its to_dict() on every run, which
    deep-copies the whole figure; a frozen one returns the dict made once (read-only)."""
    import plotly.graph_objects as go

    if isinstance(value, go.Figure):
        spec = value.to_dict()
        object.__setattr__(value, "to_dict", lambda: spec)
    return value


def _signed_in() -> Service:
    from ui.session import service

    return service()


# ---------------------------------------------------------------- the quarter's end
# Shared reads are computed by a reader that may see every published result; each public function
# below checks the signed-in account first.
_READER = Actor("dashboard", frozenset({Role.LEADER}))


def warnings(period: str, unit_id: str | None = None) -> pd.DataFrame:
    """预警 of the published `period` (every unit, or one: a unit account's own). They look back over
    earlier quarters, so they are read again after any publication (`state().publications`)."""
    _signed_in().require_unit(unit_id)
    url = db()
    df = shared(("warnings", url, period, state().publications),
                lambda: Service(_store(url), _READER).warnings(period))
    return df if unit_id is None else df[df["unit_id"] == unit_id].reset_index(drop=True)
