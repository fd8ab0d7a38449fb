"""One bot in a process of its own, for the benchmarks: the real application
(bot.app.build_application, a real SystemClock) or the echo-bot yardstick.

Started by bench.common.BotProcess as ``python -m bench.botproc SPEC_JSON``; it imports
only what the bot itself imports (no aiohttp, no fake server), so its memory and CPU are the
bot's. Commands arrive one a line on stdin (``begin``, ``end``, ``stop``); each is answered
with one JSON line on stdout: ``[command, {"cpu": s, "rss": MB, "peak": MB, ...}]``, and
``["ready", {...}]`` once it polls. Logs go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

os.environ.setdefault("PTB_TIMEDELTA", "true")


@dataclass
class BotSpec:
    """What a bot process runs."""

    kind: str
    """"homework" (the real application) or "echo" (the yardstick)."""
    api_url: str
    token: str
    key: str = ""
    database_url: str = ""
    poll: bool = True
    profile: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    """Settings overrides for the homework bot (tick_seconds, ...)."""


def cpu_seconds() -> float:
    """CPU time of this process, every thread (aiosqlite's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> tuple[float, float]:
    """(resident, peak resident) of this process in MB: psutil if installed, else
    /proc/self/status (VmRSS, VmHWM)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name == "VmRSS":
                return int(rest.split()[0]) / 1024, peak
        return float("nan"), peak
    return psutil.Process().memory_info().rss / 2**20, peak


def stats() -> dict[str, float]:
    resident, peak = rss_mb()
    return {"cpu": cpu_seconds(), "rss": resident, "peak": peak, "time": time.perf_counter()}


def profiler_missing() -> str | None:
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        return "pyinstrument is not installed: pip install pyinstrument (then use --profile)"
    return None


def profile_report(profiler: Any, top: int = 25) -> str:
    """Where the time went: functions by their own time, then by time including callees."""
    from pyinstrument.renderers import ConsoleRenderer

    parts = []
    modes: tuple[tuple[Literal["self", "total"], str], ...] = (
        ("self", "own time"),
        ("total", "time including callees"),
    )
    for mode, title in modes:
        renderer = ConsoleRenderer(
            unicode=False, color=False, flat=True, time="percent_of_total", flat_time=mode
        )
        lines = profiler.output(renderer).splitlines()
        body = [line for line in lines if "%" in line and not line.startswith(("Recorded", "_"))]
        parts.append(f"-- top {top} functions by {title} (bot process, main thread) --")
        parts += body[:top]
    return "\n".join(parts)


def answer(kind: str, value: object) -> None:
    sys.stdout.write(json.dumps([kind, value]) + "\n")
    sys.stdout.flush()


async def serve(spec: BotSpec) -> None:
    from pydantic import SecretStr
    from telegram import Update
    from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

    from bot.app import build_application
    from bot.settings import Settings
    from bot.updates import MAX_CONCURRENT
    from storage import crypto
    from storage.db import Database

    db: Database | None = None
    application: Application  # type: ignore[type-arg]
    if spec.kind == "echo":
        # The yardstick: one handler that replies with the text, as many updates in flight
        # as the bot under test allows itself.
        application = (
            ApplicationBuilder()
            .token(spec.token)
            .base_url(f"{spec.api_url}/bot")
            .base_file_url(f"{spec.api_url}/file/bot")
            .concurrent_updates(MAX_CONCURRENT)
            .build()
        )

        async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.message is not None and update.message.text is not None
            await update.message.reply_text(update.message.text)

        application.add_handler(MessageHandler(filters.TEXT, echo))
    else:
        crypto.configure_keys([spec.key])
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=SecretStr(spec.token),
            telegram_api_url=f"{spec.api_url}/bot",
            database_url=spec.database_url,
            encryption_key=SecretStr(spec.key),
            **spec.settings,
        )
        db = Database(spec.database_url)
        application = build_application(settings, db=db)
    await application.initialize()
    await application.start()
    if spec.poll:
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)

    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    answer("ready", stats())
    profiler: Any = None
    report = ""
    while True:
        command = (await commands.readline()).decode().strip() or "stop"
        if command == "begin" and spec.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001, async_mode="disabled")
            profiler.start()
        if command == "end" and profiler is not None:
            profiler.stop()
            report = profile_report(profiler)
            profiler = None
        if command == "stop":
            break
        answer(command, stats())
    if spec.poll and application.updater is not None:
        await application.updater.stop()
    await application.stop()
    await application.shutdown()
    if db is not None:
        await db.dispose()
    answer("stop", {**stats(), "profile": report})


def main() -> None:
    from bot.app import configure_logging  # the bot's own log settings, as in production

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
    spec = BotSpec(**json.loads(sys.argv[1]))
    asyncio.run(serve(spec))


if __name__ == "__main__":
    main()
