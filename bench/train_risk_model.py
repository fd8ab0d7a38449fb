"""Train the risk screen's model (conversations/risk_model.json) from the labelled corpus.

Run: python -m bench.train_risk_model [--interface] [--cv] [--write]

- ``--cv`` measures before anything ships: each file of ``tests/risk_corpus/train/`` (written
  blind, never read by the rules) in turn is held out, the model is trained on the rest, and
  the layered screen (rules, then the model) is scored on the held-out file at a grid of
  thresholds. The thresholds in THRESHOLDS below are chosen from this, never from the frozen
  corpus (``tests/risk_corpus/frozen/``), which no training or tuning reads.
- ``--interface`` writes ``train/interface.txt`` again: the bot's own words, benign lines.
- ``--write`` trains on every corpus file but the frozen ones and writes the weights.

scikit-learn is a development dependency (the ``test`` extra); the bot only reads the JSON.
Prints figures only, never a message.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conversations import risk, risk_model, screening

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "risk_corpus"
C_RISK = 30.0
C_OTHER = 10.0
THRESHOLDS = {"alert": 0.8, "check_in": 0.6, "other": 0.7}
"""Chosen with --cv (see the README's Safety section for the figures)."""


@dataclass(frozen=True)
class Line:
    text: str
    label: str
    """'+' risk, '+!' imminent risk, '-' benign, 'o' someone else at risk."""
    category: str
    language: str
    source: str

    @property
    def risk(self) -> bool:
        return self.label in ("+", "+!")


def read_file(path: Path) -> list[Line]:
    """Both formats: `<label> <text>` (the first five corpora) and
    `<label> <category> <lang> | <text>` (train/ and frozen/)."""
    lines: list[Line] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        head, bar, text = raw.partition(" | ")
        parts = head.split()
        if bar and len(parts) == 3 and parts[0] in ("+", "+!", "-", "o"):
            label, category, language = parts
        else:
            label, _, text = raw.partition(" ")
            category, language = "-", "-"
        if label not in ("+", "+!", "-", "o") or not text.strip():
            raise ValueError(f"{path.name}: a line with no label: {len(lines) + 1}")
        lines.append(Line(text.strip(), label, category, language, path.name))
    return lines


INTERFACE = CORPUS / "train" / "interface.txt"
NEAR_RISK = (
    "suicid",
    "kill",
    "dead",
    "death",
    "die",
    "harm",
    "hurt",
    "risk",
    "crisis",
    "alert",
    "danger",
    "safety",
    "columbia",
    "life",
    "living",
    "live",
    "end it",
    "plan",
    "sos",
    "vida",
    "vivir",
    "morir",
    "muert",
    "matar",
    "riesgo",
    "peligro",
    "daño",
    "emergenc",
    "seguridad",
    "alarma",
    "quitar",
    "acabar",
)
"""Interface words near a risk message's: their strings are left out of interface.txt."""


def interface_lines() -> list[str]:
    """The bot's own short words in English and Spanish (button labels, questions, notices,
    homework names and prompts), which clients type back or echo, as benign lines: none
    near risk's words, none a rule reads as risk."""
    import yaml
    from babel.messages.pofile import read_po

    from bot.i18n import LOCALE_DIR

    found: set[str] = set()
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        for message in read_po(file):
            for text in (message.id, message.string):
                if isinstance(text, str) and text and "{" not in text:
                    found.add(" ".join(text.split()))

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("label", "title", "prompt", "description", "names", "choices"):
                    for text in value if isinstance(value, list) else [value]:
                        if isinstance(text, str) and "{" not in text:
                            found.add(" ".join(text.split()))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    library = Path(__file__).resolve().parent.parent / "conversations" / "library"
    for path in sorted(library.glob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(
        text
        for text in found
        if len(text.split()) <= 40
        and not any(word in text.casefold() for word in NEAR_RISK)
        and risk.screen(text) is None
    )


def write_interface() -> None:
    lines = [
        "# The bot's own words (bench/train_risk_model.py --interface: button labels, questions,",
        "# notices, homework names and prompts, English and Spanish), as benign training lines:",
        "# clients type them back. Made from the code, none near risk's words. Do not edit.",
    ]
    for text in interface_lines():
        language = "es" if risk.language_of(risk.read(text)) == "es" else "en"
        lines.append(f"- interface {language} | {text}")
    INTERFACE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {INTERFACE} ({len(lines) - 3} lines)")


def training_files() -> list[Path]:
    return sorted(CORPUS.glob("*.txt")) + sorted((CORPUS / "train").glob("*.txt"))


def token_line(text: str) -> str:
    return " ".join(line for _, line in risk.read(text))


def fit(lines: list[Line], positive: set[str], c: float) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        TfidfVectorizer(analyzer=risk_model.analyse, sublinear_tf=True, min_df=2),
        LogisticRegression(C=c, class_weight="balanced", max_iter=5000),
    )
    pipeline.fit([token_line(x.text) for x in lines], [x.label in positive for x in lines])
    return pipeline


def export(pipeline: Any) -> dict[str, object]:
    vectoriser, classifier = pipeline[0], pipeline[1]
    weights = classifier.coef_[0]
    features = {
        gram: [round(float(vectoriser.idf_[i]), 6), round(float(weights[i]), 6)]
        for gram, i in sorted(vectoriser.vocabulary_.items())
    }
    return {"intercept": round(float(classifier.intercept_[0]), 6), "features": features}


def as_model(pipeline: Any, name: str) -> risk_model.Model:
    raw = export(pipeline)
    features = raw["features"]
    assert isinstance(features, dict)
    return risk_model.Model(
        name, float(str(raw["intercept"])), {g: (i, w) for g, (i, w) in features.items()}
    )


def layered(text: str, model: risk_model.Model, alert: float, check_in: float, words: int) -> str:
    """'risk', 'check_in' or 'none' for one message, as the bot's screen decides (the
    model reads only messages of `words` words or more)."""
    if _rules(text) is not None:
        return "risk"
    read = _read(text)
    if sum(len(original.split()) for original, _ in read) < words:
        return "none"
    lines = [line for _, line in read]
    best = max(model.probability(w) for _, w in risk_model.windows(lines))
    sure = best >= alert and sum(len(o.split()) for o, _ in read) >= screening.SURE_WORDS
    return "risk" if sure else "check_in" if best >= check_in else "none"


@functools.cache
def _read(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(risk.read(text))


@functools.cache
def _rules(text: str) -> risk.RiskFinding | None:
    return risk.screen(text)


def cross_validate(folds: int = 5) -> None:
    """Every line of train/ (written blind, never read by the rules) is scored once by a
    model trained on the first corpora and the other folds of train/."""
    first = [x for path in training_files() if path.parent.name != "train" for x in read_file(path)]
    blind = [x for path in training_files() if path.parent.name == "train" for x in read_file(path)]
    blind = [x for x in blind if x.label != "o"]
    grid = [
        (a, c, w)
        for a in (0.6, 0.7, 0.8, 0.9)
        for c in (0.4, 0.5, 0.6)
        for w in (screening.MIN_WORDS, screening.MIN_WORDS + 1, screening.MIN_WORDS + 2)
        if c < a
    ]
    totals: dict[tuple[float, float, int], list[int]] = {g: [0] * 6 for g in grid}
    rules = [0, 0]
    for fold in range(folds):
        test = blind[fold::folds]
        rest = first + [x for i, x in enumerate(blind) if i % folds != fold]
        model = as_model(fit(rest, {"+", "+!"}, C_RISK), "risk")
        for x in test:
            rules[0 if x.risk else 1] += _rules(x.text) is not None
        for g in grid:
            t = totals[g]
            for x in test:
                got = layered(x.text, model, *g)
                base = 0 if x.risk else 2
                t[base] += 1
                t[base + 1] += got == "risk"
                t[base + 4 - (0 if x.risk else 1)] += got == "check_in"
    n_risk = sum(x.risk for x in blind)
    print(
        f"train/, {folds} folds: rules alone recall {rules[0] / n_risk:.1%}, "
        f"false alarms {rules[1] / (len(blind) - n_risk):.1%}"
    )
    print("alert check_in words: recall, false alarms, check-ins on risk, check-ins on benign")
    for (alert, check_in, words), (n, hit, m, fa, ci_risk, ci_benign) in totals.items():
        print(
            f"{alert:.2f} {check_in:.2f} {words}: recall {hit / n:.1%}, false alarms "
            f"{fa / m:.1%}, check-in on risk {ci_risk / n:.1%}, on benign {ci_benign / m:.1%}"
        )


def write() -> None:
    lines = [x for path in training_files() for x in read_file(path)]
    with_other = [
        x for path in training_files() if path.parent.name == "train" for x in read_file(path)
    ]
    raw = {
        "about": "Trained by bench/train_risk_model.py; see conversations/risk_model.py.",
        "thresholds": THRESHOLDS,
        "risk": export(fit(lines, {"+", "+!"}, C_RISK)),
        "other": export(fit(with_other, {"o"}, C_OTHER)),
    }
    risk_model.WEIGHTS.write_text(
        json.dumps(raw, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote {risk_model.WEIGHTS} from {len(lines)} lines")


def main(argv: list[str]) -> int:
    if "--cv" in argv:
        cross_validate()
    if "--interface" in argv:
        write_interface()
    if "--write" in argv:
        write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
