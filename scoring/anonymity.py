"""No pair of published versions may reveal a rater by differencing (SPEC §5, issue 10 §4).

A department's published reverse-evaluation result (score, number of raters) is a function of
the multiset of its raters' ratings. Two published versions of one period whose multisets differ
by fewer than k raters' ratings let anyone compute those raters' scores (v1 with 5 raters and v2
with the same 5 plus a 6th: the 6th rater's score is 6·s2 − 5·s1). Raters are stored only as
random numbers per import, so raters cannot be matched across versions; their ratings can, and
matching on them is exactly what differencing needs: a rater whose ratings are the same in both
versions contributes nothing to the difference.

The rule: for every department whose result is shown (≥ k raters) in both versions, the two
multisets of per-rater ratings must be identical or differ by at least k raters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Difference:
    """A department whose ratings in two versions differ by `raters` (0 < raters < k) raters."""

    unit_id: str
    raters: int


def _profiles(reverse: pd.DataFrame, criteria: list[str]) -> dict[str, Counter]:
    """Per department, the multiset of its raters' ratings (a rater's rows, answers as text, sorted)."""
    out: dict[str, Counter] = {}
    if reverse.empty:
        return out
    answers = reverse[criteria].astype(object).where(reverse[criteria].notna(), None) if criteria else \
        pd.DataFrame(index=reverse.index)
    rows = [tuple("" if v is None else str(v) for v in r) for r in answers.itertuples(index=False, name=None)]
    frame = pd.DataFrame({"unit_id": reverse["unit_id"].to_numpy(), "rater": reverse["rater"].to_numpy(), "row": rows})
    frame = frame[frame["rater"].notna()]
    for (unit, _), g in frame.groupby(["unit_id", "rater"], sort=False):
        out.setdefault(unit, Counter())[tuple(sorted(g["row"]))] += 1
    return out


def differences(new: pd.DataFrame, published: pd.DataFrame, criteria: list[str], k: int) -> list[Difference]:
    """Departments shown in both versions whose rater ratings differ by more than 0 and fewer than k raters."""
    a, b = _profiles(new, criteria), _profiles(published, criteria)
    out = []
    for unit in sorted(set(a) & set(b)):
        if sum(a[unit].values()) < k or sum(b[unit].values()) < k:
            continue  # suppressed in one of them: that one publishes no score to difference against
        changed = sum((a[unit] - b[unit]).values()) + sum((b[unit] - a[unit]).values())
        if 0 < changed < k:
            out.append(Difference(str(unit), changed))
    return out
