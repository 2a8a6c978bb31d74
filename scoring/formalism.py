"""The formalism screen: the one place that decides what measures paperwork, not work.

Ledger thickness, meeting counts, documents issued, photos as proof, check-ins, study hours,
likes and shares earn no points (SPEC 2.3; the 2024 rules on reducing grassroots burden).
A column or indicator whose name matches a keyword below is kept out of every score unless
it is explicitly marked substantive with a reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from scoring.text import Text

RULE_ZH = "台账厚度、会议次数、发文数量、拍照留痕等不作为评判工作的标准，不计分"
RULE_EN = (
    "ledger thickness, meeting counts, documents issued, photos as proof of work and the like "
    "are not standards for judging work and earn no points"
)

# keyword -> what it measures. Matching is on the normalised header text.
KEYWORDS: dict[str, str] = {
    "台账": "台账厚度/页数 ledger thickness",
    "页数": "材料页数 page count",
    "材料数量": "材料数量 amount of material",
    "材料份数": "材料数量 amount of material",
    "会议次数": "会议次数 meeting count",
    "开会": "开会数量 meetings held",
    "会议数量": "会议数量 meeting count",
    "召开会议": "会议次数 meeting count",
    "发文": "发文数量 documents issued",
    "文件数量": "文件数量 documents issued",
    "拍照": "拍照留痕 photos as proof",
    "留痕": "留痕 proof-of-work traces",
    "照片": "照片数量 photos",
    "打卡": "工作群打卡 check-ins",
    "简报": "简报数量 bulletins",
    "信息报送": "信息报送数量 reports submitted",
    "学习时长": "学习时长 study hours",
    "学习笔记": "学习笔记 study notes",
    "笔记": "学习笔记 study notes",
    "点赞": "点赞 likes",
    "转发": "转发 shares",
    "阅读量": "阅读量 views",
    "ledger": "ledger thickness",
    "meeting count": "meeting count",
    "meetings held": "meeting count",
    "number of meetings": "meeting count",
    "documents issued": "documents issued",
    "photo": "photos as proof",
    "check-in": "check-ins",
    "study hours": "study hours",
    "likes": "likes",
    "shares": "shares",
}

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", str(text))).strip().lower()


def match(name: str) -> str | None:
    """The first formalism keyword found in `name`, or None."""
    text = _norm(name)
    for kw in KEYWORDS:
        if kw in text:
            return kw
    return None


@dataclass(frozen=True)
class Exclusion:
    """A column kept out of every score by the rule, or scored because the model marks it
    substantive (`overridden`, with the model's reason in `note`): both are listed, so nothing
    is excluded or kept silently."""

    file: str
    column: str
    keyword: str
    overridden: bool = False
    note: str = ""

    @property
    def reason(self) -> Text:
        if self.overridden:
            return Text(f"模型已标记为实质性指标，计分：{self.note}", f"marked substantive in the model, scored: {self.note}")
        return Text(f"不计分：{RULE_ZH}（命中“{self.keyword}”）", f"earns no points: {RULE_EN} (matched {self.keyword!r})")

    def as_json(self) -> dict[str, str | bool]:
        return {"file": self.file, "column": self.column, "keyword": self.keyword, "overridden": self.overridden,
                "note": self.note}


def exclusion(file: str, column: str, keyword: str) -> Exclusion:
    return Exclusion(file=file, column=column, keyword=keyword)


def substantive(file: str, column: str, keyword: str, reason: str) -> Exclusion:
    """A column that matches a keyword but is scored, because the model marks it substantive:
    reported beside the exclusions, so nobody can do it silently."""
    return Exclusion(file=file, column=column, keyword=keyword, overridden=True, note=reason)
