"""Opening a dashboard page in Streamlit's AppTest, the way a user arrives: home first, then the page."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def open_page(page: str = "home", lang: str = "zh", **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["lang"] = lang
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page != "home":
        at.switch_page(f"app_pages/{page}.py").run()
    return at
