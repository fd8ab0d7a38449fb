"""The `homework-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from datetime import timedelta

from pydantic import ValidationError
from telegram import Bot
from telegram.error import InvalidToken, NetworkError
from telegram.warnings import PTBUserWarning

from bot.app import SetupError, configure_logging, open_database, serve, token_of
from bot.clock import SystemClock
from bot.console import run_console
from bot.settings import Settings
from conversations.crisis import load_resources
from conversations.templates import TemplateError, load_template_file, template_schema
from conversations.yamldoc import DocumentError
from storage import people, privacy, rotation
from storage.crypto import EncryptionKeyError
from storage.db import Database
from storage.migrate import upgrade


def parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    top = argparse.ArgumentParser(
        prog="homework-bot", description="A Telegram bot that carries therapy homework."
    )
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="migrate the database if needed, then serve")
    run.add_argument("--webhook", metavar="URL", help="serve a webhook at URL instead of polling")
    run.add_argument(
        "--replace-webhook",
        action="store_true",
        help="use long polling even though a webhook is set (it is deleted)",
    )
    commands.add_parser("migrate", help="apply database migrations")
    code = commands.add_parser(
        "therapist-code", help="print a one-time therapist registration code"
    )
    code.add_argument("--name", help="the therapist's name as clients will see it")
    check = commands.add_parser("check-template", help="validate a homework template")
    check.add_argument("file")
    lines = commands.add_parser(
        "check-resources", help="validate an operator's crisis-resources file"
    )
    lines.add_argument("file")
    commands.add_parser("template-schema", help="print the template language's JSON Schema")
    commands.add_parser(
        "rotate-key",
        help="re-encrypt everything under the first key of ENCRYPTION_KEY (new,old)",
    )
    console = commands.add_parser(
        "console", help="chat with the bot in the terminal, as a therapist or a client"
    )
    console.add_argument("--as", dest="who", help="start as this person (a role or a name)")
    audit = commands.add_parser("audit", help="print the audit log (who read what, when)")
    audit.add_argument("--days", type=int, default=30, help="how far back (30)")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = parser().parse_args(argv)
    if args.command == "check-template":
        return check_template(args.file)
    if args.command == "check-resources":
        return check_resources(args.file)
    if args.command == "template-schema":
        print(json.dumps(template_schema(), indent=2, ensure_ascii=False))
        return 0
    try:
        settings = Settings()
        configure_logging(settings)
        if args.command == "console":  # the conversation is the output; only failures logged
            logging.getLogger().setLevel(logging.ERROR)
            warnings.filterwarnings("ignore", category=PTBUserWarning)
        if args.command == "run":
            asyncio.run(
                serve(settings, webhook_url=args.webhook, replace_webhook=args.replace_webhook)
            )
        elif args.command == "rotate-key":
            count, left = asyncio.run(rotate_key(settings))
            if left:
                print(
                    f"Re-encrypted {count} values, but {left} still need an older key: a "
                    "replica still running with the old key first wrote them. Restart every "
                    "replica with the new key first, then run rotate-key again.",
                    file=sys.stderr,
                )
                return 1
            print(
                f"Re-encrypted {count} values under the first key. Every row now reads with "
                "it alone: remove the old key from ENCRYPTION_KEY and restart."
            )
        elif args.command == "console":
            asyncio.run(run_console(settings, who=args.who))
        elif args.command == "audit":
            for line in asyncio.run(audit_lines(settings, days=args.days)):
                print(line)
        elif args.command == "migrate":
            asyncio.run(migrate(settings))
            print("The database is up to date.")
        elif args.command == "therapist-code":
            code, link = asyncio.run(therapist_code(settings, name=args.name))
            print(
                f"Registration code: {code}\nSend the therapist this link (it works once): {link}"
            )
    except (SetupError, EncryptionKeyError, ValidationError) as error:
        print(f"homework-bot: {error}", file=sys.stderr)
        return 2
    except InvalidToken:
        # PTB's message quotes the token; ours must not.
        print(
            "homework-bot: Telegram refused the bot token. Check TELEGRAM_BOT_TOKEN (and "
            "TELEGRAM_API_URL, if you set it).",
            file=sys.stderr,
        )
        return 2
    except NetworkError as error:
        print(
            f"homework-bot: cannot reach the Telegram Bot API ({type(error).__name__}). "
            "Check the network and TELEGRAM_API_URL.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


async def rotate_key(settings: Settings) -> tuple[int, int]:
    """Re-encrypt what older keys made under the first key, batch by batch; (values
    rewritten, values still needing an older key)."""
    db = await open_database(settings)
    try:
        await rotation.started(db, now=SystemClock().now())
        count = await rotation.rotate_all(
            db, progress=lambda table, n: print(f"{table}: {n} values re-encrypted")
        )
        left = await rotation.left_to_rotate(db)
        if not left:  # else it is not finished: the next start reads everything again
            async with db.transaction() as session:
                await privacy.audit(
                    session,
                    actor=None,
                    action=rotation.FINISHED,
                    subject=f"{count} values",
                    now=SystemClock().now(),
                )
    finally:
        await db.dispose()
    return count, left


async def audit_lines(settings: Settings, *, days: int) -> list[str]:
    """The audit log of the last `days` days, a line each."""
    db = await open_database(settings)
    try:
        async with db.reading() as session:
            since = SystemClock().now() - timedelta(days=days)
            lines = [
                f"{r.at:%Y-%m-%d %H:%M} UTC  "
                f"{r.actor_role}{f' #{r.actor_id}' if r.actor_id is not None else ''}  "
                f"{r.action}  {r.subject}"
                for r in await privacy.audit_records(session, since=since)
            ]
    finally:
        await db.dispose()
    return lines or [f"Nothing in the audit log for the last {days} days."]


async def migrate(settings: Settings) -> None:
    """Apply migrations."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def therapist_code(settings: Settings, *, name: str | None) -> tuple[str, str]:
    """A registration code and its t.me link (the bot's username comes from getMe)."""
    token = token_of(settings)
    db = await open_database(settings)
    try:
        async with Bot(
            token, base_url=settings.telegram_api_url, base_file_url=settings.file_url
        ) as bot:
            me = await bot.get_me()
        async with db.transaction() as session:
            code = await people.create_code(
                session,
                kind="therapist",
                now=SystemClock().now(),
                ttl=timedelta(hours=settings.therapist_code_ttl_hours),
                label=name,
            )
    finally:
        await db.dispose()
    return code, f"https://t.me/{me.username}?start={code}"


def check_template(path: str) -> int:
    """Validate a template file; errors name the line and the field."""
    try:
        template = load_template_file(path)
    except TemplateError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"{path}: OK, “{template.title}” ({template.id}) with {len(template.steps)} steps.")
    return 0


def check_resources(path: str) -> int:
    """Validate a crisis-resources file; errors name the line and the field."""
    try:
        resources = load_resources(path)
    except DocumentError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return 1
    oldest = min([resources.default.checked] + [r.checked for r in resources.countries.values()])
    print(
        f"{path}: OK, crisis lines for {len(resources.countries)} countries and a default "
        f"for everywhere else. The oldest entry was checked on {oldest.isoformat()}: check the "
        "numbers for your own country before you go live."
    )
    return 0
