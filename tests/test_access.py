"""A stateful access test: two therapists and four clients (two of them called Robin) act at
random, with commands naming other people's clients, buttons taken from other people's
messages, and callback data made up; nobody ever sees, or changes, anyone else's data.

Each client wrote a homework entry holding their own canary. After every action:
- every message a therapist received names only their own clients' canaries, and every
  message a client received only their own;
- every assignment not given by the actor (nor to the actor) is exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.clock import FixedClock
from storage.models import Assignment, Link, User
from tests.fake_bot_api import FakeUser
from tests.harness import RunningBot, link_client, register_therapist
from tests.test_e2e_library import start

COMMANDS = (
    "/client robin", "/client kim", "/client lee", "/client 1", "/client 2",
    "/export robin", "/export lee", "/export kim 7", "/export",
    "/pause robin", "/pause lee gratitude", "/resume kim", "/resume robin",
    "/unassign lee gratitude", "/unassign kim gratitude",
    "/reschedule robin gratitude daily 09:00", "/reschedule lee gratitude daily 07:00",
    "/digest", "/clients", "/today", "/progress", "/note a thought", "/privacy",
)  # fmt: skip
CRAFTED = ("t:", "t:AAAA", "t:1", "a:1:0:x", "a:999:1:0", "set:day:3", "consent:yes:1", "x")

Action = tuple[str, int, int]
"""(what, actor index, which): a command, a button from someone else's message, made-up data."""

actions = st.tuples(
    st.sampled_from(("command", "foreign", "crafted")),
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=0, max_value=10_000),
)


@dataclass
class World:
    people: list[FakeUser]
    therapist_of: dict[int, int]
    """Client telegram id -> their therapist's telegram id."""
    canary: dict[int, str]
    seen: dict[int, int] = field(default_factory=dict)
    """Messages per chat already checked."""


async def make_world(running: RunningBot) -> World:
    dana = running.api.user(9001, "Dana", username="dana_fake")
    sam = running.api.user(9010, "Sam", username="sam_fake")
    robin = running.api.user(9002, "Robin", username="robin_one")
    kim = running.api.user(9003, "Kim", username="kim_fake")
    other_robin = running.api.user(9011, "Robin", username="robin_two")
    lee = running.api.user(9012, "Lee", username="lee_fake")
    therapist_of = {9002: 9001, 9003: 9001, 9011: 9010, 9012: 9010}
    canary = {}
    for therapist in (dana, sam):
        await register_therapist(running, therapist)
    for client in (robin, kim, other_robin, lee):
        therapist = dana if therapist_of[client.id] == dana.id else sam
        await link_client(running, therapist, client, client.first_name)
        await running.send(therapist, f"/assign {client.first_name} gratitude daily 20:00 count=1")
        canary[client.id] = f"Canary{client.id}x"
        await start(running, client, "gratitude entry")
        await running.send(client, f"Tea {canary[client.id]}")
        await running.send(client, "Calm")
        await running.press(client, "Save")
    return World([dana, sam, robin, kim, other_robin, lee], therapist_of, canary)


def allowed(world: World, person: FakeUser) -> set[str]:
    """The canaries this person may ever see."""
    if person.id in world.therapist_of:
        return {world.canary[person.id]}
    return {world.canary[c] for c, t in world.therapist_of.items() if t == person.id}


async def assignments(running: RunningBot) -> dict[int, tuple[int, int, bool, str, bool]]:
    """Assignment id -> (therapist, client: their chat ids, which in a private chat are
    their Telegram ids; active, schedule, paused)."""
    async with running.runtime.db.reading() as session:
        rows = await session.execute(
            select(Assignment, Link.therapist_id, Link.client_id).join(
                Link, Link.id == Assignment.link_id
            )
        )
        ids = {u.id: u.chat_id for u in (await session.execute(select(User))).scalars()}
        return {
            a.id: (ids[t], ids[c], a.active, a.schedule, a.paused_at is not None)
            for a, t, c in rows
        }


def check_messages(running: RunningBot, world: World) -> None:
    for person in world.people:
        said = running.api.sent_to(person.chat_id)
        for message in said[world.seen.get(person.id, 0) :]:
            shown = " ".join(
                [
                    message.text or "",
                    message.caption or "",
                    (message.file_data or b"").decode("utf-8", "replace"),
                ]
            )
            for owner, canary in world.canary.items():
                if canary in shown:
                    assert canary in allowed(world, person), (person.first_name, owner, shown[:200])
        world.seen[person.id] = len(said)


async def act(running: RunningBot, world: World, action: Action) -> None:
    what, who, which = action
    actor = world.people[who]
    if what == "command":
        await running.send(actor, COMMANDS[which % len(COMMANDS)])
        return
    own = running.api.sent_to(actor.chat_id)
    on = own[-1] if own else None
    if what == "crafted":
        await running.press_data(actor, CRAFTED[which % len(CRAFTED)] + str(which), on)
        return
    foreign = [
        data
        for person in world.people
        if person.id != actor.id
        for message in running.api.sent_to(person.chat_id)
        for row in message.buttons
        for _, data in row
    ]
    if foreign and on is not None:
        await running.press_data(actor, foreign[which % len(foreign)], on)


WORLDS: dict[int, World] = {}


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(actions, min_size=8, max_size=20))
async def test_nobody_reads_or_changes_anyone_elses_data(
    running: RunningBot, clock: FixedClock, steps: list[Action]
) -> None:
    world = WORLDS.get(id(running))
    if world is None:  # one world per bot; every example goes on acting in it
        world = WORLDS[id(running)] = await make_world(running)
        check_messages(running, world)
    for action in steps:
        before = await assignments(running)
        await act(running, world, action)
        for _ in range(2):
            clock.advance(timedelta(seconds=1))
            await running.tick()
        check_messages(running, world)
        after = await assignments(running)
        actor = world.people[action[1]].id
        for key, (therapist, client, *_state) in before.items():
            if actor not in (therapist, client):
                assert after[key] == before[key], (action, key)
