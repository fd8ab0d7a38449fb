"""What every handler shares: the runtime, and one transaction per update opened here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.clock import Clock
from bot.render import TOKEN_PREFIX
from bot.settings import Settings
from conversations.crisis import CrisisResources
from conversations.templates import Template
from storage import buttons, people
from storage.db import Database
from storage.models import User

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The process's shared parts, kept in `application.bot_data`."""

    settings: Settings
    db: Database
    clock: Clock
    library: dict[str, Template]
    resources: CrisisResources
    on_urgent: Callable[[], None] | None = None
    """Called after an update that queued an alert commits: sends the alert lane now."""

    def title_of(self, template_id: str) -> str:
        """A homework's title, even if its template has gone."""
        template = self.library.get(template_id)
        return template.title if template else template_id.replace("_", " ")


def runtime_of(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    """The runtime of the application handling this update."""
    runtime = context.application.bot_data["runtime"]
    assert isinstance(runtime, Runtime)
    return runtime


@dataclass
class Say:
    text: str
    buttons: InlineKeyboardMarkup | None = None
    html: bool = False


@dataclass
class EditButtons:
    buttons: InlineKeyboardMarkup | None


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

    @property
    def full_name(self) -> str:
        """The person's Telegram name."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def identity(self) -> dict[str, Any]:
        """Who is acting, as the storage functions that register people take it."""
        return {
            "telegram_id": self.telegram_id,
            "chat_id": self.chat_id,
            "name": self.full_name,
            "username": self.username,
            "now": self.now,
        }

    def say(
        self, text: str, buttons: InlineKeyboardMarkup | None = None, html: bool = False
    ) -> None:
        """Reply in the chat once the transaction has committed."""
        self.replies.append(Say(text, buttons, html))

    def edit_buttons(self, buttons: InlineKeyboardMarkup | None) -> None:
        """Change (or remove) the buttons of the message that was pressed."""
        if self.query is not None:
            self.replies.append(EditButtons(buttons))

    def toast(self, text: str) -> None:
        """A short notice on the pressed button."""
        self.toast_text = text


TOKEN_TTL = timedelta(days=7)


async def button_token(ctx: Ctx, action: str, payload: dict[str, object]) -> str:
    """Callback data for a button only this person may press, meaning `action` on `payload`."""
    assert ctx.user is not None
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

PRIVATE_ONLY = (
    "I only work in private chats, so that what people write stays between them and "
    "their therapist. Please message me directly."
)


def handler(fn: Handler) -> PtbCallback:
    """Wrap a handler: private chats only, one transaction, replies sent after commit."""

    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        person = update.effective_user
        if chat is None or person is None or person.is_bot:
            return
        if chat.type != ChatType.PRIVATE:
            if update.callback_query is not None:
                await update.callback_query.answer(PRIVATE_ONLY[:190], show_alert=True)
            elif update.effective_message is not None and _addressed_to_bot(update):
                await update.effective_message.reply_text(PRIVATE_ONLY)
            return
        rt = runtime_of(context)
        async with rt.db.transaction() as session:
            user = await people.get_user(session, telegram_id=person.id, for_update=True)
            ctx = Ctx(
                rt=rt,
                session=session,
                now=rt.clock.now(),
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
            )
            ctx.screened, ctx.via = _screened(update)
            if user is not None and user.blocked_at is not None:
                user.blocked_at = None
            await fn(ctx)
        if ctx.urgent and rt.on_urgent is not None:
            rt.on_urgent()
        await _send_replies(ctx, context)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def _message_text(update: Update) -> str:
    message = update.message
    return (message.text or "") if message is not None else ""


def _screened(update: Update) -> tuple[str, str]:
    """The free text of a message or an edit, and how it came (message, caption, edited)."""
    message = update.message or update.edited_message
    if message is None:
        return "", "message"
    edited = update.edited_message is not None
    if message.text:
        return message.text, "edited" if edited else "message"
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
    if ctx.query is not None:
        try:
            await ctx.query.answer(ctx.toast_text[:190] if ctx.toast_text else None)
        except BadRequest:
            log.info("a button press was too old to acknowledge")
    for reply in ctx.replies:
        if isinstance(reply, EditButtons):
            assert ctx.query is not None
            try:
                await ctx.query.edit_message_reply_markup(reply_markup=reply.buttons)
            except BadRequest:
                # Pressed twice, or the message is gone: nothing to change, not a failure.
                log.info("could not change the buttons of a pressed message")
            continue
        await _send_reply(context, ctx.chat_id, reply)


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asks us to wait (a timedelta or seconds, by PTB's setting)."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


async def _send_reply(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Say) -> None:
    """Send one reply; a failure is logged, never turned into "please try again", because
    what the person sent is already saved and a retry would be taken as a new answer."""
    for attempt in (1, 2):
        try:
            await context.bot.send_message(
                chat_id=chat_id,
                text=reply.text,
                reply_markup=reply.buttons,
                parse_mode=ParseMode.HTML if reply.html else None,
                disable_web_page_preview=True,
            )
            return
        except RetryAfter as error:
            seconds = retry_seconds(error)
            if attempt == 2 or seconds > 30:
                log.warning("a reply was rate limited and dropped; the next message re-asks")
                return
            await asyncio.sleep(seconds)
        except TelegramError as error:
            log.warning("a reply could not be sent: %s", type(error).__name__)
            return


SORRY = (
    "Sorry, something went wrong on my side. Everything you wrote before this is saved. "
    "Please try that again in a moment."
)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without any message content, and tell the person kindly."""
    error = context.error
    log.error(
        "error while handling an update: %s",
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error is not None else None,
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        try:
            await context.bot.send_message(chat_id=update.effective_chat.id, text=SORRY)
        except Exception:  # nothing more to do if even the apology fails
            log.warning("could not send the apology either")
