"""The application service: the one entrance for every change of state, used by the CLI and the dashboard.

import → validate → score → store is one path here; publishing, models and accounts too. The store
(`scoring.store`) only persists; the importer only reads; the pipeline only scores. A service
acts for one signed-in account (`Actor`) and checks its permissions (`scoring.auth.GRANTS`) at
every change of state and every read that is not for everyone — whichever page, hidden page,
crafted request or command asked — so a refusal never changes anything. The audit log names
the account.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from scoring import annual, anonymity, auth
from scoring.auth import SYSTEM, Actor, Permission, PermissionDenied, Role, SignInError
from scoring.importer import read_period
from scoring.inputs import PREVIOUS_COLUMNS, PeriodInputs, previous_period
from scoring.model import MissingPolicy, Model, ReverseCycle, load_model
from scoring.pipeline import PeriodResult, score_period
from scoring.report import InputError, Report
from scoring.store.accounts import Account
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
                     report: Report | None = None) -> VersionInfo:
        """Store already validated inputs as a new draft version of their period. A model that fills
        missing indicator values from the previous quarter gets that quarter's published values attached
        and stored with the version, so the version always recomputes the same."""
        self.require(P.IMPORT)
        if model.performance is not None and model.performance.missing == MissingPolicy.PREVIOUS and inputs.previous.empty:
            inputs = replace(inputs, previous=self._previous_values(inputs))
        return self.store.write_version(encode(model, inputs, files, report), self.actor.username)

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

    def publish(self, period: str, version: int | None = None, reason: str = "") -> VersionInfo:
        """Make `version` (default: the latest) the version leaders see, with a written reason kept
        with it; publishing an older version rolls the result back. With the model's four-eyes rule,
        whoever imported a version cannot publish it. Refused (DifferencingRefused) when its reverse
        ratings and those of a version of the period published before differ, for some department, by
        fewer than k raters (`scoring.anonymity`)."""
        self.require(P.PUBLISH)
        reason = _reason(reason)
        target = self.store.version(period, version if version is not None else "latest")
        if self.store.model(period, target.number).workflow.publish_requires_second_person \
                and target.created_by == self.actor.username:
            raise InvalidRequest(f"四眼原则：第 {target.number} 版由您导入，须由另一位考核办人员发布",
                                 f"four eyes: you imported version {target.number}, so another officer must publish it")
        self.check_differencing(period, target.number)
        return self.store.publish(period, target.number, self.actor.username, reason)

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
        return store.write_demo_if_empty(versions, demo_accounts, SYSTEM.username)

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

    def annual(self, year: int | str, weights: dict[str, float] | None = None) -> pd.DataFrame:
        """The year's published quarters rolled up per unit; weights default to the model's
        `annual.quarter_weights` (of the year's latest published model)."""
        self.require(P.VIEW_RESULTS)
        year = str(year)
        quarters = [p for p in self.store.published_periods() if p.startswith(year)]
        if not quarters:
            raise NotFound(f"{year} 年没有已发布的季度", f"no published quarter in {year}")
        model = self.store.model(quarters[-1])
        weights = dict(model.annual.quarter_weights) if weights is None else weights
        return annual.roll_up(self.store.published_results(year), weights, model.model.rank_decimals, model,
                              self._yearly_reverse(model, quarters))

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
