"""Updates: one chat's in order and one at a time, other chats at once; redelivery is a no-op."""

from __future__ import annotations

import asyncio
import copy

from sqlalchemy import func, select
from telegram import Update

from bot.updates import ChatOrderedProcessor
from storage.models import Entry
from tests.harness import RunningBot, link_client, register_therapist, texts


def update_for(chat: int, update_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "Sam"},
                "text": "hi",
            },
        },
        None,
    )


async def test_one_chat_waits_its_turn_while_other_chats_go_ahead() -> None:
    processor = ChatOrderedProcessor(8)
    log: list[str] = []
    release = asyncio.Event()

    async def work(name: str, wait: bool = False) -> None:
        log.append(f"start {name}")
        if wait:
            await release.wait()
        log.append(f"end {name}")

    tasks = [
        asyncio.create_task(processor.process_update(update_for(1, 1), work("a1", wait=True))),
        asyncio.create_task(processor.process_update(update_for(1, 2), work("a2"))),
        asyncio.create_task(processor.process_update(update_for(2, 3), work("b1"))),
    ]
    await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["start a1", "start b1", "end b1"]  # chat 2 did not wait for chat 1
    release.set()
    await asyncio.gather(*tasks)
    assert log[3:] == ["end a1", "start a2", "end a2"]  # chat 1's second came after its first
    assert processor.chats_in_hand == 0  # idle chats are forgotten


async def test_a_redelivered_update_changes_nothing_and_is_not_answered_twice(
    running: RunningBot,
) -> None:
    therapist = running.api.user(9601, "Dana", username="dana_fake")
    client = running.api.user(9602, "Robin", username="robin_example")
    await register_therapist(running, therapist)
    await link_client(running, therapist, client, "Robin")
    await running.send(therapist, "/assign robin gratitude daily 20:00")
    replies = await running.send(client, "/today")
    await running.press(client, "Start gratitude entry", replies[-1])
    update_id = client.send_text("A long walk")
    await running.handled_by_bot(update_id)
    assert running.application is not None
    fetched = next(
        c
        for c in running.api.calls_of("getUpdates")
        if c.ok and any(u["update_id"] == update_id for u in c.result)
    )
    raw = next(u for u in fetched.result if u["update_id"] == update_id)
    before = len(running.api.sent_to(client.chat_id))
    for _ in range(2):  # Telegram sends it again (a slow webhook, a crash before the offset)
        again = Update.de_json(copy.deepcopy(raw), running.application.bot)
        await running.application.process_update(again)
    assert len(running.api.sent_to(client.chat_id)) == before
    replies = await running.send(client, "The sun came out")
    assert "3 of 6" in texts(replies)  # the copy was not taken as the answer to question 2
    assert running.db is not None
    async with running.db.transaction() as session:
        count = (await session.execute(select(func.count()).select_from(Entry))).scalar_one()
        entry = (await session.execute(select(Entry))).scalar_one()
    assert count == 1
    assert entry.state["answers"] == {
        "good_things.1.what": "A long walk",
        "good_things.1.why": "The sun came out",
    }
