"""Long polling that tells Telegram an update is done only once it is handled.

python-telegram-bot's Updater asks for the next updates (confirming the last ones) as soon
as it has queued them, before they are handled: a process killed in between lost them,
and Telegram never sent them again. Here the offset only moves past an update once its
transaction has committed (or it was found handled before), so after a crash Telegram
gives back every update not yet handled; the update's claim in the database keeps any of
them from being handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

LONG_POLL = 10
"""Seconds Telegram holds a getUpdates request open when nothing is waiting."""
IN_HAND_WAIT = 1.0
"""When Telegram only gives back updates still being handled: wait this long at most (or
until one is done) before asking again, rather than asking in a busy loop."""


class Poller:
    """Fetches updates and hands each to the application, one task each (the update
    processor keeps one chat's updates in order); the offset follows what is done."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        *,
        long_poll: float = LONG_POLL,
        allowed_updates: list[str] | None = None,
    ) -> None:
        self.application = application
        self.long_poll = long_poll
        self.allowed_updates = allowed_updates if allowed_updates is not None else Update.ALL_TYPES
        self.in_hand: set[int] = set()
        """Updates fetched and not yet done."""
        self.done: set[int] = set()
        """Updates done, above the offset (Telegram may give them back while one below is
        still in hand)."""
        self.offset = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Delete any webhook (Telegram allows one or the other), then poll until `stop`."""
        await self.application.bot.delete_webhook()
        self._task = asyncio.create_task(self._run(), name="polling")

    async def stop(self) -> None:
        """Stop asking for updates; those in hand finish with the application."""
        if self._task is None:
            return
        # The flag as well as the cancel: a cancel that meets a wait just ending can be
        # lost (asyncio.wait_for), and the loop must not ask Telegram again after it.
        self._stopping = True
        self._changed.set()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                batch = await self.application.bot.get_updates(
                    offset=self.offset,
                    timeout=0 if self.in_hand else self.long_poll,
                    allowed_updates=self.allowed_updates,
                )
                failures = 0
            except InvalidToken:
                log.error("Telegram refused the bot token: polling stops")
                raise
            except RetryAfter as error:
                wait = error.retry_after
                await asyncio.sleep(wait if isinstance(wait, int | float) else wait.total_seconds())
                continue
            except (NetworkError, TelegramError) as error:
                failures += 1
                log.warning("getUpdates failed (%s); trying again", type(error).__name__)
                await asyncio.sleep(min(0.5 * 2**failures, 30.0))
                continue
            # The offset may have moved on while the request was on its way: what is below
            # it now is done, whatever Telegram answered.
            known = self.in_hand | self.done
            fresh = [u for u in batch if u.update_id >= self.offset and u.update_id not in known]
            for update in fresh:
                self.in_hand.add(update.update_id)
                self.application.create_task(self._handle(update), update=update)
            if batch:
                self._move_offset(max(u.update_id for u in batch))
            if batch and not fresh:
                # Only updates still being handled came back: wait for one to be done.
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), IN_HAND_WAIT)

    async def _handle(self, update: Update) -> None:
        processor = self.application.update_processor
        try:
            await processor.process_update(update, self.application.process_update(update))
        finally:
            self.in_hand.discard(update.update_id)
            self.done.add(update.update_id)
            self._move_offset(update.update_id)
            self._changed.set()

    def _move_offset(self, seen: int) -> None:
        """Past every update done, up to the first one still in hand."""
        highest = max([seen, self.offset - 1, *self.done])
        self.offset = min(self.in_hand) if self.in_hand else highest + 1
        self.done = {u for u in self.done if u >= self.offset}
