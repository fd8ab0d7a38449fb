"""The risk screen on the frozen blind corpus (tests/risk_corpus/frozen/): messages written
by a helper who never saw the screen's rules nor the other corpora, frozen before anyone
read them. Prints figures only, never a message.

Run: python -m bench.bench_risk_frozen (the rules alone, then the layered screen)
Lines are `<label> <category> <lang> | <text>`: `+` risk, `+!` imminent risk, `-` benign,
`o` someone else at risk (the writer is not). The first run's figures are kept in
tests/risk_corpus/frozen/FIRST_RUN.md, to be reported beside every later run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from conversations import risk, screening
from conversations.risk import RiskFinding

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


Screen = Callable[[str], RiskFinding | None]


def level(screen: Screen, text: str) -> str:
    found = screen(text)
    return "none" if found is None else found.level


def report(rows: list[tuple[str, str, str, str]], screen: Screen = screening.screen) -> list[str]:
    """Recall counts clear risk only (the alert); a check-in is neither a catch nor a false
    alarm, and is counted on its own."""
    total: Counter[tuple[str, str, str]] = Counter()
    got: Counter[tuple[str, str, str, str]] = Counter()
    for label, category, language, text in rows:
        total[label, category, language] += 1
        got[label, category, language, level(screen, text)] += 1

    def share(
        labels: set[str], outcome: str, language: str | None = None, category: str | None = None
    ) -> str:
        keys = [
            k
            for k in total
            if k[0] in labels and language in (None, k[2]) and category in (None, k[1])
        ]
        n, hit = sum(total[k] for k in keys), sum(got[(*k, outcome)] for k in keys)
        return f"{hit}/{n} = {hit / n:.1%}" if n else "none"

    lines = []
    languages: tuple[str | None, ...] = ("en", "es", None)
    risky = {"+", "+!"}
    for tongue in languages:
        lines.append(
            f"{tongue or 'all'}: recall {share(risky, 'risk', tongue)}, false alarms "
            f"{share({'-'}, 'risk', tongue)}; check-ins on risk {share(risky, 'check_in', tongue)}"
            f", on benign {share({'-'}, 'check_in', tongue)}; benign told how to help someone "
            f"{share({'-'}, 'other', tongue)}; someone else at risk: flagged "
            f"{share({'o'}, 'risk', tongue)}, told how to help {share({'o'}, 'other', tongue)}"
        )
    lines.append(f"imminent caught: {share({'+!'}, 'risk')}")
    for category in sorted({k[1] for k in total if k[0] in risky}):
        lines.append(
            f"  risk {category}: {share(risky, 'risk', category=category)} "
            f"(check-in {share(risky, 'check_in', category=category)})"
        )
    for category in sorted({k[1] for k in total if k[0] == "-"}):
        lines.append(
            f"  benign {category}: flagged {share({'-'}, 'risk', category=category)} "
            f"(check-in {share({'-'}, 'check_in', category=category)})"
        )
    return lines


def main() -> None:
    for path in sorted(FROZEN.glob("*.txt")):
        rows = read(path)
        print(f"== {path.name}: the rules alone")
        for line in report(rows, risk.screen):
            print(line)
        print(f"== {path.name}: the layered screen (rules, model, check-in)")
        for line in report(rows):
            print(line)


if __name__ == "__main__":
    main()
