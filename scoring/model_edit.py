"""Editing a model on the model page: the tree and small tables shown for editing, and the edits
applied back into a dict that `model_from_dict` validates like any model file."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from scoring import i18n
from scoring.model import DIMENSIONS, Model, ModelError

TREE_FIELDS = ["unit", "direction", "method", "satisfactory", "unacceptable", "target", "cap", "floor", "lower",
               "upper", "tolerance"]


def model_tree(model: Model, unit_type: str | None = None) -> pd.DataFrame:
    """The performance tree in display order (depth-first), one row per node or indicator, with the
    weight relative to siblings, the effective weight within the dimension and the method parameters.
    With `unit_type`, only what applies to that type (so effective weights add up to 1)."""
    rows: list[dict] = []

    def visit(parent: str, depth: int, share: float) -> None:
        for code in model.children.get(parent, []):
            if unit_type is not None and not model.applies(code, unit_type):
                continue
            item = model.nodes.get(code) or model.indicators[code]
            is_node = code in model.nodes
            formal = model.is_formalism(code)
            eff = 0.0 if formal else share * item.weight
            row = {"code": code, "name": item.name, "parent": parent, "kind": "node" if is_node else "indicator",
                   "depth": depth, "tree": "\u3000" * depth + item.name, "weight": item.weight, "effective": eff,
                   "formalism": formal, "applies_to": "、".join(item.applies_to)}
            for f in TREE_FIELDS:
                v = getattr(item, f, None)
                row[f] = v.value if hasattr(v, "value") else v
            rows.append(row)
            if is_node:
                visit(code, depth + 1, eff)

    visit("", 0, 1.0)
    return pd.DataFrame(rows, columns=["code", "name", "parent", "kind", "depth", "tree", "weight", "effective",
                                       "formalism", "applies_to", *TREE_FIELDS])


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or (isinstance(v, str) and not v.strip()):
        return None
    return v.item() if hasattr(v, "item") else v


def edited_model_data(model: Model, dimensions: pd.DataFrame, tree: pd.DataFrame, tiers: pd.DataFrame,
                      answers: pd.DataFrame) -> dict:
    """The model as a dict with the edited tables applied, ready for `model_from_dict` (which
    validates it with the same located errors as the model file)."""
    data = model.model_dump(mode="json", exclude_none=True)
    data["dimensions"] = {r.dimension: _clean(r.weight) for r in dimensions.itertuples()}
    if "performance" in data:
        by_code = tree.set_index("code")
        for kind, fields in (("node", ["name", "weight"]), ("indicator", ["name", "weight", *TREE_FIELDS])):
            for item in data["performance"][kind]:
                row = by_code.loc[item["code"]]
                for f in fields:
                    v = _clean(row[f])
                    if v is None:
                        item.pop(f, None)
                    else:
                        item[f] = v
    data["grades"]["tier"] = [{k: v for k, v in ((k, _clean(getattr(r, k))) for k in ("label", "label_en", "min", "quota"))
                               if v is not None} for r in tiers.itertuples()]
    if "survey" in data:
        old = {a["label"]: a for a in data["survey"]["answer"]}
        data["survey"]["answer"] = [{
            **{k: v for k, v in old.get(r.label, {}).items() if k in ("codes", "label_en")},
            "label": _clean(r.label), "aliases": [s.strip() for s in re.split(r"[,，、]", r.aliases or "") if s.strip()],
            **({"unknown": True} if bool(r.unknown) else {"score": _clean(r.score)})}
            for r in answers.itertuples() if _clean(r.label)]
    return data


def model_tables(model: Model) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The editable small tables: dimension weights, grade tiers, the survey answer scale."""
    dims = pd.DataFrame({"dimension": list(DIMENSIONS), "weight": [model.weights[d] for d in DIMENSIONS]})
    tiers = pd.DataFrame([t.model_dump() for t in model.grades.tier], columns=["label", "label_en", "min", "quota"])
    scale = pd.DataFrame([{"label": a.label, "score": a.score, "unknown": a.unknown, "aliases": "、".join(a.aliases)}
                          for a in (model.survey.answer if model.survey else ())],
                         columns=["label", "score", "unknown", "aliases"])
    return dims, tiers, scale


def where_text(where: str, model: Model | None, lang: str = "zh") -> str:
    """A problem's location in words: "performance.FOR02" -> "实绩数据 › 会议次数（FOR02）" (the names
    from `model`, the one being edited); a location it does not know, as it is."""
    head, _, rest = where.partition(".")
    if f"section.{head}" not in i18n.TEXT:
        return where
    section = i18n.t(f"section.{head}", lang)
    if not rest:
        return section
    named = {} if model is None else {**model.nodes, **model.indicators, **{c.code: c for c in model.compliance.item},
                                      **{q.code: q for q in (model.survey.item if model.survey else ())}}
    code = next((c for c in (rest, rest.split(" ")[0], rest.split(".")[0]) if c in named), None)
    if code is None:
        return f"{section} › {rest}"
    name = model.name_in(named[code].name, lang)
    return f"{section} › {name}（{code}）" + rest[len(code):] if lang == "zh" else f"{section} › {name} ({code})" + rest[len(code):]


def problems_frame(err: ModelError, lang: str = "zh", model: Model | None = None) -> pd.DataFrame:
    """A ModelError's located problems as a table, in `lang` (locations named from `model`)."""
    return pd.DataFrame([{"where": where_text(p.where, model, lang), "message": p.message(lang)} for p in err.problems],
                        columns=["where", "message"])
