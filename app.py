"""Sanwei dashboard entry point: `streamlit run app.py` routes over the pages in app_pages/.

Not `pages/`: Streamlit runs a `pages/` folder as a legacy multipage app until the first
st.navigation call in the process, so a deep link opened first after a restart would bypass this router.

Each session sees only the pages its account's roles allow (signed out: only the sign-in page);
every page checks again, and every change of state is checked again in the service layer.
"""

import runpy
from pathlib import Path

import streamlit as st

import ui
from scoring.auth import Permission as P

st.set_page_config(page_title="三维考评 Sanwei", page_icon="📊", layout="wide")

PAGES = [  # (file, i18n key of the title, url path, icon, who may open it: any of these permissions)
    ("app_pages/home.py", "nav.home", "home", ":material/home:", (P.VIEW_RESULTS,)),
    ("app_pages/import_data.py", "nav.import", "import", ":material/upload_file:", (P.IMPORT,)),
    ("app_pages/rankings.py", "nav.rankings", "rankings", ":material/leaderboard:", (P.VIEW_RESULTS,)),
    ("app_pages/unit.py", "nav.unit", "unit", ":material/apartment:", (P.VIEW_RESULTS, P.VIEW_OWN_UNIT)),
    ("app_pages/weights.py", "nav.weights", "weights", ":material/tune:", (P.ANALYSE,)),
    ("app_pages/audit.py", "nav.audit", "audit", ":material/query_stats:", (P.ANALYSE,)),
    ("app_pages/reverse.py", "nav.reverse", "reverse", ":material/how_to_vote:", (P.VIEW_RESULTS,)),
    ("app_pages/model_settings.py", "nav.model", "model", ":material/account_tree:", (P.VIEW_MODEL,)),
    ("app_pages/accounts.py", "nav.accounts", "accounts", ":material/manage_accounts:", (P.MANAGE_ACCOUNTS, P.VIEW_AUDIT)),
]

LOGIN = Path(__file__).parent / "app_pages" / "login.py"


def sign_in_page(url_path: str) -> st.Page:
    """The sign-in page, answering at `url_path` too: a signed-out visitor of a bookmark or a shared
    link signs in there and then lands on the page it names (never on "page not found")."""
    def page() -> None:
        runpy.run_path(str(LOGIN), run_name="__main__")
    return st.Page(page, title=ui.t("nav.login"), url_path=url_path, icon=":material/login:", default=url_path == "login")


service = ui.current()
if service is None:
    nav = st.navigation([sign_in_page(u) for u in ("login", *(p[2] for p in PAGES))], position="hidden")
    ui.session.remember_destination(nav.url_path)
    ui.sidebar(None)
    nav.run()
    st.stop()
allowed = [p for p in PAGES if any(service.actor.can(x) for x in p[4])]
pages = [st.Page(f, title=ui.t(k), url_path=u, icon=i, default=(n == 0)) for n, (f, k, u, i, _) in enumerate(allowed)]
nav = st.navigation(pages)
if wanted := ui.session.destination([p[2] for p in allowed]):
    path, query = wanted  # the link followed before signing in
    st.switch_page(pages[[p[2] for p in allowed].index(path)], query_params={**query, "lang": ui.lang()})
ui.sidebar(service)
nav.run()
