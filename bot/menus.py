"""The command menus Telegram shows, per role and language: clients see their homework
commands (the default menu, one per language), therapists theirs (set for their chat when
they register, and again on every start); a person who picks a language in /settings gets
their menu in it."""

from __future__ import annotations

import logging

from sqlalchemy import select
from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, N_, tr
from storage.db import Database
from storage.models import User

log = logging.getLogger(__name__)

CLIENT_COMMANDS = [
    ("today", N_("What is due today")),
    ("homework", N_("All your homework")),
    ("progress", N_("How your homework is going")),
    ("note", N_("A note for your therapist")),
    ("plan", N_("Your safety plan")),
    ("sos", N_("Crisis lines, any time")),
    ("settings", N_("Time zone, language, quiet hours")),
    ("pause", N_("Pause reminders for a while")),
    ("resume", N_("Turn reminders back on")),
    ("privacy", N_("Who sees what you write")),
    ("help", N_("What I can do")),
    ("cancel", N_("Stop or pause what we are doing")),
]
THERAPIST_COMMANDS = [
    ("clients", N_("Your clients at a glance")),
    ("client", N_("One client in full: /client NAME")),
    ("digest", N_("Your digest now")),
    ("assign", N_("Give a client homework")),
    ("invite", N_("An invite link for a client")),
    ("export", N_("A client's entries: /export NAME")),
    ("templates", N_("Homework you can give")),
    ("settings", N_("Time zone, language, digest")),
    ("sos", N_("Crisis lines, any time")),
    ("help", N_("What I can do")),
    ("cancel", N_("Stop what we are doing")),
]


def menu(role: str, language: str = "en") -> list[BotCommand]:
    """The commands a client or a therapist sees, described in `language`."""
    commands = THERAPIST_COMMANDS if role == "therapist" else CLIENT_COMMANDS
    return [BotCommand(command, tr(language, about)) for command, about in commands]


CLIENT = menu("client")
THERAPIST = menu("therapist")


async def set_for_person(bot: Bot, chat_id: int, role: str, language: str = "en") -> None:
    """A person's own menu in their chat (best effort: the commands work regardless)."""
    try:
        await bot.set_my_commands(menu(role, language), scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:
        log.info("a command menu could not be set: %s", type(error).__name__)


async def set_for_therapist(bot: Bot, chat_id: int, language: str = "en") -> None:
    """A therapist's own menu in their chat."""
    await set_for_person(bot, chat_id, "therapist", language)


async def set_all(bot: Bot, db: Database) -> None:
    """On start: the clients' menu for everyone (one per language Telegram is set to), the
    therapists' for each therapist in their language."""
    await bot.set_my_commands(CLIENT)
    for code in LANGUAGES[1:]:
        await bot.set_my_commands(menu("client", code), language_code=code)
    async with db.reading() as session:
        query = select(User.chat_id, User.language).where(User.role == "therapist")
        therapists = list((await session.execute(query)).all())
    for chat_id, language in therapists:
        await set_for_therapist(bot, chat_id, language)
