"""briefings: the briefings made, so that a briefing says what is new since the last one

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "briefings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("start_day", sa.String(10), nullable=False),
        sa.Column("end_day", sa.String(10), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("briefings")
