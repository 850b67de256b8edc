"""A branch token carries its holder's post; a tokens table made before posts existed gains the column."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, inspect
from typer.testing import CliRunner

from application.access.principal import Principal
from application.access.tokens import TokenError, TokenRegistry, upgrade_access_tokens
from domain.values import Position, Role
from interfaces.cli.main import cli
from interfaces.organisation_file import load_organisation
from interfaces.settings import Settings
from tests.roles import run_migrate

OUTLET = "BJ-HD-01"


def registry_on(database_url: str, engine: Engine) -> TokenRegistry:
    return TokenRegistry(engine, load_organisation(Settings(database_url=database_url).organisation_file))


OLD_TOKEN = "inc_old00001_issued-by-the-release-before-positions"


def tokens_table_of_the_first_release(engine: Engine) -> Table:
    """The access_tokens table as the releases before positions made it, with one token in it."""
    old = Table(
        "access_tokens",
        MetaData(),
        Column("id", String(16), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("role", String(32), nullable=False),
        Column("unit", String(64), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True), nullable=True),
    )
    old.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            old.insert().values(
                id="old00001",
                name="王丽",
                role="branch",
                unit=OUTLET,
                token_hash=hashlib.sha256(OLD_TOKEN.encode()).hexdigest(),
                created_at=datetime.now(UTC),
            )
        )
    return old


def columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("access_tokens")}


def test_a_branch_token_carries_its_holders_post_onto_every_actor(database_url: str, engine: Engine) -> None:
    registry = registry_on(database_url, engine)
    record, token = registry.issue(
        role=Role.BRANCH, unit=OUTLET, name="王主任", now=datetime.now(UTC), position=Position.BRANCH_HEAD
    )
    assert record.position is Position.BRANCH_HEAD
    principal = registry.verify(token)
    assert principal is not None
    assert principal.position is Position.BRANCH_HEAD
    assert principal.actor.position is Position.BRANCH_HEAD
    [listed] = registry_on(database_url, engine).records()
    assert listed.position is Position.BRANCH_HEAD


def test_only_branch_tokens_have_a_post(database_url: str, engine: Engine) -> None:
    registry = registry_on(database_url, engine)
    with pytest.raises(TokenError, match="no position"):
        registry.issue(
            role=Role.OFFICE, unit="HQ", name="赵处长", now=datetime.now(UTC), position=Position.TELLER
        )
    assert registry.records() == []


def test_a_tokens_table_from_before_posts_gains_the_column_and_its_tokens_still_verify(
    database_url: str, engine: Engine
) -> None:
    tokens_table_of_the_first_release(engine)
    assert "position" not in columns(engine)
    registry = registry_on(database_url, engine)
    assert "position" in columns(engine)
    principal = registry.verify(OLD_TOKEN)
    assert principal is not None
    assert (principal.token_id, principal.name, principal.position) == ("old00001", "王丽", None)
    record, token = registry.issue(
        role=Role.BRANCH, unit=OUTLET, name="李经理", now=datetime.now(UTC), position=Position.LOBBY_MANAGER
    )
    assert registry.verify(token) == Principal(
        token_id=record.id, name="李经理", role=Role.BRANCH, unit=OUTLET, position=Position.LOBBY_MANAGER
    )
    assert not upgrade_access_tokens(engine), "a second upgrade has nothing to add"


def test_migrate_adds_the_column_to_an_older_tokens_table(database_url: str, engine: Engine) -> None:
    tokens_table_of_the_first_release(engine)
    assert "position" not in columns(engine)
    result = run_migrate(database_url)
    assert result.exit_code == 0, result.output
    assert "position" in columns(engine)


def test_the_cli_issues_a_token_with_a_post_and_lists_it(database_url: str) -> None:
    env = {"INCIDENT_DATABASE_URL": database_url}
    runner = CliRunner()
    created = runner.invoke(
        cli,
        [
            "token",
            "create",
            "--role",
            "branch",
            "--unit",
            OUTLET,
            "--name",
            "刘师傅",
            "--position",
            "security_guard",
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    assert "position security_guard" in created.output
    listed = runner.invoke(cli, ["token", "list"], env=env)
    assert "security_guard" in listed.output
    refused = runner.invoke(
        cli, ["token", "create", "--role", "branch", "--unit", OUTLET, "--position", "manager"], env=env
    )
    assert refused.exit_code == 2
    assert "branch_head (网点负责人)" in refused.output
