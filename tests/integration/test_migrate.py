"""`incident migrate` on both stores: every table of the product, created once, again without harm."""

from __future__ import annotations

from sqlalchemy import inspect

from interfaces.sql_engine import engine_for
from tests.roles import READ_MODELS, VERSION_TABLE, run_migrate

# The embedded store's tables are not prefixed by the application's name (the library's choice).
LOG_TABLES = {
    "sqlite": {"stored_events", "stored_snapshots", "command_receipts"},
    "postgresql": {"incidents_events", "incidents_snapshots", "incidents_command_receipts"},
}


def tables(database_url: str) -> set[str]:
    engine = engine_for(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrate_creates_every_table_of_the_product_and_can_run_again(database_url: str) -> None:
    first = run_migrate(database_url)
    assert first.exit_code == 0, first.output
    store = database_url.split(":")[0]
    assert tables(database_url) == LOG_TABLES[store] | READ_MODELS | {VERSION_TABLE}
    again = run_migrate(database_url)
    assert again.exit_code == 0, again.output
    assert again.output == first.output


def test_migrate_with_a_server_role_on_sqlite_says_a_file_has_no_roles_and_creates_nothing(
    sqlite_url: str,
) -> None:
    result = run_migrate(sqlite_url, "--server-role", "incident_server")
    assert result.exit_code == 2
    assert "a server role is for PostgreSQL: an SQLite file has no roles (--server-role)" in result.output
    assert tables(sqlite_url) == set()
