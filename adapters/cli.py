"""``kenniscafe``: the command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from adapters.log_redaction import LogRedaction
from adapters.startup import StartupError
from bot.config import ConfigError, Settings, check_config_file, load_settings
from storage.engine import Database, DatabaseUnusable, printable_url, sqlite_url_for_path

DEFAULT_CONFIG = Path("bot.toml")


def _settings(config: Path | None, console_user: str | None = None) -> Settings:
    """The settings from ``config``, else ``bot.toml`` if present, else defaults,
    in which the person at the console (``console_user`` if given) manages."""
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG
    if config is None and console_user:
        return load_settings(None, {**os.environ, "KENNISCAFE_CONSOLE_USER": console_user})
    return load_settings(config)


def _with_database(settings: Settings, db_path: str | None) -> Settings:
    if db_path is None:
        return settings
    # A database URL (PostgreSQL, say) or the path of a SQLite file.
    url = db_path if "://" in db_path else sqlite_url_for_path(db_path)
    bot = settings.bot.model_copy(update={"database": url})
    return settings.model_copy(update={"bot": bot})


def _hide_secrets(settings: Settings, redaction: LogRedaction) -> None:
    """Keep the configuration's secrets out of every log line."""
    redaction.add([settings.matrix.password, settings.matrix.access_token, settings.slack.bot_token,
                   settings.slack.app_token, settings.slack.signing_secret, make_url(settings.bot.database).password])


def _cmd_run(args: argparse.Namespace) -> int:
    from adapters.ops.logs import configure_logging
    from adapters.runtime import run_console, run_platforms

    settings = _settings(args.config)
    on_chat = settings.matrix.enabled or settings.slack.enabled
    # A line per handled event is for operators; at the console it would
    # interleave with the conversation (JSON asks for it explicitly).
    configure_logging(args.log_format, args.redaction, events=on_chat or args.log_format == "json")
    _hide_secrets(settings, args.redaction)
    asyncio.run(run_platforms(settings, secrets=args.redaction) if on_chat else run_console(settings))
    return 0


def _cmd_console(args: argparse.Namespace) -> int:
    from adapters.runtime import run_console

    settings = _with_database(_settings(args.config, args.as_user), args.db)
    # No /metrics here: its port is the running bot's (`kenniscafe run` serves it).
    settings = settings.model_copy(update={"ops": settings.ops.model_copy(update={"enabled": False})})
    asyncio.run(run_console(settings, user=args.as_user))
    return 0


def _cmd_check_config(args: argparse.Namespace) -> int:
    problems = check_config_file(args.file)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.file}: OK")
    return 1 if problems else 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    settings = _with_database(_settings(args.config), args.db)

    async def migrate() -> None:
        db = Database(settings.bot.database)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(migrate())
    print(f"Database is up to date: {printable_url(settings.bot.database)}")
    return 0


def _cmd_outbox(args: argparse.Namespace) -> int:
    from adapters.outbox_report import show_outbox

    settings = _with_database(_settings(args.config), args.db)
    return asyncio.run(show_outbox(settings, failed_only=args.failed, retry=args.retry))


def _cmd_export(args: argparse.Namespace) -> int:
    from adapters.transfer_cli import export_to

    settings = _with_database(_settings(args.config), args.db)
    return asyncio.run(export_to(settings, args.community, args.out, args.csv))


def _cmd_import(args: argparse.Namespace) -> int:
    from adapters.transfer_cli import import_from

    settings = _with_database(_settings(args.config), args.db)
    return asyncio.run(import_from(settings, args.file))


def _cmd_migrate_data(args: argparse.Namespace) -> int:
    from adapters.migrate_data_cli import migrate_data_between

    return asyncio.run(migrate_data_between(args.source, args.target))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with ``--help`` on every subcommand."""
    parser = argparse.ArgumentParser(
        prog="kenniscafe", description="The Kenniscafé bot: a knowledge-sharing community on Matrix, Slack and the console."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the bot (the console when no chat platform is enabled)",
                         description="Start the bot with its configuration. With neither Matrix nor Slack "
                         "enabled it runs on the console with a local SQLite file.")
    run.add_argument("--config", type=Path, help="config file (default: bot.toml here, else built-in defaults)")
    run.add_argument("--log-format", choices=("console", "json"), default="console",
                     help="log lines for people (default) or one JSON object per line; either way one "
                     "INFO line per handled event, secrets left out")
    run.set_defaults(func=_cmd_run)

    console = sub.add_parser("console", help="talk to the bot on stdin/stdout",
                             description="The bot on the console. Lines are messages; /help lists console "
                             "commands (/as, /react, /unreact, /reply, /quit). Reads to end of input when "
                             "stdin is not a terminal.")
    console.add_argument("--db", help="SQLite file or database URL to use (default: the config's database)")
    console.add_argument("--as", dest="as_user", metavar="NAME", help="speak as NAME (default: the first manager)")
    console.add_argument("--config", type=Path, help="config file (default: bot.toml here, else built-in defaults)")
    console.set_defaults(func=_cmd_console)

    check = sub.add_parser("check-config", help="report every problem in a config file",
                           description="Validate a config file; prints each problem with its key and exits 1 "
                           "if there are any.")
    check.add_argument("file", type=Path)
    check.set_defaults(func=_cmd_check_config)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date",
                             description="Apply database migrations (the bot also does this on start).")
    migrate.add_argument("--config", type=Path, help="config file (default: bot.toml here, else built-in defaults)")
    migrate.add_argument("--db", help="SQLite file or database URL to migrate instead of the config's database")
    migrate.set_defaults(func=_cmd_migrate)

    outbox = sub.add_parser("outbox", help="what waits for delivery, failed or expired, and why",
                            description="List the messages that wait in the outbox for delivery, and those "
                            "that failed for good or expired, with the reason. `kenniscafe outbox retry ID` "
                            "queues a failed or expired message again.")
    outbox.add_argument("--failed", action="store_true", help="only failed and expired messages")
    outbox.add_argument("--config", type=Path, help="config file (default: bot.toml here, else built-in defaults)")
    outbox.add_argument("--db", help="SQLite file or database URL to read instead of the config's database")
    outbox_actions = outbox.add_subparsers(dest="action", metavar="ACTION")
    retry = outbox_actions.add_parser("retry", help="queue a failed or expired message again",
                                      description="Queue the failed or expired outbox message ID for delivery "
                                      "again (the running bot sends it within a second or two).")
    retry.add_argument("retry", metavar="ID", type=int, help="the message's number, as the listing shows it")
    outbox.set_defaults(func=_cmd_outbox, retry=None)

    export = sub.add_parser("export", help="write a community's data as JSON (and CSV per table)",
                            description="Write everything a community holds (members, profiles, posts, "
                            "comments, reactions, coffee tables, sign-ups, pairing rounds, what was sent) as "
                            "one JSON document, which `kenniscafe import` reads into an empty database.")
    export.add_argument("--community", metavar="NAME", help="which community (needed when there are several)")
    export.add_argument("--out", type=Path, metavar="FILE", help="write the JSON here (default: standard output)")
    export.add_argument("--csv", type=Path, metavar="DIR", help="also write one CSV file per table into DIR")
    export.add_argument("--config", type=Path, help="config file (default: bot.toml here, else built-in defaults)")
    export.add_argument("--db", help="SQLite file or database URL to read instead of the config's database")
    export.set_defaults(func=_cmd_export)

    load = sub.add_parser("import", help="read an exported community into an empty database",
                          description="Read a document written by `kenniscafe export` into the config's "
                          "database, which must hold no community yet (it is migrated first).")
    load.add_argument("file", type=Path, help="the exported JSON file ('-' for standard input)")
    load.add_argument("--config", type=Path, help="config file (default: bot.toml here, else built-in defaults)")
    load.add_argument("--db", help="SQLite file or database URL to write instead of the config's database")
    load.set_defaults(func=_cmd_import)

    move = sub.add_parser("migrate-data", help="move every community into another (empty) database",
                          description="Copy every community, with all its rows and ids, from one database "
                          "into another that holds no data yet (SQLite to PostgreSQL, or back), rebuild "
                          "search there and compare the row counts of every table. Stop the bot first; "
                          "both databases are migrated to the newest schema. Exits 0 only when every "
                          "count matches; then point bot.database at the target.")
    move.add_argument("--from", dest="source", required=True, metavar="URL",
                      help="the database to read: sqlite:///PATH or postgresql+asyncpg://USER@HOST/NAME")
    move.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="the empty database to fill (a new SQLite file is created)")
    move.set_defaults(func=_cmd_migrate_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kenniscafe`` command."""
    args = build_parser().parse_args(argv)
    args.redaction = LogRedaction()
    args.redaction.install()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    except (StartupError, DatabaseUnusable) as error:
        print(f"kenniscafe: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
