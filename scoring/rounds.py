"""Online rating rounds of 基层评议上级: what a round is, its one-time tokens, why a ballot is refused,
and how its ballots become the reverse ratings the pipeline scores exactly like imported ones.

Anonymity is a property of what is stored, not a promise: a token is a random secret (160 bits)
stored only as its hash and marked used without a time; a ballot is a random id, its round, its
ratings and — only when the round counts raters per unit — its rater unit (see
`scoring.store.schema` and `scoring.store.rounds`). There is no free-text field.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import numpy as np
import pandas as pd

from scoring.inputs import REVERSE_ID_COLUMNS, anonymise_raters
from scoring.text import SanweiError

TOKEN_BYTES = 20                     # 160 random bits per token (the issue asks for at least 128)
TOKEN_FORM = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ROUND_PERIOD = re.compile(r"^\d{4}(Q[1-4])?$")  # a quarter (2026Q3) or a year (2026)
MAX_BALLOTS_PER_UNIT = 500


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Tokens carry 160 random bits, so a plain sha256 cannot be reversed by guessing."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_ballot_id() -> str:
    return secrets.token_hex(16)


class RoundStatus(StrEnum):
    DRAFT = "draft"    # created, sheets printable, ballots not yet accepted
    OPEN = "open"      # ballots accepted between opens_on and closes_on
    CLOSED = "closed"  # final: results can be shown and fed into scoring


@dataclass(frozen=True)
class RoundSpec:
    """What an officer asks for: the period rated, the departments, the criteria and answer labels
    (from the model), the rater units with the ballots each gets, the dates, and whether ballots
    carry their rater unit (then k counts distinct units)."""

    period: str
    departments: tuple[str, ...]
    criteria: tuple[str, ...]
    scale: tuple[str, ...]
    raters: dict[str, int]
    opens_on: date
    closes_on: date
    per_unit: bool = True

    def problems(self) -> list[tuple[str, str]]:
        """Why the round cannot be created as asked (zh, en); [] when it can."""
        out = []
        if not ROUND_PERIOD.match(self.period):
            out.append((f"期次应为季度（2026Q3）或年度（2026），而不是“{self.period}”",
                        f"the period must be a quarter (2026Q3) or a year (2026), not {self.period!r}"))
        if not self.departments:
            out.append(("请至少选择一个被评部门", "choose at least one department to rate"))
        if not self.criteria or not self.scale:
            out.append(("模型没有基层评议的评议内容或答案量表", "the model has no reverse criteria or answer scale"))
        if not self.raters:
            out.append(("请至少选择一个评议单位", "choose at least one rater unit"))
        bad = [u for u, n in self.raters.items() if not 1 <= int(n) <= MAX_BALLOTS_PER_UNIT]
        if bad:
            out.append((f"每个评议单位的票数应在 1 到 {MAX_BALLOTS_PER_UNIT} 之间：{'、'.join(bad)}",
                        f"each rater unit gets 1 to {MAX_BALLOTS_PER_UNIT} ballots: {', '.join(bad)}"))
        if both := sorted(set(self.departments) & set(self.raters)):
            out.append((f"单位不能评议自己：{'、'.join(both)}", f"a unit cannot rate itself: {', '.join(both)}"))
        if self.closes_on < self.opens_on:
            out.append(("截止日期早于开始日期", "the closing date is before the opening date"))
        return out


@dataclass(frozen=True)
class Round:
    id: int
    period: str
    departments: tuple[str, ...]
    criteria: tuple[str, ...]
    scale: tuple[str, ...]
    per_unit: bool
    opens_on: date
    closes_on: date
    status: RoundStatus
    created_by: str
    created_at: str
    closed_at: str | None
    raters: dict[str, int] = field(default_factory=dict)  # unit_id -> ballots issued

    def refusal(self, today: date) -> Refusal | None:
        """Why a ballot of this round cannot be cast today, or None."""
        if self.status == RoundStatus.CLOSED:
            return Refusal.CLOSED
        if self.status == RoundStatus.DRAFT or today < self.opens_on:
            return Refusal.NOT_YET
        if today > self.closes_on:
            return Refusal.EXPIRED
        return None

    def quarters(self) -> list[str]:
        """The quarters whose versions this round may feed: its quarter, or any quarter of its year."""
        return [self.period] if "Q" in self.period else [f"{self.period}Q{q}" for q in range(1, 5)]


class Refusal(StrEnum):
    UNKNOWN = "unknown"    # no such token (mistyped, guessed, or reissued)
    USED = "used"
    NOT_YET = "not_yet"
    EXPIRED = "expired"
    CLOSED = "closed"
    LIMITED = "limited"    # too many refused attempts from this client
    INCOMPLETE = "incomplete"  # the ballot does not answer every question with an offered answer


class BallotRefused(SanweiError):
    """A ballot page or a submission refused, with the reason in words the rater understands."""

    TEXT = {
        Refusal.UNKNOWN: ("此评议链接无效。请核对链接或二维码；如仍无效，请向发放评议票的工作人员索取新的评议票。",
                          "This ballot link is not valid. Check the link or QR code; if it still fails, ask "
                          "whoever handed out the ballots for a new one."),
        Refusal.USED: ("此评议票已经使用过，每张票只能提交一次。", "This ballot has already been used: each ballot can be cast once."),
        Refusal.NOT_YET: ("本轮评议尚未开始（开始日期 {opens_on}）。", "This rating round has not started yet (it opens on {opens_on})."),
        Refusal.EXPIRED: ("本轮评议已于 {closes_on} 截止，评议票已过期。", "This rating round ended on {closes_on}: the ballot has expired."),
        Refusal.CLOSED: ("本轮评议已结束，不再接受评议票。", "This rating round is closed and accepts no more ballots."),
        Refusal.LIMITED: ("尝试次数过多，请 {minutes} 分钟后再试。", "Too many attempts: try again in {minutes} minute(s)."),
        Refusal.INCOMPLETE: ("请对每个部门的每一项作出选择（不了解的请选“{unknown}”）后再提交。",
                             "Answer every question for every department (choose “{unknown}” where you cannot judge) "
                             "before submitting."),
    }

    def __init__(self, code: Refusal, **values):
        self.code = code
        zh, en = self.TEXT[code]
        super().__init__(zh.format(**values), en.format(**values))


def check_ratings(rnd: Round, ratings: dict) -> dict[str, list[str]]:
    """A ballot's ratings as stored: every department of the round, one offered answer label per
    criterion, nothing else (no free text can enter a ballot). Raises BallotRefused(INCOMPLETE)."""
    unknown = rnd.scale[-1] if rnd.scale else ""
    if not isinstance(ratings, dict) or set(ratings) != set(rnd.departments):
        raise BallotRefused(Refusal.INCOMPLETE, unknown=unknown)
    out = {}
    for dept in rnd.departments:
        answers = ratings[dept]
        if not isinstance(answers, list | tuple) or len(answers) != len(rnd.criteria) or \
                any(a not in rnd.scale for a in answers):
            raise BallotRefused(Refusal.INCOMPLETE, unknown=unknown)
        out[dept] = [str(a) for a in answers]
    return out


def rating_frame(rnd: Round, ballots: list[tuple[str | None, dict]], units_taking_part: int, k: int,
                 rng: np.random.Generator | None = None) -> pd.DataFrame:
    """The round's ballots as reverse ratings (rater, unit_id, one column per criterion), anonymised
    like an import (`anonymise_raters`). A round that counts per unit makes each rater unit one rater
    (k distinct units); otherwise each ballot is a rater, and when fewer than k rater units took
    part at all no ballot counts as a rater, so every department falls under the model's below-k
    rule: k ballots from fewer than k units would not hide a unit."""
    rows = []
    for n, (unit, ratings) in enumerate(ballots):
        if rnd.per_unit:
            rater = unit
        else:
            rater = f"b{n}" if units_taking_part >= k else None
        rows.extend((rater, dept, *ratings[dept]) for dept in rnd.departments if dept in ratings)
    frame = pd.DataFrame(rows, columns=[*REVERSE_ID_COLUMNS, *rnd.criteria])
    return anonymise_raters(frame, rng) if len(frame) else frame


def participation(rnd: Round, used: dict[str, int]) -> pd.DataFrame:
    """Per rater unit: ballots issued, ballots cast, the rate (token use is counted, never timed)."""
    rows = [(u, n, int(used.get(u, 0))) for u, n in rnd.raters.items()]
    df = pd.DataFrame(rows, columns=["unit_id", "issued", "cast"])
    df["rate"] = (df["cast"] / df["issued"]).where(df["issued"] > 0)
    return df.sort_values("unit_id").reset_index(drop=True)
