"""The client's voice: "how was this?" after every homework, and /note for the next session.

Both reach the therapist's next digest; "too hard" is shown there as something needing
attention. Nothing here is sent to the therapist at once: risk language in a note is
screened like every other text and alerts through the usual path.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.i18n import N_
from bot.render import buttons
from bot.runtime import Ctx, dialog_fresh, token_for
from conversations.choosing import fold
from conversations.engine import SKIP_WORDS
from storage import homework, notes, people
from storage.models import Entry

RATED = {"helpful": "helpful", "hard": "too hard", "not": "not for me"}
"""Button suffixes and the ratings they stand for."""
MAX_NOTE = 2000


async def ask_how_it_went(ctx: Ctx, entry: Entry) -> None:
    """After a finished homework: an optional "how was this?" with three buttons."""
    assert ctx.user is not None
    token = await token_for(
        ctx.session,
        owner_id=ctx.user.id,
        action="feedback",
        payload={"entry": entry.id},
        now=ctx.now,
    )
    ctx.say(
        ctx.t("How was this one for you? It's optional, and it helps your therapist."),
        buttons=buttons(
            [
                [(ctx.t("Helpful"), f"{token}:helpful"), (ctx.t("Too hard"), f"{token}:hard")],
                [(ctx.t("Not for me"), f"{token}:not")],
            ]
        ),
    )


async def on_rating(ctx: Ctx, payload: dict[str, Any], sub: str) -> None:
    """A "how was this?" button: keep the rating, then offer room for a comment."""
    assert ctx.user is not None
    rating = RATED.get(sub)
    entry_id = payload.get("entry")
    entry = (
        await homework.client_entry(ctx.session, client_id=ctx.user.id, entry_id=entry_id)
        if isinstance(entry_id, int)
        else None
    )
    ctx.edit_buttons(None)
    if rating is None or entry is None:
        ctx.say(ctx.t("That homework is no longer here, so there is nothing to rate."))
        return
    if await notes.feedback_of_entry(ctx.session, client_id=ctx.user.id, entry_id=entry.id):
        ctx.say(ctx.t("You told me already, thank you."))
        return
    link = await homework.live_link_of_entry(ctx.session, entry=entry)
    if link is None:
        ctx.say(
            ctx.t(
                "Thank you for telling me. The therapist who gave it is no longer linked with "
                "you, so I'll keep it with your entry."
            )
        )
    note = await notes.add_note(
        ctx.session,
        client_id=ctx.user.id,
        link_id=link.id if link is not None else None,
        kind="feedback",
        rating=rating,
        entry=entry,
        now=ctx.now,
    )
    if link is None:
        return
    ctx.user.dialog = {"ask": "feedback_comment", "note": note.id, "at": ctx.now.isoformat()}
    first = {
        "helpful": N_("Thank you, I'm glad it helped."),
        "too hard": N_(
            "Thank you for saying so. Your therapist will see it, so you can find a way to "
            "make it easier together."
        ),
        "not for me": N_("Thank you for saying so; your therapist will see it."),
    }[rating]
    ctx.say(ctx.t(first) + " " + ctx.t("Anything you'd like to add? Type it here, or /skip."))


async def comment(ctx: Ctx, text: str) -> None:
    """What the client typed after rating a homework."""
    assert ctx.user is not None
    note_id = (ctx.user.dialog or {}).get("note")
    ctx.user.dialog = None
    if fold(text) in NOTHING_TO_ADD:
        ctx.say(ctx.t("Okay, nothing added."))
        return
    note = (
        await notes.own_note(ctx.session, client_id=ctx.user.id, note_id=note_id)
        if isinstance(note_id, int)
        else None
    )
    if note is None:
        await keep_note(ctx, text)  # nothing lost: kept as a note for the next session
        return
    note.text = text.strip()[:MAX_NOTE]
    note.created_at = ctx.now  # the rating and its comment reach the next digest together
    ctx.say(ctx.t("Thank you, your therapist will see it with your homework."))


NOTHING_TO_ADD = SKIP_WORDS | {"no", "no thanks", "nothing", "no gracias", "nada"}
"""A comment that declines to comment (the question said "or /skip")."""
COMMENT_WAIT = timedelta(minutes=30)
"""How long a comment on a rating is waited for; later words are not taken as one."""


def waiting_for_comment(ctx: Ctx) -> bool:
    """True while a comment on a rating is waited for (closed once too old)."""
    dialog = (ctx.user.dialog if ctx.user is not None else None) or {}
    if dialog.get("ask") != "feedback_comment":
        return False
    if not dialog_fresh(dialog, ctx.now, COMMENT_WAIT):
        assert ctx.user is not None
        ctx.user.dialog = None
        return False
    return True


def skip_comment(ctx: Ctx) -> bool:
    """/skip after a rating: no comment. False when no comment was asked for."""
    if ctx.user is None or (ctx.user.dialog or {}).get("ask") != "feedback_comment":
        return False
    ctx.user.dialog = None
    ctx.say(ctx.t("Okay. Thank you for doing it."))
    return True


async def note(ctx: Ctx) -> None:
    """/note TEXT: a message or question for the next session (alone: asks for it)."""
    user = ctx.user
    assert user is not None
    if user.role != "client":
        ctx.say(ctx.t("/note is for clients to leave a message for their therapist."))
        return
    link = await people.active_link(ctx.session, client_id=user.id)
    if link is None:
        ctx.say(
            ctx.t(
                "You aren't linked with a therapist right now, so there is nobody to pass a note "
                "to. Ask your therapist for a new invite link."
            )
        )
        return
    text = " ".join(ctx.args).strip()
    if not text:
        user.dialog = {"ask": "note"}
        ctx.say(
            ctx.t(
                "What would you like your therapist to know, or to talk about next time? "
                "Type it here (or /cancel)."
            )
        )
        return
    await keep_note(ctx, text)


async def keep_note(ctx: Ctx, text: str) -> None:
    """Store a typed note for the client's therapist."""
    user = ctx.user
    assert user is not None
    user.dialog = None
    link = await people.active_link(ctx.session, client_id=user.id)
    if link is None:
        ctx.say(ctx.t("You aren't linked with a therapist right now, so I couldn't pass that on."))
        return
    await notes.add_note(
        ctx.session,
        client_id=user.id,
        link_id=link.id,
        kind="note",
        text=text.strip()[:MAX_NOTE],
        now=ctx.now,
    )
    ctx.say(ctx.t("Thank you. Your therapist will see your note before your next session."))
