"""Keeping the message catalogs in step with the code: `python -m bot.catalogs`.

It extracts every marked text from `bot/` and `conversations/` (Babel), adds new ones to
each language's `.po` (untranslated), drops those the code no longer says, and compiles the
`.mo` files the bot reads. Translators then fill the empty `msgstr`s and run it again. The
test suite fails while a text has no translation or a catalog is out of step.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "conversations")
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": None, "tr": (2,), "N_": None}
"""How texts are marked: ctx.t("…"), tr(language, "…"), N_("…")."""


def extracted() -> dict[str, list[str]]:
    """Every text the code marks, with the files that say it."""
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for filename, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=(),
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append(f"{folder}/{filename}")
    return found


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language)


def translated() -> Iterator[str]:
    """The languages with catalogs (English is the code's own words)."""
    yield from (language for language in LANGUAGES if language != "en")


def update() -> list[str]:
    """Bring every catalog in step with the code and compile it; returns the texts still
    untranslated, as "language: text"."""
    texts = extracted()
    missing: list[str] = []
    for language in translated():
        old = read_catalog(language) if po_path(language).exists() else Catalog(locale=language)
        new = Catalog(
            locale=language,
            project="homework-bot",
            copyright_holder="homework-bot contributors",
            fuzzy=False,
        )
        for text in sorted(texts):
            kept = old.get(text)
            new.add(text, kept.string if kept is not None else "", flags=("python-brace-format",))
            if kept is None or not kept.string:
                missing.append(f"{language}: {text}")
        po_path(language).parent.mkdir(parents=True, exist_ok=True)
        with po_path(language).open("wb") as file:
            write_po(file, new, width=0, no_location=True, sort_output=True)
        with po_path(language).with_suffix(".mo").open("wb") as file:
            write_mo(file, new)
    return missing


def main() -> None:
    missing = update()
    for line in missing:
        print("untranslated:", line.replace("\n", "\\n")[:120])
    print(f"catalogs updated; {len(missing)} texts still untranslated")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
