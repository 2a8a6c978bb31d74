"""`SensitivityInput`: the ranked units of one period as the kernel's arrays, validated.

    dims (n, d)   dimension scores            adjust (n,)  bonus − deduction
    groups (n,)   comparison-group codes      veto (n,)    forces the veto grade, keeps score and rank
    cap (n,)      best tier index allowed (0 = no cap; e.g. reverse evaluation below 60 → 1)

Units are kept sorted by group (stably), so each comparison group is a contiguous column slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from scoring.flags import FlagCode
from scoring.model import DIMENSIONS, Grades, Model, Scope
from scoring.sensitivity.kernel import Evaluation, _evaluate
from scoring.sensitivity.tree import Tree, _tree_rows, tree_from_model
from scoring.text import Text


@dataclass(frozen=True, eq=False)
class SensitivityInput:
    """The ranked units of one period as arrays, plus the rules that grade them. Build with
    `from_arrays` (validated) or `from_result` (from the pipeline's `PeriodResult`)."""

    dims: np.ndarray
    adjust: np.ndarray
    groups: np.ndarray
    veto: np.ndarray
    cap: np.ndarray
    weights: np.ndarray
    grades: Grades
    decimals: int = 2
    unit_ids: tuple[str, ...] = ()
    unit_names: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = DIMENSIONS
    tree: Tree | None = None
    tree_dimension: int = 1
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["unit_id", "unit_name", "flags"]))
    notes: tuple[Text, ...] = ()  # what the self-check of `from_result` found, in both languages

    # ---- construction -----------------------------------------------------------------------
    @classmethod
    def from_arrays(cls, dims, adjust=None, groups=None, veto=None, cap=None, *, weights, grades: Grades,
                    decimals: int = 2, unit_ids: Sequence[str] | None = None, **extra) -> SensitivityInput:
        dims = np.asarray(dims, dtype=float)
        if dims.ndim != 2 or dims.shape[0] == 0:
            raise ValueError(f"dims must be (units, dimensions), got shape {dims.shape}")
        n, d = dims.shape
        if not np.isfinite(dims).all():
            raise ValueError("dims: every ranked unit needs every dimension score (NaN or inf found)")
        w = np.asarray(weights, dtype=float)
        if w.shape != (d,) or (w < 0).any() or abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"weights must be {d} non-negative numbers summing to 1, got {w}")

        def vec(x, default, dtype, name):
            x = np.full(n, default, dtype=dtype) if x is None else np.asarray(x).astype(dtype)
            if x.shape != (n,):
                raise ValueError(f"{name} must have one value per unit ({n}), got shape {x.shape}")
            return x

        adjust = vec(adjust, 0.0, float, "adjust")
        groups = vec(groups, 0, np.int64, "groups")
        veto = vec(veto, False, bool, "veto")
        cap = vec(cap, 0, np.int8, "cap")
        if not np.isfinite(adjust).all() or groups.min() < 0 or not 0 <= cap.min() <= cap.max() < len(grades.tier):
            raise ValueError("adjust must be finite, group codes ≥ 0, caps valid tier indices")
        if not 0 <= decimals <= 6:
            raise ValueError("decimals must be within 0..6")
        ids = tuple(map(str, unit_ids)) if unit_ids is not None else tuple(f"U{i + 1}" for i in range(n))
        if len(ids) != n:
            raise ValueError(f"unit_ids must have one id per unit ({n})")
        extra.setdefault("unit_names", ids)
        extra.setdefault("group_names", tuple(str(g) for g in range(groups.max() + 1)))
        extra.setdefault("dimensions", DIMENSIONS if d == len(DIMENSIONS) else tuple(f"d{j + 1}" for j in range(d)))
        if len(extra["dimensions"]) != d or len(extra["group_names"]) <= groups.max():
            raise ValueError("need one dimension name per column of dims and a name for every group code")
        if extra.get("tree") is not None and extra["tree"].leaf_scores.shape[0] != n:
            raise ValueError("tree.leaf_scores must have one row per unit")
        # units are kept grouped (stable): each comparison group is then a contiguous slice
        p = np.argsort(groups, kind="stable")
        extra["unit_names"] = tuple(np.array(extra["unit_names"], dtype=object)[p])
        if extra.get("tree") is not None:
            extra["tree"] = replace(extra["tree"], leaf_scores=extra["tree"].leaf_scores[p])
        return cls(dims[p], adjust[p], groups[p], veto[p], cap[p], w, grades, decimals,
                   tuple(np.array(ids, dtype=object)[p]), **extra)

    @classmethod
    def from_result(cls, result, model: Model | None = None, tree: bool = True) -> SensitivityInput:
        """Arrays of the `ok` units of a scored period; incomplete units are listed in `excluded`.

        With `tree`, the performance tree and each unit's leaf scores are kept so its weights can
        be perturbed. The arrays are checked against the result: `notes` says (in Chinese and
        English, a `Text` each) if the kernel's ranks or grades at the official weights, or the
        tree's performance scores, differ from the published ones (they should not).
        """
        model = model or result.model
        u = result.units
        ok = (u["status"] == "ok").to_numpy()
        kept = u[ok].reset_index(drop=True)
        names = [g.name for g in model.group]
        names += [g for g in pd.unique(kept["group"]) if g not in names]
        code = {g: i for i, g in enumerate(names)}
        excluded = pd.DataFrame({"unit_id": u.loc[~ok, "unit_id"], "unit_name": u.loc[~ok, "unit_name"],
                                 "flags": u.loc[~ok, "flags"].map(lambda fs: [f for f in fs if f.code == FlagCode.INCOMPLETE])})
        tr = None
        if tree and model.performance is not None and model.scored_indicators and model.weights["performance"] > 0:
            ind = result.indicators
            leaf = ind.pivot_table(index="unit_id", columns="code", values="score", aggfunc="last", dropna=False)
            tr = tree_from_model(model, leaf.reindex(index=kept["unit_id"]))
        inp = cls.from_arrays(
            kept[list(DIMENSIONS)].to_numpy(dtype=float), (kept["bonus"] - kept["deduction"]).to_numpy(dtype=float),
            kept["group"].map(code).to_numpy(), kept["veto"].notna().to_numpy(), kept["grade_cap"].to_numpy(),
            weights=[model.weights[d] for d in DIMENSIONS], grades=model.grades, decimals=model.model.rank_decimals,
            unit_ids=kept["unit_id"].tolist(), unit_names=tuple(kept["unit_name"].astype(str)),
            group_names=tuple(names), tree=tr, tree_dimension=DIMENSIONS.index("performance"), excluded=excluded)
        notes: list[Text] = []
        nom = inp.nominal
        published = kept.set_index("unit_id").loc[list(inp.unit_ids)]  # the kernel keeps units grouped
        for (zh, en), mine, theirs in [(("总排名", "overall rank"), nom.rank, published["rank_overall"]),
                                       (("组内排名", "rank in group"), nom.group_rank, published["rank_group"]),
                                       (("等次", "grade"), np.array(inp.tier_labels, dtype=object)[nom.tier],
                                        published["grade"])]:
            if (bad := int((mine != theirs.to_numpy()).sum())):
                notes.append(Text(f"权重分析复算的{zh}有 {bad} 个单位与已发布结果不一致。",
                                  f"The {en} recomputed for the weight analysis differs from the published result "
                                  f"for {bad} unit{'s' if bad != 1 else ''}."))
        if inp.tree is not None:
            gap = np.nanmax(np.abs(_tree_rows(inp.tree, np.ones((1, inp.tree.n_edges)))[0]
                                   - inp.dims[:, inp.tree_dimension]))
            if gap > 1e-6:
                notes.append(Text(f"按实绩指标树复算的实绩数据得分与已发布得分最多相差 {gap:.2g} 分。",
                                  f"The performance scores recomputed from the indicator tree differ from the "
                                  f"published ones by up to {gap:.2g} points."))
        return inp if not notes else replace(inp, notes=tuple(notes))

    # ---- derived views ----------------------------------------------------------------------
    @property
    def n_units(self) -> int:
        return self.dims.shape[0]

    @property
    def tier_labels(self) -> list[str]:
        return [t.label for t in self.grades.tier]

    @cached_property
    def scope(self) -> np.ndarray:
        """Quota scope code per unit: the comparison group, or one scope for all."""
        return self.groups if self.grades.quota_scope is Scope.GROUP else np.zeros_like(self.groups)

    @cached_property
    def augmented(self) -> np.ndarray:
        """[dims | adjust]ᵀ, contiguous by row: one product with [w, 1] gives dims·w + adjust."""
        return np.ascontiguousarray(np.column_stack([self.dims, self.adjust]).T)

    @cached_property
    def members(self) -> list[slice]:
        """The column slice of each non-empty comparison group."""
        edges = np.flatnonzero(np.diff(self.groups)) + 1
        bounds = [0, *edges.tolist(), self.n_units]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    @cached_property
    def group_key(self) -> np.ndarray | None:
        """Per unit: group index · (top + 1) + top, top = 100·10^decimals; key − q sorts groups, best first."""
        top = 100 * 10 ** self.decimals
        if len(self.members) * (top + 1) > 2 ** 16:
            return None
        seg = np.repeat(np.arange(len(self.members)), [m.stop - m.start for m in self.members])
        return (seg * (top + 1) + top).astype(np.uint16)

    @cached_property
    def group_start(self) -> np.ndarray:
        return np.repeat([m.start for m in self.members], [m.stop - m.start for m in self.members]).astype(np.int32)

    @cached_property
    def nominal(self) -> Evaluation:
        return _evaluate(self, self.weights[None, :]).row(0)

    def frame(self) -> pd.DataFrame:
        """The units as the kernel sees them, with their nominal score, ranks and grade."""
        nom = self.nominal
        df = pd.DataFrame({"unit_id": self.unit_ids, "unit_name": self.unit_names,
                           "group": np.array(self.group_names, dtype=object)[self.groups]})
        for j, d in enumerate(self.dimensions):
            df[d] = self.dims[:, j]
        return df.assign(adjust=self.adjust, veto=self.veto, grade_cap=self.cap, score=nom.score, rank=nom.rank,
                         group_rank=nom.group_rank, grade=np.array(self.tier_labels, dtype=object)[nom.tier])
