"""The `homework-bot` command line, run as a real process against the loopback Bot API."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
from importlib.resources import files
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet

from tests.fake_bot_api import FakeBotApi
from tests.travelled import bot_command, child_environment

WAIT = 60.0


def clean_env(api: FakeBotApi | None) -> dict[str, str]:
    """The machine's environment without any of our settings, plus the fake server's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "ENCRYPTION_", "TICK_"))
    }
    if api is not None:
        env["TELEGRAM_BOT_TOKEN"] = api.token
        env["TELEGRAM_API_URL"] = api.base_url
    return env


async def spawn_bot(*args: str, cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` as a child process with its output captured."""
    return await asyncio.create_subprocess_exec(
        *bot_command(*args),
        cwd=cwd,
        env=child_environment(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    process = await spawn_bot(*args, cwd=cwd, env=env)
    out, err = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_run_serves_until_sigterm_with_a_fresh_sqlite_file(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        env = clean_env(api)
        status, out, err = await run_cli(
            "therapist-code", "--name", "Dr Fake Therapist", cwd=tmp_path, env=env
        )
        assert status == 0, err
        match = re.search(r"https://t\.me/homework_test_bot\?start=(\S+)", out)
        assert match, out
        assert "Back it up" in err  # the key file was made on this first run
        assert (tmp_path / "homework-bot.key").exists()
        assert (tmp_path / "homework-bot.sqlite3").exists()

        server = await spawn_bot("run", cwd=tmp_path, env=env)
        try:
            await api.wait_until_polling(timeout=WAIT)
            therapist = api.user(7001, "Dana", username="dana_fake")
            therapist.send_text(f"/start {match.group(1)}")
            welcome = await api.wait_for_sent(therapist.chat_id, timeout=WAIT)
            assert "You are registered as a therapist" in (welcome.plain_text or "")
            assert api.calls_of("setMyCommands")
        finally:
            server.send_signal(signal.SIGTERM)
            api.release_polling()
            _, server_err = await asyncio.wait_for(server.communicate(), WAIT)
        assert server.returncode == 0, server_err.decode()
        logs = server_err.decode() + err + out
        assert api.token not in logs
        assert api.token.split(":")[1] not in logs


async def test_run_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    status, _, err = await run_cli("run", cwd=tmp_path, env=clean_env(None))
    assert status == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in err and "@BotFather" in err


async def test_migrate_creates_the_default_database(tmp_path: Path) -> None:
    status, out, err = await run_cli("migrate", cwd=tmp_path, env=clean_env(None))
    assert status == 0, err
    assert "The database is up to date." in out
    assert (tmp_path / "homework-bot.sqlite3").exists()


async def test_bad_encryption_key_is_refused_clearly(tmp_path: Path) -> None:
    env = clean_env(None) | {
        "TELEGRAM_BOT_TOKEN": "1:x",
        "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",  # never the internet, even if reached
        "ENCRYPTION_KEY": "not-a-key",
    }
    status, _, err = await run_cli("therapist-code", cwd=tmp_path, env=env)
    assert status == 2
    assert "ENCRYPTION_KEY must be one or more Fernet keys" in err


@pytest.mark.parametrize("name", ["gratitude.yaml", "thought_record.yaml"])
async def test_check_template_accepts_the_built_ins(tmp_path: Path, name: str) -> None:
    path = str(files("conversations.library") / name)
    status, out, err = await run_cli("check-template", path, cwd=tmp_path, env=clean_env(None))
    assert status == 0, err
    assert "OK" in out


async def test_check_template_names_line_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: sleep_diary\nversion: 1\ntitle: Sleep diary\nsteps:\n"
        "  - id: hours\n    kind: scale\n    prompt: How many hours?\n    min: 12\n    max: 0\n",
        encoding="utf-8",
    )
    status, _, err = await run_cli("check-template", str(broken), cwd=tmp_path, env=clean_env(None))
    assert status == 1
    assert "line 9, steps[0].max" in err
    status, _, err = await run_cli(
        "check-template", str(tmp_path / "missing.yaml"), cwd=tmp_path, env=clean_env(None)
    )
    assert status == 1 and "missing.yaml" in err


async def test_check_template_refuses_deep_nesting_and_huge_numbers_by_line(
    tmp_path: Path,
) -> None:
    header = "id: sleep_diary\nversion: {version}\ntitle: Sleep diary\nsteps:\n"
    step = '  - {id: hours, kind: text, prompt: "How many hours?"}\n'
    deep = tmp_path / "deep.yaml"
    deep.write_text(header.format(version=1) + step + "notes: " + "[" * 5000 + "]" * 5000)
    status, _, err = await run_cli("check-template", str(deep), cwd=tmp_path, env=clean_env(None))
    assert status == 1 and "Traceback" not in err
    assert "line 6: is nested more than 24 levels deep" in err
    huge = tmp_path / "huge.yaml"
    huge.write_text(header.format(version=2**70) + step)
    status, _, err = await run_cli("check-template", str(huge), cwd=tmp_path, env=clean_env(None))
    assert status == 1 and "Traceback" not in err
    assert "line 2, version: 1180591620717411303424 is not a number I can use" in err


async def test_check_resources_accepts_the_shipped_file_and_names_problems(tmp_path: Path) -> None:
    shipped = str(files("conversations") / "crisis_resources.yaml")
    status, out, err = await run_cli("check-resources", shipped, cwd=tmp_path, env=clean_env(None))
    assert status == 0, err
    assert "OK, crisis lines for 12 countries" in out and "check the numbers" in out
    broken = tmp_path / "lines.yaml"
    broken.write_text(
        "version: 1\ndefault:\n  name: anywhere\n  emergency: '112'\n  checked: 2026-11-01\n"
        "  lines:\n    - name: On-call\n      hw: call 123\n",
        encoding="utf-8",
    )
    status, _, err = await run_cli(
        "check-resources", str(broken), cwd=tmp_path, env=clean_env(None)
    )
    assert status == 1
    assert "line 7, default.lines[0].how: is required" in err
    assert "line 8, default.lines[0].hw: is not a field here" in err


async def test_a_broken_crisis_resources_file_stops_the_bot_from_starting(tmp_path: Path) -> None:
    broken = tmp_path / "lines.yaml"
    broken.write_text("default: {}\n", encoding="utf-8")
    async with FakeBotApi() as api:
        env = clean_env(api) | {"CRISIS_RESOURCES_FILE": str(broken)}
        status, _, err = await run_cli("run", cwd=tmp_path, env=env)
    assert status == 2
    assert "CRISIS_RESOURCES_FILE has problems" in err and "default.name: is required" in err


async def test_a_refused_token_is_never_printed(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        env = clean_env(api) | {"TELEGRAM_BOT_TOKEN": "999:WRONG-SECRET-VALUE"}
        for command in ("therapist-code", "run"):
            status, out, err = await run_cli(command, cwd=tmp_path, env=env)
            assert status == 2, err
            assert "Telegram refused the bot token" in err
            assert "WRONG-SECRET-VALUE" not in err + out


async def test_a_lost_or_wrong_key_is_refused_not_replaced(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        env = clean_env(api)
        status, _, err = await run_cli("therapist-code", "--name", "Dr A", cwd=tmp_path, env=env)
        assert status == 0, err
        key_file = tmp_path / "homework-bot.key"
        original = key_file.read_text()
        key_file.unlink()
        status, _, err = await run_cli("therapist-code", cwd=tmp_path, env=env)
        assert status == 2 and "there is no key" in err
        assert not key_file.exists()
        other_key = Fernet.generate_key().decode()
        status, _, err = await run_cli(
            "therapist-code", cwd=tmp_path, env=env | {"ENCRYPTION_KEY": other_key}
        )
        assert status == 2 and "cannot read the data already in this database" in err
        # Rotation: a new key first, the old one after it, reads the old data.
        rotated = f"{other_key},{original.strip()}"
        status, _, err = await run_cli(
            "therapist-code", cwd=tmp_path, env=env | {"ENCRYPTION_KEY": rotated}
        )
        assert status == 0, err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_checks_telegrams_secret_token(tmp_path: Path) -> None:
    port = free_port()
    async with FakeBotApi() as api:
        env = clean_env(api) | {
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
            "WEBHOOK_SECRET": "fake-webhook-secret",
        }
        status, out, err = await run_cli("therapist-code", cwd=tmp_path, env=env)
        assert status == 0, err
        code = out.split("start=")[1].split()[0]
        server = await spawn_bot(
            "run", "--webhook", "https://bot.example.test", cwd=tmp_path, env=env
        )
        try:
            # PTB registers the webhook before its server listens: wait until it says it serves.
            assert server.stderr is not None
            line = b"-"
            while line and b"serving as" not in line:
                line = await asyncio.wait_for(server.stderr.readline(), WAIT)
            assert line, "the bot stopped before it started serving"
            registered = await api.wait_for_call("setWebhook", timeout=WAIT, since=0)
            assert registered.params["url"] == "https://bot.example.test/telegram"
            assert registered.params["secret_token"] == "fake-webhook-secret"
            therapist = api.user(7201, "Dana", username="dana_fake")
            therapist.send_text(f"/start {code}")
            update = api.pending_updates[-1]
            url = f"http://127.0.0.1:{port}/telegram"
            async with aiohttp.ClientSession() as client:
                forged = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                )
                assert forged.status == 403
                real = await client.post(
                    url,
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "fake-webhook-secret"},
                )
                assert real.status == 200
            welcome = await api.wait_for_sent(therapist.chat_id, timeout=WAIT, since=0)
            assert "You are registered as a therapist" in (welcome.plain_text or "")
            assert not any("already" in (m.plain_text or "") for m in api.sent_to(7201))
        finally:
            server.send_signal(signal.SIGTERM)
            _, server_err = await asyncio.wait_for(server.communicate(), WAIT)
        assert server.returncode == 0, server_err.decode()
        assert "fake-webhook-secret" not in server_err.decode()


async def test_rotate_key_then_the_old_key_goes_and_the_audit_log_says_so(
    tmp_path: Path,
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    async with FakeBotApi() as api:
        env = clean_env(api) | {"ENCRYPTION_KEY": old}
        status, _, err = await run_cli("therapist-code", "--name", "Dr Fake", cwd=tmp_path, env=env)
        assert status == 0, err
    status, out, err = await run_cli(
        "rotate-key", cwd=tmp_path, env=clean_env(None) | {"ENCRYPTION_KEY": f"{new},{old}"}
    )
    assert status == 0, err
    assert "codes: 1 values re-encrypted" in out and "remove the old key" in out
    status, out, err = await run_cli(
        "audit", cwd=tmp_path, env=clean_env(None) | {"ENCRYPTION_KEY": new}
    )
    assert status == 0, err  # the new key alone reads the database
    assert "operator  key_rotated" in out
