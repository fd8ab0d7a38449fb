"""What every handler shares: the runtime, and one transaction per update opened here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, CallbackQuery, Document, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot import metrics
from bot.clock import Clock
from bot.i18n import LANGUAGES, N_, Language, in_sentence, language_from_code, tr
from bot.render import ANSWER_PREFIX, TOKEN_PREFIX
from bot.replies import Keyboard, Renderer
from bot.settings import Settings
from bot.telegram_renderer import TelegramRenderer
from conversations import risk
from conversations.crisis import (
    CrisisResources,
    choose_country,
    crisis_reply,
    language_of,
    sos_text,
)
from conversations.engine import Flow
from conversations.kinds.base import Media
from conversations.notes import Unreadable
from conversations.risk import RiskFinding
from conversations.templates import MAX_TEMPLATE_BYTES, Template
from storage import buttons, files, outbox, people, updates
from storage import library as library_store
from storage.db import Database
from storage.models import User

log = logging.getLogger(__name__)

LOOKAHEAD = timedelta(seconds=1)
"""Slots in the send budget are handed out this far ahead."""
HEADROOM = 0.98
"""The send budget paces at 98% of SENDS_PER_SECOND: send times jitter by a few
milliseconds, and a pace of exactly the limit puts one send too many into some seconds.
(Within one process the sends still on their way count too: see delivery._room_to_send.)"""
LEASE = timedelta(minutes=3)
"""A claimed message stays with its sender this long: the lookahead, plus the worst case of
one send (python-telegram-bot's timeouts: 5 s to connect, 20 s to write a photo, 5 s to read,
1 s for a pooled connection), many times over."""


@dataclass
class Runtime:
    """The process's shared parts, kept in `application.bot_data`."""

    settings: Settings
    db: Database
    clock: Clock
    library: dict[str, Template]
    """The built-in templates, newest versions, by id."""
    resources: CrisisResources
    versions: dict[tuple[str, int], Template] = field(default_factory=dict)
    """Template versions read from the database, kept once read (they never change)."""
    titles: dict[str, str] = field(default_factory=dict)
    """Titles of therapists' own templates, as read."""
    flows: dict[tuple[str, int, str, str], Flow] = field(default_factory=dict)
    """Compiled flows by template version, settings and language (see bot/library.py)."""
    on_urgent: Callable[[], None] | None = None
    """Called after an update that queued an alert commits: sends the alert lane now."""
    deliver_at: Callable[[datetime], None] | None = None
    """Asks for an outbox run at a moment (timed messages, like paced breathing)."""
    pause: Callable[[datetime], Awaitable[None]] | None = None
    """Waits until a moment by `clock` (a message's turn to be sent); tests move the clock."""
    renderer: Renderer | None = None
    """What shows replies to people: None for Telegram, through the bot (see `shown_by`)."""

    def shown_by(self, bot: Bot) -> Renderer:
        """The renderer replies go through: the console's, or Telegram's through `bot`."""
        return self.renderer if self.renderer is not None else TelegramRenderer(bot)

    async def wait_until(self, moment: datetime) -> None:
        """Wait for `moment` by this runtime's clock."""
        if self.pause is not None:
            await self.pause(moment)
            return
        delay = (moment - self.clock.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)

    @property
    def budget(self) -> outbox.Budget:
        """The send budget from the settings (shared across processes by the database)."""
        return outbox.Budget(
            spacing=timedelta(seconds=1 / (self.settings.sends_per_second * HEADROOM)),
            chat_spacing=timedelta(seconds=1 / self.settings.chat_sends_per_second),
            lookahead=LOOKAHEAD,
            lease=LEASE,
            horizon=timedelta(hours=self.settings.outbox_horizon_hours),
        )

    titles_read: bool = False
    send_gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Sends from this process start one at a time, never more in any one second than the
    budget allows, however late the event loop wakes their tasks (no burst after a pause)."""
    recent_sends: deque[datetime] = field(default_factory=deque)
    """When this process's latest sends finished (within the last second)."""
    in_flight: int = 0
    """Sends of this process on their way to Telegram."""
    send_done: asyncio.Event = field(default_factory=asyncio.Event)
    last_tick_at: datetime | None = None
    last_retention_at: datetime | None = None
    """When the ticker last finished (for /healthz)."""
    started_at: datetime | None = None

    async def read_titles(self, session: AsyncSession) -> None:
        """Fill `titles` from the database once per process (own templates by title)."""
        if not self.titles_read:
            self.titles.update(await library_store.titles(session))
            self.titles_read = True

    def title_of(self, template_id: str, language: str = "en") -> str:
        """A homework's title (in `language` when it has one), even if its template has gone."""
        template = self.library.get(template_id)
        if template is not None:
            words = template.translations.get(language)
            return (words.title if words is not None else None) or template.title
        return self.titles.get(template_id) or template_id.partition("@")[0].replace("_", " ")


def runtime_of(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    """The runtime of the application handling this update."""
    return runtime_in(context.application)


def runtime_in(application: Application[Any, Any, Any, Any, Any, Any]) -> Runtime:
    """The runtime an application was built with (bot/app.py build_application)."""
    runtime = application.bot_data["runtime"]
    assert isinstance(runtime, Runtime)
    return runtime


@dataclass
class Say:
    text: str
    buttons: Keyboard | None = None
    html: bool = False
    urgent: bool = False
    """Crisis lines: if Telegram refuses it now, it goes out on the alert lane."""


@dataclass
class EditButtons:
    buttons: Keyboard | None


@dataclass
class Ctx:
    """One update being handled: who acts, the open transaction, and what to reply."""

    rt: Runtime
    session: AsyncSession
    now: datetime
    telegram_id: int
    chat_id: int
    first_name: str
    last_name: str | None
    username: str | None
    user: User | None
    bot_username: str = ""
    query: CallbackQuery | None = None
    text: str = ""
    args: list[str] = field(default_factory=list)
    data: str = ""
    sent_at: float | None = None
    """When Telegram says the message was sent (seconds since the epoch)."""
    content: str = "message"
    """What kind of message arrived when it is not text: photo, sticker, voice..."""
    screened: str = ""
    """Every piece of free text in the update (text, caption, edited text): screened first."""
    via: str = "message"
    """How that text came: message, caption or edited."""
    language_code: str | None = None
    """Telegram's language code for the person (a hint to their language and country)."""
    replies: list[Say | EditButtons] = field(default_factory=list)
    toast_text: str | None = None
    urgent: bool = False
    """Set when the update queued an alert: delivery runs as soon as it commits."""
    risk: RiskFinding | None = None
    """What the risk screen found in this update's text, if anything."""
    update_id: int = 0
    bot: Bot | None = None
    """The bot, for fetching a photo sent as an answer."""
    media: Media | None = None
    """What arrived when it is not text (a photo keeps its file id)."""
    document: Document | None = None
    """A file sent as a document (a therapist's template)."""
    message_id: int | None = None
    """The Telegram message (an edit keeps its id), so one message raises one flag."""
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Calls to Telegram that only make sense once this update's work is committed."""
    confirming: bool = False
    """A button of this update asks to confirm what can't be undone (see CONFIRM_WAIT)."""
    fetched: dict[str, bytes | None] = field(default_factory=dict)
    """Files of this message fetched from Telegram before the transaction began (so no
    database lock waits on the network), by file id; None when fetching failed."""

    @property
    def full_name(self) -> str:
        """The person's Telegram name."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def lang(self) -> Language:
        """The language to speak: the person's choice, else their Telegram's."""
        chosen = self.user.language if self.user is not None else None
        return chosen if chosen in LANGUAGES else language_from_code(self.language_code)

    def t(self, message: str, /, **params: object) -> str:
        """`message` in this person's language, its fields filled from `params`."""
        return tr(self.lang, message, **params)

    def unreadable(self, error: Unreadable) -> str:
        """Why typed text could not be read, in this person's language."""
        return self.t(error.message, typed=error.typed, **error.fields)

    def title(self, template_id: str) -> str:
        """A homework's title in this person's language, in lower case for a sentence."""
        return in_sentence(self.rt.title_of(template_id, self.lang))

    def identity(self) -> dict[str, Any]:
        """Who is acting, as the storage functions that register people take it."""
        return {
            "telegram_id": self.telegram_id,
            "chat_id": self.chat_id,
            "name": self.full_name,
            "username": self.username,
            "now": self.now,
            "language": self.lang,
        }

    def say(
        self,
        text: str,
        buttons: Keyboard | None = None,
        html: bool = False,
        urgent: bool = False,
    ) -> None:
        """Reply in the chat once the transaction has committed."""
        self.replies.append(Say(text, buttons, html, urgent))

    def edit_buttons(self, buttons: Keyboard | None) -> None:
        """Change (or remove) the buttons of the message that was pressed."""
        if self.query is not None:
            self.replies.append(EditButtons(buttons))

    def pressed_keyboard(self) -> Keyboard | None:
        """The buttons of the message whose button was pressed, as they were drawn."""
        message = self.query.message if self.query is not None else None
        markup = getattr(message, "reply_markup", None)
        if not isinstance(markup, InlineKeyboardMarkup):
            return None
        return Keyboard.of(
            [[(b.text, str(b.callback_data)) for b in row] for row in markup.inline_keyboard]
        )

    def toast(self, text: str) -> None:
        """A short notice on the pressed button (said in the chat when the choice was typed)."""
        if self.query is None:
            self.say(text)
        else:
            self.toast_text = text

    def remember_offered(self) -> None:
        """Keep the buttons under this update's last message, so the person may type one
        instead. Anything else said (a question of their homework, an answer without
        buttons) or any button pressed ends that: typed words are only ever read against
        the choice in front of them."""
        if self.user is None:
            return
        said = [reply for reply in self.replies if isinstance(reply, Say)]
        last = said[-1].buttons if said else None
        if last is not None and not all(c.data.startswith(ANSWER_PREFIX) for c in last.choices()):
            self.user.offered = offer(last, self.now, confirming=self.confirming)
        elif (said or self.query is not None) and self.user.offered is not None:
            self.user.offered = None


TOKEN_TTL = timedelta(days=7)
OFFER_WAIT = timedelta(days=1)
"""Buttons offered longer ago than this are no longer read from typed text."""
CONFIRM_WAIT = timedelta(minutes=10)
"""A confirmation that can't be undone (delete everything, end a link, stop homework) is
read from typed text only this soon after it was asked: a "yes" typed hours later for
something else must never delete anything."""
CONFIRMATIONS = frozenset({"erase", "unlink", "homework_stop_sure"})


def offer(keyboard: Keyboard, now: datetime, *, confirming: bool = False) -> dict[str, Any]:
    """What `users.offered` keeps of a keyboard shown at `now`."""
    return {"at": now.isoformat(), "choices": keyboard.as_rows(), "confirm": confirming}


def offered_choices(offered: dict[str, Any] | None, now: datetime) -> Keyboard | None:
    """The buttons still on offer in a chat, if they were shown recently enough."""
    wait = CONFIRM_WAIT if (offered or {}).get("confirm") else OFFER_WAIT
    if not offered or not dialog_fresh(offered, now, wait):
        return None
    rows = offered.get("choices")
    if not isinstance(rows, list):
        return None
    return Keyboard.of([[(str(label), str(data)) for label, data in row] for row in rows])


async def button_token(ctx: Ctx, action: str, payload: dict[str, object]) -> str:
    """Callback data for a button only this person may press, meaning `action` on `payload`."""
    assert ctx.user is not None
    if action in CONFIRMATIONS:
        ctx.confirming = True
    return await token_for(
        ctx.session, owner_id=ctx.user.id, action=action, payload=payload, now=ctx.now
    )


async def token_for(
    session: AsyncSession,
    *,
    owner_id: int,
    action: str,
    payload: dict[str, object],
    now: datetime,
    ttl: timedelta = TOKEN_TTL,
) -> str:
    """Callback data for a button only `owner_id` may press (in a message sent to them)."""
    token = await buttons.issue_token(
        session, user_id=owner_id, action=action, payload=dict(payload), now=now, ttl=ttl
    )
    return TOKEN_PREFIX + token


Handler = Callable[[Ctx], Awaitable[None]]
PtbCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

PRIVATE_ONLY = N_(
    "I only work in private chats, so that what people write stays between them and "
    "their therapist. Please message me directly."
)


RiskHook = Callable[[Ctx], Awaitable[bool]]
"""Answers risk found in an update; True when the usual handler should run after it."""


def handler(fn: Handler, *, on_risk: RiskHook | None = None) -> PtbCallback:
    """Wrap a handler: private chats only, one transaction, replies sent after commit.

    Every text is screened first (pure, no I/O). Risk found is answered by `on_risk` in a
    transaction of its own, committed and sent before the usual handler runs, so the
    crisis lines, the flag and the therapist's alert survive anything that fails later.
    """

    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        person = update.effective_user
        if chat is None or person is None or person.is_bot:
            return
        if chat.type != ChatType.PRIVATE:
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
            elif message is not None and _addressed_to_bot(update):
                await message.reply_text(private_only)
            return
        rt = runtime_of(context)
        started = time.perf_counter()
        screened, via = _screened(update)
        finding = risk.screen(screened) if screened else None
        go_on = True
        fresh = True

        async def respond(ctx: Ctx) -> None:
            nonlocal go_on
            assert on_risk is not None
            go_on = await on_risk(ctx)

        if finding is not None and on_risk is not None:
            fresh = await _in_transaction(
                rt, update, context, respond, finding, screened, via, claim=False
            )
        if fresh and go_on:
            fetched = await _fetch_files(update, context.bot)
            fresh = await _in_transaction(
                rt, update, context, fn, finding, screened, via, claim=True, fetched=fetched
            )
        metrics.UPDATES.labels("handled" if fresh else "duplicate").inc()
        metrics.HANDLER_SECONDS.observe(time.perf_counter() - started)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


async def _in_transaction(
    rt: Runtime,
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    fn: Handler,
    finding: RiskFinding | None,
    screened: str,
    via: str,
    *,
    claim: bool,
    fetched: dict[str, bytes | None] | None = None,
) -> bool:
    """Run `fn` on this update in one transaction; after commit, send what it said.

    False, doing nothing, when the update was handled before (Telegram redelivered it).
    With `claim` the update is recorded as handled in this same transaction.
    """
    chat, person = update.effective_chat, update.effective_user
    assert chat is not None and person is not None
    async with rt.db.transaction() as session:
        now = rt.clock.now()
        if claim:
            if not await updates.claim(session, update_id=update.update_id, now=now):
                log.info("update %s was handled already; not again", update.update_id)
                return False
        elif await updates.handled(session, update_id=update.update_id):
            return False
        await rt.read_titles(session)
        user = await people.get_user(session, telegram_id=person.id, for_update=True)
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
            message_id=message.message_id if (message := update.effective_message) else None,
            bot=context.bot,
            media=_media(update),
            document=update.message.document if update.message else None,
            fetched=fetched or {},
        )
        if user is not None and user.blocked_at is not None:
            user.blocked_at = None
        erasing = user is not None and user.erasing_at is not None
        if claim and erasing and not _is_sos(ctx.text):
            ctx.say(ctx.t(ERASING))  # nothing more is kept while their data is being deleted
        else:
            await fn(ctx)
            if claim:
                ctx.remember_offered()
    if ctx.urgent and rt.on_urgent is not None:
        rt.on_urgent()
    for call in ctx.after_commit:
        await call()
    await _send_replies(ctx, context)
    return True


TEMPLATE_SUFFIXES = (".yaml", ".yml", ".txt")


async def _fetch_files(update: Update, bot: Bot) -> dict[str, bytes | None]:
    """Fetch a message's photo, or a document that may be a template, before the update's
    transaction opens: the network is never waited on while holding the database.

    Only what a handler may keep is fetched (a photo within the size kept, a small text
    file); a failed fetch is None, and the handler asks for the file again.
    """
    message = update.message
    if message is None:
        return {}
    wanted: str | None = None
    if message.photo:
        largest = message.photo[-1]
        if (largest.file_size or 0) <= files.MAX_BYTES:
            wanted = largest.file_id
    elif (document := message.document) is not None:
        name = (document.file_name or "template.yaml").lower()
        if name.endswith(TEMPLATE_SUFFIXES) and (document.file_size or 0) <= MAX_TEMPLATE_BYTES:
            wanted = document.file_id
    if wanted is None:
        return {}
    try:
        data: bytes | None = bytes(await (await bot.get_file(wanted)).download_as_bytearray())
    except TelegramError as error:
        log.warning("could not fetch a file sent in update %s: %s", update.update_id, error)
        data = None
    return {wanted: data}


ERASING = N_(
    "Your data is being deleted; it only takes a moment. /sos shows crisis lines at any time."
)


def command_of(text: str) -> str:
    """The command a message starts with ("/note" for "/note@bot hello"), else ""."""
    first = text.split(" ")[0].split("@")[0]
    return first if first.startswith("/") else ""


def dialog_fresh(dialog: dict[str, Any] | None, now: datetime, wait: timedelta) -> bool:
    """True when the question in `dialog` was asked (its "at") less than `wait` ago."""
    try:
        asked = datetime.fromisoformat(str((dialog or {}).get("at")))
    except ValueError:
        return False
    return now - asked <= wait


def _is_sos(text: str) -> bool:
    return command_of(text) == "/sos"


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


def _addressed_to_bot(update: Update) -> bool:
    message = update.effective_message
    text = (message.text or "") if message else ""
    return text.startswith("/")


async def _send_replies(ctx: Ctx, context: ContextTypes.DEFAULT_TYPE) -> None:
    # What was said is already committed; a stale button must not stop the next question.
    shows = ctx.rt.shown_by(context.bot)
    if ctx.query is not None:
        try:
            await shows.acknowledge(ctx.query.id, ctx.toast_text)
        except BadRequest:
            log.info("a button press was too old to acknowledge")
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
        await _send_reply(ctx, shows, index, reply)


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asks us to wait (a timedelta or seconds, by PTB's setting)."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


async def _send_reply(ctx: Ctx, shows: Renderer, index: int, reply: Say) -> None:
    """Send one reply. Refused for now (429, the network), it goes to the outbox, which
    waits as Telegram asks; nothing sleeps here, so other chats are never held up. Other
    failures are logged, never turned into "please try again": what the person sent is
    already saved, and a retry would be taken as a new answer."""
    try:
        await shows.say(ctx.chat_id, reply.text, keyboard=reply.buttons, html=reply.html)
    except (RetryAfter, NetworkError) as error:
        log.info("a reply was deferred to the outbox: %s", type(error).__name__)
        rows = reply.buttons.as_rows() if reply.buttons is not None else None
        now = ctx.rt.clock.now()
        wait = retry_seconds(error) if isinstance(error, RetryAfter) else 0.0
        async with ctx.rt.db.transaction() as session:
            await outbox.notify_chat(
                session,
                chat_id=ctx.chat_id,
                user_id=ctx.user.id if ctx.user is not None else None,
                kind="crisis" if reply.urgent else "reply",
                key=f"{ctx.chat_id}:{ctx.update_id}:{index}",
                text=reply.text,
                now=now,
                buttons=rows,
                extra={"html": True} if reply.html else None,
                not_before=now + timedelta(seconds=wait),
            )
            if wait:
                await outbox.hold_sends(session, until=now + timedelta(seconds=wait), now=now)
        if reply.urgent and ctx.rt.on_urgent is not None:
            ctx.rt.on_urgent()
    except TelegramError as error:
        log.warning("a reply could not be sent: %s", type(error).__name__)


SORRY = N_(
    "Sorry, something went wrong on my side. Everything you wrote before this is saved. "
    "Please try that again in a moment."
)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without any message content, and tell the person kindly: crisis
    lines, if what they wrote calls for them, rather than an apology."""
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
        finding = risk.screen(_screened(update)[0])
        if finding is not None:
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
