"""Survey statistics of the mass evaluation (SPEC 2.1), vectorised over respondents.

A respondent's score is the mean of their valid item scores; a unit's score is the mean over
respondents with at least one valid answer, or — with respondent-group weights — the weighted
mean of the group means (weights shared out over the groups present).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from scoring.model import StraightLining, Survey

STAT_COLUMNS = ["n_respondents", "n_valid", "n_unknown", "mean", "ci_low", "ci_high", "satisfaction_rate",
                "low_sample", "n_uncategorised", "weighted"]


@dataclass(frozen=True)
class Coded:
    """Survey responses with every answer as an index into the model's scale (−1 = blank),
    encoded once so the screens, statistics and distributions never touch strings again."""

    ids: pd.DataFrame  # response_id, unit_id, respondent_group
    codes: np.ndarray  # respondents × items, int16
    items: list[str]

    def take(self, mask: np.ndarray) -> Coded:
        return Coded(self.ids[mask], self.codes[mask], self.items)


@dataclass(frozen=True)
class Screened:
    """The responses that count, and what each quality screen found.

    `duplicates`: repeated response ids, removed. `straight_liners`: respondents with one identical
    answer to every answered item (ids plus `answer`, the evidence found — "speed", "run" or "" —
    and `dropped`). `guarded`: units where dropping would have left no valid respondent, so
    nobody was dropped. `summary`: per unit, what the screens found (SCREEN_COLUMNS)."""

    kept: Coded
    duplicates: pd.DataFrame
    straight_liners: pd.DataFrame
    summary: pd.DataFrame

    @property
    def dropped(self) -> pd.DataFrame:
        return self.straight_liners[self.straight_liners["dropped"]]


SCREEN_COLUMNS = ["n_rows", "n_duplicates", "n_straight_lining", "n_straight_dropped", "screen_guarded"]


def answer_codes(labels: pd.DataFrame, scale: Survey) -> np.ndarray:
    """Each answer as an index into the scale (−1 for blanks and anything off the scale), via Arrow."""
    values = pa.array([a.label for a in scale.answer])
    codes = np.full(labels.shape, -1, dtype=np.int16)
    for j, col in enumerate(labels.columns):
        found = pc.index_in(pa.array(labels[col].to_numpy(dtype=object), type=pa.string(), from_pandas=True),
                           value_set=values)
        codes[:, j] = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    return codes


def encode(responses: pd.DataFrame, items: list[str], scale: Survey) -> Coded:
    ids = responses.reindex(columns=["response_id", "unit_id", "respondent_group", "duration"]).reset_index(drop=True)
    return Coded(ids, answer_codes(responses[items], scale), list(items))


def _score_table(scale: Survey) -> np.ndarray:
    """Score of each answer index, with a trailing NaN so index −1 (blank) scores NaN."""
    return np.array([np.nan if a.unknown else float(a.score) for a in scale.answer] + [np.nan])


def answer_scores(labels: pd.DataFrame, scale: Survey) -> np.ndarray:
    """Scores of a frame of answer labels (NaN for 不了解, blanks and anything off the scale)."""
    return _score_table(scale)[answer_codes(labels, scale)]


def screen(coded: Coded, scale: Survey) -> Screened:
    """Drop repeated response ids within a unit (the first one counts; firms often number each
    unit's questionnaires from 001), then apply the model's straight-lining policy.

    A straight-liner answers at least `straight_lining_min_items` items (blanks do not count) and
    gives the same scored answer to every one of them; satisfied people answering 满意 throughout
    are the normal case, so by default (`flag`) they are only reported. `drop` removes them only
    with evidence beyond identical answers: a duration below `straight_lining_seconds_per_item` per
    answered item, or a run of at least `straight_lining_min_run` identical forms one after another
    in one unit (forms filled in bulk). `drop_identical` (models before 2026.2) drops on identical
    answers alone, every item answered. Whatever the policy, the screen never removes every valid
    respondent of a unit: such a unit keeps them all and is reported as guarded."""
    dup = coded.ids.duplicated(["unit_id", "response_id"], keep="first").to_numpy()
    policy = scale.straight_lining
    found, answer = _identical(coded, scale)
    found &= ~dup
    if policy == StraightLining.OFF:
        found[:] = False
    speed = np.zeros(len(dup), dtype=bool)
    run = np.zeros(len(dup), dtype=bool)
    if policy == StraightLining.DROP and found.any():
        speed = found & _too_fast(coded, scale)
        run = found & _in_run(coded, found, answer, scale.straight_lining_min_run)
    drop = {StraightLining.DROP: speed | run, StraightLining.DROP_IDENTICAL: found.copy()}.get(policy, np.zeros_like(found))
    unit_codes, units = pd.factorize(coded.ids["unit_id"], use_na_sentinel=False)
    valid = (~np.isnan(_score_table(scale)[coded.codes])).any(axis=1) & ~dup
    n_valid = np.bincount(unit_codes, weights=valid, minlength=len(units))
    left = np.bincount(unit_codes, weights=valid & ~drop, minlength=len(units))
    guarded = (n_valid > 0) & (left == 0) & (np.bincount(unit_codes, weights=drop, minlength=len(units)) > 0)
    drop = drop & ~guarded[unit_codes]
    labels = np.array([a.label for a in scale.answer], dtype=object)
    liners = coded.ids[found].assign(
        answer=labels[answer[found]], evidence=np.where(speed, "speed", np.where(run, "run", ""))[found],
        dropped=drop[found])
    summary = pd.DataFrame({
        "n_rows": np.bincount(unit_codes, minlength=len(units)),
        "n_duplicates": np.bincount(unit_codes, weights=dup, minlength=len(units)).astype(int),
        "n_straight_lining": np.bincount(unit_codes, weights=found, minlength=len(units)).astype(int),
        "n_straight_dropped": np.bincount(unit_codes, weights=drop, minlength=len(units)).astype(int),
        "screen_guarded": guarded,
    }, index=pd.Index(units, name="unit_id"))
    return Screened(coded.take(~dup & ~drop), coded.ids[dup], liners, summary)


def _identical(coded: Coded, scale: Survey) -> tuple[np.ndarray, np.ndarray]:
    """Respondents giving one identical scored answer to every item they answered (at least the
    model's minimum of answered items), and that answer's index (−1 where none)."""
    codes = coded.codes
    n = len(codes)
    if n == 0 or not coded.items:
        return np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int16)
    scored = ~np.isnan(_score_table(scale)[:-1])
    if scale.straight_lining == StraightLining.DROP_IDENTICAL:  # every item answered, as before 2026.2
        answered = np.full(n, len(coded.items))
        first = codes[:, 0]
        same = (codes == codes[:, :1]).all(axis=1) & (first >= 0)
    else:
        present = codes >= 0
        answered = present.sum(axis=1)
        high = np.where(present, codes, np.int16(-1)).max(axis=1)
        low = np.where(present, codes, np.int16(np.iinfo(np.int16).max)).min(axis=1)
        first = high
        same = (answered > 0) & (high == low)
    found = same & (answered >= scale.straight_lining_min_items)
    found &= np.where(first >= 0, scored[np.maximum(first, 0)], False)
    return found, np.where(found, first, -1).astype(np.int16)


def _too_fast(coded: Coded, scale: Survey) -> np.ndarray:
    """Answered faster than the model's seconds per answered item (False where no duration is given)."""
    if "duration" not in coded.ids:
        return np.zeros(len(coded.codes), dtype=bool)
    seconds = pd.to_numeric(coded.ids["duration"], errors="coerce").to_numpy(dtype=float)
    answered = (coded.codes >= 0).sum(axis=1)
    with np.errstate(invalid="ignore"):
        return seconds < scale.straight_lining_seconds_per_item * answered


def _in_run(coded: Coded, found: np.ndarray, answer: np.ndarray, min_run: int) -> np.ndarray:
    """Straight-liners in a run of at least `min_run` identical forms, one after another (in file
    order) within one unit."""
    unit_codes = pd.factorize(coded.ids["unit_id"])[0]
    order = np.argsort(unit_codes, kind="stable")
    f, a, u = found[order], answer[order], unit_codes[order]
    cont = np.zeros(len(f), dtype=bool)
    cont[1:] = f[1:] & f[:-1] & (u[1:] == u[:-1]) & (a[1:] == a[:-1])
    run_id = np.cumsum(~cont)
    length = np.bincount(run_id)[run_id]
    out = np.zeros(len(f), dtype=bool)
    out[order] = f & (length >= min_run)
    return out


def unit_statistics(coded: Coded, scale: Survey) -> pd.DataFrame:
    """Per unit: respondents, valid respondents, 不了解 count, mean, CI, 满意率, low-sample flag.

    With respondent-group weights, a unit's respondents without a weighted category are left out
    of everything (counted in `n_uncategorised`) so the valid n is the n behind the mean; a unit
    none of whose respondents has a category is scored by the plain mean (`weighted` False).
    """
    scores = _score_table(scale)[coded.codes]
    unknown_idx = [i for i, a in enumerate(scale.answer) if a.unknown]
    satisfied_idx = [i for i, a in enumerate(scale.answer) if a.label in scale.satisfied]
    valid = ~np.isnan(scores)
    n_items_valid = valid.sum(axis=1)
    with np.errstate(invalid="ignore"):
        resp_score = np.where(n_items_valid > 0, np.nansum(scores, axis=1) / np.maximum(n_items_valid, 1), np.nan)
    frame = pd.DataFrame({
        "unit_id": coded.ids["unit_id"].to_numpy(),
        "respondent_group": coded.ids["respondent_group"].to_numpy(),
        "score": resp_score,
        "valid_answers": n_items_valid,
        "unknown": np.isin(coded.codes, unknown_idx).sum(axis=1),
        "satisfied": (np.isin(coded.codes, satisfied_idx) & valid).sum(axis=1),
    })
    weights = pd.Series(scale.respondent_groups, dtype=float)
    known = frame["respondent_group"].map(weights).fillna(0.0).to_numpy() > 0
    weighted_unit = pd.Series(known).groupby(frame["unit_id"].to_numpy()).transform("any").to_numpy()
    use = known | ~weighted_unit
    uncategorised = pd.Series(~use).groupby(frame["unit_id"].to_numpy()).sum()
    frame = frame[use]
    g = frame.groupby("unit_id", sort=False)
    out = pd.DataFrame({
        "n_respondents": g.size(),
        "n_valid": g["score"].count(),
        "n_unknown": g["unknown"].sum(),
        "valid_answers": g["valid_answers"].sum(),
        "satisfied": g["satisfied"].sum(),
    })
    out["n_uncategorised"] = uncategorised.reindex(out.index).fillna(0).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["satisfaction_rate"] = np.where(out["valid_answers"] > 0, out["satisfied"] / out["valid_answers"], np.nan)
    z = (1 + scale.ci_level) / 2
    n = out["n_valid"]
    out["mean"] = g["score"].mean()
    se = g["score"].std(ddof=1) / np.sqrt(n)
    crit = pd.Series(stats.t.ppf(z, np.maximum(n - 1, 1)), index=n.index)
    weighted = pd.Series(known[use]).groupby(frame["unit_id"].to_numpy()).any().reindex(out.index).fillna(False)
    out["weighted"] = weighted.astype(bool)
    if weighted.any():
        wmean, wse, wcrit = _group_weighted(frame[known[use]], scale, z)
        out.loc[wmean.index, "mean"] = wmean
        se.loc[wse.index] = wse
        crit.loc[wse.index] = wcrit
    half = (se * crit).where(n > 1)
    out["ci_low"] = (out["mean"] - half).clip(lower=0)
    out["ci_high"] = (out["mean"] + half).clip(upper=100)
    out["low_sample"] = n < scale.min_sample
    return out[STAT_COLUMNS]


def _group_weighted(frame: pd.DataFrame, scale: Survey, z: float) -> tuple[pd.Series, pd.Series, float]:
    """Weighted mean of respondent-group means; standard error from the stratified variance."""
    weights = pd.Series(scale.respondent_groups, dtype=float)
    valid = frame[frame["score"].notna()]
    gg = valid.groupby(["unit_id", "respondent_group"], sort=False)["score"]
    strata = pd.DataFrame({"mean": gg.mean(), "var": gg.var(ddof=1), "n": gg.count()}).reset_index()
    strata["w"] = strata["respondent_group"].map(weights).fillna(0.0)
    strata = strata[strata["w"] > 0]
    strata["w"] = strata["w"] / strata.groupby("unit_id")["w"].transform("sum")
    strata["wm"] = strata["w"] * strata["mean"]
    strata["wv"] = strata["w"] ** 2 * strata["var"].fillna(0.0) / strata["n"]
    per_unit = strata.groupby("unit_id", sort=False)[["wm", "wv"]].sum()
    return per_unit["wm"], np.sqrt(per_unit["wv"]), float(stats.norm.ppf(z))


def answer_distribution(coded: Coded, scale: Survey) -> pd.DataFrame:
    """Long table unit_id, item, answer, count — for the unit page's answer charts."""
    labels = np.array([a.label for a in scale.answer], dtype=object)
    unit_codes, units = pd.factorize(coded.ids["unit_id"])
    k = len(labels)
    frames = []
    for j, item in enumerate(coded.items):
        answered = coded.codes[:, j] >= 0
        counts = np.bincount(unit_codes[answered] * k + coded.codes[answered, j], minlength=len(units) * k)
        nz = np.flatnonzero(counts)
        frames.append(pd.DataFrame({"unit_id": np.asarray(units)[nz // k], "item": item,
                                    "answer": labels[nz % k], "count": counts[nz]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["unit_id", "item", "answer", "count"])


REVERSE_COLUMNS = ["score", "n_raters", "n_ratings", "suppressed"]


def reverse_scores(ratings: pd.DataFrame, criteria: list[str], scale: Survey, min_raters: int) -> pd.DataFrame:
    """基层评议上级 per department: score, distinct raters, whether it is withheld (fewer than k
    raters), then the mean score of each criterion (文件会议精简度 …), withheld alike."""
    columns = REVERSE_COLUMNS + list(criteria)
    if ratings.empty or not criteria:
        return pd.DataFrame(columns=columns)
    scores = answer_scores(ratings[criteria], scale)
    n = (~np.isnan(scores)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        per_rating = np.where(n > 0, np.nansum(scores, axis=1) / np.maximum(n, 1), np.nan)
    frame = pd.DataFrame({"unit_id": ratings["unit_id"].to_numpy(), "rater": ratings["rater"].to_numpy(), "score": per_rating})
    frame = pd.concat([frame, pd.DataFrame(scores, columns=list(criteria))], axis=1)
    frame = frame[frame["score"].notna()]
    g = frame.groupby("unit_id", sort=False)
    # an exactly rounded mean: raters are random numbers and rows are shuffled per import, so the
    # order they come in must not move the last digit
    mean = g["score"].agg(lambda v: math.fsum(v) / len(v))
    out = pd.DataFrame({"score": mean, "n_raters": g["rater"].nunique(), "n_ratings": g.size()})
    out["suppressed"] = out["n_raters"] < min_raters
    for c in criteria:
        out[c] = g[c].mean()
    out.loc[out["suppressed"], ["score", *criteria]] = np.nan
    return out[columns]
