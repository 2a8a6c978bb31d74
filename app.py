"""Sanwei dashboard entry point: `streamlit run app.py` routes over the pages in app_pages/.

Not `pages/`: Streamlit runs a `pages/` folder as a legacy multipage app until the first
st.navigation call in the process, so a deep link opened first after a restart would bypass this router.
"""

import streamlit as st

import ui

st.set_page_config(page_title="三维考评 Sanwei", page_icon="📊", layout="wide")

PAGES = [  # (file, i18n key of the title, url path, icon)
    ("app_pages/home.py", "nav.home", "home", ":material/home:"),
    ("app_pages/import_data.py", "nav.import", "import", ":material/upload_file:"),
    ("app_pages/rankings.py", "nav.rankings", "rankings", ":material/leaderboard:"),
    ("app_pages/unit.py", "nav.unit", "unit", ":material/apartment:"),
    ("app_pages/weights.py", "nav.weights", "weights", ":material/tune:"),
    ("app_pages/reverse.py", "nav.reverse", "reverse", ":material/how_to_vote:"),
    ("app_pages/model_settings.py", "nav.model", "model", ":material/account_tree:"),
]

nav = st.navigation([st.Page(f, title=ui.t(k), url_path=u, icon=i, default=(u == "home")) for f, k, u, i in PAGES])
ui.sidebar()
nav.run()
