"""Handling updates: one chat's one at a time and in order, different chats at once.

python-telegram-bot hands every update to an update processor; this one takes a lock per
chat before the concurrency limit, so a client's messages are answered in the order they
were sent (an answer is never saved to the wrong question), while other clients never wait
behind them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 256
"""Updates in flight at once; one waiting for its chat's turn costs almost nothing."""


def chat_of(update: object) -> int | None:
    """The chat (or person) an update belongs to."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within one chat.

    Updates reach `do_process_update` in the order Telegram sent them (PTB starts one task
    per update, and they pass its semaphore first come, first served); each takes its
    chat's lock at once, so a chat's updates run one after another in that order.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = chat_of(update)
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:
                # Forget idle chats, so memory stays flat however many clients there are.
                del self._waiting[chat]
                del self._locks[chat]

    @property
    def chats_in_hand(self) -> int:
        """How many chats have an update running or waiting (idle chats are forgotten)."""
        return len(self._locks.keys() | self._waiting.keys())

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""
