"""The assessment model: typed, validated objects loaded from `data/model.toml`.

Structure (types, unknown keys, required method parameters) is checked by pydantic;
the cross-field rules (sibling weights, formalism weights, parents) are checked here.
Every problem is collected and reported at once as a `ModelError`.
"""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scoring import formalism

WEIGHT_TOL = 1e-9
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "model.toml"
DIMENSIONS = ("mass", "performance", "compliance")


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    BAND = "band"


class Method(StrEnum):
    EFFICACY = "efficacy"
    TARGET = "target"
    MINMAX = "minmax"
    ZSCORE = "zscore"
    RANK = "rank"
    THRESHOLD = "threshold"
    BAND = "band"


class MissingPolicy(StrEnum):
    REWEIGHT = "reweight"
    ZERO = "zero"
    GROUP_MEAN = "group_mean"


class Scope(StrEnum):
    GROUP = "group"
    ALL = "all"


class ScreenAction(StrEnum):
    OFF = "off"
    WARN = "warn"
    ERROR = "error"


class ComplianceStyle(StrEnum):
    POINTS = "points"
    DEDUCTION = "deduction"


# Parameters each method needs from the model (efficacy bounds fall back to the group).
METHOD_PARAMS: dict[Method, tuple[str, ...]] = {
    Method.EFFICACY: (),
    Method.TARGET: ("target",),
    Method.MINMAX: (),
    Method.ZSCORE: (),
    Method.RANK: (),
    Method.THRESHOLD: ("target",),
    Method.BAND: ("lower", "upper", "tolerance"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False):
        """A copy whose derived views (cached properties) are recomputed, not carried over."""
        copy = super().model_copy(update=update, deep=deep)
        for name, attr in vars(type(self)).items():
            if isinstance(attr, cached_property):
                copy.__dict__.pop(name, None)
        return copy


Weight = Annotated[float, Field(ge=0)]


class ModelInfo(_Strict):
    name: str
    version: str = "1"
    normalise_within: Scope = Scope.GROUP
    rank_decimals: int = Field(default=2, ge=0, le=6)


class Dimensions(_Strict):
    mass: Weight
    performance: Weight
    compliance: Weight

    def as_dict(self) -> dict[str, float]:
        return {d: getattr(self, d) for d in DIMENSIONS}


class Group(_Strict):
    name: str
    unit_type: str


class Answer(_Strict):
    label: str
    score: float | None = Field(default=None, ge=0, le=100)
    unknown: bool = False
    aliases: tuple[str, ...] = ()
    codes: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _score_or_unknown(self) -> Answer:
        if self.unknown == (self.score is not None):
            raise ValueError(f"answer {self.label!r}: give either a score or unknown = true")
        return self


class SurveyItem(_Strict):
    code: str
    name: str
    substantive: str | None = None  # reason a formalism-looking name is in fact substantive


class Survey(_Strict):
    min_sample: int = Field(default=30, ge=1)
    ci_level: float = Field(default=0.95, gt=0, lt=1)
    satisfied: tuple[str, ...] = ("满意", "比较满意")
    out_of_scale: ScreenAction = ScreenAction.WARN
    straight_lining: ScreenAction = ScreenAction.WARN
    straight_lining_min_items: int = Field(default=4, ge=2)
    answer: tuple[Answer, ...]
    respondent_groups: dict[str, Weight] = {}
    item: tuple[SurveyItem, ...] = ()

    @cached_property
    def lookup(self) -> dict[str, Answer]:
        """Every accepted spelling (label, alias, numeric code) -> its answer."""
        table: dict[str, Answer] = {}
        for a in self.answer:
            for key in (a.label, *a.aliases, *(str(c) for c in a.codes)):
                table[key] = a
        return table


class Reverse(_Strict):
    applies_to: tuple[str, ...] = ("市直部门",)
    min_raters: int = Field(default=5, ge=1)
    share: float = Field(default=0.5, ge=0, le=1)
    excellent_floor: float = 60
    criteria: tuple[str, ...] = ("文件会议精简度", "工作指导有效性", "考核方式合理性")


class Node(_Strict):
    code: str
    name: str
    parent: str = ""
    weight: Weight
    applies_to: tuple[str, ...] = ()
    formalism: bool = False


class Indicator(_Strict):
    code: str
    name: str
    parent: str = ""
    weight: Weight
    unit: str = ""
    direction: Direction = Direction.HIGHER
    method: Method = Method.EFFICACY
    satisfactory: float | None = None
    unacceptable: float | None = None
    target: float | None = None
    cap: float = Field(default=1.0, gt=0)
    floor: float = Field(default=60, ge=0, le=100)
    lower: float | None = None
    upper: float | None = None
    tolerance: float | None = Field(default=None, gt=0)
    applies_to: tuple[str, ...] = ()
    substantive: str | None = None  # reason a formalism-looking name is in fact substantive

    @model_validator(mode="after")
    def _method_params(self) -> Indicator:
        missing = [p for p in METHOD_PARAMS[self.method] if getattr(self, p) is None]
        if missing:
            raise ValueError(f"indicator {self.code}: method {self.method.value} needs {', '.join(missing)}")
        if (self.satisfactory is None) != (self.unacceptable is None):
            raise ValueError(f"indicator {self.code}: give both satisfactory and unacceptable, or neither")
        if self.method == Method.BAND and self.lower > self.upper:
            raise ValueError(f"indicator {self.code}: lower {self.lower} > upper {self.upper}")
        if (self.method == Method.BAND) != (self.direction == Direction.BAND):
            raise ValueError(f"indicator {self.code}: method band and direction band go together")
        if self.method == Method.TARGET and self.target <= 0:
            raise ValueError(f"indicator {self.code}: the target must be > 0")
        if self.satisfactory is not None and self.satisfactory == self.unacceptable:
            raise ValueError(f"indicator {self.code}: satisfactory equals unacceptable")
        return self


class Performance(_Strict):
    missing: MissingPolicy = MissingPolicy.REWEIGHT
    efficacy_floor: float = Field(default=0, ge=0, lt=100)
    node: tuple[Node, ...] = ()
    indicator: tuple[Indicator, ...]


class ComplianceItem(_Strict):
    code: str
    name: str
    points: float = Field(gt=0)
    substantive: str | None = None  # reason a formalism-looking name is in fact substantive


class Compliance(_Strict):
    style: ComplianceStyle = ComplianceStyle.POINTS
    partial_share: float = Field(default=0.5, ge=0, le=1)
    item: tuple[ComplianceItem, ...] = ()


class Adjustments(_Strict):
    bonus_cap: float = Field(default=5, ge=0)
    deduction_cap: float = Field(default=100, ge=0)
    bonus_levels: dict[str, float] = {}
    deduction_levels: dict[str, float] = {}


class Tier(_Strict):
    label: str
    label_en: str = ""
    min: float
    quota: float | None = Field(default=None, gt=0, le=1)


class Grades(_Strict):
    quota_scope: Scope = Scope.GROUP
    veto_grade: str | None = None
    tier: tuple[Tier, ...]


class Annual(_Strict):
    quarter_weights: dict[str, Weight] = {"Q1": 0.25, "Q2": 0.25, "Q3": 0.25, "Q4": 0.25}


class Model(_Strict):
    model: ModelInfo
    dimensions: Dimensions
    group: tuple[Group, ...] = ()
    survey: Survey | None = None
    reverse: Reverse | None = None
    performance: Performance | None = None
    compliance: Compliance = Compliance()
    adjustments: Adjustments = Adjustments()
    grades: Grades
    annual: Annual = Annual()

    # ---- derived views, computed once -------------------------------------------------
    @cached_property
    def weights(self) -> dict[str, float]:
        return self.dimensions.as_dict()

    @cached_property
    def required_dimensions(self) -> tuple[str, ...]:
        """Dimensions with a non-zero weight: a unit missing one of them is incomplete."""
        return tuple(d for d in DIMENSIONS if self.weights[d] > 0)

    @cached_property
    def indicators(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.performance.indicator} if self.performance else {}

    @cached_property
    def nodes(self) -> dict[str, Node]:
        return {n.code: n for n in self.performance.node} if self.performance else {}

    @cached_property
    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for n in (self.performance.node if self.performance else ()):
            out[n.parent].append(n.code)
        for i in (self.performance.indicator if self.performance else ()):
            out[i.parent].append(i.code)
        return dict(out)

    def ancestors(self, code: str) -> list[str]:
        """Codes from the top-level category down to the parent of `code`."""
        chain: list[str] = []
        parent = (self.indicators.get(code) or self.nodes[code]).parent
        while parent:
            chain.append(parent)
            parent = self.nodes[parent].parent
        return chain[::-1]

    def is_formalism(self, code: str) -> bool:
        own = self.nodes.get(code)
        return bool(own and own.formalism) or any(self.nodes[a].formalism for a in self.ancestors(code))

    @cached_property
    def scored_children(self) -> dict[str, list[str]]:
        """The tree as it is scored: formalism nodes and indicators left out."""
        return {p: [k for k in ks if not self.is_formalism(k)] for p, ks in self.children.items()}

    @cached_property
    def tree_weights(self) -> dict[str, float]:
        """Every node's and indicator's weight relative to its siblings."""
        return {n.code: n.weight for n in self.nodes.values()} | {i.code: i.weight for i in self.indicators.values()}

    @cached_property
    def scored_indicators(self) -> tuple[Indicator, ...]:
        """Indicators that can earn points: formalism ones never do."""
        return tuple(i for i in self.indicators.values() if not self.is_formalism(i.code))

    def applies(self, code: str, unit_type: str) -> bool:
        """Whether an indicator or node applies to units of this type (inherited down the tree)."""
        for c in (*self.ancestors(code), code):
            item = self.indicators.get(c) or self.nodes[c]
            if item.applies_to and unit_type not in item.applies_to:
                return False
        return True

    @cached_property
    def unit_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.unit_type for g in self.group)) or ("",)

    def tier_labels(self) -> list[str]:
        return [t.label for t in self.grades.tier]

    def to_toml(self) -> str:
        return tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))


class ModelProblem(_Strict):
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ModelError(ValueError):
    """The model file is invalid; `problems` lists every reason at once."""

    def __init__(self, source: str, problems: list[ModelProblem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"模型文件无效 / invalid model file {source}:\n{lines}")


def _sum_problem(where: str, weights: list[float], what: str) -> ModelProblem | None:
    total = math.fsum(weights)
    if abs(total - 1.0) > WEIGHT_TOL:
        return ModelProblem(where=where, message=f"{what} 权重之和为 {total:g}，应为 1 / weights sum to {total:g}, must be 1")
    return None


def semantic_problems(m: Model) -> list[ModelProblem]:
    """Cross-field rules pydantic cannot see. Returns every problem found."""
    out: list[ModelProblem] = []
    add = out.append
    if p := _sum_problem("dimensions", list(m.weights.values()), "三个维度 / the three dimensions"):
        add(p)
    groups = [g.name for g in m.group]
    if len(groups) != len(set(groups)):
        add(ModelProblem(where="group", message="考核组别重复 / duplicate group names"))
    if m.survey:
        labels = [a.label for a in m.survey.answer]
        for s in m.survey.satisfied:
            if s not in labels:
                add(ModelProblem(where="survey.satisfied", message=f"{s!r} 不在答案量表中 / not an answer label"))
        spellings: dict[str, str] = {}
        for a in m.survey.answer:
            for key in (a.label, *a.aliases, *(str(c) for c in a.codes)):
                if key in spellings and spellings[key] != a.label:
                    add(ModelProblem(where="survey.answer", message=f"{key!r} 同时映射到 {spellings[key]} 和 {a.label} / maps to two answers"))
                spellings[key] = a.label
        if m.survey.respondent_groups and (
            p := _sum_problem("survey.respondent_groups", list(m.survey.respondent_groups.values()), "受访者类别 / respondent groups")
        ):
            add(p)
    named = [("compliance", c) for c in m.compliance.item] + [("survey", q) for q in (m.survey.item if m.survey else ())]
    for section, item in named:
        if item.substantive is None and (hit := formalism.match(item.name)):
            add(ModelProblem(where=f"{section}.{item.code}", message=(
                f"“{item.name}”命中形式主义关键词“{hit}”，不能计分；如确属实质性内容，请写明 substantive 理由 / "
                f"matches the formalism keyword {hit!r}: it earns no points unless marked substantive with a reason")))
    if m.weights["mass"] > 0 and m.survey is None:
        add(ModelProblem(where="survey", message="群众评价权重非零但缺少 [survey] / mass has weight but no [survey]"))
    if m.weights["performance"] > 0 and m.performance is None:
        add(ModelProblem(where="performance", message="实绩数据权重非零但缺少 [performance] / performance has weight but no [performance]"))
    if m.weights["compliance"] > 0 and not m.compliance.item:
        add(ModelProblem(where="compliance", message="过程合规权重非零但没有考核项 / compliance has weight but no items"))
    out.extend(_tree_problems(m))
    out.extend(_grade_problems(m))
    return out


def _tree_problems(m: Model) -> list[ModelProblem]:
    if m.performance is None:
        return []
    out: list[ModelProblem] = []
    codes = [n.code for n in m.performance.node] + [i.code for i in m.performance.indicator]
    for code in {c for c in codes if codes.count(c) > 1}:
        out.append(ModelProblem(where=f"performance.{code}", message="编码重复 / duplicate code"))
    for item in (*m.performance.node, *m.performance.indicator):
        if item.parent and item.parent not in m.nodes:
            out.append(ModelProblem(where=f"performance.{item.code}", message=f"上级节点 {item.parent!r} 不存在 / unknown parent"))
    if out:
        return out
    # a cycle in the node parents would make ancestors() loop
    for n in m.performance.node:
        seen, p = {n.code}, n.parent
        while p:
            if p in seen:
                return [ModelProblem(where=f"performance.{n.code}", message="节点层级存在循环 / the node parents form a cycle")]
            seen.add(p)
            p = m.nodes[p].parent
    for ind in m.performance.indicator:
        where = f"performance.{ind.code}"
        if m.is_formalism(ind.code) and ind.weight != 0:
            out.append(ModelProblem(where=where, message=(
                f"形式主义指标“{ind.name}”权重必须为 0（{formalism.RULE_ZH}） / a formalism indicator must have weight 0 "
                f"({formalism.RULE_EN})")))
        elif not m.is_formalism(ind.code) and ind.weight > 0 and ind.substantive is None and (hit := formalism.match(ind.name)):
            out.append(ModelProblem(where=where, message=(
                f"指标“{ind.name}”命中形式主义关键词“{hit}”，不能计分；如确属实质性指标，请写明 substantive 理由 / "
                f"matches the formalism keyword {hit!r}: it earns no points unless marked substantive with a reason")))
    for n in m.performance.node:
        if n.formalism and n.weight != 0:
            out.append(ModelProblem(where=f"performance.{n.code}", message="形式主义类别权重必须为 0 / the formalism category must have weight 0"))
    # siblings sum to 1 for every unit type they apply to (formalism subtrees excluded)
    for parent, kids in m.children.items():
        if parent and m.is_formalism(parent):
            continue
        for utype in m.unit_types:
            live = [k for k in kids if not m.is_formalism(k) and m.applies(k, utype) and _has_leaf(m, k, utype)]
            if not live or (parent and not m.applies(parent, utype)):
                continue
            weights = [(m.indicators.get(k) or m.nodes[k]).weight for k in live]
            label = parent or "performance"
            who = f"{label}" + (f" [{utype}]" if utype else "")
            if p := _sum_problem(f"performance.{who}", weights, f"“{m.nodes[parent].name if parent else '实绩数据'}”的下级 / children"):
                out.append(p)
    return out


def _has_leaf(m: Model, code: str, utype: str) -> bool:
    if code in m.indicators:
        return m.applies(code, utype)
    return any(_has_leaf(m, k, utype) for k in m.children.get(code, []))


def _grade_problems(m: Model) -> list[ModelProblem]:
    out: list[ModelProblem] = []
    mins = [t.min for t in m.grades.tier]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        out.append(ModelProblem(where="grades.tier", message="等次下限须严格从高到低排列 / tier minimums must strictly decrease"))
    if m.grades.tier and m.grades.tier[-1].quota is not None:
        out.append(ModelProblem(where="grades.tier", message="最低等次不能设名额 / the lowest tier cannot have a quota"))
    if m.grades.tier and m.grades.tier[-1].min > 0:
        out.append(ModelProblem(where="grades.tier", message="最低等次下限应为 0 / the lowest tier must start at 0"))
    labels = m.tier_labels()
    if m.grades.veto_grade is not None and m.grades.veto_grade not in labels:
        out.append(ModelProblem(where="grades.veto_grade", message=f"{m.grades.veto_grade!r} 不是等次 / not a tier"))
    return out


def _pydantic_problems(err: ValidationError) -> list[ModelProblem]:
    out = []
    for e in err.errors():
        where = ".".join(str(x) for x in e["loc"])
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "未知的键 / unknown key"
        elif e["type"] == "missing":
            msg = "缺少必填项 / required key missing"
        out.append(ModelProblem(where=where, message=msg))
    return out


def model_from_dict(data: dict[str, Any], source: str = "<model>") -> Model:
    try:
        m = Model.model_validate(data)
    except ValidationError as err:
        raise ModelError(source, _pydantic_problems(err)) from None
    if problems := semantic_problems(m):
        raise ModelError(source, problems)
    return m


def model_from_toml(text: str | bytes, source: str = "<model>") -> Model:
    """A model from TOML text (bytes may carry a UTF-8 BOM); syntax errors are ModelErrors too."""
    try:
        data = tomllib.loads(text.decode("utf-8-sig") if isinstance(text, bytes) else text.removeprefix("\ufeff"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ModelError(source, [ModelProblem(where="", message=f"TOML 语法错误 / TOML syntax error: {err}")]) from None
    return model_from_dict(data, source)


def load_model(path: str | Path = DEFAULT_MODEL_PATH) -> Model:
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(str(path), [ModelProblem(where="", message="文件不存在 / file not found")]) from None
    return model_from_toml(text, str(path))
