"""live sources: forwarded_from and links on reports, followed feeds, fetch state, seen items

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("forwarded_from", sa.Text))
        batch.add_column(sa.Column("links", sa.JSON))
    op.create_table(
        "feeds",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("added_from", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Integer, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "fetch_state",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("fetched_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "seen_items",
        sa.Column("key", sa.String(2000), primary_key=True),
        sa.Column("report_id", sa.String(64)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in ("seen_items", "fetch_state", "feeds"):
        op.drop_table(name)
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("links")
        batch.drop_column("forwarded_from")
