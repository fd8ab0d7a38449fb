"""The application factory and the serving loop."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from datetime import datetime

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot import dispatch, menus
from bot.clock import Clock, SystemClock
from bot.delivery import BEAT_SECONDS, deliver_outbox, deliver_urgent, stop_beating, take_over
from bot.pipeline import on_error
from bot.polling import Poller
from bot.replicas import PollerLock, SecondPoller
from bot.runtime import Runtime
from bot.settings import Settings
from bot.ticker import beat_job, deliver_job, tick_job
from bot.updates import ChatOrderedProcessor
from bot.web import WebServer, start_web
from conversations.crisis import CrisisResources, load_resources
from conversations.templates import load_library
from conversations.yamldoc import DocumentError
from storage import at_rest, crypto, library, people, rotation
from storage.crypto import EncryptionKeyError
from storage.db import Database, is_sqlite
from storage.migrate import upgrade

log = logging.getLogger(__name__)


class SetupError(RuntimeError):
    """A setting the operator must fix before the bot can run."""


class RedactingFormatter(logging.Formatter):
    """Formats log lines with the bot token blanked out, tracebacks included."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(settings: Settings | None = None) -> None:
    """Plain logs that never carry the token or anything people wrote."""
    logging.basicConfig(level=logging.INFO)
    token = ""
    if settings is not None and settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value()
    # The token's secret half alone is redacted too, in case it appears split from its id.
    # (A real one is 35 characters; a short test token's half would blank common words.)
    half = token.partition(":")[2]
    secrets = [token, *([half] if len(half) >= 8 else [])] if token else []
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    # httpx logs every request URL, and Bot API URLs contain the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.Updater"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A tick or an outbox run still busy when the next is due is skipped by design (one at a
    # time): not worth a warning every second while a large batch of reminders goes out.
    scheduler = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _BusyJobFilter) for f in scheduler.filters):
        scheduler.addFilter(_BusyJobFilter())
    # python-telegram-bot logs whole updates and requests at DEBUG: what people wrote.
    logging.getLogger("telegram").setLevel(logging.INFO)
    # The PDF libraries name the characters of a document (a client's words) in theirs.
    # aiosqlite logs each statement with its parameters (past SQLAlchemy's hide_parameters).
    for quiet in ("fpdf", "fontTools", "aiosqlite"):
        logging.getLogger(quiet).setLevel(logging.ERROR)


class _BusyJobFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


async def open_database(settings: Settings) -> Database:
    """Migrate the database and install keys that can read it (made on a first run only).

    Every encrypted table is sampled, and every data key unwrapped; after an interrupted
    `rotate-key`, every value is read. The bot refuses to start with keys that can't."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        async with db.engine.connect() as connection:  # before any key is used
            sample = await people.encrypted_sample(connection)
            wrapped = await people.operator_sample(connection)
        setup_keys(settings, existing_data=sample is not None)
        try:
            if wrapped is not None:
                crypto.decrypt(wrapped)  # the keys read what is there before anything is made
            await db.load_data_keys()
        except EncryptionKeyError:
            raise SetupError(WRONG_KEY) from None
        hidden = await at_rest.hide_plain_metadata(db)
        if hidden:
            log.info("Hid %d ids, kinds and template ids stored before 0018.", hidden)
        await record_builtins(db)
        broken_off = await rotation.interrupted(db)
        if broken_off is not None:
            log.warning(
                "A key rotation begun at %s did not finish: every stored value is checked "
                "now. Run rotate-key again to finish it before removing the old key.",
                f"{broken_off:%Y-%m-%d %H:%M} UTC",
            )
        unreadable = await rotation.unreadable_tables(db, everything=broken_off is not None)
        if unreadable:
            raise SetupError(f"{WRONG_KEY} Unreadable: {', '.join(unreadable)}.")
    except BaseException:
        await db.dispose()
        raise
    return db


WRONG_KEY = (
    "The encryption key cannot read the data already in this database. Check "
    "ENCRYPTION_KEY (or ENCRYPTION_KEY_FILE): it must be the key the data was written with; "
    "after a rotation, list the old key after the new one until rotate-key has finished."
)


async def record_builtins(db: Database) -> None:
    """Store each built-in template version, so entries keep theirs when a new one ships."""
    templates = load_library()
    async with db.transaction() as session:
        changed = await library.record_builtins(
            session,
            templates=[(t.id, t.version, t.title, t.source) for t in templates.values()],
            now=SystemClock().now(),
        )
    if changed:
        raise SetupError(
            "Built-in templates changed without a new version number: "
            f"{', '.join(changed)}. Raise their version, so open entries keep their questions."
        )


def setup_keys(settings: Settings, *, existing_data: bool = False) -> None:
    """Install the encryption keys: from ENCRYPTION_KEY, or a key file made on first run."""
    path = settings.encryption_key_file
    if settings.encryption_key is not None:
        keys = crypto.parse_keys(settings.encryption_key.get_secret_value())
    elif existing_data and not path.exists():
        # A new key could never read what is stored: refuse rather than make one.
        raise SetupError(
            f"This database holds encrypted data, but there is no key: {path.resolve()} is "
            "missing and ENCRYPTION_KEY is not set. Restore the key file from your backup "
            "or set ENCRYPTION_KEY."
        )
    elif not settings.encryption_key_create and not path.exists():
        raise SetupError(
            f"There is no encryption key: set ENCRYPTION_KEY, or provide the key file "
            f"{path} (a Docker secret). Make a key with: python -c 'from cryptography.fernet "
            "import Fernet; print(Fernet.generate_key().decode())'. Keep it out of the data "
            "volume and back it up (SECURITY.md)."
        )
    else:
        keys, created = crypto.load_or_create_key_file(path)
        if created:
            log.warning(
                "Created a new encryption key in %s. Back it up now: without it, stored answers "
                "cannot be read. (Or set ENCRYPTION_KEY.)",
                path.resolve(),
            )
    crypto.configure_keys(keys)


def crisis_resources(settings: Settings) -> CrisisResources:
    """The operator's crisis lines (CRISIS_RESOURCES_FILE), or the shipped defaults."""
    path = settings.crisis_resources_file
    try:
        return load_resources(path)
    except DocumentError as error:
        raise SetupError(
            f"CRISIS_RESOURCES_FILE has problems, so the bot will not start without its crisis "
            f"lines:\n{error}\nCheck it with: homework-bot check-resources {path}"
        ) from None
    except OSError as error:
        raise SetupError(f"CRISIS_RESOURCES_FILE {path} cannot be read: {error.strerror}") from None


def token_of(settings: Settings) -> str:
    """The bot token, or a clear error if it is missing."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise SetupError(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram and set "
            "the token it gives you, for example in a .env file: TELEGRAM_BOT_TOKEN=123456:ABC..."
        )
    return settings.telegram_bot_token.get_secret_value()


def build_application(
    settings: Settings,
    *,
    db: Database,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    token: str | None = None,
) -> Application:  # type: ignore[type-arg]
    """The python-telegram-bot Application with every handler and the tick attached
    (`request`: a Bot API of one's own, as the console's; then no real token is needed)."""
    builder = (
        ApplicationBuilder()
        .token(token or token_of(settings))
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.file_url)
        .concurrent_updates(ChatOrderedProcessor())
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    runtime = Runtime(
        settings=settings,
        db=db,
        clock=clock or SystemClock(),
        library=load_library(),
        resources=crisis_resources(settings),
    )

    def send_alerts_now() -> None:
        # Not while starting or stopping (the take-over and the stop send what is due).
        if application.running:
            application.create_task(deliver_urgent(runtime, application.bot), name="alerts")

    async def deliver_due(_: ContextTypes.DEFAULT_TYPE) -> None:
        await deliver_outbox(runtime, application.bot)

    def deliver_at(moment: datetime) -> None:
        # Timed messages (paced breathing): an outbox run at their second, by our clock.
        if application.job_queue is not None:
            wait = max((moment - runtime.clock.now()).total_seconds(), 0.0)
            application.job_queue.run_once(deliver_due, when=wait)

    runtime.started_at = runtime.clock.now()
    runtime.on_urgent = send_alerts_now
    runtime.deliver_at = deliver_at
    application.bot_data["runtime"] = runtime
    dispatch.register(application)
    application.add_error_handler(on_error)
    if application.job_queue is None:
        raise SetupError("the job queue is missing: install python-telegram-bot[job-queue]")
    application.job_queue.run_repeating(
        tick_job,
        interval=settings.tick_seconds,
        first=settings.tick_seconds,
        name="tick",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    application.job_queue.run_repeating(
        deliver_job,
        interval=settings.deliver_seconds,
        first=settings.deliver_seconds,
        name="deliver",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    application.job_queue.run_repeating(
        beat_job,
        interval=BEAT_SECONDS,
        first=BEAT_SECONDS,
        name="beat",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    return application


def webhook_secret(settings: Settings, db: Database) -> str:
    """The secret Telegram sends with each update. Several replicas (PostgreSQL) must all
    check the same one, so there it must be set; one SQLite process may make its own."""
    if settings.webhook_secret is not None and settings.webhook_secret.get_secret_value():
        return settings.webhook_secret.get_secret_value()
    if not is_sqlite(db.engine):
        raise SetupError(
            "WEBHOOK_SECRET is not set. With PostgreSQL several replicas may serve this bot, "
            "and all of them must check the same secret: set WEBHOOK_SECRET to a long random "
            "string (letters, digits, _ and -), the same for every replica."
        )
    return secrets.token_urlsafe(32)


async def check_no_webhook(bot: Bot, *, replace: bool) -> None:
    """Long polling starts by deleting the bot's webhook: refuse, unless told to, when one
    is set, so a stray polling process never takes the updates of a webhook deployment."""
    info = await bot.get_webhook_info()
    if info.url and not replace:
        raise SetupError(
            "This bot has a webhook set, so another deployment may be receiving its updates "
            "by webhook. Starting long polling would delete that webhook. Run with "
            "--webhook URL to join it, or with --replace-webhook to switch this bot to long "
            "polling."
        )
    if info.url:
        log.warning("replacing this bot's webhook with long polling (--replace-webhook)")


async def serve(
    settings: Settings, *, webhook_url: str | None = None, replace_webhook: bool = False
) -> None:
    """Migrate, then serve until SIGINT or SIGTERM."""
    token = token_of(settings)
    db = await open_database(settings)
    poller: PollerLock | None = None
    server: WebServer | None = None
    lost = False
    try:
        secret = webhook_secret(settings, db) if webhook_url else None
        if not webhook_url:
            poller = PollerLock(db, token.partition(":")[0])
            try:
                await poller.acquire()
            except SecondPoller as error:
                raise SetupError(str(error)) from None
        application = build_application(settings, db=db)
        runtime = application.bot_data["runtime"]
        async with application:
            if not webhook_url:
                # Before anything starts, so a refusal stops cleanly with its message.
                await check_no_webhook(application.bot, replace=replace_webhook)
            await menus.set_all(application.bot, db)
            # What a stopped process left half done (replies, alerts) goes out first. A
            # long poller is the only process serving this bot (the poller lock), and so is
            # a process on SQLite: any other sender is gone.
            alone = not webhook_url or is_sqlite(db.engine)
            await take_over(runtime, application.bot, alone=alone)
            await application.start()
            polling: Poller | None = None
            if webhook_url and secret is not None:
                await application.bot.set_webhook(
                    url=webhook_url.rstrip("/") + "/telegram",
                    secret_token=secret,
                    allowed_updates=Update.ALL_TYPES,
                )
                server = await start_web(
                    application,
                    runtime,
                    listen=settings.webhook_listen,
                    port=settings.webhook_port,
                    secret=secret,
                )
            else:
                polling = Poller(application)
                await polling.start()
                if settings.health_port is not None:
                    server = await start_web(
                        application,
                        runtime,
                        listen=settings.webhook_listen,
                        port=settings.health_port,
                        secret=None,
                    )
            await check_fallback_chat(application, settings)
            log.info("serving as @%s", application.bot.username)
            stop = _stop_on_signals()
            watch = (
                asyncio.create_task(_keep_polling_lock(poller, stop, settings.poller_check_seconds))
                if poller is not None
                else None
            )
            await stop.wait()
            if watch is not None:
                watch.cancel()
                lost = not await _watched(watch)
            if server is not None:
                server.stop()
            if polling is not None:
                await polling.stop()
            await application.stop()
            await stop_beating(runtime)
            if lost:
                raise SetupError(LOCK_LOST)
    finally:
        if poller is not None:
            await poller.release()
        await db.dispose()


LOCK_LOST = (
    "Stopped polling: another process took this bot's long-polling lock after this one's "
    "database connection was lost. Run one poller, or replicas in webhook mode."
)


async def _keep_polling_lock(poller: PollerLock, stop: asyncio.Event, every: float) -> bool:
    """Check the one-poller lock every `every` seconds; on losing it, stop (False)."""
    while not stop.is_set():
        await asyncio.sleep(every)
        if not await poller.keep():
            stop.set()
            return False
    return True


async def _watched(watch: asyncio.Task[bool]) -> bool:
    """What the lock's watch ended with: True when it was only cancelled."""
    try:
        return await watch
    except asyncio.CancelledError:
        return True


async def check_fallback_chat(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Say at start, not in a crisis, when the fallback chat for risk alerts can't be used."""
    chat = settings.alert_fallback_chat_id
    if chat is None:
        log.warning(
            "ALERT_FALLBACK_CHAT_ID is not set: risk alerts a therapist does not receive or "
            "acknowledge will only be logged"
        )
        return
    try:
        await application.bot.get_chat(chat)
    except TelegramError as error:
        log.warning(
            "ALERT_FALLBACK_CHAT_ID cannot be reached (%s): add the bot to that chat, or "
            "message the bot from it once",
            type(error).__name__,
        )


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
