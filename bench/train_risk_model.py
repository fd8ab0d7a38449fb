"""Train the risk screen's model (conversations/risk_model.json) from the labelled corpus.

Run: python bench/train_risk_model.py [--cv] [--write]

- ``--cv`` measures before anything ships: each file of ``tests/risk_corpus/train/`` (written
  blind, never read by the rules) in turn is held out, the model is trained on the rest, and
  the layered screen (rules, then the model) is scored on the held-out file at a grid of
  thresholds. The thresholds in THRESHOLDS below are chosen from this, never from the frozen
  corpus (``tests/risk_corpus/frozen/``), which no training or tuning reads.
- ``--write`` trains on every corpus file but the frozen ones and writes the weights.

scikit-learn is a development dependency (the ``test`` extra); the bot only reads the JSON.
Prints figures only, never a message.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conversations import risk, risk_model

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "risk_corpus"
C_RISK = 10.0
C_OTHER = 10.0
THRESHOLDS = {"alert": 0.80, "check_in": 0.45, "other": 0.5}
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


def layered(text: str, model: risk_model.Model, alert: float, check_in: float) -> str:
    """'risk', 'check_in' or 'none' for one message, as the bot's screen decides."""
    if risk.screen(text) is not None:
        return "risk"
    lines = [line for _, line in risk.read(text)]
    best = max((model.probability(w) for _, w in risk_model.windows(lines)), default=0.0)
    return "risk" if best >= alert else "check_in" if best >= check_in else "none"


def cross_validate() -> None:
    files = training_files()
    every = {path: read_file(path) for path in files}
    held = [path for path in files if path.parent.name == "train"]
    grid = [(a, c) for a in (0.6, 0.7, 0.8, 0.85, 0.9) for c in (0.3, 0.4, 0.5)]
    totals: dict[tuple[float, float], list[int]] = {g: [0, 0, 0, 0, 0, 0] for g in grid}
    for out in held:
        rest = [x for path, xs in every.items() if path != out for x in xs]
        model = as_model(fit(rest, {"+", "+!"}, C_RISK), "risk")
        test = every[out]
        rules_only = [0, 0]
        for x in test:
            if x.label != "o" and (risk.screen(x.text) is not None):
                rules_only[0 if x.risk else 1] += 1
        for alert, check_in in grid:
            t = totals[alert, check_in]
            for x in test:
                if x.label == "o":
                    continue
                got = layered(x.text, model, alert, check_in)
                if x.risk:
                    t[0] += 1
                    t[1] += got == "risk"
                    t[4] += got == "check_in"
                else:
                    t[2] += 1
                    t[3] += got == "risk"
                    t[5] += got == "check_in"
        n_risk = sum(x.risk for x in test)
        n_benign = sum(x.label == "-" for x in test)
        print(
            f"{out.name}: rules alone recall {rules_only[0]}/{n_risk}, "
            f"false alarms {rules_only[1]}/{n_benign}"
        )
    print("alert check_in: recall, false alarms, check-ins on risk, check-ins on benign")
    for (alert, check_in), (n, hit, m, fa, ci_risk, ci_benign) in totals.items():
        print(
            f"{alert:.2f} {check_in:.2f}: recall {hit / n:.1%}, false alarms {fa / m:.1%}, "
            f"check-in on risk {ci_risk / n:.1%}, on benign {ci_benign / m:.1%}"
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
    if "--write" in argv:
        write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
