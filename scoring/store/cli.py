"""`sanwei import | publish | versions | history | annual | export`: the store on the command line.

`register(subparsers)` adds them to the main `sanwei` parser. Exit codes follow it:
0 ok, 1 input errors or nothing to show (message printed, nothing stored).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import DBAPIError

from scoring.cli import say
from scoring.model import load_model
from scoring.store.db import NotFound, default_url_text, resolve_url

EXIT_OK, EXIT_INPUT = 0, 1


@contextmanager
def _service(args: argparse.Namespace) -> Iterator:
    """The application service over the store at --db, acting for --who (imported only when a
    command runs, so building the parser stays cheap)."""
    from scoring.service import Service
    from scoring.store.store import Store

    with Store(args.db) as store:
        yield Service(store, getattr(args, "who", None) or os.environ.get("SANWEI_USER") or getpass.getuser())


def _guarded(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Database failures become a one-line message and exit 1, never a traceback (other
    bilingual errors are printed by the main command's handler)."""
    @wraps(fn)
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except DBAPIError as err:
            print(say(args, f"数据库错误（{args.db}）：{err.orig}", f"database error ({args.db}): {err.orig}"),
                  file=sys.stderr)
        return EXIT_INPUT
    return run


def _table(df: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 500,
                           "display.unicode.east_asian_width", True):
        return df.to_string(index=False)


@_guarded
def cmd_import(args: argparse.Namespace) -> int:
    files = [(Path(p).name, Path(p)) for p in args.files]
    with _service(args) as service:
        # the model saved on the dashboard's model page, unless a file is named: one model for both
        version, report = service.import_files(args.period, files, load_model(args.model) if args.model else None)
    print(report.to_text(args.lang))
    if version is None:
        print(say(args, "有错误，未保存任何数据", "errors found: nothing was stored"), file=sys.stderr)
        return EXIT_INPUT
    print(say(args, f"已保存为 {version.period} 第 {version.number} 版（草稿），发布：sanwei publish {version.period}",
              f"stored as {version.period} version {version.number} (draft); publish with: sanwei publish {version.period}"))
    return EXIT_OK


@_guarded
def cmd_publish(args: argparse.Namespace) -> int:
    with _service(args) as service:
        v = service.publish(args.period, args.version)
    print(say(args, f"已发布 {v.period} 第 {v.number} 版", f"published {v.period} version {v.number}"))
    return EXIT_OK


@_guarded
def cmd_versions(args: argparse.Namespace) -> int:
    with _service(args) as service:
        if args.diff:
            print(service.store.diff(args.period, *args.diff).to_text())
            return EXIT_OK
        versions = service.store.versions(args.period)
    if not versions:
        raise NotFound(f"没有 {args.period} 的数据", f"no data for {args.period}")
    df = pd.DataFrame([{"version": v.number, "published": "*" if v.published else "", "created_by": v.created_by,
                        "created_at": v.created_at, "published_at": v.published_at or "", "model": v.model_label,
                        "units": v.row_counts["units"], "survey": v.row_counts["survey"],
                        "checksum": v.checksum[:12]} for v in versions])
    print(_table(df))
    return EXIT_OK


def _show(df: pd.DataFrame, missing: tuple[str, str]) -> int:
    """Print a table rounded for reading, or say why there is nothing to show."""
    if df.empty:
        raise NotFound(*missing)
    print(_table(df.round(2)))
    return EXIT_OK


@_guarded
def cmd_history(args: argparse.Namespace) -> int:
    with _service(args) as service:
        df = service.store.history(args.unit)
    cols = ["period", "version", "unit_name", "group", "total", "delta_total", "mass", "performance", "compliance",
            "rank_group", "rank_overall", "rank_change", "grade"]
    return _show(df.reindex(columns=cols), (f"单位 {args.unit} 没有已发布的结果", f"unit {args.unit} has no published result"))


@_guarded
def cmd_annual(args: argparse.Namespace) -> int:
    with _service(args) as service:
        df = service.annual(args.year)
    return _show(df, (f"{args.year} 年没有已排名的单位", f"no ranked unit in {args.year}"))


@_guarded
def cmd_export(args: argparse.Namespace) -> int:
    from scoring.store.export import write_ranking_xlsx

    with _service(args) as service:
        write_ranking_xlsx(service.store, args.period, args.out, args.lang)
    print(say(args, f"已导出：{args.out}", f"written: {args.out}"))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    db = {"default": resolve_url(),
          "help": f"database URL (sqlite:///FILE or postgresql://…); default $SANWEI_DATABASE_URL or {default_url_text()}"}
    who = {"default": None, "help": "name for the audit log; default $SANWEI_USER or the login name"}

    p = subparsers.add_parser("import", help="validate spreadsheets and store them as a new draft version")
    p.add_argument("files", nargs="+")
    p.add_argument("--period", required=True)
    p.add_argument("--model", help="model file (TOML); default: the store's active model (模型设置), else the bundled one")
    p.add_argument("--db", **db)
    p.add_argument("--who", **who)
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("publish", help="publish a version of a period (default: the latest)")
    p.add_argument("period")
    p.add_argument("--version", type=int)
    p.add_argument("--db", **db)
    p.add_argument("--who", **who)
    p.set_defaults(func=cmd_publish)

    p = subparsers.add_parser("versions", help="list a period's versions, or compare two")
    p.add_argument("period")
    p.add_argument("--diff", nargs=2, type=int, metavar=("OLD", "NEW"))
    p.add_argument("--db", **db)
    p.set_defaults(func=cmd_versions)

    p = subparsers.add_parser("history", help="one unit across the published quarters")
    p.add_argument("unit")
    p.add_argument("--db", **db)
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser("annual", help="the annual roll-up of a year's published quarters")
    p.add_argument("year")
    p.add_argument("--db", **db)
    p.set_defaults(func=cmd_annual)

    p = subparsers.add_parser("export", help="the published ranking of a period as a formatted .xlsx")
    p.add_argument("period")
    p.add_argument("--out", required=True)
    p.add_argument("--db", **db)
    p.set_defaults(func=cmd_export)
