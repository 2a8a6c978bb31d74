"""The normalised inputs of one period, as the importer produces them and the store keeps them.

Every table is a plain DataFrame with fixed columns, so the scoring pipeline, the store and
the tests all speak the same shapes:

- units:       unit_id, unit_name, unit_type, group
- survey:      response_id, unit_id, respondent_group, channel, then one column per survey item
               holding the canonical answer label of the model's scale, or None when blank
- indicators:  unit_id, code, value (float), source (file name)          -- long format
- compliance:  unit_id, item, status ("pass" | "partial" | "fail" | None), points (float or NaN)
- adjustments: unit_id, bonus (float), deduction (float), veto (str or None), note (str)
- reverse:     rater (anonymous int), unit_id, then one column per criterion (answer labels)
- previous:    unit_id, code, value, period -- the previous quarter's indicator values of the same
               units, attached (and stored with the version) only when the model fills missing values
               from them (`performance.missing = "previous"`)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from scoring.formalism import Exclusion
from scoring.report import Issue

UNIT_COLUMNS = ["unit_id", "unit_name", "unit_type", "group"]
SURVEY_ID_COLUMNS = ["response_id", "unit_id", "respondent_group", "channel"]
INDICATOR_COLUMNS = ["unit_id", "code", "value", "source"]
COMPLIANCE_COLUMNS = ["unit_id", "item", "status", "points"]
ADJUSTMENT_COLUMNS = ["unit_id", "bonus", "deduction", "veto", "note"]
REVERSE_ID_COLUMNS = ["rater", "unit_id"]
PREVIOUS_COLUMNS = ["unit_id", "code", "value", "period"]

PERIOD = re.compile(r"^\d{4}Q[1-4]$")  # periods sort as text, so the form is fixed: 2026Q3


def anonymise_raters(raters: pd.Series) -> list[int | None]:
    """Rater identities replaced by 1, 2, … in order of appearance (a blank rater is no rater):
    distinctness is all the k-rater threshold needs, so nothing more is ever kept."""
    codes, _ = pd.factorize(raters, use_na_sentinel=True)
    return [int(c) + 1 if c >= 0 else None for c in codes]


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
    previous: pd.DataFrame = field(default_factory=lambda: empty(PREVIOUS_COLUMNS))
    excluded: list[Exclusion] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def item_columns(self) -> list[str]:
        return [c for c in self.survey.columns if c not in SURVEY_ID_COLUMNS]

    def criterion_columns(self) -> list[str]:
        return [c for c in self.reverse.columns if c not in REVERSE_ID_COLUMNS]
