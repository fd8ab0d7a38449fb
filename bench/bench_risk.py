"""Benchmark: the risk screen's recall, false-positive rate and speed on the labelled corpus.

Run: python -m bench.bench_risk [--misses] [FILE ...]  (default: every tests/risk_corpus/*.txt)
Then the frozen blind corpora (tests/risk_corpus/frozen/), per category and language, by the
rules alone and by the layered screen (bench/bench_risk_frozen.py).
Targets (issue "Safety first"): recall ≥ 98 %, false positives ≤ 2 %, and screening one
message well under a millisecond on average. Speed is reported against a yardstick measured
in the same run (`str.casefold` plus a regex split of the same messages), because machines
here are shared and noisy: read the ratio and the median, not one absolute time.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import bench_risk_frozen as frozen
from conversations import screening
from conversations.risk import screen

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "risk_corpus"
RECALL_TARGET = 0.98
FALSE_POSITIVE_TARGET = 0.02


@dataclass(frozen=True)
class Labelled:
    text: str
    risk: bool
    imminent: bool
    where: str


def read_corpus(paths: list[Path]) -> list[Labelled]:
    """Lines `+ text` (risk), `+! text` (imminent risk), `- text` (benign); `#` comments."""
    items = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            label, _, text = line.partition(" ")
            if label not in {"+", "+!", "-"} or not text.strip():
                raise ValueError(f"{path.name}:{number}: expected '+ ', '+! ' or '- '")
            items.append(Labelled(text, label != "-", label == "+!", f"{path.name}:{number}"))
    return items


def measure(items: list[Labelled]) -> tuple[float, float, list[Labelled], list[Labelled]]:
    """(recall, false-positive rate, missed risk lines, benign lines flagged)."""
    positives = [i for i in items if i.risk]
    negatives = [i for i in items if not i.risk]
    missed = [i for i in positives if screen(i.text) is None]
    flagged = [i for i in negatives if screen(i.text) is not None]
    recall = 1 - len(missed) / max(len(positives), 1)
    false_positive = len(flagged) / max(len(negatives), 1)
    return recall, false_positive, missed, flagged


def per_message_seconds(
    func: Callable[[str], object], texts: list[str], rounds: int
) -> list[float]:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            func(text)
        timings.append((time.perf_counter() - start) / len(texts))
    return timings


def yardstick(text: str) -> object:
    import re

    return re.split(r"\W+", text.casefold())


def main(argv: list[str]) -> int:
    show = "--misses" in argv
    files = [Path(a) for a in argv if not a.startswith("--")] or sorted(CORPUS.glob("*.txt"))
    items = read_corpus(files)
    ok = True
    for name, subset in [(f.name, [i for i in items if i.where.startswith(f.name)]) for f in files]:
        recall, fp, missed, flagged = measure(subset)
        positives = sum(i.risk for i in subset)
        print(
            f"{name}: {positives} risk, {len(subset) - positives} benign; "
            f"recall {recall:.1%}, false positives {fp:.1%}"
        )
        if show:
            for item in missed:
                print(f"  MISSED  {item.where}: {item.text}")
            for item in flagged:
                print(f"  FLAGGED {item.where}: {item.text}")
    recall, fp, _, _ = measure(items)
    imminent = [i for i in items if i.imminent]
    found_imminent = sum(1 for i in imminent if (f := screen(i.text)) is not None and f.imminent)
    print(
        f"all: {len(items)} lines; recall {recall:.1%} (target ≥ {RECALL_TARGET:.0%}), "
        f"false positives {fp:.1%} (target ≤ {FALSE_POSITIVE_TARGET:.0%}); "
        f"imminent lines answered as imminent {found_imminent}/{len(imminent)}"
    )
    texts = [i.text for i in items]
    screen(texts[0])  # warm caches
    ours = per_message_seconds(screen, texts, 7)
    base = per_message_seconds(yardstick, texts, 7)
    median, base_median = statistics.median(ours), statistics.median(base)
    print(
        f"speed: median {median * 1e6:.0f} µs a message over 7 rounds of {len(texts)} "
        f"(min {min(ours) * 1e6:.0f}, max {max(ours) * 1e6:.0f}); "
        f"{median / base_median:.0f}× the yardstick (casefold + regex split)"
    )
    screening.screen(texts[0])
    layered = per_message_seconds(screening.screen, texts, 7)
    print(
        f"speed of the layered screen (rules, then the model): median "
        f"{statistics.median(layered) * 1e6:.0f} µs a message; "
        f"{statistics.median(layered) / base_median:.0f}× the yardstick"
    )
    ok = recall >= RECALL_TARGET and fp <= FALSE_POSITIVE_TARGET and median < 0.001
    print(
        "targets met (the rules, on the corpora they were written from)"
        if ok
        else "TARGETS NOT MET"
    )
    # Lines nothing was trained or tuned on: per category and language, layered and not.
    frozen.main()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
