"""A loopback fake of the Telegram Bot API for end-to-end tests.

The real python-telegram-bot ``Application`` talks to it over HTTP::

    async with FakeBotApi() as api:
        app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(f"{api.url}/bot")
            .base_file_url(f"{api.url}/file/bot")
            .build()
        )
        alice = api.user(1001, "Alice")
        alice.send_text("/start")
        ...
        call = await api.wait_for_call("sendMessage")

The server accepts parameters the way PTB sends them (form-encoded with JSON-encoded
objects, multipart when files are uploaded) and also as a JSON body. It records every
call, keeps the bot's messages so edits are visible, hands out user updates through
``getUpdates`` long polling and can be told to fail (blocked chats, rate limits).

Fidelity notes (behaviour of the real API that the fake reproduces on purpose):

* ``editMessageText`` without ``reply_markup`` removes the inline keyboard.
* Editing to identical text and markup fails with "message is not modified".
* Sending to a chat the fake has never seen fails with "chat not found"; register
  people with :meth:`FakeBotApi.user` (or :meth:`FakeBotApi.group_message`) first.
* ``parse_mode="HTML"`` text is checked for unsupported or unbalanced tags
  ("can't parse entities"); the message JSON then carries the plain text, as the real
  API does, while :attr:`SentMessage.text` keeps the text exactly as the bot sent it.
* Text over 4096 characters, captions over 1024, empty text and ``callback_data``
  over 64 bytes are rejected like the real API rejects them.
* A callback query can be answered once; an unknown or already answered id fails.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_USERNAME",
    "Call",
    "FakeBotApi",
    "FakeUser",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
DEFAULT_USERNAME = "homework_test_bot"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

_T = TypeVar("_T")
JsonDict = dict[str, Any]

# Parameters whose values are plain strings even when they look like JSON ("123", "true").
_STRING_PARAMS = frozenset(
    [
        "action",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "document",
        "emoji",
        "file_id",
        "inline_message_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "photo",
        "query",
        "secret_token",
        "short_description",
        "sticker",
        "text",
        "title",
        "url",
        "video",
        "voice",
    ]
)

# Sends that block() and rate_limit_once() act on.
_GUARDED_SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

_HTML_TAGS = frozenset(
    [
        "a",
        "b",
        "blockquote",
        "code",
        "del",
        "em",
        "i",
        "ins",
        "pre",
        "s",
        "span",
        "strike",
        "strong",
        "tg-emoji",
        "tg-spoiler",
        "u",
    ]
)


@dataclass
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes = dataclass_field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class StoredFile:
    """A file the fake can hand out through ``getFile`` and the file URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes = dataclass_field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class Call:
    """One request the bot made. ``params`` are decoded (``reply_markup`` is a dict,
    ``chat_id`` an int, uploaded files are :class:`UploadedFile`)."""

    method: str
    params: dict[str, Any]
    result: Any = None
    error_code: int | None = None
    description: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def __str__(self) -> str:
        shown = {key: value for key, value in self.params.items() if key != "reply_markup"}
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        return f"{self.method}({shown}) -> {outcome}"


@dataclass
class SentMessage:
    """A message the bot sent. Edits update it in place, so it always shows the current
    state; ``text`` is exactly what the bot sent (HTML tags included)."""

    chat_id: int
    message_id: int
    method: str
    text: str | None
    reply_markup: dict[str, Any] | None
    params: dict[str, Any]
    message: JsonDict
    caption: str | None = None
    document_name: str | None = None
    file_id: str | None = None
    file_data: bytes | None = None
    edited: bool = False
    deleted: bool = False
    history: list[str | None] = dataclass_field(default_factory=list)

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Inline keyboard rows as (text, callback_data); url buttons give ("text", "")."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [
            [(str(button.get("text", "")), str(button.get("callback_data", ""))) for button in row]
            for row in rows
        ]

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    @property
    def plain_text(self) -> str | None:
        """The text (or caption) as a person sees it (HTML parsed away)."""
        shown = self.message.get("text", self.message.get("caption"))
        return shown if isinstance(shown, str) else None


class FakeApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = dict(parameters) if parameters else None


class _Signal:
    """Wakes every waiter whenever something changes; usable from sync code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class _TelegramHtml(HTMLParser):
    """Validates Telegram's HTML subset and extracts the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.parts: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.error is None and tag not in _HTML_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.error is not None:
            return
        if not self.stack:
            self.error = f'Unexpected end tag "{tag}"'
        elif self.stack[-1] != tag:
            self.error = f'Unmatched end tag, expected "</{self.stack[-1]}>", found "</{tag}>"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _parse_html(text: str) -> str:
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error is not None:
        raise FakeApiError(400, f"Bad Request: can't parse entities: {parser.error}")
    return "".join(parser.parts)


_SWALLOWED = frozenset({"sendmessage", "sendphoto", "senddocument"})


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeUser:
    """A person writing to the bot in their private chat (chat id == user id)."""

    def __init__(self, api: FakeBotApi, user: JsonDict) -> None:
        self.api = api
        self.user = user

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def first_name(self) -> str:
        return str(self.user["first_name"])

    @property
    def messages(self) -> list[SentMessage]:
        """What the bot sent to this person, oldest first."""
        return self.api.sent_to(self.id)

    def send_text(self, text: str, *, reply_to: SentMessage | None = None) -> int:
        return self.api.queue_user_message(self.user, self.chat_id, {"text": text}, reply_to)

    def send_photo(self, data: bytes = b"\x89PNG\r\n\x1a\nfake", caption: str | None = None) -> int:
        small = self.api.register_upload("photo", data, "photos")
        large = self.api.register_upload("photo", data, "photos")
        content: JsonDict = {
            "photo": [
                {**self.api.file_ref(small), "width": 90, "height": 90},
                {**self.api.file_ref(large), "width": 800, "height": 800},
            ]
        }
        if caption is not None:
            content["caption"] = caption
        return self.api.queue_user_message(self.user, self.chat_id, content, None)

    def send_sticker(self, emoji: str = "👍") -> int:
        stored = self.api.register_upload("sticker", b"RIFFfake-webp", "stickers")
        sticker = {
            **self.api.file_ref(stored),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.api.queue_user_message(self.user, self.chat_id, {"sticker": sticker}, None)

    def send_document(
        self,
        file_name: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        stored = self.api.register_upload("document", data, "documents")
        stored.file_name, stored.mime_type = file_name, mime_type
        content: JsonDict = {
            "document": {
                **self.api.file_ref(stored),
                "file_name": file_name,
                "mime_type": mime_type,
            }
        }
        if caption is not None:
            content["caption"] = caption
        return self.api.queue_user_message(self.user, self.chat_id, content, None)

    def send_voice(self, data: bytes = b"OggSfake", duration: int = 3) -> int:
        stored = self.api.register_upload("voice", data, "voice")
        voice = {**self.api.file_ref(stored), "duration": duration, "mime_type": "audio/ogg"}
        return self.api.queue_user_message(self.user, self.chat_id, {"voice": voice}, None)

    def press(self, button: str, message: SentMessage | None = None) -> int:
        """Press an inline button, found by its text or its callback_data, on ``message`` or
        on the latest bot message in this chat that has an inline keyboard."""
        target = message or self.api.latest_with_keyboard(self.chat_id)
        if target is None:
            raise AssertionError(
                f"no bot message with an inline keyboard in chat {self.chat_id}; "
                f"sent: {[m.text for m in self.api.sent_to(self.chat_id)]}"
            )
        if target.deleted:
            raise AssertionError(f"message {target.message_id} was deleted; it can't be pressed")
        flat = [pair for row in target.buttons for pair in row]
        data = next((cb for text, cb in flat if text == button), None)
        if data is None:
            data = next((cb for _, cb in flat if cb == button), None)
        if not data:
            raise AssertionError(
                f"no callback button {button!r} on message {target.message_id} "
                f"({target.text!r}); buttons: {target.buttons}"
            )
        return self.api.queue_callback(self.user, target, data)

    def press_data(self, callback_data: str, message: SentMessage | None = None) -> int:
        """Send a callback query with arbitrary (possibly forged) data."""
        target = message or self.api.latest_with_keyboard(self.chat_id)
        if target is None:
            sent = self.api.sent_to(self.chat_id)
            if not sent:
                raise AssertionError(f"the bot has sent nothing to chat {self.chat_id}")
            target = sent[-1]
        return self.api.queue_callback(self.user, target, callback_data)


class FakeBotApi:
    """The fake server. Use as ``async with FakeBotApi() as api:``."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = DEFAULT_USERNAME,
        *,
        first_name: str = "Homework Test Bot",
        now: Callable[[], float] = time.time,
        global_rate_limit: int | None = None,
    ) -> None:
        """``global_rate_limit``: when given, sendMessage/sendPhoto/sendDocument beyond that
        many within any sliding second (across all chats) fail with 429 and ``retry_after``
        1, as Telegram answers a bot that sends too fast (off by default)."""
        self.token = token
        self.global_rate_limit = global_rate_limit
        self._recent_sends: collections.deque[float] = collections.deque()
        self.username = username
        self.now = now
        bot_id = token.split(":", 1)[0]
        self.bot_user: JsonDict = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.calls: list[Call] = []
        self.sent_messages: list[SentMessage] = []
        self.webhook_url = ""
        self.my_commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self._chats: dict[int, JsonDict] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: set[tuple[int, int]] = set()
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._pending: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._fetched: set[int] = set()
        self._queued: set[int] = set()
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._blocked: set[int] = set()
        self._rate_limits: dict[int, list[int]] = {}
        self._failures: dict[int, list[int]] = {}
        self._drops: dict[int, int] = {}
        self._holds: dict[int, asyncio.Event] = {}
        self._swallowing: dict[int, asyncio.Event] = {}
        self._history: list[JsonDict] = []
        self._file_failures = 0
        self._file_hold: asyncio.Event | None = None
        self._changed = _Signal()
        self._release_generation = 0
        self._poll_generation = 0
        self._stopping = False
        self._held_polls = 0
        self._mark = 0
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._methods: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {}
        for name, handler in (
            ("getMe", self._get_me),
            ("logOut", self._true),
            ("close", self._true),
            ("deleteWebhook", self._delete_webhook),
            ("setWebhook", self._set_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("setMyDescription", self._true),
            ("setMyShortDescription", self._true),
            ("setChatMenuButton", self._true),
            ("sendMessage", self._send_message),
            ("sendPhoto", self._send_photo),
            ("sendDocument", self._send_document),
            ("sendChatAction", self._send_chat_action),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("editMessageCaption", self._edit_message_caption),
            ("deleteMessage", self._delete_message),
            ("answerCallbackQuery", self._answer_callback_query),
            ("getFile", self._get_file),
            ("getChat", self._get_chat),
        ):
            self._methods[name.lower()] = (name, handler)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._stopping = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._stopping = True
        self.release_polling()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ test-side API

    def user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str = "en",
    ) -> FakeUser:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: JsonDict = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name is not None:
            user["last_name"] = chat["last_name"] = last_name
        if username is not None:
            user["username"] = chat["username"] = username
        user["language_code"] = language_code
        self._chats[user_id] = chat
        return FakeUser(self, user)

    def group_message(
        self,
        user_id: int,
        first_name: str,
        chat_id: int,
        text: str,
        *,
        title: str = "Test group",
    ) -> int:
        """Queue a text message written by ``user_id`` in group ``chat_id`` (negative)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._chats[chat_id] = {"id": chat_id, "type": "group", "title": title}
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
        return self.queue_user_message(user, chat_id, {"text": text}, None)

    def add_file(self, file_id: str, data: bytes, *, file_path: str | None = None) -> JsonDict:
        """Register bytes that ``getFile`` and the file URL will serve; returns the File."""
        number = next(self._file_counter)
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"unique-{number}",
            file_path=file_path or f"files/file_{number}",
            data=data,
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored.as_file()

    def file_data(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def block(self, chat_id: int) -> None:
        """sendMessage/sendPhoto/sendDocument to this chat fail with 403 from now on."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def rate_limit_once(self, chat_id: int, retry_after: int = 3) -> None:
        """The next sendMessage/sendPhoto/sendDocument to this chat fails with 429."""
        self._rate_limits.setdefault(chat_id, []).append(retry_after)

    def fail_once(self, chat_id: int, code: int = 502) -> None:
        """The next send to this chat fails with a server error (nothing is sent)."""
        self._failures.setdefault(chat_id, []).append(code)

    def drop_after_sending(self, chat_id: int, times: int = 1) -> None:
        """The next sends to this chat are recorded, then the connection is closed without
        an answer: the bot cannot know whether they went (a timeout after the request left)."""
        self._drops[chat_id] = self._drops.get(chat_id, 0) + times

    def hold_after_sending(self, chat_id: int) -> asyncio.Event:
        """Sends to this chat are recorded, then their answers wait for the returned event:
        a process killed meanwhile has sent but not marked."""
        event = asyncio.Event()
        self._holds[chat_id] = event
        return event

    def swallow_sends(self, chat_id: int) -> asyncio.Event:
        """Sends to this chat arrive and are never delivered nor answered (until
        `stop_swallowing`): a reply on its way when its process is killed. The returned
        event is set when the first one has arrived."""
        arrived = asyncio.Event()
        self._swallowing[chat_id] = arrived
        return arrived

    def stop_swallowing(self, chat_id: int) -> None:
        self._swallowing.pop(chat_id, None)

    def fail_file_downloads(self, times: int = 1) -> None:
        """The next downloads of a file's bytes fail with a server error."""
        self._file_failures += times

    def hold_file_downloads(self) -> asyncio.Event:
        """Downloads of a file's bytes wait for the returned event (a slow network)."""
        self._file_hold = asyncio.Event()
        return self._file_hold

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to a chat, oldest first (deleted ones flagged)."""
        return [m for m in self.sent_messages if m.chat_id == chat_id]

    def last_sent(self, chat_id: int) -> SentMessage:
        sent = [m for m in self.sent_to(chat_id) if not m.deleted]
        if not sent:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}\n{self._recent()}")
        return sent[-1]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def mark(self) -> int:
        """Make later wait_for_call() calls ignore every call made so far; returns the index.
        Queuing a user update marks automatically."""
        self._mark = len(self.calls)
        return self._mark

    def release_polling(self) -> None:
        """End every held getUpdates request now (they return what is pending, or [])."""
        self._release_generation += 1
        self._changed.fire()

    @property
    def pending_updates(self) -> list[JsonDict]:
        return list(self._pending)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> Call:
        """Wait for a call to ``method`` made after the last queued user update (or the last
        :meth:`mark`; ``since`` overrides that index, ``since=0`` searches every call)."""
        start = self._mark if since is None else since
        wanted = method.lower()

        def find() -> Call | None:
            for call in self.calls[start:]:
                if call.method.lower() == wanted and (predicate is None or predicate(call)):
                    return call
            return None

        what = f"a {method} call" + (" matching the predicate" if predicate else "")
        return await self._wait(find, timeout, what)

    async def wait_for_sent(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> SentMessage:
        """Wait for a successful sendMessage/sendPhoto/sendDocument to ``chat_id``."""

        def matches(call: Call) -> bool:
            if not call.ok or call.params.get("chat_id") != chat_id:
                return False
            message = self._messages.get((chat_id, call.result["message_id"]))
            return message is not None and (predicate is None or predicate(message))

        start = self._mark if since is None else since

        def find() -> SentMessage | None:
            for call in self.calls[start:]:
                if call.method in _GUARDED_SENDS and matches(call):
                    return self._messages[(chat_id, call.result["message_id"])]
            return None

        return await self._wait(find, timeout, f"a message sent to chat {chat_id}")

    async def wait_until_updates_fetched(
        self,
        update_id: int,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> None:
        """Wait until a getUpdates response carried ``update_id``."""

        def fetched() -> bool | None:
            return True if update_id in self._fetched else None

        await self._wait(fetched, timeout, f"getUpdates to return update {update_id}")

    @property
    def polling(self) -> bool:
        """True while a getUpdates request is being held open (long polling)."""
        return self._held_polls > 0

    async def wait_until_polling(self, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Wait until some getUpdates request is being held open."""

        def held() -> bool | None:
            return True if self._held_polls > 0 else None

        await self._wait(held, timeout, "a getUpdates request to be held open")

    # ------------------------------------------------------------------ internals: waiting

    def _recent(self, count: int = 20) -> str:
        recent = [c for c in self.calls if c.method != "getUpdates"][-count:]
        lines = "\n".join(f"  {call}" for call in recent) or "  (none)"
        return (
            f"Recent calls (getUpdates omitted, {len(self.calls)} calls in all):\n{lines}\n"
            f"Pending updates: {[u['update_id'] for u in self._pending]}"
        )

    async def _wait(self, check: Callable[[], _T | None], seconds: float, what: str) -> _T:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    found = check()
                    if found is not None:
                        return found
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"Timed out after {seconds}s waiting for {what}.\n{self._recent()}"
            ) from None

    # ------------------------------------------------------------------ internals: updates

    def last_update(self, chat_id: int) -> JsonDict | None:
        """The latest update queued from this chat, as Telegram sent it (to send it again,
        as Telegram does when a webhook answers slowly)."""
        for update in reversed(self._history):
            body = update.get("message") or update.get("callback_query", {}).get("message")
            if isinstance(body, dict) and body.get("chat", {}).get("id") == chat_id:
                return copy.deepcopy(update)
        return None

    def queue_update(self, kind: str, payload: JsonDict) -> int:
        update_id = next(self._update_ids)
        self._history.append({"update_id": update_id, kind: payload})
        self._pending.append({"update_id": update_id, kind: payload})
        self._queued.add(update_id)
        self.mark()
        self._changed.fire()
        return update_id

    def queue_user_message(
        self,
        user: JsonDict,
        chat_id: int,
        content: JsonDict,
        reply_to: SentMessage | None,
    ) -> int:
        message: JsonDict = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(user),
            "chat": dict(self._chats[chat_id]),
            "date": int(self.now()),
            **content,
        }
        text = content.get("text")
        if isinstance(text, str) and text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        if reply_to is not None:
            message["reply_to_message"] = copy.deepcopy(reply_to.message)
        self._user_messages.add((chat_id, message["message_id"]))
        return self.queue_update("message", message)

    def queue_callback(self, user: JsonDict, target: SentMessage, data: str) -> int:
        query_id = f"cbq-{next(self._callback_ids)}"
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": dict(user),
            "chat_instance": f"instance-{target.chat_id}",
            "data": data,
            "message": copy.deepcopy(target.message),
        }
        return self.queue_update("callback_query", query)

    def latest_with_keyboard(self, chat_id: int) -> SentMessage | None:
        for message in reversed(self.sent_to(chat_id)):
            if not message.deleted and message.buttons:
                return message
        return None

    async def _get_updates(self, params: dict[str, Any], request: web.Request) -> list[JsonDict]:
        if self.webhook_url:
            raise FakeApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

        # A newer getUpdates ends older held ones (the real API answers them with 409).
        self._poll_generation += 1
        poll_generation = self._poll_generation
        release_generation = self._release_generation
        self._changed.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._held_polls += 1
        self._changed.fire()
        try:
            while (
                not self._pending
                and not self._stopping
                and release_generation == self._release_generation
                and poll_generation == self._poll_generation
            ):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        await self._changed.wait()
                except TimeoutError:
                    break
        finally:
            self._held_polls -= 1
            self._changed.fire()
        if poll_generation != self._poll_generation:
            return []
        transport = request.transport
        if transport is None or transport.is_closing():
            return []  # the client has gone; don't count the updates as delivered
        result = copy.deepcopy(self._pending[:limit])
        self._fetched.update(u["update_id"] for u in result)
        return result

    # ------------------------------------------------------------------ internals: HTTP

    @staticmethod
    def _response(
        status: int, body: JsonDict, *, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        return web.Response(
            status=status,
            text=json.dumps(body, ensure_ascii=False),
            content_type="application/json",
            headers=headers,
        )

    @classmethod
    def _error(cls, error: FakeApiError) -> web.Response:
        body: JsonDict = {"ok": False, "error_code": error.code, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        headers = None
        if error.parameters and "retry_after" in error.parameters:
            headers = {"Retry-After": str(error.parameters["retry_after"])}
        return cls._response(error.code, body, headers=headers)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = UploadedFile(
                            field=key,
                            filename=value.filename,
                            content_type=value.content_type,
                            data=value.file.read(),
                        )
                        value.file.close()
                    else:
                        raw[key] = value
        return {key: _decode_value(key, value) for key, value in raw.items()}

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(FakeApiError(401, "Unauthorized"))
        name = request.match_info["method"]
        params = await self._read_params(request)
        swallowed = self._swallowing.get(params.get("chat_id"))  # type: ignore[arg-type]
        if swallowed is not None and name.lower() in _SWALLOWED:
            swallowed.set()
            await asyncio.Event().wait()  # never delivered, never answered
        known = self._methods.get(name.lower())
        call = Call(method=known[0] if known else name, params=params)
        try:
            if name.lower() == "getupdates":
                call.method = "getUpdates"
                result: Any = await self._get_updates(params, request)
            elif known is None:
                raise FakeApiError(404, "Not Found: method not found")
            else:
                result = known[1](params)
        except FakeApiError as error:
            call.error_code, call.description = error.code, error.description
            response = self._error(error)
        else:
            call.result = result
            response = self._response(200, {"ok": True, "result": result})
        self.calls.append(call)
        self._changed.fire()
        chat_id = params.get("chat_id")
        if call.method in _GUARDED_SENDS and call.ok and isinstance(chat_id, int):
            if self._drops.get(chat_id):
                self._drops[chat_id] -= 1
                if request.transport is not None:
                    request.transport.close()  # sent, but the bot never hears so
                return response
            hold = self._holds.get(chat_id)
            if hold is not None:
                await hold.wait()
        return response

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(FakeApiError(401, "Unauthorized"))
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return self._error(FakeApiError(404, "Not Found"))
        if self._file_hold is not None:
            await self._file_hold.wait()
        if self._file_failures:
            self._file_failures -= 1
            return self._error(FakeApiError(502, "Bad Gateway"))
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ internals: helpers

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _chat(self, params: dict[str, Any]) -> JsonDict:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise FakeApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, int) and chat_id in self._chats:
            return self._chats[chat_id]
        raise FakeApiError(400, "Bad Request: chat not found")

    def _guard_send(self, method: str, chat_id: int) -> None:
        if method not in _GUARDED_SENDS:
            return
        if chat_id in self._blocked:
            raise FakeApiError(403, "Forbidden: bot was blocked by the user")
        failures = self._failures.get(chat_id)
        if failures:
            raise FakeApiError(failures.pop(0), "Bad Gateway")
        waits = self._rate_limits.get(chat_id)
        if waits:
            retry_after = waits.pop(0)
            raise FakeApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        if self.global_rate_limit is not None:
            moment = time.monotonic()
            recent = self._recent_sends
            while recent and recent[0] <= moment - 1.0:
                recent.popleft()
            if len(recent) >= self.global_rate_limit:
                raise FakeApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            recent.append(moment)

    def register_upload(self, kind: str, data: bytes, folder: str) -> StoredFile:
        number = next(self._file_counter)
        file_id = f"{kind}-file-{number}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"unique-{number}",
            file_path=f"{folder}/file_{number}",
            data=data,
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def file_ref(stored: StoredFile) -> JsonDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }

    def _input_file(self, params: dict[str, Any], key: str) -> tuple[StoredFile, str, str]:
        """Resolve an uploaded file, a known file_id or a URL; returns (file, name, mime)."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, UploadedFile):
            stored = self.register_upload(key, value.data, f"{key}s")
            stored.file_name, stored.mime_type = value.filename, value.content_type
            return stored, value.filename, value.content_type
        if isinstance(value, str) and value in self._files:
            stored = self._files[value]
            name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
            return stored, name, stored.mime_type or "application/octet-stream"
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            stored = self.register_upload(key, b"", f"{key}s")
            return stored, value.rsplit("/", 1)[-1] or "file", "application/octet-stream"
        if value is None or value == "":
            raise FakeApiError(400, f"Bad Request: there is no {key} in the request")
        raise FakeApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise FakeApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= (
                    MAX_CALLBACK_DATA_BYTES
                ):
                    raise FakeApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise FakeApiError(400, "Bad Request: text buttons are unallowed")
        return markup

    @staticmethod
    def _rendered(params: dict[str, Any], key: str, limit: int) -> str | None:
        value = params.get(key)
        if value is None:
            return None
        text = str(value)
        if str(params.get("parse_mode") or "").upper() == "HTML":
            text = _parse_html(text)
        if len(text.strip()) == 0 and key == "text":
            raise FakeApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise FakeApiError(400, f"Bad Request: {what}")
        return text

    def _store_sent(
        self,
        method: str,
        params: dict[str, Any],
        chat: JsonDict,
        content: JsonDict,
        **extra: Any,
    ) -> JsonDict:
        chat_id = int(chat["id"])
        markup = self._check_markup(params.get("reply_markup"))
        message: JsonDict = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(self.now()),
            **content,
        }
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        sent = SentMessage(
            chat_id=chat_id,
            message_id=message["message_id"],
            method=method,
            text=params.get("text") if method == "sendMessage" else None,
            reply_markup=markup,
            params=params,
            message=message,
            caption=params.get("caption"),
            **extra,
        )
        self.sent_messages.append(sent)
        self._messages[(chat_id, sent.message_id)] = sent
        return copy.deepcopy(message)

    def _find_message(self, params: dict[str, Any], action: str) -> SentMessage:
        if params.get("inline_message_id"):
            raise FakeApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat = self._chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise FakeApiError(400, "Bad Request: message identifier is not specified")
        key = (int(chat["id"]), message_id)
        sent = self._messages.get(key)
        if sent is None or sent.deleted:
            if key in self._user_messages and action == "edit":
                raise FakeApiError(400, "Bad Request: message can't be edited")
            raise FakeApiError(400, f"Bad Request: message to {action} not found")
        return sent

    # ------------------------------------------------------------------ method handlers

    @staticmethod
    def _true(params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates") is True:
            self._pending.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates") is True:
            self._pending.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise FakeApiError(400, "Bad Request: can't parse commands JSON object")
        self.my_commands[self._commands_key(params)] = commands
        return True

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[JsonDict]:
        return copy.deepcopy(self.my_commands.get(self._commands_key(params), []))

    def _get_chat(self, params: dict[str, Any]) -> JsonDict:
        chat = self._chat(params)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    def _send_message(self, params: dict[str, Any]) -> JsonDict:
        chat = self._chat(params)
        self._guard_send("sendMessage", int(chat["id"]))
        if params.get("text") is None:
            raise FakeApiError(400, "Bad Request: message text is empty")
        text = self._rendered(params, "text", MAX_TEXT_LENGTH)
        return self._store_sent("sendMessage", params, chat, {"text": text})

    def _send_photo(self, params: dict[str, Any]) -> JsonDict:
        chat = self._chat(params)
        self._guard_send("sendPhoto", int(chat["id"]))
        caption = self._rendered(params, "caption", MAX_CAPTION_LENGTH)
        stored, _, _ = self._input_file(params, "photo")
        content: JsonDict = {"photo": [{**self.file_ref(stored), "width": 800, "height": 800}]}
        if caption is not None:
            content["caption"] = caption
        return self._store_sent(
            "sendPhoto",
            params,
            chat,
            content,
            file_id=stored.file_id,
            file_data=stored.data,
        )

    def _send_document(self, params: dict[str, Any]) -> JsonDict:
        chat = self._chat(params)
        self._guard_send("sendDocument", int(chat["id"]))
        caption = self._rendered(params, "caption", MAX_CAPTION_LENGTH)
        stored, name, mime = self._input_file(params, "document")
        content: JsonDict = {
            "document": {**self.file_ref(stored), "file_name": name, "mime_type": mime}
        }
        if caption is not None:
            content["caption"] = caption
        return self._store_sent(
            "sendDocument",
            params,
            chat,
            content,
            document_name=name,
            file_id=stored.file_id,
            file_data=stored.data,
        )

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        if not params.get("action"):
            raise FakeApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((int(chat["id"]), str(params["action"])))
        return True

    def _apply_edit(
        self,
        sent: SentMessage,
        params: dict[str, Any],
        *,
        text: str | None,
        caption: str | None,
        markup: dict[str, Any] | None,
    ) -> JsonDict:
        same_markup = (markup or None) == (sent.reply_markup or None)
        if text is not None and text == sent.text and same_markup:
            raise FakeApiError(400, _NOT_MODIFIED)
        if caption is not None and caption == sent.caption and same_markup:
            raise FakeApiError(400, _NOT_MODIFIED)
        if text is None and caption is None and same_markup:
            raise FakeApiError(400, _NOT_MODIFIED)
        sent.history.append(sent.text if sent.text is not None else sent.caption)
        if text is not None:
            sent.text = text
            sent.message["text"] = self._rendered(params, "text", MAX_TEXT_LENGTH)
        if caption is not None:
            sent.caption = caption
            sent.message["caption"] = self._rendered(params, "caption", MAX_CAPTION_LENGTH)
        sent.reply_markup = markup
        if markup and "inline_keyboard" in markup:
            sent.message["reply_markup"] = markup
        else:
            sent.message.pop("reply_markup", None)
        sent.message["edit_date"] = int(self.now())
        sent.edited = True
        return copy.deepcopy(sent.message)

    def _edit_message_text(self, params: dict[str, Any]) -> JsonDict:
        sent = self._find_message(params, "edit")
        if params.get("text") is None:
            raise FakeApiError(400, "Bad Request: text must be non-empty")
        if sent.text is None:
            raise FakeApiError(400, "Bad Request: there is no text in the message to edit")
        self._rendered(params, "text", MAX_TEXT_LENGTH)  # validate before comparing
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit(sent, params, text=str(params["text"]), caption=None, markup=markup)

    def _edit_message_caption(self, params: dict[str, Any]) -> JsonDict:
        sent = self._find_message(params, "edit")
        if sent.method == "sendMessage":
            raise FakeApiError(400, "Bad Request: there is no caption in the message to edit")
        self._rendered(params, "caption", MAX_CAPTION_LENGTH)
        markup = self._check_markup(params.get("reply_markup"))
        caption = str(params.get("caption") or "")
        return self._apply_edit(sent, params, text=None, caption=caption, markup=markup)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> JsonDict:
        sent = self._find_message(params, "edit")
        markup = self._check_markup(params.get("reply_markup"))
        return self._apply_edit(sent, params, text=None, caption=None, markup=markup)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        message_id = params.get("message_id")
        if isinstance(message_id, int) and (int(chat["id"]), message_id) in self._user_messages:
            self._user_messages.discard((int(chat["id"]), message_id))
            return True
        sent = self._find_message(params, "delete")
        sent.deleted = True
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise FakeApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callbacks.discard(query_id)
        return True

    def _get_file(self, params: dict[str, Any]) -> JsonDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise FakeApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise FakeApiError(400, "Bad Request: file is too big")
        return stored.as_file()
