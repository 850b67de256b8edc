"""A token's name is recorded on every event its holder causes: it is held to the text rule at issue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.access.tokens import TokenError, TokenRegistry
from domain.values import Role
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
