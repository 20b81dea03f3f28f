"""SQLAlchemy Core tables: one schema for SQLite and PostgreSQL (the SQLite file opens in Datasette)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _span_cols() -> list[Column]:
    return [Column("text", Text, nullable=False), Column("start", Integer, nullable=False),
            Column("end", Integer, nullable=False)]


def _child(name: str, *cols: Column) -> Table:
    return Table(
        name, metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("report_id", String(64), ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("seq", Integer, nullable=False),
        *cols, *_span_cols(),
    )


reports = Table(
    "reports", metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the normalised text
    Column("source", Text, nullable=False),
    Column("url", Text),
    Column("title", Text),
    Column("outlet", Text),
    Column("byline", Text),
    Column("published", DateTime(timezone=True), index=True),
    Column("published_source", String(8)),
    Column("language", String(8), index=True),
    Column("declared_language", String(8)),
    Column("forwarded_from", Text),
    Column("links", JSON),
    Column("raw_text", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("story", String(64), index=True),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

mentions = _child("mentions", Column("entity_id", Text, nullable=False, index=True), Column("name", Text),
                  Column("type", String(16)), Column("wikidata", String(16)), Column("description", Text))
places = _child("places", Column("place_id", Text, nullable=False), Column("name", Text), Column("lat", Float),
                Column("lon", Float), Column("country", String(2)), Column("code", String(8)),
                Column("precision", String(8)))
dates = _child("dates", Column("kind", String(10)), Column("value", String(10)), Column("until", String(10)),
               Column("recurrence", String(20)))
quotes = _child("quotes", Column("speaker", Text), Column("speaker_id", Text), Column("kind", String(10)))
claims = _child("claims", Column("modality", String(12), index=True), Column("attributed_to", Text),
                Column("cue", Text))
cited_sources = _child("cited_sources", Column("name", Text, nullable=False), Column("outlet_id", Text),
                       Column("via", String(16)))
indicator_hits = _child("indicator_hits", Column("indicator", String(48), nullable=False, index=True),
                        Column("confidence", Float, nullable=False), Column("roles", JSON))

errors = Table(
    "errors", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("stage", String(32), nullable=False),
    Column("code", String(8), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "stage", "code", name="uq_errors_source_stage_code"),
)

story_signals = Table(
    "story_signals", metadata,
    Column("report_id", String(64), ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("published", DateTime(timezone=True)),
    Column("minhash", LargeBinary, nullable=False),
    Column("embedding", LargeBinary),
    Column("features", JSON, nullable=False),
    Column("copy_of", String(64)),
    Column("copy_similarity", Float),
)

lsh_buckets = Table(
    "lsh_buckets", metadata,
    Column("band", Integer, nullable=False),
    Column("bucket", String(16), nullable=False),
    Column("report_id", String(64), nullable=False),
    Index("ix_lsh_buckets_band_bucket", "band", "bucket"),
)

feature_index = Table(
    "feature_index", metadata,
    Column("feature", String(120), nullable=False),
    Column("report_id", String(64), nullable=False),
    Column("published", DateTime(timezone=True)),
    Index("ix_feature_index_feature_published", "feature", "published"),
)

feature_df = Table(
    "feature_df", metadata,
    Column("feature", String(120), primary_key=True),
    Column("df", Integer, nullable=False),
)

stories = Table(
    "stories", metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text),
    Column("first_seen", DateTime(timezone=True)),
    Column("last_seen", DateTime(timezone=True), index=True),
    Column("size", Integer, nullable=False),
    Column("languages", JSON, nullable=False),
    Column("outlets", JSON, nullable=False),
    Column("origins", JSON, nullable=False),
    Column("independent_origins", Integer, nullable=False),
    Column("merged_into", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

provenance_edges = Table(
    "provenance_edges", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("story_id", String(64), nullable=False, index=True),
    Column("src", Text, nullable=False),
    Column("dst", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("report_id", String(64), nullable=False),
)

observations = Table(  # the latest assessment's observations (rewritten by `escwatch assess`)
    "observations", metadata,
    Column("id", String(24), primary_key=True),
    Column("story_id", String(64), nullable=False, index=True),
    Column("indicator", String(48), nullable=False, index=True),
    Column("day", String(10), nullable=False),
    Column("event_day", String(10), nullable=False),
    Column("last_day", String(10), nullable=False),
    Column("reliability", String(1), nullable=False),
    Column("credibility", Integer, nullable=False),
    Column("credibility_reason", Text, nullable=False),
    Column("baseline", Text, nullable=False),
    Column("inside", Integer, nullable=False),
    Column("origins", JSON, nullable=False),
    Column("denials", JSON, nullable=False),
    Column("countries", JSON, nullable=False),
    Column("supports", JSON, nullable=False),
)

index_days = Table(  # the escalation index and posteriors per scope and day
    "index_days", metadata,
    Column("scope", String(120), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("value", Float, nullable=False),
    Column("posteriors", JSON, nullable=False),
    Column("contributions", JSON, nullable=False),  # [{observation, value, factors...}]
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

alerts = Table(
    "alerts", metadata,
    Column("id", String(40), primary_key=True),  # idempotency key: hash of rule and what fired it
    Column("rule", String(80), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("day", String(10), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

alert_deliveries = Table(
    "alert_deliveries", metadata,
    Column("alert_id", String(40), ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("channel", String(80), primary_key=True),
    Column("status", String(12), nullable=False),  # sending | sent | failed | skipped
    Column("attempts", Integer, nullable=False),
    Column("detail", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

grade_overrides = Table(  # analysts' source grades, over the pack's
    "grade_overrides", metadata,
    Column("source", String(200), primary_key=True),
    Column("reliability", String(1), nullable=False),
    Column("note", Text),
    Column("set_by", String(80), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

feeds = Table(  # feeds followed by `escwatch watch` (added by `escwatch feeds add/import`)
    "feeds", metadata,
    Column("url", String(2000), primary_key=True),
    Column("title", Text),
    Column("added_from", String(16), nullable=False),  # cli | opml | config
    Column("enabled", Integer, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

fetch_state = Table(  # conditional GET and politeness state per URL
    "fetch_state", metadata,
    Column("url", String(2000), primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("status", Integer),
    Column("error", Text),
    Column("fetched_at", DateTime(timezone=True)),
)

seen_items = Table(  # every item a source delivered, once: feed entries, messages, URLs, files
    "seen_items", metadata,
    Column("key", String(2000), primary_key=True),
    Column("report_id", String(64)),
    Column("status", String(12), nullable=False),  # stored | duplicate | failed
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

analyst_actions = Table(  # what analysts did in the web dashboard: grades, flags (wrong), notes; with who and when
    "analyst_actions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # grade | flag | note
    Column("target", String(16), nullable=False),  # source | report | observation | story
    Column("target_id", String(200), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_analyst_actions_target", "target", "target_id"),
)

briefings = Table(  # briefings made: "what is new" counts from the last one's end
    "briefings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("start_day", String(10), nullable=False),
    Column("end_day", String(10), nullable=False),
    Column("format", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

Index("ix_indicator_hits_report_indicator", indicator_hits.c.report_id, indicator_hits.c.indicator)

CHILDREN = {"mentions": mentions, "places": places, "dates": dates, "quotes": quotes, "claims": claims,
            "cited_sources": cited_sources, "indicators": indicator_hits}
