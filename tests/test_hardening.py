"""A client's `clear_cache` and `load_git_info` messages, sent over a real WebSocket to a running
dashboard, change nothing: the published data every session shares stays loaded, and no
repository details come back (ui/hardening.py, ui/shared.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.stack import App, free_port
from tests.wsclient import Session

pytestmark = pytest.mark.e2e


def loads(log: Path, kind: str) -> int:
    """How often the app process loaded `kind` into its shared cache (its log says so each time)."""
    return len(re.findall(rf"sanwei\.shared: loaded \('{kind}'", log.read_text(errors="replace")))


async def scenario(app: App) -> dict:
    out = {}
    async with Session(app.url) as leader:
        await leader.sign_in_demo("leader")
        first = await leader.run("rankings")
        out["title"] = first.text()
        out["after_first"] = (loads(app.log, "rankings"), loads(app.log, "result"))
        async with Session(app.url) as other:  # another client, never signed in
            await other.send(BackMsg(clear_cache=True))
            await other.send(BackMsg(load_git_info=True))
            await other.run("")  # a run of its own, so both messages have been handled before it ends
            extra = []
            try:
                while True:
                    data = await asyncio.wait_for(other.ws.recv(), 1.0)
                    msg = ForwardMsg()
                    msg.ParseFromString(data)
                    extra.append(msg.WhichOneof("type"))
            except TimeoutError:
                pass
            out["other_extra"] = extra
        await leader.send(BackMsg(clear_cache=True))  # unpatched, this would also wipe its own sign-in
        again = await leader.run("rankings")  # the same session, still signed in
        out["again"] = again.text()
        out["after_again"] = (loads(app.log, "rankings"), loads(app.log, "result"))
        async with Session(app.url) as late:  # a session arriving after the attempt shares the same copy
            await late.sign_in_demo("leader")
            await late.run("rankings")
        out["after_late"] = (loads(app.log, "rankings"), loads(app.log, "result"))
    return out


def test_clear_cache_and_git_info_from_a_client_change_nothing(tmp_path):
    app = App(free_port(), {"SANWEI_DATABASE_URL": f"sqlite:///{tmp_path}/sanwei.db", "SANWEI_DEMO": "1"}, tmp_path)
    try:
        app.start()
        out = asyncio.run(scenario(app))
    finally:
        app.stop()
    log = app.log.read_text(errors="replace")
    assert "2026Q3" in out["title"] and "2026Q3" in out["again"]
    assert out["after_first"] == (1, 1)
    assert out["after_again"] == out["after_late"] == (1, 1)  # nothing was evicted: nothing loaded again
    assert "refused a client's clear_cache request" in log
    assert "git_info_changed" not in out["other_extra"]
    assert "Traceback" not in log, log[-3000:]
