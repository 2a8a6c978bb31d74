"""Opening a dashboard page in Streamlit's AppTest the way a user arrives: signed in, home first, then the page."""

import os
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scoring.store import Store
from ui.session import demo_accounts

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = {"home": "home", "import": "import_data", "import_data": "import_data", "rankings": "rankings",
              "unit": "unit", "weights": "weights", "audit": "audit", "reverse": "reverse", "model": "model_settings",
              "model_settings": "model_settings", "accounts": "accounts", "login": "login"}


# who opens a page when a test does not say: an account whose roles show it
DEFAULT_USER = {"weights": "analyst", "audit": "analyst", "accounts": "admin"}


def ensure_accounts(url: str) -> None:
    """A store a test filled with quarters (not the demo load, which brings them) gets the demo accounts."""
    with Store(url) as store:
        if not store.is_empty() and not store.count_accounts():
            for account in demo_accounts():
                store.create_account(account, "test")


def open_page(page: str = "home", lang: str = "zh", user: str | None = "", **state) -> AppTest:
    """`user` is an account of the store (the demo accounts: officer, officer2, analyst, leader,
    admin, jd01; by default one that may open `page`); None opens the app signed out."""
    if "SANWEI_DATABASE_URL" in os.environ:
        ensure_accounts(os.environ["SANWEI_DATABASE_URL"])
    user = DEFAULT_USER.get(page, "officer") if user == "" else user
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["_lang"] = lang
    if user is not None:
        now = time.time()
        at.session_state["_sanwei_user"] = user
        at.session_state["_sanwei_since"] = at.session_state["_sanwei_seen"] = now
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page not in ("home", "login") and user is not None:
        at.switch_page(f"app_pages/{PAGE_FILES[page]}.py").run()
    return at
