"""The risk screen on the frozen blind corpus (tests/risk_corpus/frozen/): messages written
by a helper who never saw the screen's rules nor the other corpora, frozen before anyone
read them. Prints figures only, never a message.

Run: python bench/bench_risk_frozen.py
Lines are `<label> <category> <lang> | <text>`: `+` risk, `+!` imminent risk, `-` benign,
`o` someone else at risk (the writer is not). The first run's figures are kept in
tests/risk_corpus/frozen/FIRST_RUN.md, to be reported beside every later run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from conversations.risk import screen

FROZEN = Path(__file__).resolve().parent.parent / "tests" / "risk_corpus" / "frozen"


def read(path: Path) -> list[tuple[str, str, str, str]]:
    """(label, category, language, text) of every line."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, text = line.partition(" | ")
        label, category, language = head.split()
        rows.append((label, category, language, text.strip()))
    return rows


def report(rows: list[tuple[str, str, str, str]]) -> list[str]:
    total: Counter[tuple[str, str, str]] = Counter()
    flagged: Counter[tuple[str, str, str]] = Counter()
    for label, category, language, text in rows:
        total[label, category, language] += 1
        if screen(text) is not None:
            flagged[label, category, language] += 1

    def share(labels: set[str], language: str | None = None, category: str | None = None) -> str:
        keys = [
            k
            for k in total
            if k[0] in labels and language in (None, k[2]) and category in (None, k[1])
        ]
        n, hit = sum(total[k] for k in keys), sum(flagged[k] for k in keys)
        return f"{hit}/{n} = {hit / n:.1%}" if n else "none"

    lines = []
    languages: tuple[str | None, ...] = ("en", "es", None)
    for tongue in languages:
        lines.append(
            f"{tongue or 'all'}: recall {share({'+', '+!'}, tongue)}, false alarms "
            f"{share({'-'}, tongue)}, someone else at risk flagged {share({'o'}, tongue)}"
        )
    lines.append(f"imminent caught: {share({'+!'})}")
    for category in sorted({k[1] for k in total if k[0] in {"+", "+!"}}):
        lines.append(f"  risk {category}: {share({'+', '+!'}, category=category)}")
    for category in sorted({k[1] for k in total if k[0] == "-"}):
        lines.append(f"  benign {category}: flagged {share({'-'}, category=category)}")
    return lines


def main() -> None:
    for path in sorted(FROZEN.glob("*.txt")):
        print(f"== {path.name}")
        for line in report(read(path)):
            print(line)


if __name__ == "__main__":
    main()
