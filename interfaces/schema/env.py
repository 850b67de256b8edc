"""Alembic's environment: runs the revisions on the connection `incident migrate` (or a server) gives it."""

from alembic import context
from sqlalchemy.engine import Connection

connection: Connection = context.config.attributes["connection"]
# The connection's search_path is the schema the database URL names (interfaces/sql_engine.py): the
# version table lives beside the tables it versions.
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
