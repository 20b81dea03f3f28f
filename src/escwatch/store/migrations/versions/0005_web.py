"""web dashboard: analysts' actions (grades, flags, notes) with who and when

The full-text index of the dashboard's search is not a migration: on SQLite it is an FTS5 virtual
table that ``escwatch.web.search`` creates and fills on first use (a virtual table and its shadow
tables cannot be described in schema.py, and the migrations must build exactly schema.py); on
PostgreSQL search runs on ``to_tsvector`` and needs no table.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyst_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_analyst_actions_target", "analyst_actions", ["target", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_analyst_actions_target", table_name="analyst_actions")
    op.drop_table("analyst_actions")
