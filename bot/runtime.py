"""What every handler shares: the runtime, and one transaction per update opened here."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, CallbackQuery, Document, InlineKeyboardMarkup, Update
from telegram.error import RetryAfter
from telegram.ext import Application, ContextTypes

from bot.clock import Clock
from bot.i18n import LANGUAGES, Language, in_sentence, language_from_code, tr
from bot.render import ANSWER_PREFIX, TOKEN_PREFIX
from bot.replies import Keyboard, Renderer
from bot.settings import Settings
from bot.telegram_renderer import TelegramRenderer
from conversations.crisis import (
    CrisisResources,
)
from conversations.engine import Flow
from conversations.kinds.base import Media
from conversations.notes import Unreadable
from conversations.risk import RiskFinding
from conversations.templates import Template
from storage import buttons, outbox
from storage import library as library_store
from storage.db import Database
from storage.models import OutboxMessage, User

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
    sender: str = field(default_factory=lambda: secrets.token_hex(8))
    """This process's name as a sender: its claims on outbox messages carry it, and it
    beats while it runs (storage/outbox.py), so another takes them over when it dies."""
    downloads: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))
    """Files fetched from Telegram at the same time, at most."""
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
    asks: tuple[int, int] | None = None
    """A homework question: its entry and number (`Entry.asked_rev`), so that its
    reaching the client is recorded (answers are only ever kept under a question shown)."""


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
    recorded: dict[int, OutboxMessage] = field(default_factory=dict)
    """The replies recorded in the outbox (by their place in `replies`), to send now."""

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
        asks: tuple[int, int] | None = None,
    ) -> None:
        """Reply in the chat once the transaction has committed."""
        self.replies.append(Say(text, buttons, html, urgent, asks))

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


TEMPLATE_SUFFIXES = (".yaml", ".yml", ".txt")
"""The names a therapist's template file may have."""

Handler = Callable[[Ctx], Awaitable[None]]
PtbCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


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


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asks us to wait (a timedelta or seconds, by PTB's setting)."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
