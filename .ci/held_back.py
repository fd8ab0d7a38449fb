"""Read `pip list --outdated --format json` on stdin and print each direct dependency of
pyproject.toml whose newest release its range does not allow (a major held back)."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
declared = [
    *project["project"]["dependencies"],
    *(r for extra in project["project"]["optional-dependencies"].values() for r in extra),
    *(r for group in project.get("dependency-groups", {}).values() for r in group),
    *project["build-system"]["requires"],
]
ranges = {canonicalize_name(r.name): r for r in map(Requirement, declared)}
outdated = {canonicalize_name(p["name"]): p for p in json.load(sys.stdin)}
held = []
for name, requirement in sorted(ranges.items()):
    newest = outdated.get(name)
    if newest is None:
        continue
    latest = Version(newest["latest_version"])
    if not requirement.specifier.contains(latest, prereleases=False):
        held.append(
            f"  {requirement.name} {latest} (we allow {requirement.specifier}; "
            f"installed {newest['version']})"
        )
print("\n".join(held) if held else "  none")
