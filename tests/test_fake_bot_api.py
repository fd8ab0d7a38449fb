"""The fake Bot API, driven by the real python-telegram-bot client over loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fake_bot_api import FakeBotApi

NOW = 1_800_000_000


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB 22 warns (PTBDeprecationWarning) when it builds RetryAfter, which
    # `-W error` turns into an exception instead of RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(now=lambda: NOW) as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label.lower()}")] for label in labels]
    )


async def test_get_me_describes_the_bot(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "homework_test_bot"
    assert me.id == 123456
    assert api.calls[0].method == "getMe"


async def test_wrong_token_and_unknown_method(api: FakeBotApi, bot: Bot) -> None:
    stranger = Bot("999:WRONG", base_url=api.base_url)
    try:
        with pytest.raises(InvalidToken, match="rejected"):
            await stranger.initialize()  # getMe answers 401 Unauthorized
    finally:
        await stranger.shutdown()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTeleportation")
    assert api.calls[-1].error_code == 404


async def test_json_body_is_accepted(api: FakeBotApi) -> None:
    alice = api.user(1001, "Alice")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{api.base_url}{api.token}/SENDMESSAGE",
            json={"chat_id": alice.id, "text": "123", "reply_markup": '{"inline_keyboard": []}'},
        ) as response,
    ):
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "123"
    assert api.calls[-1].params["reply_markup"] == {"inline_keyboard": []}
    assert api.last_sent(alice.id).text == "123"


async def test_send_press_answer_round_trip(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice", username="alice")
    sent = await bot.send_message(alice.id, "Ready?", reply_markup=keyboard("Yes", "No"))
    assert sent.chat.id == alice.id
    assert sent.date == dtm.datetime.fromtimestamp(NOW, tz=dtm.UTC)
    assert sent.reply_markup is not None

    record = api.last_sent(alice.id)
    assert record.buttons == [[("Yes", "cb:yes")], [("No", "cb:no")]]
    assert api.calls[-1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Yes"

    update_id = alice.press("Yes")
    (update,) = await bot.get_updates(offset=0, timeout=0)
    assert update.update_id == update_id
    query = update.callback_query
    assert query is not None
    assert query.data == "cb:yes"
    assert query.from_user.username == "alice"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await query.answer("Noted") is True
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await query.answer()
    await api.wait_until_updates_fetched(update_id, timeout=1)

    # Confirming with offset drops the update.
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert api.pending_updates == []


async def test_press_by_callback_data_and_forged_data(api: FakeBotApi, bot: Bot) -> None:
    bob = api.user(1002, "Bob")
    await bot.send_message(bob.id, "Pick", reply_markup=keyboard("One"))
    alice_id = bob.press("cb:one")
    forged_id = bob.press_data("cb:admin")
    with pytest.raises(AssertionError, match="no callback button 'Two'"):
        bob.press("Two")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [alice_id, forged_id]
    assert [u.callback_query.data for u in updates if u.callback_query] == ["cb:one", "cb:admin"]


async def test_edits_update_the_record(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    sent = await bot.send_message(alice.id, "Question", reply_markup=keyboard("A"))
    edited = await bot.edit_message_text(
        "Answered", chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("Undo")
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Answered"
    record = api.last_sent(alice.id)
    assert (record.text, record.edited) == ("Answered", True)
    assert record.buttons == [[("Undo", "cb:undo")]]

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Answered", chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("Undo")
        )
    # Like the real API, editing the text without reply_markup drops the keyboard.
    await bot.edit_message_text("Answered", chat_id=alice.id, message_id=sent.message_id)
    assert record.reply_markup is None
    assert record.buttons == []
    await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("Again")
    )
    assert record.buttons == [[("Again", "cb:again")]]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)

    assert await bot.delete_message(alice.id, sent.message_id) is True
    assert record.deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)


async def test_message_ids_increase_per_chat(api: FakeBotApi, bot: Bot) -> None:
    alice, bob = api.user(1001, "Alice"), api.user(1002, "Bob")
    first = await bot.send_message(alice.id, "1")
    alice.send_text("hello")
    second = await bot.send_message(alice.id, "2")
    other = await bot.send_message(bob.id, "1")
    assert (first.message_id, second.message_id, other.message_id) == (1, 3, 1)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "nobody here")


async def test_blocked_chat_raises_forbidden(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    api.block(alice.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(alice.id, "Reminder")
    with pytest.raises(Forbidden):
        await bot.send_document(alice.id, document=b"x", filename="x.txt")
    assert api.sent_to(alice.id) == []
    assert api.calls[-1].error_code == 403


async def test_rate_limit_once_raises_retry_after(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    api.rate_limit_once(alice.id, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "Reminder")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert api.calls[-1].error_code == 429
    await bot.send_message(alice.id, "Reminder")
    assert [m.text for m in api.sent_to(alice.id)] == ["Reminder"]


async def test_html_is_checked_and_rendered(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    sent = await bot.send_message(alice.id, "<b>Hi</b> &lt;you&gt;", parse_mode="HTML")
    assert sent.text == "Hi <you>"
    assert api.last_sent(alice.id).text == "<b>Hi</b> &lt;you&gt;"
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(alice.id, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Unsupported start tag"):
        await bot.send_message(alice.id, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)


async def test_files_both_ways(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    update_id = alice.send_document("notes.txt", b"my notes", "text/plain")
    (update,) = await bot.get_updates(timeout=0)
    assert update.update_id == update_id
    assert update.message is not None and update.message.document is not None
    assert update.message.document.file_name == "notes.txt"
    telegram_file = await update.message.document.get_file()
    assert bytes(await telegram_file.download_as_bytearray()) == b"my notes"

    api.add_file("known-id", b"\x00\x01")
    assert bytes(await (await bot.get_file("known-id")).download_as_bytearray()) == b"\x00\x01"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")

    sent = await bot.send_document(
        alice.id, document=b"a,b\n1,2\n", filename="export.csv", caption="Your data"
    )
    assert sent.document is not None and sent.document.file_name == "export.csv"
    record = api.last_sent(alice.id)
    assert (record.method, record.document_name, record.caption) == (
        "sendDocument",
        "export.csv",
        "Your data",
    )
    assert record.file_data == b"a,b\n1,2\n"
    photo = await bot.send_photo(alice.id, photo=b"\x89PNG...", caption="chart")
    assert photo.photo and photo.caption == "chart"


async def test_user_inputs_are_valid_updates(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice", last_name="Liddell", language_code="de")
    ids = [
        alice.send_text("/start ABC"),
        alice.send_photo(),
        alice.send_sticker(),
        alice.send_voice(),
        api.group_message(1002, "Bob", -100123, "/help@homework_test_bot"),
    ]
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == ids
    start, photo, sticker, voice, group = (u.message for u in updates)
    assert start is not None and start.entities[0].length == 6
    assert start.from_user is not None and start.from_user.language_code == "de"
    assert photo is not None and photo.photo
    assert sticker is not None and sticker.sticker is not None
    assert voice is not None and voice.voice is not None
    assert group is not None and group.chat.type == "group"
    assert group.entities[0].length == len("/help@homework_test_bot")


async def test_long_poll_returns_when_an_update_arrives(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await api.wait_until_polling()

    async def write() -> int:
        return alice.send_text("hello")

    update_id = await asyncio.create_task(write())
    (update,) = await poll
    assert update.update_id == update_id
    assert loop.time() - started < 10


async def test_release_polling_ends_held_requests(api: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await api.wait_until_polling()
    api.release_polling()
    assert await poll == ()


async def test_wait_for_call_times_out_with_context(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    await bot.send_message(alice.id, "earlier")
    alice.send_text("anything")  # marks: earlier calls are no longer matched
    with pytest.raises(AssertionError, match=r"(?s)sendMessage call.*earlier"):
        await api.wait_for_call("sendMessage", timeout=0.05)
    found = await api.wait_for_call("sendMessage", since=0, timeout=0.05)
    assert found.params["text"] == "earlier"


async def test_application_replies_to_start_over_polling(api: FakeBotApi) -> None:
    alice = api.user(1001, "Alice")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Welcome, code {' '.join(context.args or [])}")

    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        update_id = alice.send_text("/start ABC")
        await api.wait_until_updates_fetched(update_id)
        reply = await api.wait_for_sent(alice.id)
        assert reply.text == "Welcome, code ABC"
    finally:
        loop = asyncio.get_running_loop()
        stopping = loop.time()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        assert loop.time() - stopping < 5
    # The updater's last getUpdates confirmed the update.
    assert api.pending_updates == []
