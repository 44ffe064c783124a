"""The ``mixcast`` command: serve, worker, migrate, demo, check-counters, rank, the account
commands create-user, create-app and issue-token, and the uploader, upload."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from mixcast.accounts import cli as account_commands
from mixcast.db.urls import DatabaseURL
from mixcast.settings import Settings
from mixcast.uploads import cli as upload_command


def _migrate(settings: Settings) -> None:
    from mixcast.db.migrate import upgrade

    upgrade(DatabaseURL.parse(settings.effective_database_url))
    print("database is at the newest schema")


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from mixcast.request_head import BoundedHeadProtocol

    uvicorn.run(
        "mixcast.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http=BoundedHeadProtocol,  # httptools, with a bound on the request head
        access_log=args.access_log,
        # Forwarded headers are read by mixcast itself, from MIXCAST_TRUSTED_PROXIES
        # (mixcast/proxies.py), so every way of serving it behaves the same.
        proxy_headers=False,
        log_level="info",
    )


def _demo(settings: Settings) -> None:
    from mixcast.demo.loader import load_demo

    summary = asyncio.run(load_demo(settings))
    print(summary)


def _check_counters(settings: Settings) -> int:
    from mixcast.db.counters import drifted
    from mixcast.db.database import connect

    async def run() -> list[str]:
        db = await connect(DatabaseURL.parse(settings.effective_database_url))
        try:
            return await drifted(db)
        finally:
            await db.close()

    problems = asyncio.run(run())
    for line in problems:
        print(line)
    print("counters agree with their rows" if not problems else f"{len(problems)} drifted")
    return 1 if problems else 0


def _rank(settings: Settings, args: argparse.Namespace) -> None:
    """One ranking refresh, or one every ``--every`` seconds until interrupted."""
    from mixcast.db.database import connect
    from mixcast.ranking.job import refresh_now

    async def run() -> None:
        db = await connect(DatabaseURL.parse(settings.effective_database_url))
        try:
            while True:
                try:
                    print(await refresh_now(db), flush=True)
                except Exception:
                    if not args.every:
                        raise
                    logging.getLogger("mixcast.rank").exception("refresh failed; trying again")
                if not args.every:
                    return
                await asyncio.sleep(args.every)
        finally:
            await db.close()

    with contextlib.suppress(KeyboardInterrupt):  # how --every ends
        asyncio.run(run())


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    """Run the background jobs (mixcast/worker.py) in this process until interrupted; with
    --once, run what is queued now and stop. Either way a job queued at the start re-sends
    the jobs of shows whose worker died (the one this start replaces, say)."""
    from mixcast.services import open_job_queue, open_services
    from mixcast.uploads.sweep import sweep_local
    from mixcast.worker import RESEND_NOW

    sweep_local(settings.tmp_dir)
    if args.once:

        async def once() -> None:
            services = await open_services(settings)
            try:
                services.jobs.send(RESEND_NOW)
                print(f"ran {await services.jobs.run_pending(services)} job(s)")
            finally:
                await services.close()

        asyncio.run(once())
        return

    jobs = open_job_queue(settings)
    jobs.send(RESEND_NOW)
    jobs.consumer(args.threads, periodic=not args.no_periodic, in_process=False).run()


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a whole number above 0")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mixcast", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the site and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--access-log", action="store_true", help="credentials are redacted")
    worker = commands.add_parser("worker", help="run the background jobs (scale mode)")
    worker.add_argument("--threads", type=_positive, default=2, help="jobs run at once")
    worker.add_argument("--no-periodic", action="store_true", help="no scheduled jobs here")
    worker.add_argument("--once", action="store_true", help="run the queued jobs, then stop")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("demo", help="load the demo data (idempotent)")
    commands.add_parser("check-counters", help="compare every counter with its rows")
    rank = commands.add_parser("rank", help="refresh the popular and hot scores (docs/ranking.md)")
    rank.add_argument(
        "--every", type=_positive, metavar="SECONDS", help="keep refreshing, this often"
    )
    account_commands.add_commands(commands)
    upload_command.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command in upload_command.COMMANDS:  # a client of any server: no settings, no logs
        return upload_command.run(args)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if args.command == "migrate":
        _migrate(settings)
    elif args.command == "serve":
        _serve(settings, args)
    elif args.command == "worker":
        _worker(settings, args)
    elif args.command == "demo":
        _demo(settings)
    elif args.command == "check-counters":
        return _check_counters(settings)
    elif args.command == "rank":
        _rank(settings, args)
    elif args.command in account_commands.COMMANDS:
        from mixcast.errors import AppError

        try:
            print(asyncio.run(account_commands.run(settings, args)))
        except AppError as error:
            details = "".join(f"\n  {k}: {'; '.join(v)}" for k, v in (error.details or {}).items())
            print(f"mixcast {args.command}: {error.message}{details}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
