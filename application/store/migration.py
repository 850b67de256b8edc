"""The event store's DDL, and on PostgreSQL the grants of the server's role: read and append, no more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from eventsourcing.application import Application
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from application.store.postgres_store import IncidentPostgresRecorder


class MigrationError(ValueError):
    """The store cannot be migrated or granted as asked (the message says why)."""


@runtime_checkable
class LogRecorder(Protocol):
    """A recorder of this product's append-only tables, which can run its own DDL."""

    @property
    def append_only_tables(self) -> Mapping[str, Sequence[str]]:
        """Each append-only table and the columns a writer stores in it."""

    def migrate(self) -> None:
        """Create the tables, functions and triggers (idempotent)."""


def log_recorders(app: Application[Any]) -> list[LogRecorder]:
    """The recorders of the log and of its snapshots."""
    recorders = [app.recorder, *([app.snapshots.recorder] if app.snapshots else [])]
    for recorder in recorders:
        if not isinstance(recorder, LogRecorder):
            raise MigrationError(f"{type(recorder).__name__} is not a recorder of this product")
    return [recorder for recorder in recorders if isinstance(recorder, LogRecorder)]


def migrate_log(app: Application[Any]) -> list[str]:
    """Run the DDL of the log, its snapshots and its receipts; returns the append-only tables."""
    tables: list[str] = []
    for recorder in log_recorders(app):
        recorder.migrate()
        tables.extend(recorder.append_only_tables)
    return tables


def refuse_roles_on_sqlite(app: Application[Any]) -> IncidentPostgresRecorder:
    """The PostgreSQL recorder, or a clear error: an SQLite file has no roles to grant."""
    if not isinstance(app.recorder, IncidentPostgresRecorder):
        raise MigrationError("a server role is for PostgreSQL: an SQLite file has no roles")
    return app.recorder


def grant_server_role(
    app: Application[Any], role: str, read_model_tables: Sequence[str], read_only_tables: Sequence[str] = ()
) -> None:
    """Give `role` exactly what a server needs, in one transaction, after checking it is safe.

    On the append-only tables: SELECT, and INSERT of the columns a writer stores (never the
    notification id). On the read models: SELECT, INSERT, UPDATE, DELETE. USAGE of the schema and
    its sequences (nextval, never setval). SELECT only on `read_only_tables` (the schema's version).
    Everything granted before to the role in this schema is revoked first, so running it again
    leaves the same grants.
    """
    recorder = refuse_roles_on_sqlite(app)
    log_tables: dict[str, Sequence[str]] = {}
    for log_recorder in log_recorders(app):
        log_tables.update(log_recorder.append_only_tables)
    schema = recorder.datastore.schema
    with recorder.datastore.transaction(commit=True) as curs:
        _refuse_unsafe_role(curs, schema, role, list(log_tables))
        for statement in server_grants(schema, role, log_tables, read_model_tables, read_only_tables):
            curs.execute(statement)


def server_grants(
    schema: str,
    role: str,
    log_tables: Mapping[str, Sequence[str]],
    read_model_tables: Sequence[str],
    read_only_tables: Sequence[str] = (),
) -> list[Composed]:
    """The REVOKE and GRANT statements that leave `role` with exactly a server's privileges."""
    s, r = Identifier(schema), Identifier(role)
    statements = [
        SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {0} FROM {1}").format(s, r),
        SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {0} FROM {1}").format(s, r),
        SQL("REVOKE ALL ON SCHEMA {0} FROM {1}").format(s, r),
        SQL("GRANT USAGE ON SCHEMA {0} TO {1}").format(s, r),
    ]
    for table, columns in log_tables.items():
        statements.append(
            SQL("GRANT SELECT, INSERT ({0}) ON {1}.{2} TO {3}").format(
                SQL(", ").join(Identifier(c) for c in columns), s, Identifier(table), r
            )
        )
    statements.extend(
        SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {0}.{1} TO {2}").format(s, Identifier(table), r)
        for table in read_model_tables
    )
    statements.extend(
        SQL("GRANT SELECT ON {0}.{1} TO {2}").format(s, Identifier(table), r) for table in read_only_tables
    )
    statements.append(SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {0} TO {1}").format(s, r))
    return statements


def _refuse_unsafe_role(curs: Cursor[DictRow], schema: str, role: str, log_tables: list[str]) -> None:
    # Grants bind only a role that cannot step around them: not a superuser, not one that can make
    # itself a member of another role, not the owner (or a member of the owner) of the schema or of
    # a log table, who could ALTER, DISABLE TRIGGER or DROP.
    curs.execute(
        "SELECT r.rolsuper, r.rolcreaterole, "
        "pg_has_role(r.oid, n.nspowner, 'MEMBER') AS owns_schema, "
        "coalesce(bool_or(pg_has_role(r.oid, c.relowner, 'MEMBER')), false) AS owns_table "
        "FROM pg_catalog.pg_roles r "
        "JOIN pg_catalog.pg_namespace n ON n.nspname = %(schema)s "
        "LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = ANY(%(tables)s) "
        "WHERE r.rolname = %(role)s GROUP BY r.rolsuper, r.rolcreaterole, r.oid, n.nspowner",
        {"schema": schema, "tables": log_tables, "role": role},
    )
    row = curs.fetchone()
    if row is None:
        raise MigrationError(f"role {role!r} (or schema {schema!r}) does not exist: create it first")
    if row["rolsuper"]:
        raise MigrationError(f"role {role!r} is a superuser, which no grant or trigger binds")
    if row["rolcreaterole"]:
        raise MigrationError(f"role {role!r} has CREATEROLE: it could make itself a member of the owner")
    if row["owns_schema"] or row["owns_table"]:
        raise MigrationError(
            f"role {role!r} owns (or is a member of the owner of) schema {schema!r} or its log tables: "
            "it could alter or drop them; the server needs a role of its own"
        )
