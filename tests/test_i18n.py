"""Every person's language: the catalogs are complete and in step with the code."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import date, time

import pytest

from bot import catalogs, i18n
from bot.i18n import in_sentence, language_from_code, pick_language, schedule_words, tr, wording
from bot.messages import CONTENT, ENGLISH, words
from conversations.choosing import Picked, Unsure, match_choice
from conversations.notes import NOTE_IDS, note
from conversations.schedules import Daily, Once, Weekly

FIELD = re.compile(r"\{[^{}]*\}")


def test_every_text_the_code_says_is_in_every_catalog_and_nothing_stale() -> None:
    said = set(catalogs.extracted())
    assert len(said) > 250  # the extraction itself works (a broken keyword finds nothing)
    for language in catalogs.translated():
        kept = {m.id for m in catalogs.read_catalog(language) if m.id}
        assert not said - kept, f"{language}: run python -m bot.catalogs ({said - kept})"
        assert not kept - said, f"{language}: no longer said ({kept - said})"


@pytest.mark.parametrize("language", list(catalogs.translated()))
def test_every_text_has_a_translation_with_the_same_fields(language: str) -> None:
    for message in catalogs.read_catalog(language):
        if not message.id:
            continue
        assert isinstance(message.id, str) and isinstance(message.string, str)
        assert message.string.strip(), f"{language}: no translation of {message.id!r}"
        assert not message.fuzzy, f"{language}: a guess, not a translation: {message.id!r}"
        assert sorted(FIELD.findall(message.string)) == sorted(FIELD.findall(message.id)), (
            f"{language}: the fields differ in {message.id!r}"
        )
        assert message.id.count("/") <= message.string.count("/"), (
            f"{language}: a /command went missing in {message.id!r}"
        )


@pytest.mark.parametrize("language", list(catalogs.translated()))
def test_the_compiled_catalog_matches_its_po_file(language: str) -> None:
    with catalogs.po_path(language).with_suffix(".mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for message in catalogs.read_catalog(language):
        if message.id:
            assert isinstance(message.id, str)
            assert compiled.gettext(message.id) == message.string, "run python -m bot.catalogs"


def test_every_engine_note_has_words_in_every_language() -> None:
    assert set(ENGLISH) == NOTE_IDS
    params: dict[str, str | int] = {"min": 1, "max": 5, "unit": "min", "options": "1. a"}
    params["length"] = 9000
    params |= {"limit": 4000, "part": "x", "what": "sticker", "need": "needs_photo"}
    for language in i18n.LANGUAGES:
        for id in NOTE_IDS:
            assert words(note(id, **params), language).strip()
    refused = words(note("wrong_kind", what="sticker", need="needs_photo"), "es")
    assert tr("es", CONTENT["sticker"]) in refused and tr("es", ENGLISH["needs_photo"]) in refused
    assert refused != words(note("wrong_kind", what="sticker", need="needs_photo"), "en")
    assert set(CONTENT) >= {"photo", "sticker", "voice", "message"}


def test_a_language_comes_from_telegram_or_is_typed() -> None:
    assert language_from_code("es-MX") == "es" and language_from_code("es") == "es"
    assert language_from_code("en-GB") == "en" and language_from_code(None) == "en"
    assert language_from_code("de") == "en"  # not spoken yet: English
    assert pick_language("Español") == "es" and pick_language("spanish.") == "es"
    assert pick_language("English") == "en" and pick_language("klingon") is None


def test_texts_and_schedules_read_in_spanish() -> None:
    assert tr("es", "Continue {title}", title="diario") == "Continuar diario"
    assert tr("en", "Continue {title}", title="journal") == "Continue journal"
    assert tr("es", "daily at {time}", time="20:00") != "daily at 20:00"
    assert "20:00" in schedule_words(Daily(at=time(20)), "es")
    assert schedule_words(Daily(at=time(20)), "en") == "daily at 20:00"
    weekly = schedule_words(Weekly(days=frozenset({0, 2}), at=time(9)), "es")
    assert "lun" in weekly and "mié" in weekly
    assert "2026" in schedule_words(Once(on=date(2026, 12, 4), at=time(9)), "es")


@pytest.mark.parametrize(
    ("typed", "labels", "found"),
    [
        ("2", ["Robin", "Sam"], Picked(1)),
        ("robin", ["Robin Fake", "Sam"], Picked(0)),
        ("Robni Fake", ["Robin Fake", "Sam Fake"], Picked(0)),
        ("yes", ["Yes, delete everything", "No, keep my data"], Picked(0)),
        ("no", ["Yes, delete everything", "No, keep my data"], Picked(1)),
        ("gratitude entry", ["Gratitude entry", "Thought record"], Picked(0)),
        ("Diario de gratitud", ["Diário de gratitud", "Registro"], Picked(0)),
        ("gad7", ["GAD-7 anxiety questionnaire", "PHQ-9 mood questionnaire"], Picked(0)),
        ("phq9", ["Start GAD-7", "Start PHQ-9 mood questionnaire"], Unsure((1,))),
        ("Sam", ["Sam Fake", "Sam Other"], Unsure((0, 1))),
        ("hello there", ["Robin", "Sam"], None),
        ("9", ["Robin", "Sam"], None),
        ("", ["Robin"], None),
    ],
)
def test_typed_text_is_read_as_a_button(typed: str, labels: list[str], found: object) -> None:
    got = match_choice(typed, labels)
    if isinstance(found, Unsure):
        assert isinstance(got, Unsure) and set(found.indexes) <= set(got.indexes)
    else:
        assert got == found


def test_no_text_is_marked_inside_an_f_string() -> None:
    # Babel cannot see a tr("…") inside an f-string: it would never be translated.
    hidden = []
    for folder in catalogs.SOURCES:
        for path in sorted((catalogs.ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                    name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
                    marked = call.args[1:2] if name == "tr" else call.args[:1]
                    if name in catalogs.KEYWORDS and any(
                        isinstance(a, ast.Constant) for a in marked
                    ):
                        hidden.append(f"{path.name}:{node.lineno}")
    assert not hidden, f"marked text inside an f-string (move it out): {hidden}"


def test_every_marked_text_is_one_literal() -> None:
    # tr(language, "a" if x else "b") is extracted as one text "ab": each needs its own call.
    mixed = []
    for folder in catalogs.SOURCES:
        for path in sorted((catalogs.ROOT / folder).rglob("*.py")):
            for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
                if name not in catalogs.KEYWORDS:
                    continue
                marked = call.args[1:2] if name == "tr" else call.args[:1]
                for argument in marked:
                    # Babel joins the literals of a choice or a sum made in the call itself
                    # (a dict's key or an N_() inside are looked up or marked on their own).
                    parts = (
                        [argument.body, argument.orelse]
                        if isinstance(argument, ast.IfExp)
                        else [argument.left, argument.right]
                        if isinstance(argument, ast.BinOp)
                        else []
                    )
                    if any(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
                        mixed.append(f"{path.name}:{call.lineno}")
    assert not mixed, f"a marked text built from several literals: {mixed}"


def test_a_yes_or_no_reads_in_the_persons_language() -> None:
    from conversations import engine
    from conversations.templates import load_library

    template = load_library()["exposure_log"]
    spanish = engine.compile_flow(template, {}, language="es", wording=wording("es"))
    english = engine.compile_flow(template, {})
    step = next(s for s in spanish.steps if s.spec.kind == "yes_no")
    same = next(s for s in english.steps if s.key == step.key)
    assert step.kind.answer_text(step.spec, True) == "Sí"
    assert same.kind.answer_text(same.spec, True) == "Yes"


def test_a_templates_translation_covers_its_default_settings_and_units() -> None:
    from conversations import engine
    from conversations.templates import load_library

    library = load_library()
    journal = engine.compile_flow(library["journal"], {}, language="es")
    assert journal.params["prompt"].startswith("¿Qué has tenido en la cabeza hoy?")
    own = engine.compile_flow(library["journal"], {"prompt": "Write to me"}, language="es")
    assert own.params["prompt"] == "Write to me"  # the therapist's words are kept
    mood = engine.compile_flow(library["mood_monitoring"], {}, language="es")
    assert any(getattr(s.spec, "unit", None) == "horas" for s in mood.steps)


def test_a_title_inside_a_sentence_keeps_its_capitals_where_they_are_a_name() -> None:
    assert in_sentence("Thought record") == "thought record"
    assert in_sentence("PHQ-9 mood questionnaire") == "PHQ-9 mood questionnaire"
    assert in_sentence("Cuestionario de ansiedad GAD-7") == "cuestionario de ansiedad GAD-7"
    assert in_sentence("Weekly Walk Plan") == "weekly walk plan"
    assert in_sentence("Self-Compassion Check-In") == "self-compassion check-in"
    assert in_sentence("CBT-I sleep diary") == "CBT-I sleep diary"


def test_a_day_answer_is_shown_back_in_the_persons_language() -> None:
    from conversations import engine
    from conversations.templates import load_library

    template = load_library()["goal_steps"]
    for language, shown in (("es", "vie 4 dic"), ("en", "Fri 04 Dec")):
        flow = engine.compile_flow(template, {}, language=language, wording=wording(language))
        step = next(s for s in flow.steps if s.spec.kind == "date")
        assert engine.answer_text(step, "2026-12-04") == shown
        assert engine.summarize(flow, {step.key: "2026-12-04"}) == ((step.label, shown),)


def test_one_oclock_is_singular_in_spanish() -> None:
    assert tr("es", "tomorrow at {time}", time="01:30") == "mañana a la 01:30"
    assert tr("es", "tomorrow at {time}", time="13:30") == "mañana a las 13:30"
    assert tr("es", "tomorrow at {time}", time="11:00") == "mañana a las 11:00"
    assert tr("en", "tomorrow at {time}", time="01:30") == "tomorrow at 01:30"


def test_a_persons_own_words_keep_their_grammar() -> None:
    # Only the catalog's "a las {time}" changes: a quoted note is never rewritten.
    assert tr("es", "“{text}”", text="desde las 1:30 no duermo") == "“desde las 1:30 no duermo”"


def test_a_time_zone_is_named_in_the_readers_language() -> None:
    from zoneinfo import ZoneInfo

    from bot.i18n import zone_name
    from conversations.timezones import parse_time_zone

    assert zone_name(ZoneInfo("America/Mexico_City"), "es") == "Ciudad de México"
    assert zone_name(ZoneInfo("America/Mexico_City"), "en") == "Mexico City"
    assert zone_name(ZoneInfo("Etc/GMT+5"), "es") == "UTC-5"
    # What is shown can be typed back.
    for key in ("Europe/London", "America/New_York", "Europe/Berlin"):
        assert parse_time_zone(zone_name(ZoneInfo(key), "es")) == ZoneInfo(key)
