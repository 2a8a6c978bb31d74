"""账户与审计 Accounts and audit: accounts and their roles (administrators), the audit log (administrators, officers)."""

import pandas as pd
import streamlit as st

import ui
from scoring.auth import Permission, Role
from scoring.text import SanweiError

service = ui.require(Permission.MANAGE_ACCOUNTS, Permission.VIEW_AUDIT)
L = ui.lang()
st.title(ui.t("acc.title"))
if msg := st.session_state.pop("acc_flash", None):
    st.success(msg, icon=":material/check_circle:")
ROLES = [r.value for r in Role]


def role_names(roles) -> str:
    return ui.join(ui.t(f"role.{r}") for r in sorted(roles))


def attempt(action, done: str) -> None:
    """Run a change through the service; its refusal is shown, never a traceback."""
    try:
        action()
    except SanweiError as err:
        st.error(err.get(L), icon=":material/error:")
    else:
        st.session_state["acc_flash"] = done
        st.rerun()


tabs = ["acc.tab_list", "acc.tab_add", "acc.tab_edit"] if service.actor.can(Permission.MANAGE_ACCOUNTS) else []
tabs += ["acc.tab_audit"] if service.actor.can(Permission.VIEW_AUDIT) else []
shown = dict(zip(tabs, st.tabs([ui.t(k) for k in tabs]), strict=True))

if "acc.tab_list" in shown:
    accounts = service.accounts()
    with shown["acc.tab_list"]:
        df = pd.DataFrame([{"account": a.username, "display_name": a.display_name, "roles": role_names(a.roles),
                            "unit_id": a.unit_id or "", "sso": a.sso or "", "disabled": "✓" if a.disabled else "",
                            "last_login": (a.last_login_at or "")[:16].replace("T", " ")} for a in accounts],
                          columns=["account", "display_name", "roles", "unit_id", "sso", "disabled", "last_login"])
        ui.table(df, list(df.columns), key="acc_table", fit=600)
    with shown["acc.tab_add"], st.form("acc_add", clear_on_submit=True):
        c = st.columns(2)
        name = c[0].text_input(ui.t("login.username"), max_chars=64)
        display = c[1].text_input(ui.t("acc.display"), max_chars=64)
        roles = st.multiselect(ui.t("acc.roles"), ROLES, format_func=lambda r: ui.t(f"role.{r}"), select_all=False)
        c = st.columns(2)
        unit = c[0].text_input(ui.t("acc.unit"), max_chars=64)
        sso = c[1].text_input(ui.t("acc.sso"), max_chars=256)
        password = st.text_input(ui.t("acc.password"), type="password", max_chars=256)
        if st.form_submit_button(ui.t("acc.add"), type="primary", icon=":material/person_add:"):
            attempt(lambda: service.add_account(name.strip(), password or None, roles, display.strip(),
                                                unit.strip() or None, sso.strip() or None),
                    ui.t("acc.added", name=name))
    with shown["acc.tab_edit"]:
        by_name = {a.username: a for a in accounts}
        pick = st.selectbox(ui.t("acc.pick"), list(by_name), key="acc_pick",
                            format_func=lambda u: f"{by_name[u].display_name} ({u})")
        account = by_name[pick]
        roles = st.multiselect(ui.t("acc.roles"), ROLES, default=sorted(account.roles), key=f"acc_roles_{pick}",
                               format_func=lambda r: ui.t(f"role.{r}"), select_all=False)
        unit = st.text_input(ui.t("acc.unit"), value=account.unit_id or "", key=f"acc_unit_{pick}")
        if st.button(ui.t("acc.save_roles"), key="acc_save_roles", icon=":material/save:"):
            attempt(lambda: service.set_roles(pick, roles, unit.strip() or None), ui.t("acc.done"))
        password = st.text_input(ui.t("acc.new_password"), type="password", key=f"acc_pw_{pick}", max_chars=256)
        if st.button(ui.t("acc.set_password"), key="acc_set_password", disabled=not password, icon=":material/key:"):
            attempt(lambda: service.set_password(pick, password), ui.t("acc.done"))
        toggle = "acc.enable" if account.disabled else "acc.disable"
        if st.button(ui.t(toggle), key="acc_toggle", icon=":material/block:"):
            attempt(lambda: service.set_disabled(pick, not account.disabled), ui.t("acc.done"))

if "acc.tab_audit" in shown:
    with shown["acc.tab_audit"]:
        log = service.audit(1000)
        log["at"] = log["at"].str[:19].str.replace("T", " ")
        ui.table(log.rename(columns={"who": "who", "detail": "detail"}), ["at", "who", "action", "period", "version", "detail"],
                 key="acc_audit", fit=700)
