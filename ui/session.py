"""Who is signed in to this browser session, for how long, and how they got in.

A session holds only the account name and two timestamps; every rerun asks the store for the
account as it is now (`Service.resume`), so a disabled account or a changed role takes effect at
once, on every app process. Built-in accounts sign in with a password; offices with an identity
provider sign in through Streamlit's `st.login` (OIDC, configured in .streamlit/secrets.toml) and
are mapped to an account by the provider's e-mail or subject; a demo store offers its demo
accounts with one click.
"""

from __future__ import annotations

import os
import time

import pandas as pd
import streamlit as st

from scoring.auth import Permission, SignInError
from scoring.demo import DEMO_ACCOUNTS
from scoring.service import Service
from scoring.store.store import NewAccount
from scoring.text import Text
from ui.data import official_model, store
from ui.shared import forget_run, per_run
from ui.state import t

USER, SEEN, SINCE, FLASH, NEXT = "_sanwei_user", "_sanwei_seen", "_sanwei_since", "_sanwei_flash", "_sanwei_next"
SSO_REFUSED = "_sanwei_sso_refused"
RUN_KEY = "service"  # the per-run memo of current()


def idle_limit() -> float:
    """Seconds without a request after which a session must sign in again (default 30 minutes)."""
    return float(os.environ.get("SANWEI_SESSION_IDLE_MINUTES", "30")) * 60


def max_age() -> float:
    """Seconds after signing in when a session ends whatever it does (default 12 hours)."""
    return float(os.environ.get("SANWEI_SESSION_MAX_HOURS", "12")) * 3600


def demo_mode() -> bool:
    """The demo switch (`make run` sets it): the demo quarters and one-click demo accounts."""
    return os.environ.get("SANWEI_DEMO") == "1"


def demo_accounts() -> list[NewAccount]:
    return [NewAccount(u, name, None, frozenset(roles), unit, demo=True) for u, name, roles, unit in DEMO_ACCOUNTS]


def sso_configured() -> bool:
    try:
        return "auth" in st.secrets and bool(st.secrets["auth"].get("client_id"))
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def _sso_identity() -> str | None:
    if not sso_configured() or not st.user.is_logged_in:
        return None
    return st.user.get("email") or st.user.get("sub")


def current() -> Service | None:
    """The signed-in account's service, or None (signed out, expired, disabled): the account is
    read from the store once per run of the page, however often the page asks."""
    return per_run(RUN_KEY, _current)


def _current() -> Service | None:
    state = st.session_state
    now = time.time()
    state.pop(SSO_REFUSED, None)
    if USER not in state and (identity := _sso_identity()):
        try:
            _begin(Service.sign_in_sso(store(), identity, default_model=official_model()))
        except SignInError as err:  # the provider vouched for someone who has no account here
            state[SSO_REFUSED] = err.text
    if USER not in state:
        return None
    if now - state[SEEN] > idle_limit() or now - state[SINCE] > max_age():
        sign_out(Text("长时间未操作，已自动退出，请重新登录", "the session expired: sign in again"))
        return None
    try:
        service = Service.resume(store(), state[USER], default_model=official_model())
    except SignInError as err:
        sign_out(err.text)
        return None
    state[SEEN] = now
    return service


def _begin(service: Service) -> None:
    now = time.time()
    forget_run(RUN_KEY)
    st.session_state.update({USER: service.actor.username, SINCE: now, SEEN: now})
    account = service.store.account(service.actor.username)
    if account and account.lang:
        st.session_state["_lang"] = account.lang


def sign_in(username: str, password: str) -> None:
    """Raises SignInError with the reason to show."""
    _begin(Service.sign_in(store(), username, password, default_model=official_model()))


def sign_in_demo(username: str) -> None:
    if not demo_mode():
        raise SignInError("不是示范环境", "not a demo store")
    _begin(Service.sign_in_demo(store(), username, default_model=official_model()))


def sign_out(message: Text | None = None) -> None:
    forget_run(RUN_KEY)
    for key in (USER, SEEN, SINCE):
        st.session_state.pop(key, None)
    if message:
        st.session_state[FLASH] = message
    if _sso_identity():
        st.logout()  # also ends the identity provider's session


def service() -> Service:
    """The signed-in account's service; a page reached without one stops here (the router shows
    such a session only the sign-in page, so this is the second line of defence)."""
    signed_in = current()
    if signed_in is None:
        st.stop()
    return signed_in


def visible_units(units: pd.DataFrame) -> pd.DataFrame:
    """The units the signed-in account may open; a unit account whose unit is not in the quarter
    gets a note and the page stops."""
    shown = service().visible_units(units)
    if shown.empty:
        st.info(t("unit.not_in_period"))
        st.stop()
    return shown


def require(*permissions: Permission) -> Service:
    """The signed-in service, if its account has any of `permissions`; otherwise the page says so
    and stops (a page hidden from the account but opened anyway)."""
    signed_in = service()
    if not any(signed_in.actor.can(p) for p in permissions):
        st.error(t("common.denied"), icon=":material/block:")
        st.stop()
    return signed_in


def remember_destination(url_path: str) -> None:
    """The page a signed-out visitor asked for (a bookmark, a shared link), with its query, to open
    after sign-in."""
    if url_path and url_path != "login":
        st.session_state[NEXT] = (url_path, {k: v for k, v in st.query_params.to_dict().items() if k != "lang"})


def destination(url_paths: list[str]) -> tuple[str, dict] | None:
    """The remembered page and query, once, if the signed-in account may open it."""
    wanted = st.session_state.pop(NEXT, None)
    return wanted if wanted and wanted[0] in url_paths else None
