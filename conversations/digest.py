"""What a therapist's digest says (not how it is sent)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from conversations.notes import N_, Wording, in_sentence

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
    settled: datetime | None = None
    """When its Acknowledge was tapped: messages that joined one alert share it."""


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
        return self.attention_in(Wording())

    def attention_in(self, wording: Wording) -> list[str]:
        """`attention`, worded for the therapist."""
        t, found = wording.t, []
        if self.unreachable_since is not None:
            when = wording.day_time(self.unreachable_since)
            found.append(t("can't be reached since {when} (blocked me)", when=when))
        for a in self.assignments:
            if a.missed_in_a_row >= MISSED_IN_A_ROW:
                found.append(
                    t(
                        "{title}: missed {count} times in a row",
                        count=a.missed_in_a_row,
                        title=in_sentence(a.title),
                    )
                )
        hard = [n.about or t("a homework") for n in self.notes if n.rating == "too hard"]
        if hard:
            found.append(t("found {what} too hard", what=", ".join(dict.fromkeys(hard))))
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


RATINGS = {
    "helpful": N_("helpful"),
    "too hard": N_("too hard"),
    "not for me": N_("not for me"),
}
"""How a client rated a homework, as the therapist reads it."""


def compose_digest(
    *, period: str, clients: Sequence[ClientReport], wording: Wording | None = None
) -> list[str]:
    """The digest as messages that each fit in one Telegram message, in the therapist's
    language (`wording`).

    Risk alerts not yet acknowledged come first, whenever they were raised, then what else
    needs attention (a client who can't be reached, misses in a row, "too hard"), then
    each client, most urgent first. A quiet digest says so in one line.
    """
    w = wording or Wording()
    t = w.t
    heading = t("Your digest ({period})", period=period)
    if not any(not c.former for c in clients) and not any(c.open_alerts for c in clients):
        return [heading + "\n\n" + t("No linked clients yet. /invite makes an invite link.")]
    if all(c.quiet for c in clients):
        return [
            t(
                "Your digest ({period}): a quiet one. Nothing was due, no entries, no alerts.",
                period=period,
            )
        ]
    ordered = most_urgent_first(clients)
    blocks = [heading]
    alerts = [_open_alert_line(c, w) for c in ordered if c.open_alerts]
    if alerts:
        blocks.append(
            t("⚠️ Needs attention first: risk alerts not yet acknowledged")
            + "\n"
            + "\n".join(alerts)
            + "\n"
            + t("Tap Acknowledge below once you have seen to them.")
        )
    attention = [f"• {c.name}: {'; '.join(c.attention_in(w))}" for c in ordered if c.attention]
    missed = [c.name for c in ordered if c.missed and not c.attention]
    if attention:
        # One section: misses of clients with nothing more pressing go at its end.
        if missed:
            attention.append(t("• Missed homework: {names}.", names=", ".join(missed)))
        blocks.append(t("Needs attention") + "\n" + "\n".join(attention))
    elif missed:
        blocks.append(t("Needs attention: missed homework from {names}.", names=", ".join(missed)))
    blocks.extend(_client_block(client, w) for client in ordered if not client.quiet)
    quiet = [c.name for c in ordered if c.quiet]
    if quiet:
        blocks.append(t("Quiet, nothing to report: {names}.", names=", ".join(quiet)))
    return _pack(blocks)


def _open_alert_line(client: ClientReport, w: Wording) -> str:
    """One line per client however many risk messages joined their open alert: the first,
    and the latest when there are more."""
    first, *more = client.open_alerts
    line = f"• {client.name}, {w.day_time(first.raised_local)}, {first.where}: “{first.excerpt}”"
    if more:
        latest = more[-1]
        line += " " + w.t(
            "({count} messages; the latest {when}, {where}: “{excerpt}”)",
            count=len(more) + 1,
            when=w.day_time(latest.raised_local),
            where=latest.where,
            excerpt=latest.excerpt,
        )
    return line


def _client_block(client: ClientReport, w: Wording) -> str:
    t = w.t
    lines = [f"■ {client.name}"]
    settled: dict[object, list[AlertReport]] = {}
    for number, alert in enumerate(client.alerts):
        if alert.acknowledged:
            # One line per Acknowledge, however many messages joined its alert; one
            # settled at no known time is its own.
            settled.setdefault(alert.settled or number, []).append(alert)
    for first, *more in settled.values():
        lines.append(
            t(
                "⚠️ Risk alert {when}, {where} (acknowledged; {count} messages)",
                when=w.day_time(first.raised_local),
                where=first.where,
                count=len(more) + 1,
            )
            if more
            else t(
                "⚠️ Risk alert {when}, {where} (acknowledged)",
                when=w.day_time(first.raised_local),
                where=first.where,
            )
        )
    if client.former:
        return "\n".join([*lines, t("Open risk alert from while you were linked (see above).")])
    if not client.assignments:
        lines.append(t("No homework assigned."))
    if client.paused_since is not None:
        lines.append(
            t(
                "Reminders paused by {name} since {when}.",
                name=client.name,
                when=w.day_time(client.paused_since),
            )
        )
    for a in client.assignments:
        lines.append(f"{a.title} ({a.schedule}): {_tally(a, w)}")
    for entry in client.entries:
        when = w.weekday_time(entry.completed_local)
        change = f", {entry.change}" if entry.change else ""
        score = f" [{entry.score}{change}]" if entry.score else ""
        lines.append(f"  • {entry.title}, {when}{score}: {entry.line}")
    for note in client.notes:
        when = w.weekday_time(note.written_local)
        if note.rating:
            said = f": “{note.text}”" if note.text else ""
            rating = t(RATINGS.get(note.rating, note.rating))
            about = note.about or t("Homework")
            lines.append(f"  ✎ {about}, {when}: {rating}{said}")
        else:
            lines.append(
                "  ✎ "
                + t("Note for your next session, {when}: “{text}”", when=when, text=note.text)
            )
    if client.unreadable:
        lines.append("  " + t("Entries that could not be shown: {count}.", count=client.unreadable))
    if not client.entries and client.assignments:
        lines.append("  " + t("No entries in this period."))
    return "\n".join(lines)


def _tally(a: AssignmentReport, w: Wording) -> str:
    t = w.t
    if a.due:
        tally = t("{done} of {due} done", done=a.done, due=a.due)
        notes = [
            t(what, count=n)
            for n, what in (
                (a.skipped, N_("{count} skipped by them")),
                (a.paused, N_("{count} while paused")),
                (a.not_reminded, N_("{count} not reminded")),
            )
            if n
        ]
        if notes:
            tally += f" ({', '.join(notes)})"
    else:
        tally = t("{count} done", count=a.entries) if a.entries else t("nothing due yet")
    if a.streak >= 2:
        tally += t("; {count} in a row", count=a.streak)
    if a.paused_now:
        tally += t("; reminders paused by you")
    return tally


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
