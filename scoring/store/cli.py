"""`sanwei import | publish | versions | history | annual | export`: the store on the command line.

`register(subparsers)` adds them to the main `sanwei` parser. Exit codes follow it:
0 ok, 1 input errors or nothing to show (message printed, nothing stored).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import DBAPIError

from scoring.model import load_model
from scoring.store.db import DEFAULT_URL, NotFound, resolve_url
from scoring.store.schema import SchemaError

EXIT_OK, EXIT_INPUT = 0, 1


def _open(url: str):
    """The store, imported only when a command runs (building the parser stays cheap)."""
    from scoring.store.store import Store

    return Store(url)


def _zh(args: argparse.Namespace) -> bool:
    return getattr(args, "lang", "zh") == "zh"


def _guarded(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Store problems become a one-line message and exit 1, never a traceback."""
    @wraps(fn)
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (NotFound, SchemaError) as err:
            print(str(err), file=sys.stderr)
        except DBAPIError as err:
            print(f"数据库错误 / database error ({args.db}): {err.orig}", file=sys.stderr)
        return EXIT_INPUT
    return run


def _table(df: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 500,
                           "display.unicode.east_asian_width", True):
        return df.to_string(index=False)


@_guarded
def cmd_import(args: argparse.Namespace) -> int:
    files = [(Path(p).name, Path(p)) for p in args.files]
    with _open(args.db) as store:
        # the model saved on the dashboard's model page, unless a file is named: one model for both
        model = load_model(args.model) if args.model else store.active_model(load_model())
        version, report = store.import_files(model, args.period, files, who=args.who)
    lang = getattr(args, "lang", "zh")
    print(report.to_text(lang))
    if version is None:
        print("有错误，未保存任何数据 / errors found: nothing was stored", file=sys.stderr)
        return EXIT_INPUT
    print(f"已保存为 {version.period} 第 {version.number} 版（草稿），发布：sanwei publish {version.period}"
          if _zh(args) else
          f"stored as {version.period} version {version.number} (draft); publish with: sanwei publish {version.period}")
    return EXIT_OK


@_guarded
def cmd_publish(args: argparse.Namespace) -> int:
    with _open(args.db) as store:
        v = store.publish(args.period, args.version, who=args.who)
    print(f"已发布 {v.period} 第 {v.number} 版 / published {v.period} version {v.number}")
    return EXIT_OK


@_guarded
def cmd_versions(args: argparse.Namespace) -> int:
    with _open(args.db) as store:
        if args.diff:
            print(store.diff(args.period, *args.diff).to_text())
            return EXIT_OK
        versions = store.versions(args.period)
    if not versions:
        raise NotFound(f"没有 {args.period} 的数据 / no data for {args.period}")
    df = pd.DataFrame([{"version": v.number, "published": "*" if v.published else "", "created_by": v.created_by,
                        "created_at": v.created_at, "published_at": v.published_at or "", "model": v.model_label,
                        "units": v.row_counts["units"], "survey": v.row_counts["survey"],
                        "checksum": v.checksum[:12]} for v in versions])
    print(_table(df))
    return EXIT_OK


def _show(df: pd.DataFrame, missing: str) -> int:
    """Print a table rounded for reading, or say why there is nothing to show."""
    if df.empty:
        raise NotFound(missing)
    print(_table(df.round(2)))
    return EXIT_OK


@_guarded
def cmd_history(args: argparse.Namespace) -> int:
    with _open(args.db) as store:
        df = store.history(args.unit)
    cols = ["period", "version", "unit_name", "group", "total", "delta_total", "mass", "performance", "compliance",
            "rank_group", "rank_overall", "rank_change", "grade"]
    return _show(df.reindex(columns=cols), f"单位 {args.unit} 没有已发布的结果 / unit {args.unit} has no published result")


@_guarded
def cmd_annual(args: argparse.Namespace) -> int:
    with _open(args.db) as store:
        df = store.annual(args.year)
    return _show(df, f"{args.year} 年没有已排名的单位 / no ranked unit in {args.year}")


@_guarded
def cmd_export(args: argparse.Namespace) -> int:
    with _open(args.db) as store:
        from scoring.store.export import write_ranking_xlsx

        write_ranking_xlsx(store, args.period, args.out)
    print(f"已导出 / written: {args.out}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    db = {"default": resolve_url(),
          "help": f"database URL (sqlite:///FILE or postgresql://…); default $SANWEI_DATABASE_URL or {DEFAULT_URL}"}
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
