"""The version is written once, in pyproject.toml: the CLI and the HTTP API's schema both say it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.testing import CliRunner

from interfaces.cli.main import cli
from interfaces.http.app import create_app
from interfaces.settings import Settings

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def written_version() -> str:
    version: str = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    return version


def test_the_cli_prints_the_version_pyproject_gives() -> None:
    result = CliRunner().invoke(cli, ["version"])
    assert result.exit_code == 0
    assert result.output == f"incident-command {written_version()}\n"


def test_the_http_schema_carries_the_version_pyproject_gives() -> None:
    assert create_app(Settings()).openapi()["info"]["version"] == written_version()
