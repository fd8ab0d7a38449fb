"""Text as the risk screen reads it: the same words however they were typed.

Someone hiding a word from a filter, or a phone's keyboard, can make "kill" look like
"kill" to a person and like something else to a program: a zero-width space inside it
("k\u200bill"), a Cyrillic letter that looks Latin ("kіll"), small capitals ("ᴋɪʟʟ"),
full-width letters ("ｋｉｌｌ"). :func:`normalise` undoes these before anything is screened:

1. Unicode NFKC (full-width, ligatures, circled and mathematical letters become plain);
2. format characters (Unicode category Cf: zero-width spaces and joiners, soft hyphens,
   direction marks) are removed;
3. Latin small capitals become their letter (read from the character's Unicode name);
4. inside a word that also has plain Latin letters, a letter of another script that
   Unicode's confusables list (via the `confusable_homoglyphs` package, which ships the
   data) says looks like a Latin letter becomes that letter.

Plain ASCII is never rewritten, and a word wholly in another script ("привет", "γεια") is
left as it is: only look-alikes mixed into Latin words are taken for disguise.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from confusable_homoglyphs import confusables

_WORD = re.compile(r"\w+")
_SMALL_CAPITAL = "LATIN LETTER SMALL CAPITAL "


def normalise(text: str) -> str:
    """`text` with disguises undone (see the module's docstring); ASCII text is returned
    unchanged."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = "".join(_small_capital(c) if not c.isascii() else c for c in text)
    return _WORD.sub(_unmask_word, text)


@functools.lru_cache(maxsize=4096)
def _small_capital(char: str) -> str:
    name = unicodedata.name(char, "")
    if name.startswith(_SMALL_CAPITAL):
        letter = name[len(_SMALL_CAPITAL) :]
        if len(letter) == 1 and "A" <= letter <= "Z":
            return letter.lower()
    return char


def _unmask_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word.isascii() or not any("a" <= c.lower() <= "z" for c in word):
        return word
    return "".join(c if c.isascii() else _latin_look_alike(c) for c in word)


@functools.lru_cache(maxsize=4096)
def _latin_look_alike(char: str) -> str:
    """The plain Latin letter `char` is a look-alike of, or `char` itself (accented Latin
    letters such as "é" and "ñ" are letters of their own and stay)."""
    if not char.isalpha() or unicodedata.name(char, "").startswith("LATIN "):
        return char
    if char.isupper():
        # Read by its small letter: Unicode's list maps a capital Greek or Cyrillic I to a
        # small l (they look alike), which would turn "KΙLL" into "KlLL".
        small = _latin_look_alike(char.lower())
        return small.upper() if small != char.lower() else char
    found = confusables.is_confusable(char, greedy=True, preferred_aliases=["latin"])
    for entry in found or ():
        for glyph in entry["homoglyphs"]:
            plain = str(glyph["c"])
            if len(plain) == 1 and plain.isascii() and plain.isalpha():
                return plain.lower() if char.islower() else plain
    return char
