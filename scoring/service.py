"""The application service: the one entrance for every change of state, used by the CLI and the dashboard.

import → validate → score → store is one path here; publishing, models and accounts too. The store
(`scoring.store`) only persists; the importer only reads; the pipeline only scores. A service
acts for one signed-in account (`Actor`) and checks its permissions (`scoring.auth.GRANTS`) at
every change of state and every read that is not for everyone — whichever page, hidden page,
crafted request or command asked — so a refusal never changes anything. The audit log names
the account.
"""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from scoring import annual, anonymity, auth, evidence, feedback, rounds
from scoring import warning as early
from scoring.auth import SYSTEM, Actor, Permission, PermissionDenied, Role, SignInError
from scoring.feedback import announce
from scoring.importer import read_period
from scoring.inputs import PREVIOUS_COLUMNS, PeriodInputs, previous_period
from scoring.model import MissingPolicy, Model, ReverseCycle, load_model
from scoring.pipeline import PeriodResult, score_period
from scoring.ratelimit import Limiter
from scoring.report import InputError, Report
from scoring.rounds import BallotRefused, Refusal, Round, RoundSpec, RoundStatus
from scoring.store.accounts import Account
from scoring.store.appeals import Announcement, Appeal, NewEvidence
from scoring.store.db import NotFound
from scoring.store.io import dumps
from scoring.store.store import FileRecord, NewAccount, NewVersion, Store, Version, VersionInfo, new_version
from scoring.text import SanweiError

Files = Sequence[tuple[str, bytes | Path]]
P = Permission
MIN_REASON = 2  # characters a publication, rollback or activation reason needs at least


class InvalidRequest(SanweiError, ValueError):
    """A request that is understood but cannot be carried out as asked; nothing was changed."""


# One import (reading and validating uploads) at a time per server process: each read runs in a
# memory-limited child, and two at once would double what the server must hold. Re-entrant, so
# import_files may validate under it; another thread is told to wait, never queued silently.
_IMPORT_GATE = threading.RLock()


class ImportBusy(SanweiError):
    """Another import is running in this server process."""

    def __init__(self) -> None:
        super().__init__("本服务器上另一项数据导入正在进行，请等它完成后再试。",
                         "Another import is running on this server; try again when it has finished.")


# Refused ballot attempts (unknown, used, expired tokens …) per client address and server process
BALLOT_ATTEMPTS = Limiter(limit=10, window_s=600)


class DifferencingRefused(InvalidRequest):
    """Publishing would let two published versions of a period reveal single raters."""


@contextmanager
def one_import() -> Iterator[None]:
    """Hold the server's import gate, or raise ImportBusy at once."""
    if not _IMPORT_GATE.acquire(blocking=False):
        raise ImportBusy()
    try:
        yield
    finally:
        _IMPORT_GATE.release()


def today() -> date:
    """The office's calendar day ($SANWEI_TZ, default Asia/Shanghai): 公示 and appeal deadlines are
    days there, whatever the server's clock zone. Tests replace this function."""
    try:
        return datetime.now(ZoneInfo(os.environ.get("SANWEI_TZ", "Asia/Shanghai"))).date()
    except ZoneInfoNotFoundError:
        return date.today()


# What the result of a period is now (period_status): no 公示 opened; 公示 running; 公示 over but
# appeals still open; final.
PUBLISHED, ANNOUNCING, REVIEWING, FINAL = "published", "announcing", "reviewing", "final"


def encode(model: Model, inputs: PeriodInputs, files: Sequence[FileRecord] = (),
           report: Report | None = None) -> NewVersion:
    """Score `inputs` and encode them for the store (CPU work, done before any lock is taken)."""
    result = score_period(model, inputs)
    return new_version(model, inputs, result.units, result.to_json(), files, report)


def actor_of(account: Account) -> Actor:
    return Actor(account.username, frozenset(Role(r) for r in account.roles if r in Role.__members__.values()),
                 account.unit_id, account.display_name)


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidRequest("请写明理由（将与版本一并保存）", "give a reason (it is kept with the version)")
    return text


class Service:
    """`Service(store, actor)`: what `actor` may do with the store. The default model is the
    packaged one unless another is given (tests, a model file named on the command line)."""

    def __init__(self, store: Store, actor: Actor, default_model: Model | None = None):
        self.store = store
        self.actor = actor
        self._default = default_model

    @property
    def default_model(self) -> Model:
        if self._default is None:
            self._default = load_model()
        return self._default

    def require(self, permission: Permission) -> None:
        if not self.actor.can(permission):
            raise PermissionDenied(self.actor, permission)

    # ------------------------------------------------------------------ signing in
    @classmethod
    def sign_in(cls, store: Store, username: str, password: str, **kw) -> Service:
        """Check a password (argon2); repeated failures lock the account for a growing time. The
        refusal never tells an unknown account from a wrong password."""
        username = username.strip()
        account = store.account(username)
        if account is not None and (until := _locked_until(account)):
            raise SignInError(f"连续登录失败次数过多，账户已锁定至 {until:%H:%M}（UTC）",
                              f"too many failed attempts: the account is locked until {until:%H:%M} UTC")
        ok = auth.verify_password(account.password_hash if account else None, password)
        after = store.record_sign_in(username, ok and not account.disabled, auth.lock_minutes, "password")
        if not ok or after is None:
            raise SignInError("账户名或密码不正确", "wrong account name or password")
        if after.disabled:
            raise SignInError("此账户已停用", "this account is disabled")
        if auth.needs_rehash(account.password_hash):
            store.update_account(username, username, "rehash", password_hash=auth.hash_password(password))
        return cls(store, actor_of(after), **kw)

    @classmethod
    def sign_in_sso(cls, store: Store, identity: str, **kw) -> Service:
        """The account mapped to an identity the office's identity provider vouched for."""
        account = store.account_by_sso(identity) if identity else None
        if account is None:
            raise SignInError(f"身份“{identity}”没有对应的账户，请联系管理员开通",
                              f"no account is mapped to the identity {identity!r}: ask the administrator")
        if account.disabled:
            raise SignInError("此账户已停用", "this account is disabled")
        store.record_sign_in(account.username, True, auth.lock_minutes, "sso")
        return cls(store, actor_of(account), **kw)

    @classmethod
    def sign_in_demo(cls, store: Store, username: str, **kw) -> Service:
        """One click into a demo account (the caller allows this only in demo mode); real accounts never."""
        account = store.account(username)
        if account is None or not account.demo or account.disabled:
            raise SignInError("不是示范账户", "not a demo account")
        store.record_sign_in(username, True, auth.lock_minutes, "demo")
        return cls(store, actor_of(account), **kw)

    @classmethod
    def resume(cls, store: Store, username: str, **kw) -> Service:
        """The service of a session signed in earlier, with the account as it is now (a disabled
        account or a changed role takes effect at the next request)."""
        account = store.account(username)
        if account is None or account.disabled:
            raise SignInError("此账户已停用或不存在，请重新登录", "this account is disabled or gone: sign in again")
        return cls(store, actor_of(account), **kw)

    # ------------------------------------------------------------------ accounts
    @staticmethod
    def create_first_admin(store: Store, username: str, password: str, display_name: str = "") -> None:
        """The first account of a store, an administrator, made on the command line (never a default password)."""
        _check_password(username, password)
        store.create_account(NewAccount(username, display_name or username, auth.hash_password(password),
                                        frozenset({Role.ADMIN.value})), SYSTEM.username, first=True)

    def add_account(self, username: str, password: str | None, roles: Iterable[Role], display_name: str = "",
                    unit_id: str | None = None, sso: str | None = None) -> None:
        self.require(P.MANAGE_ACCOUNTS)
        roles = frozenset(Role(r) for r in roles)
        self._check_account(username, roles, unit_id)
        if password is None and not sso:
            raise InvalidRequest("请设置密码，或绑定统一身份认证", "set a password or map a single sign-on identity")
        _check_password(username, password)
        self.store.create_account(NewAccount(
            username, display_name or username, auth.hash_password(password) if password else None,
            frozenset(r.value for r in roles), unit_id, sso or None), self.actor.username)

    def set_password(self, username: str, password: str) -> None:
        """An administrator sets anyone's password; everyone may change their own."""
        if username != self.actor.username:
            self.require(P.MANAGE_ACCOUNTS)
        _check_password(username, password)
        self.store.update_account(username, self.actor.username, "set_password", password_hash=auth.hash_password(password),
                                  failures=0, locked_until=None)

    def set_disabled(self, username: str, disabled: bool = True) -> None:
        self.require(P.MANAGE_ACCOUNTS)
        if disabled and username == self.actor.username:
            raise InvalidRequest("不能停用自己的账户", "you cannot disable your own account")
        if disabled:
            self._keep_an_admin(username, frozenset())
        self.store.update_account(username, self.actor.username, "disable" if disabled else "enable",
                                  disabled=int(disabled))

    def set_roles(self, username: str, roles: Iterable[Role], unit_id: str | None = None) -> None:
        self.require(P.MANAGE_ACCOUNTS)
        roles = frozenset(Role(r) for r in roles)
        account = self._account(username)
        unit_id = unit_id if unit_id is not None else account.unit_id
        self._check_account(username, roles, unit_id)
        self._keep_an_admin(username, roles)
        self.store.set_roles(username, frozenset(r.value for r in roles), self.actor.username)
        if unit_id != account.unit_id:
            self.store.update_account(username, self.actor.username, "set_unit", {"unit_id": unit_id}, unit_id=unit_id)

    def set_sso(self, username: str, identity: str | None) -> None:
        self.require(P.MANAGE_ACCOUNTS)
        self.store.update_account(username, self.actor.username, "set_sso", {"sso": identity}, sso=identity or None)

    def set_language(self, lang: str) -> None:
        """The signed-in account's language, kept for its next visit."""
        if lang in ("zh", "en"):
            self.store.update_account(self.actor.username, self.actor.username, "set_language", lang=lang)

    def accounts(self) -> list[Account]:
        self.require(P.MANAGE_ACCOUNTS)
        return self.store.accounts()

    def audit(self, limit: int = 500) -> pd.DataFrame:
        self.require(P.VIEW_AUDIT)
        return self.store.audit(limit)

    def _account(self, username: str) -> Account:
        account = self.store.account(username)
        if account is None:
            raise NotFound(f"没有账户“{username}”", f"no account {username!r}")
        return account

    def _check_account(self, username: str, roles: frozenset[Role], unit_id: str | None) -> None:
        if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise InvalidRequest("账户名只能由字母、数字和 - _ . 组成（至多 64 个字符）",
                                 "an account name is letters, digits and - _ . (at most 64 characters)")
        if not roles:
            raise InvalidRequest("请至少指定一个角色", "give at least one role")
        if (Role.UNIT in roles) != bool(unit_id):
            raise InvalidRequest("被考核单位账户必须且只能绑定一个单位编码",
                                 "a unit account needs a unit code, and only a unit account has one")
        roster = self.store.roster()
        if unit_id and len(roster) and unit_id not in set(roster["unit_id"]):
            raise InvalidRequest(f"单位编码“{unit_id}”不在单位名录中", f"unit code {unit_id!r} is not in the roster")

    def _keep_an_admin(self, username: str, roles: frozenset[Role]) -> None:
        """Never leave the store without an enabled administrator."""
        admins = [a for a in self.store.accounts() if Role.ADMIN.value in a.roles and not a.disabled]
        if Role.ADMIN not in roles and [a.username for a in admins] == [username]:
            raise InvalidRequest("至少要保留一个启用的管理员", "at least one enabled administrator must remain")

    # ------------------------------------------------------------------ models
    def active_model(self) -> Model:
        """The model imports are scored with: the last one activated in the store, else the default."""
        return self.store.active_model(self.default_model)

    def save_model(self, model: Model, note: str = "") -> int:
        """Keep a model as a draft version (never overwriting one); it scores nothing until activated."""
        self.require(P.DRAFT_MODEL)
        return self.store.save_model(model, self.actor.username, note.strip())

    def model_versions(self) -> pd.DataFrame:
        self.require(P.VIEW_MODEL)
        return self.store.model_versions()

    def activate_model(self, model_id: int, reason: str) -> None:
        """Make a stored model version the one new imports are scored with."""
        self.require(P.ACTIVATE_MODEL)
        self.store.activate_model(model_id, self.actor.username, _reason(reason))

    # ------------------------------------------------------------------ imports
    def validate(self, period: str, files: Files, model: Model | None = None,
                 tables: dict | None = None, period_override: bool = False) -> tuple[PeriodInputs | None, Report]:
        """Read and check spreadsheets, storing nothing. Without a units file among `files`, the
        roster in effect for `period` is used; `tables` are files already read (see read_period);
        `period_override` confirms `period` against files that name another one."""
        self.require(P.IMPORT)
        with one_import():
            roster = self.store.roster(period)
            return read_period(model or self.active_model(), period, files, roster if len(roster) else None, tables,
                               period_override=period_override)

    def check_uploads(self, period: str, files: Files, model: Model | None = None, period_override: bool = False
                      ) -> tuple[list[dict], PeriodInputs | None, Report]:
        """What the import page shows: each upload's preview (its first rows, or why it cannot be
        read) and the full validation, every file read once. Returns the previews without their
        parsed tables, so nothing larger than a preview outlives the call."""
        from scoring.preview import preview

        self.require(P.IMPORT)
        model = model or self.active_model()
        with one_import():
            previews = [preview(name, data, model) for name, data in files]
            tables = {p["name"]: p.pop("table") for p in previews}
            inputs, report = self.validate(period, files, model, {n: t for n, t in tables.items() if t is not None},
                                           period_override)
        return previews, inputs, report

    def import_files(self, period: str, files: Files, model: Model | None = None, period_override: bool = False
                     ) -> tuple[VersionInfo | None, Report]:
        """Validate spreadsheets; with no errors, score and store them as a new draft version."""
        model = model or self.active_model()
        with one_import():
            inputs, report = self.validate(period, files, model, period_override=period_override)
            if inputs is None:
                return None, report
            return self.store_inputs(model, inputs, [FileRecord.of(n, d) for n, d in files], report), report

    def store_inputs(self, model: Model, inputs: PeriodInputs, files: Sequence[FileRecord] = (),
                     report: Report | None = None, appeal_id: int | None = None) -> VersionInfo:
        """Store already validated inputs as a new draft version of their period; with `appeal_id`,
        as the correction an accepted appeal led to (linked to it, published by the normal rules). A
        model that fills missing indicator values from the previous quarter gets that quarter's
        published values attached and stored with the version, so the version always recomputes the same."""
        self.require(P.IMPORT)
        if appeal_id is not None:
            self.require(P.DECIDE_APPEAL)
        if model.performance is not None and model.performance.missing == MissingPolicy.PREVIOUS and inputs.previous.empty:
            inputs = replace(inputs, previous=self._previous_values(inputs))
        return self.store.write_version(encode(model, inputs, files, report), self.actor.username, appeal_id=appeal_id)

    def previous_values(self, period: str) -> pd.DataFrame:
        """The published indicator values of the quarter before `period` (PREVIOUS_COLUMNS; empty if that
        quarter was never published): what a "previous" missing policy, or an analysis of it, fills from."""
        prev = previous_period(period)
        self.require_read(prev)
        if prev not in self.store.published_periods():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in PREVIOUS_COLUMNS})
        ind = self.store.inputs(prev).indicators.dropna(subset=["value"])
        ind = ind.drop_duplicates(["unit_id", "code"], keep="last")
        return pd.DataFrame({"unit_id": ind["unit_id"], "code": ind["code"], "value": ind["value"].astype(float),
                             "period": prev}).reset_index(drop=True)

    def _previous_values(self, inputs: PeriodInputs) -> pd.DataFrame:
        prev = self.previous_values(inputs.period)
        return prev[prev["unit_id"].isin(set(inputs.units["unit_id"]))].reset_index(drop=True)

    def publish(self, period: str, version: int | None = None, reason: str = "",
                announce_until: date | None = None) -> VersionInfo:
        """Make `version` (default: the latest) the version leaders see, with a written reason kept
        with it; publishing an older version rolls the result back. With the model's four-eyes rule,
        whoever imported a version cannot publish it. Refused (DifferencingRefused) when its reverse
        ratings and those of a version of the period published before differ, for some department, by
        fewer than k raters (`scoring.anonymity`). `announce_until` opens a 公示 from today to that day
        (both included); appeals are accepted until the model's `appeal_days` end it."""
        self.require(P.PUBLISH)
        reason = _reason(reason)
        target = self.store.version(period, version if version is not None else "latest")
        model = self.store.model(period, target.number)
        if model.workflow.publish_requires_second_person and target.created_by == self.actor.username:
            raise InvalidRequest(f"四眼原则：第 {target.number} 版由您导入，须由另一位考核办人员发布",
                                 f"four eyes: you imported version {target.number}, so another officer must publish it")
        notice = None if announce_until is None else announcement_days(model, today(), announce_until)
        self.check_differencing(period, target.number)
        return self.store.publish(period, target.number, self.actor.username, reason, notice)

    # ------------------------------------------------------------------ 公示 and appeals
    def require_results(self) -> None:
        if not (self.actor.can(P.VIEW_RESULTS) or self.actor.can(P.VIEW_OWN_UNIT)):
            raise PermissionDenied(self.actor, P.VIEW_RESULTS)

    def announcement(self, period: str) -> Announcement | None:
        """The 公示 in force for `period`, or None (a 公示 is public: every reader of results sees it)."""
        self.require_results()
        return self.store.announcement(period)

    def period_status(self, period: str) -> tuple[str, Announcement | None]:
        """What the published result of `period` is now: PUBLISHED (no 公示), ANNOUNCING (公示中),
        REVIEWING (公示 over, appeals open) or FINAL; with the 公示 in force."""
        self.require_results()
        notice = self.store.announcement(period)
        if notice is None:
            return PUBLISHED, None
        if today() <= date.fromisoformat(notice.ends_on):
            return ANNOUNCING, notice
        if any(a.open for a in self.store.appeals(period)):
            return REVIEWING, notice
        return FINAL, notice

    def appeal_targets(self, period: str, unit_id: str) -> dict[str, tuple[str, str]]:
        """What a unit may appeal against in the published result of `period`: target -> (zh, en)
        label — each indicator value, each compliance item, its deduction, its veto."""
        self.require_unit(unit_id)
        units = {u["unit_id"]: u for u in self.store.result_json(period).get("units", [])}
        if unit_id not in units:
            raise NotFound(f"{period} 的结果中没有单位 {unit_id}", f"unit {unit_id} is not in the result of {period}")
        return appeal_targets(units[unit_id])

    def file_appeal(self, period: str, target: str, reason: str, files: Sequence[tuple[str, bytes]] = (),
                    unit_id: str | None = None) -> int:
        """A unit account appeals one item of its published result of `period`, with a reason and
        evidence files, while the 公示's appeal window is open. Returns the appeal's number."""
        self.require(P.FILE_APPEAL)
        unit_id = unit_id or self.actor.unit_id
        if not self.actor.unit_id or unit_id != self.actor.unit_id:
            raise PermissionDenied(self.actor, P.FILE_APPEAL)
        notice = self.store.announcement(period)
        if notice is None:
            raise InvalidRequest(f"{period} 的结果未进行公示，不受理申诉", f"the result of {period} was not announced: no appeal")
        now = today()
        if now > date.fromisoformat(notice.appeal_until):
            raise InvalidRequest(f"{period} 的申诉期已于 {notice.appeal_until} 截止（今天是 {now.isoformat()}），不再受理",
                                 f"the appeal window of {period} closed on {notice.appeal_until} (today is "
                                 f"{now.isoformat()}): the appeal is refused")
        if target not in self.appeal_targets(period, unit_id):
            raise InvalidRequest(f"“{target}”不是本单位 {period} 结果中可申诉的事项",
                                 f"{target!r} is not an item of the unit's result of {period} that can be appealed")
        text = (reason or "").strip()
        if len(text) < MIN_REASON:
            raise InvalidRequest("请写明申诉理由", "give the reason for the appeal")
        accepted = evidence.check(list(files))
        version = self.store.version(period).number
        return self.store.file_appeal(period, version, unit_id, target, text[:4000],
                                      [NewEvidence(e.file_name, e.content_type, e.sha256, e.data) for e in accepted],
                                      self.actor.username)

    def appeals(self, period: str | None = None, unit_id: str | None = None) -> list[Appeal]:
        """Appeals (of a period, of a unit): every unit's with VIEW_APPEALS, else a unit account's own."""
        if self.actor.can(P.VIEW_APPEALS):
            return self.store.appeals(period, unit_id)
        if not self.actor.unit_id or (unit_id is not None and unit_id != self.actor.unit_id) or not (
                self.actor.can(P.FILE_APPEAL) or self.actor.can(P.VIEW_OWN_UNIT)):
            raise PermissionDenied(self.actor, P.VIEW_APPEALS)
        return self.store.appeals(period, self.actor.unit_id)

    def appeal(self, appeal_id: int) -> Appeal:
        found = self.store.appeal(appeal_id)
        if not self.actor.can(P.VIEW_APPEALS) and (not self.actor.unit_id or found.unit_id != self.actor.unit_id):
            raise PermissionDenied(self.actor, P.VIEW_APPEALS)
        return found

    def evidence(self, appeal_id: int, seq: int) -> tuple[str, str, bytes]:
        """(file name, content type, bytes) of an evidence file: officers any, a unit its own."""
        self.appeal(appeal_id)
        return self.store.evidence(appeal_id, seq)

    def decide_appeal(self, appeal_id: int, accept: bool, reply: str) -> None:
        """Accept or reject a filed appeal with a written reply the unit reads."""
        self.require(P.DECIDE_APPEAL)
        text = (reply or "").strip()
        if len(text) < MIN_REASON:
            raise InvalidRequest("请写明答复意见（单位将看到）", "write the reply (the unit reads it)")
        self.store.decide_appeal(appeal_id, accept, text[:4000], self.actor.username)

    def correct_appeal(self, appeal_id: int, value: float | str | None) -> VersionInfo:
        """The corrected input an accepted appeal leads to, stored as a new draft version of the period
        linked to the appeal: the published version's inputs with the appealed item set to `value`
        (an indicator's value; a compliance item's 通过/部分/未通过 or points; the deduction in points;
        for a veto, its reason or None to lift it), scored with that version's own model. It is
        published like any version (a reason, four eyes)."""
        self.require(P.DECIDE_APPEAL)
        self.require(P.IMPORT)
        appeal = self.store.appeal(appeal_id)
        if appeal.status != "accepted":
            raise InvalidRequest(f"第 {appeal_id} 号申诉未被受理，不能据此更正", f"appeal {appeal_id} is not accepted: nothing to correct")
        model = self.store.model(appeal.period)
        inputs = correct_inputs(self.store.inputs(appeal.period), appeal.unit_id, appeal.target, value, appeal_id)
        record = FileRecord.of(f"appeal-{appeal_id}.json", json.dumps(
            {"appeal": appeal_id, "unit_id": appeal.unit_id, "target": appeal.target, "value": value},
            ensure_ascii=False).encode())
        return self.store_inputs(model, inputs, [record], None, appeal_id)

    # ------------------------------------------------------------------ feedback reports and the 公示 list
    def _published_result(self, period: str) -> PeriodResult:
        return score_period(self.store.model(period), self.store.inputs(period))

    def report_inputs(self, period: str, unit_id: str, lang: str = "zh", result: PeriodResult | None = None,
                      warnings: pd.DataFrame | None = None, annual_rows: pd.DataFrame | None = None,
                      quarters: pd.DataFrame | None = None) -> feedback.ReportInputs:
        """What the feedback report of `unit_id` for the published `period` shows (a unit account: its
        own). The year-wide parts may be passed in when many reports are made at once."""
        self.require_unit(unit_id)
        v = self.store.version(period)
        result = result if result is not None else self._published_result(period)
        if unit_id not in set(result.units["unit_id"]):
            raise NotFound(f"{period} 的结果中没有单位 {unit_id}", f"unit {unit_id} is not in the result of {period}")
        warnings = warnings if warnings is not None else self.warnings(period, unit_id)
        mine = warnings[warnings["unit_id"] == unit_id]
        year = period[:4]
        if annual_rows is None or quarters is None:
            try:
                annual_rows, quarters = self.annual(year, unit_id=unit_id), self.annual_quarters(year, unit_id)
            except NotFound:
                annual_rows, quarters = None, None
        history = self.store.history(unit_id)
        history = history[history["period"] <= period]
        state, notice = self.period_status(period)
        model = result.model
        rnd, participation = self.reverse_source(period, None, unit_id)
        return feedback.ReportInputs(
            result=result, unit_id=unit_id, version=v.number, published_at=v.published_at or "",
            published_by=v.published_by or "", history=history, appeals=self.store.appeals(period, unit_id),
            warning=mine.iloc[0] if len(mine) else None,
            annual=None if annual_rows is None else annual_rows[annual_rows["unit_id"] == unit_id],
            annual_quarters=None if quarters is None else quarters[quarters["unit_id"] == unit_id],
            state=state, announcement=notice, made_on=today(),
            office=model.workflow.office_en if lang == "en" else model.workflow.office,
            reverse_round=rnd, participation=participation)

    def feedback_report(self, period: str, unit_id: str, kind: str = "pdf", lang: str = "zh",
                        result: PeriodResult | None = None) -> bytes:
        """The feedback report (考核结果反馈单) of one unit as PDF or Word (kind "docx")."""
        doc = feedback.build(self.report_inputs(period, unit_id, lang, result), lang)
        return feedback.render_docx(doc) if kind == "docx" else feedback.render_pdf(doc)

    def feedback_zip(self, period: str, lang: str = "zh", result: PeriodResult | None = None,
                     progress: Callable[[int, int, str], None] | None = None) -> bytes:
        """Every unit's report of the published `period`, PDF and Word, in one zip (officers)."""
        self.require(P.BATCH_REPORTS)
        result = result if result is not None else self._published_result(period)
        warnings = self.warnings(period)
        try:
            rows, quarters = self.annual(period[:4]), self.annual_quarters(period[:4])
        except NotFound:
            rows = quarters = pd.DataFrame(columns=["unit_id"])
        units = list(zip(result.units["unit_id"], result.units["unit_name"], strict=True))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i, (uid, name) in enumerate(units):
                if progress:
                    progress(i, len(units), str(name))
                doc = feedback.build(self.report_inputs(period, uid, lang, result, warnings, rows, quarters), lang)
                stem = f"{period}_{uid}_{evidence.safe_name(str(name))}"
                z.writestr(f"{stem}.pdf", feedback.render_pdf(doc))
                z.writestr(f"{stem}.docx", feedback.render_docx(doc))
        if progress:
            progress(len(units), len(units), "")
        return buf.getvalue()

    def announcement_list(self, period: str, kind: str = "pdf", lang: str = "zh") -> bytes:
        """The 公示 list of the published `period` as PDF or xlsx (kind "xlsx"). Anyone who reads
        results may have it; a unit account only once the period is announced (公示 is public)."""
        notice = self.store.announcement(period)
        if not self.actor.can(P.VIEW_RESULTS) and not (notice is not None and self.actor.can(P.VIEW_OWN_UNIT)):
            raise PermissionDenied(self.actor, P.VIEW_RESULTS)
        model = self.store.model(period)
        n = announce.Notice(period, self.store.results(period), model,
                            model.workflow.office_en if lang == "en" else (notice.office if notice else model.workflow.office),
                            notice.starts_on if notice else None, notice.ends_on if notice else None,
                            notice.appeal_until if notice else None, today())
        return announce.notice_xlsx(n, lang) if kind == "xlsx" else announce.notice_pdf(n, lang)

    # ------------------------------------------------------------------ early warning
    def warnings(self, period: str, unit_id: str | None = None) -> pd.DataFrame:
        """预警 of every unit of the published `period` (warning.COLUMNS: level and the rules that
        fired), or of one unit (a unit account: its own)."""
        self.require_unit(unit_id)
        model = self.store.model(period)
        published = [p for p in self.store.published_periods() if p <= period]
        if period not in published:
            raise NotFound(f"{period} 尚未发布", f"{period} has not been published")
        wanted = published[-(early.lookback(model) + 1):]
        results = {p: self.store.results(p) for p in wanted}
        surveys = {p: {u["unit_id"]: u.get("survey") or {} for u in self.store.result_json(p).get("units", [])}
                   for p in wanted}
        out = early.classify(model, early.panel_from(results, surveys), period)
        return out if unit_id is None else out[out["unit_id"] == unit_id].reset_index(drop=True)

    def check_differencing(self, period: str, version: int | None = None) -> None:
        """Raise DifferencingRefused if publishing `version` would reveal raters by differencing."""
        versions = self.store.versions(period)
        if not versions:
            return  # the store says there is no such period
        number = version or versions[-1].number
        target = next((v for v in versions if v.number == number), None)
        if target is None or target.published_at is not None:
            return  # unknown (the store says so), or already public: publishing it again reveals nothing new
        model = self.store.model(period, number)
        if model.reverse is None:
            return
        k = model.reverse.min_raters
        new, criteria = self.store.reverse_ratings(period, number)
        for other in versions:
            if other.number == number or other.published_at is None:
                continue
            old, old_criteria = self.store.reverse_ratings(period, other.number)
            found = anonymity.differences(new, old, criteria if criteria == old_criteria else [], k)
            if found:
                names = self.store.results(period, number).set_index("unit_id")["unit_name"]
                which = "、".join(f"{names.get(d.unit_id, d.unit_id)}（相差 {d.raters} 个）" for d in found)
                which_en = ", ".join(f"{names.get(d.unit_id, d.unit_id)} ({d.raters} rater(s) apart)" for d in found)
                raise DifferencingRefused(
                    f"不能发布 {period} 第 {number} 版：以下部门的基层评议与已发布过的第 {other.number} 版相比，"
                    f"只相差不到 {k} 个评议单位：{which}。两版结果一对比，就能算出这几个评议单位各自的评分，"
                    f"违反匿名承诺。请使差异至少达到 {k} 个评议单位（或不作改动），再发布。",
                    f"{period} version {number} cannot be published: for these departments its reverse ratings "
                    f"differ from those of version {other.number}, published before, by fewer than {k} raters: "
                    f"{which_en}. Comparing the two results would reveal those raters' own scores, breaking "
                    f"the promise of anonymity. Make the difference at least {k} raters (or none) and publish again.")

    @staticmethod
    def load_demo(store: Store, demo_dir: str | Path, model: Model | None = None,
                  demo_accounts: Sequence[NewAccount] = ()) -> list[str]:
        """Fill an empty store with the demo quarters (all published) and the demo accounts, in one
        transaction, as the system (demo mode only). Returns the periods added ([] if it had data)."""
        if not store.is_empty() or store.count_accounts():
            return []
        demo_dir = Path(demo_dir)
        model = model or load_model()
        versions = []
        for period in sorted({p.name.split("_", 1)[0] for p in demo_dir.glob("*_survey.xlsx")}):
            paths = [demo_dir / "units.xlsx", *sorted(demo_dir.glob(f"{period}_*.xlsx"))]
            inputs, report = read_period(model, period, [(p.name, p) for p in paths])
            if inputs is None:
                raise InputError(report)
            versions.append(encode(model, inputs, [FileRecord.of(p.name, p) for p in paths], report))
        # the latest quarter is in its 公示 from today, so a demo unit can file an appeal at once
        notice = announcement_days(model, today(), default_announcement_end(model)) if versions else None
        return store.write_demo_if_empty(versions, demo_accounts, SYSTEM.username, notice)

    # ------------------------------------------------------------------ backup
    def backup(self, out: str | Path) -> Path:
        """Copy the whole store to the file `out` (administrators: it holds every account and input)."""
        from scoring.store import backup

        self.require(P.BACKUP)
        self.store.record_audit(self.actor.username, "backup", {"file": Path(out).name})  # kept in the backup too
        return backup.backup(self.store.url, out)

    @staticmethod
    def restore(path: str | Path, url: str) -> list[str]:
        """Restore a backup into the empty store at `url` and check every version (Store.verify);
        returns the problems found ([]: intact). Like the first administrator, this needs no
        account — an empty store has none — only access to the database; a store that holds
        anything is refused and left as it was."""
        from scoring.store import backup

        backup.restore(path, url)
        with Store(url) as store:  # migrates a backup made by an older Sanwei
            store.record_audit(SYSTEM.username, "restore", {"file": Path(path).name})
            return store.verify()

    # ------------------------------------------------------------------ online rating rounds
    def create_round(self, spec: RoundSpec) -> tuple[int, dict[str, list[str]]]:
        """A draft round and its one-time tokens: returns the round id and, per rater unit, the
        tokens — the only time they exist outside the raters' hands (the store keeps their hashes).
        Departments and rater units must be in the roster; criteria and answers come from the model."""
        self.require(P.MANAGE_ROUNDS)
        problems = spec.problems()
        roster = self.store.roster()
        known = set(roster["unit_id"]) if len(roster) else set()
        if unknown := sorted((set(spec.departments) | set(spec.raters)) - known):
            problems.append((f"以下单位不在单位名录中：{'、'.join(unknown)}", f"not in the roster: {', '.join(unknown)}"))
        if problems:
            raise InvalidRequest("；".join(p[0] for p in problems), "; ".join(p[1] for p in problems))
        tokens = {u: [rounds.new_token() for _ in range(int(n))] for u, n in spec.raters.items()}
        round_id = self.store.create_round(spec, self.actor.username, _hashes(tokens))
        return round_id, tokens

    def round_spec(self, period: str, departments: Sequence[str], raters: dict[str, int], opens_on: date,
                   closes_on: date, per_unit: bool = True) -> RoundSpec:
        """A round's spec with the criteria and the answer labels of the active model."""
        model = self.active_model()
        if model.reverse is None or model.survey is None:
            raise InvalidRequest("当前模型没有基层评议（[reverse]），不能组织评议", "the active model has no [reverse] section")
        scale = tuple(a.label for a in model.survey.answer if not a.unknown) + \
            tuple(a.label for a in model.survey.answer if a.unknown)
        return RoundSpec(period, tuple(departments), tuple(model.reverse.criteria), scale, dict(raters),
                         opens_on, closes_on, per_unit)

    def rounds(self) -> list[Round]:
        self.require(P.MANAGE_ROUNDS)
        return self.store.rounds()

    def open_round(self, round_id: int) -> Round:
        self.require(P.MANAGE_ROUNDS)
        return self.store.set_round_status(round_id, RoundStatus.OPEN, self.actor.username,
                                           _expect(RoundStatus.DRAFT, "开放", "opened"))

    def close_round(self, round_id: int) -> Round:
        """Close a round for good: no more ballots, results can be shown and fed into scoring."""
        self.require(P.MANAGE_ROUNDS)
        return self.store.set_round_status(round_id, RoundStatus.CLOSED, self.actor.username,
                                           _expect((RoundStatus.DRAFT, RoundStatus.OPEN), "结束", "closed"))

    def reissue_tokens(self, round_id: int) -> dict[str, list[str]]:
        """New tokens for every unused one of a round not yet closed (the old ones stop working)."""
        self.require(P.MANAGE_ROUNDS)
        out: dict[str, list[str]] = {}

        def make(counts: dict[str, int]) -> dict[str, list[str]]:
            out.update({u: [rounds.new_token() for _ in range(int(n))] for u, n in counts.items()})
            return _hashes(out)
        self.store.reissue_tokens(round_id, self.actor.username,
                                  _expect((RoundStatus.DRAFT, RoundStatus.OPEN), "重新印制", "reissued"), make)
        return out

    def round_participation(self, round_id: int) -> pd.DataFrame:
        """Per rater unit: ballots issued, cast and the rate (counts only, never who or when)."""
        if not (self.actor.can(P.MANAGE_ROUNDS) or self.actor.can(P.VIEW_RESULTS)):
            raise PermissionDenied(self.actor, P.VIEW_RESULTS)
        rnd = self.store.round(round_id)
        return rounds.participation(rnd, self.store.round_ballots(round_id)[1])

    def round_ratings(self, round_id: int, model: Model | None = None) -> pd.DataFrame:
        """A closed round's ballots as reverse ratings (the importer's shape), for `apply_round`."""
        self.require(P.VIEW_RESULTS)
        rnd = self.store.round(round_id)
        if rnd.status != RoundStatus.CLOSED:
            raise InvalidRequest("评议结束后才能查看结果", "results exist only after the round is closed")
        model = model or self.active_model()
        ballots, used = self.store.round_ballots(round_id)
        k = model.reverse.min_raters if model.reverse else 1
        return rounds.rating_frame(rnd, ballots, sum(1 for n in used.values() if n), k)

    def round_results(self, round_id: int) -> pd.DataFrame:
        """Per department of a closed round: score, raters, ballots, suppressed, criteria — the
        model's k applied as to imported ratings (fewer than k distinct raters: no score)."""
        from scoring.survey import reverse_scores

        model = self.active_model()
        frame = self.round_ratings(round_id, model)
        rnd = self.store.round(round_id)
        k = model.reverse.min_raters if model.reverse else 1
        table = reverse_scores(frame, list(rnd.criteria), model.survey, k) if len(frame) else None
        out = pd.DataFrame(index=pd.Index(rnd.departments, name="unit_id"))
        if table is None:
            return out.assign(score=float("nan"), n_raters=0, n_ratings=0, suppressed=True)
        return out.join(table).fillna({"n_raters": 0, "n_ratings": 0, "suppressed": True}).infer_objects()

    def apply_round(self, round_id: int, period: str) -> VersionInfo:
        """A new draft version of `period`: the latest version's inputs with their reverse ratings
        replaced by the closed round's, scored by the active model exactly as an import would be.
        Publishing it goes through `publish` (its differencing rule included)."""
        self.require(P.IMPORT)
        rnd = self.store.round(round_id)
        if period not in rnd.quarters():
            raise InvalidRequest(f"第 {round_id} 轮评议（{rnd.period}）不能计入 {period}",
                                 f"round {round_id} ({rnd.period}) cannot feed {period}")
        model = self.active_model()
        if model.reverse is None or tuple(model.reverse.criteria) != rnd.criteria:
            raise InvalidRequest("当前模型的评议内容与本轮评议不同，不能计入",
                                 "the active model's reverse criteria differ from the round's")
        ratings = self.round_ratings(round_id, model)
        try:
            base = self.store.inputs(period, "latest")
        except NotFound:
            raise InvalidRequest(f"{period} 还没有导入数据：请先导入本季度数据，再计入评议结果",
                                 f"{period} has no import yet: import the quarter first, then apply the round") from None
        return self.store.write_version(encode(model, replace(base, reverse=ratings)), self.actor.username, round_id=round_id)

    def reverse_source(self, period: str, version: Version = None, unit_id: str | None = None
                       ) -> tuple[Round | None, pd.DataFrame | None]:
        """Where a version's reverse ratings came from: an online round and its participation per
        rater unit, or (None, None) for a spreadsheet. Readable with the version (`unit_id`: a unit
        account reading its own page)."""
        self.require_read(period, version, unit_id)
        rnd = self.store.reverse_source(period, version)
        if rnd is None:
            return None, None
        return rnd, rounds.participation(rnd, self.store.round_ballots(rnd.id)[1])

    @staticmethod
    def ballot(store: Store, token: str, client: str) -> tuple[Round, str, dict[str, str]]:
        """The round and rater unit a token opens, and the names of the round's units, for the ballot
        page (no sign-in: the token is the credential). Refusals (unknown, used, not yet open,
        expired, closed) are counted per client and rate-limited."""
        _not_limited(client)
        found = store.round_token(rounds.token_hash(token)) if rounds.TOKEN_FORM.match(token or "") else None
        why = Refusal.UNKNOWN if found is None else Refusal.USED if found[2] else found[0].refusal(date.today())
        if why:
            _refuse(client, why, found[0] if found else None)
        rnd, unit = found[0], found[1]
        names = store.unit_names([*rnd.departments, unit])
        return rnd, unit, {u: names.get(u) or u for u in (*rnd.departments, unit)}

    @staticmethod
    def submit_ballot(store: Store, token: str, ratings: dict, client: str) -> None:
        """Cast a ballot: the token is spent and the ratings stored anonymously in one transaction
        (`Store.cast_ballot`). Deliberately not written to the audit log: an audit row's time is the
        timestamp a ballot must not have."""
        _not_limited(client)
        if not rounds.TOKEN_FORM.match(token or ""):
            _refuse(client, Refusal.UNKNOWN, None)
        why, rnd = store.cast_ballot(rounds.token_hash(token), date.today(),
                                     lambda rnd: rounds.check_ratings(rnd, ratings))
        if why:
            _refuse(client, why, rnd)

    # ------------------------------------------------------------------ reads
    def require_read(self, period: str, version: Version = None, unit_id: str | None = None) -> None:
        """Refuse a read the actor may not make: drafts need VIEW_DRAFTS; published results need
        VIEW_RESULTS, or VIEW_OWN_UNIT for the actor's own unit."""
        if version is not None and version != self._published_number(period):
            self.require(P.VIEW_DRAFTS)
            return
        self.require_unit(unit_id)

    def _published_number(self, period: str) -> int | None:
        try:
            return self.store.version(period).number
        except NotFound:
            return None

    def require_unit(self, unit_id: str | None) -> None:
        """Published results of `unit_id` (None: of every unit)."""
        if self.actor.can(P.VIEW_RESULTS):
            return
        if unit_id is None or unit_id != self.actor.unit_id or not self.actor.can(P.VIEW_OWN_UNIT):
            raise PermissionDenied(self.actor, P.VIEW_RESULTS)

    def visible_units(self, units: pd.DataFrame) -> pd.DataFrame:
        """The rows of a units table (with `unit_id`) whose results the actor may open, by
        `require_unit`'s rule: every unit, or a unit account's own."""
        if self.actor.can(P.VIEW_RESULTS):
            return units
        mine = units["unit_id"] == self.actor.unit_id
        return units[mine & self.actor.can(P.VIEW_OWN_UNIT)]

    def recompute(self, period: str, version: Version = None) -> PeriodResult:
        """Score a version's stored inputs with its stored model again."""
        self.require_read(period, version)
        return score_period(self.store.model(period, version), self.store.inputs(period, version))

    def reproduces(self, period: str, version: Version = None) -> bool:
        """Whether recomputing gives exactly the stored snapshot."""
        return dumps(self.recompute(period, version).to_json()) == self.store.snapshot_text(period, version)

    def versions(self, period: str) -> list[VersionInfo]:
        self.require(P.VIEW_DRAFTS)
        return self.store.versions(period)

    def history(self, unit_id: str) -> pd.DataFrame:
        self.require_unit(unit_id)
        return self.store.history(unit_id)

    def annual(self, year: int | str, weights: dict[str, float] | None = None,
               unit_id: str | None = None) -> pd.DataFrame:
        """The year's published quarters rolled up per unit; weights default to the model's
        `annual.quarter_weights` (of the year's latest published model). With `unit_id`, that unit's
        row only (ranked among all; a unit account: its own)."""
        self.require_unit(unit_id)
        year = str(year)
        quarters = [p for p in self.store.published_periods() if p.startswith(year)]
        if not quarters:
            raise NotFound(f"{year} 年没有已发布的季度", f"no published quarter in {year}")
        model = self.store.model(quarters[-1])
        weights = dict(model.annual.quarter_weights) if weights is None else weights
        out = annual.roll_up(self.store.published_results(year), weights, model.model.rank_decimals, model,
                             self._yearly_reverse(model, quarters))
        out.attrs.update(periods=quarters, weights=weights)
        return out if unit_id is None else out[out["unit_id"] == unit_id].reset_index(drop=True)

    def annual_quarters(self, year: int | str, unit_id: str | None = None) -> pd.DataFrame:
        """Each unit's quarters of the year: total, grade and its contribution to the annual total
        (annual.quarter_table), with missing quarters marked."""
        self.require_unit(unit_id)
        year = str(year)
        quarters = [p for p in self.store.published_periods() if p.startswith(year)]
        if not quarters:
            raise NotFound(f"{year} 年没有已发布的季度", f"no published quarter in {year}")
        weights = dict(self.store.model(quarters[-1]).annual.quarter_weights)
        out = annual.quarter_table(self.store.published_results(year), weights, year)
        return out if unit_id is None else out[out["unit_id"] == unit_id].reset_index(drop=True)

    def _yearly_reverse(self, model: Model, quarters: list[str]) -> pd.DataFrame | None:
        """The year's reverse evaluation (`reverse.cycle = "year"`): the department results published
        with the latest quarter of the year that holds ratings; None when there is none."""
        if model.reverse is None or model.reverse.cycle != ReverseCycle.YEAR:
            return None
        for period in reversed(quarters):
            units = self.store.result_json(period).get("units", [])
            rows = {u["unit_id"]: (u["reverse"]["score"], u["reverse"]["n_raters"]) for u in units
                    if u.get("reverse") and u["reverse"].get("n_ratings")}
            if rows:
                return pd.DataFrame.from_dict(rows, orient="index", columns=annual.REVERSE_COLUMNS).astype(float)
        return None


def _hashes(tokens: dict[str, list[str]]) -> dict[str, list[str]]:
    return {u: [rounds.token_hash(t) for t in ts] for u, ts in tokens.items()}


def _expect(allowed: RoundStatus | tuple[RoundStatus, ...], verb_zh: str, verb_en: str):
    """A check for Store.set_round_status: the round must be in one of `allowed`."""
    allowed = allowed if isinstance(allowed, tuple) else (allowed,)

    def check(rnd: Round) -> None:
        if rnd.status not in allowed:
            raise InvalidRequest(f"第 {rnd.id} 轮评议当前状态为“{rnd.status.value}”，不能{verb_zh}",
                                 f"round {rnd.id} is {rnd.status.value} and cannot be {verb_en}")
    return check


def _not_limited(client: str) -> None:
    if wait := BALLOT_ATTEMPTS.wait(client):
        raise BallotRefused(Refusal.LIMITED, minutes=max(1, round(wait / 60)))


def _refuse(client: str, why: Refusal, rnd: Round | None) -> None:
    if why != Refusal.INCOMPLETE:
        BALLOT_ATTEMPTS.fail(client)
    dates = {"opens_on": rnd.opens_on.isoformat(), "closes_on": rnd.closes_on.isoformat()} if rnd else {}
    raise BallotRefused(why, **dates)
def announcement_days(model: Model, start: date, until: date) -> tuple[str, str, str, str]:
    """(first day, last day, last day for appeals, office) of a 公示 from `start` to `until`."""
    if until < start:
        raise InvalidRequest(f"公示截止日 {until.isoformat()} 早于今天 {start.isoformat()}",
                             f"the 公示 cannot end ({until.isoformat()}) before today ({start.isoformat()})")
    days = model.workflow.appeal_days
    appeal_until = until if days is None else min(until, start + timedelta(days=days - 1))
    return start.isoformat(), until.isoformat(), appeal_until.isoformat(), model.workflow.office


def default_announcement_end(model: Model, start: date | None = None) -> date:
    """The last day of a 公示 opened today, by the model's `announcement_days`."""
    return (start or today()) + timedelta(days=model.workflow.announcement_days - 1)


def appeal_targets(unit: dict) -> dict[str, tuple[str, str]]:
    """What can be appealed in one unit's published JSON result: target -> (zh, en) label."""
    out: dict[str, tuple[str, str]] = {}
    for row in unit.get("indicators", []):
        if row["dimension"] == "performance":
            out[f"indicator:{row['code']}"] = (f"实绩指标：{row['name']}", f"indicator: {row['name']}")
        elif row["dimension"] == "compliance" and not row["code"].startswith("COMP."):
            out[f"compliance:{row['code']}"] = (f"过程合规：{row['name']}", f"compliance item: {row['name']}")
    waived = {f.get("code") for f in unit.get("flags", [])}
    if (unit.get("deduction") or 0) > 0 or "deduction_waived" in waived:
        out["deduction"] = (f"扣分（{unit.get('deduction') or 0:g} 分）", f"deduction ({unit.get('deduction') or 0:g} points)")
    if unit.get("veto") or "veto_waived" in waived:
        out["veto"] = (f"一票否决：{unit.get('veto') or ''}", f"veto: {unit.get('veto') or ''}")
    return out


_STATUS = {"通过": "pass", "部分": "partial", "未通过": "fail", "pass": "pass", "partial": "partial", "fail": "fail"}


def correct_inputs(inputs: PeriodInputs, unit_id: str, target: str, value: float | str | None,
                   appeal_id: int) -> PeriodInputs:
    """A copy of `inputs` with one unit's appealed item set to `value` (see Service.correct_appeal)."""
    from dataclasses import replace

    kind, _, code = target.partition(":")
    if kind == "indicator":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidRequest("更正后的指标值须为数字", "the corrected indicator value must be a number") from None
        ind = inputs.indicators.copy()
        mine = (ind["unit_id"] == unit_id) & (ind["code"] == code)
        if mine.any():
            ind.loc[mine, "value"] = number
            ind.loc[mine, "source"] = f"申诉更正 appeal #{appeal_id}"
        else:
            ind = pd.concat([ind, pd.DataFrame([{"unit_id": unit_id, "code": code, "value": number,
                                                  "source": f"申诉更正 appeal #{appeal_id}"}])], ignore_index=True)
        return replace(inputs, indicators=ind)
    if kind == "compliance":
        comp = inputs.compliance.copy()
        status, points = _STATUS.get(str(value).strip()), float("nan")
        if status is None:
            try:
                points = float(value)
            except (TypeError, ValueError):
                raise InvalidRequest("更正结果须为 通过/部分/未通过 或分数", "the corrected result must be pass, partial, "
                                     "fail or points") from None
        mine = (comp["unit_id"] == unit_id) & (comp["item"] == code)
        row = {"unit_id": unit_id, "item": code, "status": status, "points": points}
        comp = comp[~mine]
        comp = pd.concat([comp, pd.DataFrame([row])], ignore_index=True)
        return replace(inputs, compliance=comp)
    if kind in ("deduction", "veto"):
        adj = inputs.adjustments.copy()
        if not (adj["unit_id"] == unit_id).any():
            adj = pd.concat([adj, pd.DataFrame([{"unit_id": unit_id, "bonus": 0.0, "deduction": 0.0, "veto": None,
                                                  "note": ""}])], ignore_index=True)
        mine = adj["unit_id"] == unit_id
        if kind == "deduction":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InvalidRequest("更正后的扣分须为数字", "the corrected deduction must be a number") from None
            if number < 0:
                raise InvalidRequest("扣分不能为负数", "a deduction cannot be negative")
            adj.loc[mine, "deduction"] = number
        else:
            adj.loc[mine, "veto"] = (str(value).strip() or None) if value is not None else None
        return replace(inputs, adjustments=adj)
    raise InvalidRequest(f"无法更正“{target}”", f"cannot correct {target!r}")


def _locked_until(account: Account) -> datetime | None:
    if not account.locked_until:
        return None
    until = datetime.fromisoformat(account.locked_until)
    return until if until > datetime.now(UTC) else None


def _check_password(username: str, password: str | None) -> None:
    if password is None:
        return
    if problem := auth.password_problem(username, password):
        raise InvalidRequest(*problem)
