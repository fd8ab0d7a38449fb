"""Digest composition: what the therapist reads, in what order, in messages that fit."""

from __future__ import annotations

from datetime import datetime

from conversations.digest import (
    MESSAGE_LIMIT,
    AssignmentReport,
    ClientReport,
    EntryReport,
    NoteReport,
    compose_digest,
    run_lengths,
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


def test_runs_of_done_and_missed() -> None:
    assert run_lengths([]) == (0, 0)
    assert run_lengths(["done", "paused", "done", "missed"]) == (2, 0)
    assert run_lengths(["missed", "not_reminded", "missed", "done"]) == (0, 2)
    assert run_lengths(["skipped", "missed", "missed"]) == (0, 0)


def test_what_needs_attention_comes_first() -> None:
    calm = ClientReport(
        name="Alex Example",
        assignments=(AssignmentReport("Journal", "daily", due=1, done=1, streak=5),),
        entries=(EntryReport("Journal", WHEN, "fine", score="Mood 6", change="up 1 since Fri"),),
    )
    struggling = ClientReport(
        name="Sam Sample",
        assignments=(AssignmentReport("Thought record", "daily", 1, 0, missed_in_a_row=3),),
        entries=(),
        unreachable_since=WHEN,
        notes=(NoteReport(WHEN, "too many columns", rating="too hard", about="Thought record"),),
    )
    [message] = compose_digest(period="p", clients=[calm, struggling])
    assert message.index("Needs attention\n• Sam Sample: can't be reached since Sat 21 Nov") < (
        message.index("■ Alex Example")
    )
    assert "thought record: missed 3 times in a row; found Thought record too hard" in message
    assert "1 of 1 done; 5 in a row" in message
    assert "[Mood 6, up 1 since Fri]" in message
    assert "✎ Thought record, Sat 20:15: too hard: “too many columns”" in message


def test_a_quiet_digest_is_one_line_and_quiet_clients_are_named_once() -> None:
    quiet = ClientReport("Alex Example", (AssignmentReport("Journal", "daily", 0, 0),), ())
    [message] = compose_digest(period="p", clients=[quiet])
    assert message == "Your digest (p): a quiet one. Nothing was due, no entries, no alerts."
    busy = ClientReport("Sam Sample", (AssignmentReport("Journal", "daily", 1, 1),), ())
    [message] = compose_digest(period="p", clients=[quiet, busy])
    assert "Quiet, nothing to report: Alex Example." in message
    assert "■ Alex Example" not in message
