"""PostgreSQL scaled out: the owner runs `incident migrate`; the server's role can append and read, no more."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import psycopg
import pytest
from psycopg import errors

from application.access.tokens import TokenRegistry
from application.incident_desk import IncidentDesk
from application.store.append_only import append_lock_key
from application.store.database_url import store_env
from application.store.errors import SchemaNotMigratedError
from application.store.postgres_store import IncidentPostgresRecorder
from domain.complaint import Complaint
from domain.values import Role
from interfaces.boards.wiring import make_runner
from interfaces.organisation_file import DEMO_ORGANISATION_PATH, load_organisation
from interfaces.settings import Settings
from interfaces.sql_engine import engine_for
from interfaces.wiring import open_desk
from tests.integration.desk_fixtures import OFFICE, T0, TELLER, complaint_fields, fresh_desk, report_complaint
from tests.roles import READ_MODELS, VERSION_TABLE, Roles, migrated, run_migrate, separate_roles, superuser

pytestmark = pytest.mark.postgres

EVENTS, SNAPSHOTS, RECEIPTS = "incidents_events", "incidents_snapshots", "incidents_command_receipts"
# Each log table: the column a forger would change, and its key.
LOG_TABLES = {
    EVENTS: ("topic", "originator_id, originator_version"),
    SNAPSHOTS: ("topic", "originator_id, originator_version"),
    RECEIPTS: ("fingerprint", "command_id"),
}


@pytest.fixture
def roles(postgres_url: str) -> Iterator[Roles]:
    with separate_roles(postgres_url) as roles:
        yield roles


@pytest.fixture
def server_desk(roles: Roles) -> Iterator[IncidentDesk]:
    """The server's desk, made from its URL as the product makes it, on a migrated schema with history."""
    migrated(roles)
    desk = IncidentDesk(store_env(roles.server_url))
    incident_id = report_complaint(desk)
    desk.act(incident_id, Complaint.acknowledge(), actor=TELLER, occurred_at=T0)
    desk.take_snapshot(incident_id)
    yield desk
    desk.close()


def every_row(roles: Roles, table: str) -> list[tuple[Any, ...]]:
    with superuser() as conn:
        return conn.execute(f'SELECT * FROM "{roles.schema}"."{table}" ORDER BY 1, 2').fetchall()


def as_server(desk: IncidentDesk, statement: str) -> None:
    """Runs SQL on one of the server's own pooled connections, in the server's schema."""
    datastore = cast(IncidentPostgresRecorder, desk.recorder).datastore
    with datastore.pool.connection() as conn, conn.transaction():
        conn.execute(f'SET LOCAL search_path = "{datastore.schema}"')
        conn.execute(statement)


def grants(roles: Roles) -> dict[str, set[str]]:
    with superuser() as conn:
        rows = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_schema = %s",
            (roles.server, roles.schema),
        ).fetchall()
    found: dict[str, set[str]] = {}
    for table, privilege in rows:
        found.setdefault(str(table), set()).add(str(privilege))
    return found


def test_migrate_creates_every_table_and_grants_the_server_exactly_what_it_needs(roles: Roles) -> None:
    migrated(roles)
    assert grants(roles) == {
        **{table: {"SELECT"} for table in LOG_TABLES},
        **{table: {"SELECT", "INSERT", "UPDATE", "DELETE"} for table in READ_MODELS},
        VERSION_TABLE: {"SELECT"},
    }
    with superuser() as conn:
        insertable = conn.execute(
            "SELECT table_name, column_name FROM information_schema.column_privileges "
            "WHERE grantee = %s AND table_schema = %s AND privilege_type = 'INSERT' AND table_name = %s",
            (roles.server, roles.schema, EVENTS),
        ).fetchall()
        schema_rights = conn.execute(
            "SELECT has_schema_privilege(%(r)s, %(s)s, 'USAGE'), has_schema_privilege(%(r)s, %(s)s, 'CREATE')",
            {"r": roles.server, "s": roles.schema},
        ).fetchone()
        owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = %s", (roles.schema,)
        ).fetchall()
    # The notification id comes from its sequence, never from a writer.
    assert {column for _, column in insertable} == {"originator_id", "originator_version", "topic", "state"}
    assert schema_rights == (True, False)
    assert owners == [(roles.owner,)]


def test_migrate_again_takes_back_what_the_server_should_not_have(roles: Roles) -> None:
    migrated(roles)
    with psycopg.connect(roles.owner_url.split("?")[0], autocommit=True) as owner:
        owner.execute(f'GRANT UPDATE, TRUNCATE ON "{roles.schema}"."{EVENTS}" TO "{roles.server}"')
        owner.execute(f'GRANT CREATE ON SCHEMA "{roles.schema}" TO "{roles.server}"')
    assert grants(roles)[EVENTS] == {"SELECT", "UPDATE", "TRUNCATE"}
    migrated(roles)
    assert grants(roles)[EVENTS] == {"SELECT"}
    with superuser() as conn:
        can_create = conn.execute(
            "SELECT has_schema_privilege(%s, %s, 'CREATE')", (roles.server, roles.schema)
        ).fetchone()
    assert can_create == (False,)


STATEMENTS_ON_EACH_LOG_TABLE = {
    "update": "UPDATE {table} SET {column} = 'forged'",
    "delete": "DELETE FROM {table}",
    "truncate": "TRUNCATE {table}",
    "disable every trigger": "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "disable the append-only trigger": "ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
    "drop the append-only trigger": "DROP TRIGGER {table}_append_only ON {table}",
    "drop the truncate trigger": "DROP TRIGGER {table}_no_truncate ON {table}",
    "upsert": (
        "INSERT INTO {table} ({key}, {column}) SELECT {key}, {column} FROM {table} "
        "ON CONFLICT ({key}) DO UPDATE SET {column} = 'forged'"
    ),
    "lock out the writers": "LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE",
    "drop the table": "DROP TABLE {table}",
}


@pytest.mark.parametrize("table", list(LOG_TABLES))
@pytest.mark.parametrize("statement", list(STATEMENTS_ON_EACH_LOG_TABLE))
def test_the_server_s_own_connection_cannot_change_the_log(
    roles: Roles, server_desk: IncidentDesk, table: str, statement: str
) -> None:
    column, key = LOG_TABLES[table]
    sql = STATEMENTS_ON_EACH_LOG_TABLE[statement].format(table=table, column=column, key=key)
    before = every_row(roles, table)
    with pytest.raises(errors.InsufficientPrivilege):
        as_server(server_desk, sql)
    assert every_row(roles, table) == before != []


@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica",
        "SET LOCAL session_replication_role = replica",
        # A notification id chosen by a writer could land behind a tailer that has passed it.
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state, notification_id) "
        f"SELECT originator_id, originator_version + 100, topic, state, 1000 FROM {EVENTS} LIMIT 1",
        f"SELECT setval(pg_get_serial_sequence('{EVENTS}', 'notification_id'), 1)",
        "CREATE TABLE shadow (id int)",
    ],
    ids=["session replication role", "local replication role", "chosen position", "setval", "create"],
)
def test_the_server_s_own_connection_cannot_step_around_the_triggers_or_the_sequence(
    roles: Roles, server_desk: IncidentDesk, statement: str
) -> None:
    before = every_row(roles, EVENTS)
    with pytest.raises(errors.InsufficientPrivilege):
        as_server(server_desk, statement)
    assert every_row(roles, EVENTS) == before


def test_the_least_privileged_server_appends_reads_projects_and_manages_tokens(
    roles: Roles, server_desk: IncidentDesk
) -> None:
    incident_id = report_complaint(server_desk)
    server_desk.act(incident_id, Complaint.escalate(reason="媒体关注"), actor=OFFICE, occurred_at=T0)
    reader = fresh_desk(roles.server_url)
    try:
        assert reader.get_incident(incident_id).version == 2
    finally:
        reader.close()

    engine = engine_for(roles.server_url)
    try:
        runner = make_runner(server_desk, engine, roles.server_url)
        head = server_desk.recorder.max_notification_id() or 0
        assert runner.catch_up(until=head) == head
        assert runner.tracked() == head

        tokens = TokenRegistry(engine, load_organisation(DEMO_ORGANISATION_PATH))
        record, token = tokens.issue(role=Role.AUDITOR, unit="", name="审计", now=datetime.now(UTC))
        assert tokens.verify(token) is not None
        tokens.revoke(record.id, now=datetime.now(UTC))
        assert tokens.verify(token) is None
    finally:
        engine.dispose()


def test_a_server_on_a_schema_nobody_migrated_is_told_to_run_migrate(roles: Roles) -> None:
    with pytest.raises(SchemaNotMigratedError, match="their owner must migrate the store") as refused:
        IncidentDesk(store_env(roles.server_url))
    assert "--" not in str(refused.value)  # the application names no option: the edge adds the command
    with pytest.raises(SchemaNotMigratedError, match=r"run `incident migrate` .* --server-role"):
        open_desk(Settings(database_url=roles.server_url))


@pytest.mark.parametrize(
    "make_unsafe",
    [
        'ALTER ROLE "{server}" SUPERUSER',
        'ALTER ROLE "{server}" CREATEROLE',
        'GRANT "{owner}" TO "{server}"',
    ],
    ids=["superuser", "createrole", "member of the owner"],
)
def test_migrate_refuses_a_server_role_that_could_step_around_its_grants(
    roles: Roles, make_unsafe: str
) -> None:
    with superuser() as conn:
        conn.execute(make_unsafe.format(server=roles.server, owner=roles.owner))
    result = run_migrate(roles.owner_url, "--server-role", roles.server)
    assert result.exit_code == 2
    assert f"role {roles.server!r}" in result.output
    assert grants(roles) == {}


def test_migrate_refuses_to_grant_the_owner_itself(roles: Roles) -> None:
    result = run_migrate(roles.owner_url, "--server-role", roles.owner)
    assert result.exit_code == 2
    assert "owns" in result.output


def wait_until_a_writer_waits_for_an_advisory_lock(roles: Roles) -> None:
    with superuser() as conn:
        for _ in range(500):
            waiting = conn.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND NOT l.granted AND a.usename = %s",
                (roles.server,),
            ).fetchone()
            if waiting and waiting[0]:
                return
            conn.execute("SELECT pg_sleep(0.01)")
    raise AssertionError("no writer waited for the append lock")


@pytest.mark.parametrize(
    "holder",
    [
        "SELECT pg_advisory_xact_lock({key})",
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
        "VALUES (gen_random_uuid(), 1, 'another.program', '')",
    ],
    ids=["a transaction holding the append lock", "another program's insert, not yet committed"],
)
def test_an_append_commits_after_the_open_append_before_it_without_table_locks(
    roles: Roles, server_desk: IncidentDesk, holder: str
) -> None:
    key = append_lock_key(roles.schema, EVENTS)
    appended: list[int] = []
    with psycopg.connect(roles.server_url.split("?")[0], options=f"-csearch_path={roles.schema}") as other:
        other.execute(holder.format(key=key))  # the transaction stays open: the lock is held
        writer = threading.Thread(target=lambda: appended.append(report_position(server_desk)))
        writer.start()
        wait_until_a_writer_waits_for_an_advisory_lock(roles)
        assert appended == []
        other.commit()
        writer.join(10)
    assert len(appended) == 1
    with superuser() as conn:
        head = conn.execute(f'SELECT max(notification_id) FROM "{roles.schema}"."{EVENTS}"').fetchone()
    assert head == (appended[0],)


def report_position(desk: IncidentDesk) -> int:
    return desk.report_complaint(actor=TELLER, occurred_at=T0, **complaint_fields()).position
