"""The risk screen: the labelled corpus meets its targets, and each kind of reading works."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_risk import (
    FALSE_POSITIVE_TARGET,
    RECALL_TARGET,
    measure,
    read_corpus,
)
from conversations.risk import RiskFinding, screen

FOLDER = Path(__file__).parent / "risk_corpus"
CORPUS = sorted(FOLDER.glob("*.txt"))
"""The corpora the screen was tuned on (README, "Risk screening", says which were blind)."""


def test_the_corpus_is_big_enough_in_both_languages() -> None:
    items = read_corpus(CORPUS)
    assert sum(i.risk for i in items) >= 300
    assert sum(not i.risk for i in items) >= 300
    spanish = [i for i in items if any(w in i.text.lower() for w in (" quiero ", " me ", "estoy"))]
    assert len(spanish) >= 150


def test_the_corpus_meets_recall_and_false_positive_targets() -> None:
    recall, false_positive, missed, flagged = measure(read_corpus(CORPUS))
    assert recall >= RECALL_TARGET, [m.where for m in missed]
    assert false_positive <= FALSE_POSITIVE_TARGET, [f.where for f in flagged]


def found(text: str) -> RiskFinding:
    finding = screen(text)
    assert finding is not None, text
    return finding


@pytest.mark.parametrize(
    "text",
    [
        "I want to die",
        "honestly ready to kms",
        "i want to dieeeee",
        "I WANT TO KILL MYSELF",
        "k1ll myself",
        "i wanna k!ll myself",
        "s u i c i d a l",
        "im so sucidal",
        "i want to kil myslef",
        "thinkin bout killin myself",
        "been thinking about the sewer slide",
        "unalive myself",
        "Everyone would be better off without me",
        "I'm a burden. I want to end it all.",
        "me quiero morir",
        "kiero suisidarme",
        "ya no quiero vivir",
        "estarían mejor sin mí",
        "QUIERO MORIRRRR",
        "Situation: the meeting. Hot thought: I should just kill myself. Emotion: shame 90.",
    ],
)
def test_risk_language_is_found_however_it_is_written(text: str) -> None:
    found(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, just tired",
        "I would never hurt myself",
        "No thoughts of self-harm this week",
        "Suicidal ideation: none. Sleep: 6 hours.",
        "i'm not gonna kms dw",
        "no quiero morir, quiero que se me pase la ansiedad",
        "jamás me haría daño",
        "My friend said she wants to kill herself",
        'My daughter said "I want to die" after her exam',
        "mi amiga se quiere morir",
        "This traffic is killing me",
        "I could kill for a coffee",
        "dead tired after the night shift",
        "I almost died laughing",
        "me muero de risa",
        "este examen me mató",
        "I ran 5 kms this morning",
        "I'm ending it with my boyfriend",
        "I want to dye my hair blue",
        "We did suicide prevention training at work",
        "Years ago in high school I had suicidal thoughts. That's over now.",
        "I cut myself shaving",
        "Me voy a cortar el flequillo.",
        "This is goodbye to my old apartment!",
        "Bought rope to tie the tent down",
        "",
        "   ",
    ],
)
def test_negations_other_people_idioms_and_look_alikes_are_not_risk(text: str) -> None:
    assert screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "iwannadie",
        "mequieromorir ya no aguanto",
        "I just wanna be with my mom again. She passed in March.",
        "relapsed. 40 days clean from cutting and I blew it",
        'a patient told me "I want to die", I followed protocol',
    ],
)
def test_words_run_together_and_pairs_across_sentences(text: str) -> None:
    finding = screen(text)
    assert (finding is None) == text.startswith("a patient")


def test_a_pair_needs_both_halves() -> None:
    assert screen("I just wanna be with my mom again, she's visiting in May") is None
    assert screen("relapsed on sugar again, ugh") is None


def test_a_thought_that_comes_back_is_risk_again_despite_the_past() -> None:
    assert screen("I used to cut myself") is None
    found("I thought the wanting-to-die phase was over but it's back this week")
    found("I used to cut and I started again.")


@pytest.mark.parametrize(
    "text",
    [
        "I took an overdose 20 minutes ago and I feel peaceful",
        "i just took an overdose",
        "Me tomé una sobredosis hace 20 minutos y me siento en paz, gracias por todo.",
        "Hace un rato me tomé una sobredosis, me siento tranquila",
        "Two years ago I tried to hang myself. I've got the rope back out in my room.",
        "I have the pills and it is time.",
    ],
)
def test_an_act_just_done_or_means_out_again_are_imminent(text: str) -> None:
    assert found(text).imminent


def test_an_overdose_long_ago_is_not_imminent() -> None:
    assert not found("I took an overdose at 18.").imminent
    assert screen("En las noticias hablaron de una sobredosis de un actor") is None


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to kill myself tonight",
        "I have the pills ready",
        "this is goodbye",
        "I'm at the bridge right now",
        "ya tengo las pastillas",
        "esta noche me mato",
    ],
)
def test_plans_means_places_and_goodbyes_are_imminent(text: str) -> None:
    assert found(text).imminent


@pytest.mark.parametrize(
    "text", ["I'm going to kill myself", "I will kill myself", "me voy a suicidar"]
)
def test_stated_intent_is_imminent(text: str) -> None:
    assert found(text).imminent


def test_ideation_without_a_plan_is_not_imminent() -> None:
    assert not found("I wish I was dead").imminent


def test_weak_signals_count_only_together() -> None:
    assert screen("goodbye!") is None
    assert screen("I'm doing it tonight") is None
    assert found("I'M DOING IT TONIGHT. GOODBYE").imminent


def test_the_excerpt_is_the_sentence_not_the_whole_entry() -> None:
    finding = found(
        "Journal: woke up late, skipped class. I keep thinking I want to die. Mom called."
    )
    assert finding.excerpt == "I keep thinking I want to die."
    assert finding.language == "en"


def test_language_follows_the_words() -> None:
    assert found("me quiero matar").language == "es"


def test_screening_is_deterministic_and_bounded() -> None:
    text = "nothing to see here. " * 2000 + "I want to die"
    assert screen(text) is None  # past the first 8,000 characters
    assert screen("I want to die") == screen("I want to die")


PRESENT_RISK_TOLD_WITH_THE_PAST = [
    "Hace años intenté suicidarme y quiero suicidarme.",
    "Hace años que quiero morirme.",
    "Did I think about suicide? Never stopped.",
    "Hace meses que pienso en suicidarme.",
    "Hace tiempo que quiero matarme.",
    "Hace mucho que no quiero vivir.",
    "Hace años que me autolesiono.",
    "Hace años que pienso en quitarme la vida.",
    "Durante la pandemia empecé a cortarme y no he parado.",
    "Back in uni I started self harming and I still do.",
    "A long time ago I decided I'd kill myself at 30 and I turn 30 next week.",
    "I'm turning 30 next month and years ago I promised myself I'd kill myself at 30.",
    "Three years clean from self harm and I just cut myself.",
    "I want to die, 0 hope left.",
    "Self harm urges: zero control today.",
    "Years ago I had hope, but I want to die.",
    "Back in uni I was happy, I want to kill myself.",
    "Antes creía que mejoraría, pero quiero morirme.",
    "Antes tenía esperanza, quiero suicidarme.",
    "Antes me gustaba mi trabajo y quiero matarme.",
    "En la universidad todo iba bien, pero quiero suicidarme.",
    "During the pandemic I lost my job and I want to kill myself.",
    "Last summer my wife left, I have the pills ready.",
    "5 years sober and I'm thinking about ending my life.",
    "When I was 20 I wrote a suicide note and I'm writing one for my kids.",
    "Years ago I gave my things away and I've started giving my things away.",
    "Hace años regalé mis cosas y estoy regalando mis cosas.",
    "A year ago my son died and I want to die.",
    "My daughter died years ago and I've been stockpiling pills.",
    "Hace meses que junto pastillas.",
    "Hace meses que estoy juntando pastillas para matarme.",
    "I wrote my suicide note years ago and I keep it in my drawer.",
    "I cut myself. It was years ago that I last did it.",
    "Self harm urges 0/10 in the morning but now I'm cutting.",
    "Suicidal thoughts 0/10? I wish, they're 9/10.",
    "Did I self harm this week? No... well yes, twice.",
    "Am I suicidal? No more than usual.",
    "¿Pienso en suicidarme? Nunca dejo de hacerlo.",
    "My psychiatrist asked if I'm suicidal. No point lying, I am.",
]
"""A reviewer's cases (docs/review_2026_12_07_regressions.txt) against an earlier attempt:
present risk beside words of the past, a denial that isn't one, a score that is no score."""


@pytest.mark.parametrize("text", PRESENT_RISK_TOLD_WITH_THE_PAST)
def test_present_risk_beside_the_past_is_found(text: str) -> None:
    found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Back in college I was happy, I want to kill myself",
        "Two years ago I lost my job and now I want to kill myself",
        "When I was 16 I was bullied and I want to die",
        "Hace dos años perdí a mi madre y quiero morirme",
        "I used to be happy but I want to die",
        "En 2019 me divorcié y ahora quiero suicidarme",
        "Hace años que quiero morirme.",
        "I have been suicidal since 3 years ago",
        "clean for 5 years, I want to cut myself",
    ],
)
def test_a_past_marker_in_another_clause_or_with_a_verb_of_now_vetoes_nothing(
    text: str,
) -> None:
    assert found(text).level == "risk"


@pytest.mark.parametrize(
    "text",
    [
        "Two years ago I tried to kill myself",
        "Two years ago, I tried to kill myself.",
        "I used to want to die",
        "I wanted to die when I was 15, therapy helped",
        "I used to self harm, that is behind me now",
        "I was suicidal 3 years ago",
    ],
)
def test_risk_told_long_ago_in_its_own_clause_is_past(text: str) -> None:
    assert screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "When I was 15, I tried to kill myself. I'm 30 now and doing well.",
        "It's been 500 days since my last self harm. Made myself a cake.",
        "I used to cut myself. I still do yoga every morning and it helps",
        "I tried to kill myself 5 years ago and my mom never stopped loving me",
    ],
)
def test_a_story_of_long_ago_is_past_whatever_else_it_says(text: str) -> None:
    assert screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "i am not safe right now",
        "no estoy a salvo ahora mismo y no sé qué hacer",
        "me tomé 20 pastillas hace una hora",
        "I just took an overdose of caffeine pills",
        "I took an overdose of 30 pills an hour ago.",
    ],
)
def test_not_safe_poison_and_pills_counted_are_imminent(text: str) -> None:
    assert found(text).imminent


@pytest.mark.parametrize(
    "text", ["im scared of what i might do to myself lol", "i drank bleach", "I'm not safe."]
)
def test_not_safe_and_poison_are_risk(text: str) -> None:
    found(text)


@pytest.mark.parametrize(
    "text",
    [
        "my dog drank antifreeze, what do I do",
        "Years ago I drank bleach, I'm fine now",
        "When I was 15 I was scared of what I might do to myself",
        "Two years ago I tried to kill myself. I have not stopped smoking since.",
        "I took an overdose in 2019, today I am doing fine",
    ],
)
def test_someone_elses_poison_and_stories_of_then_are_not_the_writers(text: str) -> None:
    assert screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "husband at work so took an overdose 20 minutes ago",
        "my boyfriend left and really want to die tonight",
        "mi novio no sabe que me corto",
        "me corto desde 2019",
    ],
)
def test_someone_named_earlier_is_not_the_subject_of_the_writers_own_words(text: str) -> None:
    found(text)


@pytest.mark.parametrize(
    "text",
    [
        "mi amiga quería morir el año pasado y ahora está mejor",
        "I had an overdose of sugar today lol",
        "an overdose of cuteness, look at this puppy",
    ],
)
def test_someone_elses_past_and_sweet_overdoses_are_not_the_writers(text: str) -> None:
    assert screen(text) is None
