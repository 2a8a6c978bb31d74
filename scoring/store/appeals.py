"""公示 periods, appeals (申诉) and their evidence files in the store: rows in, rows out.

Who may file, decide or read them, and when, is the service's rule (`scoring.service`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from scoring.store import schema as s

_A, _F, _N, _V = s.appeals, s.appeal_files, s.announcements, s.versions

FILED, ACCEPTED, REJECTED, CORRECTED = "filed", "accepted", "rejected", "corrected"
STATUSES = (FILED, ACCEPTED, REJECTED, CORRECTED)


@dataclass(frozen=True)
class Announcement:
    """A 公示: the period, the version published with it, its first and last day and the last day
    an appeal is accepted (ISO dates, both ends included), the issuing office, who opened it."""

    id: int
    period: str
    version: int
    starts_on: str
    ends_on: str
    appeal_until: str
    office: str
    opened_by: str
    opened_at: str


@dataclass(frozen=True)
class EvidenceInfo:
    seq: int
    file_name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Appeal:
    id: int
    period: str
    version: int            # the published version the appeal is against
    unit_id: str
    target: str             # indicator:<code> | compliance:<code> | deduction | veto
    reason: str
    status: str             # filed | accepted | rejected | corrected
    filed_by: str
    filed_at: str
    decided_by: str | None
    decided_at: str | None
    reply: str | None
    correction_version: int | None  # the corrected version an accepted appeal led to
    files: tuple[EvidenceInfo, ...] = ()

    @property
    def open(self) -> bool:
        """Still waiting: not decided, or accepted and its correction not yet published."""
        return self.status in (FILED, ACCEPTED)


@dataclass(frozen=True)
class NewEvidence:
    file_name: str
    content_type: str
    sha256: str
    data: bytes


def _number(conn: Connection, version_id: int | None) -> int | None:
    if version_id is None:
        return None
    return conn.execute(select(_V.c.number).where(_V.c.id == version_id)).scalar()


def announcement(conn: Connection, period: str) -> Announcement | None:
    """The 公示 in force for `period` (the latest opened), or None."""
    row = conn.execute(select(_N, _V.c.number).join(_V, _V.c.id == _N.c.version_id)
                       .where(_N.c.period == period).order_by(_N.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return Announcement(row.id, row.period, row.number, row.starts_on, row.ends_on, row.appeal_until, row.office,
                        row.opened_by, row.opened_at)


def open_announcement(conn: Connection, period: str, version_id: int, starts_on: str, ends_on: str,
                      appeal_until: str, office: str, who: str, now: str) -> int:
    return conn.execute(_N.insert().values(period=period, version_id=version_id, starts_on=starts_on, ends_on=ends_on,
                                           appeal_until=appeal_until, office=office, opened_by=who,
                                           opened_at=now)).inserted_primary_key[0]


def _files(conn: Connection, ids: list[int]) -> dict[int, tuple[EvidenceInfo, ...]]:
    out: dict[int, list[EvidenceInfo]] = {}
    if ids:
        for r in conn.execute(select(_F.c.appeal_id, _F.c.seq, _F.c.file_name, _F.c.content_type, _F.c.size,
                                     _F.c.sha256).where(_F.c.appeal_id.in_(ids)).order_by(_F.c.appeal_id, _F.c.seq)):
            out.setdefault(r.appeal_id, []).append(EvidenceInfo(r.seq, r.file_name, r.content_type, r.size, r.sha256))
    return {k: tuple(v) for k, v in out.items()}


def _appeal(row: Any, numbers: dict[int, int], files: dict[int, tuple[EvidenceInfo, ...]]) -> Appeal:
    return Appeal(row.id, row.period, numbers[row.version_id], row.unit_id, row.target, row.reason, row.status,
                  row.filed_by, row.filed_at, row.decided_by, row.decided_at, row.reply,
                  numbers.get(row.correction_version_id), files.get(row.id, ()))


def listing(conn: Connection, period: str | None = None, unit_id: str | None = None,
            appeal_id: int | None = None) -> list[Appeal]:
    q = select(_A).order_by(_A.c.id)
    if period is not None:
        q = q.where(_A.c.period == period)
    if unit_id is not None:
        q = q.where(_A.c.unit_id == unit_id)
    if appeal_id is not None:
        q = q.where(_A.c.id == appeal_id)
    rows = conn.execute(q).all()
    vids = {r.version_id for r in rows} | {r.correction_version_id for r in rows if r.correction_version_id}
    numbers = dict(conn.execute(select(_V.c.id, _V.c.number).where(_V.c.id.in_(vids))).all()) if vids else {}
    files = _files(conn, [r.id for r in rows])
    return [_appeal(r, numbers, files) for r in rows]


def create(conn: Connection, period: str, version_id: int, unit_id: str, target: str, reason: str,
           evidence: list[NewEvidence], who: str, now: str) -> int:
    appeal_id = conn.execute(_A.insert().values(
        period=period, version_id=version_id, unit_id=unit_id, target=target, reason=reason, status=FILED,
        filed_by=who, filed_at=now)).inserted_primary_key[0]
    if evidence:
        conn.execute(_F.insert(), [{"appeal_id": appeal_id, "seq": i, "file_name": e.file_name,
                                    "content_type": e.content_type, "size": len(e.data), "sha256": e.sha256,
                                    "data": e.data} for i, e in enumerate(evidence)])
    return appeal_id


def status_for_update(conn: Connection, appeal_id: int) -> Any:
    """The appeal's row, locked against a concurrent decision (FOR UPDATE; SQLite's writer lock already is)."""
    return conn.execute(select(_A).where(_A.c.id == appeal_id).with_for_update()).first()


def decide(conn: Connection, appeal_id: int, status: str, reply: str, who: str, now: str) -> None:
    conn.execute(_A.update().where(_A.c.id == appeal_id).values(status=status, reply=reply, decided_by=who,
                                                                decided_at=now))


def link_correction(conn: Connection, appeal_id: int, version_id: int) -> None:
    conn.execute(_A.update().where(_A.c.id == appeal_id).values(correction_version_id=version_id))


def corrected_by(conn: Connection, version_id: int) -> list[int]:
    """Accepted appeals whose correction is `version_id` (they become corrected when it is published)."""
    return [i for (i,) in conn.execute(select(_A.c.id).where(_A.c.correction_version_id == version_id,
                                                             _A.c.status == ACCEPTED))]


def mark_corrected(conn: Connection, ids: list[int]) -> None:
    if ids:
        conn.execute(_A.update().where(_A.c.id.in_(ids)).values(status=CORRECTED))


def evidence(conn: Connection, appeal_id: int, seq: int) -> tuple[str, str, bytes] | None:
    row = conn.execute(select(_F.c.file_name, _F.c.content_type, _F.c.data)
                       .where(_F.c.appeal_id == appeal_id, _F.c.seq == seq)).first()
    return None if row is None else (row.file_name, row.content_type, bytes(row.data))
