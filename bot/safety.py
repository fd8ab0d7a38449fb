"""Safety first: every piece of text is screened before anything else handles it.

::

    any text, caption or edit ─► risk.screen ─► nothing: on to the usual handler
                                             └► risk: crisis lines at once, in the person's
                                                language and country (never "I'm not sure
                                                what to do with that message")
        consented client: flag kept (encrypted), alert queued for the therapist on the alert
                          lane and sent as soon as the update commits; no therapist, or an
                          alert nobody receives or acknowledges: the operator's fallback chat
        mid-homework text answer: kept as the answer, and the homework goes on
        anything else (a button question, a setup question): the question waits
    /sos: the same resources, any time, for anyone
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import columbia, homework, plan
from bot.i18n import in_sentence, moment, tr, wording, zone_name
from bot.render import buttons
from bot.replies import Keyboard
from bot.runtime import TOKEN_TTL, Ctx, Runtime, button_token, command_of, token_for
from conversations import screening
from conversations.crisis import (
    Language,
    Written,
    alert_text,
    check_in_reply,
    choose_country,
    crisis_reply,
    crisis_words,
    escalation_text,
    follow_up_text,
    helping_reply,
    pick,
    sos_text,
    where_text,
)
from conversations.engine import RaiseFlag
from conversations.risk import RiskFinding
from storage import buttons as tokens
from storage import flags, outbox, people
from storage import homework as entries
from storage.models import Entry, Flag, Link, User

log = logging.getLogger(__name__)

REPEAT_WINDOW = timedelta(minutes=30)
"""Another risk message this soon after one gets a shorter answer (the lines are above)."""

ALERT_BUTTON_TTL = timedelta(days=30)

PLANS = frozenset({plan.PLAN})
"""Homework whose answers describe hard times on purpose (see _naming_warning_signs)."""


def country_of(ctx: Ctx) -> str | None:
    """Where the person probably is: their chosen time zone, else their Telegram language."""
    zone = ctx.user.timezone if ctx.user is not None and ctx.user.timezone != "UTC" else None
    return choose_country(zone=zone, language_code=ctx.language_code)


async def respond(ctx: Ctx) -> bool:
    """Answer the risk the screen found in this update (in a transaction of its own).

    True when the usual handler should run next: a command still does what it says, a
    therapist's message still reaches its wizard, and a homework answer is still kept.
    """
    finding = ctx.risk
    assert finding is not None
    user, country = ctx.user, country_of(ctx)
    command = ctx.text.startswith("/")
    if user is not None and user.role == "therapist" and _to_a_client(ctx, user):
        return True  # a therapist's words to a client (they may quote the client): not risk
    unsure = finding.level == "check_in" and len(ctx.screened.split()) >= screening.SURE_WORDS
    earlier = (
        await flags.latest_flag_since(ctx.session, client_id=user.id, since=ctx.now - REPEAT_WINDOW)
        if user is not None and user.role == "client" and (finding.level == "risk" or unsure)
        else None
    )
    if unsure and earlier is not None and earlier.acknowledged_at is None:
        # Unsure words (not short: there the model is never sure) right after clear risk,
        # its alert still open and the Columbia questions perhaps waiting, are not asked
        # about again: they join the alert.
        finding = replace(finding, level="risk")
    if finding.level != "risk":
        return await _gentler(ctx, user, finding)
    if user is None or user.role != "client":
        # Not consented (nothing may be stored about them), or a therapist: the lines only.
        log.info("risk language screened; crisis lines shown (no client record)")
        ctx.say(
            crisis_reply(
                ctx.rt.resources,
                country,
                language=finding.language,
                imminent=finding.imminent,
                therapist=None,
                homework=None,
            ),
            urgent=True,
        )
        return command or (user is not None and user.role == "therapist")
    entry, source, kept = await _written_where(ctx, user)
    if kept and not finding.imminent and await _naming_warning_signs(ctx, entry, source):
        # Their safety plan's own steps name what a hard time looks like ("when I start
        # thinking I'd be better off dead"): that is the plan working, not an alarm.
        log.info("risk words inside a safety plan's steps: no alert")
        ctx.say(crisis_words(finding.language)["plan_signs"])
        return True
    raised = None
    if earlier is None or earlier.message_id != ctx.message_id or ctx.message_id is None:
        raised = await raise_flag(
            ctx,
            user,
            entry,
            source=source,
            excerpt=finding.excerpt,
            text=ctx.screened,
            imminent=finding.imminent,
        )
        told = raised.told
    else:
        told = await _therapist_told(ctx, user)  # an edit of a flagged message: no second alert
    finishing = kept and entry is not None and await homework.is_last_question(ctx, entry)
    ctx.say(
        crisis_reply(
            ctx.rt.resources,
            country,
            language=finding.language,
            imminent=finding.imminent,
            therapist=told,
            homework=(
                ctx.title(entry.template_id) if entry is not None and not finishing else None
            ),
            repeat=earlier is not None,
            plan=await plan.own_steps(ctx, user),
        ),
        urgent=True,
    )
    if raised is not None and raised.first and told is not None and entry is None:
        # Outside homework only: its buttons would otherwise sit between a homework's
        # questions, whose typed answers go to the homework.
        await columbia.offer(ctx, user, raised.link, raised.flag, told)
    if kept or command:
        return True  # the words are their answer (or a command): it goes on below
    if entry is not None:
        await homework.show_current(ctx, entry)
    return False


async def _written_where(ctx: Ctx, user: User) -> tuple[Entry | None, str, bool]:
    """The homework open, where the words were written (see _source), and whether they
    are kept as written (a homework's answer in words, a note or comment) and go on."""
    entry = await homework.peek_open_entry(ctx)
    if entry is not None and ctx.via == "message" and homework.asked_since(user, entry):
        entry = None  # a question asked over the homework has the floor: not its answer
    source = _source(ctx, user, entry)
    kept = source == "homework" and entry is not None and await homework.takes_text(ctx, entry)
    return entry, source, kept or source == "note"


async def _naming_warning_signs(ctx: Ctx, entry: Entry | None, source: str) -> bool:
    """The client is writing their safety plan's warning signs: what a hard time looks like
    for them, risk words and all. No alert then, unless the words read as imminent."""
    if source != "homework" or entry is None or entry.template_id not in PLANS:
        return False
    return await homework.current_step(ctx, entry) in plan.SIGNS


def _to_a_client(ctx: Ctx, therapist: User) -> bool:
    """What the therapist typed is a message for a client: the answer to Reply under an
    entry (it reaches the client marked as theirs, and may quote what the client wrote)."""
    asked = (therapist.dialog or {}).get("ask")
    return ctx.via == "message" and asked == "reply" and not command_of(ctx.text)


async def _gentler(ctx: Ctx, user: User | None, finding: RiskFinding) -> bool:
    """Words the screen is unsure of (a check-in), or about someone else at risk (how to
    help them): answered kindly, no flag and no alert; a homework answer is still kept."""
    country, language, level = country_of(ctx), finding.language, finding.level
    entry, source, kept = await _written_where(ctx, user) if user else (None, "message", False)
    if level == "other":
        log.info("risk to someone else screened; how to help shown")
        ctx.say(helping_reply(ctx.rt.resources, country, language=language), urgent=True)
    else:
        log.info("uncertain risk language screened; a check-in shown")
        client = user is not None and user.role == "client"
        keyboard = None
        if client:
            token = await button_token(
                ctx,
                "checkin",
                {
                    "excerpt": finding.excerpt,
                    "text": ctx.screened[: flags.MAX_TEXT],
                    "source": source,
                    "entry": entry.id if entry is not None else None,
                    "language": language,
                },
            )
            said = crisis_words(language)
            keyboard = buttons(
                [[(said["check_in_yes"], f"{token}:yes"), (said["check_in_no"], f"{token}:no")]]
            )
        ctx.say(
            check_in_reply(
                ctx.rt.resources, country, language=language, homework=kept, buttons=client
            ),
            buttons=keyboard,
            urgent=True,
        )
    waiting = user is not None and user.role == "therapist" and bool(user.dialog)
    if kept or ctx.text.startswith("/") or waiting:
        return True  # their words go on to what waits for them (a homework, a wizard)
    if entry is not None:
        await homework.show_current(ctx, entry)
    return False


CHECK_IN_TYPED_WAIT = timedelta(minutes=30)
"""A check-in's Yes or No typed in full is read as its answer this long after it was asked,
even when a homework question came after it (mid-homework the check-in is not the latest
question, so its buttons' words would otherwise be the homework's answer)."""


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in folded if c.isalnum() or c.isspace()).split())


_CHECK_IN_WORDS = {
    _plain(crisis_words(language)[key]): key.removeprefix("check_in_")
    for language in ("en", "es")
    for key in ("check_in_yes", "check_in_no")
}


async def typed_check_in(ctx: Ctx) -> bool:
    """The words of a check-in's button typed in full ("Yes, I am", "No, not that"), while
    that check-in, asked in the last half hour, is still unanswered: its answer, as if
    tapped. False for anything else (a "yes" alone is a homework's answer)."""
    client = ctx.user
    sub = _CHECK_IN_WORDS.get(_plain(ctx.text))
    if client is None or client.role != "client" or sub is None:
        return False
    token = await tokens.latest_token(
        ctx.session,
        user_id=client.id,
        action="checkin",
        issued_since=ctx.now - CHECK_IN_TYPED_WAIT,
        ttl=TOKEN_TTL,
    )
    if token is None:
        return False
    payload = dict(token.payload)
    await tokens.spend_token(ctx.session, token=token)
    await check_in_answer(ctx, payload, sub)
    return True


async def check_in_answer(ctx: Ctx, payload: dict[str, object], sub: str) -> None:
    """Yes or No under a check-in. Yes is the risk the words hinted at: a flag with those
    words, the alert, and the full crisis reply, as if the screen had been sure."""
    client = ctx.user
    ctx.edit_buttons(None)
    if client is None or client.role != "client":
        return
    language: Language = "es" if payload.get("language") == "es" else "en"
    if sub != "yes":
        ctx.say(crisis_words(language)["check_in_not"])
        return
    entry_id = payload.get("entry")
    entry = (
        await entries.client_entry(ctx.session, client_id=client.id, entry_id=entry_id)
        if isinstance(entry_id, int)
        else None
    )
    raised = await raise_flag(
        ctx,
        client,
        entry,
        source=str(payload.get("source") or "message"),
        excerpt=str(payload.get("excerpt") or ""),
        text=str(payload.get("text") or ""),
        imminent=False,
        asked=True,
    )
    ctx.say(
        crisis_reply(
            ctx.rt.resources,
            country_of(ctx),
            language=language,
            imminent=False,
            therapist=raised.told,
            homework=None,
            plan=await plan.own_steps(ctx, client),
        ),
        urgent=True,
    )
    if raised.first and raised.told is not None and await homework.peek_open_entry(ctx) is None:
        await columbia.offer(ctx, client, raised.link, raised.flag, raised.told)


@dataclass(frozen=True)
class Raised:
    """A flag just raised: who was told (None: nobody, the fallback chat instead), and
    whether it opened a new alert (nothing of the client's was open before)."""

    told: str | None
    flag: Flag
    link: Link | None
    first: bool


async def raise_flag(
    ctx: Ctx,
    client: User,
    entry: Entry | None,
    *,
    source: str,
    excerpt: str,
    text: str,
    imminent: bool,
    asked: bool = False,
) -> Raised:
    """Keep a flag and tell the therapist (or the fallback chat). `asked`: the client said
    yes to a check-in about these words, which the alert says."""
    link = await people.active_link(ctx.session, client_id=client.id)
    therapist = (
        await people.get_user_by_id(ctx.session, user_id=link.therapist_id) if link else None
    )
    flag = await flags.record_flag(
        ctx.session,
        client=client,
        link=link,
        source=source,
        template_id=entry.template_id if entry is not None else None,
        entry_id=entry.id if entry is not None else None,
        message_id=ctx.message_id,
        excerpt=excerpt,
        text=text,
        imminent=imminent,
        now=ctx.now,
    )
    log.warning("risk flag %s raised for client %s (%s)", flag.id, client.id, source)
    ctx.urgent = True
    if link is None or therapist is None:
        await escalate(ctx.rt, ctx.session, flag, reason="no_therapist", now=ctx.now)
        return Raised(None, flag, link, first=True)
    if therapist.blocked_at is not None:
        await escalate(ctx.rt, ctx.session, flag, reason="undeliverable", now=ctx.now)
        return Raised(None, flag, link, first=True)
    language = therapist.language
    title = in_sentence(ctx.rt.title_of(entry.template_id, language)) if entry is not None else None
    name = people.client_display_name(link, client)
    where = where_text(source, title, wording(language).t)
    open_before = [
        f
        for f in await flags.open_flags_of_client(ctx.session, client_id=client.id, link_id=link.id)
        if f.id != flag.id and await _alert_status(ctx.session, f) in outbox.ON_ITS_WAY
    ]
    if open_before:
        # One open alert per client: this message joins it, in its thread.
        await queue_follow_up(
            ctx, flag, open_before[0], therapist, client=name, where=where, asked=asked
        )
    else:
        await queue_alert(
            ctx,
            flag,
            therapist,
            client=name,
            where=where,
            shown=pick(ctx.rt.resources.region(country_of(ctx))[0].name, language),
            asked=asked,
        )
    return Raised(therapist.name, flag, link, first=not open_before)


async def _alert_status(session: AsyncSession, flag: Flag) -> str | None:
    """How the alert (or the follow-up in its thread) of this flag is doing in the outbox.
    In `outbox.ON_ITS_WAY`, it can be joined; one raised while the therapist had blocked
    the bot, or whose alert failed, went to the fallback chat instead, and a later message
    is an alert of its own, with its buttons. "sent": it reached the therapist."""
    stored = outbox.dedupe_key(session, "alert", flags.alert_key(flag))
    return await outbox.status_of(session, stored_key=stored)


async def _therapist_told(ctx: Ctx, client: User) -> str | None:
    link = await people.active_link(ctx.session, client_id=client.id)
    therapist = (
        await people.get_user_by_id(ctx.session, user_id=link.therapist_id) if link else None
    )
    return therapist.name if therapist is not None and therapist.blocked_at is None else None


async def raise_from_answer(ctx: Ctx, entry: Entry, effect: RaiseFlag) -> None:
    """An answer a measure marks as risk (PHQ-9 item 9 above 0): a flag and an alert at
    once, and the crisis lines for the client, whatever the total."""
    client = ctx.user
    if client is None:
        return
    # The same item answered again (after /back): the therapist has this alert already,
    # and the client gets the shorter words with the lines again.
    same = f"{effect.reason}:"
    again = await flags.entry_has_flag(ctx.session, entry_id=entry.id, excerpt_prefix=same)
    told = None
    if not again:
        raised = await raise_flag(
            ctx,
            client,
            entry,
            source="homework",
            excerpt=f"{effect.reason}: {effect.excerpt}",
            text=effect.excerpt,
            imminent=False,
        )
        told = raised.told
    ctx.say(
        crisis_reply(
            ctx.rt.resources,
            country_of(ctx),
            language=ctx.lang,
            imminent=False,
            therapist=told,
            homework=ctx.title(entry.template_id),
            repeat=again,
            plan=await plan.own_steps(ctx, client),
        ),
        urgent=True,
    )


NOTE_ASKS = ("note", "feedback_comment")
"""Dialogs whose typed answer is a note for the therapist."""


def _source(ctx: Ctx, user: User, entry: Entry | None) -> str:
    if ctx.via != "message":
        return ctx.via
    asked = (user.dialog or {}).get("ask")
    if command_of(ctx.text) == "/note" or (asked in NOTE_ASKS and not ctx.text.startswith("/")):
        return "note"
    if entry is not None and not ctx.screened.startswith("/"):
        return "homework"
    return "setup" if user.dialog else "message"


async def queue_alert(
    ctx: Ctx,
    flag: Flag,
    therapist: User,
    *,
    client: str,
    where: str,
    shown: str,
    asked: bool = False,
) -> None:
    """The therapist's alert, on the alert lane, with Acknowledge and Recent entries."""
    language = therapist.language
    settings = ctx.rt.settings
    text = alert_text(
        _written(flag, therapist, client, where, asked),
        shown=shown,
        ack_minutes=settings.alert_ack_minutes,
        fallback=settings.alert_fallback_chat_id is not None,
        t=wording(language).t,
    )
    acknowledge = await token_for(
        ctx.session,
        owner_id=therapist.id,
        action="ack",
        payload={"flag": flag.id, "raised": flag.created_at.isoformat()},
        now=ctx.now,
        ttl=ALERT_BUTTON_TTL,
    )
    recent = await token_for(
        ctx.session,
        owner_id=therapist.id,
        action="recent",
        payload={"link": flag.link_id},
        now=ctx.now,
        ttl=ALERT_BUTTON_TTL,
    )
    await outbox.notify(
        ctx.session,
        person=therapist,
        kind="alert",
        key=flags.alert_key(flag),
        text=text,
        now=ctx.now,
        buttons=[
            [[tr(language, "Acknowledge"), acknowledge], [tr(language, "Recent entries"), recent]]
        ],
        extra={"flag": flag.id, "about": flag.client_id},
    )


async def queue_follow_up(
    ctx: Ctx,
    flag: Flag,
    head: Flag,
    therapist: User,
    *,
    client: str,
    where: str,
    asked: bool = False,
) -> None:
    """A later risk message while the client's alert is open: a short message in that
    alert's thread (a reply, so it notifies), with no buttons of its own."""
    language = therapist.language
    text = follow_up_text(_written(flag, therapist, client, where, asked), wording(language).t)
    await flags.tell_in_thread(
        ctx.session,
        therapist=therapist,
        flag=flag,
        head=head,
        key=flags.alert_key(flag),
        text=text,
        now=ctx.now,
    )


def _written(flag: Flag, therapist: User, client: str, where: str, asked: bool) -> Written:
    return Written(
        client=client,
        when=_when(flag, therapist),
        where=where,
        excerpt=flag.excerpt,
        imminent=flag.imminent,
        asked=asked,
    )


def _when(flag: Flag, therapist: User) -> str:
    zone = ZoneInfo(therapist.timezone)
    local = flag.created_at.astimezone(zone)
    return tr(
        therapist.language,
        "{day} at {time} ({zone} time)",
        day=moment(local, therapist.language, "EEE d MMM"),
        time=local.strftime("%H:%M"),
        zone=zone_name(zone, therapist.language),
    )


async def escalate(
    rt: Runtime, session: AsyncSession, flag: Flag, *, reason: str, now: datetime
) -> None:
    """Tell the operator's fallback chat (never the client's words), once per flag."""
    if not flags.mark_escalated(flag, reason=reason, now=now):
        return
    fallback = rt.settings.alert_fallback_chat_id
    if fallback is None:
        log.warning(
            "risk flag %s needs a person (%s) and ALERT_FALLBACK_CHAT_ID is not set",
            flag.id,
            reason,
        )
        return
    log.warning("risk flag %s escalated to the fallback chat (%s)", flag.id, reason)
    client = await people.get_user_by_id(session, user_id=flag.client_id)
    link = await people.get_link(session, link_id=flag.link_id) if flag.link_id else None
    therapist = await people.get_user_by_id(session, user_id=link.therapist_id) if link else None
    if client is None:
        name = "A client"
    else:
        name = people.client_display_name(link, client) if link else client.name
    await outbox.notify_chat(
        session,
        chat_id=fallback,
        user_id=None,
        kind="escalation",
        key=flags.alert_key(flag),
        text=escalation_text(
            client=name,
            therapist=therapist.name if therapist else None,
            raised=f"{flag.created_at:%a %d %b %H:%M} UTC",
            reason=reason,
            minutes=rt.settings.alert_ack_minutes,
        ),
        now=now,
    )


async def escalate_unacknowledged(rt: Runtime) -> int:
    """Flags nobody acknowledged in time go to the fallback chat; returns how many."""
    escalated = 0
    async with rt.db.transaction() as session:
        now = rt.clock.now()
        window = timedelta(minutes=rt.settings.alert_ack_minutes)
        for flag in await flags.claim_unacknowledged(
            session, raised_before=now - window, limit=100
        ):
            flag_id = flag.id
            try:
                async with session.begin_nested():
                    if await _joined_an_escalated_alert(session, flag):
                        # One alert, one escalation: the fallback chat has this client's.
                        flags.mark_escalated(flag, reason="unacknowledged", now=now)
                        continue
                    await escalate(rt, session, flag, reason="unacknowledged", now=now)
                escalated += 1
            except Exception:
                # One broken row must not stop the tick (reminders, digests, the outbox).
                log.exception("could not escalate risk flag %s", flag_id)
    return escalated


async def acknowledge(ctx: Ctx, payload: dict[str, object]) -> None:
    """The therapist's Acknowledge button: recorded (who, when), never cleared silently."""
    therapist = ctx.user
    flag_id = payload.get("flag")
    if therapist is None or therapist.role != "therapist" or not isinstance(flag_id, int):
        ctx.toast(ctx.t("That button is no longer active."))
        return
    found = await flags.therapist_flag(
        ctx.session, therapist_id=therapist.id, flag_id=flag_id, for_update=True
    )
    if found is None:
        ctx.toast(ctx.t("That alert is not one of yours."))
        return
    flag, link, client = found
    if payload.get("raised") not in (None, flag.created_at.isoformat()):
        ctx.toast(ctx.t("That alert is no longer here."))  # an erased client's, its id reused
        return
    name = people.client_display_name(link, client)
    zone = ZoneInfo(therapist.timezone)
    raised = moment(flag.created_at.astimezone(zone), ctx.lang)
    ctx.edit_buttons(_without_pressed(ctx))
    # One Acknowledge settles the client's whole alert: every flag still open under the
    # link that the therapist has been shown (its alert or follow-up delivered, or listed
    # where the button was), the later messages that joined it included. One still on its
    # way stays open, so nothing is settled unseen.
    until = payload.get("until")
    listed = datetime.fromisoformat(until) if isinstance(until, str) else None
    settled = [
        f
        for f in await flags.open_flags_of_client(
            ctx.session, client_id=flag.client_id, link_id=flag.link_id, for_update=True
        )
        if f.id == flag.id
        or (listed is not None and f.created_at <= listed)
        or await _alert_status(ctx.session, f) == "sent"
    ]
    if not settled:
        when = moment((flag.acknowledged_at or ctx.now).astimezone(zone), ctx.lang, "EEE HH:mm")
        ctx.toast(ctx.t("Already acknowledged, {when}.", when=when))
        return
    for each in settled:
        flags.acknowledge(each, by=therapist, now=ctx.now)
    later = len([f for f in settled if f.id != flag.id])
    said = ctx.t(
        "Acknowledged: {name}'s alert from {raised} ({zone} time). It stays in their "
        "record; your digest and /clients no longer list it as open.",
        name=name,
        raised=raised,
        zone=zone_name(zone, ctx.lang),
    )
    if later:
        said += " " + ctx.t("Later messages that joined it, settled too: {count}.", count=later)
    ctx.say(said)
    fallback = ctx.rt.settings.alert_fallback_chat_id
    if any(f.escalated_at is not None for f in [flag, *settled]) and fallback is not None:
        await outbox.notify_chat(
            ctx.session,
            chat_id=fallback,
            user_id=None,
            kind="acknowledged",
            key=flags.alert_key(flag),
            text=f"Update: the risk alert for {name} (raised {flag.created_at:%a %d %b %H:%M} "
            f"UTC) has now been acknowledged by {therapist.name}.",
            now=ctx.now,
        )


async def _joined_an_escalated_alert(session: AsyncSession, flag: Flag) -> bool:
    """An earlier open flag of the same client and link, whose alert the therapist was sent
    (so this one joined it), has gone to the fallback chat already. One that was never
    alerted (they had blocked the bot) was its own escalation, and this one's alert is new."""
    for earlier in await flags.open_flags_of_client(
        session, client_id=flag.client_id, link_id=flag.link_id
    ):
        if (earlier.created_at, earlier.id) >= (flag.created_at, flag.id):
            break
        alerted = await _alert_status(session, earlier) in outbox.ON_ITS_WAY
        if earlier.escalated_at is not None and alerted:
            return True
    return False


def _without_pressed(ctx: Ctx) -> Keyboard | None:
    pressed = ctx.pressed_keyboard()
    return pressed.without(ctx.data) if pressed is not None else None


async def sos(ctx: Ctx) -> None:
    """/sos: crisis lines for where the person is, any time, whatever they were doing."""
    entry = await homework.peek_open_entry(ctx)
    client = ctx.user if ctx.user is not None and ctx.user.role == "client" else None
    ctx.say(
        sos_text(
            ctx.rt.resources,
            country_of(ctx),
            language=ctx.lang,
            homework=ctx.title(entry.template_id) if entry is not None else None,
            plan=await plan.own_steps(ctx, client) if client is not None else (),
        )
    )
