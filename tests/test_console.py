"""`homework-bot console`: a whole practice in the terminal, driven by its stdin and stdout."""

from __future__ import annotations

import io
import itertools
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import SetupError
from bot.clock import FixedClock
from bot.console import Console, run_console
from bot.settings import Settings
from storage import people
from storage.db import Database
from storage.migrate import upgrade
from tests.travelled import bot_command, child_environment

PROMPT = re.compile(r"^[^\s:(][^:>]*> ")
# Each console session here starts at this instant, never the wall clock's (a reminder
# falling inside a test's "/clock +2d" must not depend on when the suite runs).
START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def console_settings(folder: Path) -> Settings:
    return Settings(
        console_database_url=f"sqlite+aiosqlite:///{folder / 'console.sqlite3'}",
        encryption_key_file=folder / "console.key",
        console_media_dir=folder / "files",
        telegram_bot_token=None,
    )


async def talk(settings: Settings, lines: list[str]) -> str:
    """One console session fed `lines`; everything it printed."""
    out = io.StringIO()
    await run_console(
        settings, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out, now=FixedClock(START)
    )
    return out.getvalue()


def after(transcript: str, typed: str) -> str:
    """What the console printed after the line `typed` (up to the next line typed)."""
    lines = transcript.splitlines()
    for index, line in enumerate(lines):
        if line.endswith(f"> {typed}"):
            said = itertools.takewhile(lambda n: not PROMPT.match(n), lines[index + 1 :])
            return "\n".join(said)
    return ""


async def test_a_whole_practice_in_the_console(tmp_path: Path) -> None:
    settings = console_settings(tmp_path)
    # The first run makes the demo practice, and a thought record can be started at once.
    first = await talk(settings, ["/today", "#1"])
    assert "A demo practice is ready" in first
    assert "Start thought record" in after(first, "/today")
    assert "Thought record · 1 of 11" in after(first, "#1")

    # A therapist of one's own registers with a code, invites a client who consents, and
    # assigns homework; the client does it; the digest shows it.
    db = Database(settings.console_database_url)
    await upgrade(db)
    async with db.transaction() as session:
        code = await people.create_code(
            session, kind="therapist", now=START, ttl=timedelta(hours=1)
        )
    await db.dispose()
    therapist = await talk(
        settings,
        ["/as Dr Fake", f"/start {code}", "Berlin", "#2", "/invite Robin"],
    )
    assert "You are registered as a therapist" in therapist
    assert "Got it: Berlin time" in therapist
    invite = re.search(r"\?start=([A-Za-z0-9_-]+)", after(therapist, "/invite Robin"))
    assert invite is not None, therapist

    practice = await talk(
        settings,
        [
            "/as Robin Fake",
            f"/start {invite.group(1)}",
            "#1",
            "London",
            "/as Dr Fake",
            "/assign robin gratitude daily 20:00",
            "/as Robin",
            "/today",
            "start gratitude entry",
            "A walk by the river",
            "/skip",
            "Tea with my sister",
            "/skip",
            "My neighbour's dog",
            "/skip",
            "save",
            "/as Dr Fake",
            "/digest",
            "/clock +2d",
            "/quit",
        ],
    )
    assert "Do you agree to share this with Dr Fake" in after(practice, f"/start {invite.group(1)}")
    assert "You are now linked with Dr Fake" in after(practice, "#1")
    assert "Assigned gratitude entry to Robin" in after(
        practice, "/assign robin gratitude daily 20:00"
    )
    # A button answered by typing its words, as anyone may.
    assert "Gratitude entry · 1 of 6" in after(practice, "start gratitude entry")
    assert "Gratitude entry: done." in after(practice, "save")
    digest = after(practice, "/digest")
    assert "Robin" in digest and "A walk by the river" in digest
    # Done early today, so no reminder tonight; tomorrow evening it comes on its own.
    assert after(practice, "/clock +2d").count("time for your gratitude entry") == 1
    moved = re.search(r"moves to (\w{3} \d{2} \w{3} \d{2}:\d{2})", practice)
    assert moved is not None

    # The next session goes on from there (time never goes back), as the same person.
    later = await talk(settings, ["/clock", "/invite Lucía"])
    assert "Dr Fake> /clock" in later
    shown = re.search(r"clock: (\w{3} \d{2} \w{3})", after(later, "/clock"))
    assert shown is not None and shown.group(1) == moved.group(1)[:10]
    lucia_code = re.search(r"\?start=([A-Za-z0-9_-]+)", after(later, "/invite Lucía"))
    assert lucia_code is not None
    # Someone new whose Telegram is in Spanish reads the consent in Spanish.
    spanish = await talk(settings, ["/as Lucía @es", f"/start {lucia_code.group(1)}"])
    assert "¡Hola, Lucía! Dr Fake te invitó" in after(spanish, f"/start {lucia_code.group(1)}")
    # She answers in the next session: still herself, her Telegram still in Spanish.
    answered = await talk(settings, ["/as Lucía", "sí"])
    assert "Listo: ya estás en contacto con Dr Fake" in after(answered, "sí")


async def test_the_console_draws_the_reply_model_itself(tmp_path: Path) -> None:
    """Replies, buttons, a press's notice and files reach the terminal through the console's
    renderer; not one goes through a Bot API call."""
    printed: list[str] = []
    console = Console(console_settings(tmp_path), printed.append, now=FixedClock(START))
    await console.open()
    try:
        assert console.runtime.renderer is console.shows
        # The demo's setup was never drawn, so its buttons can't be tapped.
        await console.handle("#1")
        assert "There is no such button" in printed[-1]
        await console.handle("/today")
        await console.handle("start thought record")  # typed: the buttons stay on /today
        await console.handle("#1")  # tapped late, it carries on where she was
        assert "Let's carry on where you were" in "\n".join(printed[-3:])
        console.act_as("therapist")
        await console.handle("/export alex")
        files = sorted(path.name for path in (tmp_path / "files").iterdir())
        assert any(
            name.endswith("-entries-" + f"{console.clock.now():%Y-%m-%d}.csv") for name in files
        )
        assert any(name.endswith(".pdf") for name in files)
        assert "(document: " in "\n".join(printed[-2:])
        # A notice on a pressed button is drawn for whoever pressed it.
        shown = console.shows.sent[-1]
        await console.shows.acknowledge("press-1", "That button is no longer active.")
        assert printed[-1] == "bot: (That button is no longer active.)"
        assert console.shows.sent[-1] is shown  # a notice is not a message
    finally:
        await console.close()
    assert console.api.bypassed == []


def test_the_console_command_runs_with_no_token_and_no_network(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CONSOLE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}",
        "ENCRYPTION_KEY_FILE": str(tmp_path / "c.key"),
        "CONSOLE_MEDIA_DIR": str(tmp_path / "files"),
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": "http://127.0.0.1:9/unreachable",  # any network use would fail
    }
    done = subprocess.run(
        bot_command("console"),
        input="/today\n#1\nA busy Monday meeting\n/quit\n",
        capture_output=True,
        text=True,
        env=child_environment(env),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Thought record · 1 of 11" in done.stdout
    assert "Thought record · 2 of 11" in done.stdout


async def test_the_console_refuses_a_database_with_people_from_telegram(tmp_path: Path) -> None:
    settings = console_settings(tmp_path)
    await talk(settings, ["/quit"])  # the console's database and key, with its demo
    db = Database(settings.console_database_url)
    async with db.transaction() as session:
        code = await people.create_code(
            session, kind="therapist", now=START, ttl=timedelta(hours=1)
        )
        found = await people.check_code(session, code=code, now=START)
        assert not isinstance(found, str)
        await people.register_therapist(
            session,
            code=found,
            telegram_id=555_000_111,
            chat_id=555_000_111,
            name="Dr Real Fake",
            username=None,
            now=START,
        )
    await db.dispose()
    with pytest.raises(SetupError, match="holds people from Telegram"):
        await talk(settings, ["/today"])
