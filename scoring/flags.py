"""What a unit's result is flagged with, and what a breakdown row notes: codes plus parameters.

A flag (on a unit) or a note (on one row of its breakdown) is data: a code from one enumeration
and its parameters. It becomes words only in `scoring.i18n` (and, for the JSON contract, where
the result is written). Parameters are plain JSON values (numbers, text, lists of codes), so
both survive the store and the JSON round trip unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FlagCode(StrEnum):
    LOW_SAMPLE = "low_sample"
    STRAIGHT_LINING = "straight_lining"
    SCREEN_GUARDED = "screen_guarded"
    UNCATEGORISED = "uncategorised"
    UNWEIGHTED = "unweighted"
    REVERSE_SUPPRESSED = "reverse_suppressed"
    REVERSE_BELOW_FLOOR = "reverse_below_floor"
    REVERSE_GROUP_MEAN = "reverse_group_mean"
    BURDEN_BONUS = "burden_bonus"
    BONUS_CAPPED = "bonus_capped"
    CLIPPED = "clipped"
    INCOMPLETE = "incomplete"
    VETO = "veto"
    VETO_WAIVED = "veto_waived"
    DEDUCTION_WAIVED = "deduction_waived"
    COMPLIANCE_WAIVED = "compliance_waived"
    EXEMPTION_UNUSED = "exemption_unused"
    QUOTA = "quota"


class NoteCode(StrEnum):
    NO_SPREAD = "no_spread"
    MISSING_ZERO = "missing_zero"
    MISSING_GROUP_MEAN = "missing_group_mean"
    MISSING_REWEIGHTED = "missing_reweighted"
    DEDUCTIONS_FLOORED = "deductions_floored"
    REVERSE_FILLED = "reverse_filled"
    WAIVED = "waived"
    MISSING_GROUP_MEDIAN = "missing_group_median"
    MISSING_PREVIOUS = "missing_previous"
    WINSORISED = "winsorised"
    LOG_TRANSFORMED = "log_transformed"


# The parameters each code carries. A parameter `x_en` is the English form of the data value `x`
# (a grade label): the words use it in English when it is not empty.
PARAMS: dict[FlagCode | NoteCode, tuple[str, ...]] = {
    FlagCode.LOW_SAMPLE: ("n", "min"),
    FlagCode.STRAIGHT_LINING: ("n", "dropped"),
    FlagCode.SCREEN_GUARDED: ("n",),
    FlagCode.UNCATEGORISED: ("n",),
    FlagCode.UNWEIGHTED: (),
    FlagCode.REVERSE_SUPPRESSED: ("k",),
    FlagCode.REVERSE_BELOW_FLOOR: ("score", "floor", "tier", "tier_en"),
    FlagCode.REVERSE_GROUP_MEAN: ("n", "k", "value"),
    FlagCode.BURDEN_BONUS: ("points", "name", "name_en"),
    FlagCode.BONUS_CAPPED: ("bonus", "cap"),
    FlagCode.CLIPPED: ("raw",),
    FlagCode.INCOMPLETE: ("dimensions",),  # dimension codes, and "reverse" (below k raters, below_k = incomplete)
    FlagCode.VETO: ("reason",),
    FlagCode.VETO_WAIVED: ("reason", "document"),
    FlagCode.DEDUCTION_WAIVED: ("points", "document"),
    FlagCode.COMPLIANCE_WAIVED: ("item", "document"),
    FlagCode.EXEMPTION_UNUSED: ("target", "target_en", "document"),
    FlagCode.QUOTA: ("tier", "tier_en"),
    NoteCode.NO_SPREAD: (),
    NoteCode.MISSING_ZERO: (),
    NoteCode.MISSING_GROUP_MEAN: ("value",),
    NoteCode.MISSING_REWEIGHTED: (),
    NoteCode.DEDUCTIONS_FLOORED: (),
    NoteCode.REVERSE_FILLED: ("value", "n", "k"),
    NoteCode.WAIVED: ("document",),
    NoteCode.MISSING_GROUP_MEDIAN: ("value",),
    NoteCode.MISSING_PREVIOUS: ("value", "period"),  # the raw value carried over, and its quarter
    NoteCode.WINSORISED: ("value", "treated", "skew", "kurtosis"),  # raw → treated; the group's statistics before
    NoteCode.LOG_TRANSFORMED: ("value", "treated", "skew", "kurtosis"),
}


_CODES = {c.value: c for c in (*FlagCode, *NoteCode)}


@dataclass(frozen=True)
class Flag:
    """A code (FlagCode on a unit, NoteCode on a breakdown row) with its parameters."""

    code: FlagCode | NoteCode
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The stored form: code and parameters, no words."""
        return {"code": self.code.value, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Flag:
        return cls(_CODES[data["code"]], dict(data.get("params") or {}))


Note = Flag  # a breakdown row's note has the same shape, with a NoteCode


def make(code: FlagCode | NoteCode, **params: Any) -> Flag:
    """A flag or note with exactly the parameters its code carries, numbers as plain Python
    numbers (numpy scalars would not serialise)."""
    if set(params) != set(PARAMS[code]):
        raise TypeError(f"{code.value} takes {PARAMS[code]}, got {tuple(params)}")
    return Flag(code, {k: v.item() if hasattr(v, "item") else v for k, v in params.items()})


def codes(flags: Any) -> list[str]:
    """The codes of a unit's flags, in order ([] for a missing value)."""
    if not isinstance(flags, (list, tuple)):
        return []
    return [f.code.value for f in flags]
