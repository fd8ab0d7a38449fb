"""The update pipeline: every Telegram update passes the same stages, in this order.

::

    receive ─► screen (pure, every text) ─► fetch (only a file a question waits for)
      ─► one transaction: claim the update, answer risk, run the handler, record the
         replies in the outbox's reply lane with the state they show
      ─► commit ─► send the replies at once (marked sent; what Telegram refuses for now
         is left to the outbox, which sends it, and the rest after it, in order)

A transient fault (a lost connection, a deadlock, SQLite's busy database) runs the whole
transaction again, the claim included, so nobody reads "Sorry" for it and nothing is kept
twice. A handler that fails for another reason is rolled back, and the update is handled
once more without it: the claim, the answer to any risk it held (the flag, the alert, the
crisis lines) and an apology are kept. A crash after the commit loses nothing either: the
replies are in the outbox, claimed by this process, and whoever takes the claim over sends
them (at least once; a question may then be shown twice).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import homework, metrics
from bot.delivery import deliver_reply
from bot.i18n import N_, language_from_code, tr
from bot.replies import Renderer
from bot.runtime import (
    LEASE,
    TEMPLATE_SUFFIXES,
    Ctx,
    EditButtons,
    Handler,
    PtbCallback,
    Runtime,
    Say,
    command_of,
    runtime_of,
)
from conversations import screening
from conversations.crisis import choose_country, crisis_reply, language_of, sos_text
from conversations.kinds.base import Media
from conversations.risk import RiskFinding
from conversations.templates import MAX_TEMPLATE_BYTES
from storage import files, outbox, people, updates
from storage.db import is_transient, retrying
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

ATTEMPTS = 8
"""Runs of one update's transaction before a transient fault is given up (about 6 s)."""
DOWNLOADS = 4
"""Files fetched from Telegram at the same time, at most (by this process)."""

PRIVATE_ONLY = N_(
    "I only work in private chats, so that what people write stays between them and "
    "their therapist. Please message me directly."
)
ERASING = N_(
    "Your data is being deleted; it only takes a moment. /sos shows crisis lines at any time."
)
SORRY = N_(
    "Sorry, something went wrong on my side. Everything you wrote before this is saved. "
    "Please try that again in a moment."
)


RiskHook = Callable[[Ctx], Awaitable[bool]]
"""Answers risk found in an update; True when the usual handler should run after it."""


def handler(fn: Handler, *, on_risk: RiskHook | None = None) -> PtbCallback:
    """Wrap a handler in the pipeline: private chats only, screened first, one transaction
    (retried whole on a transient fault), replies recorded, then sent after the commit."""

    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        person = update.effective_user
        if chat is None or person is None or person.is_bot:
            return
        if chat.type != ChatType.PRIVATE:
            await _in_a_group(update, context)
            return
        rt = runtime_of(context)
        started = time.perf_counter()
        screened, via = _screened(update)
        finding = screening.screen(screened) if screened else None
        fetched = await _fetch_files(rt, update, context.bot)
        ctx = await _handle(rt, update, context, fn, on_risk, finding, screened, via, fetched)
        if ctx is not None:
            if ctx.urgent and rt.on_urgent is not None:
                rt.on_urgent()
            for call in ctx.after_commit:
                await call()
            await _reply(ctx, context.bot)
        metrics.UPDATES.labels("handled" if ctx is not None else "duplicate").inc()
        metrics.HANDLER_SECONDS.observe(time.perf_counter() - started)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


async def _in_a_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Groups get a polite refusal, and crisis lines for /sos; nothing else happens."""
    person = update.effective_user
    assert person is not None
    message = update.effective_message
    private_only = tr(language_from_code(person.language_code), PRIVATE_ONLY)
    shows = runtime_of(context).shown_by(context.bot)
    if update.callback_query is not None:
        await shows.acknowledge(update.callback_query.id, private_only, alert=True)
    elif message is not None and (message.text or "").split("@")[0].startswith("/sos"):
        # Crisis lines are for anyone, anywhere; nothing else happens in groups.
        lines = sos_text(
            runtime_of(context).resources,
            choose_country(zone=None, language_code=person.language_code),
            language=language_of(person.language_code),
        )
        await message.reply_text(lines)  # in its topic, under what was asked
    elif message is not None and (message.text or "").startswith("/"):
        await message.reply_text(private_only)


async def _handle(
    rt: Runtime,
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    fn: Handler,
    on_risk: RiskHook | None,
    finding: RiskFinding | None,
    screened: str,
    via: str,
    fetched: dict[str, bytes | None],
) -> Ctx | None:
    """The update's transaction, run again on transient faults; None for a duplicate."""
    failed = False
    for attempt in range(ATTEMPTS):
        try:
            done = await _transaction(
                rt, update, context, None if failed else fn, on_risk, finding, screened, via,
                fetched,
            )  # fmt: skip
        except Exception as error:
            if is_transient(error) and attempt + 1 < ATTEMPTS:
                log.info("update %s met %s; running it again", update.update_id, type(error))
                await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
                continue
            if failed or is_transient(error):
                raise
            # A fault in the handler itself: rolled back, and the update kept without it.
            log.error(
                "error while handling an update: %s",
                type(error).__name__,
                exc_info=(type(error), error, error.__traceback__),
            )
            failed = True
            continue
        if isinstance(done, list):  # handled before, its replies never sent: now
            await _send_in_order(rt, context.bot, done)
            return None
        return done
    raise AssertionError("unreachable")  # the loop returns or raises


async def _send_in_order(rt: Runtime, bot: Bot, rows: list[OutboxMessage]) -> None:
    """Recorded replies, one after another; from one Telegram refuses for now on, they are
    left to the outbox, in order."""
    for index, row in enumerate(rows):
        if not await deliver_reply(rt, bot, row):
            if index + 1 < len(rows):
                await outbox_after(rt, rows[index:])
            return


async def _transaction(
    rt: Runtime,
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    fn: Handler | None,
    on_risk: RiskHook | None,
    finding: RiskFinding | None,
    screened: str,
    via: str,
    fetched: dict[str, bytes | None],
) -> Ctx | list[OutboxMessage] | None:
    """Claim, risk, handler and the replies, in one transaction; None for a duplicate
    (or the replies still to send of one whose commit went through unheard).
    `fn` None: the handler failed before, so only the risk answer and an apology."""
    chat, person = update.effective_chat, update.effective_user
    assert chat is not None and person is not None
    async with rt.db.transaction() as session:
        now = rt.clock.now()
        if not await updates.claim(session, update_id=update.update_id, now=now):
            log.info("update %s was handled already; not again", update.update_id)
            # Its commit may have gone through although this process never heard so (the
            # connection was lost at COMMIT): then its replies are still this process's
            # to send.
            left = await outbox.replies_in_hand(
                session, chat_id=chat.id, update_id=update.update_id, sender=rt.sender
            )
            return left or None
        await rt.read_titles(session)
        user = await people.get_user(session, telegram_id=person.id, for_update=True)
        message = update.effective_message
        ctx = Ctx(
            rt=rt,
            session=session,
            now=now,
            telegram_id=person.id,
            chat_id=chat.id,
            first_name=person.first_name,
            last_name=person.last_name,
            username=person.username,
            user=user,
            bot_username=context.bot.username,
            query=update.callback_query,
            text=_message_text(update),
            args=list(context.args or []),
            data=(update.callback_query.data or "") if update.callback_query else "",
            content=_content_kind(update),
            sent_at=update.message.date.timestamp() if update.message else None,
            language_code=person.language_code,
            screened=screened,
            via=via,
            risk=finding,
            update_id=update.update_id,
            message_id=message.message_id if message is not None else None,
            bot=context.bot,
            media=_media(update),
            document=update.message.document if update.message else None,
            fetched=fetched,
        )
        if user is not None and user.blocked_at is not None:
            user.blocked_at = None
        go_on = True
        if finding is not None and on_risk is not None:
            go_on = await on_risk(ctx)
            if not go_on:
                ctx.remember_offered()  # a check-in's Yes or No may be typed, too
        erasing = user is not None and user.erasing_at is not None
        if fn is None:
            if finding is None or not ctx.replies:
                ctx.say(ctx.t(SORRY))  # nothing said about the risk either: the apology
        elif erasing and command_of(ctx.text) != "/sos":
            ctx.say(ctx.t(ERASING))  # nothing more is kept while their data is being deleted
        elif go_on:
            asked = dict(ctx.user.dialog or {}) if ctx.user is not None else {}
            await fn(ctx)
            ctx.remember_offered()
            _mark_asked(ctx, asked)
        ctx.recorded = await _record_replies(ctx)
    return ctx


def _mark_asked(ctx: Ctx, before: dict[str, object]) -> None:
    """A question the handler just asked (a dialog's "ask" set or changed) is marked with
    when, so that it has the floor over a homework that last moved before it."""
    user = ctx.user
    dialog = (user.dialog if user is not None else None) or {}
    if user is None or not dialog.get("ask") or _unmarked(dialog) == _unmarked(before):
        return  # nothing asked now (the homework's question, asked again, took the floor)
    user.dialog = {**dialog, "since": ctx.now.isoformat()}


def _unmarked(dialog: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in dialog.items() if key != "since"}


async def _record_replies(ctx: Ctx) -> dict[int, OutboxMessage]:
    """Each reply in the outbox's reply lane, claimed by this process to send at once,
    with the question it shows (a homework question's entry and number). Nobody who has
    not consented is recorded: their replies go straight back."""
    if ctx.user is None:
        return {}
    recorded: dict[int, OutboxMessage] = {}
    for index, reply in enumerate(ctx.replies):
        if not isinstance(reply, Say):
            continue
        payload: dict[str, object] = {"text": reply.text}
        if reply.buttons is not None:
            payload["buttons"] = reply.buttons.as_rows()
        if reply.html:
            payload["html"] = True
        if reply.asks is not None:
            payload["asks"] = list(reply.asks)
        recorded[index] = await outbox.record_reply(
            ctx.session,
            key=f"{ctx.chat_id}:{ctx.update_id}:{index}",
            chat_id=ctx.chat_id,
            user_id=ctx.user.id,
            kind="crisis" if reply.urgent else "reply",
            payload=payload,
            sender=ctx.rt.sender,
            now=ctx.now,
            lease=LEASE,
        )
    return recorded


async def _reply(ctx: Ctx, bot: Bot) -> None:
    """After the commit: the press acknowledged, buttons changed, and the replies sent in
    order. A recorded reply Telegram refuses for now stays in the outbox, and so do the
    replies after it (sent after it, in order); nothing here waits or sleeps."""
    shows = ctx.rt.shown_by(bot)
    if ctx.query is not None:
        try:
            await shows.acknowledge(ctx.query.id, ctx.toast_text)
        except BadRequest:
            log.info("a button press was too old to acknowledge")
    held: list[OutboxMessage] = []
    for index, reply in enumerate(ctx.replies):
        if isinstance(reply, EditButtons):
            pressed = ctx.query.message if ctx.query is not None else None
            try:
                if pressed is not None:
                    await shows.rebutton(ctx.chat_id, pressed.message_id, reply.buttons)
            except BadRequest:
                # Pressed twice, or the message is gone: nothing to change, not a failure.
                log.info("could not change the buttons of a pressed message")
            continue
        row = ctx.recorded.get(index)
        if row is None:
            await _say_unrecorded(ctx, shows, reply)
        elif held or not await deliver_reply(ctx.rt, bot, row):
            held.append(row)
    if len(held) > 1:
        await outbox_after(ctx.rt, held)


async def outbox_after(rt: Runtime, held: list[OutboxMessage]) -> None:
    """Replies after one Telegram refused for now: handed to the outbox to follow it (if
    even that fails, their claim's lease hands them over later)."""

    async def follow() -> None:
        async with rt.db.transaction() as session:
            await outbox.follow(session, first=held[0], then=held[1:])

    try:
        await retrying(follow)
    except Exception as error:
        log.warning("replies were left to their lease: %s", type(error).__name__)


async def _say_unrecorded(ctx: Ctx, shows: Renderer, reply: Say) -> None:
    """A reply to someone not stored (not consented yet): straight back, once."""
    try:
        await shows.say(ctx.chat_id, reply.text, keyboard=reply.buttons, html=reply.html)
    except TelegramError as error:
        log.warning("a reply could not be sent: %s", type(error).__name__)


async def _fetch_files(rt: Runtime, update: Update, bot: Bot) -> dict[str, bytes | None]:
    """Fetch a message's photo or template before the update's transaction opens (the
    network is never waited on while holding the database), and only what will be kept:
    a photo for a client whose open question asks for one, a small text file from a
    therapist. A stranger's files are never downloaded. A failed fetch is None, and the
    handler asks for the file again."""
    message = update.message
    person = update.effective_user
    if message is None or person is None or not (message.photo or message.document):
        return {}
    wanted: str | None = None
    async with rt.db.reading() as session:
        user = await people.get_user(session, telegram_id=person.id)
        if user is None:
            return {}
        if message.photo and user.role == "client":
            largest = message.photo[-1]
            fits = (largest.file_size or 0) <= files.MAX_BYTES
            if fits and await homework.asks_for_photo(rt, session, user):
                wanted = largest.file_id
        elif (document := message.document) is not None and user.role == "therapist":
            name = (document.file_name or "template.yaml").lower()
            small = (document.file_size or 0) <= MAX_TEMPLATE_BYTES
            if name.endswith(TEMPLATE_SUFFIXES) and small:
                wanted = document.file_id
    if wanted is None:
        return {}
    async with rt.downloads:
        try:
            data: bytes | None = bytes(await (await bot.get_file(wanted)).download_as_bytearray())
        except TelegramError as error:
            log.warning("could not fetch a file sent in update %s: %s", update.update_id, error)
            data = None
    return {wanted: data}


def _message_text(update: Update) -> str:
    message = update.message
    return (message.text or "") if message is not None else ""


def _screened(update: Update) -> tuple[str, str]:
    """The free text of a message or an edit, and how it came (message, caption, edited).

    A command's arguments are free text too, but not /start's: that is a link's code.
    """
    message = update.message or update.edited_message
    if message is None:
        return "", "message"
    edited = update.edited_message is not None
    if message.text:
        text = message.text
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            text = "" if command.split("@")[0] == "/start" else rest
        return text, "edited" if edited else "message"
    if message.caption:
        return message.caption, "edited" if edited else "caption"
    return "", "message"


CONTENT_KINDS = (
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "contact",
    "poll",
)


def _media(update: Update) -> Media | None:
    """A message's media, with the largest photo's file when it is a photo."""
    message = update.message
    if message is None:
        return None
    if message.photo:
        largest = message.photo[-1]
        return Media(kind="photo", file_id=largest.file_id, unique_id=largest.file_unique_id)
    kind = _content_kind(update)
    return None if kind == "message" else Media(kind=kind)


def _content_kind(update: Update) -> str:
    message = update.message
    if message is not None:
        for kind in CONTENT_KINDS:
            if getattr(message, kind, None):
                return kind.replace("_", " ")
    return "message"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without any message content, and tell the person kindly: crisis
    lines, if what they wrote calls for them, rather than an apology. (Reached only when
    the pipeline itself could not record an answer: its database stayed out of reach.)"""
    error = context.error
    log.error(
        "error while handling an update: %s",
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        person = update.effective_user
        # The apology in the language of their Telegram: a database read to learn their
        # chosen one could fail or wait for the same reason the update failed.
        text = tr(language_from_code(person.language_code if person else None), SORRY)
        finding = screening.screen(_screened(update)[0])
        if finding is not None and finding.level == "risk":
            text = crisis_reply(
                runtime_of(context).resources,
                choose_country(zone=None, language_code=person.language_code if person else None),
                language=finding.language,
                imminent=finding.imminent,
                therapist=None,
                homework=None,
            )
        try:
            await runtime_of(context).shown_by(context.bot).say(update.effective_chat.id, text)
        except Exception:  # nothing more to do if even the apology fails
            log.warning("could not send the apology either")
