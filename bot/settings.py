"""Settings, from the environment or a `.env` file; nothing else reads os.environ."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL

MIN_RETENTION_DAYS = 14
"""Shorter, a weekly digest could miss what retention already removed."""


class Settings(BaseSettings):
    """Every setting the bot reads. Names are part of the operator contract."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    encryption_key: SecretStr | None = None
    encryption_key_file: Path = Path("homework-bot.key")
    encryption_key_create: bool = True
    """Make a key file on the first run when there is none (the Docker image says false:
    its key must come from ENCRYPTION_KEY or a secret, never the data volume)."""
    tick_seconds: float = 5.0
    deliver_seconds: float = 1.0
    """How often the outbox is looked at when idle (each look sends all that is due)."""
    poller_check_seconds: float = 5.0
    """How often a long-polling process checks it still holds the one-poller lock."""
    invite_ttl_hours: int = 72
    therapist_code_ttl_hours: int = 168
    default_digest_time: str = "18:00"
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None
    health_port: int | None = None
    """In long polling mode, serve /healthz and /metrics on this port (webhook mode serves
    them on WEBHOOK_PORT)."""
    crisis_resources_file: Path | None = None
    alert_fallback_chat_id: int | None = None
    alert_ack_minutes: float = 30.0
    sends_per_second: float = 30.0
    """Telegram's limit on everything the bot sends on its own, across all its processes."""
    chat_sends_per_second: float = 1.0
    """The same, to any one chat."""
    reminder_grace_hours: float = 2.0
    """After downtime, a reminder this late is still sent (once); older ones are recorded
    as not reminded and shown in the digest."""
    outbox_horizon_hours: float = 24.0
    """A message still unsent this long after it was queued is given up (alerts escalate)."""
    retention_days: int | None = None
    """Entries (with their photos and notes) older than this are deleted; unset: kept."""
    outbox_keep_days: float = 7.0
    """What the bot sent (digests, alerts...) is emptied from the outbox after this long."""
    console_media_dir: Path = Path("console-files")
    """Where `homework-bot console` saves the photos and documents the bot sends."""
    console_database_url: str = "sqlite+aiosqlite:///homework-bot-console.sqlite3"
    """The console's own database: never the bot's, whose messages and update numbers it
    would take."""

    @field_validator("retention_days")
    @classmethod
    def _days(cls, value: int | None) -> int | None:
        if value is not None and value < MIN_RETENTION_DAYS:
            raise ValueError(
                f"must be at least {MIN_RETENTION_DAYS} days, longer than a weekly digest "
                "(or unset, to keep entries)"
            )
        return value

    @field_validator(
        "tick_seconds",
        "deliver_seconds",
        "poller_check_seconds",
        "alert_ack_minutes",
        "sends_per_second",
        "chat_sends_per_second",
        "outbox_horizon_hours",
        "reminder_grace_hours",
        "outbox_keep_days",
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be above 0")
        return value

    @property
    def file_url(self) -> str:
        """File download base: given, or derived from the API URL (`/bot` → `/file/bot`)."""
        if self.telegram_file_url:
            return self.telegram_file_url
        base = self.telegram_api_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"
