"""The formalism screen: the one place that decides what measures paperwork, not work.

Ledger thickness, meeting counts, documents issued, photos as proof, check-ins, study hours,
likes and shares earn no points (SPEC 2.3; the 2024 rules on reducing grassroots burden).
A column or indicator whose name falls in one of the families below is kept out of every score
unless it is explicitly marked substantive with a reason. Families match a subject (meetings,
documents, ledgers…) together with a measure of amount (次数, 数量, 页数…) in any order, so word
order variants such as 会议召开次数 are caught and results of work such as 会议决定事项落实率 are not.
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

# Count words: what turns a subject (meetings, documents…) into a measure of paperwork. A single
# character (会议数, 发文(件)) counts only at the end of the header or before a unit in brackets.
_COUNT = (r"次数|数量|件数|份数|篇数|个数|场次|场数|频次|频率|人次|总数|期数|条数|张数|多少"
          r"|[数次场件份篇期个](?=$|[(\[])|[(\[](?:次|场|件|份|篇|页|个|期|条|张|人次)[)\]]")
_WINDOW = 4  # at most this many characters between a subject and its measure, in either order


@dataclass(frozen=True)
class Family:
    """One kind of formalism measure: a header matches when it names one of `subjects` and, within
    `_WINDOW` characters before or after it, one of `measures` (regular expressions on the
    normalised header). A family without measures matches on its subject alone; a header that is
    nothing but a subject (e.g. "信息报送", "会议") matches too."""

    key: str
    zh: str
    en: str
    subjects: str
    measures: str = ""


FAMILIES: tuple[Family, ...] = (
    Family("meetings", "会议次数/开会数量", "meeting counts",
           r"会议|开会|召开|例会|座谈会|调度会|部署会|推进会|视频会|会商", _COUNT),
    Family("documents", "发文/印发文件数量", "documents issued",
           r"发文|印发|下发|文件|公文|发函|转发文", _COUNT),
    Family("ledgers", "台账、材料的厚度/页数/份数", "ledger thickness, pages or copies of material",
           r"台账|材料|资料|档案|汇报稿", r"页数|厚度|份数|数量|本数|册数|盒数|[页本册盒份](?=$|[(\[])|[(\[](?:页|本|册|盒|份|cm|厘米)[)\]]"),
    Family("pages", "页数", "page counts", r"页数|页码数"),
    Family("traces", "留痕", "proof-of-work traces", r"留痕|痕迹管理"),
    Family("photos", "拍照留痕", "photos as proof of work", r"拍照|照片|图片|截图|影像资料",
           _COUNT + r"|留痕|上传|张"),
    Family("checkins", "打卡签到", "check-ins", r"打卡|签到"),
    Family("bulletins", "简报数量", "bulletins", r"(?<!精)简报(?![表告])|专报"),  # not 精简报表 (forms cut)
    Family("reports", "信息报送数量", "reports submitted", r"信息报送|报送信息|信息上报|政务信息|信息采用",
           _COUNT + r"|采用数|采用量|得分|积分"),
    Family("study", "学习时长/积分/笔记", "study hours, points or notes", r"学习|学时",
           r"时长|积分|笔记|心得|小时|学时|时间|打卡|" + _COUNT),
    Family("study_app", "学习强国积分", "study-app points", r"学习强国|学习笔记|读书笔记|心得体会"),
    Family("social", "点赞、转发、阅读量", "likes, shares and views",
           r"点赞|转发量|转发数|转发次数|阅读量|阅读数|浏览量|播放量|粉丝|关注量|评论数|分享量"),
    # English headers
    Family("meetings_en", "会议次数", "meeting counts", r"\bmeetings?\b|\bconferences?\b",
           r"\bcount\b|\bnumber\b|\bheld\b|\bfrequency\b|\btimes\b|\bconvened\b"),
    Family("documents_en", "发文数量", "documents issued", r"\bdocuments?\b|\bcirculars?\b|\bfiles?\b|\bpapers?\b",
           r"\bissued\b|\bcount\b|\bnumber\b|\bsent\b"),
    Family("ledgers_en", "台账厚度", "ledger thickness", r"\bledgers?\b|\bbinders?\b|\bmaterials?\b",
           r"\bpages?\b|\bthickness\b|\bcount\b|\bnumber\b|\bvolumes?\b|\bcopies\b"),
    Family("other_en", "形式主义计量", "paperwork measures",
           r"\bpage counts?\b|\bnumber of pages\b|\bphotos?\b|\bpictures?\b|\bcheck-?ins?\b|\bbulletins?\b"
           r"|\bbriefings? (?:count|number|issued)\b|\bstudy (?:hours|time|points|notes)\b|\blikes\b|\bshares\b"
           r"|\bviews\b|\breposts?\b|\breports? submitted\b|\bproof[- ]of[- ]work\b"),
)

_SPACE = re.compile(r"\s+")
_UNIT = re.compile(r"[(\[][^()\[\]]*[)\]]$")
_COMPILED = [(f, re.compile(f.subjects), re.compile(f.measures) if f.measures else None) for f in FAMILIES]


def _norm(text: str) -> str:
    """NFKC (full-width brackets and letters to half-width), one space between words, lower case;
    Chinese brackets 【】 become []."""
    text = unicodedata.normalize("NFKC", str(text)).replace("【", "[").replace("】", "]")
    return _SPACE.sub(" ", text).strip().lower()


def _gap(a: re.Match, b: re.Match) -> int:
    return b.start() - a.end() if a.end() <= b.start() else a.start() - b.end()


def find(name: str) -> tuple[Family, str] | None:
    """The formalism family a header or model name belongs to and the text that shows it, or None.

    Families, not strings: a meeting word and a count word in any order (会议次数, 会议召开次数,
    召开会议(次), 开会数量), documents with a count (发文数量, 印发文件件数), ledgers or material with
    pages, thickness or copies, anything 留痕 or 打卡, bulletins, reports submitted, study hours
    and points, likes, shares and views. A rate or a result of a meeting (会议决定事项落实率) is not
    a count of meetings and does not match."""
    text = _norm(name)
    bare = _UNIT.sub("", text).strip()
    for family, subject, measure in _COMPILED:
        subjects = list(subject.finditer(text))
        if not subjects:
            continue
        if measure is None or subject.fullmatch(bare):
            s = subjects[0]
            return family, text[s.start():s.end()]
        # measures are searched with the subjects blanked out, so 文件 does not count its own 件
        masked = list(text)
        for s in subjects:
            masked[s.start():s.end()] = "\0" * (s.end() - s.start())
        for m in measure.finditer("".join(masked)):
            for s in subjects:
                if _gap(s, m) <= _WINDOW:
                    lo, hi = min(s.start(), m.start()), max(s.end(), m.end())
                    return family, text[lo:hi]
    return None


def match(name: str) -> str | None:
    """The text of `name` that makes it a formalism measure (e.g. "会议召开次数"), or None."""
    hit = find(name)
    return hit[1] if hit else None


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
