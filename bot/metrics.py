"""Prometheus metrics: counts and timings only, never anything a person wrote.

Served at /metrics by bot/web.py. One set per process (prometheus-client's default
registry); every replica reports its own and Prometheus adds them up.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter("homework_updates_total", "Telegram updates handled, by outcome", ["outcome"])
"""outcome: handled, duplicate (redelivered, not handled again)."""
HANDLER_SECONDS = Histogram(
    "homework_handler_seconds",
    "Time to handle one update, its transaction and replies included",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OUTBOX_DEPTH = Gauge(
    "homework_outbox_depth", "Messages waiting in the outbox, by priority lane", ["lane"]
)
SENDS = Counter("homework_sends_total", "Outbox sends, by kind and outcome", ["kind", "outcome"])
"""outcome: sent, retry, rate_limited (429), blocked (403), refused (400), unknown."""
RATE_LIMITED = Counter("homework_telegram_429_total", "429 Too Many Requests from Telegram")
BLOCKED = Counter("homework_telegram_403_total", "403 Forbidden (a person blocked the bot)")
LAST_TICK = Gauge("homework_last_tick_timestamp_seconds", "When the ticker last finished")

LANE_NAMES = {0: "alert", 1: "reply", 2: "notice", 3: "reminder", 4: "digest"}
