"""escwatch — Escalation Watch: nuclear signalling in open sources, explained."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("escwatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "dev"
