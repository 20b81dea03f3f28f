"""Ingest: sources yield RawDoc (or ErrorRecord for what cannot be read); never parse meaning."""
