"""Board checkpoints: each event's moments and the boards' checkpoints, where past boards start.

The tables are a board's (projections/board_checkpoints.py): derived from the log, filled by the
projector from position 0 once they exist. Created here so that a server whose role may not create
tables finds them, and refuses a schema migrated by the release before (it would have to create them).
"""

from alembic import op

from projections.board_checkpoints import metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables where they are not yet (`incident migrate` may have made them just now)."""
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    """The log is append-only: no revision is ever undone in place (restore a backup instead)."""
    raise NotImplementedError("the schema is never downgraded: restore a backup taken before the upgrade")
