"""Streamlit glue shared by the pages: the cached store, cached reads, the sidebar state, language.

Reads are cached on what makes them immutable: a stored version never changes, so
(store URL, period, version) is a safe key; views across quarters are keyed on the store's
publication stamp, which changes with every import and publish.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from pathlib import Path

import pandas as pd
import streamlit as st

from scoring import i18n, sensitivity
from scoring.charts import grade_colour
from scoring.model import DEFAULT_MODEL_PATH, Model, load_model, model_from_dict
from scoring.store import Store, resolve_url

ROOT = Path(__file__).resolve().parent
DEMO_DIR = ROOT / "data" / "demo"


def lang() -> str:
    return st.session_state.get("lang", "zh")


def tr(key: str, **kw) -> str:
    return i18n.t(key, lang(), **kw)


def flag(code: str) -> str:
    return i18n.flag(code, lang())


def join(items) -> str:
    return i18n.join(items, lang())


def cols(*keys: str) -> dict[str, str]:
    """Column headers in the UI language, for `DataFrame.rename`."""
    return {k: tr(f"col.{k}") for k in keys}


# ---------------------------------------------------------------- models
OFFICIAL = 0  # id of the official model file in the version picker; stored versions have ids ≥ 1


@st.cache_resource(show_spinner=False)
def official_model() -> Model:
    return load_model(DEFAULT_MODEL_PATH)


def model_versions() -> list[tuple[int, str]]:
    """(id, label) of the official model file, then every stored model version, oldest first."""
    stored = store().model_versions()
    return [(OFFICIAL, tr("model.official"))] + [(int(r.id), f"#{r.id} {r.label}") for r in stored.itertuples()]


@st.cache_resource(show_spinner=False, max_entries=32)
def _stored_model(url: str, model_id: int) -> Model:
    return _store(url).stored_model(model_id)


def model_version(model_id: int) -> Model:
    return official_model() if model_id == OFFICIAL else _stored_model(db(), model_id)


def active_model() -> Model:
    """The model last saved on 模型设置 (kept in the store, so every server process agrees), else the official file."""
    model_id = store().active_model_id()
    return official_model() if model_id is None else _stored_model(db(), model_id)


def save_model(model: Model) -> str:
    """Store the edited model as a new version labelled with the time and make it active; never overwrites."""
    data = model.model_dump(mode="json", exclude_none=True)
    data["model"]["version"] = f"{datetime.now():%Y%m%d-%H%M%S}"
    saved = model_from_dict(data, "edited model")
    store().save_model(saved)
    return saved.model.version


# ---------------------------------------------------------------- store and cached reads
@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    s = Store(url)
    s.ensure_demo(DEMO_DIR, load_model())
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


@st.cache_data(show_spinner=False, max_entries=64)
def _rankings(url: str, period: str, stamp: tuple) -> pd.DataFrame:
    return _store(url).rankings(period)


@st.cache_data(show_spinner=False, max_entries=256)
def _history(url: str, unit_id: str, stamp: tuple) -> pd.DataFrame:
    return _store(url).history(unit_id)


@st.cache_resource(show_spinner=False, max_entries=16)
def _result(url: str, period: str, version: int):
    return _store(url).recompute(period, version)


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
    return _rankings(db(), period, db_stamp())


def history(unit_id: str) -> pd.DataFrame:
    return _history(db(), unit_id, db_stamp())


def result(period: str):
    """The published version's full PeriodResult (breakdown, survey, answers, compliance, reverse); read-only."""
    return _result(db(), period, published_version(period))


def sens_input(period: str) -> sensitivity.SensitivityInput | None:
    return _sens_input(db(), period, published_version(period))


# ---------------------------------------------------------------- sidebar
def sidebar() -> None:
    with st.sidebar:
        st.radio(i18n.t("sidebar.lang", "zh") + " / " + i18n.t("sidebar.lang", "en"), ["zh", "en"], key="lang",
                 format_func=lambda x: {"zh": "中文", "en": "English"}[x], horizontal=True)
        periods = published_periods()[::-1]
        if (wanted := st.session_state.pop("period_next", None)) in periods:
            st.session_state["period"] = wanted
        if periods:
            if st.session_state.get("period") not in periods:
                st.session_state["period"] = periods[0]
            st.selectbox(tr("sidebar.period"), periods, key="period")
        model = active_model().model
        st.caption(tr("sidebar.model", name=model.name, version=model.version))


def period() -> str | None:
    return st.session_state.get("period")


def need_period() -> str:
    """The selected published quarter; stops the page with a note when there is none."""
    p = period()
    if p is None:
        st.info(tr("common.no_published"))
        st.stop()
    return p


# ---------------------------------------------------------------- output helpers
def xlsx_bytes(frames: dict[str, pd.DataFrame], styles: dict | None = None) -> bytes:
    from scoring.safe_export import write_xlsx

    buf = BytesIO()
    write_xlsx(frames, buf, styles)
    return buf.getvalue()


def grade_styler(df: pd.DataFrame, columns: str | list[str], model: Model):
    """Colour the grade column by tier (best green → lowest red); works on labels in either language."""
    colour = {}
    for i, tier in enumerate(model.grades.tier):
        colour[tier.label] = colour[tier.label_en or tier.label] = grade_colour(i)
    return df.style.map(lambda v: f"color: {colour[v]}; font-weight: 600" if v in colour else "", subset=[columns] if isinstance(columns, str) else columns)


@st.cache_resource(show_spinner=False)
def _memo() -> dict:
    return {}


def memo(key: tuple, compute):
    """Keep `compute()` per key across reruns and sessions (analysis results; a few dozen at most).
    Unlike st.cache_data this lets the computation drive a progress bar on a miss."""
    cache = _memo()
    if key not in cache:
        while len(cache) >= 32:
            cache.pop(next(iter(cache)))
        cache[key] = compute()
    return cache[key]
