"""Executors for the per-report work (parse + analyse), behind one interface."""

from escwatch.engine.local import IngestResult, ingest_docs, process_doc

__all__ = ["IngestResult", "ingest_docs", "process_doc"]
