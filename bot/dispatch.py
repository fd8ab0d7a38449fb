"""Which function handles which update: commands, typed text, other content, buttons."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import (
    authoring,
    caseload,
    columbia,
    exports,
    homework,
    notes,
    onboarding,
    plan,
    privacy,
    progress,
    reminders,
    safety,
    therapist,
)
from bot.messages import CONTENT
from bot.onboarding import SOS_HINT
from bot.pipeline import handler
from bot.render import TOKEN_PREFIX, parse_answer_data
from bot.replies import Keyboard
from bot.runtime import Ctx, Handler, PtbCallback, command_of, offered_choices
from conversations.choosing import Picked, Unsure, match_choice
from conversations.engine import Back, Event, Press, Skip, Text
from conversations.kinds.base import Media
from storage import buttons as tokens
from storage import people


async def on_text(ctx: Ctx) -> None:
    """Typed text: an answer to whatever the bot is waiting for."""
    if ctx.user is None:
        if await onboarding.typed_invite_answer(ctx):
            return
        held = await _held(ctx)
        ctx.say(
            ctx.t(
                "Your invite is waiting for your answer: please tap Yes or No above, or type "
                "yes or no."
            )
            if held
            else ctx.t("Hello! To begin, open the invite link your therapist sent you.")
            + " "
            + ctx.t(SOS_HINT)
        )
        return
    if await safety.typed_check_in(ctx):
        entry = await homework.open_entry_of(ctx)
        if entry is not None and not homework.asked_since(ctx.user, entry):
            await homework.show_current(ctx, entry)  # back to where they were
        return
    asked = (ctx.user.dialog or {}).get("ask")
    # The words of a button just offered (the bot's latest question) are that button, even
    # with homework open or another question waiting; numbers and near misses are read
    # below, after homework answers (a "7" on a scale is an answer, not the 7th button).
    if asked not in FREE_TEXT and await typed_choice(ctx, words_only=True):
        return
    entry = await homework.open_entry_of(ctx)
    if entry is not None and not homework.asked_since(ctx.user, entry):
        await homework.answer_text(ctx, entry, ctx.text)
        return
    await _answer_typed(ctx)
    if entry is not None and not (ctx.user.dialog or {}).get("ask"):
        # The question asked over their homework is answered: back to where they were.
        await homework.show_current(ctx, entry)


async def _answer_typed(ctx: Ctx) -> None:
    """Typed text outside homework: the answer to the bot's question, a button's words, a
    homework's name, or a kind word on what the bot can do."""
    assert ctx.user is not None
    if await authoring.preview_event(
        ctx,
        Text(
            ctx.text,
            sent_at=ctx.sent_at,
            today=homework.today_of(ctx),
            received_at=ctx.now.timestamp(),
        ),
    ):
        return
    notes.waiting_for_comment(ctx)  # a comment waited for too long is not waited for now
    ask = (ctx.user.dialog or {}).get("ask")
    if ask in CHOSEN and ctx.text.strip().isdecimal() and await typed_choice(ctx):
        return  # a question with buttons (time zone, digest time, language): one by number
    if ask == "time_zone":
        await onboarding.set_time_zone(ctx, ctx.user, ctx.text)
    elif ask == "language":
        await onboarding.set_language(ctx, ctx.user, ctx.text)
    elif ask == "digest_time":
        await onboarding.set_digest_time(ctx, ctx.user, ctx.text)
    elif ask == "assign_schedule":
        await therapist.typed_schedule(ctx, ctx.text)
    elif ask == "quiet_hours":
        await reminders.set_quiet_hours(ctx, ctx.user, ctx.text)
    elif ask == "feedback_comment":
        await notes.comment(ctx, ctx.text)
    elif ask == "note":
        await notes.keep_note(ctx, ctx.text)
    elif ask == "reply" and ctx.user.role == "therapist":
        await caseload.send_reply(ctx, ctx.text)
    elif await typed_choice(ctx) or await homework.start_by_name(ctx, ctx.text):
        return  # a button offered, or one of their homework's names ("diario de gratitud")
    else:
        hint = (
            ctx.t("/today shows your homework, /note sends your therapist a message")
            if ctx.user.role == "client"
            else ctx.t("/assign gives homework")
        )
        ctx.say(
            ctx.t(
                "I'm not sure what to do with that message. {hint}; /help lists everything.",
                hint=hint,
            )
            + " "
            + ctx.t(SOS_HINT)
        )


CHOSEN = ("time_zone", "digest_time", "language")
"""Questions whose buttons may be chosen by number while their typed answer is waited for."""


FREE_TEXT = ("note", "reply", "feedback_comment")
"""Questions answered in the person's own words: never read as a button."""


async def typed_choice(ctx: Ctx, *, words_only: bool = False) -> bool:
    """Typed text read as one of the buttons last offered in this chat: pressed as if
    tapped, or asked back when it is close to more than one. False when it is none.
    `words_only`: only a button's own words (or its first words), no number, no near miss."""
    assert ctx.user is not None
    offered = offered_choices(ctx.user.offered, ctx.now)
    if offered is None or (words_only and ctx.text.strip().isdecimal()):
        return False
    choices = offered.choices()
    # What can't be undone is chosen by its number or its words only, never by a near miss.
    fuzzy = not words_only and not (ctx.user.offered or {}).get("confirm")
    found = match_choice(ctx.text, [c.label for c in choices], close=fuzzy)
    if words_only and not isinstance(found, Picked):
        return False
    if isinstance(found, Picked):
        ctx.user.offered = None
        ctx.data = choices[found.index].data
        await on_button(ctx)
        return True
    if isinstance(found, Unsure):
        close = [choices[i] for i in found.indexes[:4]]
        listed = "\n".join(f"{number}. {c.label}" for number, c in enumerate(close, 1))
        asked = (
            ctx.t("Did you mean this one? Tap it, or type 1.")
            if len(close) == 1
            else ctx.t("Did you mean one of these? Tap it, or type its number.")
        )
        ctx.say(
            asked + "\n" + listed,
            buttons=Keyboard(tuple((c,) for c in close)),
        )
        return True
    return False


async def _held(ctx: Ctx) -> bool:
    held = await people.find_held_invite(ctx.session, telegram_id=ctx.telegram_id, now=ctx.now)
    return held is not None


async def other_content(ctx: Ctx) -> None:
    """A photo, sticker, voice note and the like; a therapist's template sent as a file."""
    if await homework.on_other(ctx, ctx.content):
        return
    if ctx.user is not None and ctx.user.role == "therapist":
        if ctx.document is not None:
            await authoring.receive_template(ctx)
            return
        if await authoring.preview_event(ctx, ctx.media or Media(ctx.content)):
            return
    ctx.say(
        ctx.t(
            "Thanks, but I can only read typed messages, not {what}. /help lists what I can do.",
            what=ctx.t(CONTENT.get(ctx.content, CONTENT["message"])),
        )
        + " "
        + ctx.t(SOS_HINT)
    )


def registered(fn: Handler) -> Handler:
    """A command for people who registered or consented; others are shown how to begin."""

    async def run(ctx: Ctx) -> None:
        if ctx.user is None:
            await onboarding.show_help(ctx)
            return
        # Another command ends a reply or note the bot was waiting for (/skip passes a
        # comment): words typed later are never sent somewhere the person has forgotten.
        ask = (ctx.user.dialog or {}).get("ask")
        command = command_of(ctx.text)
        if ask in ("reply", "note") or (ask == "feedback_comment" and command != "/skip"):
            ctx.user.dialog = None
        await fn(ctx)

    return run


def in_preview(event: Event, otherwise: Handler) -> Handler:
    """/skip and /back go to a therapist's preview when one is open."""

    async def run(ctx: Ctx) -> None:
        if not await authoring.preview_event(ctx, event):
            await otherwise(ctx)

    return run


def during_homework(command: str, otherwise: Handler) -> Handler:
    """A command that waits while a homework conversation is open."""

    async def run(ctx: Ctx) -> None:
        if not await homework.mid_step_command(ctx, command):
            await otherwise(ctx)

    return run


async def cancel(ctx: Ctx) -> None:
    """/cancel: pause the homework in progress, or end a question the bot is waiting on."""
    if await homework.pause(ctx):
        return
    if ctx.user is not None and ctx.user.dialog:
        ctx.user.dialog = None
        ctx.say(ctx.t("OK, stopped. Nothing was changed."))
        return
    ctx.say(ctx.t("There is nothing to cancel right now."))


async def skip(ctx: Ctx) -> None:
    """/skip: pass an optional question, or the comment after rating a homework."""
    if await homework.open_entry_of(ctx) is None and notes.skip_comment(ctx):
        return
    await homework.skip(ctx)


async def start(ctx: Ctx) -> None:
    """/start: a code from a link, or a welcome (mid-homework: the question again)."""
    if ctx.args or not await homework.mid_step_command(ctx, "/start"):
        await onboarding.start(ctx)


async def show_help(ctx: Ctx) -> None:
    """/help, then the open question again if there is one."""
    await onboarding.show_help(ctx)
    entry = await homework.open_entry_of(ctx)
    if entry is not None:
        await homework.show_current(ctx, entry)


async def unknown_command(ctx: Ctx) -> None:
    """A command the bot does not have."""
    command = ctx.text.split()[0] if ctx.text else "that"
    if not await homework.mid_step_command(ctx, command):
        ctx.say(ctx.t("I don't know {command}. /help lists what I can do.", command=command[:30]))


async def on_button(ctx: Ctx) -> None:
    """Every button press, checked against the person pressing it."""
    data = ctx.data
    answer = parse_answer_data(data)
    if answer is not None and answer[0] == authoring.PREVIEW:
        if not await authoring.preview_event(ctx, Press(answer[1], answer[2])):
            ctx.toast(ctx.t("That preview has ended."))
    elif answer is not None:
        await homework.on_answer_button(ctx, *answer)
    elif data.startswith(onboarding.CONSENT_PREFIX):
        await onboarding.consent(ctx)
    elif data.startswith(onboarding.ZONE_PREFIX):
        await onboarding.time_zone_button(ctx)
    elif data.startswith(onboarding.DIGEST_PREFIX):
        await onboarding.digest_time_button(ctx)
    elif data == "set:quiet" and ctx.user is not None:
        ctx.edit_buttons(None)
        reminders.ask_quiet_hours(ctx, ctx.user)
    elif data.startswith("set:"):
        await onboarding.settings_button(ctx)
    elif data.startswith(TOKEN_PREFIX) and ctx.user is not None:
        await _token_button(ctx, data[len(TOKEN_PREFIX) :])
    else:
        ctx.toast(ctx.t("That button is no longer active."))


async def _token_button(ctx: Ctx, token: str) -> None:
    assert ctx.user is not None
    token, _, sub = token.partition(":")
    found = await tokens.redeem_token(ctx.session, token=token, user_id=ctx.user.id, now=ctx.now)
    if isinstance(found, str):
        ctx.toast(
            ctx.t("That button is not for you.")
            if found == "not_yours"
            else ctx.t("That button has expired.")
        )
        return
    if found.action == "reminder" and sub == "start":
        ctx.edit_buttons(None)
        await homework.start_token(ctx, found.payload)
    elif found.action == "reminder":
        # Skipping or snoozing happens once, however often the button is tapped.
        await tokens.spend_token(ctx.session, token=found)
        await reminders.on_button(ctx, found.payload, sub)
    elif found.action == "start":
        ctx.edit_buttons(None)
        await homework.start_token(ctx, found.payload)
    elif found.action == "resume":
        ctx.edit_buttons(None)
        await homework.resume_token(ctx, found.payload)
    elif found.action == "feedback":
        await tokens.spend_token(ctx.session, token=found)  # rated once, however many taps
        await notes.on_rating(ctx, found.payload, sub)
    elif found.action == "ack":
        await safety.acknowledge(ctx, found.payload)
    elif found.action == "checkin":
        await tokens.spend_token(ctx.session, token=found)  # one answer, however many taps
        await safety.check_in_answer(ctx, found.payload, sub)
    elif found.action == "columbia":
        await tokens.spend_token(ctx.session, token=found)  # one answer, however many taps
        await columbia.on_button(ctx, found.payload, sub, country=safety.country_of(ctx))
    elif found.action == "recent":
        await therapist.recent_entries(ctx, found.payload)
    elif found.action == "unlink":
        await tokens.spend_token(ctx.session, token=found)
        await privacy.unlink_token(ctx, found.payload)
    elif found.action in ("erase", "erase_no"):
        await tokens.spend_token(ctx.session, token=found)
        await privacy.erase_token(ctx, found.action == "erase")
    elif found.action == "export":
        await tokens.spend_token(ctx.session, token=found)
        await exports.export_token(ctx, found.payload)
    elif found.action == "client_open":
        await caseload.open_token(ctx, found.payload)
    elif found.action == "client_page":
        await caseload.page_token(ctx, found.payload)
    elif found.action == "reply":
        await caseload.reply_token(ctx, found.payload)
    elif found.action.startswith("homework_"):
        if found.action == "homework_stop_sure":
            await tokens.spend_token(ctx.session, token=found)
        await caseload.homework_token(ctx, found.action, found.payload)
    elif found.action.startswith("assign"):
        if found.action == "assign":
            # This press creates an assignment: a double tap must not create two.
            await tokens.spend_token(ctx.session, token=found)
        await therapist.assign_token(ctx, found.action, found.payload)
    else:
        ctx.toast(ctx.t("That button is no longer active."))


COMMANDS: dict[str, Handler] = {
    "start": start,
    "sos": safety.sos,
    "help": show_help,
    "privacy": onboarding.privacy_notice,
    "cancel": cancel,
    "skip": registered(in_preview(Skip(), skip)),
    "back": registered(in_preview(Back(), homework.back)),
    "templates": registered(authoring.list_templates),
    "preview": registered(authoring.preview),
    "today": registered(during_homework("/today", homework.today)),
    "homework": registered(during_homework("/homework", homework.today)),
    "settings": registered(during_homework("/settings", onboarding.settings)),
    "pause": registered(during_homework("/pause", reminders.pause)),
    "resume": registered(during_homework("/resume", reminders.resume)),
    "invite": registered(therapist.invite),
    "clients": registered(therapist.clients),
    "assign": registered(therapist.assign),
    "digest": registered(therapist.digest_now),
    "client": registered(caseload.client),
    "unassign": registered(caseload.unassign),
    "reschedule": registered(caseload.reschedule),
    "export": registered(during_homework("/export", exports.export)),
    "delete": registered(during_homework("/delete", privacy.delete)),
    "unlink": registered(during_homework("/unlink", privacy.unlink)),
    "note": registered(during_homework("/note", notes.note)),
    "progress": registered(during_homework("/progress", progress.progress)),
    "plan": registered(plan.show_plan),
    "columbia": registered(columbia.set_columbia),
}


async def edited(ctx: Ctx) -> None:
    """An edited message: answers are kept as first sent."""
    ctx.say(
        ctx.t(
            "I can't take edits to messages, so I keep what you first sent. "
            "While doing homework, /back lets you change your last answer."
        )
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Attach every handler to the application, each behind the risk screen."""
    new = filters.UpdateType.MESSAGE

    def guarded(fn: Handler) -> PtbCallback:
        return handler(fn, on_risk=safety.respond)

    for name, fn in COMMANDS.items():
        application.add_handler(CommandHandler(name, guarded(fn), filters=new))
    application.add_handler(MessageHandler(new & filters.COMMAND, guarded(unknown_command)))
    application.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, guarded(on_text)))
    application.add_handler(
        MessageHandler(new & ~filters.TEXT & ~filters.StatusUpdate.ALL, guarded(other_content))
    )
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, guarded(edited)))
    application.add_handler(CallbackQueryHandler(guarded(on_button)))
