"""Command menus per role, in step with the handlers; consent can be typed."""

from __future__ import annotations

import json

import pytest

from bot import dispatch, menus
from bot.i18n import tr
from bot.onboarding import typed_consent
from tests.harness import RunningBot, code_in, register_therapist, texts


def test_every_menu_command_has_a_handler_and_the_roles_differ() -> None:
    for menu in (menus.CLIENT, menus.THERAPIST):
        assert {c.command for c in menu} <= set(dispatch.COMMANDS)
    client = {c.command for c in menus.CLIENT}
    therapist = {c.command for c in menus.THERAPIST}
    assert {"today", "progress", "sos"} <= client and not {"assign", "invite"} & client
    assert {"invite", "assign", "digest", "sos"} <= therapist and "today" not in therapist


@pytest.mark.parametrize(
    ("typed", "agree"),
    [
        ("yes, I agree", True), ("Yes I agree!", True), ("yes i agre", True), ("OK", True),
        ("no thank you", False), ("No.", False), ("nope", False),
        ("maybe later", None), ("", None), ("what is this?", None),
    ],
)  # fmt: skip
def test_consent_can_be_typed(typed: str, agree: bool | None) -> None:
    assert typed_consent(typed) is agree


async def test_a_therapist_gets_their_own_menu_and_a_client_types_consent(
    running: RunningBot,
) -> None:
    therapist = running.api.user(9001, "Dana", username="dana_fake")
    await register_therapist(running, therapist)
    scope = json.dumps({"chat_id": therapist.chat_id, "type": "chat"}, sort_keys=True)
    shown = running.api.my_commands[(scope, "")]
    assert "assign" in {c["command"] for c in shown}
    client = running.api.user(9002, "Robin", username="robin_fake")
    code = code_in(texts(await running.send(therapist, "/invite Robin")))
    await running.send(client, f"/start {code}")
    replies = await running.send(client, "what is this?")
    assert "type yes or no" in texts(replies)
    replies = await running.send(client, "Yes, I agree")
    assert "You are now linked with Dr Fake Therapist." in texts(replies)


async def test_menus_come_in_each_language_and_follow_a_change_of_language(
    running: RunningBot,
) -> None:
    therapist = running.api.user(9021, "Dana", username="dana_fake")
    await register_therapist(running, therapist)
    assert running.application is not None and running.db is not None
    await menus.set_all(running.application.bot, running.db)
    default = json.dumps({"type": "default"}, sort_keys=True)
    english = {c["command"]: c["description"] for c in running.api.my_commands[(default, "")]}
    spanish = {c["command"]: c["description"] for c in running.api.my_commands[(default, "es")]}
    assert english.keys() == spanish.keys() and english["today"] != spanish["today"]
    assert spanish["today"] == tr("es", "What is due today")
    # A therapist who switches to Spanish gets their own menu in Spanish.
    await running.send(therapist, "/settings")
    await running.send(therapist, "language")
    await running.send(therapist, "español")
    scope = json.dumps({"chat_id": therapist.chat_id, "type": "chat"}, sort_keys=True)
    mine = {c["command"]: c["description"] for c in running.api.my_commands[(scope, "")]}
    assert mine["assign"] == tr("es", "Give a client homework") != "Give a client homework"
