"""assessment: observations, index per day, alerts and their deliveries, analysts' grade overrides

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observations",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("story_id", sa.String(64), nullable=False),
        sa.Column("indicator", sa.String(48), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("event_day", sa.String(10), nullable=False),
        sa.Column("last_day", sa.String(10), nullable=False),
        sa.Column("reliability", sa.String(1), nullable=False),
        sa.Column("credibility", sa.Integer, nullable=False),
        sa.Column("credibility_reason", sa.Text, nullable=False),
        sa.Column("baseline", sa.Text, nullable=False),
        sa.Column("inside", sa.Integer, nullable=False),
        sa.Column("origins", sa.JSON, nullable=False),
        sa.Column("denials", sa.JSON, nullable=False),
        sa.Column("countries", sa.JSON, nullable=False),
        sa.Column("supports", sa.JSON, nullable=False),
    )
    op.create_index("ix_observations_story_id", "observations", ["story_id"])
    op.create_index("ix_observations_indicator", "observations", ["indicator"])
    op.create_table(
        "index_days",
        sa.Column("scope", sa.String(120), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("posteriors", sa.JSON, nullable=False),
        sa.Column("contributions", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("rule", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_alerts_day", "alerts", ["day"])
    op.create_table(
        "alert_deliveries",
        sa.Column("alert_id", sa.String(40), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("channel", sa.String(80), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "grade_overrides",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("reliability", sa.String(1), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("set_by", sa.String(80), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in ("grade_overrides", "alert_deliveries", "alerts", "index_days", "observations"):
        op.drop_table(name)
