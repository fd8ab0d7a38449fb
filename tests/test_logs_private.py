"""Logs never carry the bot token, people's names or anything they wrote, at any level:
DEBUG is captured over a whole conversation, a risk alert, a restart and an export."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.app import configure_logging
from bot.clock import FixedClock
from bot.settings import Settings
from tests.harness import RunningBot
from tests.test_e2e_library import linked, start

CANARY = "Tangerine-Zeppelin-4417"
RISK = "I want to kill myself tonight"


async def test_debug_logs_hold_no_token_names_or_words(
    running: RunningBot, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging(Settings(_env_file=None, telegram_bot_token=running.api.token))  # type: ignore[call-arg, arg-type]
    caplog.set_level(logging.DEBUG)
    therapist, client = await linked(running)
    await running.send(therapist, "/assign robin gratitude daily 20:00 count=1")
    await start(running, client, "gratitude entry")
    await running.send(client, f"My canary {CANARY}")
    await running.send(client, RISK)
    await running.press(client, "Save")
    await running.send(client, f"/note {CANARY} note")
    await running.restart()
    await running.send(therapist, "/export robin")
    for _ in range(4):
        clock.advance(timedelta(seconds=1))
        await running.tick()
    assert caplog.records and caplog.handler.level <= logging.DEBUG  # all was captured
    secret = running.api.token.partition(":")[2]
    forbidden = (CANARY, RISK, "kill myself", secret, "Robin", "Example", "Dana", "robin_example")
    for record in caplog.records:
        shown = record.getMessage()
        if record.exc_info:
            shown += logging.Formatter().formatException(record.exc_info)
        for word in forbidden:
            assert word not in shown, (record.name, record.levelname, shown[:300])


def test_a_job_skipped_while_busy_is_not_logged_every_second(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging()
    scheduler = logging.getLogger("apscheduler.scheduler")
    with caplog.at_level(logging.WARNING):
        scheduler.warning(
            'Execution of job "deliver" skipped: maximum number of running instances reached (1)'
        )
        scheduler.warning("Run time of job was missed")
    assert "maximum number of running instances" not in caplog.text
    assert "Run time of job was missed" in caplog.text
