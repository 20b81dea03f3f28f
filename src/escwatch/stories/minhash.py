"""Near-duplicates: MinHash (rensa) over word shingles, LSH bands kept in the store.

Band buckets live in a table, so finding the earlier versions of a report is an index lookup,
whatever the size of the store, and nothing has to be held in memory between runs.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from rensa import RMinHash

NUM_PERM = 128
BANDS, ROWS = 16, 8  # LSH threshold ~ (1/16)^(1/8) = 0.71
SHINGLE = 4
SEED = 1729
COPY_THRESHOLD = 0.6  # estimated Jaccard of shingles at which a report counts as a copy
_WORD = re.compile(r"\w+")


def shingles(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return [" ".join(words)] if words else [""]
    return [" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


def signature(text: str) -> np.ndarray:
    mh = RMinHash(num_perm=NUM_PERM, seed=SEED)
    mh.update(shingles(text))
    return np.asarray(mh.digest(), dtype=np.uint32)


def buckets(sig: np.ndarray) -> list[tuple[int, str]]:
    """(band, bucket key) pairs: reports sharing one are candidate near-duplicates."""
    return [(b, hashlib.blake2b(sig[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=8).hexdigest())
            for b in range(BANDS)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.mean(a == b))


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype(np.uint32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint32)
