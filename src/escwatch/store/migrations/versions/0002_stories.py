"""stories: date and citation origins, near-duplicate signatures, blocking index, stories, provenance edges

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("published_source", sa.String(8)))
    with op.batch_alter_table("cited_sources") as batch:
        batch.add_column(sa.Column("via", sa.String(16)))
    op.create_table(
        "story_signals",
        sa.Column("report_id", sa.String(64), sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("published", sa.DateTime(timezone=True)),
        sa.Column("minhash", sa.LargeBinary, nullable=False),
        sa.Column("embedding", sa.LargeBinary),
        sa.Column("features", sa.JSON, nullable=False),
        sa.Column("copy_of", sa.String(64)),
        sa.Column("copy_similarity", sa.Float),
    )
    op.create_table(
        "lsh_buckets",
        sa.Column("band", sa.Integer, nullable=False),
        sa.Column("bucket", sa.String(16), nullable=False),
        sa.Column("report_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_lsh_buckets_band_bucket", "lsh_buckets", ["band", "bucket"])
    op.create_table(
        "feature_index",
        sa.Column("feature", sa.String(120), nullable=False),
        sa.Column("report_id", sa.String(64), nullable=False),
        sa.Column("published", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_feature_index_feature_published", "feature_index", ["feature", "published"])
    op.create_table(
        "feature_df",
        sa.Column("feature", sa.String(120), primary_key=True),
        sa.Column("df", sa.Integer, nullable=False),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("first_seen", sa.DateTime(timezone=True)),
        sa.Column("last_seen", sa.DateTime(timezone=True)),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("outlets", sa.JSON, nullable=False),
        sa.Column("origins", sa.JSON, nullable=False),
        sa.Column("independent_origins", sa.Integer, nullable=False),
        sa.Column("merged_into", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_stories_last_seen", "stories", ["last_seen"])
    op.create_table(
        "provenance_edges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("story_id", sa.String(64), nullable=False),
        sa.Column("src", sa.Text, nullable=False),
        sa.Column("dst", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("report_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_provenance_edges_story_id", "provenance_edges", ["story_id"])


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("published_source")
    with op.batch_alter_table("cited_sources") as batch:
        batch.drop_column("via")
    for name in ("provenance_edges", "stories", "feature_df", "feature_index", "lsh_buckets", "story_signals"):
        op.drop_table(name)
