"""The suite's journeys again, with every button typed instead of tapped (its words, as a
person using a screen reader or an older Telegram app would send them): PRODUCT.md promises
that every choice offered as buttons can be typed. A homework answer is typed as its words
("Several days", "Skip", "7"); the options of a several-answer question, tapped one by one
in the journey, are typed as one list ("Mind reading, Labelling") where it presses Done.
SQLite only: the storage is the same."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FixedClock
from tests import (
    test_e2e_journey,
    test_e2e_library,
    test_e2e_library_edges,
    test_e2e_more,
    test_e2e_privacy,
    test_e2e_reminders,
    test_e2e_safety,
    test_e2e_therapist_side,
)
from tests.fake_bot_api import FakeBotApi
from tests.harness import RunningBot

JOURNEYS = (
    test_e2e_journey,
    test_e2e_more,
    test_e2e_library,
    test_e2e_library_edges,
    test_e2e_therapist_side,
    test_e2e_privacy,
    test_e2e_reminders,
    test_e2e_safety,
)
for _module in JOURNEYS:
    for _name in dir(_module):
        if _name.startswith("test_"):
            globals()[f"{_name}__typed"] = getattr(_module, _name)


@pytest.fixture
async def running(
    request: pytest.FixtureRequest,
    api: FakeBotApi,
    sqlite_url: str,
    clock: FixedClock,
    encryption_keys: str,
) -> AsyncIterator[RunningBot]:
    overrides: dict[str, object] = {}
    if request.function.__module__ == test_e2e_safety.__name__:
        # Its journeys run with an operator's fallback chat, as in its own module.
        api.user(test_e2e_safety.FALLBACK_CHAT, "On-call")
        overrides["alert_fallback_chat_id"] = test_e2e_safety.FALLBACK_CHAT
        overrides["alert_ack_minutes"] = test_e2e_safety.ACK_MINUTES
    bot = RunningBot(
        api=api,
        database_url=sqlite_url,
        clock=clock,
        key=encryption_keys,
        typed=True,
        overrides=overrides,
    )
    await bot.start()
    yield bot
    await bot.stop()
