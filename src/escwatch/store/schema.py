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
    Column("language", String(8), index=True),
    Column("declared_language", String(8)),
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
cited_sources = _child("cited_sources", Column("name", Text, nullable=False), Column("outlet_id", Text))
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

Index("ix_indicator_hits_report_indicator", indicator_hits.c.report_id, indicator_hits.c.indicator)

CHILDREN = {"mentions": mentions, "places": places, "dates": dates, "quotes": quotes, "claims": claims,
            "cited_sources": cited_sources, "indicators": indicator_hits}
