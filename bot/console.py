"""`homework-bot console`: chat with the bot in a terminal, as a therapist or a client.

The same Application and the same handlers as on Telegram, with no token and no network.
What you type becomes an Update for the Application; what the bot says, the neutral reply
model (bot/replies.py), is drawn by the console's own `Renderer` in place of Telegram's:
text, buttons as numbered choices (`#2` taps the second), a press's notice, photos and
documents saved as files whose paths are shown. The few Bot API calls that are not replies
(who the bot is, a sent photo's file, the command menus) are answered in process. The clock
is the console's own; `/clock +1d` moves it, and reminders and digests appear as they fall
due.

On a first run (an empty database) it makes a demo practice: a therapist, a client linked
to them, and a thought record assigned, so a new user can try one within a minute.

::

    you type ─► Update ─► Application.process_update ─► handlers ─► Say, Keyboard, Attachment
                                                                          │
    the terminal ◄── ConsoleRenderer (text, [1] [2] choices, file paths) ◄┘
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.app import SetupError, build_application, open_database
from bot.clock import Clock, FixedClock, SystemClock
from bot.replies import Attachment, Keyboard
from bot.runtime import Runtime, runtime_in
from bot.settings import Settings
from bot.ticker import tick
from storage import people, updates
from storage.db import Database
from storage.models import User

BOT_USER = {
    "id": 1,
    "is_bot": True,
    "first_name": "Homework bot",
    "username": "homework_console_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
CONSOLE_IDS = range(7000, 100_000)
"""Telegram ids the console gives its people (a real account never has one this small)."""
STEP = timedelta(seconds=5)
"""Time passes as you type: each line is five seconds after the one before."""
DEMO_THERAPIST = (7001, "Dr Demo")
DEMO_CLIENT = (7002, "Alex")
HELP = """Console commands (everything else goes to the bot as a message):
  #N            tap button N of the last message that has buttons
  /as NAME      act as someone else (/as therapist, /as client, or a name);
                a new name is a new person: /as Lucía @es has Telegram in Spanish
  /people       who is here
  /clock        the console's time; /clock +1d, +3h or +30m moves it
  /photo PATH   send a photo from a file
  /quit         leave (Ctrl-D too)
The bot's own commands: /help."""
CLOCK_STEP = timedelta(minutes=15)
"""A moved clock passes in steps this long, a beat of the ticker at each."""
_TAGS = re.compile(r"<[^>]+>")
_STEP = re.compile(r"([+-]?\d+)\s*([dhm])")
_LINK = re.compile(r"\?start=([A-Za-z0-9_-]+)")


@dataclass
class Shown:
    """One message the bot sent, as the console keeps it."""

    chat_id: int
    message_id: int
    text: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


class ConsoleRenderer:
    """The console's `Renderer`: what the bot says, drawn in the terminal."""

    def __init__(self, media: Path, draw: Callable[[Shown, str], None]) -> None:
        self.media = media
        self.draw = draw
        self.sent: list[Shown] = []
        self._ids = itertools.count(1)

    async def say(
        self,
        chat_id: int,
        text: str,
        *,
        keyboard: Keyboard | None = None,
        html: bool = False,
        reply_to: int | None = None,
    ) -> int | None:
        return self._show(chat_id, _plain(text) if html else text, keyboard)

    async def attach(self, chat_id: int, attachment: Attachment) -> None:
        message_id = next(self._ids)
        path = self._save(message_id, attachment)
        caption = f"{attachment.caption}\n({attachment.kind}: {path})".strip()
        self._show(chat_id, caption, None, message_id)

    async def rebutton(self, chat_id: int, message_id: int, keyboard: Keyboard | None) -> None:
        for shown in self.sent:
            if shown.chat_id == chat_id and shown.message_id == message_id:
                changed = _pairs(keyboard)
                redraw = bool(changed) and changed != shown.choices
                shown.choices = changed
                shown.raw["reply_markup"] = _markup(keyboard)
                if redraw:
                    self.draw(shown, "edited")  # a choice ticked: the buttons are drawn again
                return

    async def acknowledge(self, press_id: str, notice: str | None, *, alert: bool = False) -> None:
        if notice:
            self.draw(Shown(0, 0, notice), "notice")

    def _show(
        self, chat_id: int, text: str, keyboard: Keyboard | None, message_id: int | None = None
    ) -> int:
        message_id = next(self._ids) if message_id is None else message_id
        # As Telegram would hand it back in a press: the console taps with it.
        raw: dict[str, Any] = {
            "message_id": message_id,
            "date": int(SystemClock().now().timestamp()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": text,
            "reply_markup": _markup(keyboard),
        }
        shown = Shown(chat_id, message_id, text, _pairs(keyboard), raw)
        self.sent.append(shown)
        self.draw(shown, "")
        return message_id

    def _save(self, message_id: int, attachment: Attachment) -> Path:
        self.media.mkdir(parents=True, exist_ok=True)
        named = Path(attachment.filename)
        suffix = named.suffix or _suffix_of(attachment.data)
        stem = named.stem if named.suffix else attachment.kind
        path = self.media / f"{message_id}-{stem}{suffix}"
        path.write_bytes(attachment.data)
        return path


def _suffix_of(data: bytes) -> str:
    """A file's usual ending, from its first bytes (charts are PNG, camera photos JPEG)."""
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"\xff\xd8"):
        return ".jpg"
    return ".pdf" if data.startswith(b"%PDF") else ".bin"


def _pairs(keyboard: Keyboard | None) -> list[tuple[str, str]]:
    return [(c.label, c.data) for c in keyboard.choices()] if keyboard is not None else []


def _markup(keyboard: Keyboard | None) -> dict[str, Any]:
    rows = keyboard.rows if keyboard is not None else ()
    return {
        "inline_keyboard": [
            [{"text": c.label, "callback_data": c.data} for c in row] for row in rows
        ]
    }


class ConsoleApi(BaseRequest):
    """The Bot API calls that are not replies, answered in process: who the bot is, the
    file of a photo the person sent, the command menus. Replies never come here: they are
    the renderer's. One that does is refused, and kept in `bypassed` for the tests."""

    REPLIES = frozenset(
        {"sendMessage", "sendPhoto", "sendDocument", "editMessageReplyMarkup"}
        | {"answerCallbackQuery"}
    )

    def __init__(self) -> None:
        self.uploads: dict[str, bytes] = {}
        self.bypassed: list[str] = []

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if "/file/" in url:  # downloading a photo the person sent
            return 200, self.uploads.get(name, b"")
        if name in self.REPLIES:
            self.bypassed.append(name)
            refused = {"ok": False, "error_code": 400, "description": "replies are the renderer's"}
            return 400, json.dumps(refused).encode()
        params = dict(request_data.parameters) if request_data is not None else {}
        return 200, json.dumps({"ok": True, "result": self._answer(name, params)}).encode()

    def _answer(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "getFile":
            file_id = str(params.get("file_id"))
            return {"file_id": file_id, "file_unique_id": file_id, "file_path": file_id}
        if name == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True  # setMyCommands, deleteMyCommands...


def _plain(text: str) -> str:
    """The HTML the bot sends, as terminal text."""
    return html.unescape(_TAGS.sub("", text))


@dataclass
class Person:
    """Someone the console can act as."""

    telegram_id: int
    name: str
    role: str = "new"
    language_code: str = "en"
    """What their Telegram app is set to (a new person's first language)."""

    @property
    def user(self) -> dict[str, Any]:
        first, _, last = self.name.partition(" ")
        person: dict[str, Any] = {"id": self.telegram_id, "is_bot": False, "first_name": first}
        if last:
            person["last_name"] = last
        person["language_code"] = self.language_code
        return person


class Console:
    """One console session: who is acting, the clock, and the bot underneath."""

    def __init__(
        self, settings: Settings, write: Callable[[str], None], *, now: Clock | None = None
    ) -> None:
        self.settings = settings
        self.write = write
        # A first session starts at `now` (the real time unless a test gives one); a later
        # one goes on from where the last left off (see `_restore`).
        start = (now or SystemClock()).now()
        self.clock = FixedClock(start.replace(second=0, microsecond=0))
        self.api = ConsoleApi()
        self.shows = ConsoleRenderer(Path(settings.console_media_dir), self._draw)
        self.people: list[Person] = []
        self.me: Person | None = None
        self.quiet = False
        self.db: Database | None = None
        self.application: Application | None = None  # type: ignore[type-arg]
        self._update_ids = itertools.count(1)
        self._newcomers: list[Person] = []
        self._languages: dict[int, str] = {}

    # Setting up and tearing down.
    async def open(self) -> None:
        """Open the console's database (migrating it), build the bot on its Bot API."""
        self.db = await open_database(
            self.settings.model_copy(update={"database_url": self.settings.console_database_url})
        )
        self.application = build_application(
            self.settings, db=self.db, clock=self.clock, request=self.api, token="1:console"
        )
        self.runtime.pause = self.clock.wait_until
        self.runtime.renderer = self.shows
        # Alerts go out with the beat after each line, not from a task of their own.
        self.runtime.on_urgent = None
        await self.application.initialize()
        self._restore()
        async with self.db.reading() as session:
            self._update_ids = itertools.count(await updates.latest_id(session) + 1)
            # A private chat's id is its person's (only a hash of the Telegram id is stored).
            query = select(User.chat_id, User.name, User.role).order_by(User.id)
            rows = (await session.execute(query)).all()
        self.people = [Person(telegram_id, name, role) for telegram_id, name, role in rows]
        known = {p.telegram_id for p in self.people}
        for person in self._newcomers:
            if person.telegram_id not in known:  # met in an earlier session, not yet joined
                self.people.append(person)
        for person in self.people:
            person.language_code = self._languages.get(person.telegram_id, person.language_code)
        if any(not CONSOLE_IDS.start <= p.telegram_id < CONSOLE_IDS.stop for p in self.people):
            raise SetupError(
                "That database holds people from Telegram. The console runs only on a "
                "database of its own (CONSOLE_DATABASE_URL), so that it never sends their "
                "messages into the terminal or takes the update numbers of their answers."
            )
        if not self.people:
            await self.make_demo()
        elif self.me is None or all(p.telegram_id != self.me.telegram_id for p in self.people):
            self.me = next((p for p in self.people if p.role == "client"), self.people[0])
        else:
            self.me = next(p for p in self.people if p.telegram_id == self.me.telegram_id)

    def _restore(self) -> None:
        """Where the last session left the clock, who was acting (time never goes back),
        and the people met: the language their Telegram is set to, and those who have
        not joined yet (an invite opened, not answered)."""
        self._newcomers, self._languages = [], {}
        try:
            state = json.loads(self._state_file.read_text(encoding="utf-8"))
            kept = datetime.fromisoformat(str(state["clock"]))
            if kept > self.clock.now():
                self.clock.set(kept)
            self.me = Person(int(state["me"]), "")
            for telegram_id, name, code in state.get("people", []):
                self._languages[int(telegram_id)] = str(code)
                self._newcomers.append(Person(int(telegram_id), str(name), "new", str(code)))
        except (OSError, ValueError, KeyError, TypeError):
            return

    def _keep(self) -> None:
        state = {
            "clock": self.clock.now().isoformat(),
            "me": self.me.telegram_id if self.me else 0,
            "people": [[p.telegram_id, p.name, p.language_code] for p in self.people],
        }
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps(state), encoding="utf-8")

    @property
    def _state_file(self) -> Path:
        return Path(self.settings.console_media_dir) / "console-state.json"

    async def close(self) -> None:
        if self.db is not None:
            self._keep()
        if self.application is not None:
            await self.application.shutdown()
        if self.db is not None:
            await self.db.dispose()

    @property
    def runtime(self) -> Runtime:
        assert self.application is not None
        return runtime_in(self.application)

    # The demo practice.
    async def make_demo(self) -> None:
        """A therapist and a client linked, with a thought record assigned (first run)."""
        assert self.db is not None
        therapist = Person(*DEMO_THERAPIST, role="therapist")
        client = Person(*DEMO_CLIENT, role="client")
        self.people = [therapist, client]
        async with self.db.transaction() as session:
            code = await people.create_code(
                session,
                kind="therapist",
                now=self.clock.now(),
                ttl=timedelta(hours=1),
                label=therapist.name,
            )
        self.quiet = True
        try:
            self.me = therapist
            await self.say(f"/start {code}")
            await self.say("UTC")
            await self.say("18:00")
            invite = await self.say("/invite Alex")
            found = _LINK.search(" ".join(s.text for s in invite))
            if found is None:
                raise RuntimeError("the demo invite link was not found")
            self.me = client
            await self.say(f"/start {found.group(1)}")
            await self.say("yes, I agree")
            await self.say("UTC")
            self.me = therapist
            await self.say("/assign alex thought record daily 20:00")
        finally:
            self.quiet = False
            for shown in self.shows.sent:
                shown.choices = []  # never drawn, so never tapped by a #N
        self.me = client
        self.write(
            "A demo practice is ready. You are Alex, a client of Dr Demo, and a thought record "
            "is assigned to you.\nType /today to start it. /as therapist switches to Dr Demo; "
            "/console lists what the console can do."
        )

    # One line typed.
    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the session should end."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        if word in ("/quit", "/exit"):
            return False
        if word == "/console":
            self.write(HELP)
        elif word == "/as":
            self.act_as(rest.strip())
        elif word == "/people":
            self.write(
                "\n".join(
                    f"{p.name} ({p.role}){' ← you' if p is self.me else ''}" for p in self.people
                )
            )
        elif word == "/clock":
            await self.move_clock(rest.strip())
        elif word == "/photo":
            await self.send_photo(rest.strip())
        elif re.fullmatch(r"#\d+", word):
            await self.tap(int(word[1:]))
        else:
            await self.say(line)
        return True

    def act_as(self, who: str) -> None:
        """Switch the person acting (by role or name); a new name is a new person, whose
        Telegram may be set to a language: /as Lucía @es."""
        name, _, code = who.partition(" @")
        who = name.strip()
        if not who:
            self.write("Who? /as therapist, /as client, or a name. /people lists them.")
            return
        wanted = who.casefold()
        person = next((p for p in self.people if p.role == wanted), None) or next(
            (p for p in self.people if p.name.casefold().startswith(wanted)), None
        )
        if person is None:
            taken = max((p.telegram_id for p in self.people), default=CONSOLE_IDS.start)
            person = Person(max(taken, CONSOLE_IDS.start) + 1, who[:40])
            if re.fullmatch(r"[a-z]{2}(-[A-Za-z]{2})?", code.strip()):
                person.language_code = code.strip()
            self.people.append(person)
            self.write(f"{person.name} is new here: open an invite link with /start CODE.")
        self.me = person
        self.write(f"You are now {person.name}.")

    async def move_clock(self, step: str) -> None:
        """Show the console's time, or move it (+1d, +3h, +30m) and let what falls due come."""
        if step:
            parts = _STEP.findall(step.replace(" ", ""))
            if not parts:
                self.write("Move the clock like /clock +1d, /clock +3h or /clock +30m.")
                return
            units = {"d": "days", "h": "hours", "m": "minutes"}
            delta = sum((timedelta(**{units[u]: int(n)}) for n, u in parts), timedelta())
            if delta <= timedelta(0):
                self.write("The clock only moves forward.")
                return
            self.write(
                f"The console's clock moves to {self.clock.now() + delta:%a %d %b %H:%M} UTC."
            )
            # In steps, as the ticker would see the time pass: each reminder comes at its time.
            end = self.clock.now() + delta
            while self.clock.now() < end:
                self.clock.set(min(end, self.clock.now() + CLOCK_STEP))
                await self.after()
            return
        self.write(f"The console's clock: {self.clock.now():%a %d %b %Y %H:%M} UTC.")

    async def say(self, text: str) -> list[Shown]:
        """The person acting types `text`; returns what the bot sent in answer."""
        me = self._me()
        self.clock.advance(STEP)
        return await self._update(
            {
                "message": {
                    "message_id": next(self._update_ids) + 1_000_000,
                    "date": int(self.clock.now().timestamp()),
                    "chat": {"id": me.telegram_id, "type": "private"},
                    "from": me.user,
                    "text": text,
                    **_entities(text),
                }
            }
        )

    async def send_photo(self, path: str) -> None:
        """The person acting sends a photo from a file."""
        data = _read_file(path) if path else None
        if data is None:
            self.write("Send a photo like /photo ~/Pictures/page.jpg (the file must exist).")
            return
        me = self._me()
        file_id = f"upload-{len(self.api.uploads) + 1}"
        self.api.uploads[file_id] = data
        size = len(self.api.uploads[file_id])
        photo = {"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 800}
        await self._update(
            {
                "message": {
                    "message_id": next(self._update_ids) + 1_000_000,
                    "date": int(self.clock.now().timestamp()),
                    "chat": {"id": me.telegram_id, "type": "private"},
                    "from": me.user,
                    "photo": [{**photo, "file_size": size}],
                }
            }
        )

    async def tap(self, number: int) -> None:
        """Tap button `number` of the latest message with buttons sent to the person acting."""
        me = self._me()
        shown = next(
            (s for s in reversed(self.shows.sent) if s.chat_id == me.telegram_id and s.choices),
            None,
        )
        if shown is None or not 1 <= number <= len(shown.choices):
            self.write("There is no such button. #1 taps the first button of the last message.")
            return
        label, data = shown.choices[number - 1]
        self.write(f"(you tap “{label}”)")
        await self._update(
            {
                "callback_query": {
                    "id": f"console-{next(self._update_ids)}",
                    "from": me.user,
                    "chat_instance": f"console-{me.telegram_id}",
                    "data": data,
                    "message": shown.raw,
                }
            }
        )

    async def after(self) -> None:
        """One beat of the ticker at the console's time: what fell due is sent."""
        assert self.application is not None
        await tick(self.runtime, self.application.bot)
        await self._learn_roles()

    async def _update(self, content: dict[str, Any]) -> list[Shown]:
        assert self.application is not None
        before = len(self.shows.sent)
        update = Update.de_json(
            {"update_id": next(self._update_ids), **content}, self.application.bot
        )
        await self.application.process_update(update)
        await self.after()
        me = self._me()
        return [s for s in self.shows.sent[before:] if s.chat_id == me.telegram_id]

    async def _learn_roles(self) -> None:
        assert self.db is not None
        async with self.db.reading() as session:
            rows = (await session.execute(select(User.chat_id, User.role))).all()
        roles = {telegram_id: role for telegram_id, role in rows}
        for person in self.people:
            person.role = roles.get(person.telegram_id, "new")

    def _me(self) -> Person:
        if self.me is None:
            self.me = Person(7001, "Someone")
            self.people.append(self.me)
        return self.me

    def _draw(self, shown: Shown, how: str) -> None:
        if self.quiet:
            return
        if how == "notice":  # shown on the pressed button, to whoever pressed it
            self.write(f"bot: ({shown.text})")
            return
        to = next((p for p in self.people if p.telegram_id == shown.chat_id), None)
        who = "" if to is self.me else f" → {to.name if to else shown.chat_id}"
        lines = shown.text.splitlines() or [""]
        out = [f"bot{who}: {lines[0]}", *(f"     {line}" for line in lines[1:])]
        if how == "edited":
            out = [f"bot{who}: (the buttons above now read)"]
        if shown.choices:
            out.append(
                "     "
                + "  ".join(f"[{i}] {label}" for i, (label, _) in enumerate(shown.choices, 1))
            )
        self.write("\n".join(out))


def _read_file(path: str) -> bytes | None:
    file = Path(path).expanduser()
    return file.read_bytes() if file.is_file() else None


def _entities(text: str) -> dict[str, Any]:
    """A leading /command is marked as one, as Telegram does."""
    command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
    if command is None:
        return {}
    return {"entities": [{"type": "bot_command", "offset": 0, "length": command.end()}]}


async def run_console(
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    read: Callable[[str], Awaitable[str]] | None = None,
    who: str | None = None,
    now: Clock | None = None,
) -> None:
    """The session: lines from the terminal (prompt-toolkit) or from `stdin` when it is not
    one, answers to `stdout`."""
    out = stdout or sys.stdout

    def write(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    console = Console(settings, write, now=now)
    try:
        await console.open()
        if who:
            console.act_as(who)
        source = stdin or sys.stdin
        if read is None and source.isatty():
            read = _prompt_reader(console)
        while True:
            prompt = f"{console.me.name if console.me else '?'}> "
            if read is not None:
                try:
                    line = await read(prompt)
                except KeyboardInterrupt:
                    continue  # Ctrl-C clears the line, as in a shell; Ctrl-D or /quit leaves
                except EOFError:
                    break
            else:
                line = await asyncio.to_thread(source.readline)
                if not line:
                    break
                write(f"{prompt}{line.rstrip()}")
            if not await console.handle(line):
                break
    finally:
        await console.close()


def _prompt_reader(console: Console) -> Callable[[str], Awaitable[str]]:
    from prompt_toolkit import PromptSession  # only for a real terminal
    from prompt_toolkit.history import InMemoryHistory

    session: PromptSession[str] = PromptSession(history=InMemoryHistory())

    async def read(prompt: str) -> str:
        toolbar = f" {console.clock.now():%a %d %b %H:%M} UTC · /console for help · Ctrl-D leaves"
        return await session.prompt_async(prompt, bottom_toolbar=toolbar)

    return read
