"""`talentloop` command line: run, web, worker, inbound, migrate, seed, users, check."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from settings import ConfigError, get_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talentloop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start everything for a local run (embedded services, web, worker)")
    web = sub.add_parser("web", help="serve the web app")
    web.add_argument("--workers", type=int, default=1, help="web processes (default 1)")
    sub.add_parser("worker", help="run the background worker")
    sub.add_parser("inbound", help="run the inbound SMTP listener (replies, bounces)")
    sub.add_parser("migrate", help="apply database migrations and reference data")
    seed = sub.add_parser("seed", help="load data")
    seed.add_argument("what", choices=["demo", "bench"],
                      help="demo: the demo data; bench: a synthetic benchmark population")
    seed.add_argument("--people", type=int, default=2000)
    seed.add_argument("--seed", type=int, default=1, help="bench: the random seed (default 1)")
    users = sub.add_parser("users", help="manage staff accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create a staff account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, action="append",
                        help="admin, recruiter, hiring_manager, event_host, marketing "
                             "or eeo_reporter")
    create.add_argument("--name", default="")
    create.add_argument("--password", default=None,
                        help="default: read TALENTLOOP_PASSWORD, else generate and print one")
    sub.add_parser("check", help="verify configuration and connectivity")
    return parser


def _handlers() -> dict[str, Callable[[argparse.Namespace], int]]:
    from runtime.commands import check, inbound, migrate, run, seed, users, web, worker
    from runtime.seed_bench import seed_bench

    def seed_what(args: argparse.Namespace) -> int:
        return seed_bench(args) if args.what == "bench" else seed(args)

    return {"run": run, "web": web, "worker": worker, "inbound": inbound, "migrate": migrate,
            "seed": seed_what, "users": users, "check": check}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    from runtime.errors import CommandError, RuntimeServiceError

    try:
        get_settings()
        return _handlers()[args.command](args)
    except (CommandError, ConfigError, RuntimeServiceError) as exc:
        print(f"talentloop: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
