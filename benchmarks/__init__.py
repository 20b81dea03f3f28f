"""Benchmarks: `python -m benchmarks` runs them all (see benchmarks/README.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def result_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--result", default=None, help="also write the figures as JSON to this file")


def save_result(path: str | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n")
