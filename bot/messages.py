"""What the engine's notes say, in English (other languages come with the catalogs).

Each note id maps to a sentence with `{name}` fields from the note's parameters. Ids the
engine may say are `conversations.notes.NOTE_IDS`; a test checks every one has words here.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import N_, tr
from conversations.notes import Note

ENGLISH: dict[str, str] = {
    "empty_text": N_("I didn't catch any words there."),
    "too_long": N_(
        "That is longer than I can keep in one answer ({length:,} characters; up to "
        "{limit:,} fit). Could you send a shorter version? Your words are still in the chat "
        "above to copy from."
    ),
    "rest_of_long": N_(
        "That was the rest of the long message, so I haven't kept it either. Could you send a "
        "shorter version, in one message?"
    ),
    "need_scale": N_("I need a number from {min} to {max} here."),
    "need_number": N_("I need a number here, like {min}{unit_spaced}."),
    "need_number_range": N_("I need a number from {min} to {max}{unit_spaced} here."),
    "choose_from": N_("Please type {how} from this list: {options}."),
    "unmatched_option": N_(
        "I couldn't match “{part}”. Please type one or more numbers from this list: {options}."
    ),
    "pick_at_least_one": N_("Please pick at least one first."),
    "cannot_skip": N_(
        "This question matters for the rest, so it can't be skipped. If it feels like too much "
        "right now, that's okay: /cancel pauses and keeps your answers."
    ),
    "wrong_kind": N_("Thanks, but I can't use {what_article} for this question. I need {need}."),
    "earlier_button": N_("That button belongs to an earlier question."),
    "first_question": N_("This is the first question, so there is nothing to go back to."),
    "before_follow_up": N_("The first part is kept as it was, so we carry on from here."),
    "need_yes_no": N_("Please answer yes or no."),
    "need_time": N_("Please send a time like 19:30 or 7pm."),
    "need_date": N_("Please send a day like today, tomorrow, Friday or 2026-12-05."),
    "date_in_past": N_("That day has passed already. Please choose today or a day to come."),
    "need_duration": N_("Please send how long, like 20 min, 1 h 30 or 1:30."),
    "duration_range": N_("Please send a length from {min} to {max} minutes."),
    "need_photo": N_("Please send a photo here (the paperclip, then Photo)."),
    "continue_when_ready": N_("Tap the button when you're ready to go on."),
    "hint_scale": N_(
        "Tap a number or type one from {min}{min_label_spaced} to {max}{max_label_spaced}."
    ),
    "hint_choice": N_("Tap one, or type its number."),
    "hint_multi": N_("Tap all that fit, then Done. Or type their numbers, like 1, 3."),
    "hint_yes_no": N_("Tap one, or type yes or no."),
    "hint_number": N_("Type a number from {min} to {max}{unit_spaced}."),
    "hint_time": N_("Type a time, like 19:30 or 7pm."),
    "hint_date": N_("Type a day: today, tomorrow, a weekday, or a date like 2026-12-05."),
    "hint_duration": N_("Type how long, like 20 min or 1 h 30."),
    "hint_photo": N_("Send a photo of it."),
    "hint_photo_or_text": N_("Send a photo of it, or describe it in words."),
    "hint_info": N_("Tap {button_or_continue} when you're ready."),
    "review": N_("Here is everything you wrote. Save it, or change an answer first."),
    "review_pick": N_("Which answer would you like to change? Tap it, or type its number."),
    "review_changed": N_("Changed."),
    "needs_text": N_("a few words typed as a message"),
    "needs_number": N_("a number"),
    "needs_choice": N_("one of the choices below"),
    "needs_yes_no": N_("a yes or a no"),
    "needs_photo": N_("a photo"),
    "needs_time": N_("a time"),
    "needs_date": N_("a day"),
    "needs_duration": N_("how long it took"),
    "needs_continue": N_("a tap on the button"),
    "button_save": N_("Save"),
    "button_change": N_("Change an answer"),
    "button_done": N_("Done"),
    "button_continue": N_("Continue"),
    "button_yes": N_("Yes"),
    "button_no": N_("No"),
    "button_skip": N_("Skip"),
    "button_keep": N_("Keep as it is"),
}


CONTENT: dict[str, str] = {
    "message": N_("a message"),
    "photo": N_("a photo"),
    "sticker": N_("a sticker"),
    "voice": N_("a voice message"),
    "video": N_("a video"),
    "video note": N_("a video message"),
    "audio": N_("an audio file"),
    "document": N_("a file"),
    "animation": N_("a GIF"),
    "location": N_("a location"),
    "contact": N_("a contact"),
    "poll": N_("a poll"),
}
"""What arrived instead of the answer, as a wrong_kind note names it."""


def words(said: Note | str, language: str = "en") -> str:
    """The words for a note in `language` (template text passes through as it is)."""
    if isinstance(said, str):
        return said
    params = dict(said.params)
    unit = str(params.get("unit", ""))
    params["unit_spaced"] = f" {unit}" if unit else ""
    for name in ("min_label", "max_label"):
        label = str(params.get(name, ""))
        params[f"{name}_spaced"] = f" ({label})" if label else ""
    if said.id == "wrong_kind":
        what = str(params.get("what", "message"))
        params["what_article"] = tr(language, CONTENT.get(what, CONTENT["message"]))
        params["need"] = tr(language, ENGLISH.get(str(params.get("need", "needs_text")), ""))
    if said.id == "choose_from":
        many = bool(params.get("many"))
        params["how"] = tr(
            language,
            N_("one or more numbers, like 1, 3") if many else N_("the number or the words"),
        )
    if said.id == "hint_info":
        params["button_or_continue"] = params.get("button") or tr(
            language, ENGLISH["button_continue"]
        )
    return tr(language, ENGLISH[said.id], **params)


def shown_as(language: str) -> Callable[[Note | str], list[str]]:
    """The words a button's label is shown in to someone reading `language`, and in
    English (often typed too): what typed text is compared with."""
    return lambda label: [words(label, language), words(label)]
