"""Reading runs where a crash or an allocation failure cannot kill the server (issue 10 §1): a child
with a memory and a time limit, a located refusal when it dies, and the next read works."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xlsxwriter

from scoring import isolation
from scoring.limits import Limits, MiB
from scoring.reader import read_table
from scoring.report import InputError
from tests.fixtures import make_fixtures as mf

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="module")
def big_survey(tmp_path_factory) -> Path:
    """60,000 rows x 12 columns: a few seconds and a few hundred MiB to read."""
    path = tmp_path_factory.mktemp("iso") / "survey.xlsx"
    rng = np.random.default_rng(0)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("群众评价")
    ws.write_row(0, 0, ["问卷编号", "单位编码", "受访者类别", "调查方式"] + [f"Q{i}" for i in range(1, 9)])
    words = ["满意", "比较满意", "基本满意", "不满意"]
    for r in range(1, 60_001):
        ws.write_row(r, 0, [f"R{r}", f"U{r % 500:04d}", "群众", "电话"] + [words[k] for k in rng.integers(0, 4, 8)])
    wb.close()
    return path


@pytest.fixture(scope="module")
def dense(tmp_path_factory) -> Path:
    """A 1 KB file within every budget (2,000,000 rows x 12 columns = 24 M cells) that the parser
    allocates densely: about a gigabyte to read."""
    path = tmp_path_factory.mktemp("iso") / "dense.xlsx"
    mf.raw_xlsx(path, mf.HEADER_ROW + '<row r="2000000"><c r="L2000000"><v>1</v></c></row>')
    return path


def refusal(source, name: str, limits: Limits) -> str:
    with pytest.raises(InputError) as err:
        read_table(source, name, limits=limits)
    [issue] = err.value.report.errors
    assert issue.file == name
    return issue.message_en


def test_a_read_that_needs_more_memory_than_allowed_is_refused_and_the_next_read_works(dense):
    """The address-space limit stops the child (a Rust allocation failure aborts it, a Python one
    raises MemoryError): either way the caller gets a located refusal, and this process lives on."""
    message = refusal(dense, "dense.xlsx", Limits(child_memory_bytes=700 * MiB))
    assert "more memory than the limit" in message
    assert len(read_table(DEMO / "units.xlsx", "units.xlsx").data) == 36


def test_a_read_that_takes_too_long_is_stopped(big_survey):
    message = refusal(big_survey, "survey.xlsx", Limits(child_seconds=0.3, child_seconds_per_mib=0))
    assert "took longer than allowed" in message
    assert len(read_table(DEMO / "units.xlsx", "units.xlsx").data) == 36


def test_a_child_killed_or_crashed_becomes_a_located_refusal():
    limits = Limits()
    assert "more memory" in isolation._died("a.xlsx", -signal.SIGABRT, limits).report.errors[0].message_en
    assert "more memory" in isolation._died("a.xlsx", -signal.SIGKILL, limits).report.errors[0].message_en
    assert "stopped abnormally" in isolation._died("a.xlsx", -signal.SIGSEGV, limits).report.errors[0].message_en
    assert "took longer" in isolation._died("a.xlsx", -signal.SIGXCPU, limits).report.errors[0].message_en


def test_a_dead_helper_is_started_again():
    isolation.warm_up()
    isolation._HELPER.proc.kill()
    isolation._HELPER.proc.wait()
    assert len(read_table(DEMO / "units.xlsx", "units.xlsx").data) == 36


def test_the_cli_shows_a_refusal_not_the_parser_s_own_output(dense, tmp_path):
    """What the child prints (a Rust message on an allocation failure) never reaches the user."""
    code = ("import sys; from scoring.limits import Limits, MiB; import scoring.reader as r;"
            "r.read_table.__kwdefaults__['limits'] = Limits(child_memory_bytes=700 * MiB);"
            "from scoring.cli import main; sys.exit(main(['validate', '--lang', 'en', sys.argv[1]]))")
    out = subprocess.run([sys.executable, "-c", code, str(dense)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "more memory than the limit" in out.stdout
    assert "panicked" not in out.stdout + out.stderr and "Traceback" not in out.stdout + out.stderr
