"""The PostgreSQL store's connection pool, made to give up in time during an outage and to recover at once.

Measured with the library's own pool (psycopg_pool with the library's settings), PostgreSQL stopped
for 8.5 s: a read of the log took 52 s to fail (a 5 s pool wait, tried ten times by the library's
recorders), and the first command after the database was back waited 5.7 s, for the pool's next
reconnection attempt (1, 2, 4, 8 s apart). Here a request waits at most `STORE_WAIT_SECONDS` for a
connection, once, and the first request after the database's return is served by a new connection.
"""

from __future__ import annotations

import weakref
from typing import Any

from eventsourcing.postgres import ConnectionPool, PostgresDatastore
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection
from psycopg_pool import PoolTimeout

from application.store.database_url import STORE_WAIT_SECONDS
from application.store.errors import StoreUnavailableError
from application.store.postgres_store import IncidentPostgresFactory

# A connection that cannot be made is not retried in the background: psycopg_pool would back off
# (1, 2, 4 … s, for five minutes) and keep the next attempt, and every request waiting on it, that far
# behind the database's return. Given up at once, the next request that needs a connection asks again.
RECONNECT_SECONDS = 0.0


class RecoveringConnectionPool(ConnectionPool[Connection[Any]]):
    """The library's pool, failing with StoreUnavailableError and dropping dead connections together.

    - A request that gets no connection within the pool's timeout raises StoreUnavailableError, which
      the library's recorders do not retry (they retry their own OperationalError ten times).
    - A connection that fails its pre-ping empties the pool of its idle connections: after a database
      restart they are all dead, and the pool waits a second between two failed checks of one request.
    """

    def __init__(self, *, pre_ping: bool, **options: Any) -> None:
        pool = weakref.ref(self)  # the pool holds its check: no reference cycle through it

        def check(conn: Connection[Any]) -> None:
            try:
                ConnectionPool.check_connection(conn)
            except Exception:
                found = pool()
                if found is not None:
                    found.drain()
                raise

        super().__init__(check=check if pre_ping else None, reconnect_timeout=RECONNECT_SECONDS, **options)

    def getconn(self, timeout: float | None = None) -> Connection[Any]:
        try:
            return super().getconn(timeout)
        except PoolTimeout as error:
            raise StoreUnavailableError(f"no database connection within {self.timeout:g} s") from error

    @classmethod
    def replacing(cls, datastore: PostgresDatastore) -> RecoveringConnectionPool:
        """The same pool as the datastore's (not yet opened), with these changes."""
        old = datastore.pool
        kwargs = dict(old.kwargs) if isinstance(old.kwargs, dict) else {}
        # The library sets no connect timeout: psycopg's default is 130 s to a host that does not answer.
        kwargs["connect_timeout"] = STORE_WAIT_SECONDS
        return cls(
            pre_ping=datastore.pre_ping,
            connection_class=old.connection_class,
            kwargs=kwargs,
            min_size=old.min_size,
            max_size=old.max_size,
            open=False,
            configure=datastore.after_connect_func(),
            timeout=old.timeout,
            max_waiting=old.max_waiting,
            max_lifetime=old.max_lifetime,
            get_password_func=old.get_password_func,
        )


class RecoveringPostgresFactory(IncidentPostgresFactory):
    """The incident store's PostgreSQL factory, on a RecoveringConnectionPool."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.datastore.pool = RecoveringConnectionPool.replacing(self.datastore)
