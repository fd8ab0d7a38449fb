"""Getting started: registration codes, invites and consent, time zones, /help, /settings.

::

    therapist:  /start CODE ─► time zone ─► digest time ─► ready (/invite)
    client:     /start CODE ─► consent (buttons) ─► time zone ─► ready (/today)
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from bot import menus
from bot.digests import describe_digest, digest_schedule
from bot.i18n import LANGUAGE_NAMES, N_, day_names, language_name, pick_language, tr, zone_name
from bot.render import buttons
from bot.replies import Keyboard
from bot.runtime import Ctx
from conversations.reminders import quiet_hours_of
from conversations.schedules import Daily, Once, next_occurrence, parse_schedule
from conversations.timezones import COMMON_ZONES, TimeZoneError, parse_time_zone
from storage import homework, outbox, people, privacy
from storage.models import Code, User

CONSENT_PREFIX = "consent:"
ZONE_PREFIX = "tz:"
log = logging.getLogger(__name__)
DIGEST_PREFIX = "dt:"
DIGEST_TIMES = ("08:00", "12:00", "18:00", "20:00")

CODE_PROBLEMS = {
    "unknown": N_(
        "I don't recognise that link. Please check it was copied whole, or ask for a new one."
    ),
    "used": N_(
        "That link has already been used. Each link works once, so please ask for a new one."
    ),
    "expired": N_("That link has expired. Please ask for a new one."),
}

SOS_HINT = N_("If you need someone to talk to now, /sos shows crisis lines.")

NOT_AN_EMERGENCY = N_(
    "Please know: I am not an emergency service, and nobody watches this chat in real time. "
    "If you are in danger or might hurt yourself, call your local emergency number now."
)


async def start(ctx: Ctx) -> None:
    """/start, or /start CODE from a registration or invite link."""
    if not ctx.args:
        await _welcome(ctx)
        return
    if not await privacy.code_attempts_left(ctx.session, telegram_id=ctx.telegram_id, now=ctx.now):
        ctx.say(
            ctx.t(
                "That's several links in a row that didn't work, so please wait 15 minutes and "
                "then open your link again. If it keeps failing, ask for a new one."
            )
        )
        return
    found = await people.check_code(ctx.session, code=ctx.args[0], now=ctx.now)
    if isinstance(found, str):
        if found == "unknown":
            tries = await privacy.wrong_code(ctx.session, telegram_id=ctx.telegram_id, now=ctx.now)
            if tries == privacy.MAX_WRONG_CODES:
                log.warning("repeated wrong codes from one Telegram account: slowed down")
        ctx.say(ctx.t(CODE_PROBLEMS[found]))
        return
    if found.kind == "therapist":
        await _register_therapist(ctx, found)
    else:
        await _open_invite(ctx, found)


async def _welcome(ctx: Ctx) -> None:
    if ctx.user is None:
        if await people.find_held_invite(ctx.session, telegram_id=ctx.telegram_id, now=ctx.now):
            ctx.say(ctx.t("Your invite is waiting for your answer: please use the buttons above."))
            return
        ctx.say(
            ctx.t(
                "Hello! I help people do their therapy homework between sessions.\n\n"
                "To begin, open the invite link your therapist sent you. "
                "Therapists: open the registration link from whoever runs this bot."
            )
        )
        return
    ctx.say(ctx.t("Welcome back, {name}. /help shows what I can do.", name=ctx.user.name))


async def _register_therapist(ctx: Ctx, code: Code) -> None:
    if ctx.user is not None:
        ctx.say(
            ctx.t(
                "You are already registered here, so this registration link was not used. It "
                "still works for someone else."
            )
        )
        return
    user = await people.register_therapist(ctx.session, code=code, **ctx.identity())
    ctx.user = user
    if ctx.bot is not None:
        bot, chat_id = ctx.bot, ctx.chat_id
        ctx.after_commit.append(lambda: menus.set_for_therapist(bot, chat_id, user.language))
    # A digest time from the start, so skipping the question still brings digests.
    user.digest_time = ctx.rt.settings.default_digest_time
    await reschedule(ctx, user)
    ctx.say(ctx.t("Welcome, {name}! You are registered as a therapist.", name=user.name))
    ask_time_zone(ctx, user, then="digest_time")


async def _open_invite(ctx: Ctx, code: Code) -> None:
    if code.therapist_id is None:
        ctx.say(ctx.t(CODE_PROBLEMS["unknown"]))
        return
    therapist = await people.get_user_by_id(ctx.session, user_id=code.therapist_id)
    if therapist is None:
        ctx.say(ctx.t(CODE_PROBLEMS["unknown"]))
        return
    if ctx.user is not None and ctx.user.role == "therapist":
        ctx.say(
            ctx.t(
                "This is an invite for a client, and you are registered as a therapist, "
                "so it was not used. It still works for the person it was meant for."
            )
        )
        return
    if ctx.user is not None:
        link = await people.active_link(ctx.session, client_id=ctx.user.id)
        if link is not None and link.therapist_id == therapist.id:
            ctx.say(
                ctx.t(
                    "You are already linked with {therapist}. /today shows what is due.",
                    therapist=therapist.name,
                )
            )
            return
    current = None
    if ctx.user is not None:
        link = await people.active_link(ctx.session, client_id=ctx.user.id)
        if link is not None:
            current = await people.get_user_by_id(ctx.session, user_id=link.therapist_id)
    nonce = await people.hold_invite(ctx.session, code=code, telegram_id=ctx.telegram_id)
    text = consent_text(
        ctx.first_name,
        therapist.name,
        ctx.username,
        backup=ctx.rt.settings.alert_fallback_chat_id is not None,
        language=ctx.lang,
    )
    if current is not None:
        text += "\n\n" + ctx.t(
            "You are linked with {current} now. Agreeing ends that link: {current} will no "
            "longer see new answers, and their homework stops.",
            current=current.name,
        )
    ctx.say(text, buttons=_consent_buttons(nonce, ctx.lang))


def consent_text(
    first_name: str,
    therapist: str,
    username: str | None,
    *,
    backup: bool = False,
    language: str = "en",
) -> str:
    """What the client agrees to share, said plainly (a backup contact only when there is one)."""
    name_line = (
        tr(language, "• your Telegram name and username @{username}", username=username)
        if username
        else tr(language, "• your Telegram name")
    )
    backup_line = (
        " "
        + tr(
            language,
            "If they can't be reached, the practice's backup contact is told you may need "
            "support (not what you wrote).",
        )
        if backup
        else ""
    )
    parts = [
        tr(
            language,
            "Hi {first_name}! {therapist} invited you to do your therapy homework here, "
            "between sessions.",
            first_name=first_name,
            therapist=therapist,
        ),
        tr(language, "If you agree, {therapist} will see:", therapist=therapist)
        + "\n"
        + tr(language, "• the answers you write in your homework")
        + "\n"
        + tr(language, "• when you did your homework, and when it was missed")
        + "\n"
        + name_line,
        tr(
            language,
            "Your answers are stored encrypted, and you can take a copy (/export) or delete "
            "everything (/delete) at any time. Telegram carries our messages (chats with bots "
            "are not end-to-end encrypted); /privacy tells you more.",
        ),
        tr(
            language,
            "If you write something that makes me worry for your safety, I show you crisis "
            "lines straight away and let {therapist} know at once.",
            therapist=therapist,
        )
        + backup_line,
        tr(language, NOT_AN_EMERGENCY),
        tr(
            language,
            "Nothing about you is kept unless you agree. Do you agree to share this with "
            "{therapist}?",
            therapist=therapist,
        ),
    ]
    return "\n\n".join(parts)


def _consent_buttons(nonce: str, language: str = "en") -> Keyboard:
    return buttons(
        [
            [
                (tr(language, "Yes, I agree"), f"{CONSENT_PREFIX}yes:{nonce}"),
                (tr(language, "No, thank you"), f"{CONSENT_PREFIX}no:{nonce}"),
            ]
        ]
    )


async def consent(ctx: Ctx) -> None:
    """The consent buttons: link the client, or forget them. Each names its own invite."""
    answer, _, nonce = ctx.data[len(CONSENT_PREFIX) :].partition(":")
    code = await people.find_held_invite(
        ctx.session, telegram_id=ctx.telegram_id, now=ctx.now, nonce=nonce or "-"
    )
    if ctx.user is not None and ctx.user.role == "therapist":
        ctx.edit_buttons(None)
        ctx.say(
            ctx.t("You are registered as a therapist, so this invite can't link you as a client.")
        )
        if code is not None:
            await people.release_invite(ctx.session, code=code)
        return
    if code is None:
        ctx.toast(ctx.t("This invite is no longer waiting."))
        ctx.edit_buttons(None)
        if ctx.user is None:
            ctx.say(
                ctx.t("This invite is no longer waiting for an answer. Please open the link again.")
            )
        return
    ctx.edit_buttons(None)
    await answer_invite(ctx, code, agree=answer == "yes")


YES = (
    *("yes", "yes i agree", "i agree", "agree", "yes please", "ok", "okay", "sure", "y"),
    *("si", "sí", "si acepto", "sí, acepto", "acepto", "de acuerdo", "vale", "claro", "s"),
)
NO = (
    *("no", "no thank you", "no thanks", "i don't agree", "i do not agree", "nope", "n"),
    *("no gracias", "no, gracias", "no acepto", "no estoy de acuerdo"),
)


def typed_consent(text: str) -> bool | None:
    """A typed answer to the consent question: True (agree), False (no), or None when it is
    neither (case, punctuation and small typos don't matter)."""
    said = " ".join("".join(c if c.isalnum() or c in " '" else " " for c in text.lower()).split())
    if not said:
        return None
    best = process.extractOne(said, (*YES, *NO), scorer=fuzz.ratio, score_cutoff=80)
    if best is None:
        return None
    return best[0] in YES


async def typed_invite_answer(ctx: Ctx) -> bool:
    """Typed text while an invite waits: an answer to it if it reads as one."""
    agree = typed_consent(ctx.text)
    code = await people.find_held_invite(ctx.session, telegram_id=ctx.telegram_id, now=ctx.now)
    if agree is None or code is None:
        return False
    await answer_invite(ctx, code, agree=agree)
    return True


async def answer_invite(ctx: Ctx, code: Code, *, agree: bool) -> None:
    """Yes: link the client to the inviting therapist. No: forget them."""
    if not agree:
        await people.release_invite(ctx.session, code=code)
        ctx.say(
            ctx.t(
                "No problem. Nothing about you was kept. "
                "If you change your mind, open the same link again."
            )
        )
        return
    therapist = await people.get_user_by_id(ctx.session, user_id=code.therapist_id or 0)
    previous, old_name = None, ""
    if ctx.user is not None:
        old_link = await people.active_link(ctx.session, client_id=ctx.user.id)
        if old_link is not None:
            previous = await people.get_user_by_id(ctx.session, user_id=old_link.therapist_id)
            old_name = people.client_display_name(old_link, ctx.user)
    user, _link = await people.accept_invite(ctx.session, code=code, **ctx.identity())
    ctx.user = user
    ctx.say(
        ctx.t("Thank you. You are now linked with {therapist}.", therapist=therapist.name)
        if therapist is not None
        else ctx.t("Thank you. You are now linked with your therapist.")
    )
    if previous is not None and (therapist is None or previous.id != therapist.id):
        await outbox.notify(
            ctx.session,
            person=previous,
            kind="unlinked",
            key=f"{user.id}:{ctx.now.isoformat()}",
            text=f"{old_name} has linked with another therapist, so you will no longer "
            "see their homework here.",
            now=ctx.now,
        )
    ask_time_zone(ctx, user, then="done")


def ask_time_zone(ctx: Ctx, user: User, *, then: str) -> None:
    """Ask for the person's time zone, with buttons for common ones."""
    user.dialog = {"ask": "time_zone", "then": then}
    rows = [
        [(zone_name(ZoneInfo(name), ctx.lang), f"{ZONE_PREFIX}{index}") for index, name in pair]
        for pair in _pairs(list(enumerate(COMMON_ZONES)))
    ]
    ctx.say(
        ctx.t(
            "Which time zone are you in? I use it to send reminders at the right local time.\n\n"
            "Tap one, or type your city (like Berlin) or a time zone name (like America/New_York)."
        ),
        buttons=buttons(rows),
    )


def _pairs(items: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    return [items[i : i + 2] for i in range(0, len(items), 2)]


async def time_zone_button(ctx: Ctx) -> None:
    """A time zone button was pressed."""
    index = ctx.data[len(ZONE_PREFIX) :]
    if ctx.user is None or not index.isdecimal() or int(index) >= len(COMMON_ZONES):
        ctx.toast(ctx.t("That button is no longer active."))
        return
    ctx.edit_buttons(None)
    await set_time_zone(ctx, ctx.user, COMMON_ZONES[int(index)])


async def set_time_zone(ctx: Ctx, user: User, typed: str) -> None:
    """Store a time zone typed or chosen; reminders and digests follow it."""
    try:
        zone = parse_time_zone(typed)
    except TimeZoneError as error:
        said = ctx.unreadable(error)
        ctx.say(f"{said} {ctx.t(SOS_HINT)}" if user.role == "client" else said)
        return
    then = (user.dialog or {}).get("then", "done")
    user.timezone = zone.key
    user.dialog = None
    await reschedule(ctx, user)
    local_now = ctx.now.astimezone(zone).strftime("%H:%M")
    ctx.say(
        ctx.t(
            "Got it: {zone} time, where it is {now} now.",
            zone=zone_name(zone, ctx.lang),
            now=local_now,
        )
    )
    if then == "digest_time":
        ask_digest_time(ctx, user)
    elif user.role == "client" and then == "done":
        ctx.say(
            ctx.t(
                "You are all set. Your therapist will give you homework here, and I will remind "
                "you when it is time. /help shows what I can do."
            )
        )


async def reschedule(ctx: Ctx, user: User) -> None:
    """Recompute due times after a change of time zone."""
    zone = ZoneInfo(user.timezone)
    if user.role == "therapist" and user.digest_time:
        user.digest_next_at = next_occurrence(
            digest_schedule(user, ctx.rt.settings.default_digest_time), zone, ctx.now
        )
    if user.role == "client":
        for assignment in await homework.client_assignments(ctx.session, client_id=user.id):
            schedule = parse_schedule(assignment.schedule)
            last = await homework.latest_occurrence(
                ctx.session, assignment_id=assignment.id, until=ctx.now
            )
            if last is not None and isinstance(schedule, Once):
                continue  # it came already; the same wall time elsewhere must not bring it again
            after = max(ctx.now, last.due_at) if last is not None else ctx.now
            assignment.next_due_at = next_occurrence(schedule, zone, after)


def ask_digest_time(ctx: Ctx, user: User) -> None:
    """Ask when the daily digest should arrive."""
    user.dialog = {"ask": "digest_time"}
    ctx.say(
        ctx.t(
            "When would you like your daily digest of your clients' homework? "
            "Tap a time, or type one like 17:30."
        ),
        buttons=buttons([[(t, f"{DIGEST_PREFIX}{t}") for t in DIGEST_TIMES]]),
    )


async def digest_time_button(ctx: Ctx) -> None:
    """A digest time button was pressed."""
    if ctx.user is None or ctx.user.role != "therapist":
        ctx.toast(ctx.t("That button is no longer active."))
        return
    ctx.edit_buttons(None)
    await set_digest_time(ctx, ctx.user, ctx.data[len(DIGEST_PREFIX) :])


async def set_digest_time(ctx: Ctx, user: User, typed: str) -> None:
    """Store the therapist's digest time and plan the next digest."""
    try:
        schedule = parse_schedule(f"daily {typed.strip()}")
    except ValueError:
        ctx.say(ctx.t("Please send a time as HH:MM on the 24-hour clock, like 08:30 or 18:00."))
        return
    assert isinstance(schedule, Daily)
    user.digest_time = schedule.at.strftime("%H:%M")
    user.dialog = None
    await reschedule(ctx, user)
    ctx.say(
        ctx.t(
            "Your digest will come {when}, {zone} time. /digest sends one now.\n\n"
            "Next: /invite makes a one-time invite link for a client. /help lists everything.",
            when=describe_digest(user, ctx.rt.settings.default_digest_time),
            zone=zone_name(ZoneInfo(user.timezone), ctx.lang),
        )
    )


PRIVACY = N_(
    "Who sees what you write here:\n"
    "• Your therapist: your homework answers and photos, when you did homework, your "
    "ratings, comments and /notes, and your Telegram name. If you write something that "
    "makes me worry for your safety, they are told at once.\n"
    "• Telegram carries our messages. Chats with bots are not end-to-end encrypted, so "
    "Telegram's servers can see them, as with any ordinary chat.\n"
    "• Whoever runs this bot for your therapist looks after the stored data. It is kept "
    "encrypted and never written into logs.\n"
    "• Nobody else: other clients and therapists never see anything of yours.\n\n"
    "/export sends you a copy of everything kept about you. /delete erases it all, after "
    "you confirm; your therapist is told you left."
)


async def privacy_notice(ctx: Ctx) -> None:
    """/privacy: who can see what, and what the person can do about it."""
    ctx.say(ctx.t(PRIVACY))


async def show_help(ctx: Ctx) -> None:
    """/help: what this person can do here."""
    if ctx.user is None:
        await _welcome(ctx)
        return
    if ctx.user.role == "therapist":
        ctx.say(
            ctx.t(
                "What I can do for you:\n"
                "/invite [label] – a one-time invite link for a client\n"
                "/clients – your clients at a glance\n"
                "/client NAME – one client's homework and entries in full; reply to an entry\n"
                "/assign – give a client homework (or in one line: "
                "/assign robin gratitude daily 20:00)\n"
                "/digest – your digest now\n"
                "/settings – time zone and digest time\n"
                "/pause CLIENT [HOMEWORK], /resume … – hold or restart a client's reminders\n"
                "/reschedule CLIENT HOMEWORK SCHEDULE – change when homework is due\n"
                "/unassign CLIENT HOMEWORK – take homework back (entries are kept)\n"
                "/export CLIENT [DAYS] – a client's entries as CSV and a session-prep PDF\n"
                "/unlink CLIENT – end your link with a client\n"
                "/columbia CLIENT on|off – ask the Columbia screen after their risk messages\n"
                "/templates – the homework you can give; /preview NAME – try one as a client "
                "would\n"
                "/cancel – stop what we are doing"
            )
        )
        return
    ctx.say(
        ctx.t(
            "What I can do for you:\n"
            "/today – what is due, and start it\n"
            "/homework – all your homework\n"
            "/settings – your time zone, language and quiet hours\n"
            "/pause and /resume – stop reminders for a while, and start them again\n"
            "/note – leave a message or question for your therapist's next session\n"
            "/progress – a chart of how your homework is going\n"
            "/privacy – who sees what you write; /export a copy of it; /delete to erase it\n"
            "/unlink – end your link with your therapist\n"
            "/plan – your safety plan, in your own words\n"
            "/sos – crisis lines, any time\n"
            "While doing homework: /skip passes an optional question, /back changes your last "
            "answer, /cancel pauses (your answers are kept)."
        )
        + "\n\n"
        + ctx.t(NOT_AN_EMERGENCY)
    )


def ask_language(ctx: Ctx, user: User) -> None:
    """Offer the languages there are, as buttons (or typed: "English", "español")."""
    user.dialog = {"ask": "language"}
    ctx.say(
        ctx.t("Which language would you like me to use?"),
        buttons=buttons([[(name, f"set:lang:{code}") for code, name in LANGUAGE_NAMES.items()]]),
    )


async def set_language(ctx: Ctx, user: User, typed: str) -> None:
    """Store the language chosen; everything from now on is said in it."""
    language = pick_language(typed)
    if language is None:
        names = ", ".join(LANGUAGE_NAMES.values())
        ctx.say(ctx.t("I can speak {names}. Which would you like?", names=names))
        return
    user.language = language
    user.dialog = None
    ctx.say(ctx.t("Done: I'll speak {language} from now on.", language=language_name(language)))
    if ctx.bot is not None:
        bot, chat_id, role = ctx.bot, ctx.chat_id, user.role
        ctx.after_commit.append(lambda: menus.set_for_person(bot, chat_id, role, language))


async def settings(ctx: Ctx) -> None:
    """/settings: show the time zone (and digest time) and offer to change them."""
    if ctx.user is None:
        await _welcome(ctx)
        return
    zone = zone_name(ZoneInfo(ctx.user.timezone), ctx.lang)
    rows = [[(ctx.t("Change time zone"), "set:tz"), (ctx.t("Language"), "set:lang")]]
    text = ctx.t("Your time zone: {zone} ({key}).", zone=zone, key=ctx.user.timezone)
    text += "\n" + ctx.t("Language: {language}.", language=LANGUAGE_NAMES[ctx.lang])
    if ctx.user.role == "therapist":
        when = describe_digest(ctx.user, ctx.rt.settings.default_digest_time)
        text += "\n" + ctx.t("Your digest: {when}.", when=when)
        weekly = ctx.user.digest_weekday is not None
        rows.append(
            [
                (ctx.t("Change digest time"), "set:digest"),
                (ctx.t("Daily instead"), "set:daily")
                if weekly
                else (ctx.t("Weekly instead"), "set:weekly"),
            ]
        )
    else:
        quiet = quiet_hours_of(ctx.user.quiet_start, ctx.user.quiet_end)
        text += "\n" + (
            ctx.t("Quiet hours: {hours}.", hours=quiet.describe())
            if quiet
            else ctx.t("Quiet hours: none.")
        )
        text += "\n" + (
            ctx.t("Reminders: paused (/resume).")
            if ctx.user.paused_at
            else ctx.t("Reminders: on (/pause).")
        )
        rows.append([(ctx.t("Set quiet hours"), "set:quiet")])
    ctx.say(text, buttons=buttons(rows))


async def settings_button(ctx: Ctx) -> None:
    """A /settings button was pressed."""
    if ctx.user is None:
        ctx.toast(ctx.t("That button is no longer active."))
        return
    ctx.edit_buttons(None)
    therapist = ctx.user.role == "therapist"
    if ctx.data == "set:lang":
        ask_language(ctx, ctx.user)
    elif ctx.data.startswith("set:lang:"):
        await set_language(ctx, ctx.user, ctx.data.removeprefix("set:lang:"))
    elif ctx.data == "set:digest" and therapist:
        ask_digest_time(ctx, ctx.user)
    elif ctx.data == "set:weekly" and therapist:
        days = [(name, f"set:day:{n}") for n, name in enumerate(day_names(ctx.lang))]
        ctx.say(
            ctx.t("Which day should your weekly digest come?"),
            buttons=buttons([days[:4], days[4:]]),
        )
    elif (ctx.data == "set:daily" or ctx.data.startswith("set:day:")) and therapist:
        day = ctx.data.removeprefix("set:day:")
        ctx.user.digest_weekday = int(day) if day.isdigit() and int(day) < 7 else None
        await reschedule(ctx, ctx.user)
        when = describe_digest(ctx.user, ctx.rt.settings.default_digest_time)
        ctx.say(
            ctx.t(
                "Your digest will come {when}, {zone} time, covering the time since the one "
                "before. /digest sends one now.",
                when=when,
                zone=zone_name(ZoneInfo(ctx.user.timezone), ctx.lang),
            )
        )
    else:
        ask_time_zone(ctx, ctx.user, then="changed")
