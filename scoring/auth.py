"""Who may do what: roles, the permissions they grant, the signed-in actor, password hashing.

The grants are data (one table); the service (`scoring.service`) checks them at every change of
state and every read that is not for everyone, whatever page or command asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from scoring.text import SanweiError


class Role(StrEnum):
    ADMIN = "admin"      # 管理员: accounts and roles
    OFFICER = "officer"  # 考核办: upload, validate, store drafts, publish, activate a model
    ANALYST = "analyst"  # 分析: weights and sensitivity, model drafts
    LEADER = "leader"    # 领导: published results
    UNIT = "unit"        # 被考核单位: its own unit's published results and report


class Permission(StrEnum):
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_AUDIT = "view_audit"
    IMPORT = "import"                  # validate uploads, store drafts
    PUBLISH = "publish"                # publish or roll back a version
    VIEW_DRAFTS = "view_drafts"        # read versions that are not published
    DRAFT_MODEL = "draft_model"        # save a model as a draft
    ACTIVATE_MODEL = "activate_model"  # make a saved model the one imports use
    VIEW_MODEL = "view_model"
    VIEW_RESULTS = "view_results"      # every unit's published results
    VIEW_OWN_UNIT = "view_own_unit"    # one unit's published results
    ANALYSE = "analyse"                # weights page, sensitivity analysis
    BACKUP = "backup"                  # copy the whole store (every account's hash, every input) to a file


P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset({P.MANAGE_ACCOUNTS, P.VIEW_AUDIT, P.BACKUP}),
    Role.OFFICER: frozenset({P.IMPORT, P.PUBLISH, P.VIEW_DRAFTS, P.ACTIVATE_MODEL, P.VIEW_MODEL, P.VIEW_RESULTS,
                             P.VIEW_AUDIT}),
    Role.ANALYST: frozenset({P.ANALYSE, P.DRAFT_MODEL, P.VIEW_MODEL, P.VIEW_DRAFTS, P.VIEW_RESULTS}),
    Role.LEADER: frozenset({P.VIEW_RESULTS}),
    Role.UNIT: frozenset({P.VIEW_OWN_UNIT}),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in account a request acts for."""

    username: str
    roles: frozenset[Role]
    unit_id: str | None = None  # the unit of a unit account
    display_name: str = ""

    def can(self, permission: Permission) -> bool:
        return any(permission in GRANTS[r] for r in self.roles)

    @property
    def name(self) -> str:
        return self.display_name or self.username


SYSTEM = Actor("system", frozenset())  # what the software does by itself (create, migrate, load the demo)


class PermissionDenied(SanweiError, PermissionError):
    """The signed-in account lacks the role an action needs: nothing was changed."""

    def __init__(self, actor: Actor, permission: Permission):
        self.permission = permission
        super().__init__(f"账户“{actor.username}”无权执行此操作（需要：{permission.value}），未做任何更改",
                         f"account {actor.username!r} may not do this (needs: {permission.value}); nothing was changed")


class SignInError(SanweiError):
    """Unknown account, wrong password, disabled or locked: the message never says which of the first two."""


# ---------------------------------------------------------------- passwords

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD = 10
# a hash verified when the account does not exist, so unknown names take as long as wrong passwords
_DUMMY = _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def password_problem(username: str, password: str) -> tuple[str, str] | None:
    """Why a new password is not acceptable (zh, en), or None."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符", f"a password needs at least {MIN_PASSWORD} characters"
    if username.lower() in password.lower():
        return "密码不能包含账户名", "a password must not contain the account name"
    if len(set(password)) < 4:
        return "密码过于简单", "the password is too simple"
    return None


# ---------------------------------------------------------------- lock-out

MAX_FAILURES = 5         # consecutive failures before the account is locked
LOCK_MINUTES = 1         # the first lock; each further failure doubles it
MAX_LOCK_MINUTES = 60


def lock_minutes(failures: int) -> int:
    """How long an account is locked after `failures` consecutive failures (0: not locked)."""
    if failures < MAX_FAILURES:
        return 0
    return min(LOCK_MINUTES * 2 ** (failures - MAX_FAILURES), MAX_LOCK_MINUTES)
