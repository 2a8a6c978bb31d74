"""What changed between two versions of a period: units, input values, results and ranks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from scoring.store import schema as s
from scoring.store.codec import ROW_COLUMNS
from scoring.store.io import load_inputs, results_frame

VALUE_COLUMNS = ["table", "unit_id", "key", "old", "new"]
RESULT_COLUMNS = ["unit_id", "unit_name", "total_old", "total_new", "delta", "rank_old", "rank_new", "rank_change",
                  "grade_old", "grade_new"]


@dataclass
class VersionDiff:
    period: str
    old: int
    new: int
    units_added: pd.DataFrame    # unit_id, unit_name, group
    units_removed: pd.DataFrame
    units_changed: pd.DataFrame  # renamed or moved: unit_id, field, old, new
    values: pd.DataFrame         # VALUE_COLUMNS: indicator values, compliance, adjustments, survey/reverse counts
    results: pd.DataFrame        # RESULT_COLUMNS, only units whose total, rank or grade changed

    @property
    def empty(self) -> bool:
        return all(df.empty for df in (self.units_added, self.units_removed, self.units_changed, self.values,
                                       self.results))

    def to_text(self) -> str:
        head = f"{self.period} 第 {self.old} 版 → 第 {self.new} 版 / version {self.old} → {self.new}"
        if self.empty:
            return head + "\n  没有差异 / no differences"
        lines = [head]
        for label, df in (("新增单位 / units added", self.units_added), ("删除单位 / units removed", self.units_removed),
                          ("名称或组别变化 / renamed or moved", self.units_changed),
                          ("数据变化 / values changed", self.values), ("结果变化 / results changed", self.results)):
            if not df.empty:
                lines.append(f"{label}: {len(df)}")
                lines.append(df.to_string(index=False, max_rows=40))
        return "\n".join(lines)


def _equal(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return bool(a == b) if not (pd.isna(a) or pd.isna(b)) else False


def _long(rows: dict[str, list[tuple]]) -> pd.DataFrame:
    """Inputs as (table, unit_id, key) -> value, the shape in which two versions compare."""
    def frame(name: str) -> pd.DataFrame:
        return pd.DataFrame(rows[name], columns=ROW_COLUMNS[name])

    parts = []
    ind = frame("indicators")
    parts.append(pd.DataFrame({"table": "indicators", "unit_id": ind["unit_id"], "key": ind["code"], "value": ind["value"]}))
    comp = frame("compliance")
    comp_value = comp["status"].where(comp["status"].notna(), comp["points"])
    parts.append(pd.DataFrame({"table": "compliance", "unit_id": comp["unit_id"], "key": comp["item"], "value": comp_value}))
    adj = frame("adjustments").melt(id_vars="unit_id", value_vars=["bonus", "deduction", "veto"], var_name="key")
    parts.append(adj.assign(table="adjustments"))
    ex = frame("exemptions")
    if not ex.empty:  # 容错纠错: what is waived, on which document and date
        parts.append(pd.DataFrame({"table": "exemptions", "unit_id": ex["unit_id"], "key": ex["target"],
                                   "value": ex["document"] + " " + ex["approved_on"]}))
    for name in ("survey", "reverse"):
        df = frame(name)
        if df.empty:
            continue
        # one fingerprint per unit: any changed, added or removed response shows
        digest = df.groupby("unit_id").apply(
            lambda g: f"{len(g)} 条 / rows, #" + hashlib.sha256("\n".join(sorted(map(repr, g.itertuples(index=False))))
                                                             .encode()).hexdigest()[:8], include_groups=False)
        parts.append(pd.DataFrame({"table": name, "unit_id": digest.index, "key": "rows", "value": digest.to_numpy()}))
    long = pd.concat(parts, ignore_index=True)
    return long.drop_duplicates(["table", "unit_id", "key"], keep="last").set_index(["table", "unit_id", "key"])["value"]


def compare(conn: Connection, period: str, a: Any, b: Any) -> VersionDiff:
    """Compare version rows `a` (old) and `b` (new) of `period`."""
    ra, rb = load_inputs(conn, a.id), load_inputs(conn, b.id)
    ua = pd.DataFrame(ra["units"], columns=ROW_COLUMNS["units"]).drop_duplicates("unit_id").set_index("unit_id")
    ub = pd.DataFrame(rb["units"], columns=ROW_COLUMNS["units"]).drop_duplicates("unit_id").set_index("unit_id")
    show = ["unit_id", "unit_name", "group_name"]
    added = ub.loc[ub.index.difference(ua.index, sort=False)].reset_index()[show].rename(columns={"group_name": "group"})
    removed = ua.loc[ua.index.difference(ub.index, sort=False)].reset_index()[show].rename(columns={"group_name": "group"})
    changed = [(u, f, ua.at[u, f], ub.at[u, f]) for u in ua.index.intersection(ub.index, sort=False)
               for f in ("unit_name", "unit_type", "group_name") if not _equal(ua.at[u, f], ub.at[u, f])]

    la, lb = _long(ra), _long(rb)
    both = pd.concat([la.rename("old"), lb.rename("new")], axis=1)
    mask = [not _equal(o, n) for o, n in zip(both["old"], both["new"], strict=True)]
    values = both[mask].reset_index()
    values = values.set_axis(VALUE_COLUMNS, axis=1) if not values.empty else pd.DataFrame(columns=VALUE_COLUMNS)

    def results(v: Any) -> pd.DataFrame:
        r = s.result_units
        return results_frame(conn.execute(select(r.c.unit_id, r.c.unit_name, r.c.total, r.c.rank_overall, r.c.grade)
                                          .where(r.c.version_id == v.id))).set_index("unit_id")
    res = results(a).join(results(b), how="outer", suffixes=("_old", "_new"))
    res["unit_name"] = res["unit_name_new"].fillna(res["unit_name_old"])
    res = res.rename(columns={"rank_overall_old": "rank_old", "rank_overall_new": "rank_new"})
    res["delta"] = res["total_new"].astype(float) - res["total_old"].astype(float)
    res["rank_change"] = res["rank_old"] - res["rank_new"]
    moved = [not (_equal(r.total_old, r.total_new) and _equal(r.rank_old, r.rank_new) and _equal(r.grade_old, r.grade_new))
             for r in res.itertuples()]
    return VersionDiff(period, a.number, b.number, added, removed,
                       pd.DataFrame(changed, columns=["unit_id", "field", "old", "new"]), values,
                       res[moved].reset_index()[RESULT_COLUMNS])
