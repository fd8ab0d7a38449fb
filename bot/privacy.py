"""A client's say over their data: /delete erases it (after a confirmation, in steps the
tick carries on after any restart, and their therapist is told); retention removes old
data on the operator's schedule.

::

    /delete ─► [Yes, delete everything] ─► links end at once; the tick erases in batches
                                        ─► "Everything you wrote here is deleted."
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.caseload import find_one
from bot.i18n import tr
from bot.render import buttons
from bot.runtime import Ctx, Runtime, button_token
from storage import keys, outbox, people, privacy

log = logging.getLogger(__name__)

ERASE_BATCH = 200
"""Entries deleted per transaction while erasing."""
ERASE_STEPS = 20
"""Batches per tick (a large history is erased over a few ticks, never one long lock)."""
RETENTION_EVERY = timedelta(minutes=10)


async def delete(ctx: Ctx) -> None:
    """/delete: erase everything this client wrote, once they confirm."""
    user = ctx.user
    assert user is not None
    if user.role != "client":
        ctx.say(
            ctx.t(
                "/delete is for clients to erase what they wrote. To stop using the bot as a "
                "therapist, ask the person who runs it."
            )
        )
        return
    sure = await button_token(ctx, "erase", {})
    keep = await button_token(ctx, "erase_no", {})
    ctx.say(
        ctx.t(
            "This deletes everything you have written here: your homework answers, notes and "
            "photos, and your link with your therapist, who will be told that you left. It "
            "can't be undone. If you'd like a copy first, /export sends you one."
        ),
        buttons=buttons(
            [[(ctx.t("Yes, delete everything"), sure)], [(ctx.t("No, keep my data"), keep)]]
        ),
    )


async def erase_token(ctx: Ctx, confirmed: bool) -> None:
    """The /delete confirmation: start erasing (links end at once), or keep everything."""
    user = ctx.user
    assert user is not None
    ctx.edit_buttons(None)
    if not confirmed:
        ctx.say(ctx.t("Nothing was deleted. Everything you wrote is kept."))
        return
    if user.erasing_at is not None:
        ctx.say(ctx.t("Your data is already being deleted."))
        return
    # Their data key goes first: once this commits, nothing of theirs can be read, in the
    # rows still to be deleted or in any copy of them (storage/keys.py).
    await keys.shred(ctx.session, user)
    rt = ctx.rt
    # (A short wait for older snapshots here: the reply waits on it. The last erasure step
    # scrubs again, waiting longer.)
    ctx.after_commit.append(lambda: _checkpoint(rt, wait=2.0))
    user.erasing_at = ctx.now
    user.paused_at = ctx.now
    user.dialog = None
    every_link = await people.links_of_client(ctx.session, client_id=user.id)
    await outbox.withdraw_about(
        ctx.session, client_id=user.id, link_ids={link.id for link in every_link}
    )
    # What their therapists were sent may quote them (a digest is under the operator's key).
    await privacy.scrub_sent(ctx.session, user_ids={link.therapist_id for link in every_link})
    for link in await people.active_links(ctx.session, client_id=user.id):
        link.ended_at = ctx.now  # sharing stops now, before a single row is erased
        therapist = await people.get_user_by_id(ctx.session, user_id=link.therapist_id)
        if therapist is None:
            continue
        name = people.client_display_name(link, user)
        await outbox.notify(
            ctx.session,
            person=therapist,
            kind="unlinked",
            key=f"erased-link:{link.id}:{link.consented_at.timestamp():.6f}",
            text=tr(
                therapist.language,
                "{name} has deleted their data and left, so their entries, notes and any open "
                "risk alerts about them are no longer available here.",
                name=name,
            ),
            now=ctx.now,
        )
    await privacy.audit(
        ctx.session, actor=user, action="erase_requested", subject=f"client {user.id}", now=ctx.now
    )
    ctx.say(
        ctx.t(
            "Deleting everything now; I'll tell you when it's done. Take care of yourself. "
            "/sos shows crisis lines at any time."
        )
    )


async def erase_due(rt: Runtime) -> int:
    """Go on erasing clients who asked for it, a batch per transaction; a restart half-way
    just carries on. Returns how many clients were finished."""
    finished = 0
    for _ in range(ERASE_STEPS):
        async with rt.db.transaction() as session:
            found = await privacy.clients_being_erased(session)
            if not found:
                break
            client = found[0]
            client_id, chat_id, language = client.id, client.chat_id, client.language
            done = await privacy.erase_step(session, client=client, batch=ERASE_BATCH)
            if done:
                now = rt.clock.now()
                await privacy.audit(
                    session, actor=None, action="erased", subject=f"client {client_id}", now=now
                )
                await outbox.notify_chat(
                    session,
                    chat_id=chat_id,
                    user_id=None,
                    kind="unlinked",
                    key=f"erased-client:{client_id}:{now.isoformat()}",
                    text=tr(
                        language,
                        "Everything you wrote here is deleted. If you'd like to come back, "
                        "ask your therapist for a new invite link. /sos shows crisis lines at "
                        "any time.",
                    ),
                    now=now,
                )
        if done:
            finished += 1
            log.info("a client's data was erased at their request")
            # What was emptied rather than shredded: payloads sent to their therapists
            # (under the operator's key), and the therapists' buttons naming them.
            await _checkpoint(rt, "outbox", "users")
    return finished


async def _checkpoint(rt: Runtime, *tables: str, wait: float = 10.0) -> None:
    """No copy of an erased person's data key left in the live database (storage/db.py):
    on SQLite the write-ahead log is folded into the file (deleted pages are zeroed there:
    secure_delete), on PostgreSQL the key table (and `tables`) is rewritten."""
    try:
        await rt.db.scrub_erased(*tables, wait=wait)
    except Exception as error:  # best effort: the next erasure tick tries again
        log.info("the key table could not be scrubbed now: %s", type(error).__name__)


async def apply_retention(rt: Runtime) -> int:
    """What the operator's retention removes, now and then: entries older than
    RETENTION_DAYS (when set), sent outbox payloads older than OUTBOX_KEEP_DAYS, expired
    button tokens and unused codes."""
    now = rt.clock.now()
    if rt.last_retention_at is not None and now - rt.last_retention_at < RETENTION_EVERY:
        return 0
    rt.last_retention_at = now
    days = rt.settings.retention_days
    before = now - timedelta(days=days) if days else None
    gone = 0
    while True:
        async with rt.db.transaction() as session:
            step = await privacy.forget_old(session, now=now, entries_before=before)
            step += await privacy.scrub_sent(
                session, before=now - timedelta(days=rt.settings.outbox_keep_days)
            )
        gone += step
        if step == 0 or before is None:
            break
    if gone:
        log.info("retention removed or emptied %s rows", gone)
    return gone


async def unlink(ctx: Ctx) -> None:
    """/unlink: end a link (a client: with their therapist; a therapist: /unlink CLIENT),
    after a confirmation. Sharing stops at once; what the client wrote stays theirs."""
    user = ctx.user
    assert user is not None
    if user.role == "client":
        link = await people.active_link(ctx.session, client_id=user.id)
        if link is None:
            ctx.say(ctx.t("You aren't linked with a therapist at the moment."))
            return
        therapist = await people.get_user_by_id(ctx.session, user_id=link.therapist_id)
        who = therapist.name if therapist is not None else ctx.t("your therapist")
    else:
        if not ctx.args:
            ctx.say(
                ctx.t("/unlink CLIENT ends your link with a client, for example: /unlink robin")
            )
            return
        found = await find_one(ctx, user, " ".join(ctx.args))
        if found is None:
            return
        link, client = found
        who = people.client_display_name(link, client)
    sure = await button_token(ctx, "unlink", {"link": link.id})
    ctx.say(
        ctx.t(
            "End your link with {who}? They will no longer see your homework from now on; "
            "nothing written is deleted (/delete does that).",
            who=who,
        )
        if user.role == "client"
        else ctx.t(
            "End your link with {who}? They will no longer see this bot's homework with you "
            "from now on; nothing written is deleted.",
            who=who,
        ),
        buttons=buttons([[(ctx.t("Yes, end the link with {who}", who=who)[:60], sure)]]),
    )


async def unlink_token(ctx: Ctx, payload: dict[str, object]) -> None:
    """The /unlink confirmation: the link ends now; the other side is told."""
    user = ctx.user
    assert user is not None
    ctx.edit_buttons(None)
    link_id = payload.get("link")
    link = await people.get_link(ctx.session, link_id=link_id) if isinstance(link_id, int) else None
    if (
        link is None
        or link.ended_at is not None
        or user.id not in (link.client_id, link.therapist_id)
    ):
        ctx.say(ctx.t("That link has already ended."))
        return
    link.ended_at = ctx.now
    client = await people.get_user_by_id(ctx.session, user_id=link.client_id)
    therapist = await people.get_user_by_id(ctx.session, user_id=link.therapist_id)
    if client is None or therapist is None:
        return
    name = people.client_display_name(link, client)
    await privacy.audit(
        ctx.session, actor=user, action="unlinked", subject=f"link {link.id}", now=ctx.now
    )
    if user.id == client.id:
        ctx.say(
            ctx.t(
                "Your link with {therapist} has ended; they no longer see your homework. "
                "Everything you wrote stays yours: /export sends a copy, /delete erases it.",
                therapist=therapist.name,
            )
        )
        other, text = (
            therapist,
            tr(
                therapist.language,
                "{name} ended their link with you, so you no longer see their homework here.",
                name=name,
            ),
        )
    else:
        ctx.say(
            ctx.t("Your link with {name} has ended; you no longer see their homework.", name=name)
        )
        other, text = (
            client,
            tr(
                client.language,
                "{therapist} ended your link here, so they no longer see your homework. "
                "Everything you wrote stays yours: /export sends a copy, /delete erases it.",
                therapist=therapist.name,
            ),
        )
    await outbox.notify(
        ctx.session,
        person=other,
        kind="unlinked",
        key=f"link-ended:{link.id}:{link.consented_at.timestamp():.6f}",
        text=text,
        now=ctx.now,
    )
