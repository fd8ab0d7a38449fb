"""The command menus Telegram shows, per role: clients see their homework commands
(the default menu), therapists theirs (set for their chat when they register, and again on
every start)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from storage.db import Database
from storage.models import User

log = logging.getLogger(__name__)

CLIENT = [
    BotCommand("today", "What is due today"),
    BotCommand("homework", "All your homework"),
    BotCommand("progress", "How your homework is going"),
    BotCommand("note", "A note for your therapist"),
    BotCommand("sos", "Crisis lines, any time"),
    BotCommand("settings", "Time zone and quiet hours"),
    BotCommand("pause", "Pause reminders for a while"),
    BotCommand("resume", "Turn reminders back on"),
    BotCommand("privacy", "Who sees what you write"),
    BotCommand("help", "What I can do"),
    BotCommand("cancel", "Stop or pause what we are doing"),
]
THERAPIST = [
    BotCommand("clients", "Your clients at a glance"),
    BotCommand("client", "One client in full: /client NAME"),
    BotCommand("digest", "Your digest now"),
    BotCommand("assign", "Give a client homework"),
    BotCommand("invite", "An invite link for a client"),
    BotCommand("export", "A client's entries: /export NAME"),
    BotCommand("templates", "Homework you can give"),
    BotCommand("settings", "Time zone and digest"),
    BotCommand("sos", "Crisis lines, any time"),
    BotCommand("help", "What I can do"),
    BotCommand("cancel", "Stop what we are doing"),
]


async def set_for_therapist(bot: Bot, chat_id: int) -> None:
    """A therapist's own menu in their chat (best effort: the commands work regardless)."""
    try:
        await bot.set_my_commands(THERAPIST, scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:
        log.info("a therapist's command menu could not be set: %s", type(error).__name__)


async def set_all(bot: Bot, db: Database) -> None:
    """On start: the clients' menu for everyone, the therapists' for each therapist."""
    await bot.set_my_commands(CLIENT)
    async with db.reading() as session:
        query = select(User.chat_id).where(User.role == "therapist")
        chats = list((await session.execute(query)).scalars())
    for chat_id in chats:
        await set_for_therapist(bot, chat_id)
