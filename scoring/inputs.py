"""The normalised inputs of one period, as the importer produces them and the store keeps them.

Every table is a plain DataFrame with fixed columns, so the scoring pipeline, the store and
the tests all speak the same shapes:

- units:       unit_id, unit_name, unit_type, group
- survey:      response_id, unit_id, respondent_group, channel, duration (seconds, NaN when not
               given), then one column per survey item holding the canonical answer label of the
               model's scale, or None when blank
- indicators:  unit_id, code, value (float), source (file name)          -- long format
- compliance:  unit_id, item, status ("pass" | "partial" | "fail" | None), points (float or NaN)
- adjustments: unit_id, bonus (float), deduction (float), veto (str or None), note (str)
- reverse:     rater (a random number per import and department, `anonymise_raters`), unit_id, then one
               column per criterion (answer labels); rows sorted by (unit_id, rater), never in imported order
- exemptions:  unit_id, target ("veto" | "deduction" | "level:<扣分类别>" | "item:<compliance code>"),
               reason, document (批准文号), approved_on (ISO date)     -- 容错纠错, one row per exemption
- previous:    unit_id, code, value, period -- the previous quarter's indicator values of the same
               units, attached (and stored with the version) only when the model fills missing values
               from them (`performance.missing = "previous"`)
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from scoring.formalism import Exclusion
from scoring.report import Issue

UNIT_COLUMNS = ["unit_id", "unit_name", "unit_type", "group"]
SURVEY_ID_COLUMNS = ["response_id", "unit_id", "respondent_group", "channel", "duration"]
INDICATOR_COLUMNS = ["unit_id", "code", "value", "source"]
COMPLIANCE_COLUMNS = ["unit_id", "item", "status", "points"]
ADJUSTMENT_COLUMNS = ["unit_id", "bonus", "deduction", "veto", "note"]
REVERSE_ID_COLUMNS = ["rater", "unit_id"]
EXEMPTION_COLUMNS = ["unit_id", "target", "reason", "document", "approved_on"]
PREVIOUS_COLUMNS = ["unit_id", "code", "value", "period"]

PERIOD = re.compile(r"^\d{4}Q[1-4]$")  # periods sort as text, so the form is fixed: 2026Q3


def anonymise_raters(reverse: pd.DataFrame, rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Reverse ratings with every rater replaced by a random number, drawn afresh for each import
    and each department (a random order of 1..m for the m distinct raters of the department), and
    the rows sorted by (department, number): neither the numbers nor the row order say who rated,
    in which order raters appeared, or which ratings of two departments came from one rater.
    Distinct raters per department is all the k-rater threshold needs; a blank rater is no rater.
    Raters that are already numbers (a stored version read back) keep their numbers."""
    out = reverse.reset_index(drop=True).copy()
    raters = out["rater"]
    present = raters.notna()
    if present.any() and not all(isinstance(v, (int, np.integer)) for v in raters[present]):
        rng = rng or np.random.default_rng(secrets.randbits(128))
        numbers = pd.Series(pd.NA, index=out.index, dtype="Int64")
        for _, rows in out[present].groupby("unit_id", sort=False, dropna=False).groups.items():
            codes, uniques = pd.factorize(raters.loc[rows].astype(str))
            numbers.loc[rows] = rng.permutation(len(uniques))[codes] + 1
        out["rater"] = numbers
    out["rater"] = out["rater"].astype("Int64")
    return out.sort_values(["unit_id", "rater"], kind="stable", na_position="last").reset_index(drop=True)


def is_period(text: object) -> bool:
    return isinstance(text, str) and bool(PERIOD.match(text))


def previous_period(period: str) -> str:
    """The quarter before `period`."""
    year, q = int(period[:4]), int(period[-1])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def next_period(period: str | None, today: date | None = None) -> str:
    """The quarter after `period` (the natural default for a new import); today's quarter if None."""
    if not period:
        today = today or date.today()
        return f"{today.year}Q{(today.month - 1) // 3 + 1}"
    year, q = int(period[:4]), int(period[-1])
    return f"{year + 1}Q1" if q == 4 else f"{year}Q{q + 1}"


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class PeriodInputs:
    period: str
    units: pd.DataFrame
    survey: pd.DataFrame = field(default_factory=lambda: empty(SURVEY_ID_COLUMNS))
    indicators: pd.DataFrame = field(default_factory=lambda: empty(INDICATOR_COLUMNS))
    compliance: pd.DataFrame = field(default_factory=lambda: empty(COMPLIANCE_COLUMNS))
    adjustments: pd.DataFrame = field(default_factory=lambda: empty(ADJUSTMENT_COLUMNS))
    reverse: pd.DataFrame = field(default_factory=lambda: empty(REVERSE_ID_COLUMNS))
    exemptions: pd.DataFrame = field(default_factory=lambda: empty(EXEMPTION_COLUMNS))
    previous: pd.DataFrame = field(default_factory=lambda: empty(PREVIOUS_COLUMNS))
    excluded: list[Exclusion] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        missing = [c for c in SURVEY_ID_COLUMNS if c not in self.survey.columns]
        if missing:  # optional id columns (a survey without durations) are present and empty
            self.survey = self.survey.reindex(columns=SURVEY_ID_COLUMNS + self.item_columns())
            if "duration" in missing:
                self.survey["duration"] = self.survey["duration"].astype(float)

    def item_columns(self) -> list[str]:
        return [c for c in self.survey.columns if c not in SURVEY_ID_COLUMNS]

    def criterion_columns(self) -> list[str]:
        return [c for c in self.reverse.columns if c not in REVERSE_ID_COLUMNS]
