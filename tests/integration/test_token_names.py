"""A token's name is recorded on every event its holder causes: it is held to the text rule at issue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from application.access.tokens import TokenError, TokenRegistry
from domain.values import Role
from interfaces.cli.main import cli
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for


@pytest.fixture
def registry(database_url: str) -> TokenRegistry:
    settings = Settings(database_url=database_url)
    return TokenRegistry(engine_for(database_url), load_organisation(settings.organisation_file))


@pytest.mark.parametrize("name", ["王\u202e丽", "teller\x00", "\x1b[2Jteller", "张" * 201])
def test_a_token_name_no_board_could_show_honestly_is_refused(registry: TokenRegistry, name: str) -> None:
    with pytest.raises(TokenError, match="name"):
        registry.issue(role=Role.BRANCH, unit="BJ-HD-01", name=name, now=datetime.now(UTC))
    assert registry.records() == []


def test_a_token_name_is_kept_in_nfc(registry: TokenRegistry) -> None:
    record, _ = registry.issue(
        role=Role.BRANCH, unit="BJ-HD-01", name="Jose\u0301 柜员", now=datetime.now(UTC)
    )
    assert record.name == "Jos\u00e9 柜员"


@pytest.mark.parametrize(
    ("role", "unit", "field"),
    [
        (Role.SYSTEM, "", "role"),
        (Role.BRANCH, "", "unit"),
        (Role.BRANCH, "NOWHERE", "unit"),
        (Role.BRANCH, "BJ", "unit"),
    ],
)
def test_a_refused_token_names_the_input_at_fault_and_no_option(
    registry: TokenRegistry, role: Role, unit: str, field: str
) -> None:
    with pytest.raises(TokenError) as refused:
        registry.issue(role=role, unit=unit, name="", now=datetime.now(UTC))
    assert (refused.value.field, refused.value.code) == (field, "token_refused")
    assert "--" not in refused.value.message


def test_the_command_line_names_the_option_of_a_refused_token(database_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["token", "create", "--role", "branch"], env={"INCIDENT_DATABASE_URL": database_url}
    )
    assert result.exit_code == 2
    assert "a branch token needs a unit (give --unit;" in result.output
