"""A client's entries as documents for their therapist: a CSV of every answer and a PDF
session-prep report (the period's entries, scores with bands, charts, notes, risk flags).

/export NAME [DAYS] queues both through the outbox; each is built only when its turn to be
sent comes, from a read-only session (so the latest entries are in it, and no write lock
waits on building it), drawn in a worker thread, and sent as a document.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import charts, library, progress
from bot.caseload import find_one
from bot.digests import score_text
from bot.i18n import in_sentence, tr, wording, zone_name
from bot.i18n import moment as moment_in
from bot.runtime import Ctx, Runtime
from conversations import engine
from conversations.crisis import where_text
from conversations.digest import RATINGS
from storage import files, flags, homework, notes, outbox, people, privacy

CSV_COLUMNS = (
    "entry_id",
    "homework",
    "template",
    "template_version",
    "status",
    "started_at",
    "completed_at",
    "step",
    "question",
    "answer",
    "score_name",
    "score_total",
    "score_band",
)
"""The CSV's header: stable names, one row per answer; times in UTC (ISO 8601)."""
log = logging.getLogger(__name__)
DEFAULT_DAYS = 30
MAX_DOCUMENT_BYTES = 45_000_000
"""Below Telegram's 50 MB limit on documents a bot sends."""
MAX_DAYS = 366


@dataclass
class Report:
    """What the PDF shows, gathered beforehand (building it touches no database)."""

    name: str
    period: str
    made: str
    entries: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    """(heading, (question, answer) lines) per entry, oldest first."""
    scores: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chart: dict[str, Any] | None = None
    language: str = "en"
    """The therapist's language, which the report is written in."""


async def export(ctx: Ctx) -> None:
    """/export NAME [DAYS]: the client's entries as CSV, and a PDF report of DAYS (30)."""
    therapist = ctx.user
    assert therapist is not None
    if therapist.role != "therapist":
        await own_export(ctx)
        return
    words = list(ctx.args)
    days = DEFAULT_DAYS
    if len(words) > 1 and words[-1].isdigit():
        days = max(1, min(int(words.pop()), MAX_DAYS))
    if not words:
        ctx.say(
            ctx.t(
                "/export NAME [DAYS] sends a client's entries as CSV and a PDF report of the "
                "last DAYS days (30 unless you say), for example: /export robin 14"
            )
        )
        return
    found = await find_one(ctx, therapist, " ".join(words))
    if found is not None:
        await queue_export(ctx, found[0].id, people.client_display_name(*found), days)


async def own_export(ctx: Ctx) -> None:
    """/export for a client: everything of theirs, as JSON and as CSV, sent to them."""
    client = ctx.user
    assert client is not None
    for kind in ("json", "csv"):
        await outbox.notify(
            ctx.session,
            person=client,
            kind="export",
            key=f"own:{client.id}:{ctx.update_id}:{kind}",
            text=ctx.t("All your data")
            if kind == "json"
            else ctx.t("Your answers, as a spreadsheet (CSV)"),
            now=ctx.now,
            extra={"export": {"client": client.id, "format": kind}},
        )
    await privacy.audit(
        ctx.session, actor=client, action="export_own", subject=f"client {client.id}", now=ctx.now
    )
    ctx.say(
        ctx.t(
            "I'm preparing a copy of everything you've written here, as two files: one with all "
            "of it (JSON) and one a spreadsheet can open (CSV). They come in a moment."
        )
    )


async def export_token(ctx: Ctx, payload: dict[str, Any]) -> None:
    """The Export button under /client."""
    therapist = ctx.user
    link_id = payload.get("link")
    if therapist is None or therapist.role != "therapist" or not isinstance(link_id, int):
        return
    found = await people.client_of_therapist(
        ctx.session, therapist_id=therapist.id, link_id=link_id
    )
    if found is None:
        ctx.say(ctx.t("That client is no longer linked with you. /clients lists your clients."))
        return
    await queue_export(ctx, link_id, people.client_display_name(*found), DEFAULT_DAYS)


async def queue_export(ctx: Ctx, link_id: int, name: str, days: int) -> None:
    """Both documents through the outbox; they are built when sent."""
    therapist = ctx.user
    assert therapist is not None
    captions = {
        "csv": ctx.t("{name}: every answer, as a spreadsheet (CSV)", name=name),
        "pdf": ctx.t("{name}: session prep", name=name),
    }
    for kind, caption in captions.items():
        await outbox.notify(
            ctx.session,
            person=therapist,
            kind="export",
            key=f"{therapist.id}:{link_id}:{ctx.update_id}:{kind}",
            text=caption,
            now=ctx.now,
            extra={
                "export": {"link": link_id, "format": kind, "days": days, "therapist": therapist.id}
            },
        )
    await privacy.audit(
        ctx.session, actor=therapist, action="export", subject=f"link {link_id}", now=ctx.now
    )
    ctx.say(
        ctx.t(
            "Preparing {name}'s entries as a spreadsheet (CSV) and a session-prep report of the "
            "last {days} days (PDF). They come in a moment.",
            name=name,
            days=days,
        )
    )


async def build(
    rt: Runtime, *, therapist_id: int | None, spec: dict[str, Any], now: datetime
) -> tuple[str, bytes] | None:
    """(file name, bytes) of one export, or None when the client is no longer linked."""
    owner = spec.get("client")
    if isinstance(owner, int):
        # A client's own export goes only to that client.
        if owner != therapist_id:
            return None
        async with rt.db.reading() as session:
            client = await people.get_user_by_id(session, user_id=owner)
            if client is None:
                return None
            stamp = now.strftime("%Y-%m-%d")
            if spec.get("format") == "csv":
                entries = await homework.entries_of_client(session, client_id=owner)
                return f"my-homework-{stamp}.csv", await _csv_of(
                    rt, session, entries, client.language
                )
            return f"my-data-{stamp}.json", await _own_json(rt, session, client, now)
    link_id = spec.get("link")
    if not isinstance(link_id, int) or therapist_id is None:
        return None
    async with rt.db.reading() as session:
        found = await people.client_of_therapist(
            session, therapist_id=therapist_id, link_id=link_id
        )
        therapist = await people.get_user_by_id(session, user_id=therapist_id)
        if found is None or therapist is None:
            return None
        link, client = found
        name = people.client_display_name(link, client)
        stem = f"client-{link.id}"  # no names in file names (downloads, cloud folders)
        stamp = now.strftime("%Y-%m-%d")
        if spec.get("format") == "csv":
            entries = await homework.entries_of_link(
                session, therapist_id=therapist_id, link_id=link.id
            )
            return f"{stem}-entries-{stamp}.csv", await _csv_of(
                rt, session, entries, therapist.language
            )
        days = spec.get("days")
        days = days if isinstance(days, int) else DEFAULT_DAYS
        report = await _gather(rt, session, therapist, link.id, name, now, days)
    return f"{stem}-session-prep-{stamp}.pdf", await asyncio.to_thread(pdf, report)


async def _csv_of(rt: Runtime, session: Any, entries: list[Any], language: str) -> bytes:
    """Every answer, a row each. The column names stay English (programs read them); the
    titles, questions and answers are in the reader's `language`."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for entry in entries:
        base = [
            entry.id,
            rt.title_of(entry.template_id, language),
            entry.template_id,
            entry.template_version,
            entry.status,
            entry.started_at.isoformat(),
            entry.completed_at.isoformat() if entry.completed_at else "",
        ]
        scores = entry.scores or {}
        score = [scores.get("name", ""), scores.get("total", ""), scores.get("band", "")]
        found = await library.entry_state(rt, session, entry, language=language)
        if found is None:
            unread = tr(language, "(this entry could not be read)")
            rows.append([*base, "", "", unread, *score])
            continue
        flow, state = found
        for step in flow.steps:
            if step.key in state.answers:
                answer = engine.answer_text(step, state.answers[step.key])
                rows.append([*base, step.key, step.label, answer, *score])
    return csv_bytes(rows)


def csv_bytes(rows: list[list[object]]) -> bytes:
    """Rows as a CSV file, every text cell safe to open in a spreadsheet: a therapist's
    template title or question can start with "=" as well as a client's answer can."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_cell(value) if isinstance(value, str) else value for value in row])
    return out.getvalue().encode("utf-8")


async def _gather(
    rt: Runtime, session: Any, therapist: Any, link_id: int, name: str, now: datetime, days: int
) -> Report:
    zone = ZoneInfo(therapist.timezone)
    language = therapist.language
    since = now - timedelta(days=days)

    def when(moment: datetime, pattern: str = "EEE dd MMM y HH:mm") -> str:
        return moment_in(moment.astimezone(zone), language, pattern)

    report = Report(
        name=name,
        period=tr(
            language,
            "{start} to {end}",
            start=when(since, "dd MMM y"),
            end=when(now, "dd MMM y"),
        ),
        made=tr(language, "{when} ({zone} time)", when=when(now), zone=zone_name(zone, language)),
        language=language,
    )
    for entry in await homework.done_entries_of_link(
        session, therapist_id=therapist.id, link_id=link_id, since=since, until=now
    ):
        assert entry.completed_at is not None
        heading = f"{rt.title_of(entry.template_id, language)}, {when(entry.completed_at)}"
        score = score_text(entry.scores, language)
        if score:
            heading += f" [{score}]"
            report.scores.append(f"{when(entry.completed_at, 'dd MMM')}: {score}")
        found = await library.entry_state(rt, session, entry, language=language)
        lines = (
            list(engine.summarize(found[0], found[1].answers))
            if found is not None
            else [("", tr(language, "(this entry could not be read)"))]
        )
        report.entries.append((heading, lines))
    for note in await notes.notes_of_link(
        session, therapist_id=therapist.id, link_id=link_id, since=since, until=now
    ):
        written = when(note.created_at, "dd MMM HH:mm")
        about = (
            rt.title_of(note.template_id, language) if note.template_id else tr(language, "Note")
        )
        rating = tr(language, RATINGS.get(note.rating, note.rating)) if note.rating else ""
        said = f" {rating}." if rating else ""
        report.notes.append(f"{written}, {about}:{said} {note.text or ''}".strip())
    for flag in reversed(
        await flags.flags_of_link(session, therapist_id=therapist.id, link_id=link_id, limit=50)
    ):
        if flag.created_at <= since and flag.acknowledged_at is not None:
            continue
        state = (
            tr(language, "acknowledged")
            if flag.acknowledged_at
            else tr(language, "NOT acknowledged")
        )
        where = where_text(
            flag.source,
            in_sentence(rt.title_of(flag.template_id or "", language)),
            wording(language).t,
        )
        raised = when(flag.created_at, "dd MMM HH:mm")
        report.flags.append(f"{raised}, {where}, {state}: \u201c{flag.excerpt}\u201d")
    report.chart = await progress.link_chart(
        rt,
        session,
        therapist_id=therapist.id,
        link_id=link_id,
        name=name,
        zone=zone,
        until=now,
        language=language,
    )
    return report


async def _own_json(rt: Runtime, session: Any, client: Any, now: datetime) -> bytes:
    """Everything kept about a client, readable by any program (photos as base64). The
    keys stay English; what a person reads (titles, questions, answers) is in theirs."""
    language = client.language

    def at(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    links = await people.links_of_client(session, client_id=client.id)
    therapists: dict[int, str | None] = {}
    for link in links:
        therapist = await people.get_user_by_id(session, user_id=link.therapist_id)
        therapists[link.id] = therapist.name if therapist is not None else None
    data: dict[str, Any] = {
        "exported_at": now.isoformat(),
        "you": {
            "name": client.name,
            "username": client.username,
            "time_zone": client.timezone,
            "language": client.language,
            "joined_at": at(client.created_at),
            "quiet_hours": [client.quiet_start, client.quiet_end],
            "reminders_paused_since": at(client.paused_at),
        },
        "therapists": [
            {
                "name": therapists[link.id],
                "linked_at": at(link.consented_at),
                "ended_at": at(link.ended_at),
            }
            for link in links
        ],
        "entries": [],
        "notes": [],
        "risk_flags": [],
    }
    for entry in await homework.entries_of_client(session, client_id=client.id):
        found = await library.entry_state(rt, session, entry, language=language)
        answers = (
            [
                {"question": label, "answer": answer}
                for label, answer in engine.summarize(found[0], found[1].answers)
            ]
            if found is not None
            else tr(language, "(this entry could not be read)")
        )
        photos = [
            {"question": f.step_key, "type": f.mime, "base64": base64.b64encode(f.data).decode()}
            for f in await files.files_of_entry(session, entry_id=entry.id)
        ]
        data["entries"].append(
            {
                "homework": rt.title_of(entry.template_id, language),
                "status": entry.status,
                "started_at": at(entry.started_at),
                "completed_at": at(entry.completed_at),
                "answers": answers,
                "score": entry.scores,
                "photos": photos,
            }
        )
    for note in await notes.notes_of_client(session, client_id=client.id):
        data["notes"].append(
            {
                "written_at": at(note.created_at),
                "kind": note.kind,
                "rating": note.rating,
                "text": note.text,
            }
        )
    for flag in await flags.flags_of_client(session, client_id=client.id):
        data["risk_flags"].append(
            {
                "raised_at": at(flag.created_at),
                "where": flag.source,
                "what_you_wrote": flag.text,
                "acknowledged_at": at(flag.acknowledged_at),
                **(
                    {"columbia_screen_answers": dict(flag.screen.get("answers") or {})}
                    if flag.screen
                    else {}
                ),
            }
        )
    document = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    if len(document) > MAX_DOCUMENT_BYTES:
        # Telegram takes documents up to 50 MB: the photos are left out, and the file says so.
        for entry in data["entries"]:
            for photo in entry["photos"]:
                photo["base64"] = None
        data["photos_left_out"] = tr(
            language,
            "The photos made this file too large to send; ask whoever runs the bot for them.",
        )
        document = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return document


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
"""What makes a spreadsheet read a cell as a formula (OWASP's list, and the full-width
forms some spreadsheets fold to it), after any leading spaces."""


def _cell(text: str) -> str:
    """Text as a spreadsheet shows it, never run as a formula."""
    return "'" + text if text.lstrip(" ")[:1] in FORMULA_STARTS else text


def _font_path() -> str:
    """A Unicode font to write clients' words in: matplotlib ships DejaVu Sans."""
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")


def pdf(report: Report) -> bytes:
    """The session-prep report as PDF bytes."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    doc = FPDF(format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_font("DejaVu", fname=_font_path())
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin

    def line(text: str, size: float = 10, gap: float = 1.5) -> None:
        doc.set_font("DejaVu", size=size)
        doc.multi_cell(width, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(gap)

    def heading(text: str) -> None:
        doc.ln(2)
        line(text, size=13, gap=1)

    language = report.language
    line(tr(language, "Session preparation: {name}", name=report.name), size=16)
    made = tr(language, "{period}. Made {made}.", period=report.period, made=report.made)
    line(made, size=9, gap=3)
    heading(tr(language, "Risk alerts"))
    for text in report.flags or [tr(language, "None in this period.")]:
        line(f"• {text}")
    heading(tr(language, "Scores"))
    for text in report.scores or [tr(language, "No measures in this period.")]:
        line(f"• {text}")
    if report.chart is not None:
        try:
            picture = charts.render(report.chart)
        except Exception as error:  # the report goes out without its chart
            log.warning("a chart could not be drawn for a report: %s", type(error).__name__)
        else:
            heading(tr(language, "Trends (the last 90 days)"))
            doc.image(io.BytesIO(picture), w=width)
    heading(tr(language, "Notes from the client"))
    for text in report.notes or [tr(language, "No notes in this period.")]:
        line(f"• {text}")
    heading(tr(language, "Entries ({count})", count=len(report.entries)))
    if not report.entries:
        line(tr(language, "No entries finished in this period."))
    for title, answers in report.entries:
        line(title, size=11, gap=0.5)
        for question, answer in answers:
            line(f"{question}: {answer}" if question else answer, size=9, gap=0.5)
        doc.ln(2)
    return bytes(doc.output())
