"""What an install puts in place: every package of the bot (a subpackage left out of the
list once broke the Docker image), the data files it reads, and the locked versions (a
fresh clone once installed a cryptography that no longer had what we used)."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = config["tool"]["setuptools"]["packages"]["find"]
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "conversations", "storage")
        for init in (ROOT / top).rglob("__init__.py")
    }
    # setuptools' `find` matches each dotted name against the include patterns (fnmatch).
    installed = {p for p in on_disk if any(fnmatchcase(p, i) for i in found["include"])}
    assert on_disk == installed, on_disk - installed
    assert {"conversations.kinds", "storage.migrations.versions"} <= installed


def test_the_data_files_are_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    for package, patterns in data.items():
        folder = ROOT.joinpath(*package.split("."))
        assert all(list(folder.glob(p)) for p in patterns), package
    assert "*.yaml" in data["conversations.library"]
    assert "*.yaml" in data["conversations"]  # the crisis lines
    # The compiled catalogs: without them a Spanish speaker would be answered in English.
    assert any(fnmatchcase("locale/es/LC_MESSAGES/messages.mo", p) for p in data["bot"])


def _declared() -> dict[str, Requirement]:
    """Every direct dependency pyproject.toml names, with its range."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = config["project"]
    named = [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
        *(r for group in config["dependency-groups"].values() for r in group),
        *config["build-system"]["requires"],
    ]
    return {canonicalize_name(r.name): r for r in map(Requirement, named)}


def _locked(name: str) -> dict[str, tuple[Version, int]]:
    """A lock file's pins: each package's version and how many hashes it carries."""
    text = (ROOT / name).read_text(encoding="utf-8")
    pins: dict[str, tuple[Version, int]] = {}
    for block in re.split(r"\n(?=\S)", text):
        pin = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", block)
        if pin is not None:
            hashes = len(re.findall(r"--hash=sha256:[0-9a-f]{64}", block))
            pins[canonicalize_name(pin.group(1))] = (Version(pin.group(2)), hashes)
    return pins


def test_the_lock_pins_every_dependency_within_its_range_with_hashes() -> None:
    declared = _declared()
    running = _locked("requirements.lock")
    testing = _locked("requirements-test.lock")
    for pins in (running, testing):
        assert pins and all(hashes for _, hashes in pins.values())  # --require-hashes
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed_to_run = {
        canonicalize_name(Requirement(r).name)
        for r in [*config["project"]["dependencies"], *config["build-system"]["requires"]]
    }
    for name, requirement in declared.items():
        pins = running if name in needed_to_run else testing
        assert name in pins, f"{name} is not in the lock: run .ci/lock --keep"
        version, _ = pins[name]
        assert requirement.specifier.contains(version), f"{name} {version} {requirement}"
    # What runs the bot is locked at the same versions for the tests.
    assert all(testing[name] == pin for name, pin in running.items())
    # The build backend is locked under the same range as the one pip would build with.
    assert config["dependency-groups"]["build"] == config["build-system"]["requires"]


def test_every_install_takes_the_lock_by_hash_and_resolves_nothing_more() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 3  # the console, install and run, the tests
    for command in commands:
        assert "pip install --require-hashes -r requirements" in command
        assert "pip install --no-deps --no-build-isolation " in command
        assert "pip install ." not in command and "'.[" not in command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements-test.lock" in ci
    assert "pip install --no-deps --no-build-isolation -e ." in ci
    assert "pip install --require-hashes -r requirements-test.lock" in commands[-1]
    image = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "RUN pip install --require-hashes -r requirements.lock" in image
    assert "RUN pip install --no-deps --no-build-isolation ." in image
    assert re.findall(r"pip install[^\n]*", image) == [
        "pip install --require-hashes -r requirements.lock",
        "pip install --no-deps --no-build-isolation .",
    ]
