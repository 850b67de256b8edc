"""The schema's versions, kept by Alembic: each change of the tables beside the log is a revision here."""
