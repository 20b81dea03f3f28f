"""initial schema: reports, their extracted spans, and errors

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SPAN = ("text", "start", "end")


def _child(name: str, *cols: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.String(64), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        *cols,
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
    )
    op.create_index(f"ix_{name}_report_id", name, ["report_id"])


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("outlet", sa.Text),
        sa.Column("byline", sa.Text),
        sa.Column("published", sa.DateTime(timezone=True)),
        sa.Column("language", sa.String(8)),
        sa.Column("declared_language", sa.String(8)),
        sa.Column("raw_text", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("story", sa.String(64)),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
    )
    for col in ("published", "language", "story"):
        op.create_index(f"ix_reports_{col}", "reports", [col])
    _child("mentions", sa.Column("entity_id", sa.Text, nullable=False), sa.Column("name", sa.Text),
           sa.Column("type", sa.String(16)), sa.Column("wikidata", sa.String(16)), sa.Column("description", sa.Text))
    op.create_index("ix_mentions_entity_id", "mentions", ["entity_id"])
    _child("places", sa.Column("place_id", sa.Text, nullable=False), sa.Column("name", sa.Text),
           sa.Column("lat", sa.Float), sa.Column("lon", sa.Float), sa.Column("country", sa.String(2)),
           sa.Column("code", sa.String(8)), sa.Column("precision", sa.String(8)))
    _child("dates", sa.Column("kind", sa.String(10)), sa.Column("value", sa.String(10)),
           sa.Column("until", sa.String(10)), sa.Column("recurrence", sa.String(20)))
    _child("quotes", sa.Column("speaker", sa.Text), sa.Column("speaker_id", sa.Text), sa.Column("kind", sa.String(10)))
    _child("claims", sa.Column("modality", sa.String(12)), sa.Column("attributed_to", sa.Text),
           sa.Column("cue", sa.Text))
    op.create_index("ix_claims_modality", "claims", ["modality"])
    _child("cited_sources", sa.Column("name", sa.Text, nullable=False), sa.Column("outlet_id", sa.Text))
    _child("indicator_hits", sa.Column("indicator", sa.String(48), nullable=False),
           sa.Column("confidence", sa.Float, nullable=False), sa.Column("roles", sa.JSON))
    op.create_index("ix_indicator_hits_indicator", "indicator_hits", ["indicator"])
    op.create_index("ix_indicator_hits_report_indicator", "indicator_hits", ["report_id", "indicator"])
    op.create_table(
        "errors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source", "stage", "code", name="uq_errors_source_stage_code"),
    )


def downgrade() -> None:
    for name in ("errors", "indicator_hits", "cited_sources", "claims", "quotes", "dates", "places", "mentions",
                 "reports"):
        op.drop_table(name)
