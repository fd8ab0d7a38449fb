"""What the engine's notes say, in English (other languages come with the catalogs).

Each note id maps to a sentence with `{name}` fields from the note's parameters. Ids the
engine may say are `conversations.notes.NOTE_IDS`; a test checks every one has words here.
"""

from __future__ import annotations

from conversations.notes import Note

ENGLISH: dict[str, str] = {
    "empty_text": "I didn't catch any words there.",
    "too_long": (
        "That is longer than I can keep in one answer ({length:,} characters; up to "
        "{limit:,} fit). Could you send a shorter version? Your words are still in the chat "
        "above to copy from."
    ),
    "rest_of_long": (
        "That was the rest of the long message, so I haven't kept it either. Could you send a "
        "shorter version, in one message?"
    ),
    "need_scale": "I need a number from {min} to {max} here.",
    "need_number": "I need a number here, like {min}{unit_spaced}.",
    "need_number_range": "I need a number from {min} to {max}{unit_spaced} here.",
    "choose_from": "Please type {how} from this list: {options}.",
    "unmatched_option": "I couldn't match “{part}”. Please type one or more numbers from this "
    "list: {options}.",
    "pick_at_least_one": "Please pick at least one first.",
    "cannot_skip": (
        "This question matters for the rest, so it can't be skipped. If it feels like too much "
        "right now, that's okay: /cancel pauses and keeps your answers."
    ),
    "wrong_kind": "Thanks, but I can't use {what_article} for this question. I need {need}.",
    "earlier_button": "That button belongs to an earlier question.",
    "first_question": "This is the first question, so there is nothing to go back to.",
    "before_follow_up": "The first part is kept as it was, so we carry on from here.",
    "need_yes_no": "Please answer yes or no.",
    "need_time": "Please send a time like 19:30 or 7pm.",
    "need_date": "Please send a day like today, tomorrow, Friday or 2026-12-05.",
    "date_in_past": "That day has passed already. Please choose today or a day to come.",
    "need_duration": "Please send how long, like 20 min, 1 h 30 or 1:30.",
    "duration_range": "Please send a length from {min} to {max} minutes.",
    "need_photo": "Please send a photo here (the paperclip, then Photo).",
    "continue_when_ready": "Tap the button when you're ready to go on.",
    "hint_scale": "Tap a number or type one from {min}{min_label_spaced} to {max}"
    "{max_label_spaced}.",
    "hint_choice": "Tap one, or type its number.",
    "hint_multi": "Tap all that fit, then Done. Or type their numbers, like 1, 3.",
    "hint_yes_no": "Tap one, or type yes or no.",
    "hint_number": "Type a number from {min} to {max}{unit_spaced}.",
    "hint_time": "Type a time, like 19:30 or 7pm.",
    "hint_date": "Type a day: today, tomorrow, a weekday, or a date like 2026-12-05.",
    "hint_duration": "Type how long, like 20 min or 1 h 30.",
    "hint_photo": "Send a photo of it.",
    "hint_photo_or_text": "Send a photo of it, or describe it in words.",
    "hint_info": "Tap {button_or_continue} when you're ready.",
    "review": "Here is everything you wrote. Save it, or change an answer first.",
    "review_pick": "Which answer would you like to change? Tap it, or type its number.",
    "review_changed": "Changed.",
    "needs_text": "a few words typed as a message",
    "needs_number": "a number",
    "needs_choice": "one of the choices below",
    "needs_yes_no": "a yes or a no",
    "needs_photo": "a photo",
    "needs_time": "a time",
    "needs_date": "a day",
    "needs_duration": "how long it took",
    "needs_continue": "a tap on the button",
    "button_save": "Save",
    "button_change": "Change an answer",
    "button_done": "Done",
    "button_continue": "Continue",
    "button_yes": "Yes",
    "button_no": "No",
    "button_skip": "Skip",
    "button_keep": "Keep as it is",
}


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def words(said: Note | str) -> str:
    """The words for a note (template text passes through as it is)."""
    if isinstance(said, str):
        return said
    params = dict(said.params)
    unit = str(params.get("unit", ""))
    params["unit_spaced"] = f" {unit}" if unit else ""
    for name in ("min_label", "max_label"):
        label = str(params.get(name, ""))
        params[f"{name}_spaced"] = f" ({label})" if label else ""
    if said.id == "wrong_kind":
        params["what_article"] = _article(str(params.get("what", "message")))
        params["need"] = ENGLISH.get(str(params.get("need", "needs_text")), "")
    if said.id == "choose_from":
        many = bool(params.get("many"))
        params["how"] = "one or more numbers, like 1, 3" if many else "the number or the words"
    if said.id == "hint_info":
        params["button_or_continue"] = params.get("button") or ENGLISH["button_continue"]
    return ENGLISH[said.id].format(**params)
