"""Baseline: the tables of the first versioned release, as `incident migrate` creates them.

The log's tables, triggers and functions (application/store/), and the read models' tables
(interfaces/migration.py), are created by the product's own idempotent DDL before the revisions
run; a board whose shape changed is rebuilt from the log by the board runner. This revision marks
that state; every later change to a table (a column, an index, a constraint) is a revision after it,
written with `op.*`, never DDL in a server's start-up path.
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing beyond the baseline DDL: this revision names it."""


def downgrade() -> None:
    """The log is append-only: no revision is ever undone in place (restore a backup instead)."""
    raise NotImplementedError("the schema is never downgraded: restore a backup taken before the upgrade")
