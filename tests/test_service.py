"""The service layer checks the account's roles at every change of state and every restricted read:
each state change is tried by every role without the permission (a refusal, nothing changed)
and by one with it; sign-in, lock-out, four eyes, reasons and the audit trail."""

from __future__ import annotations

import pytest

from scoring.auth import GRANTS, Actor, Permission, PermissionDenied, Role, SignInError, lock_minutes
from scoring.service import InvalidRequest, Service
from scoring.store.store import NewAccount
from tests.actors import role, staff
from tests.store_fixtures import MODEL, make_inputs, units_frame
from tests.test_store import counts

PASSWORD = "qingshan-2026-kaohe"
UNITS = units_frame(9).assign(unit_id=lambda d: d["unit_id"].where(d.index > 0, "JD01"))


def as_role(store, r: Role) -> Service:
    return Service(store, role(f"{r.value}-user", r, unit_id="JD01" if r is Role.UNIT else None))


@pytest.fixture
def quarter(store):
    """A published 2026Q1 and a draft version 2 of it, made by staff."""
    setup = Service(store, staff("setup"))
    setup.store_inputs(MODEL, make_inputs("2026Q1", units=UNITS))
    setup.publish("2026Q1", reason="初次发布")
    setup.store_inputs(MODEL, make_inputs("2026Q1", units=UNITS, variant=1))
    return store


# every change of state, as (permission it needs, the call)
CHANGES = {
    "store_inputs": (Permission.IMPORT, lambda s: s.store_inputs(MODEL, make_inputs("2026Q2", units=UNITS))),
    "import_files": (Permission.IMPORT, lambda s: s.import_files("2026Q2", [])),
    "validate": (Permission.IMPORT, lambda s: s.validate("2026Q2", [])),
    "publish": (Permission.PUBLISH, lambda s: s.publish("2026Q1", 2, "复核后发布")),
    "rollback": (Permission.PUBLISH, lambda s: s.publish("2026Q1", 1, "回退")),
    "save_model": (Permission.DRAFT_MODEL, lambda s: s.save_model(MODEL, "草稿")),
    "activate_model": (Permission.ACTIVATE_MODEL, lambda s: s.activate_model(1, "启用")),
    "add_account": (Permission.MANAGE_ACCOUNTS,
                    lambda s: s.add_account("newbie", PASSWORD, [Role.LEADER])),
    "set_roles": (Permission.MANAGE_ACCOUNTS, lambda s: s.set_roles("leader-one", [Role.ANALYST])),
    "set_disabled": (Permission.MANAGE_ACCOUNTS, lambda s: s.set_disabled("leader-one")),
    "set_password of another": (Permission.MANAGE_ACCOUNTS, lambda s: s.set_password("leader-one", "another-pass-123")),
    "set_sso": (Permission.MANAGE_ACCOUNTS, lambda s: s.set_sso("leader-one", "x@example.org")),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_state_change_is_refused_without_its_permission(quarter, change):
    store = quarter
    store.create_account(NewAccount("leader-one", "领导", None, frozenset({"leader"}), sso="leader@example.org"), "test")
    permission, call = CHANGES[change]
    lacking = [r for r in Role if permission not in GRANTS[r]]
    assert lacking
    before = counts(store)
    for r in lacking:
        with pytest.raises(PermissionDenied):
            call(as_role(store, r))
    assert counts(store) == before
    allowed = next(r for r in Role if permission in GRANTS[r])
    try:
        call(as_role(store, allowed))
    except InvalidRequest:  # allowed but refused for another reason (e.g. an empty import) is not a permission matter
        pass


def test_reads_are_limited_to_what_the_role_may_see(quarter):
    store = quarter
    leader, unit, analyst = as_role(store, Role.LEADER), as_role(store, Role.UNIT), as_role(store, Role.ANALYST)
    leader.require_read("2026Q1")
    with pytest.raises(PermissionDenied):
        leader.require_read("2026Q1", 2)  # drafts: officers and analysts only
    with pytest.raises(PermissionDenied):
        leader.versions("2026Q1")
    analyst.require_read("2026Q1", 2)
    unit.require_read("2026Q1", unit_id="JD01")
    assert list(unit.history("JD01")["period"]) == ["2026Q1"]
    for denied in (lambda: unit.history("U0002"), lambda: unit.require_read("2026Q1"), lambda: unit.annual(2026),
                   lambda: unit.recompute("2026Q1")):
        with pytest.raises(PermissionDenied):
            denied()
    with pytest.raises(PermissionDenied):
        as_role(store, Role.ADMIN).require_read("2026Q1")  # administrators manage accounts, not results


def test_publishing_needs_a_reason_and_keeps_it_and_a_rollback_is_recorded(quarter):
    officer = Service(quarter, role("wang", Role.OFFICER))
    with pytest.raises(InvalidRequest):
        officer.publish("2026Q1", 2, "  ")
    v = officer.publish("2026Q1", 2, "统计局更正了数据")
    assert (v.number, v.published_by, v.publish_reason) == (2, "wang", "统计局更正了数据")
    back = officer.publish("2026Q1", 1, "更正有误，回退")
    assert back.number == 1 and back.publish_reason == "更正有误，回退"
    log = quarter.audit()
    assert log["action"].iloc[0] == "rollback" and log["who"].iloc[0] == "wang"
    assert "更正有误" in log["detail"].iloc[0]


def test_four_eyes_the_importer_cannot_publish(store):
    strict = MODEL.model_copy(update={"workflow": MODEL.workflow.model_copy(update={"publish_requires_second_person": True})})
    wang, li = Service(store, role("wang", Role.OFFICER)), Service(store, role("li", Role.OFFICER))
    v = wang.store_inputs(strict, make_inputs("2026Q1", units=UNITS))
    with pytest.raises(InvalidRequest, match="four eyes"):
        wang.publish("2026Q1", v.number, "自己发布")
    assert li.publish("2026Q1", v.number, "复核无误").published_by == "li"


def test_password_sign_in_lock_out_and_disabled_accounts(store):
    Service.create_first_admin(store, "root", PASSWORD)
    with pytest.raises(Exception, match="first admin|第一个管理员"):
        Service.create_first_admin(store, "root2", PASSWORD)
    admin = Service.sign_in(store, "root", PASSWORD)
    assert admin.actor.roles == {Role.ADMIN}
    with pytest.raises(InvalidRequest):
        admin.add_account("weak", "short", [Role.LEADER])  # a password policy
    admin.add_account("zhao", PASSWORD, [Role.LEADER], "赵书记")
    for _ in range(5):
        with pytest.raises(SignInError, match="wrong account name or password"):
            Service.sign_in(store, "zhao", "guess-guess-guess")
    with pytest.raises(SignInError, match="locked"):
        Service.sign_in(store, "zhao", PASSWORD)
    assert lock_minutes(5) == 1 and lock_minutes(6) == 2 and lock_minutes(50) == 60
    admin.set_password("zhao", "a-fresh-password-9")  # an administrator's reset clears the lock
    leader = Service.sign_in(store, "zhao", "a-fresh-password-9")
    assert leader.actor.name == "赵书记"
    admin.set_disabled("zhao")
    with pytest.raises(SignInError):
        Service.resume(store, "zhao")  # a session of a disabled account ends at its next request
    with pytest.raises(SignInError, match="disabled"):
        Service.sign_in(store, "zhao", "a-fresh-password-9")
    with pytest.raises(InvalidRequest):
        admin.set_disabled("root")  # not yourself
    with pytest.raises(InvalidRequest):
        admin.set_roles("root", [Role.LEADER])  # never without an enabled administrator


def test_single_sign_on_maps_an_identity_to_an_account_and_demo_accounts_need_demo(store):
    store.create_account(NewAccount("alice", "Alice", None, frozenset({"leader"}), sso="alice@example.org"), "test")
    store.create_account(NewAccount("demo-leader", "Demo", None, frozenset({"leader"}), demo=True), "test")
    assert Service.sign_in_sso(store, "alice@example.org").actor.username == "alice"
    with pytest.raises(SignInError):
        Service.sign_in_sso(store, "mallory@example.org")  # the provider vouched for someone unknown here
    with pytest.raises(SignInError):
        Service.sign_in_demo(store, "alice")  # one click only into demo accounts
    assert Service.sign_in_demo(store, "demo-leader").actor.roles == {Role.LEADER}
    with pytest.raises(SignInError):
        Service.sign_in(store, "alice", "")  # an account without a password cannot sign in with one


def test_every_audit_row_names_the_account(quarter):
    Service(quarter, role("wang", Role.OFFICER)).publish("2026Q1", 2, "复核")
    Service(quarter, role("zhang", Role.ANALYST)).save_model(MODEL, "草稿")
    log = quarter.audit()
    assert {"wang", "zhang", "setup", "system"} >= set(log["who"]) >= {"wang", "zhang"}
    assert not set(log["who"]) & {"root", "dashboard-server", "dashboard"}


def test_the_actor_grants_are_data():
    assert Actor("x", frozenset({Role.OFFICER, Role.ANALYST})).can(Permission.ANALYSE)
    assert not Actor("x", frozenset({Role.LEADER})).can(Permission.VIEW_DRAFTS)
