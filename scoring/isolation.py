"""Reading an upload where a crash or an allocation failure cannot take the server down.

Every file is read (guard, parse, clean: `scoring.reader.read_here`) in a child process forked
from a forkserver that has the reading modules imported (a fork costs a few milliseconds, not a
new interpreter). The child runs under an address-space limit (RLIMIT_AS), a CPU limit, a file
size limit, no core dumps and a lower priority; the parent waits at most `Limits.seconds_for`
the file's size. The table comes back as one Arrow IPC file (memory-mapped, no pickling of
Python objects), a refusal as the located issues it raised. A child that is killed, aborts or
runs out of memory or time becomes a located refusal naming the file; its output (a Rust
panic message, say) goes to a log file that is thrown away, never to the user.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import signal
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from scoring.limits import MiB, Limits
from scoring.report import InputError, Issue, Report
from scoring.xlsx_guard import refuse

_CONTEXT = None
_CONTEXT_LOCK = threading.Lock()
TABLE, REFUSED = "table.arrow", "refused.json"


def _context():
    """The forkserver context, started once per process with the reading modules preloaded
    ("__main__" too, so a forked child does not run the main script again)."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["__main__", "scoring.isolation", "scoring.reader"])
            _CONTEXT = ctx
    return _CONTEXT


def warm_up() -> None:
    """Start the forkserver now (it imports the reading modules in parallel with the caller), so
    the first file read does not wait for it. Harmless to call more than once."""
    from multiprocessing import forkserver

    _context()
    threading.Thread(target=forkserver.ensure_running, name="sanwei-forkserver", daemon=True).start()


def _limit(limits: Limits, seconds: float) -> None:
    """Limits of the reading child, set before it touches the file (soft = hard: no way back)."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.child_memory_bytes, limits.child_memory_bytes))
    cpu = int(seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    size = limits.max_unzipped_bytes + 2 * limits.max_upload_bytes + 512 * MiB
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(5)


def _quiet(folder: Path) -> None:
    """The child's stdout and stderr (a Rust panic message, a warning) go to a log nobody shows."""
    fd = os.open(folder / "child.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _child(path: str, name: str, extra: frozenset[str], hint: tuple[str, ...], limits: Limits, seconds: float,
           folder: str) -> None:
    """What the child runs: read, then write the table or the refusal into `folder`."""
    from scoring.reader import read_here

    out = Path(folder)
    _quiet(out)
    _limit(limits, seconds)
    try:
        table = read_here(Path(path), name, extra_headers=extra, sheet_hint=hint, limits=limits)
        _write_table(out / TABLE, table)
    except InputError as err:
        _write_refusal(out, err.report.issues)
    except MemoryError:
        _write_refusal(out, [_memory_issue(name, limits)])
    except Exception:  # a bug of ours, or a parser failure not caught where it happened: still an answer
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
    if exitcode is not None and exitcode < 0 and -exitcode in (signal.SIGKILL, signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
        return InputError(Report([_memory_issue(name, limits)])) if -exitcode in (signal.SIGKILL, signal.SIGABRT) \
            else _crashed(name)
    if exitcode is not None and exitcode < 0 and -exitcode == signal.SIGXCPU:
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
            path = Path(source)
            size = path.stat().st_size if path.exists() else 0
        seconds = limits.seconds_for(size)
        process = _context().Process(target=_child, daemon=True, name="sanwei-read",
                                     args=(str(path), name, extra_headers, sheet_hint, limits, seconds, str(folder)))
        process.start()
        process.join(seconds)
        if process.is_alive():
            process.kill()
            process.join()
            raise _too_slow(name)
        if (folder / TABLE).exists():
            return _read_table(folder / TABLE)
        if (folder / REFUSED).exists():
            issues = json.loads((folder / REFUSED).read_text(encoding="utf-8"))
            raise InputError(Report([Issue.from_json(i) for i in issues]))
        raise _died(name, process.exitcode, limits)
