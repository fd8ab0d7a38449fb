"""The bot as a child process, on the suite's wall clock.

`.ci/clocks` moves the wall clock for a whole run (TEST_WALL_CLOCK, see conftest.py); a
bot started as an OS process of its own must be moved with it, or the two would disagree
about what is due. `bot_command` starts `python -m bot ARGS` directly when the clock is the
real one, else through this module, which moves the child's clock to the parent's now.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import time_machine

MOVED = "TEST_WALL_CLOCK"
ROOT = Path(__file__).resolve().parent.parent


def bot_command(*args: str) -> list[str]:
    """The command line that runs `homework-bot ARGS` in a child process."""
    if os.environ.get(MOVED):
        return [sys.executable, "-m", "tests.travelled", *args]
    return [sys.executable, "-m", "bot", *args]


def child_environment(env: dict[str, str]) -> dict[str, str]:
    """`env` for a child started by `bot_command`: it starts at this process's now."""
    if os.environ.get(MOVED):
        # The child runs this module from any folder: the tests are found beside the bot.
        path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        return {**env, MOVED: datetime.now(UTC).isoformat(), "PYTHONPATH": path}
    return env


if __name__ == "__main__":
    from bot.cli import main

    with time_machine.travel(datetime.fromisoformat(os.environ[MOVED]), tick=True):
        sys.exit(main(sys.argv[1:]))
