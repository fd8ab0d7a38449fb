"""Digest composition: what the therapist reads, in what order, in messages that fit."""

from __future__ import annotations

from datetime import datetime

from conversations.digest import (
    MESSAGE_LIMIT,
    AssignmentReport,
    ClientReport,
    EntryReport,
    compose_digest,
)

WHEN = datetime(2026, 11, 21, 20, 15)


def test_missed_homework_comes_first_and_is_flagged() -> None:
    done = ClientReport(
        name="Alex Example",
        assignments=(AssignmentReport("Gratitude entry", "daily at 20:00", due=1, done=1),),
        entries=(EntryReport("Gratitude entry", WHEN, "a walk — sunny"),),
    )
    missed = ClientReport(
        name="Sam Sample",
        assignments=(AssignmentReport("Thought record", "daily at 09:00", due=1, done=0),),
        entries=(),
    )
    [message] = compose_digest(period="last 24 hours", clients=[done, missed])
    assert message.index("Sam Sample") < message.index("Alex Example")
    assert "Needs attention: missed homework from Sam Sample." in message
    assert "Gratitude entry (daily at 20:00): 1 of 1 done" in message
    assert "  • Gratitude entry, Sat 20:15: a walk — sunny" in message
    assert "Thought record (daily at 09:00): 0 of 1 done" in message
    assert "No entries in this period." in message


def test_no_clients() -> None:
    [message] = compose_digest(period="p", clients=[])
    assert "No linked clients yet" in message


def test_long_digests_are_split_to_fit() -> None:
    entries = tuple(EntryReport("Journal", WHEN, "x" * 290) for _ in range(40))
    client = ClientReport("Alex Example", (AssignmentReport("Journal", "daily", 40, 40),), entries)
    messages = compose_digest(period="p", clients=[client, client])
    assert len(messages) > 2
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert sum(m.count("x" * 290) for m in messages) == 80
