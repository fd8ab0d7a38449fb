"""Risk-language screening: does a message suggest its writer may harm or kill themselves?

Pure and deterministic: text in, a finding (or None) out, no I/O. It runs on every message
the bot receives, before anything else, so it is built to be fast (a cheap trigger search
rejects most messages before any phrase rule runs; see ``bench/bench_risk.py``).

How a message is read::

    text ─► normalised (NFKC, no format characters, look-alike letters: textnorm)
         ─► sentences ─► tokens (case, accents, contractions, text-speak, leetspeak,
            spaced letters, repeated letters folded; misspelt key words corrected with
            rapidfuzz) ─► phrase rules (English and Spanish) ─► vetoes: negation ("I'm not
            suicidal"), another person ("my friend wants to die", quoted speech), idioms
            ("this traffic is killing me"), distant past ("years ago ... that's over")

It leans towards answering: a false alarm costs a therapist a glance, a miss can cost more.
The labelled corpus in ``tests/risk_corpus/`` measures both (README: "Risk screening").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from conversations.risk_rules import (
    CONTEXT_WORDS,
    FIRST_PERSON_VERBS_ES,
    FUZZY_WORDS,
    IDIOMS,
    IMMINENT_MARKERS,
    INTENT_MARKERS,
    NEGATION_FILLERS,
    NEGATORS,
    OVER_MARKERS,
    PAST_MARKERS,
    PAST_TENSE,
    PRESENT_TENSE,
    PROTECTED_WORDS,
    RECURRENCE_MARKERS,
    RULES,
    SPELLINGS,
    THIRD_PERSON,
    THIRD_PERSON_ES,
    Rule,
)
from conversations.textnorm import normalise

Language = Literal["en", "es"]
Level = Literal["risk", "check_in", "other"]

MAX_SCREENED = 8000
"""Characters screened per message; longer text is screened in its first 8,000."""


@dataclass(frozen=True)
class RiskFinding:
    """What was found: the sentence it is in, whether danger may be imminent, its language."""

    excerpt: str
    imminent: bool
    language: Language
    rule: str
    """The name of the rule that matched ("model" for the model), for tests and tuning
    (never the text)."""
    level: Level = "risk"
    """How sure the screen is: "risk" (clear: the crisis answer and an alert), "check_in"
    (uncertain: a gentle question, no alert) or "other" (someone else is at risk)."""


def screen(text: str) -> RiskFinding | None:
    """The first risk sentence in `text`, or None when there is none."""
    return screen_read(text)[0]


def screen_read(text: str) -> tuple[RiskFinding | None, list[tuple[str, str]], str | None]:
    """:func:`screen` and :func:`read` of `text`, which is read once for both, and the name
    of a rule that matched only someone else's risk ("my brother took an overdose 20
    minutes ago, what do I do"), if any."""
    if not text or not text.strip():
        return None, [], None
    sentences = _sentences(normalise(text[:MAX_SCREENED]))
    others: list[str] = []
    return _screen(sentences, others), _pairs(sentences), (others[0] if others else None)


def _screen(sentences: list[_Sentence], others: list[str] | None = None) -> RiskFinding | None:
    if not any(_ANY_RULE.search(s.line) for s in sentences):
        return None
    hits: list[tuple[_Sentence, Rule]] = []
    weak: list[tuple[_Sentence, Rule]] = []
    recurrence = any(_has(s.tokens, _RECURRENCE) for s in sentences)
    message = " ".join(s.line for s in sentences)
    for sentence in sentences:
        for rule in _matching_rules(sentence, message, recurrence=recurrence, others=others):
            (weak if rule.kind == "weak" else hits).append((sentence, rule))
    if not hits and len(weak) < 2:
        # Weak signals ("goodbye", "I'm doing it tonight") count only together.
        return None
    sentence, rule = hits[0] if hits else weak[0]
    imminent = any(r.kind in ("prep", "weak") for _, r in hits + weak) or any(
        _has(s.tokens, _IMMINENT) or _INTENT.search(s.line) for s, _ in hits
    )
    return RiskFinding(
        excerpt=_excerpt(sentence.original),
        imminent=imminent,
        language=rule.language,
        rule=rule.name,
    )


_SPANISH = frozenset(
    re.findall(
        r"\w+",
        "que de la el los las y en mi yo no es un una por para con lo estoy quiero ya mas "
        "pero porque todo nada esta soy tengo hoy muy",
    )
)
_ENGLISH = frozenset(
    re.findall(
        r"\w+",
        "the i to and my it is of in that this was for with not just im so but all today "
        "have want feel",
    )
)


def language_of(read: list[tuple[str, str]]) -> Language:
    """English or Spanish, by the commonest words of a text as :func:`read` gives it
    (English when it can't tell)."""
    words = [w for _, line in read for w in line.split()]
    spanish = sum(w in _SPANISH for w in words)
    return "es" if spanish > sum(w in _ENGLISH for w in words) else "en"


def names_the_writer(line: str) -> bool:
    """A sentence as :func:`read` gives it names the writer as the one at risk ("kill
    myself", "yo también me corto", "quiero matarme"): never someone else's risk alone. A
    "me" told something ("mi amiga me dijo que ...") is not."""
    return _writer(line.split())


def _writer(tokens: list[str]) -> bool:
    """The writer's own self as the one acting: "myself", "yo", a "me" before a verb of
    harm ("me corto", "me quiero morir"), a "-rme" after a first-person verb ("quiero
    matarme"); not "mi ex quería matarme" (someone else's wish, against the writer)."""
    for index, word in enumerate(tokens):
        if word in _REFLEXIVE or word == "yo":
            return True
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if word == "me" and following in _HARM_VERBS_ES:
            return True
        if word in ("my", "mi", "mis") and following in _OWN_RISK_NOUNS:
            return True  # "my self harm", "my suicide plan", "mis autolesiones"
        if word.endswith("rme") and any(
            w in _FIRST_VERBS for w in tokens[max(0, index - 3) : index]
        ):
            return True
    return False


def excerpt(sentence: str) -> str:
    """A sentence as an alert quotes it: one line, at most 300 characters."""
    return _excerpt(sentence)


def read(text: str) -> list[tuple[str, str]]:
    """Each sentence of `text` as written (normalised) and as the rules read it (folded,
    respelt tokens joined by spaces): what the screen's model reads too."""
    return _pairs(_sentences(normalise(text[:MAX_SCREENED])))


def _pairs(sentences: list[_Sentence]) -> list[tuple[str, str]]:
    return [(s.original, s.line.strip()) for s in sentences]


# Reading text into tokens.
@dataclass
class _Sentence:
    original: str
    tokens: list[str]
    line: str
    """The tokens joined by spaces, with a space before and after, for the rules."""
    starts: list[int]
    """Where each token starts in `line`."""


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_TOKEN = re.compile(r"[a-z0-9@$*/']+(?:-[a-z0-9']+)*|[,;:\"“”«»()\-–—]")
_LEET = str.maketrans({"1": "i", "3": "e", "4": "a", "0": "o", "5": "s", "@": "a", "$": "s"})
_INNER_MARKS = re.compile(r"(?<=[a-z])[*!|](?=[a-z])")
_REPEATS = re.compile(r"([a-z])\1+")


_ACCENT_MATTERS = re.compile(r"\bmató\b")
"""Spanish words whose accent is their meaning: "me mató" (it killed me, an idiom) is not
"me mato" (I kill myself); it is read as "me mataba", which no rule takes."""


def _fold(text: str) -> str:
    """Lower case without accents, apostrophes made plain."""
    text = _ACCENT_MATTERS.sub("mataba", text.casefold())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("’", "'").replace("‘", "'").replace("`", "'")


def _squeeze(word: str) -> str:
    """Every run of one letter as one letter: 'diiiie' and 'die', 'kil' and 'kill' meet."""
    return _REPEATS.sub(r"\1", word)


def _sentences(text: str) -> list[_Sentence]:
    found = []
    for part in _SENTENCE_END.split(text):
        if part.strip():
            tokens = _tokens(part)
            if tokens:
                found.append(_line(part.strip(), tokens))
    return found


def _line(original: str, tokens: list[str]) -> _Sentence:
    starts, position = [], 1
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    return _Sentence(original, tokens, " " + " ".join(tokens) + " ", starts)


def _tokens(text: str) -> list[str]:
    folded = _INNER_MARKS.sub("i", _fold(text)).replace("*", "")
    raw = _TOKEN.findall(folded)
    words: list[str] = []
    joined = _join_spelled(raw)
    for index, token in enumerate(joined):
        token = token.strip("'")
        if not token:
            continue
        if token == "kms" and index and joined[index - 1].isdigit():
            token = "km"  # "5 kms" is a distance
        elif "-" in token and len(token) > 1 and token not in SPELLINGS:
            words.extend(_spell(part) for part in token.split("-") if part)
            continue
        if any(c.isalpha() for c in token) and any(c in "013459@$" for c in token):
            token = token.translate(_LEET)
        if token in "“”«»":
            token = '"'
        elif token in "–—":
            token = "-"
        words.extend(_spell(token).split())
    return _fix_pairs(words)


def _fix_pairs(words: list[str]) -> list[str]:
    """Words split in two by a slip of the thumb: "be a live" is "be alive"."""
    fixed: list[str] = []
    for word in words:
        if fixed and (fixed[-1], word) == ("a", "live") and len(fixed) > 1 and fixed[-2] == "be":
            fixed[-1] = "alive"
        else:
            fixed.append(word)
    return fixed


def _join_spelled(tokens: list[str]) -> list[str]:
    """'s u i c i d a l' and 'd i e' as words: three or more single letters in a row."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if token:
            joined.append(token)
    return joined


@functools.lru_cache(maxsize=8192)
def _spell(token: str) -> str:
    """A token's standard spelling: contractions and text-speak expanded, letters squeezed,
    a misspelt key word corrected."""
    if token.endswith("'s"):
        # "tonight's the night" is "tonight is"; "my friend's band" is the friend's.
        base = _spell(token[:-2])
        return f"{base} is" if base in _IS_BASES else base
    squeezed = _squeeze(token)
    known = _SPELLINGS.get(token) or _SPELLINGS.get(squeezed)
    if known is not None:
        return known
    if squeezed in _KNOWN or not squeezed.isalpha():
        return squeezed
    if squeezed.endswith("in") and squeezed + "g" in _KNOWN:
        return squeezed + "g"  # "killin", "thinkin"
    if len(squeezed) == 4:
        # A swap of two letters in a short key word: "lfie", "daed".
        for word in _SHORT_WORDS:
            if sorted(word) == sorted(squeezed) and OSA.distance(word, squeezed) == 1:
                return word
        return squeezed
    if len(squeezed) < 5:
        return squeezed
    best = extractOne(
        squeezed,
        _FUZZY_BY_LETTER.get(squeezed[0], ()),
        scorer=OSA.distance,
        score_cutoff=1 if len(squeezed) < 8 else 2,
    )
    if best is not None:
        return str(best[0])
    split = _segment(squeezed) if len(squeezed) >= 8 else None
    return " ".join(_spell(part) for part in split) if split else squeezed


def _segment(word: str) -> list[str] | None:
    """Words run together ("iwantodie", "mequieromorir") split into known words, if they
    split cleanly into two to five of them."""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 12), end):
            head = best[start]
            piece = word[start:end]
            if head is not None and piece in _SEGMENT_WORDS and len(head) < 5:
                candidate = [*head, piece]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    found = best[len(word)]
    return found if found is not None and len(found) >= 2 else None


# Applying the rules.
def _matching_rules(
    sentence: _Sentence, message: str, *, recurrence: bool, others: list[str] | None = None
) -> list[Rule]:
    """The rules that match; those that match only someone else's words ("my brother took
    an overdose") are named in `others`."""
    found = []
    idioms = [m.span() for pattern in _IDIOMS for m in pattern.finditer(sentence.line)]
    quoted = _others_quotes(sentence)
    for rule, pattern in _COMPILED:
        also = _ALSO.get(rule.name)
        if also is not None and also.search(message) is None:
            continue
        for match in pattern.finditer(sentence.line):
            start, end = match.span()
            if any(a < end and start < b for a, b in idioms):
                continue
            first = _token_at(sentence, start)
            if any(a <= first < b for a, b in quoted):
                continue
            vetoed = _vetoed(rule, sentence, first, _token_at(sentence, end - 1), recurrence)
            if (
                vetoed == "other"
                and rule.kind in ("strong", "prep")
                and others is not None
                and _third_person(sentence.tokens, first, language=rule.language, reach=1)
            ):
                # Someone else's, by a subject right before it ("my brother took an
                # overdose"), not one a few words back ("she cheated so want to die" is
                # the writer's).
                others.append(rule.name)
            if vetoed:
                continue
            found.append(rule)
            if rule.kind != "weak":
                break  # one finding per rule is enough; weak signals count each time
    return found


def _token_at(sentence: _Sentence, position: int) -> int:
    index = 0
    for i, start in enumerate(sentence.starts):
        if start <= position:
            index = i
    return index


_CLAUSE_ENDS = frozenset({",", ";", "-", "but", "pero", "and", "so", "then", "y", "asi", "luego"})
"""Where a subject named before stops being the subject: "husband at work so took an
overdose". After "and" or "y" only when the verb can't be theirs ("my boyfriend left and
really want to die"), or the match is a plan or an act (a false alarm there costs less
than silence)."""
_AND = frozenset({"and", "y"})


def _theirs_after(tokens: list[str], at: int) -> bool:
    """The words after "and" at `at` open with a third person's verb ("... and is
    suicidal", "... and talks about suicide", "... y quiere morirse"), so the subject named
    before goes on; anything else ("... and feeling suicidal", "... and self harm is the
    only thing", "... y tengo ideas suicidas") is the writer's own."""
    for word in tokens[at + 1 : at + 4]:
        if word in _THIRD_VERBS:
            return True
        if word not in _ADVERBS:
            return False
    return False


def _vetoed(rule: Rule, sentence: _Sentence, first: int, last: int, recurrence: bool) -> str:
    """Why a match is not the writer's risk: "" when it is, "other" when only because its
    subject is someone else ("my brother took an overdose"), "yes" for anything else."""
    tokens = sentence.tokens
    if rule.negatable and (_negated_before(tokens, first) or _denied_after(tokens, last)):
        return "yes"
    if rule.context and _has(tokens, _CONTEXT):
        return "yes"
    if rule.kind != "prep" and not recurrence and _told_long_ago(tokens, first, last):
        return "yes"
    language = "any" if rule.kind == "mention" else rule.language
    writer = _writer(tokens[max(0, first - 3) : last + 1])
    if (
        rule.subject
        and not writer
        and _third_person(tokens, first, language=language, joined=rule.kind == "prep")
    ):
        return "other"
    return ""


_CLAUSE_BREAKS = frozenset({",", ";", ":", "-", '"', "(", ")", "but", "pero", "and", "y"})


def _told_long_ago(tokens: list[str], first: int, last: int) -> bool:
    """A past marker ("years ago", "when I was 15", "used to") in the match's own clause,
    which has no verb of now: "two years ago I tried to kill myself", "when I was 15, I
    tried to ..." (a clause that is nothing but the marker counts as the next one's), but
    not "back in college I was happy, I want to kill myself", "two years ago I lost my job
    and now I want to die" or "hace años que quiero morirme" (ongoing). A marker that says
    it stopped ("500 days since my last") is past whatever verb is beside it."""
    start, end = _clause(tokens, first, last)
    if _OVER.search(" " + " ".join(tokens[start:end]) + " "):
        return True
    if start > 1 and tokens[start - 1] == ",":
        before, _ = _clause(tokens, start - 2, start - 2)
        marked = _marked(tokens[before : start - 1])
        if marked and not any(
            _verb_of_now(tokens, before + i) or tokens[before + i] in _PAST_TENSE
            for i in range(start - 1 - before)
            if i not in marked
        ):
            start = before
    clause = tokens[start:end]
    marked = _marked(clause)
    if not marked:
        return False
    return not any(_verb_of_now(tokens, start + i) for i in range(len(clause)) if i not in marked)


def _marked(clause: list[str]) -> set[int]:
    """Indices of the tokens of `clause` inside a past marker (its "was" is the marker's)."""
    line = " " + " ".join(clause) + " "
    marked: set[int] = set()
    for match in _PAST.finditer(line):
        first_at = line[: match.start()].count(" ") - 1
        marked.update(range(first_at, first_at + match.group().count(" ") + 1))
    return marked


def _clause(tokens: list[str], first: int, last: int) -> tuple[int, int]:
    start, end = first, last + 1
    while start > 0 and tokens[start - 1] not in _CLAUSE_BREAKS:
        start -= 1
    while end < len(tokens) and tokens[end] not in _CLAUSE_BREAKS:
        end += 1
    return start, end


def _verb_of_now(tokens: list[str], index: int) -> bool:
    """A present verb that is not an infinitive ("used to want" is past)."""
    return tokens[index] in _PRESENT_TENSE and (index == 0 or tokens[index - 1] != "to")


def _negated_before(tokens: list[str], first: int) -> bool:
    """A negator governs the match: "not", "never", "no urges to ...", "ya no" excepted."""
    index = first - 1
    while index >= 0:
        word = tokens[index]
        if word in _NEGATORS:
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            # "can not stop thinking about", "no puedo dejar de pensar en": not a denial;
            # nor is "I'd be lying if I said I haven't".
            if following in {"stop", "help", "dejar", "parar"}:
                return False
            return "lying" not in tokens[max(index - 6, 0) : index]
        if word not in _FILLERS:
            return False
        index -= 1
    return False


_DENIALS = frozenset({"none", "no", "nope", "never", "nada", "ninguna", "ninguno", "nunca", "0"})
_FIRST = frozenset({"i", "me", "yo", "myself"})
_SPEAKER = frozenset({"i", "yo"})
_REFLEXIVE = frozenset({"myself", "meself"})


def _denied_after(tokens: list[str], last: int) -> bool:
    """ "Suicidal thoughts: none", "... but I didn't", "pero no lo hice"."""
    rest = tokens[last + 1 :]
    for index, word in enumerate(rest[:4]):
        if word in {":", "-"}:
            return index + 1 < len(rest) and rest[index + 1] in _DENIALS
    return _has(rest, _UNDONE)


def _third_person(
    tokens: list[str],
    first: int,
    *,
    language: str = "en",
    speaker: bool = False,
    reach: int = 8,
    joined: bool = False,
) -> bool:
    """The nearest subject before the match is someone else ("she", "my friend").

    For the `speaker` of a quote, "me" is the one spoken to ("a patient told me"), not the
    speaker, so only "I" counts as the writer.
    """
    mine = _SPEAKER if speaker else _FIRST
    if not speaker and first < len(tokens) and tokens[first] in _FIRST_VERBS | _CLAUSE_ENDS:
        return False  # "quiero morirme": the verb says who; "... so want to die": a new clause
    if language != "en" and first > 0 and tokens[first - 1] == "se":
        return True  # "se quería morir": Spanish says someone else in one word
    others = _THIRD.get(language, _THIRD["any"]) if not speaker else _THIRD["any"]
    for index in range(first - 1, max(first - reach - 1, -1), -1):
        word = tokens[index]
        if word in mine:
            return False
        if word in others:
            return True
        if word in _AND and not speaker and not joined and _theirs_after(tokens, index):
            continue  # "my friend is depressed and is suicidal": her, still
        if word in _CLAUSE_ENDS and not speaker:
            return False
    return False


def _others_quotes(sentence: _Sentence) -> list[tuple[int, int]]:
    """Token ranges of quoted speech whose speaker is someone else."""
    tokens = sentence.tokens
    marks = [i for i, t in enumerate(tokens) if t == '"']
    ranges = []
    for open_at, close_at in zip(marks[::2], marks[1::2], strict=False):
        if _third_person(tokens, open_at, speaker=True):
            ranges.append((open_at, close_at))
    if len(marks) % 2 == 1 and _third_person(tokens, marks[-1], speaker=True):
        ranges.append((marks[-1], len(tokens)))
    return ranges


def _has(tokens: list[str], phrases: frozenset[str]) -> bool:
    line = " " + " ".join(tokens) + " "
    return any(f" {phrase} " in line for phrase in phrases)


def _excerpt(sentence: str, limit: int = 300) -> str:
    flat = " ".join(sentence.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# Compiled once, at import: a broken rule fails loudly here, not on a client's message.
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<= )(?:" + _squeeze_pattern(pattern) + r")(?= )")


def _squeeze_pattern(pattern: str) -> str:
    # Letters are squeezed as the text is; regex escapes (\S, \w) keep their letter.
    return re.sub(r"(?<!\\)([a-z])\1+", r"\1", pattern)


_COMPILED: tuple[tuple[Rule, re.Pattern[str]], ...] = tuple(
    (rule, _compile(rule.pattern)) for rule in RULES
)
_ALSO = {rule.name: _compile(rule.also) for rule in RULES if rule.also is not None}
_IDIOMS: tuple[re.Pattern[str], ...] = tuple(_compile(p) for p in IDIOMS)
# One pass of every rule at once rejects most messages before any rule is checked alone.
_ANY_RULE = re.compile("|".join(p.pattern for _, p in _COMPILED))


def _words(phrases: frozenset[str]) -> frozenset[str]:
    return frozenset(" ".join(_squeeze(w) for w in phrase.split()) for phrase in phrases)


_SPELLINGS = {key: _squeeze(value) for key, value in SPELLINGS.items()} | {
    _squeeze(key): _squeeze(value) for key, value in SPELLINGS.items()
}
_IS_BASES = frozenset(
    _squeeze(w)
    for w in ("tonight", "today", "it", "that", "there", "what", "here", "he", "she", "who")
)
_SHORT_WORDS = ("life", "dead", "want", "pils", "die", "kil")
_SEGMENT_WORDS = frozenset(
    _squeeze(word)
    for rule in RULES
    for word in re.findall(r"(?<![\\?])\b[a-z]{2,}\b", rule.pattern)
) | frozenset({"i", "me", "wan", "wana", "quiero", "to", "my", "kil", "die", "want"})
_NEGATORS = _words(NEGATORS)
_FILLERS = _words(NEGATION_FILLERS)
_THIRD = {"en": _words(THIRD_PERSON), "es": _words(THIRD_PERSON_ES)}
_THIRD["any"] = _THIRD["en"] | _THIRD["es"]
_CONTEXT = _words(CONTEXT_WORDS)
_PAST = re.compile(r"(?<= )(?:" + _squeeze_pattern(PAST_MARKERS) + r")(?= )")
_RECURRENCE = _words(RECURRENCE_MARKERS)
_PAST_TENSE = _words(PAST_TENSE)
_OVER = re.compile(r"(?<= )(?:" + _squeeze_pattern(OVER_MARKERS) + r")(?= )")
_PRESENT_TENSE = _words(PRESENT_TENSE)
_FIRST_VERBS = _words(FIRST_PERSON_VERBS_ES)
_THIRD_VERBS = _words(
    frozenset(
        re.findall(
            r"\w+",
            "is has does says said talks talked wants keeps thinks feels tries tried cries "
            "needs hates plans cuts hurts goes went posts texted told "
            "quiere tiene esta dice dijo habla piensa siente intenta intento se va necesita "
            "hace sigue llora",
        )
    )
)
_OWN_RISK_NOUNS = _words(
    frozenset(
        re.findall(
            r"\w+",
            "self sh suicide suicidal overdose overdoses cutting cuts scars plan note attempt "
            "autolesiones autolesion sobredosis cortes ideas intento plan carta",
        )
    )
)
_ADVERBS = _words(
    frozenset(re.findall(r"\w+", "just really honestly now also still then again even ahora ya"))
)
_HARM_VERBS_ES = _words(
    frozenset(
        re.findall(
            r"\w+",
            "corto corte cortaba lastimo lastime quemo queme autolesiono autolesione hago hice "
            "mato golpeo golpee quiero voy muero tome trague autolesion autolesionaba",
        )
    )
)
_IMMINENT = _words(IMMINENT_MARKERS)
_INTENT = re.compile(r"(?<= )(?:" + _squeeze_pattern(INTENT_MARKERS) + r")(?= )")
_UNDONE = _words(
    frozenset(
        {
            "but i did not",
            "but i never",
            "pero no lo hice",
            "pero no lo hago",
            "i said no",
            "i said honestly no",
            "i said , honestly , no",
            "and i said no",
            "le dije que no",
            "dije que no",
        }
    )
)
_KNOWN = frozenset(
    _squeeze(word) for rule in RULES for word in re.findall(r"(?<!\\)[a-z]{5,}", rule.pattern)
) | _words(PROTECTED_WORDS)
_FUZZY_BY_LETTER: dict[str, tuple[str, ...]] = {}
for _word in sorted({_squeeze(w) for w in FUZZY_WORDS}):
    _FUZZY_BY_LETTER[_word[0]] = (*_FUZZY_BY_LETTER.get(_word[0], ()), _word)
