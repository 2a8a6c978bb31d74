"""`sanwei import | publish | versions | history | annual | export | user | model | backup | restore`: the store on the command line.

`register(subparsers)` adds them to the main `sanwei` parser. Exit codes follow it: 0 ok, 1 input
errors, a refusal or nothing to show (message printed, nothing stored).

Every command signs in: `--user NAME` (or $SANWEI_USER) with the password from $SANWEI_PASSWORD
or a hidden prompt, and then goes through the application service, which checks the account's
roles exactly as the dashboard does. The exceptions need a store that has no account yet, where
nobody could sign in: its first administrator (`sanwei user add NAME --role admin`) and restoring
a backup into it (`sanwei restore FILE`).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from pathlib import Path

import pandas as pd
from sqlalchemy.exc import DBAPIError

from scoring.cli import say
from scoring.store.db import NotFound, default_url_text, resolve_url
from scoring.text import SanweiError

EXIT_OK, EXIT_INPUT = 0, 1
ROLES = ("admin", "officer", "analyst", "leader", "unit")


class CommandError(SanweiError):
    """The command cannot run as given (no account, no password, not confirmed)."""


def _store(args: argparse.Namespace):
    from scoring.store.store import Store

    return Store(args.db)


def _password(zh: str, en: str, args: argparse.Namespace, env: str | None = "SANWEI_PASSWORD") -> str:
    """A password from the environment, else a hidden prompt; never an argument (it would show in `ps`)."""
    if env and os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise CommandError(f"需要密码：请设置 {env} 或在终端中运行", f"a password is needed: set {env} or run in a terminal")
    return getpass.getpass(say(args, zh, en))


def _new_password(args: argparse.Namespace) -> str:
    """The password of a new account or a password change: one line of stdin with --password-stdin,
    else typed twice at a hidden prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("请用 --password-stdin 提供新密码，或在终端中运行",
                           "give the new password with --password-stdin, or run in a terminal")
    first = getpass.getpass(say(args, "新密码：", "new password: "))
    if getpass.getpass(say(args, "再输入一次：", "again: ")) != first:
        raise CommandError("两次输入的密码不一致", "the two passwords differ")
    return first


@contextmanager
def _service(args: argparse.Namespace) -> Iterator:
    """The application service over the store at --db, acting for the signed-in --user."""
    from scoring.service import Service

    with _store(args) as store:
        if not store.count_accounts():
            raise CommandError("此数据库还没有任何账户。请先创建第一个管理员：sanwei user add 账户名 --role admin",
                               "this store has no account yet: create the first admin with "
                               "sanwei user add NAME --role admin")
        user = args.user or os.environ.get("SANWEI_USER")
        if not user:
            raise CommandError("请用 --user 指定账户（或设置 SANWEI_USER）", "name your account with --user (or set SANWEI_USER)")
        yield Service.sign_in(store, user, _password(f"{user} 的密码：", f"password of {user}: ", args))


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


def _confirm(args: argparse.Namespace, zh: str, en: str) -> None:
    """Ask before an action leaders will see; --yes answers for scripts."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise CommandError("请在终端中确认，或加 --yes", "confirm in a terminal, or add --yes")
    if input(say(args, f"{zh} [y/N] ", f"{en} [y/N] ")).strip().lower() not in ("y", "yes", "是"):
        raise CommandError("已取消，未做任何更改", "cancelled: nothing was changed")


# ---------------------------------------------------------------- quarters

@_guarded
def cmd_import(args: argparse.Namespace) -> int:
    from scoring.model import load_model

    files = [(Path(p).name, Path(p)) for p in args.files]
    with _service(args) as service:
        # the model activated on the dashboard's model page, unless a file is named: one model for both
        version, report = service.import_files(args.period, files, load_model(args.model) if args.model else None,
                                               args.confirm_period)
    print(report.to_text(args.lang))
    if version is None:
        print(say(args, "有错误，未保存任何数据", "errors found: nothing was stored"), file=sys.stderr)
        return EXIT_INPUT
    print(say(args, f"已保存为 {version.period} 第 {version.number} 版（草稿），发布：sanwei publish {version.period} --reason …",
              f"stored as {version.period} version {version.number} (draft); publish with: "
              f"sanwei publish {version.period} --reason …"))
    return EXIT_OK


@_guarded
def cmd_publish(args: argparse.Namespace) -> int:
    with _service(args) as service:
        target = service.store.version(args.period, args.version if args.version is not None else "latest")
        periods = service.store.periods().set_index("period")
        current = periods.at[args.period, "published_version"]
        now = "" if pd.isna(current) else f"（当前发布：第 {int(current)} 版）"
        now_en = "" if pd.isna(current) else f" (published now: version {int(current)})"
        _confirm(args, f"发布 {args.period} 第 {target.number} 版{now}？", f"Publish {args.period} version {target.number}{now_en}?")
        v = service.publish(args.period, target.number, args.reason, args.announce_until)
    print(say(args, f"已发布 {v.period} 第 {v.number} 版", f"published {v.period} version {v.number}"))
    return EXIT_OK


@_guarded
def cmd_versions(args: argparse.Namespace) -> int:
    with _service(args) as service:
        versions = service.versions(args.period)
        if args.diff:
            print(service.store.diff(args.period, *args.diff).to_text())
            return EXIT_OK
    if not versions:
        raise NotFound(f"没有 {args.period} 的数据", f"no data for {args.period}")
    df = pd.DataFrame([{"version": v.number, "published": "*" if v.published else "", "created_by": v.created_by,
                        "created_at": v.created_at, "published_by": v.published_by or "",
                        "published_at": v.published_at or "", "reason": v.publish_reason or "", "model": v.model_label,
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
        df = service.history(args.unit)
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
        service.require_read(args.period)
        write_ranking_xlsx(service.store, args.period, args.out, args.lang)
    print(say(args, f"已导出：{args.out}", f"written: {args.out}"))
    return EXIT_OK


# ---------------------------------------------------------------- the quarter's end

@_guarded
def cmd_appeal(args: argparse.Namespace) -> int:
    """appeal list | file | decide | correct: the same rules as the 申诉复核 page."""
    with _service(args) as service:
        if args.action == "file":
            files = [(Path(p).name, Path(p).read_bytes()) for p in args.evidence or []]
            number = service.file_appeal(args.period, args.target, args.reason or "", files)
            print(say(args, f"已提交第 {number} 号申诉", f"filed appeal {number}"))
        elif args.action == "decide":
            if args.accept == args.reject:
                raise CommandError("请给出 --accept 或 --reject（二选一）", "give --accept or --reject (one of them)")
            service.decide_appeal(args.id, args.accept, args.reply or "")
            print(say(args, f"已处理第 {args.id} 号申诉", f"decided appeal {args.id}"))
        elif args.action == "correct":
            v = service.correct_appeal(args.id, args.value)
            print(say(args, f"已保存为 {v.period} 第 {v.number} 版（草稿，关联第 {args.id} 号申诉），发布：sanwei publish {v.period} --reason …",
                      f"stored as {v.period} version {v.number} (draft, linked to appeal {args.id}); publish with: "
                      f"sanwei publish {v.period} --reason …"))
        else:
            rows = [{"id": a.id, "period": a.period, "unit": a.unit_id, "target": a.target, "status": a.status,
                     "filed_at": a.filed_at[:16], "files": len(a.files), "reply": a.reply or "",
                     "correction": a.correction_version or ""} for a in service.appeals(args.period)]
            if not rows:
                raise NotFound("没有申诉", "no appeals")
            print(_table(pd.DataFrame(rows)))
    return EXIT_OK


@_guarded
def cmd_report(args: argparse.Namespace) -> int:
    """A unit's feedback report (.pdf or .docx by the file name), or every unit's (--all, a .zip)."""
    out = Path(args.out)
    with _service(args) as service:
        if args.all:
            data = service.feedback_zip(args.period, args.lang)
        else:
            unit = args.unit or service.actor.unit_id
            if not unit:
                raise CommandError("请用 --unit 指定单位，或用 --all", "name the unit with --unit, or use --all")
            data = service.feedback_report(args.period, unit, "docx" if out.suffix.lower() == ".docx" else "pdf",
                                           args.lang)
    out.write_bytes(data)
    print(say(args, f"已写入：{out}", f"written: {out}"))
    return EXIT_OK


@_guarded
def cmd_announcement(args: argparse.Namespace) -> int:
    out = Path(args.out)
    with _service(args) as service:
        data = service.announcement_list(args.period, "xlsx" if out.suffix.lower() == ".xlsx" else "pdf", args.lang)
    out.write_bytes(data)
    print(say(args, f"已写入：{out}", f"written: {out}"))
    return EXIT_OK


@_guarded
def cmd_warnings(args: argparse.Namespace) -> int:
    with _service(args) as service:
        df = service.warnings(args.period, args.unit)
    df = df.assign(rules=df["rules"].map(lambda fs: "; ".join(f.text.get(args.lang) for f in fs)))
    return _show(df, (f"{args.period} 没有单位", f"no unit in {args.period}"))


# ---------------------------------------------------------------- accounts

@_guarded
def cmd_user(args: argparse.Namespace) -> int:
    from scoring.service import Service

    if args.action != "list" and not args.name:
        raise CommandError("请给出账户名", "name the account")
    if args.action == "add":
        with _store(args) as store:
            first = not store.count_accounts()
        if first:  # the first admin: made here, by whoever may open the database, never by a default password
            if args.role != ["admin"]:
                raise CommandError("第一个账户必须是管理员：--role admin", "the first account must be an admin: --role admin")
            with _store(args) as store:
                Service.create_first_admin(store, args.name, _new_password(args), args.display or "")
            print(say(args, f"已创建第一个管理员“{args.name}”", f"created the first admin {args.name!r}"))
            return EXIT_OK
    with _service(args) as service:
        if args.action == "add":
            service.add_account(args.name, None if args.sso and not args.password_stdin else _new_password(args),
                                args.role, args.display or "", args.unit, args.sso)
        elif args.action == "passwd":
            service.set_password(args.name, _new_password(args))
        elif args.action in ("disable", "enable"):
            service.set_disabled(args.name, args.action == "disable")
        elif args.action == "roles":
            service.set_roles(args.name, args.role, args.unit)
        elif args.action == "sso":
            service.set_sso(args.name, args.identity)
        else:
            rows = [{"account": a.username, "name": a.display_name, "roles": ",".join(sorted(a.roles)),
                     "unit": a.unit_id or "", "sso": a.sso or "", "disabled": "yes" if a.disabled else "",
                     "last_login": a.last_login_at or ""} for a in service.accounts()]
            print(_table(pd.DataFrame(rows)))
            return EXIT_OK
    print(say(args, "完成", "done"))
    return EXIT_OK


# ---------------------------------------------------------------- models

@_guarded
def cmd_model(args: argparse.Namespace) -> int:
    from scoring.model import load_model

    with _service(args) as service:
        if args.action == "save":
            model_id = service.save_model(load_model(args.file), args.note or "")
            print(say(args, f"已保存为模型草稿 #{model_id}（考核办启用后才用于计分）",
                      f"saved as model draft #{model_id} (it scores once an officer activates it)"))
        elif args.action == "activate":
            service.activate_model(args.id, args.reason)
            print(say(args, f"已启用模型 #{args.id}", f"activated model #{args.id}"))
        else:
            df = service.model_versions()
            print(_table(df.assign(active=df["active"].map({True: "*", False: ""}))))
    return EXIT_OK


# ---------------------------------------------------------------- backup

@_guarded
def cmd_backup(args: argparse.Namespace) -> int:
    with _service(args) as service:
        path = service.backup(args.out)
    size = path.stat().st_size / (1 << 20)
    print(say(args, f"已备份到 {path}（{size:.1f} MB）", f"backed up to {path} ({size:.1f} MB)"))
    return EXIT_OK


@_guarded
def cmd_restore(args: argparse.Namespace) -> int:
    from scoring.service import Service

    problems = Service.restore(args.file, args.db)
    with _store(args) as store:
        versions = sum(len(store.versions(p)) for p in store.periods()["period"])
        accounts = store.count_accounts()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(say(args, "已恢复，但校验发现问题（见上）", "restored, but the check found problems (above)"), file=sys.stderr)
        return EXIT_INPUT
    print(say(args, f"已恢复到 {args.db}：{versions} 个版本、{accounts} 个账户，校验通过",
              f"restored into {args.db}: {versions} versions, {accounts} accounts, all checksums verified"))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=resolve_url(),
                        help=f"database URL (sqlite:///FILE or postgresql://…); default $SANWEI_DATABASE_URL or "
                             f"{default_url_text()}")
    common.add_argument("--user", help="your account (default $SANWEI_USER); the password comes from "
                                       "$SANWEI_PASSWORD or a hidden prompt")

    def add(name: str, help: str, func) -> argparse.ArgumentParser:
        p = subparsers.add_parser(name, help=help, parents=[common])
        p.set_defaults(func=func)
        return p

    p = add("import", "validate spreadsheets and store them as a new draft version (officer)", cmd_import)
    p.add_argument("files", nargs="+")
    p.add_argument("--period", required=True)
    p.add_argument("--model", help="model file (TOML); default: the store's active model, else the bundled one")
    p.add_argument("--confirm-period", action="store_true",
                   help="import as --period even where file names, sheet titles or response ids name another quarter")

    p = add("publish", "publish a version of a period, or roll back to an older one (officer)", cmd_publish)
    p.add_argument("period")
    p.add_argument("--version", type=int, help="default: the latest")
    p.add_argument("--reason", required=True, help="why: kept with the version and shown to leaders")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--announce-until", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="open a 公示 (announcement period) from today to this day")

    p = add("versions", "list a period's versions, or compare two (officer, analyst)", cmd_versions)
    p.add_argument("period")
    p.add_argument("--diff", nargs=2, type=int, metavar=("OLD", "NEW"))

    p = add("history", "one unit across the published quarters", cmd_history)
    p.add_argument("unit")

    p = add("annual", "the annual roll-up of a year's published quarters", cmd_annual)
    p.add_argument("year")

    p = add("export", "the published ranking of a period as a formatted .xlsx", cmd_export)
    p.add_argument("period")
    p.add_argument("--out", required=True)

    p = add("appeal", "appeals (申诉): list [PERIOD] | file PERIOD (unit) | decide ID | correct ID (officer)", cmd_appeal)
    p.add_argument("action", choices=["list", "file", "decide", "correct"])
    p.add_argument("period", nargs="?", help="list, file: the quarter")
    p.add_argument("--id", type=int, help="decide, correct: the appeal's number")
    p.add_argument("--target", help="file: indicator:CODE | compliance:CODE | deduction | veto")
    p.add_argument("--reason", help="file: why")
    p.add_argument("--evidence", action="append", help="file: an evidence file (PDF, JPEG, PNG, xlsx, docx); repeat")
    p.add_argument("--accept", action="store_true", help="decide: accept")
    p.add_argument("--reject", action="store_true", help="decide: reject")
    p.add_argument("--reply", help="decide: the written reply the unit reads")
    p.add_argument("--value", help="correct: the corrected value (empty to lift a veto)")

    p = add("report", "a unit's feedback report (.pdf/.docx), or every unit's (--all, .zip)", cmd_report)
    p.add_argument("period")
    p.add_argument("--unit", help="the unit (a unit account: its own)")
    p.add_argument("--all", action="store_true", help="every unit's PDF and Word reports in one zip (officer)")
    p.add_argument("--out", required=True)

    p = add("announcement", "the 公示 list of a published period (.pdf or .xlsx)", cmd_announcement)
    p.add_argument("period")
    p.add_argument("--out", required=True)

    p = add("warnings", "early warnings (预警 红/黄/绿) of a published period", cmd_warnings)
    p.add_argument("period")
    p.add_argument("--unit")

    p = add("user", "accounts: add | passwd | disable | enable | roles | sso | list (admin)", cmd_user)
    p.add_argument("action", choices=["add", "passwd", "disable", "enable", "roles", "sso", "list"])
    p.add_argument("name", nargs="?", default="")
    p.add_argument("identity", nargs="?", help="sso: the identity provider's e-mail or subject of this account")
    p.add_argument("--role", action="append", choices=ROLES, default=[], help="repeat for several roles")
    p.add_argument("--unit", help="the unit code of a unit account")
    p.add_argument("--display", help="the name shown in the dashboard")
    p.add_argument("--sso", help="map a single sign-on identity (e-mail or subject) to this account")
    p.add_argument("--password-stdin", action="store_true", help="read the new password from one line of stdin")

    p = add("backup", "copy the whole store to a file: pg_dump or SQLite's backup API (admin)", cmd_backup)
    p.add_argument("--out", required=True, help="the backup file to write (never overwritten)")

    p = add("restore", "restore a backup into an empty store (a new database or file) and verify it", cmd_restore)
    p.add_argument("file")

    p = add("model", "model versions: list | save FILE (analyst draft) | activate ID (officer)", cmd_model)
    p.add_argument("action", choices=["list", "save", "activate"])
    p.add_argument("file", nargs="?", help="save: the model file")
    p.add_argument("--id", type=int, help="activate: the model version number (see list)")
    p.add_argument("--note", help="save: what the draft changes")
    p.add_argument("--reason", help="activate: why (kept in the audit log)")
