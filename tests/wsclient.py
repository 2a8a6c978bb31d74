"""A bounded, browserless Streamlit client: what the browser says over /_stcore/stream, nothing more.

Used by bench/load (many concurrent signed-in sessions), the clear_cache test and the stack test.
Streamlit 1.67 protocol: binary WebSocket frames, one serialized ForwardMsg per server frame, one
BackMsg per client frame; nothing runs until the client sends `rerun_script` (ClientState with the
page's url_path in `page_name` — "" is the default page — and the query string). A run ends with
`script_finished`; status 2 (FINISHED_EARLY_FOR_RERUN) means the script called st.rerun and
another run follows.

Signing in is done as a person does it on the demo sign-in page: find the button whose element id
ends with the widget key (`demo_leader`) among the page's deltas, then rerun with that button's
trigger value set, as the browser does on a click.
"""

from __future__ import annotations

import asyncio
import http.cookies
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN


class RunError(RuntimeError):
    """The page did not finish as a user would see it finish."""


def ssl_context(verify: bool = False) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if not verify:  # loopback with a self-signed certificate
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def browser_cookies(base: str) -> str:
    """The cookies a browser holds after its first request (nginx's sticky-route cookie, Streamlit's
    XSRF cookie), as a Cookie header value; each simulated browser calls this once."""
    ctx = ssl_context() if base.startswith("https") else None
    with urllib.request.urlopen(base.rstrip("/") + "/_stcore/health", context=ctx, timeout=10) as resp:
        jar = http.cookies.SimpleCookie()
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


@dataclass
class Run:
    """One script run as the client saw it."""

    seconds: float = 0.0
    status: int = -1
    elements: list = field(default_factory=list)  # Element protos of the deltas, in order
    texts: list[str] = field(default_factory=list)  # markdown/title/caption/alert bodies
    widget_ids: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0

    def widget(self, key: str) -> str:
        """The element id of the widget with user key `key`."""
        for wid in self.widget_ids:
            if wid.endswith(f"-{key}"):
                return wid
        raise RunError(f"no widget with key {key!r} in this run")

    def text(self) -> str:
        return "\n".join(self.texts)


def _collect(run: Run, msg: ForwardMsg) -> None:
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return
    el = msg.delta.new_element
    run.elements.append(el)
    kind = el.WhichOneof("type")
    if kind == "markdown":
        run.texts.append(el.markdown.body)
    elif kind == "heading":
        run.texts.append(el.heading.body)
    elif kind == "alert":
        run.texts.append(el.alert.body)
    inner = getattr(el, kind, None) if kind else None
    wid = getattr(inner, "id", "") if inner is not None else ""
    if isinstance(wid, str) and wid.startswith("$$ID"):
        run.widget_ids.append(wid)


class Session:
    """One browser tab: `async with Session(base) as s: await s.run("rankings")`."""

    def __init__(self, base: str, cookie: str = "", timeout: float = 60.0):
        self.base = base.rstrip("/")
        self.cookie = cookie
        self.timeout = timeout
        self.ws = None
        self.session_id = ""

    async def __aenter__(self) -> Session:
        u = urlsplit(self.base)
        scheme = "wss" if u.scheme == "https" else "ws"
        self.ws = await websockets.connect(
            f"{scheme}://{u.netloc}{u.path}/_stcore/stream", subprotocols=["streamlit"],
            origin=f"{u.scheme}://{u.netloc}", additional_headers={"Cookie": self.cookie} if self.cookie else {},
            ssl=ssl_context() if scheme == "wss" else None, max_size=None, compression=None,
            open_timeout=self.timeout, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def send(self, msg: BackMsg) -> None:
        await self.ws.send(msg.SerializeToString())

    async def run(self, page: str = "", query: str = "", widgets: dict[str, bool] | None = None) -> Run:
        """Ask for `page` (its url_path) and wait until the script has finished (following st.rerun)."""
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = query
        msg.rerun_script.context_info.timezone = "Asia/Shanghai"
        msg.rerun_script.context_info.locale = "zh-CN"
        for wid, value in (widgets or {}).items():
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = wid
            state.trigger_value = value
        start = time.perf_counter()
        await self.send(msg)
        return await self.finish(start)

    async def finish(self, start: float | None = None) -> Run:
        start = time.perf_counter() if start is None else start
        run = Run()
        deadline = start + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise RunError(f"no script_finished within {self.timeout:.0f} s")
            data = await asyncio.wait_for(self.ws.recv(), remaining)
            run.messages += 1
            run.bytes += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
            elif kind == "page_not_found":
                raise RunError(f"page not found: {msg.page_not_found.page_name!r}")
            elif kind == "delta":
                if msg.delta.new_element.WhichOneof("type") == "exception":
                    raise RunError(f"the page raised: {msg.delta.new_element.exception.message}")
                _collect(run, msg)
            elif kind == "script_finished":
                if msg.script_finished == RERUN:  # st.rerun(): the next run's messages follow
                    run = Run()
                    continue
                run.status = msg.script_finished
                run.seconds = time.perf_counter() - start
                if run.status not in DONE:
                    raise RunError(f"script finished with status {run.status}")
                return run

    async def sign_in_demo(self, user: str) -> Run:
        """Open the sign-in page and click the demo account's button; returns the page shown after it."""
        login = await self.run("")
        return await self.run("", widgets={login.widget(f"demo_{user}"): True})
