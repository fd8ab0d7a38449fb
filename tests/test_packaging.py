"""What `pip install .` puts in place: every package of the bot (a subpackage left out of
the list once broke the Docker image), and the data files it reads."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

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
