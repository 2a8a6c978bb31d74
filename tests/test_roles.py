"""Each role in the dashboard (AppTest, demo store): the pages it is shown, every page it may open
renders, every page it may not is neither shown nor usable when its script is run anyway, and what
it may and may not do on the pages it has."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from scoring.store import Store
from tests.apptest import ROOT, open_page

PAGES = ["home", "import_data", "rankings", "unit", "weights", "audit", "reverse", "model_settings", "accounts"]
SHOWN = {  # demo account -> the pages its roles open
    "admin": {"accounts"},
    "officer": {"home", "import_data", "rankings", "unit", "reverse", "model_settings", "accounts"},
    "analyst": {"home", "rankings", "unit", "weights", "audit", "reverse", "model_settings"},
    "leader": {"home", "rankings", "unit", "reverse"},
    "jd01": {"unit"},
}


@pytest.fixture(scope="module", autouse=True)
def demo_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roles")
    mp = pytest.MonkeyPatch()
    mp.setenv("SANWEI_DATABASE_URL", f"sqlite:///{tmp}/sanwei.db")
    mp.setenv("SANWEI_DEMO", "1")
    yield tmp
    mp.undo()


def page_alone(page: str, user: str) -> AppTest:
    """A page's own script run directly, signed in as `user`: what a hidden page does if reached anyway."""
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=120)
    now = time.time()
    for k, v in {"_sanwei_user": user, "_sanwei_since": now, "_sanwei_seen": now, "period": "2026Q3"}.items():
        at.session_state[k] = v
    return at.run()


@pytest.mark.parametrize("user", list(SHOWN))
def test_navigation_shows_each_role_only_its_pages(user):
    first = next(p for p in PAGES if p in SHOWN[user])
    at = open_page(first, user=user)
    assert not at.exception
    for page in PAGES:
        if page in SHOWN[user]:
            at.switch_page(f"app_pages/{page}.py").run()
            assert not at.exception, (user, page, at.exception)
            assert at.title, (user, page)
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"app_pages/{page}.py")


@pytest.mark.parametrize(("user", "page"), [(u, p) for u in SHOWN for p in PAGES if p not in SHOWN[u]])
def test_a_hidden_page_run_anyway_shows_nothing_but_a_refusal(user, page):
    at = page_alone(page, user)
    assert not at.exception
    assert any("无权" in e.value for e in at.error), (user, page)
    assert not at.title and not at.dataframe and not at.button, (user, page)


def test_signed_out_sees_only_the_sign_in_page_with_the_demo_accounts():
    at = open_page("login", user=None)
    assert at.title[0].value == "三维考评 · 登录"
    assert {b.key for b in at.button} >= {f"demo_{u}" for u in ("admin", "officer", "analyst", "leader", "jd01")}
    with pytest.raises(ValueError):
        at.switch_page("app_pages/rankings.py")
    at.button(key="demo_leader").click().run()
    assert at.title[0].value == "2026Q3 三维考评结果"


def test_password_sign_in_and_sign_out(demo_store):
    from scoring.service import Service

    with Store() as store:
        Service.resume(store, "admin").add_account("zhou", "Qingshan-Secret-2026", ["leader"], "周")
    at = open_page("login", user=None)
    at.text_input(key="login_user").input("zhou")
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert any("wrong account name" in e.value or "不正确" in e.value for e in at.error)
    at.text_input(key="login_password").input("Qingshan-Secret-2026")
    at.button[0].click().run()
    assert at.title[0].value == "2026Q3 三维考评结果"
    assert any("周" in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "三维考评 · 登录"


def test_an_idle_session_expires(monkeypatch):
    at = open_page("home", user="leader")
    assert at.title[0].value.startswith("2026Q3")
    at.session_state["_sanwei_seen"] = time.time() - 31 * 60
    at.run()
    assert at.title[0].value == "三维考评 · 登录" and any("expired" in w.value or "自动退出" in w.value for w in at.warning)


def test_a_unit_account_sees_only_its_own_unit():
    at = open_page("unit", user="jd01", unit_id="JD02")  # asking for another unit gets its own
    assert at.selectbox(key="unit_pick").options == ["青山街道 (JD01)"]
    assert at.title[0].value.startswith("青山街道")


def test_leaders_see_which_version_is_published_on_every_page():
    for page in SHOWN["leader"]:
        at = open_page(page, user="leader")
        captions = " ".join(c.value for c in at.sidebar.caption)
        assert "已发布第 1 版" in captions and "发布人 system" in captions and "示范市三维考核模型" in captions, page


def test_what_each_role_may_do_on_its_pages():
    officer = open_page("import_data", user="officer")
    assert {"imp_validate", "imp_publish"} <= {b.key for b in officer.button}
    officer_model = open_page("model_settings", user="officer")
    assert "model_save" not in {b.key for b in officer_model.button}  # officers activate, analysts draft
    analyst_model = open_page("model_settings", user="analyst")
    keys = {b.key for b in analyst_model.button}
    assert "model_save" in keys and "model_activate" not in keys
    admin = open_page("accounts", user="admin")
    assert len(admin.tabs) == 4 and not [t for t in admin.title if "排名" in t.value]
    officer_audit = open_page("accounts", user="officer")
    assert len(officer_audit.tabs) == 1  # officers read the audit log, they do not manage accounts


def test_the_demo_accounts_exist_only_in_a_demo_store(tmp_path, monkeypatch):
    monkeypatch.setenv("SANWEI_DATABASE_URL", f"sqlite:///{tmp_path}/real.db")
    monkeypatch.delenv("SANWEI_DEMO")
    at = open_page("login", user=None)
    assert not [b for b in at.button if b.key.startswith("demo_")]
    assert any("sanwei user add" in c.value for c in at.code)
    with Store(f"sqlite:///{tmp_path}/real.db") as store:
        assert store.is_empty() and not store.count_accounts()  # a real store starts empty, no default account


def test_accounts_page_creates_an_account(demo_store):
    at = open_page("accounts", user="admin")
    form = at.tabs[1]
    form.text_input[0].input("sun")
    form.text_input[1].input("孙主任")
    form.multiselect[0].set_value(["leader"])
    form.text_input[4].input("Longquan-Secret-2026")
    form.button[0].click().run()
    assert not at.exception
    with Store() as store:
        account = store.account("sun")
    assert account.roles == {"leader"} and account.password_hash.startswith("$argon2id$")
