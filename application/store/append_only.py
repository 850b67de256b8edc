"""DDL that makes the database itself refuse to update or delete what was stored."""

from __future__ import annotations

REFUSAL = "append-only: stored events are never updated or deleted"


def sqlite_triggers(table: str) -> list[str]:
    """Triggers that abort any UPDATE or DELETE on an SQLite table."""
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL} ({table})'); END"
        for verb in ("update", "delete")
    ]


def postgres_refusal_function(schema: str) -> str:
    """A trigger function that raises, naming the table that was touched."""
    return (
        f'CREATE OR REPLACE FUNCTION "{schema}".incident_refuse_change() RETURNS trigger '
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{REFUSAL} (%)', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
        "END $$"
    )


def postgres_triggers(schema: str, table: str) -> list[str]:
    """Row triggers refusing UPDATE and DELETE, and a statement trigger refusing TRUNCATE."""
    qualified = f'"{schema}"."{table}"'
    function = f'"{schema}".incident_refuse_change()'
    return [
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {qualified} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {qualified} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
    ]
