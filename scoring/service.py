"""The application service: the one entrance for every change of state, used by the CLI and the dashboard.

import → validate → score → store is one path here; publishing and saving a model too. The store
(`scoring.store`) only persists; the importer only reads; the pipeline only scores. The service
knows who is asking (`actor`), so the audit log names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from scoring import annual
from scoring.importer import read_period
from scoring.inputs import PeriodInputs
from scoring.model import Model, ReverseCycle, load_model
from scoring.pipeline import PeriodResult, score_period
from scoring.report import InputError, Report
from scoring.store.db import NotFound
from scoring.store.io import dumps
from scoring.store.store import FileRecord, NewVersion, Store, Version, VersionInfo, new_version

Files = Sequence[tuple[str, bytes | Path]]


def encode(model: Model, inputs: PeriodInputs, files: Sequence[FileRecord] = (),
           report: Report | None = None) -> NewVersion:
    """Score `inputs` and encode them for the store (CPU work, done before any lock is taken)."""
    result = score_period(model, inputs)
    return new_version(model, inputs, result.units, result.to_json(), files, report)


class Service:
    """`Service(store, actor)`: what `actor` may do with the store. The default model is the
    packaged one unless another is given (tests, a model file named on the command line)."""

    def __init__(self, store: Store, actor: str, default_model: Model | None = None):
        self.store = store
        self.actor = actor
        self._default = default_model

    @property
    def default_model(self) -> Model:
        if self._default is None:
            self._default = load_model()
        return self._default

    # ------------------------------------------------------------------ models
    def active_model(self) -> Model:
        """The model imports are scored with: the last one saved in the store, else the default."""
        return self.store.active_model(self.default_model)

    def save_model(self, model: Model) -> int:
        """Keep a model version (never overwriting one) and make it the model new imports use."""
        return self.store.save_model(model, self.actor)

    # ------------------------------------------------------------------ imports
    def validate(self, period: str, files: Files, model: Model | None = None,
                 tables: dict | None = None) -> tuple[PeriodInputs | None, Report]:
        """Read and check spreadsheets, storing nothing. Without a units file among `files`, the
        roster in effect for `period` is used; `tables` are files already read (see read_period)."""
        roster = self.store.roster(period)
        return read_period(model or self.active_model(), period, files, roster if len(roster) else None, tables)

    def import_files(self, period: str, files: Files, model: Model | None = None
                     ) -> tuple[VersionInfo | None, Report]:
        """Validate spreadsheets; with no errors, score and store them as a new draft version."""
        model = model or self.active_model()
        inputs, report = self.validate(period, files, model)
        if inputs is None:
            return None, report
        return self.store_inputs(model, inputs, [FileRecord.of(n, d) for n, d in files], report), report

    def store_inputs(self, model: Model, inputs: PeriodInputs, files: Sequence[FileRecord] = (),
                     report: Report | None = None) -> VersionInfo:
        """Store already validated inputs as a new draft version of their period."""
        return self.store.write_version(encode(model, inputs, files, report), self.actor)

    def publish(self, period: str, version: int | None = None) -> VersionInfo:
        """Make `version` (default: the latest) the version leaders see."""
        return self.store.publish(period, version, self.actor)

    def load_demo(self, demo_dir: str | Path) -> list[str]:
        """Fill an empty store with the demo quarters, all published, in one transaction.
        Returns the periods added ([] when the store already had data)."""
        if not self.store.is_empty():
            return []
        demo_dir = Path(demo_dir)
        model = self.default_model
        versions = []
        for period in sorted({p.name.split("_", 1)[0] for p in demo_dir.glob("*_survey.xlsx")}):
            paths = [demo_dir / "units.xlsx", *sorted(demo_dir.glob(f"{period}_*.xlsx"))]
            inputs, report = read_period(model, period, [(p.name, p) for p in paths])
            if inputs is None:
                raise InputError(report)
            versions.append(encode(model, inputs, [FileRecord.of(p.name, p) for p in paths], report))
        return self.store.write_published_if_empty(versions, self.actor)

    # ------------------------------------------------------------------ derived reads
    def recompute(self, period: str, version: Version = None) -> PeriodResult:
        """Score a version's stored inputs with its stored model again."""
        return score_period(self.store.model(period, version), self.store.inputs(period, version))

    def reproduces(self, period: str, version: Version = None) -> bool:
        """Whether recomputing gives exactly the stored snapshot."""
        return dumps(self.recompute(period, version).to_json()) == self.store.snapshot_text(period, version)

    def annual(self, year: int | str, weights: dict[str, float] | None = None) -> pd.DataFrame:
        """The year's published quarters rolled up per unit; weights default to the model's
        `annual.quarter_weights` (of the year's latest published model)."""
        year = str(year)
        quarters = [p for p in self.store.published_periods() if p.startswith(year)]
        if not quarters:
            raise NotFound(f"{year} 年没有已发布的季度", f"no published quarter in {year}")
        model = self.store.model(quarters[-1])
        weights = dict(model.annual.quarter_weights) if weights is None else weights
        return annual.roll_up(self.store.published_results(year), weights, model.model.rank_decimals, model,
                              self._yearly_reverse(model, quarters))

    def _yearly_reverse(self, model: Model, quarters: list[str]) -> pd.DataFrame | None:
        """The year's reverse evaluation (`reverse.cycle = "year"`): the department results published
        with the latest quarter of the year that holds ratings; None when there is none."""
        if model.reverse is None or model.reverse.cycle != ReverseCycle.YEAR:
            return None
        for period in reversed(quarters):
            units = self.store.result_json(period).get("units", [])
            rows = {u["unit_id"]: (u["reverse"]["score"], u["reverse"]["n_raters"]) for u in units
                    if u.get("reverse") and u["reverse"].get("n_ratings")}
            if rows:
                return pd.DataFrame.from_dict(rows, orient="index", columns=annual.REVERSE_COLUMNS).astype(float)
        return None
