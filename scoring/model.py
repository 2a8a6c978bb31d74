"""The assessment model: typed, validated objects loaded from a TOML file.

The default model ships inside the package (`scoring/data/model.toml`, read with
importlib.resources), so an installed wheel scores without the source tree.

Structure (types, unknown keys, required method parameters) is checked by pydantic;
the cross-field rules (sibling weights, formalism weights, parents) are checked here.
Every problem is collected and reported at once as a `ModelError`.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import defaultdict
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from scoring import formalism

WEIGHT_TOL = 1e-9
DEFAULT_MODEL = "data/model.toml"  # package data of `scoring`
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
    GROUP_MEDIAN = "group_median"
    PREVIOUS = "previous"  # the same unit's value of the previous quarter, kept with the version


class Aggregation(StrEnum):
    ARITHMETIC = "arithmetic"
    GEOMETRIC = "geometric"


class OutlierTreatment(StrEnum):
    OFF = "off"
    WINSORISE = "winsorise"
    LOG = "log"


class Scope(StrEnum):
    GROUP = "group"
    ALL = "all"


class ScreenAction(StrEnum):
    OFF = "off"
    WARN = "warn"
    ERROR = "error"


class StraightLining(StrEnum):
    """What the straight-lining screen does with respondents who give one identical answer to every
    item they answer (at least `straight_lining_min_items` of them)."""

    OFF = "off"
    FLAG = "flag"  # mark and report them, keep them (the default: satisfied people answer 满意 throughout)
    DROP = "drop"  # drop them only with further evidence: answered too fast, or a run of identical forms
    DROP_IDENTICAL = "drop_identical"  # drop on identical answers alone; spelt "warn" before model 2026.2


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
    name_en: str = ""  # every name_en / label_en: shown in English when given, else the name itself
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
    name_en: str = ""
    unit_type: str


class Answer(_Strict):
    label: str
    label_en: str = ""
    score: float | None = Field(default=None, ge=0, le=100)
    unknown: bool = False
    aliases: tuple[str, ...] = ()
    codes: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _score_or_unknown(self) -> Answer:
        if self.unknown == (self.score is not None):
            raise _invalid(f"答案“{self.label}”：请给出 score 或 unknown = true（二选一）",
                           f"answer {self.label!r}: give either a score or unknown = true")
        return self


class SurveyItem(_Strict):
    code: str
    name: str
    name_en: str = ""
    substantive: str | None = None  # reason a formalism-looking name is in fact substantive


class Survey(_Strict):
    min_sample: int = Field(default=30, ge=1)
    ci_level: float = Field(default=0.95, gt=0, lt=1)
    satisfied: tuple[str, ...] = ("满意", "比较满意")
    out_of_scale: ScreenAction = ScreenAction.ERROR  # an officer must see a word off the scale
    straight_lining: StraightLining = StraightLining.FLAG
    straight_lining_min_items: int = Field(default=4, ge=2)  # answered items, not items in the survey
    straight_lining_seconds_per_item: float = Field(default=3.0, gt=0)  # faster than this per answered item: evidence
    straight_lining_min_run: int = Field(default=5, ge=2)  # this many identical forms in a row in one unit: evidence
    answer: tuple[Answer, ...]
    respondent_groups: dict[str, Weight] = {}
    item: tuple[SurveyItem, ...] = ()

    @field_validator("straight_lining", mode="before")
    @classmethod
    def _legacy_straight_lining(cls, value: Any) -> Any:
        """"warn" dropped respondents on identical answers alone (models before 2026.2, kept in the
        store with every quarter they scored): it keeps that meaning, under its plain name."""
        return StraightLining.DROP_IDENTICAL if value == "warn" else value

    @cached_property
    def lookup(self) -> dict[str, Answer]:
        """Every accepted spelling (label, alias, numeric code) -> its answer."""
        table: dict[str, Answer] = {}
        for a in self.answer:
            for key in (a.label, *a.aliases, *(str(c) for c in a.codes)):
                table[key] = a
        return table


class BelowK(StrEnum):
    """What a department rated by fewer than `min_raters` distinct raters gets for its reverse share."""

    SURVEY_ONLY = "survey_only"  # its survey alone (before model 2026.2): fewer raters can hide a poor rating
    GROUP_MEAN = "group_mean"    # the mean result of its comparison group's shown departments: no advantage
    INCOMPLETE = "incomplete"    # not ranked or graded until enough raters


class ReverseCycle(StrEnum):
    QUARTER = "quarter"  # rated every quarter: the result feeds that quarter's mass score and grade
    YEAR = "year"        # rated once a year (the seed: 每年组织): the result feeds the annual result and grade


class Reverse(_Strict):
    applies_to: tuple[str, ...] = ("市直部门",)
    min_raters: int = Field(default=5, ge=1)
    share: float = Field(default=0.5, ge=0, le=1)
    excellent_floor: float = 60
    below_k: BelowK = BelowK.SURVEY_ONLY  # a model file without the key keeps the behaviour before it existed
    cycle: ReverseCycle = ReverseCycle.QUARTER
    criteria: tuple[str, ...] = ("文件会议精简度", "工作指导有效性", "考核方式合理性")
    criteria_en: tuple[str, ...] = ()  # the criteria's English names, in the same order


class Node(_Strict):
    code: str
    name: str
    name_en: str = ""
    parent: str = ""
    weight: Weight
    applies_to: tuple[str, ...] = ()
    formalism: bool = False
    aggregation: Aggregation = Aggregation.ARITHMETIC  # how its children's scores combine


class Indicator(_Strict):
    code: str
    name: str
    name_en: str = ""
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
            raise _invalid(f"指标 {self.code}：计分方法 {self.method.value} 需要 {'、'.join(missing)}",
                           f"indicator {self.code}: method {self.method.value} needs {', '.join(missing)}")
        if (self.satisfactory is None) != (self.unacceptable is None):
            raise _invalid(f"指标 {self.code}：满意值和不允许值须同时给出或同时省略",
                           f"indicator {self.code}: give both satisfactory and unacceptable, or neither")
        if self.method == Method.BAND and self.lower > self.upper:
            raise _invalid(f"指标 {self.code}：下限 {self.lower} 大于上限 {self.upper}",
                           f"indicator {self.code}: lower {self.lower} > upper {self.upper}")
        if (self.method == Method.BAND) != (self.direction == Direction.BAND):
            raise _invalid(f"指标 {self.code}：区间型计分方法（band）与区间型方向（band）须同时使用",
                           f"indicator {self.code}: method band and direction band go together")
        if self.method == Method.TARGET and self.target <= 0:
            raise _invalid(f"指标 {self.code}：目标值必须大于 0", f"indicator {self.code}: the target must be > 0")
        if self.satisfactory is not None and self.satisfactory == self.unacceptable:
            raise _invalid(f"指标 {self.code}：满意值不能等于不允许值", f"indicator {self.code}: satisfactory equals unacceptable")
        return self

    @property
    def relative(self) -> bool:
        """Scored against the spread of its comparison group (min-max, z-score, efficacy with the group's
        best and worst as bounds): the methods one extreme value can distort, so the only ones outlier
        treatment applies to. Fixed thresholds from the model (target, threshold, band, efficacy with
        bounds) already bound the score, and rank points ignore distances."""
        return self.method in (Method.MINMAX, Method.ZSCORE) or (self.method == Method.EFFICACY and self.satisfactory is None)


class Treatment(_Strict):
    """Outlier treatment of raw indicator values before scoring (COINr's `Treat`): off by default.

    Within each comparison group, an indicator is flagged when |skewness| ≥ `skew` and kurtosis ≥
    `kurtosis` (both bias-corrected, excess kurtosis: COINr's `check_SkewKurt`). `winsorise` then
    replaces the most extreme value on the side of the skew with the next one in, one point at a time,
    until the flag clears or `max_points` values were changed; `log` scores the flagged indicator on
    ln(x − min + 0.01·(max − min)) (COINr's `log_CT`; mirrored for negative skew)."""

    outliers: OutlierTreatment = OutlierTreatment.OFF
    skew: float = Field(default=2.0, gt=0)
    kurtosis: float = 3.5
    max_points: int = Field(default=5, ge=1)
    indicators: tuple[str, ...] = ()  # only these indicator codes; empty = every relative indicator

    @property
    def on(self) -> bool:
        return self.outliers != OutlierTreatment.OFF


class Performance(_Strict):
    missing: MissingPolicy = MissingPolicy.REWEIGHT
    efficacy_floor: float = Field(default=0, ge=0, lt=100)
    aggregation: Aggregation = Aggregation.ARITHMETIC  # how the top-level categories combine
    geometric_shift: float = Field(default=1.0, ge=0)  # geometric mean of (score + shift), minus shift
    treatment: Treatment = Treatment()
    node: tuple[Node, ...] = ()
    indicator: tuple[Indicator, ...]


class ComplianceItem(_Strict):
    code: str
    name: str
    name_en: str = ""
    points: float = Field(gt=0)
    # a cell counts violations (e.g. of the 精文简会 limits): each costs this many of the item's points
    per_violation: float | None = Field(default=None, gt=0)
    applies_to: tuple[str, ...] = ()  # unit types the item applies to (empty: all)
    substantive: str | None = None  # reason a formalism-looking name is in fact substantive


class Compliance(_Strict):
    style: ComplianceStyle = ComplianceStyle.POINTS
    partial_share: float = Field(default=0.5, ge=0, le=1)
    item: tuple[ComplianceItem, ...] = ()


class BurdenMeasure(_Strict):
    """One measurable burden reduction (减负成效), e.g. forms merged under 多表合一 or meetings cut
    against the annual plan: `per` bonus points per unit of it (a form, a percentage point), at most
    `cap` points; a value below 0 (more than planned) earns nothing."""

    code: str
    name: str
    name_en: str = ""
    unit: str = ""
    per: float = Field(gt=0)
    cap: float | None = Field(default=None, ge=0)
    applies_to: tuple[str, ...] = ()
    substantive: str | None = None  # reason a formalism-looking name is in fact substantive


class Burden(_Strict):
    name: str = "减负成效"
    name_en: str = ""
    cap: float = Field(default=2, ge=0)  # the category's bonus at most; it counts within bonus_cap
    measure: tuple[BurdenMeasure, ...] = ()


class Adjustments(_Strict):
    bonus_cap: float = Field(default=5, ge=0)
    deduction_cap: float = Field(default=100, ge=0)
    bonus_levels: dict[str, float] = {}
    deduction_levels: dict[str, float] = {}
    burden: Burden | None = None  # 减负成效: a bonus category for measurable burden reduction


class Tier(_Strict):
    label: str
    label_en: str = ""
    min: float
    quota: float | None = Field(default=None, gt=0, le=1)


class QuotaRounding(StrEnum):
    FLOOR = "floor"  # at most the quota: 20% of 3 units is 0 places
    ROUND = "round"  # the nearest whole number, halves up: 20% of 3 is 1, of 12 is 2
    CEIL = "ceil"    # at least the quota: 20% of 11 is 3


class QuotaTies(StrEnum):
    DEMOTE_ALL = "demote_all"  # units tied across the boundary all drop (the quota is a maximum)
    KEEP_ALL = "keep_all"      # units tied with the last place all keep the tier (the quota may be exceeded)


class Grades(_Strict):
    quota_scope: Scope = Scope.GROUP
    quota_rounding: QuotaRounding = QuotaRounding.FLOOR  # places = quota × units of the scope, rounded so
    quota_min_one: bool = False  # a tier with a quota has at least one place in every scope with units
    quota_ties: QuotaTies = QuotaTies.DEMOTE_ALL
    veto_grade: str | None = None
    tier: tuple[Tier, ...]


class Annual(_Strict):
    quarter_weights: dict[str, Weight] = {"Q1": 0.25, "Q2": 0.25, "Q3": 0.25, "Q4": 0.25}


class Workflow(_Strict):
    """How a quarter's result is released: publishing, the 公示 (announcement) and the appeal window."""

    publish_requires_second_person: bool = False  # four eyes: whoever imported a version cannot publish it
    office: str = "考核办公室"                     # the issuing office named on the 公示 list and the reports
    office_en: str = "Assessment Office"
    announcement_days: int = Field(default=5, ge=1, le=60)  # a 公示 lasts this many calendar days by default
    # an appeal (申诉) must be filed within this many calendar days of the 公示's first day (that day
    # counts as day 1); None: until the 公示 ends
    appeal_days: int | None = Field(default=None, ge=1, le=60)


class WarningLevel(StrEnum):
    RED = "red"        # 红色预警
    YELLOW = "yellow"  # 黄色预警


class WarningKind(StrEnum):
    RANK_FALL = "rank_fall"                  # fell at least `places` places in each of `quarters` quarters running
    DIMENSION_BELOW = "dimension_below"      # a dimension score below `threshold`
    LOW_SAMPLE = "low_sample"                # survey sample below survey.min_sample
    SATISFACTION_FALL = "satisfaction_fall"  # 满意率 fell by at least `points` percentage points
    GRADE_LOWEST = "grade_lowest"            # graded in the lowest tier (a veto included)


class WarningRule(_Strict):
    """One early-warning rule (预警): what it looks at and the level it raises when it fires."""

    kind: WarningKind
    level: WarningLevel = WarningLevel.YELLOW
    places: int = Field(default=3, ge=1)          # rank_fall
    quarters: int = Field(default=2, ge=1, le=8)  # rank_fall: consecutive published quarters
    scope: Scope = Scope.GROUP                    # rank_fall: the rank within the group, or overall
    threshold: float = Field(default=60, ge=0, le=100)  # dimension_below
    dimensions: tuple[str, ...] = DIMENSIONS      # dimension_below
    points: float = Field(default=5, gt=0, le=100)      # satisfaction_fall, in percentage points

    @model_validator(mode="after")
    def _known_dimensions(self) -> WarningRule:
        if unknown := [d for d in self.dimensions if d not in DIMENSIONS]:
            raise _invalid(f"预警规则：未知维度 {'、'.join(unknown)}", f"warning rule: unknown dimensions {unknown}")
        return self


class EarlyWarning(_Strict):
    """预警 红/黄/绿: a unit is red when a red rule fires, yellow when only yellow ones do, else green."""

    rule: tuple[WarningRule, ...] = ()


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
    workflow: Workflow = Workflow()
    warning: EarlyWarning = EarlyWarning()

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
    def aggregation(self) -> dict[str, Aggregation]:
        """Every node's aggregation rule ("" = the dimension itself)."""
        if self.performance is None:
            return {}
        return {"": self.performance.aggregation} | {n.code: n.aggregation for n in self.performance.node}

    def treated(self, code: str) -> bool:
        """Whether the model's outlier treatment applies to indicator `code` (a relative indicator,
        among the listed ones if any are listed)."""
        t = self.performance.treatment if self.performance else None
        if t is None or not t.on:
            return False
        return self.indicators[code].relative and (not t.indicators or code in t.indicators)

    @cached_property
    def tree_weights(self) -> dict[str, float]:
        """Every node's and indicator's weight relative to its siblings."""
        return {n.code: n.weight for n in self.nodes.values()} | {i.code: i.weight for i in self.indicators.values()}

    @cached_property
    def scored_indicators(self) -> tuple[Indicator, ...]:
        """Indicators that can earn points: formalism ones never do."""
        return tuple(i for i in self.indicators.values() if not self.is_formalism(i.code))

    @cached_property
    def burden_measures(self) -> dict[str, BurdenMeasure]:
        """减负成效 measures by code ({} without a burden category)."""
        return {b.code: b for b in self.adjustments.burden.measure} if self.adjustments.burden else {}

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

    @cached_property
    def english_names(self) -> dict[str, str]:
        """Every name the model gives in Chinese (groups, categories, indicators, survey items and
        answers, compliance items, burden measures, the model's own) -> its English name, where given."""
        named = [self.model, *self.group, *self.nodes.values(), *self.indicators.values(), *self.compliance.item,
                 *self.burden_measures.values(), *(self.survey.item if self.survey else ())]
        out = {n.name: n.name_en for n in named if n.name_en}
        out |= {a.label: a.label_en for a in (self.survey.answer if self.survey else ()) if a.label_en}
        if self.reverse:
            out |= {c: e for c, e in zip(self.reverse.criteria, self.reverse.criteria_en, strict=False) if e}
        return out | {t.label: t.label_en for t in self.grades.tier if t.label_en}

    def name_in(self, name: object, lang: str) -> object:
        """A model name as shown in `lang`: its English name in English when the model gives one;
        anything else (data, a name without an English one) unchanged."""
        return self.english_names.get(name, name) if lang == "en" and isinstance(name, str) else name

    def to_toml(self) -> str:
        return tomli_w.dumps(_without_new_defaults(self.model_dump(mode="json", exclude_none=True)))


# Settings added after models were first stored (issue 16): written only when they differ from their
# defaults, so an unchanged model keeps the same text, hash and stored model version as before.
_NEW_DEFAULTS = {"aggregation": Aggregation.ARITHMETIC.value, "geometric_shift": 1.0,
                 "treatment": Treatment().model_dump(mode="json")}


def _without_new_defaults(data: dict[str, Any]) -> dict[str, Any]:
    perf = data.get("performance")
    if perf:
        for key, default in _NEW_DEFAULTS.items():
            if perf.get(key) == default:
                perf.pop(key)
        for node in perf.get("node", []):
            if node.get("aggregation") == Aggregation.ARITHMETIC.value:
                node.pop("aggregation")
    return data


class ModelProblem(_Strict):
    where: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def text(self, lang: str = "zh") -> str:
        return f"{self.where}: {self.message(lang)}" if self.where else self.message(lang)

    def __str__(self) -> str:
        return self.text("en")


def _problem(where: str, zh: str, en: str) -> ModelProblem:
    return ModelProblem(where=where, message_zh=zh, message_en=en)


class ModelError(ValueError):
    """The model file is invalid; `problems` lists every reason at once."""

    def __init__(self, source: str, problems: list[ModelProblem]):
        self.source = source
        self.problems = problems
        super().__init__(self.text("en"))

    def text(self, lang: str = "zh") -> str:
        head = f"invalid model file {self.source}:" if lang == "en" else f"模型文件无效 {self.source}："
        return "\n".join([head, *(f"  - {p.text(lang)}" for p in self.problems)])


def _sum_problem(where: str, weights: list[float], what: tuple[str, str]) -> ModelProblem | None:
    total = math.fsum(weights)
    if abs(total - 1.0) > WEIGHT_TOL:
        return _problem(where, f"{what[0]}权重之和为 {total:g}，应为 1", f"{what[1]} sum to {total:g}, must be 1")
    return None


MAX_TEXT = 200          # a name, code, label or alias in the model
MAX_REASON = 1000       # a `substantive` reason
FORMULA_START = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _text_problems(data: Any, where: str = "") -> list[ModelProblem]:
    """Every string of the model (values and table keys) is shown in the dashboard and written
    into workbooks: at most MAX_TEXT characters (MAX_REASON for a reason), not starting like a
    spreadsheet formula (= + - @), no control or invisible characters."""
    out: list[ModelProblem] = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{where}.{key}" if where else str(key)
            out += _text_problems(str(key), f"{here} (key)") if where.split(".")[-1] in _KEYED_TABLES else []
            out += _text_problems(value, here)
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            out += _text_problems(value, f"{where}[{i}]")
    elif isinstance(data, str):
        cap = MAX_REASON if where.endswith("substantive") else MAX_TEXT
        if len(data) > cap:
            out.append(_problem(where, f"文字过长（{len(data)} 个字符，上限 {cap}）", f"text too long ({len(data)} characters, limit {cap})"))
        if data.startswith(FORMULA_START):
            out.append(_problem(where, "文字不能以 = + - @ 开头（电子表格会把它当作公式）",
                                "text must not start with = + - @ (a spreadsheet would run it as a formula)"))
        if _CONTROL.search(data):
            out.append(_problem(where, "文字含有控制字符或不可见字符", "text holds control or invisible characters"))
    return out


_KEYED_TABLES = {"respondent_groups", "bonus_levels", "deduction_levels", "quarter_weights"}


def semantic_problems(m: Model) -> list[ModelProblem]:
    """Cross-field rules pydantic cannot see. Returns every problem found."""
    out: list[ModelProblem] = _text_problems(m.model_dump(mode="json", exclude_none=True))
    add = out.append
    if p := _sum_problem("dimensions", list(m.weights.values()), ("三个维度", "the three dimension weights")):
        add(p)
    groups = [g.name for g in m.group]
    if len(groups) != len(set(groups)):
        add(_problem("group", "考核组别重复", "duplicate group names"))
    if m.survey:
        labels = [a.label for a in m.survey.answer]
        for s in m.survey.satisfied:
            if s not in labels:
                add(_problem("survey.satisfied", f"“{s}”不在答案量表中", f"{s!r} is not an answer label"))
        spellings: dict[str, str] = {}
        for a in m.survey.answer:
            for key in (a.label, *a.aliases, *(str(c) for c in a.codes)):
                if key in spellings and spellings[key] != a.label:
                    add(_problem("survey.answer", f"“{key}”同时映射到 {spellings[key]} 和 {a.label}",
                                    f"{key!r} maps to two answers: {spellings[key]} and {a.label}"))
                spellings[key] = a.label
        if m.survey.respondent_groups and (
            p := _sum_problem("survey.respondent_groups", list(m.survey.respondent_groups.values()), ("受访者类别", "the respondent group weights"))
        ):
            add(p)
    burden = m.adjustments.burden.measure if m.adjustments.burden else ()
    named = [("compliance", c) for c in m.compliance.item] + [("survey", q) for q in (m.survey.item if m.survey else ())] \
        + [("adjustments.burden", b) for b in burden]
    taken = {c: "compliance" for c in (i.code for i in m.compliance.item)} | {c: "performance" for c in m.indicators}
    for b in burden:
        if b.code in taken:
            zh = {"compliance": "过程合规", "performance": "实绩指标"}[taken[b.code]]
            add(_problem(f"adjustments.burden.{b.code}", f"编码 {b.code} 已被{zh}使用",
                         f"the code {b.code} is already used in {taken[b.code]}"))
    types = set(m.unit_types)
    for where, item in [("compliance", c) for c in m.compliance.item] + [("adjustments.burden", b) for b in burden]:
        if m.group and (unknown := [t for t in item.applies_to if t not in types]):
            add(_problem(f"{where}.{item.code}", f"适用类型“{'、'.join(unknown)}”不是任何考核组别的单位类型",
                         f"applies_to {unknown} names no unit type of the groups"))
    for section, item in named:
        if item.substantive is None and (p := _formalism_problem(f"{section}.{item.code}", item.name)):
            add(p)
    if m.weights["mass"] > 0 and m.survey is None:
        add(_problem("survey", "群众评价权重非零但缺少 [survey]", "mass has weight but no [survey]"))
    if m.weights["performance"] > 0 and m.performance is None:
        add(_problem("performance", "实绩数据权重非零但缺少 [performance]", "performance has weight but no [performance]"))
    if m.weights["compliance"] > 0 and not m.compliance.item:
        add(_problem("compliance", "过程合规权重非零但没有考核项", "compliance has weight but no items"))
    out.extend(_tree_problems(m))
    out.extend(_grade_problems(m))
    return out


def _formalism_problem(where: str, name: str) -> ModelProblem | None:
    """A name the formalism screen recognises, used where it would earn points without a reason."""
    if (hit := formalism.find(name)) is None:
        return None
    family, text = hit
    return _problem(where, f"“{name}”属于形式主义计量（{family.zh}，命中“{text}”），不能计分；如确属实质性内容，请写明 substantive 理由",
                    f"{name!r} measures formalism ({family.en}, matched {text!r}): it earns no points unless marked "
                    "substantive with a reason")


def _tree_problems(m: Model) -> list[ModelProblem]:
    if m.performance is None:
        return []
    out: list[ModelProblem] = []
    codes = [n.code for n in m.performance.node] + [i.code for i in m.performance.indicator]
    for code in {c for c in codes if codes.count(c) > 1}:
        out.append(_problem(f"performance.{code}", "编码重复", "duplicate code"))
    for item in (*m.performance.node, *m.performance.indicator):
        if item.parent and item.parent not in m.nodes:
            out.append(_problem(f"performance.{item.code}", f"上级节点“{item.parent}”不存在", f"unknown parent {item.parent!r}"))
    if out:
        return out
    # a cycle in the node parents would make ancestors() loop
    for n in m.performance.node:
        seen, p = {n.code}, n.parent
        while p:
            if p in seen:
                return [_problem(f"performance.{n.code}", "节点层级存在循环", "the node parents form a cycle")]
            seen.add(p)
            p = m.nodes[p].parent
    for ind in m.performance.indicator:
        where = f"performance.{ind.code}"
        if m.is_formalism(ind.code) and ind.weight != 0:
            out.append(_problem(where, f"形式主义指标“{ind.name}”权重必须为 0（{formalism.RULE_ZH}）",
                                f"the formalism indicator {ind.name!r} must have weight 0 ({formalism.RULE_EN})"))
        elif not m.is_formalism(ind.code) and ind.weight > 0 and ind.substantive is None and (
                p := _formalism_problem(where, ind.name)):
            out.append(p)
    for code in m.performance.treatment.indicators:
        where = f"performance.treatment.indicators.{code}"
        if code not in m.indicators:
            out.append(_problem(where, f"指标“{code}”不存在", f"unknown indicator {code!r}"))
        elif not m.indicators[code].relative:
            out.append(_problem(where, f"指标 {code} 按模型给定的阈值计分（{m.indicators[code].method.value}），异常值处理只适用于"
                                "组内相对计分（minmax、zscore、未给满意值/不允许值的 efficacy）",
                                f"indicator {code} is scored on the model's fixed thresholds ({m.indicators[code].method.value}); "
                                "outlier treatment applies only to relative methods (minmax, zscore, efficacy without bounds)"))
    for n in m.performance.node:
        if n.formalism and n.weight != 0:
            out.append(_problem(f"performance.{n.code}", "形式主义类别权重必须为 0", "the formalism category must have weight 0"))
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
            name = m.nodes[parent].name if parent else "实绩数据"
            if p := _sum_problem(f"performance.{who}", weights, (f"“{name}”的下级", f"the weights of the children of {name!r}")):
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
        out.append(_problem("grades.tier", "等次下限须严格从高到低排列", "tier minimums must strictly decrease"))
    if m.grades.tier and m.grades.tier[-1].quota is not None:
        out.append(_problem("grades.tier", "最低等次不能设名额", "the lowest tier cannot have a quota"))
    if m.grades.tier and m.grades.tier[-1].min > 0:
        out.append(_problem("grades.tier", "最低等次下限应为 0", "the lowest tier must start at 0"))
    labels = m.tier_labels()
    if m.grades.veto_grade is not None and m.grades.veto_grade not in labels:
        out.append(_problem("grades.veto_grade", f"“{m.grades.veto_grade}”不是等次", f"{m.grades.veto_grade!r} is not a tier"))
    return out


# pydantic's error types in Chinese; its own (English) message is the English text
_PYDANTIC_ZH = {
    "extra_forbidden": "未知的键", "missing": "缺少必填项", "float_parsing": "应为数字", "float_type": "应为数字",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数", "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false", "string_type": "应为文字", "dict_type": "应为表（TOML table）",
    "model_type": "应为表（TOML table）", "list_type": "应为列表", "tuple_type": "应为列表",
    "greater_than_equal": "应大于或等于 {ge}", "greater_than": "应大于 {gt}", "less_than_equal": "应小于或等于 {le}",
    "less_than": "应小于 {lt}", "enum": "应为以下之一：{expected}", "finite_number": "应为有限的数",
    "literal_error": "应为以下之一：{expected}", "string_too_short": "文字太短", "too_short": "项目太少",
    "too_long": "项目太多", "value_error": "取值无效", "multiple_of": "应为 {multiple_of} 的倍数",
    "int_from_bool": "应为整数", "float_from_bool": "应为数字",
}


def _pydantic_problems(err: ValidationError) -> list[ModelProblem]:
    out = []
    for e in err.errors():
        where = ".".join(str(x) for x in e["loc"])
        ctx = e.get("ctx") or {}
        if e["type"] == "sanwei":
            out.append(_problem(where, ctx["zh"], ctx["en"]))
            continue
        en = {"extra_forbidden": "unknown key", "missing": "required key missing"}.get(e["type"], e["msg"])
        if "expected" in ctx:  # "'a', 'b' or 'c'" as a Chinese list
            ctx = {**ctx, "expected": re.sub(r",\s*|\s+or\s+", "、", str(ctx["expected"]))}
        zh = _PYDANTIC_ZH.get(e["type"], "取值无效（{type}）").format(type=e["type"], **ctx)
        out.append(_problem(where, zh, en))
    return out


def _invalid(zh: str, en: str) -> PydanticCustomError:
    """A model rule broken inside a pydantic validator, worded in both languages."""
    return PydanticCustomError("sanwei", "{en}", {"zh": zh, "en": en})


def model_from_dict(data: dict[str, Any], source: str = "<model>") -> Model:
    try:
        m = Model.model_validate(data)
    except ValidationError as err:
        raise ModelError(source, _pydantic_problems(err)) from None
    if problems := semantic_problems(m):
        raise ModelError(source, problems)
    return m


_TOML_AT = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)\s*$")


def _toml_problem(message: str) -> ModelProblem:
    """tomllib's English message, and where it is in Chinese (tomllib words its errors in English only)."""
    at = _TOML_AT.search(message)
    if at and at.group(1):
        zh = f"TOML 语法错误：第 {at.group(1)} 行第 {at.group(2)} 列附近无法解析"
    elif at:
        zh = "TOML 语法错误：文件末尾不完整"
    else:
        zh = "TOML 语法错误：无法解析"
    return _problem("", zh, f"TOML syntax error: {message}")


def model_from_toml(text: str | bytes, source: str = "<model>") -> Model:
    """A model from TOML text (bytes may carry a UTF-8 BOM); syntax errors are ModelErrors too."""
    try:
        data = tomllib.loads(text.decode("utf-8-sig") if isinstance(text, bytes) else text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as err:
        raise ModelError(source, [_toml_problem(str(err))]) from None
    except UnicodeDecodeError:
        raise ModelError(source, [_problem("", "文件不是 UTF-8 编码的文本", "the file is not UTF-8 text")]) from None
    return model_from_dict(data, source)


def default_model_toml() -> bytes:
    """The text of the model that ships with the package."""
    return resources.files("scoring").joinpath(DEFAULT_MODEL).read_bytes()


def load_model(path: str | Path | None = None) -> Model:
    """The model in the file at `path`, or the packaged default model."""
    if path is None:
        return model_from_toml(default_model_toml(), f"scoring/{DEFAULT_MODEL}")
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(str(path), [_problem("", "文件不存在", "file not found")]) from None
    return model_from_toml(text, str(path))
