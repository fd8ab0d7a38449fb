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
    streak: int = 0
    """Due times done in a row, up to the latest judged (pauses and downtime don't break it)."""
    missed_in_a_row: int = 0
    """The latest due times reminded and not done, in a row."""

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
    change: str = ""
    """Against the same measure's previous score, like "down 4 since Tue 10 Nov"."""


@dataclass(frozen=True)
class AlertReport:
    """A risk flag: open ones head every digest until acknowledged."""

    raised_local: datetime
    where: str
    excerpt: str
    acknowledged: bool


@dataclass(frozen=True)
class NoteReport:
    """Something the client said to the therapist: a /note, or how a homework went."""

    written_local: datetime
    text: str
    rating: str = ""
    """For a homework's "how was this?": helpful, too hard or not for me."""
    about: str = ""
    """The homework it is about, if any."""


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
    unreachable_since: datetime | None = None
    """The client blocked the bot: reminders can't reach them (the therapist's time)."""
    notes: tuple[NoteReport, ...] = ()
    link_id: int | None = None
    """Which link this is (for an Open button under the digest)."""

    @property
    def attention(self) -> list[str]:
        """What needs the therapist's eye besides risk alerts, most urgent first."""
        found = []
        if self.unreachable_since is not None:
            found.append(f"can't be reached since {_when(self.unreachable_since)} (blocked me)")
        for a in self.assignments:
            if a.missed_in_a_row >= MISSED_IN_A_ROW:
                found.append(f"missed {a.missed_in_a_row} {a.title.lower()} in a row")
        hard = [n.about or "a homework" for n in self.notes if n.rating == "too hard"]
        if hard:
            found.append("found " + ", ".join(dict.fromkeys(hard)) + " too hard")
        return found

    @property
    def quiet(self) -> bool:
        """Nothing to read: nothing was due, written, raised or paused."""
        return not (
            self.entries
            or self.notes
            or self.alerts
            or self.attention
            or self.unreadable
            or self.paused_since
            or any(a.due or a.entries or a.paused_now for a in self.assignments)
        )

    @property
    def missed(self) -> int:
        """Due times with no entry to show for them."""
        return sum(a.missed for a in self.assignments)

    @property
    def open_alerts(self) -> tuple[AlertReport, ...]:
        """Risk flags not yet acknowledged, whenever they were raised."""
        return tuple(a for a in self.alerts if not a.acknowledged)


MISSED_IN_A_ROW = 2
"""Due times missed in a row that make a flag."""


def run_lengths(outcomes: Sequence[str]) -> tuple[int, int]:
    """(done in a row, missed in a row) from due times' outcomes, newest first. Pauses and
    due times nobody was reminded of neither count nor break a run; a skip breaks both."""
    counted = [o for o in outcomes if o not in ("paused", "not_reminded")]
    done = next((i for i, o in enumerate(counted) if o != "done"), len(counted))
    missed = next((i for i, o in enumerate(counted) if o != "missed"), len(counted))
    return done, missed


def most_urgent_first(clients: Sequence[ClientReport]) -> list[ClientReport]:
    """Open risk alerts first, then what needs attention, then missed homework, then names."""
    return sorted(
        clients,
        key=lambda c: (-len(c.open_alerts), -len(c.attention), -c.missed, c.name.casefold()),
    )


def compose_digest(*, period: str, clients: Sequence[ClientReport]) -> list[str]:
    """The digest as messages that each fit in one Telegram message.

    Risk alerts not yet acknowledged come first, whenever they were raised, then what else
    needs attention (a client who can't be reached, misses in a row, "too hard"), then
    each client, most urgent first. A quiet digest says so in one line.
    """
    if not any(not c.former for c in clients) and not any(c.open_alerts for c in clients):
        return [f"Your digest ({period})\n\nNo linked clients yet. /invite makes an invite link."]
    if all(c.quiet for c in clients):
        return [f"Your digest ({period}): a quiet one. Nothing was due, no entries, no alerts."]
    ordered = most_urgent_first(clients)
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
    attention = [f"• {c.name}: {'; '.join(c.attention)}" for c in ordered if c.attention]
    if attention:
        blocks.append("Needs attention\n" + "\n".join(attention))
    missed = [c.name for c in ordered if c.missed and not c.attention]
    if missed:
        blocks.append("Needs attention: missed homework from " + ", ".join(missed) + ".")
    blocks.extend(_client_block(client) for client in ordered if not client.quiet)
    quiet = [c.name for c in ordered if c.quiet]
    if quiet:
        blocks.append("Quiet, nothing to report: " + ", ".join(quiet) + ".")
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
        if a.streak >= 2:
            tally += f"; {a.streak} in a row"
        paused = "; reminders paused by you" if a.paused_now else ""
        lines.append(f"{a.title} ({a.schedule}): {tally}{paused}")
    for entry in client.entries:
        when = entry.completed_local.strftime("%a %H:%M")
        change = f", {entry.change}" if entry.change else ""
        score = f" [{entry.score}{change}]" if entry.score else ""
        lines.append(f"  • {entry.title}, {when}{score}: {entry.line}")
    for note in client.notes:
        when = note.written_local.strftime("%a %H:%M")
        if note.rating:
            said = f": “{note.text}”" if note.text else ""
            lines.append(f"  ✎ {note.about or 'Homework'}, {when}: {note.rating}{said}")
        else:
            lines.append(f"  ✎ Note for your next session, {when}: “{note.text}”")
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
