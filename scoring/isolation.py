"""Reading an upload where a crash or an allocation failure cannot take the server down.

Every file is read (guard, parse, clean: `scoring.reader.read_here`) in a child process forked
from a small helper process (`python -m scoring.isolation`) that has the reading modules imported,
so a read costs a fork (milliseconds), not a new interpreter. The helper is ours rather than
multiprocessing's forkserver: that one re-runs the parent's `__main__` in each child, and under
Streamlit `__main__` is the page script being run.

The child runs under an address-space limit (RLIMIT_AS), a CPU limit, a file-size limit and no core
dumps; the parent waits at most `Limits.seconds_for` the file's size and
then kills it. The table comes back as one Arrow IPC file (memory-mapped, no pickled Python
objects), a refusal as the located issues it raised. A child that is killed, aborts or runs out
of memory or time becomes a located refusal naming the file; its own output (a Rust panic
message, say) goes to a log file that is thrown away, never to the user.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from scoring.limits import Limits, MiB
from scoring.report import InputError, Issue, Report
from scoring.xlsx_guard import refuse

TABLE, REFUSED = "table.arrow", "refused.json"


class _Helper:
    """The helper process and a line-based conversation with it (one read at a time)."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        self.proc = subprocess.Popen([sys.executable, "-m", "scoring.isolation"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)
        self.buffer = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, request: dict) -> None:
        self.proc.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode())
        self.proc.stdin.flush()

    def receive(self, timeout: float | None) -> dict | None:
        """The next reply, or None if none came within `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            data = os.read(fd, 65536)
            if not data:
                raise EOFError("the reading helper stopped")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        """Stop the helper: end of input lets it finish; a helper that lingers is killed."""
        try:
            self.proc.stdin.close()
            self.proc.wait(2)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


_HELPER: _Helper | None = None
_HELPER_LOCK = threading.Lock()


def _helper() -> _Helper:
    global _HELPER
    if _HELPER is None or not _HELPER.alive():
        if _HELPER is not None:
            _HELPER.close()
        _HELPER = _Helper()
    return _HELPER


@atexit.register
def _shutdown() -> None:
    if _HELPER is not None:
        _HELPER.close()


def warm_up() -> None:
    """Start the helper now (it imports the reading modules in parallel with the caller), so the
    first file read does not wait for it. Harmless to call more than once."""
    with _HELPER_LOCK:
        _helper()


def _serve() -> None:
    """The helper's loop: for each request line, fork a child that reads the file, reply with its
    pid, wait for it, reply with its exit status. Single-threaded, so forking is safe."""
    import scoring.reader  # noqa: F401 - imported once here, inherited by every child

    out = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _child(**request)
            finally:
                os._exit(0)
        out.write(json.dumps({"pid": pid}) + "\n")
        _, status = os.waitpid(pid, 0)
        out.write(json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\n")


def _limit(limits: Limits, seconds: float) -> None:
    """Limits of the reading child, set before it touches the file (soft = hard: no way back)."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.child_memory_bytes, limits.child_memory_bytes))
    cpu = int(seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    size = limits.max_unzipped_bytes + 2 * limits.max_upload_bytes + 512 * MiB
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # no lower priority: one reading child at a time per server (the import gate) takes at most one
    # core, and a niced child on a busy machine would overrun its own time limit


def _quiet(folder: Path) -> None:
    """The child's stdout and stderr (a Rust panic message, a warning) go to a log nobody shows."""
    fd = os.open(folder / "child.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _child(path: str, name: str, extra: list[str], hint: list[str], limits: dict, seconds: float, folder: str) -> None:
    """What the child runs: read, then write the table or the refusal into `folder`."""
    from scoring.reader import read_here

    out = Path(folder)
    _quiet(out)
    limits = Limits(**limits)
    _limit(limits, seconds)
    try:
        table = read_here(Path(path), name, extra_headers=frozenset(extra), sheet_hint=tuple(hint), limits=limits)
        _write_table(out / TABLE, table)
    except InputError as err:
        _write_refusal(out, err.report.issues)
    except MemoryError:
        _write_refusal(out, [_memory_issue(name, limits)])
    except BaseException:  # a bug of ours, or a parser failure not caught where it happened: still an answer
        _write_refusal(out, refuse(name, "文件无法读取（内容异常）；请在 Excel/WPS 中重新保存为 .xlsx 后再上传。",
                                   "The file cannot be read (its content is not as expected); save it again as .xlsx "
                                   "in Excel/WPS and upload again.").report.issues)


def _write_refusal(out: Path, issues: list[Issue]) -> None:
    tmp = out / (REFUSED + ".part")
    tmp.write_text(json.dumps([i.as_json() for i in issues], ensure_ascii=False), encoding="utf-8")
    tmp.rename(out / REFUSED)


def _memory_issue(name: str, limits: Limits) -> Issue:
    return refuse(name, f"读取该文件需要的内存超过上限 {limits.child_memory_bytes / MiB:,.0f} MiB，已拒绝；请拆分文件或删除多余的行列。",
                  f"Reading the file needs more memory than the limit of {limits.child_memory_bytes / MiB:,.0f} MiB; "
                  "refused. Split the file or delete unused rows and columns.").report.issues[0]


def _write_table(path: Path, table) -> None:
    columns = {f"c{j}": pa.array(table.data[j], type=pa.large_string()) for j in table.data.columns}
    columns["__row"] = pa.array(np.asarray(table.rows, dtype=np.int64))
    meta = {"file": table.file, "sheet": table.sheet, "header": table.header, "columns": table.columns,
            "report": [i.as_json() for i in table.report.issues]}
    data = pa.table(columns).replace_schema_metadata({"sanwei": json.dumps(meta, ensure_ascii=False)})
    tmp = path.with_suffix(".part")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, data.schema) as writer:
        writer.write_table(data)
    tmp.rename(path)


def _read_table(path: Path):
    from scoring.reader import Table

    with pa.memory_map(str(path)) as source:
        data = pa.ipc.open_file(source).read_all()
    meta = json.loads(data.schema.metadata[b"sanwei"])
    width = data.num_columns - 1
    frame = pd.DataFrame({j: data.column(f"c{j}").to_pandas().astype("str") for j in range(width)},
                         index=pd.RangeIndex(data.num_rows))
    frame.columns = range(width)
    report = Report([Issue.from_json(i) for i in meta["report"]])
    return Table(meta["file"], meta["sheet"], meta["header"], meta["columns"],
                 data.column("__row").to_numpy(), frame, report)


def _died(name: str, exitcode: int | None, limits: Limits) -> InputError:
    """A child that ended without writing an answer: killed (by the kernel for memory, or by a
    limit), aborted (an allocation the address-space limit refused), or crashed."""
    if exitcode in (-signal.SIGKILL, -signal.SIGABRT):
        return InputError(Report([_memory_issue(name, limits)]))
    if exitcode in (-signal.SIGXCPU, -signal.SIGXFSZ):
        return _too_slow(name)
    return _crashed(name)


def _crashed(name: str) -> InputError:
    return refuse(name, "读取该文件时读取程序异常退出（文件可能已损坏或被恶意构造），已拒绝；其他用户不受影响。",
                  "The reader stopped abnormally on this file (it may be damaged or built to attack the reader); "
                  "refused. Nobody else is affected.")


def _too_slow(name: str) -> InputError:
    return refuse(name, "读取该文件超过时间上限，已停止并拒绝；请拆分文件或删除多余的行列后再上传。",
                  "Reading the file took longer than allowed; it was stopped and refused. Split the file or delete "
                  "unused rows and columns, then upload again.")


def read_isolated(source: str | Path | bytes, name: str, *, extra_headers: frozenset[str] = frozenset(),
                  sheet_hint: tuple[str, ...] = (), limits: Limits | None = None):
    """`scoring.reader.read_here` in a child process with a memory and a time limit; the same
    Table or InputError, plus a located refusal when the child dies or takes too long."""
    from scoring.reader import DEFAULT_LIMITS

    limits = limits or DEFAULT_LIMITS
    with tempfile.TemporaryDirectory(prefix="sanwei-read-") as tmp:  # created 0700
        folder = Path(tmp)
        if isinstance(source, bytes):
            path = folder / "upload"
            path.write_bytes(source)
            size = len(source)
        else:
            path = Path(source).resolve()
            size = path.stat().st_size if path.exists() else 0
        seconds = limits.seconds_for(size)
        request = {"path": str(path), "name": name, "extra": sorted(extra_headers), "hint": list(sheet_hint),
                   "limits": dataclasses.asdict(limits), "seconds": seconds, "folder": str(folder)}
        with _HELPER_LOCK:
            exitcode, timed_out = _run(request, seconds)
        if timed_out:
            raise _too_slow(name)
        if (folder / TABLE).exists():
            return _read_table(folder / TABLE)
        if (folder / REFUSED).exists():
            issues = json.loads((folder / REFUSED).read_text(encoding="utf-8"))
            raise InputError(Report([Issue.from_json(i) for i in issues]))
        raise _died(name, exitcode, limits)


def _run(request: dict, seconds: float) -> tuple[int | None, bool]:
    """Have the helper fork a child for `request`; kill it after `seconds`. (exit code, timed out)."""
    for attempt in (1, 2):  # a helper that died since the last read is started again once
        helper = _helper()
        try:
            helper.send(request)
            pid = helper.receive(60)["pid"]
            reply = helper.receive(seconds)
            if reply is not None:
                return reply["status"], False
            os.kill(pid, signal.SIGKILL)
            helper.receive(60)
            return None, True
        except (OSError, EOFError, TypeError, ValueError):
            helper.close()
            if attempt == 2:
                raise
    return None, False


if __name__ == "__main__":
    _serve()
