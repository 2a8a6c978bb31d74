"""Survey statistics of the mass evaluation (SPEC 2.1), vectorised over respondents.

A respondent's score is the mean of their valid item scores; a unit's score is the mean over
respondents with at least one valid answer, or — with respondent-group weights — the weighted
mean of the group means (weights shared out over the groups present).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from scoring.model import ScreenAction, Survey

STAT_COLUMNS = ["n_respondents", "n_valid", "n_unknown", "mean", "ci_low", "ci_high", "satisfaction_rate",
                "low_sample"]


@dataclass(frozen=True)
class Screened:
    """The responses that count, and what each quality screen removed."""

    responses: pd.DataFrame
    duplicates: pd.DataFrame
    straight_liners: pd.DataFrame


def answer_scores(labels: pd.DataFrame, scale: Survey) -> tuple[np.ndarray, np.ndarray]:
    """Map answer labels to scores. Returns (scores with NaN for no valid answer, unknown mask)."""
    score_of = {a.label: (np.nan if a.unknown else float(a.score)) for a in scale.answer}
    unknown_labels = [a.label for a in scale.answer if a.unknown]
    scores = labels.apply(lambda col: col.map(score_of)).to_numpy(dtype=float)
    unknown = labels.isin(unknown_labels).to_numpy()
    return scores, unknown


def screen(responses: pd.DataFrame, items: list[str], scale: Survey) -> Screened:
    """Drop repeated response ids (the first one counts) and, if the model says so,
    respondents who gave the same answer to every item."""
    dup = responses["response_id"].duplicated(keep="first")
    kept = responses[~dup]
    straight = pd.Series(False, index=kept.index)
    if scale.straight_lining != ScreenAction.OFF and len(items) >= scale.straight_lining_min_items:
        answers = kept[items]
        scores, _ = answer_scores(answers, scale)
        all_valid = ~np.isnan(scores).any(axis=1)
        same = np.nanmax(scores, axis=1, initial=-1) == np.nanmin(scores, axis=1, initial=101)
        straight = pd.Series(all_valid & same, index=kept.index)
    return Screened(kept[~straight], responses[dup], kept[straight])


def unit_statistics(responses: pd.DataFrame, items: list[str], scale: Survey) -> pd.DataFrame:
    """Per unit: respondents, valid respondents, 不了解 count, mean, CI, 满意率, low-sample flag."""
    scores, unknown = answer_scores(responses[items], scale)
    valid = ~np.isnan(scores)
    n_items_valid = valid.sum(axis=1)
    with np.errstate(invalid="ignore"):
        resp_score = np.where(n_items_valid > 0, np.nansum(scores, axis=1) / np.maximum(n_items_valid, 1), np.nan)
    satisfied = responses[items].isin(scale.satisfied).to_numpy()
    unit = responses["unit_id"].to_numpy()
    frame = pd.DataFrame({
        "unit_id": unit,
        "respondent_group": responses["respondent_group"].to_numpy(),
        "score": resp_score,
        "valid_answers": n_items_valid,
        "unknown": unknown.sum(axis=1),
        "satisfied": (satisfied & valid).sum(axis=1),
    })
    g = frame.groupby("unit_id", sort=False)
    out = pd.DataFrame({
        "n_respondents": g.size(),
        "n_valid": g["score"].count(),
        "n_unknown": g["unknown"].sum(),
        "valid_answers": g["valid_answers"].sum(),
        "satisfied": g["satisfied"].sum(),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        out["satisfaction_rate"] = np.where(out["valid_answers"] > 0, out["satisfied"] / out["valid_answers"], np.nan)
    z = (1 + scale.ci_level) / 2
    if scale.respondent_groups:
        mean, se, crit = _group_weighted(frame, scale, z)
    else:
        mean = g["score"].mean()
        sd = g["score"].std(ddof=1)
        n = out["n_valid"]
        se = sd / np.sqrt(n)
        crit = pd.Series(stats.t.ppf(z, np.maximum(n - 1, 1)), index=n.index)
    out["mean"] = mean
    half = (se * crit).where(out["n_valid"] > 1)
    out["ci_low"] = (out["mean"] - half).clip(lower=0)
    out["ci_high"] = (out["mean"] + half).clip(upper=100)
    out["low_sample"] = out["n_valid"] < scale.min_sample
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


def answer_distribution(responses: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Long table unit_id, item, answer, count — for the unit page's answer charts."""
    long = responses.melt(id_vars=["unit_id"], value_vars=items, var_name="item", value_name="answer")
    long = long.dropna(subset=["answer"])
    return long.groupby(["unit_id", "item", "answer"], sort=False).size().rename("count").reset_index()


def reverse_scores(ratings: pd.DataFrame, criteria: list[str], scale: Survey, min_raters: int) -> pd.DataFrame:
    """基层评议上级 per department: score, distinct raters, and whether it is shown (≥ k raters)."""
    columns = ["score", "n_raters", "n_ratings", "suppressed"]
    if ratings.empty or not criteria:
        return pd.DataFrame(columns=columns)
    scores, _ = answer_scores(ratings[criteria], scale)
    n = (~np.isnan(scores)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        per_rating = np.where(n > 0, np.nansum(scores, axis=1) / np.maximum(n, 1), np.nan)
    frame = pd.DataFrame({"unit_id": ratings["unit_id"].to_numpy(), "rater": ratings["rater"].to_numpy(), "score": per_rating})
    frame = frame[frame["score"].notna()]
    g = frame.groupby("unit_id", sort=False)
    out = pd.DataFrame({"score": g["score"].mean(), "n_raters": g["rater"].nunique(), "n_ratings": g.size()})
    out["suppressed"] = out["n_raters"] < min_raters
    out.loc[out["suppressed"], "score"] = np.nan
    return out[columns]
