"""What a therapist's digest says (not how it is sent)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

MESSAGE_LIMIT = 4000
"""Telegram allows 4,096 characters a message; a little is kept in reserve."""


@dataclass(frozen=True)
class AssignmentReport:
    """One assignment over the digest's period.

    `due` counts due times old enough to judge, `done` how many of those were done, and
    `entries` every entry finished in the period (early, late or extra ones too).
    """

    title: str
    schedule: str
    due: int
    done: int
    entries: int = 0
    skipped: int = 0
    """Due times the client chose to skip (and did not do after all)."""
    paused: int = 0
    """Due times while reminders were paused."""
    not_reminded: int = 0
    """Due times nobody was reminded of (the bot was down, or the client blocked it)."""
    paused_now: bool = False
    """The therapist has paused this homework's reminders."""

    @property
    def missed(self) -> int:
        """Due times the client was reminded of and did not do."""
        return max(self.due - self.done - self.skipped - self.paused - self.not_reminded, 0)


@dataclass(frozen=True)
class EntryReport:
    """One completed entry in short."""

    title: str
    completed_local: datetime
    line: str
    score: str = ""
    """A measure's total and band, like "PHQ-9 12 (moderate)"."""


@dataclass(frozen=True)
class AlertReport:
    """A risk flag: open ones head every digest until acknowledged."""

    raised_local: datetime
    where: str
    excerpt: str
    acknowledged: bool


@dataclass(frozen=True)
class ClientReport:
    """Everything the digest says about one client."""

    name: str
    assignments: tuple[AssignmentReport, ...]
    entries: tuple[EntryReport, ...]
    alerts: tuple[AlertReport, ...] = ()
    unreadable: int = 0
    """Entries that could not be read (shown as a count, never silently dropped)."""
    former: bool = False
    """No longer linked: shown only while a flag raised during the link is open."""
    paused_since: datetime | None = None
    """The client paused all their reminders (/pause), in the therapist's time."""

    @property
    def missed(self) -> int:
        """Due times with no entry to show for them."""
        return sum(a.missed for a in self.assignments)

    @property
    def open_alerts(self) -> tuple[AlertReport, ...]:
        """Risk flags not yet acknowledged, whenever they were raised."""
        return tuple(a for a in self.alerts if not a.acknowledged)


def compose_digest(*, period: str, clients: Sequence[ClientReport]) -> list[str]:
    """The digest as messages that each fit in one Telegram message.

    Risk alerts not yet acknowledged come first, whenever they were raised, then clients
    who missed homework, so what needs attention is read first.
    """
    if not any(not c.former for c in clients) and not any(c.open_alerts for c in clients):
        return [f"Your digest ({period})\n\nNo linked clients yet. /invite makes an invite link."]
    ordered = sorted(clients, key=lambda c: (-len(c.open_alerts), -c.missed, c.name.casefold()))
    blocks = [f"Your digest ({period})"]
    alerts = [
        f"• {c.name}, {_when(a.raised_local)}, {a.where}: “{a.excerpt}”"
        for c in ordered
        for a in c.open_alerts
    ]
    if alerts:
        blocks.append(
            "⚠️ Needs attention first: risk alerts not yet acknowledged\n"
            + "\n".join(alerts)
            + "\nTap Acknowledge below once you have seen to them."
        )
    attention = [c.name for c in ordered if c.missed]
    if attention:
        blocks.append("Needs attention: missed homework from " + ", ".join(attention) + ".")
    blocks.extend(_client_block(client) for client in ordered)
    return _pack(blocks)


def _when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %H:%M")


def _client_block(client: ClientReport) -> str:
    lines = [f"■ {client.name}"]
    for alert in client.alerts:
        if alert.acknowledged:
            lines.append(f"⚠️ Risk alert {_when(alert.raised_local)}, {alert.where} (acknowledged)")
    if client.former:
        return "\n".join([*lines, "Open risk alert from while you were linked (see above)."])
    if not client.assignments:
        lines.append("No homework assigned.")
    if client.paused_since is not None:
        lines.append(f"Reminders paused by {client.name} since {_when(client.paused_since)}.")
    for a in client.assignments:
        if a.due:
            tally = f"{a.done} of {a.due} done"
            notes = [
                f"{n} {what}"
                for n, what in (
                    (a.skipped, "skipped by them"),
                    (a.paused, "while paused"),
                    (a.not_reminded, "not reminded"),
                )
                if n
            ]
            if notes:
                tally += f" ({', '.join(notes)})"
        else:
            tally = f"{a.entries} done" if a.entries else "nothing due yet"
        paused = "; reminders paused by you" if a.paused_now else ""
        lines.append(f"{a.title} ({a.schedule}): {tally}{paused}")
    for entry in client.entries:
        when = entry.completed_local.strftime("%a %H:%M")
        score = f" [{entry.score}]" if entry.score else ""
        lines.append(f"  • {entry.title}, {when}{score}: {entry.line}")
    if client.unreadable:
        many = "entry" if client.unreadable == 1 else "entries"
        lines.append(f"  {client.unreadable} {many} could not be shown.")
    if not client.entries and client.assignments:
        lines.append("  No entries in this period.")
    return "\n".join(lines)


def _pack(blocks: list[str]) -> list[str]:
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _split(block):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) > MESSAGE_LIMIT:
                messages.append(current)
                current = piece
            else:
                current = candidate
    if current:
        messages.append(current)
    return messages


def _split(block: str) -> list[str]:
    """A block longer than one message, cut at line ends (or hard, for one huge line)."""
    if len(block) <= MESSAGE_LIMIT:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > MESSAGE_LIMIT:
            pieces.append(line[:MESSAGE_LIMIT])
            line = line[MESSAGE_LIMIT:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MESSAGE_LIMIT:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces
