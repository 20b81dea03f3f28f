"""Parse: RawDoc -> Report (text and metadata; no meaning yet)."""

from __future__ import annotations

from escwatch.parse.document import parse

__all__ = ["parse"]
