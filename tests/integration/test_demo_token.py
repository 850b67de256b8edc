"""`make run` keeps one demo office token: reused while valid, replaced (and the old one revoked) when not."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.access.tokens import TokenRegistry
from domain.values import Role
from interfaces.demo_token import DEMO_TOKEN_NAME, demo_office_token
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def registry(database_url: str) -> TokenRegistry:
    settings = Settings(database_url=database_url)
    return TokenRegistry(engine_for(database_url), load_organisation(settings.organisation_file))


def _active_demo_tokens(registry: TokenRegistry) -> list[str]:
    return [r.id for r in registry.records() if r.name == DEMO_TOKEN_NAME and r.revoked_at is None]


def test_every_start_after_the_first_shows_the_same_token(registry: TokenRegistry, tmp_path: Path) -> None:
    first = demo_office_token(registry, tmp_path, now=NOW)
    again = demo_office_token(registry, tmp_path, now=NOW)
    assert not first.reused
    assert again.reused
    assert again.token == first.token
    assert len(_active_demo_tokens(registry)) == 1
    principal = registry.verify(first.token)
    assert principal is not None
    assert (principal.role, principal.unit) == (Role.OFFICE, registry.organisation.root.code)
    # A whole-bank credential on disk: its owner's only.
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600


def test_a_revoked_demo_token_is_replaced_and_older_ones_are_revoked(
    registry: TokenRegistry, tmp_path: Path
) -> None:
    root = registry.organisation.root.code
    # What earlier releases left behind: one more whole-bank token at every start.
    for _ in range(3):
        registry.issue(role=Role.OFFICE, unit=root, name=DEMO_TOKEN_NAME, now=NOW)
    kept = demo_office_token(registry, tmp_path, now=NOW)
    registry.revoke(kept.token.split("_")[1], now=NOW)
    fresh = demo_office_token(registry, tmp_path, now=NOW)
    assert not fresh.reused
    assert fresh.token != kept.token
    assert registry.verify(kept.token) is None
    assert _active_demo_tokens(registry) == [fresh.token.split("_")[1]]
    assert fresh.path.read_text().strip() == fresh.token


def test_a_file_holding_anything_but_a_whole_bank_office_token_is_not_trusted(
    registry: TokenRegistry, tmp_path: Path
) -> None:
    _, branch_token = registry.issue(role=Role.BRANCH, unit="BJ-HD-01", name="teller", now=NOW)
    (tmp_path / "demo-office-token").write_text(branch_token)
    demo = demo_office_token(registry, tmp_path, now=NOW)
    assert not demo.reused
    assert demo.token != branch_token
    assert registry.verify(branch_token) is not None  # someone else's token is left alone
