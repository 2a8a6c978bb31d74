"""Client messages no office user should be able to send, made harmless when `ui` is imported.

Any WebSocket client (not only the browser's menu, which `client.toolbarMode` merely hides) may
send Streamlit's `BackMsg.clear_cache`: `AppSession._handle_clear_cache_request` then clears every
`st.cache_data` and `st.cache_resource` of the process, for every user, including the store's
engine. `BackMsg.load_git_info` answers with the checkout's branch and its untracked and
uncommitted file names. No Streamlit option gates either, so both handlers are replaced on the
class, which covers every session of the process, including ones connected earlier. (The shared
result cache, `ui.shared`, is outside st.cache_* anyway.)

The patched names are private API: importing this module fails loudly if a Streamlit upgrade
renames them, and tests/test_hardening.py sends both messages over a real WebSocket.
"""

from __future__ import annotations

import logging

from streamlit.runtime import app_session

LOG = logging.getLogger("sanwei.hardening")
_SESSION = app_session.AppSession
PATCHED = ("_handle_clear_cache_request", "_handle_git_information_request")

for _name in PATCHED:
    if not callable(getattr(_SESSION, _name, None)):
        raise RuntimeError(f"Streamlit changed: AppSession.{_name} is gone; review ui/hardening.py")


def _refuse_clear_cache(self) -> None:  # noqa: ANN001 - an AppSession
    LOG.warning("refused a client's clear_cache request (session %s)", self.id)


def _refuse_git_info(self) -> None:  # noqa: ANN001
    LOG.info("ignored a client's load_git_info request (session %s)", self.id)


def apply() -> None:
    """Idempotent: the handlers are replaced once per process."""
    if _SESSION._handle_clear_cache_request is not _refuse_clear_cache:
        _SESSION._handle_clear_cache_request = _refuse_clear_cache
        _SESSION._handle_git_information_request = _refuse_git_info


def applied() -> bool:
    return _SESSION._handle_clear_cache_request is _refuse_clear_cache


apply()
