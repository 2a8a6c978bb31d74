"""登录 Sign in: a password, the office's identity provider, or (demo store only) a demo account."""

import streamlit as st

import ui
from scoring.auth import SignInError
from scoring.demo import DEMO_ACCOUNTS

st.title(ui.t("login.title"))
if flash := st.session_state.pop(ui.session.FLASH, None):
    st.warning(ui.md(flash.get(ui.lang())), icon=":material/info:")

store = ui.store()
if refused := st.session_state.get(ui.session.SSO_REFUSED):
    st.error(ui.md(refused.get(ui.lang())), icon=":material/no_accounts:")
    st.button(ui.t("login.sso_out"), on_click=st.logout, icon=":material/logout:", key="login_sso_out")
elif ui.session.sso_configured():
    st.button(ui.t("login.sso"), on_click=st.login, type="primary", icon=":material/badge:", key="login_sso")
    st.caption(ui.t("login.or"))

with st.form("login", enter_to_submit=True, border=True):
    username = st.text_input(ui.t("login.username"), key="login_user", max_chars=64)
    password = st.text_input(ui.t("login.password"), type="password", key="login_password", max_chars=256)
    if st.form_submit_button(ui.t("login.submit"), type="primary", icon=":material/login:"):
        try:
            ui.session.sign_in(username, password)
        except SignInError as err:
            st.error(err.get(ui.lang()), icon=":material/error:")
        else:
            st.rerun()

if ui.session.demo_mode():
    st.divider()
    st.info(ui.t("login.demo"), icon=":material/science:")
    cols = st.columns(3)
    for n, (username, name, roles, _) in enumerate(DEMO_ACCOUNTS):
        roles_text = ui.join(ui.t(f"role.{r}") for r in roles)
        if cols[n % 3].button(ui.t("login.demo_as", name=name), key=f"demo_{username}", help=roles_text,
                              use_container_width=True):
            ui.session.sign_in_demo(username)
            st.rerun()
elif not store.count_accounts():
    st.info(ui.t("login.no_accounts"), icon=":material/admin_panel_settings:")
    st.code(f"sanwei user add admin --role admin --db {ui.db()}", language="bash")
