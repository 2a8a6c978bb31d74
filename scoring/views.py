"""Data shaping for the dashboard: every table and chart input a page shows, as plain pandas.

Pages only lay these out; keeping the logic here lets it be unit-tested without Streamlit
(tests/test_views.py). Labels that users read come from `scoring.i18n`; this module returns
codes (dimension keys, status codes) and data values (unit and indicator names) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring import flags as flagging
from scoring import i18n, methods, sensitivity
from scoring.audit import Audit
from scoring.model import DIMENSIONS, Model
from scoring.pipeline import exemption_target
from scoring.report import in_language

ROBUST_P = 0.9  # P(same grade) at or above this, and a settled top-k status, is 稳健 (robust)


# ------------------------------------------------------------------------------- grades
def grade_label(model: Model, label: Any, lang: str) -> str:
    """A grade in the UI language (the model carries both names); '' for none."""
    if not isinstance(label, str):
        return ""
    if lang == "en":
        for t in model.grades.tier:
            if t.label == label:
                return t.label_en or t.label
    return label


GRADE_COLUMNS = ("grade", "official_grade")


def in_words(df: pd.DataFrame, model: Model, lang: str) -> pd.DataFrame:
    """`df` with its grade columns as the grades' labels and its group column as the groups' names
    in `lang` (the model's English ones in English); other columns unchanged."""
    words = {c: df[c].map(lambda g: grade_label(model, g, lang)) for c in GRADE_COLUMNS if c in df}
    if "group" in df:
        words["group"] = df["group"].map(lambda g: model.name_in(g, lang))
    return df.assign(**words)


def grade_counts(units: pd.DataFrame, tiers: list[str], by: str | None = None) -> pd.DataFrame:
    """Units per grade (tiers in model order, zeros kept), optionally per `by` column."""
    graded = units[units["grade"].isin(tiers)]
    keys = [by, "grade"] if by else ["grade"]
    counts = graded.groupby(keys, sort=False).size().rename("count").reset_index()
    full = pd.MultiIndex.from_product([pd.unique(units[by]), tiers], names=keys) if by else pd.Index(tiers, name="grade")
    return counts.set_index(keys).reindex(full, fill_value=0).reset_index()


# ------------------------------------------------------------------------------- home
def headline(rankings: pd.DataFrame) -> dict[str, Any]:
    ok = rankings["status"] == "ok"
    return {"n_units": len(rankings), "n_ranked": int(ok.sum()), "n_incomplete": int((~ok).sum()),
            "n_veto": int(rankings["veto"].notna().sum()),
            "mean_total": float(rankings.loc[ok, "total"].mean()) if ok.any() else float("nan"),
            "previous_period": rankings.attrs.get("previous_period")}


def movers(rankings: pd.DataFrame, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Biggest risers and fallers in overall rank vs the previous published quarter (ties: score change)."""
    cols = ["unit_id", "unit_name", "group", "rank_overall", "rank_change", "total", "delta_total"]
    df = rankings[rankings["rank_change"].notna()][cols].copy()
    df["rank_change"] = df["rank_change"].astype(int)
    up = df[df["rank_change"] > 0].sort_values(["rank_change", "delta_total"], ascending=False).head(n)
    down = df[df["rank_change"] < 0].sort_values(["rank_change", "delta_total"]).head(n)
    return up.reset_index(drop=True), down.reset_index(drop=True)


def veto_cases(units: pd.DataFrame) -> pd.DataFrame:
    """Units with a veto event, including those whose veto an exemption waived (容错纠错): `waived`
    names the approving document, so a waived veto is listed as waived, never silently gone."""
    waived = units["flags"].map(lambda fs: next((f for f in fs if f.code.value == "veto_waived"), None)
                                if isinstance(fs, list) else None)
    rows = units["veto"].notna() | waived.notna()
    df = units.loc[rows, ["unit_id", "unit_name", "group", "total", "grade", "veto"]].copy()
    df["veto"] = df["veto"].where(df["veto"].notna(), waived[rows].map(lambda f: f.params["reason"] if f else None))
    df["waived"] = waived[rows].map(lambda f: f.params["document"] if f else "")
    return df.reset_index(drop=True)


# ------------------------------------------------------------------------------- rankings
def change_arrow(change: Any) -> str:
    """▲3 moved up three places, ▼2 down two, — unchanged, '' no previous rank."""
    if change is None or pd.isna(change):
        return ""
    change = int(change)
    return f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "—"


# flags that set a unit's grade: a ranking says them in full, so the grade explains itself
GRADE_REASONS = (flagging.FlagCode.VETO, flagging.FlagCode.QUOTA, flagging.FlagCode.REVERSE_BELOW_FLOOR)


def grade_reasons(flags: list, lang: str = "zh") -> list[str]:
    """A word for each flag that set the grade ("名额", "否决"): shown beside the grade in a ranking,
    so a higher score with a lower grade explains itself in the table."""
    return list(dict.fromkeys(i18n.t(f"why.{f.code}", lang) for f in flags if f.code in GRADE_REASONS))


def reason_words(lang: str = "zh") -> tuple[str, ...]:
    return tuple(i18n.t(f"why.{c}", lang) for c in GRADE_REASONS)


def change_text(rank_change: Any, delta: Any) -> str:
    """Rank and score change in one cell: "▲3 +1.25" ('' with no previous quarter)."""
    return " ".join(p for p in (change_arrow(rank_change), "" if delta is None or pd.isna(delta) else f"{delta:+.2f}") if p)


def ranking_view(rankings: pd.DataFrame, group: str | None = None, grades: list[str] | None = None,
                 query: str = "", flagged_only: bool = False) -> pd.DataFrame:
    """The rankings filtered for display, with a change arrow and each unit's flag codes (a list)."""
    df = rankings.copy()
    if group:
        df = df[df["group"] == group]
    if grades:
        df = df[df["grade"].isin(grades)]
    if query:
        q = query.strip().lower()
        df = df[df["unit_name"].str.lower().str.contains(q, regex=False) | df["unit_id"].str.lower().str.contains(q, regex=False)]
    kinds = df["flags"].map(flagging.codes)
    if flagged_only:
        df, kinds = df[kinds.map(bool)], kinds[kinds.map(bool)]
    df["change_raw"] = df["rank_group_change" if group else "rank_change"]  # beside the rank shown
    df["change"] = df["change_raw"].map(change_arrow)
    df["veto"] = df["veto"].where(df["veto"].notna(), "")
    df["flag_codes"] = kinds
    df["rank"] = df["rank_group"] if group else df["rank_overall"]
    return df.sort_values(["rank", "unit_id"], na_position="last").reset_index(drop=True)


def contributions(units: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Long frame (unit_name, part, value) of each ranked unit's total split into weighted dimension
    scores, bonus and (negative) deduction, in rank order: the stacked bar of the rankings page."""
    ok = units[units["status"] == "ok"].sort_values("rank_overall")
    parts = {d: ok[d].astype(float) * weights[d] for d in DIMENSIONS}
    parts["bonus"] = ok["bonus"].astype(float)
    parts["deduction"] = -ok["deduction"].astype(float)
    wide = pd.DataFrame({"unit_id": ok["unit_id"], "unit_name": ok["unit_name"], **parts})
    long = wide.melt(id_vars=["unit_id", "unit_name"], var_name="part", value_name="value")
    return long[long["value"] != 0].reset_index(drop=True)


# ------------------------------------------------------------------------------- unit detail
def dimension_vs_group(units: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    """dimension, unit, group_mean for the unit's three dimension scores and its group's averages."""
    row = units.set_index("unit_id").loc[unit_id]
    peers = units[(units["group"] == row["group"]) & (units["status"] == "ok")]
    return pd.DataFrame({"dimension": list(DIMENSIONS), "unit": [float(row[d]) for d in DIMENSIONS],
                         "group_mean": [float(peers[d].mean()) for d in DIMENSIONS]})


def _category(model: Model, code: str) -> str:
    chain = model.ancestors(code) if code in model.indicators else []
    return model.nodes[chain[0]].name if chain else ""


def waterfall_steps(breakdown: pd.DataFrame, unit: pd.Series, model: Model, detail: bool = False,
                    lang: str = "zh") -> pd.DataFrame:
    """Steps from 0 to the unit's total: kind (dimension/category/item/bonus/deduction/clip/total),
    dimension, name (in `lang`), value. Aggregated: mass, each top-level performance category,
    compliance; with `detail`, every row of the breakdown."""
    b = breakdown[breakdown["unit_id"] == unit["unit_id"]]
    rows: list[dict] = []
    for d in DIMENSIONS:
        part = b[b["dimension"] == d]
        if part.empty:
            continue
        if detail:
            rows += [{"kind": "item", "dimension": d, "name": model.name_in(r.name, lang) or r.code, "value": r.contribution}
                     for r in part.itertuples() if r.contribution]
        elif d == "performance":
            cats = part.assign(cat=part["code"].map(lambda c: _category(model, c)))
            for cat, g in cats.groupby("cat", sort=False):
                rows.append({"kind": "category", "dimension": d, "name": model.name_in(cat, lang),
                             "value": g["contribution"].sum()})
        else:
            rows.append({"kind": "dimension", "dimension": d, "name": "", "value": part["contribution"].sum()})
    for kind, value in (("bonus", unit["bonus"]), ("deduction", -unit["deduction"])):
        if value:
            rows.append({"kind": kind, "dimension": "", "name": "", "value": float(value)})
    total = float(unit["total"]) if pd.notna(unit["total"]) else float("nan")
    reached = sum(r["value"] for r in rows)
    if pd.notna(total) and abs(reached - total) > 1e-9:
        rows.append({"kind": "clip", "dimension": "", "name": "", "value": total - reached})
    rows.append({"kind": "total", "dimension": "", "name": "", "value": total})
    return pd.DataFrame(rows, columns=["kind", "dimension", "name", "value"])


def indicator_rows(breakdown: pd.DataFrame, unit_id: str, model: Model, lang: str = "zh") -> pd.DataFrame:
    """The unit's performance indicators: category, name, raw value, unit, score, effective weight
    in the total, contribution, the scoring rule and any note, in `lang`."""
    b = breakdown[(breakdown["unit_id"] == unit_id) & (breakdown["dimension"] == "performance")]
    rules = {c: methods.describe(i).get(lang) for c, i in model.indicators.items()}
    return pd.DataFrame({
        "category": b["code"].map(lambda c: model.name_in(_category(model, c), lang)), "code": b["code"],
        "name": b["name"].map(lambda n: model.name_in(n, lang)),
        "raw": pd.to_numeric(b["raw"], errors="coerce"), "unit": b["code"].map(lambda c: model.indicators[c].unit),
        "score": b["score"], "weight": b["weight"], "contribution": b["contribution"],
        "rule": b["code"].map(rules),
        "note": [i18n.notes_text((n, t), lang) for n, t in zip(b["note"], b.get("treatment", [None] * len(b)), strict=True)],
    }).reset_index(drop=True)


def strengths_weaknesses(breakdown: pd.DataFrame, units: pd.DataFrame, unit_id: str,
                         n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The unit's indicators furthest above and below its comparison group's mean score."""
    group = units.set_index("unit_id").at[unit_id, "group"]
    peers = set(units.loc[units["group"] == group, "unit_id"])
    perf = breakdown[(breakdown["dimension"] == "performance") & breakdown["unit_id"].isin(peers)
                     & breakdown["score"].notna()]
    mean = perf.groupby("code")["score"].mean()
    mine = perf[perf["unit_id"] == unit_id].set_index("code")
    gap = pd.DataFrame({"name": mine["name"], "score": mine["score"], "group_mean": mean.reindex(mine.index)})
    gap["gap"] = gap["score"] - gap["group_mean"]
    gap = gap.reset_index().sort_values("gap", ascending=False)
    return gap[gap["gap"] > 0].head(n).reset_index(drop=True), \
        gap[gap["gap"] < 0].sort_values("gap").head(n).reset_index(drop=True)


def survey_stats(survey: pd.DataFrame, unit_id: str) -> dict[str, float] | None:
    if unit_id not in survey.index or pd.isna(survey.at[unit_id, "n_valid"]):
        return None
    row = survey.loc[unit_id]
    return {k: float(row[k]) for k in ("n_valid", "n_unknown", "mean", "ci_low", "ci_high", "satisfaction_rate")}


def answer_shares(answers: pd.DataFrame, unit_id: str, model: Model, lang: str = "zh") -> pd.DataFrame:
    """Long frame item, answer, count, share: each survey item's answers in scale order, shares of
    all answers; item and answer names in `lang`."""
    a = answers[answers["unit_id"] == unit_id]
    names = {q.code: q.name for q in model.survey.item} if model.survey else {}
    order = [x.label for x in model.survey.answer] if model.survey else sorted(a["answer"].unique())
    items = list(dict.fromkeys(a["item"]))
    full = a.groupby(["item", "answer"])["count"].sum().reindex(
        pd.MultiIndex.from_product([items, order], names=["item", "answer"]), fill_value=0).reset_index()
    full["share"] = full["count"] / full.groupby("item")["count"].transform("sum").replace(0, np.nan)
    full["item"] = full["item"].map(lambda c: model.name_in(names.get(c, c), lang))
    full["answer"] = full["answer"].map(lambda x: model.name_in(x, lang))
    return full


def compliance_rows(compliance: pd.DataFrame, unit_id: str, model: Model, lang: str = "zh") -> pd.DataFrame:
    """The unit's compliance items: status (a code), the violations counted by a 精文简会-type item,
    earned and possible points, and a note when an exemption waived what the item lost."""
    c = compliance[compliance["unit_id"] == unit_id]
    names = {i.code: i.name for i in model.compliance.item}
    counted = {i.code for i in model.compliance.item if i.per_violation}
    waived = c["waived"] if "waived" in c else pd.Series(None, index=c.index, dtype=object)
    return pd.DataFrame({
        "item": c["item"].map(lambda x: model.name_in(names.get(x, x), lang)), "status": c["status"],
        "violations": c["points"].where(c["item"].isin(counted) & c["status"].isna()),
        "earned": c["earned"], "possible": c["possible"],
        "note": waived.map(lambda d: i18n.flag_text(flagging.make(flagging.NoteCode.WAIVED, document=d), lang)
                           if isinstance(d, str) else ""),
    }).reset_index(drop=True)


def burden_rows(burden: pd.DataFrame, unit_id: str, model: Model) -> pd.DataFrame:
    """The unit's 减负成效 measures: name, value with its unit, the points it earned."""
    b = burden[burden["unit_id"] == unit_id]
    units = {c: m.unit for c, m in model.burden_measures.items()}
    return pd.DataFrame({"name": b["name"], "value": b["value"], "unit": b["code"].map(units),
                         "points": b["points"]}).reset_index(drop=True)


def survey_screen(survey: pd.DataFrame, unit_id: str) -> dict[str, int | bool] | None:
    """What the survey screens did for this unit: rows in the files, repeated ids removed, respondents
    with one identical answer throughout (found, dropped), and whether the guard kept them all."""
    if unit_id not in survey.index or pd.isna(survey.at[unit_id, "n_rows"]):
        return None
    row = survey.loc[unit_id]
    return {"rows": int(row["n_rows"]), "duplicates": int(row["n_duplicates"]),
            "straight": int(row["n_straight_lining"]), "dropped": int(row["n_straight_dropped"]),
            "guarded": bool(row["screen_guarded"] is True or row["screen_guarded"] == 1)}


def unit_reverse(result: Any, unit_id: str) -> dict[str, Any] | None:
    """A rated department's 基层评议上级: raters, its own result (None below k), each criterion, the
    value its mass score used and the rule that counted; None for a unit that is not rated."""
    units = result.units.set_index("unit_id")
    if unit_id not in units.index or pd.isna(units.at[unit_id, "n_raters"]):
        return None
    table = result.reverse
    own = table.loc[unit_id] if unit_id in table.index else None
    mass = result.breakdown[(result.breakdown["unit_id"] == unit_id) & (result.breakdown["code"] == "MASS.REVERSE")]
    criteria = list(result.model.reverse.criteria)
    return {"n_raters": int(units.at[unit_id, "n_raters"]),
            "score": None if own is None or pd.isna(own["score"]) else float(own["score"]),
            "criteria": {c: (None if own is None or pd.isna(own[c]) else float(own[c])) for c in criteria},
            "used": float(mass["raw"].iloc[0]) if len(mass) and pd.notna(mass["raw"].iloc[0]) else None,
            "rule": units.at[unit_id, "reverse_rule"]}


def excluded_rows(excluded: list, lang: str = "zh") -> pd.DataFrame:
    """The columns kept out of every score (formalism screen), one row per column name, with the rule."""
    df = pd.DataFrame([{**e.as_json(), "reason": e.reason.get(lang)} for e in excluded],
                      columns=["file", "column", "keyword", "overridden", "note", "reason"])
    return df.drop_duplicates("column").reset_index(drop=True)


def trend(history: pd.DataFrame) -> pd.DataFrame:
    cols = ["period", "total", "rank_overall", "rank_group", "grade", "delta_total", "rank_change"]
    return history[cols].reset_index(drop=True)


# ------------------------------------------------------------------------------- reverse evaluation
def reverse_rows(reverse: pd.DataFrame, units: pd.DataFrame, floor: float) -> pd.DataFrame:
    """Departments with their rater count; the score is withheld (NaN) when suppressed."""
    names = units.set_index("unit_id")["unit_name"]
    df = reverse.reset_index().rename(columns={"index": "unit_id"})
    df["unit_name"] = df["unit_id"].map(names)
    df["suppressed"] = df["suppressed"].astype(bool)
    df["score"] = df["score"].where(~df["suppressed"])
    df["below_floor"] = df["score"] < floor
    return df[["unit_id", "unit_name", "n_raters", "score", "suppressed", "below_floor"]] \
        .sort_values(["suppressed", "score"], ascending=[True, False]).reset_index(drop=True)


EXEMPTION_ROWS = ["unit_id", "unit_name", "target", "reason", "document", "approved_on", "applied", "effect"]


def exemption_rows(result: Any, lang: str = "zh", unit_id: str | None = None) -> pd.DataFrame:
    """容错纠错 as a unit page and the report show it: what each exemption waives (in words), its
    reason, the approving document and date, and what it did (the flag's words, or that there was
    nothing to waive this period)."""
    ex = result.exemptions
    if unit_id is not None:
        ex = ex[ex["unit_id"] == unit_id]
    names = result.units.set_index("unit_id")["unit_name"]
    vetoes = result.units.set_index("unit_id")["flags"].map(
        lambda fs: next((f.params["reason"] for f in fs if f.code.value == "veto_waived"), ""))
    effect = []
    for r in ex.itertuples():
        if not r.applied:
            effect.append(i18n.t("ex.unused", lang))
        elif r.kind == "veto":
            effect.append(i18n.t("ex.veto", lang, reason=vetoes.get(r.unit_id, "")))
        elif r.kind == "item":
            effect.append(i18n.t("ex.item", lang, item=exemption_target(result.model, r.target)[1 if lang == "en" else 0]))
        else:
            effect.append(i18n.t("ex.points", lang, points=r.waived_points))
    return pd.DataFrame({
        "unit_id": ex["unit_id"], "unit_name": ex["unit_id"].map(names),
        "target": ex["target"].map(lambda t: exemption_target(result.model, t)[1 if lang == "en" else 0]),
        "reason": ex["reason"], "document": ex["document"], "approved_on": ex["approved_on"],
        "applied": ex["applied"].astype(bool), "effect": effect,
    }, columns=EXEMPTION_ROWS).reset_index(drop=True)


REVERSE_REPORT = ["unit_id", "unit_name", "group", "n_raters", "score", "suppressed", "below_floor", "rule", "used",
                  "grade", "rank_group"]


def reverse_report(result: Any, lang: str = "zh") -> pd.DataFrame:
    """基层评议上级 per rated department, as a leader reads it for the department's grade and its
    principal leader's (主要负责人) assessment (the seed ties the result to both): distinct raters,
    the overall result and each criterion's score (withheld below k raters), whether it is below the
    floor, what counted in the mass score under the model's rules (in words), the grade and rank."""
    spec = result.model.reverse
    u = result.units
    rated = u[u["n_raters"].notna()].set_index("unit_id")
    criteria = list(spec.criteria) if spec else []
    table = result.reverse.reindex(rated.index)
    mass = result.breakdown[result.breakdown["code"] == "MASS.REVERSE"].set_index("unit_id")["raw"]
    score = table["score"].astype(float)
    out = pd.DataFrame({
        "unit_id": rated.index, "unit_name": rated["unit_name"], "group": rated["group"],
        "n_raters": rated["n_raters"].astype(int), "score": score,
        "suppressed": score.isna(), "below_floor": (score < spec.excellent_floor) if spec else False,
        "rule": rated["reverse_rule"].map(lambda r: i18n.t(f"rev.rule.{r}", lang) if isinstance(r, str) else ""),
        "used": mass.reindex(rated.index).astype(float),
        "grade": rated["grade"].map(lambda g: grade_label(result.model, g, lang)), "rank_group": rated["rank_group"],
    }).reset_index(drop=True)
    for c in criteria:
        out[c] = table[c].astype(float).to_numpy()
    return out[REVERSE_REPORT[:5] + criteria + REVERSE_REPORT[5:]].sort_values(
        ["suppressed", "score"], ascending=[True, False]).reset_index(drop=True)


# ------------------------------------------------------------------------------- weights
SLIDERS = DIMENSIONS  # the order of the weight sliders


def official_percents(weights) -> dict[str, int]:
    """The official weights as whole slider percents summing to 100 (largest remainder)."""
    raw = np.asarray(weights, dtype=float) * 100
    pct = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - pct), kind="stable")[: 100 - pct.sum()]:
        pct[i] += 1
    return dict(zip(SLIDERS, map(int, pct), strict=True))


def rebalance(percents: dict[str, int], changed: str) -> dict[str, int]:
    """After one slider moved, the other two share what is left in proportion to their values
    (equally when both are 0), so the three weights always sum to 100%."""
    fixed = min(max(int(percents[changed]), 0), 100)
    others = [d for d in SLIDERS if d != changed]
    current = np.array([max(int(percents[d]), 0) for d in others], dtype=float)
    share = current / current.sum() if current.sum() > 0 else np.full(2, 0.5)
    first = int(round((100 - fixed) * share[0]))
    return {changed: fixed, others[0]: first, others[1]: 100 - fixed - first}


@dataclass(frozen=True)
class Split:
    """The three weight sliders as the server last set them, and the move under way.

    `anchor` holds the sliders as they stood when the move of `moving` began: the other two share
    the rest in that proportion, so ten one-step presses end where one drag would (sharing by the
    rounded values of every step drifted 33/17 to 31/19)."""

    percents: dict[str, int]
    moving: str | None = None
    anchor: dict[str, int] | None = None


def follow(split: Split, sent: dict[str, int]) -> Split:
    """Take the sliders' values a browser sent and return where the three now stand.

    A browser that has not yet drawn the last rebalance sends the other sliders' older values with
    every press: those are echoes, not moves. Only the slider being moved counts when it moved;
    otherwise the first one that differs is the user's new move. The moved slider itself is never
    set back, so presses made while a rerun runs are not overwritten."""
    moved = [d for d in SLIDERS if sent[d] != split.percents[d]]
    if not moved:
        return split
    changed = split.moving if split.moving in moved else moved[0]
    anchor = split.anchor if changed == split.moving and split.anchor else split.percents
    return Split(rebalance({**anchor, changed: sent[changed]}, changed), changed, anchor)


def slider_weights(percents: dict[str, int], official) -> np.ndarray:
    """The weights the sliders stand for: exactly the official ones while the sliders sit on their
    rounded positions (42.5% shows as 42% or 43% but must not turn the published result into a what-if)."""
    if percents == official_percents(official):
        return np.asarray(official, dtype=float)
    return np.array([percents[d] for d in SLIDERS], dtype=float) / 100.0


def what_if(inp: sensitivity.SensitivityInput, weights) -> pd.DataFrame:
    """Every ranked unit under `weights` next to the official result; rank_change > 0 = moves up."""
    base = inp.frame()
    ev = sensitivity.evaluate(inp, weights)
    labels = np.array(inp.tier_labels, dtype=object)
    out = pd.DataFrame({
        "unit_id": base["unit_id"], "unit_name": base["unit_name"], "group": base["group"],
        "rank": ev.rank, "official_rank": base["rank"], "rank_change": base["rank"] - ev.rank,
        "group_rank": ev.group_rank, "score": ev.score, "official_score": base["score"],
        "grade": labels[ev.tier], "official_grade": base["grade"]})
    out["change"] = out["rank_change"].map(change_arrow)
    out["grade_changed"] = out["grade"] != out["official_grade"]
    return out.sort_values(["rank", "unit_id"]).reset_index(drop=True)


def robustness(mc: sensitivity.MonteCarloResult) -> pd.DataFrame:
    """Monte Carlo per-unit table with a badge: robust when P(same grade) ≥ ROBUST_P and the top-k
    status is settled (P(top-k) ≥ ROBUST_P or ≤ 1 − ROBUST_P), else sensitive."""
    df = mc.to_frames()["mc_units"]
    p_top = df[f"p_top{mc.top_k}"]
    settled = (p_top >= ROBUST_P) | (p_top <= 1 - ROBUST_P)
    df["robust"] = (df["p_same_grade"] >= ROBUST_P) & settled
    return df.sort_values("rank").reset_index(drop=True)


def sweep_long(sw: sensitivity.SweepResult, unit_ids: list[str] | None = None) -> pd.DataFrame:
    """Rank along the sweep for the chosen units (all if None), with names."""
    long = sw.to_frames()[f"sweep_{sw.dimension}"]
    if unit_ids:
        long = long[long["unit_id"].isin(unit_ids)]
    return long.reset_index(drop=True)


def crossings_for(sw: sensitivity.SweepResult, unit_ids: list[str] | None = None) -> pd.DataFrame:
    """Exact rank swaps along the sweep among the chosen units, sorted by weight."""
    c = sw.crossings
    if unit_ids:
        c = c[c["up_id"].isin(unit_ids) & c["down_id"].isin(unit_ids)]
    return c.reset_index(drop=True)


def ternary_points(tr: sensitivity.TernaryResult, unit_id: str | None = None, model: Model | None = None,
                   lang: str = "zh") -> pd.DataFrame:
    """Grid points of the weight simplex with the leader (or, for a unit, its rank and grade in `lang`)."""
    if not unit_id:
        return tr.to_frames()["ternary"]
    points = tr.to_frames(unit_id)["ternary_unit"]
    if model is not None:
        points["grade"] = points["grade"].map(lambda g: grade_label(model, g, lang))
    return points


METHOD_OPTIONS = ("minmax", "zscore", "rank")  # normalisations any indicator outside a band can switch to


def method_candidates(model: Model) -> list[str]:
    """Indicators whose normalisation the method-choice analysis may vary (scored, not band-type)."""
    return [i.code for i in model.scored_indicators if i.direction.value != "band"]


def assumptions_view(res: sensitivity.AssumptionResult, lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per unit rank interval over the method choices (robust: P(same grade) ≥ ROBUST_P), and each
    assumption's Sobol indices with a label in `lang`."""
    frames = res.to_frames()
    units = frames["assumption_units"]
    units["robust"] = units["p_same_grade"] >= ROBUST_P
    sobol = frames["assumption_sobol"]
    sobol["label"] = sobol["label_en" if lang == "en" else "label_zh"]
    return units.sort_values("rank").reset_index(drop=True), sobol


def analysis_frames(parts: dict[str, pd.DataFrame], lang: str = "zh", model: Model | None = None) -> dict[str, pd.DataFrame]:
    """Sheets for the analysis workbook under sheet names and headers in `lang` (Excel sheet names
    are at most 31 characters); a column without a word keeps its name."""
    return {_analysis_name(name, lang)[:31]: df.rename(columns=lambda c: _analysis_header(str(c), lang, model))
            for name, df in parts.items()}


def _analysis_name(name: str, lang: str) -> str:
    kind, _, dim = name.partition("_")
    if kind in ("sweep", "crossings") and dim in DIMENSIONS:
        return i18n.t(f"sheet.{kind}", lang, dim=i18n.t(f"dim.{dim}", lang))
    return i18n.t_or(f"sheet.{name}", name, lang)


def _analysis_header(col: str, lang: str, model: Model | None) -> str:
    if f"col.{col}" in i18n.TEXT:
        return i18n.t(f"col.{col}", lang)
    head, _, rest = col.partition("_")
    if head == "w" and rest in DIMENSIONS:
        return i18n.t("col.weight_of", lang, dim=i18n.t(f"dim.{rest}", lang))
    if head in ("S1", "ST") and rest in DIMENSIONS:
        return i18n.t("col.index_of", lang, index=head, dim=i18n.t(f"dim.{rest}", lang))
    for prefix, key in (("p_group_top", "col.p_group_top"), ("p_top", "col.p_top")):
        if col.startswith(prefix) and col[len(prefix):].isdigit():
            return i18n.t(key, lang, k=int(col[len(prefix):]))
    if head == "p" and model is not None and rest in model.tier_labels():
        return i18n.t("col.p_grade", lang, grade=grade_label(model, rest, lang))
    return col


# ------------------------------------------------------------------------------- audit
def audit_tables(a: Audit, model: Model, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The audit's tables with their words in `lang` (names, methods, kinds), columns unchanged but for
    the few whose meaning differs from a same-named column elsewhere (raw min/max, a node's code)."""
    def words(frame: pd.DataFrame, column: str, prefix: str) -> pd.Series:
        return frame[column].map(lambda v: i18n.t_or(f"{prefix}{v}", v, lang))

    def named(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
        return frame.assign(**{c: frame[c].map(lambda n: model.name_in(n, lang)) for c in columns})

    name = audit_names(a, model, lang)
    ind = named(a.indicators, "name").rename(columns={"min": "raw_min", "max": "raw_max"})
    return {
        "indicators": ind.assign(method=words(ind, "method", "method.")),
        "nodes": a.nodes.rename(columns={"code": "node_code"}).assign(node_name=lambda d: d["node_code"].map(name))
        .drop(columns="name"),
        "against": named(a.against, "name").assign(kind=lambda d: words(d, "kind", "audit.kind_"),
                                                   parent_name=lambda d: d["parent"].map(name))
        .rename(columns={"kind": "node_kind"}),
        "pairs": named(a.pairs, "a_name", "b_name").assign(node_name=lambda d: d["node"].map(name),
                                                           kind=lambda d: words(d, "kind", "audit."),
                                                           method=lambda d: words(d, "method", "audit."))
        .rename(columns={"node": "node_code", "method": "corr_method"}),
        "effective": named(a.effective, "name"),
    }


def audit_names(a: Audit, model: Model, lang: str = "zh") -> dict[str, object]:
    """Indicator and node code -> its name in `lang`; "" (the performance dimension itself) included."""
    return {c: model.name_in(n, lang) for c, n in a.names.items()} | {"": i18n.t("dim.performance", lang)}


def audit_frames(a: Audit, model: Model, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The audit workbook in `lang`: sheet names and headers too.

    A correlation sheet names its node by code (unique and short; Excel allows 31 characters) and
    lists each row's name beside its code."""
    out = {i18n.t(f"sheet.audit_{k}", lang): df.rename(columns=lambda c: _analysis_header(str(c), lang, model))
           for k, df in audit_tables(a, model, lang).items()}
    name = audit_names(a, model, lang)
    code, label = i18n.t("col.code", lang), i18n.t("col.name", lang)
    for key, matrices in [("within", a.within), ("level", a.levels)]:
        for at, pair in matrices.items():
            for method, matrix in zip(("pearson", "spearman"), pair, strict=True):
                sheet = i18n.t(f"sheet.audit_{key}", lang, method=i18n.t(f"audit.{method}", lang),
                               node=at or name[""], depth=at)
                frame = matrix.rename_axis(code).reset_index()
                frame.insert(1, label, frame[code].map(lambda c: name.get(c, c)))
                out[sheet] = frame
    return out


# ------------------------------------------------------------------------------- import
def report_view(report: pd.DataFrame, severities: list[str] | None, files: list[str] | None, lang: str) -> pd.DataFrame:
    """The validation report filtered, with the message in the UI language and the cell address."""
    df = report
    if severities:
        df = df[df["severity"].isin(severities)]
    if files:
        df = df[df["file"].isin(files)]
    msg = df["message_zh" if lang == "zh" else "message_en"]
    cell = df["column"].fillna("").astype(str) + df["row"].map(lambda r: "" if pd.isna(r) else str(int(r)))
    expected = df["expected"].map(lambda e: in_language(e, lang))
    return pd.DataFrame({"severity": df["severity"], "file": df["file"], "sheet": df["sheet"], "cell": cell,
                         "header": df["header"], "value": df["value"], "expected": expected, "message": msg,
                         "suggestions": df["suggestions"]}).reset_index(drop=True).fillna("")


def version_rows(versions: list) -> pd.DataFrame:
    """A period's versions: who imported and who published each, when, why, under which model."""
    return pd.DataFrame([{"version": v.number, "published": v.published, "created_by": v.created_by,
                          "created_at": v.created_at[:19].replace("T", " "), "model": v.model_label,
                          "rows": sum(v.row_counts.values()), "published_by": v.published_by or "",
                          "published_at": (v.published_at or "")[:19].replace("T", " "),
                          "reason_given": v.publish_reason or ""} for v in versions],
                        columns=["version", "published", "created_by", "created_at", "model", "rows", "published_by",
                                 "published_at", "reason_given"])


def import_rows(imports: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Import history: one row per import, its files named, row counts summed."""
    if imports.empty:
        return pd.DataFrame(columns=["period", "version", "who", "at", "files", "rows", "warnings"])
    return pd.DataFrame({
        "period": imports["period"], "version": imports["version"], "who": imports["who"],
        "at": imports["at"].str[:19].str.replace("T", " "),
        "files": imports["files"].map(lambda fs: i18n.join((f["file_name"] for f in fs), lang)),
        "rows": imports["row_counts"].map(lambda r: sum(r.values())), "warnings": imports["warnings"],
    }).iloc[::-1].reset_index(drop=True)


def reverse_source(rnd: Any, participation: pd.DataFrame | None, units: pd.DataFrame, lang: str
                   ) -> tuple[str, pd.DataFrame | None]:
    """The line naming where a version's reverse ratings came from and, for an online round (`rnd`),
    each rater unit's participation (`participation_rows`); the line holds ids, dates and counts only."""
    if rnd is None:
        return i18n.t("rev.source.sheet", lang), None
    part = participation_rows(participation, units)
    return i18n.t("rev.source.round", lang, id=rnd.id, period=rnd.period, opens=rnd.opens_on.isoformat(),
                  closes=rnd.closes_on.isoformat(), **part.attrs["total"]), part


def participation_rows(participation: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """An online round's participation per rater unit (issued, cast, rate) with the units' names,
    lowest rate first, and a total row's figures in `attrs["total"]` (issued, cast, rate)."""
    names = units.set_index("unit_id")["unit_name"] if len(units) else pd.Series(dtype=object)
    df = participation.assign(unit_name=[names.get(u, u) for u in participation["unit_id"]])
    issued, cast = int(df["issued"].sum()), int(df["cast"].sum())
    df = df.sort_values(["rate", "unit_id"], kind="stable").reset_index(drop=True)
    df.attrs["total"] = {"issued": issued, "cast": cast, "rate": cast / issued if issued else float("nan")}
    return df[["unit_id", "unit_name", "issued", "cast", "rate"]]
