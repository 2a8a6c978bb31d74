"""The `sanwei` command line. Exit codes: 0 ok, 1 input errors (report printed), 2 usage."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scoring.model import ModelError, load_model
from scoring.report import InputError
from scoring.text import SanweiError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def say(args: argparse.Namespace, zh: str, en: str) -> str:
    """A message in the language the command was asked for (--lang)."""
    return en if getattr(args, "lang", "zh") == "en" else zh


def _files(paths: list[str]) -> list[tuple[str, Path]]:
    return [(Path(p).name, Path(p)) for p in paths]


def cmd_score(args: argparse.Namespace) -> int:
    from scoring.importer import load_period
    from scoring.pipeline import score_period

    model = load_model(args.model)
    paths = [args.units, *(args.survey or []), *args.indicators, *(args.compliance or []), *(args.reverse or [])]
    inputs = load_period(model, args.period, _files(paths))
    result = score_period(model, inputs)
    if args.out:
        from scoring.export import write_result_xlsx

        write_result_xlsx(result, args.out, args.lang)
    if args.json:
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text, encoding="utf-8")
    if args.json != "-":
        print(_ranking_text(result))
    return EXIT_OK


def _ranking_text(result) -> str:
    cols = ["rank_overall", "unit_id", "unit_name", "group", "total", "mass", "performance", "compliance", "grade", "status"]
    table = result.units[cols].sort_values(["rank_overall", "unit_id"], na_position="last")
    return table.to_string(index=False, float_format=lambda v: f"{v:.2f}")


def cmd_validate(args: argparse.Namespace) -> int:
    from scoring.importer import read_period

    model = load_model(args.model)
    _, report = read_period(model, args.period, _files(args.files))
    print(report.to_text(args.lang))
    if args.out:
        from scoring.safe_export import write_xlsx

        write_xlsx({"report": report.to_frame()}, args.out)
    return EXIT_OK if report.ok else EXIT_INPUT


def cmd_template(args: argparse.Namespace) -> int:
    from scoring.templates import write_template

    write_template(args.kind, load_model(args.model), args.out)
    print(say(args, f"已写入：{args.out}", f"written: {args.out}"))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from scoring.demo import write_demo

    paths = write_demo(Path(args.out))
    print(say(args, f"已写入 {len(paths)} 个文件到 {args.out}", f"wrote {len(paths)} files to {args.out}"))
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    from scoring.deploy import Site, nginx_main, nginx_site

    backends = args.backend or [f"127.0.0.1:{p}" for p in (8501, 8502)]
    site = Site(tuple(backends), args.server_name, args.listen, args.cert, args.key, not args.no_http_redirect)
    text = nginx_main(site, args.prefix) if args.prefix else nginx_site(site)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(say(args, f"已写入：{args.out}", f"written: {args.out}"))
    else:
        print(text, end="")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from scoring.templates import KINDS

    p = argparse.ArgumentParser(prog="sanwei", description="三维考评 Sanwei — three-dimension performance assessment")
    sub = p.add_subparsers(dest="command", required=True)
    model_opt = {"default": None, "help": "model file (TOML); default: the model that ships with Sanwei"}

    s = sub.add_parser("score", help="score one period from spreadsheets")
    s.add_argument("--model", **model_opt)
    s.add_argument("--units", required=True)
    s.add_argument("--survey", nargs="+")
    s.add_argument("--indicators", nargs="+", required=True)
    s.add_argument("--compliance", nargs="+")
    s.add_argument("--reverse", nargs="+")
    s.add_argument("--period", required=True)
    s.add_argument("--out", help="results workbook (.xlsx)")
    s.add_argument("--json", help="write the JSON result to FILE, or '-' for stdout")
    s.set_defaults(func=cmd_score)

    v = sub.add_parser("validate", help="print the validation report of one or more files")
    v.add_argument("files", nargs="+")
    v.add_argument("--model", **model_opt)
    v.add_argument("--period", default="")
    v.add_argument("--out", help="also save the report as .xlsx")
    v.set_defaults(func=cmd_validate)

    t = sub.add_parser("template", help="write a blank template")
    t.add_argument("kind", choices=KINDS)
    t.add_argument("--out", required=True)
    t.add_argument("--model", **model_opt)
    t.set_defaults(func=cmd_template)

    d = sub.add_parser("demo", help="write the demo data set")
    d.add_argument("--out", required=True)
    d.set_defaults(func=cmd_demo)

    n = sub.add_parser("deploy", help="generate the office server's nginx configuration for N app processes")
    n.add_argument("what", choices=["nginx"])
    n.add_argument("--backend", action="append", metavar="127.0.0.1:PORT",
                   help="an app process (repeat for each; default 127.0.0.1:8501 and :8502)")
    n.add_argument("--server-name", default="sanwei.example.lan", help="the name users type (the certificate's)")
    n.add_argument("--listen", default="443", help="nginx listen address of the TLS server")
    n.add_argument("--cert", default="/etc/ssl/sanwei/sanwei.crt")
    n.add_argument("--key", default="/etc/ssl/sanwei/sanwei.key")
    n.add_argument("--no-http-redirect", action="store_true", help="do not answer plain HTTP on :80 with a redirect")
    n.add_argument("--prefix", help="write a complete nginx.conf that runs from this directory (a trial run)")
    n.add_argument("--out", help="write to this file instead of standard output")
    n.set_defaults(func=cmd_deploy)

    try:
        from scoring.store.cli import register
    except ImportError:  # the store is optional for the scoring commands
        register = None
    if register is not None:
        register(sub)
    for parser in sub.choices.values():
        parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of messages")
    return p


READS_FILES = {"score", "validate", "import"}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in READS_FILES:  # the reading child's forkserver starts while we load the rest
        from scoring.isolation import warm_up

        warm_up()
    try:
        return args.func(args)
    except ModelError as err:
        print(err.text(args.lang), file=sys.stderr)
    except InputError as err:
        print(err.report.to_text(args.lang), file=sys.stderr)
    except SanweiError as err:
        print(err.get(args.lang), file=sys.stderr)
    except OSError as err:
        print(say(args, f"无法读写文件：{err}", f"cannot read or write a file: {err}"), file=sys.stderr)
    except Exception as err:  # a bug of ours must still not greet the user with a traceback
        print(say(args, f"内部错误，请将此信息告知维护人员：{type(err).__name__}: {err}",
                  f"internal error, please report it: {type(err).__name__}: {err}"), file=sys.stderr)
    return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
