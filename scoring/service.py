"""The application service: the one entrance for every change of state, used by the CLI and the dashboard.

import → validate → score → store is one path here; publishing and saving a model too. The store
(`scoring.store`) only persists; the importer only reads; the pipeline only scores. The service
knows who is asking (`actor`), so the audit log names them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from scoring import annual, anonymity
from scoring.importer import read_period
from scoring.inputs import PeriodInputs
from scoring.model import Model, load_model
from scoring.pipeline import PeriodResult, score_period
from scoring.report import InputError, Report
from scoring.store.db import NotFound
from scoring.store.io import dumps
from scoring.store.store import FileRecord, NewVersion, Store, Version, VersionInfo, new_version
from scoring.text import SanweiError

Files = Sequence[tuple[str, bytes | Path]]

# One import (reading and validating uploads) at a time per server process: each read runs in a
# memory-limited child, and two at once would double what the server must hold. Re-entrant, so
# import_files may validate under it; another thread is told to wait, never queued silently.
_IMPORT_GATE = threading.RLock()


class ImportBusy(SanweiError):
    """Another import is running in this server process."""

    def __init__(self) -> None:
        super().__init__("本服务器上另一项数据导入正在进行，请等它完成后再试。",
                         "Another import is running on this server; try again when it has finished.")


class DifferencingRefused(SanweiError):
    """Publishing would let two published versions of a period reveal single raters."""


@contextmanager
def one_import() -> Iterator[None]:
    """Hold the server's import gate, or raise ImportBusy at once."""
    if not _IMPORT_GATE.acquire(blocking=False):
        raise ImportBusy()
    try:
        yield
    finally:
        _IMPORT_GATE.release()


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
        with one_import():
            roster = self.store.roster(period)
            return read_period(model or self.active_model(), period, files, roster if len(roster) else None, tables)

    def check_uploads(self, period: str, files: Files, model: Model | None = None
                      ) -> tuple[list[dict], PeriodInputs | None, Report]:
        """What the import page shows: each upload's preview (its first rows, or why it cannot be
        read) and the full validation, every file read once. Returns the previews without their
        parsed tables, so nothing larger than a preview outlives the call."""
        from scoring.preview import preview

        model = model or self.active_model()
        with one_import():
            previews = [preview(name, data, model) for name, data in files]
            tables = {p["name"]: p.pop("table") for p in previews}
            inputs, report = self.validate(period, files, model, {n: t for n, t in tables.items() if t is not None})
        return previews, inputs, report

    def import_files(self, period: str, files: Files, model: Model | None = None
                     ) -> tuple[VersionInfo | None, Report]:
        """Validate spreadsheets; with no errors, score and store them as a new draft version."""
        model = model or self.active_model()
        with one_import():
            inputs, report = self.validate(period, files, model)
            if inputs is None:
                return None, report
            return self.store_inputs(model, inputs, [FileRecord.of(n, d) for n, d in files], report), report

    def store_inputs(self, model: Model, inputs: PeriodInputs, files: Sequence[FileRecord] = (),
                     report: Report | None = None) -> VersionInfo:
        """Store already validated inputs as a new draft version of their period."""
        return self.store.write_version(encode(model, inputs, files, report), self.actor)

    def publish(self, period: str, version: int | None = None) -> VersionInfo:
        """Make `version` (default: the latest) the version leaders see. Refused (DifferencingRefused)
        when its reverse ratings and those of a version of the period published before differ, for
        some department, by fewer than k raters (`scoring.anonymity`)."""
        self.check_differencing(period, version)
        return self.store.publish(period, version, self.actor)

    def check_differencing(self, period: str, version: int | None = None) -> None:
        """Raise DifferencingRefused if publishing `version` would reveal raters by differencing."""
        versions = self.store.versions(period)
        if not versions:
            return  # the store says there is no such period
        number = version or versions[-1].number
        target = next((v for v in versions if v.number == number), None)
        if target is None or target.published_at is not None:
            return  # unknown (the store says so), or already public: publishing it again reveals nothing new
        model = self.store.model(period, number)
        if model.reverse is None:
            return
        k = model.reverse.min_raters
        new, criteria = self.store.reverse_ratings(period, number)
        for other in versions:
            if other.number == number or other.published_at is None:
                continue
            old, old_criteria = self.store.reverse_ratings(period, other.number)
            found = anonymity.differences(new, old, criteria if criteria == old_criteria else [], k)
            if found:
                names = self.store.results(period, number).set_index("unit_id")["unit_name"]
                which = "、".join(f"{names.get(d.unit_id, d.unit_id)}（相差 {d.raters} 个）" for d in found)
                which_en = ", ".join(f"{names.get(d.unit_id, d.unit_id)} ({d.raters} rater(s) apart)" for d in found)
                raise DifferencingRefused(
                    f"不能发布 {period} 第 {number} 版：以下部门的基层评议与已发布过的第 {other.number} 版相比，"
                    f"只相差不到 {k} 个评议单位：{which}。两版结果一对比，就能算出这几个评议单位各自的评分，"
                    f"违反匿名承诺。请使差异至少达到 {k} 个评议单位（或不作改动），再发布。",
                    f"{period} version {number} cannot be published: for these departments its reverse ratings "
                    f"differ from those of version {other.number}, published before, by fewer than {k} raters: "
                    f"{which_en}. Comparing the two results would reveal those raters' own scores, breaking "
                    f"the promise of anonymity. Make the difference at least {k} raters (or none) and publish again.")

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
        return annual.roll_up(self.store.published_results(year), weights, model.model.rank_decimals)
