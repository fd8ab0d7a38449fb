"""Crisis resources: the shipped file, an operator's file, choosing a country, the wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations.crisis import (
    choose_country,
    crisis_reply,
    language_of,
    load_resources,
    sos_text,
)
from conversations.yamldoc import DocumentError

SHIPPED = load_resources()


def test_the_shipped_file_carries_the_clinical_reference_table() -> None:
    expected = {
        "US": ("911", "988"),
        "CA": ("911", "988"),
        "GB": ("999", "116 123"),
        "IE": ("112", "116 123"),
        "AU": ("000", "13 11 14"),
        "NZ": ("111", "1737"),
        "ES": ("112", "024"),
        "FR": ("112", "3114"),
        "DE": ("112", "0800 111 0 111"),
        "IN": ("112", "14416"),
        "MX": ("911", "800 911 2000"),
        "AR": ("911", "0800 999 0091"),
    }
    for country, (emergency, line) in expected.items():
        region = SHIPPED.countries[country]
        assert emergency in str(region.emergency)
        assert any(line in str(entry.how) for entry in region.lines), country
        assert region.checked.year >= 2026
    assert "findahelpline.com" in str(SHIPPED.default.lines[0].how)


@pytest.mark.parametrize(
    ("zone", "language", "country"),
    [
        ("America/New_York", "en", "US"),
        ("US/Eastern", "en", "US"),
        ("Europe/Madrid", "es", "ES"),
        ("America/Argentina/Buenos_Aires", "es", "AR"),
        ("UTC", "es-MX", "MX"),
        (None, "en-gb", "GB"),
        (None, "es", None),
        ("UTC", "en", None),
    ],
)
def test_the_country_comes_from_the_time_zone_then_the_language(
    zone: str | None, language: str, country: str | None
) -> None:
    assert choose_country(zone=zone, language_code=language) == country


def test_danger_now_puts_the_emergency_number_first() -> None:
    text = crisis_reply(
        SHIPPED, "US", language="en", imminent=True, therapist="Dr Fake", homework=None
    )
    assert text.index("call 911") < text.index("988")
    assert "I've let Dr Fake know" in text
    assert "glad you said it" in text
    assert "someone you trust" in text


def test_without_imminent_danger_the_lines_come_first_and_homework_can_go_on() -> None:
    text = crisis_reply(
        SHIPPED,
        "GB",
        language="en",
        imminent=False,
        therapist="Dr Fake",
        homework="thought record",
    )
    assert text.index("116 123") < text.index("999")
    assert "carry on with your thought record" in text
    assert "These are for the United Kingdom" in text


def test_nobody_is_said_to_be_told_when_nobody_is() -> None:
    text = crisis_reply(SHIPPED, None, language="en", imminent=False, therapist=None, homework=None)
    assert "let" not in text.split("\n\n")[-1]
    assert "Nobody watches this chat in real time" in text
    assert "findahelpline.com" in text


def test_spanish_is_answered_in_spanish_with_the_local_lines() -> None:
    text = crisis_reply(
        SHIPPED, "AR", language="es", imminent=True, therapist="Dra. Prueba", homework=None
    )
    assert text.startswith("Gracias por contármelo")
    assert "911 o 107" in text
    assert "0800 999 0091" in text
    assert "Le he avisado a Dra. Prueba" in text
    assert language_of("es-AR") == "es" and language_of(None) == "en"


def test_a_repeat_is_shorter_and_still_gives_the_numbers() -> None:
    first = crisis_reply(
        SHIPPED, "US", language="en", imminent=False, therapist="Dr F", homework=None
    )
    again = crisis_reply(
        SHIPPED, "US", language="en", imminent=False, therapist="Dr F", homework=None, repeat=True
    )
    assert len(again) < len(first)
    assert "911" in again and "988" in again


def test_sos_gives_the_resources_and_keeps_homework() -> None:
    text = sos_text(SHIPPED, "MX", language="es", homework="diario")
    assert text.startswith("Si estás en peligro ahora, llama al 911")
    assert "800 911 2000" in text
    assert "Tu tarea (diario) queda guardada" in text


def test_an_operator_file_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "lines.yaml"
    path.write_text(
        "version: 1\n"
        "default:\n"
        "  name: anywhere\n"
        "  emergency: '112'\n"
        "  checked: 2026-11-01\n"
        "  lines:\n"
        "    - {name: Practice on-call, how: call +49 30 000000}\n",
        encoding="utf-8",
    )
    resources = load_resources(path)
    text = sos_text(resources, "DE", language="en")
    assert "Practice on-call: call +49 30 000000" in text


def test_errors_in_an_operator_file_name_the_line_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "lines.yaml"
    path.write_text(
        "version: 1\n"
        "default:\n"
        "  name: anywhere\n"
        "  emergency: '112'\n"
        "  checked: not a date\n"
        "  lines: []\n"
        "countries:\n"
        "  us:\n"
        "    name: US\n"
        "    emergncy: '911'\n",
        encoding="utf-8",
    )
    with pytest.raises(DocumentError) as caught:
        load_resources(path)
    report = str(caught.value)
    assert "line 5, default.checked: must be a date like 2026-11-29" in report
    assert "line 6, default.lines: needs at least 1" in report
    assert "countries.us" in report and "two capitals" in report
    assert "line 10, countries.us.emergncy: is not a field here" in report


def test_yaml_syntax_and_tags_are_refused_kindly(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("default: [unclosed\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="YAML syntax"):
        load_resources(path)
    path.write_text("default: !!python/object:os.system x\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="is not allowed"):
        load_resources(path)


@pytest.mark.parametrize(
    ("zone", "country"),
    [("Europe/Oslo", "NO"), ("Europe/Amsterdam", "NL"), ("Atlantic/Reykjavik", "IS")],
)
def test_a_zone_the_tz_database_links_to_a_neighbour_keeps_its_own_country(
    zone: str, country: str
) -> None:
    assert choose_country(zone=zone, language_code="en") == country


def test_spanish_reads_well_without_a_country() -> None:
    text = crisis_reply(SHIPPED, None, language="es", imminent=True, therapist=None, homework=None)
    assert "llama ya al número de emergencias de tu país" in text
    assert "al el" not in text


def test_a_file_whose_reply_would_not_fit_a_message_is_refused(tmp_path: Path) -> None:
    long = "x" * 290
    lines = "".join(f"    - {{name: {i}{long}, how: {long}}}\n" for i in range(5))
    path = tmp_path / "long.yaml"
    path.write_text(
        f"default:\n  name: anywhere\n  emergency: '112'\n  checked: 2026-11-01\n  lines:\n{lines}",
        encoding="utf-8",
    )
    with pytest.raises(DocumentError, match="at most 3,500 fit one message"):
        load_resources(path)


def test_consent_promises_a_backup_contact_only_when_there_is_one() -> None:
    from bot.onboarding import consent_text

    assert "backup contact" not in consent_text("Robin", "Dr Fake", None)
    assert "backup contact" in consent_text("Robin", "Dr Fake", None, backup=True)
    assert "let Dr Fake know at once" in consent_text("Robin", "Dr Fake", None)
