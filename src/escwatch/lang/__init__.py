"""Language resources (see README.md beside this file): words and patterns per language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SUPPORTED = ("nl", "en", "de", "fr", "pl", "ru", "uk")
PATTERN_KEYS = ("according_to", "according_to_after", "reported", "hedged", "speculative", "denied",
                "source_markers", "teasers", "paywall", "date_words", "recurring")


def _compile(patterns: list[str], flags: int = re.IGNORECASE) -> re.Pattern[str] | None:
    """One alternation of many patterns (None when there are none)."""
    good = [p for p in patterns if p]
    return re.compile("|".join(f"(?:{p})" for p in good), flags) if good else None


@dataclass(frozen=True)
class LangRes:
    code: str
    stopwords: frozenset[str] = frozenset()
    not_names: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    speech_verbs: frozenset[str] = frozenset()
    regions: dict[str, str] = field(default_factory=dict)
    ranges: dict[str, dict[str, int]] = field(default_factory=dict)
    patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict)

    def rx(self, key: str) -> re.Pattern[str] | None:
        return self.patterns.get(key)


@lru_cache(maxsize=16)
def load_lang(code: str) -> LangRes:
    """Resources for one language; an unknown language gets empty resources."""
    from escwatch.packs import read_yaml  # the same YAML reader, with line-numbered errors

    path = HERE / f"{code}.yaml"
    data: dict[str, Any] = (read_yaml(path) or {}) if path.exists() else {}
    teaser_flags = re.IGNORECASE | re.MULTILINE
    pats = {k: _compile(list(data.get(k) or []), teaser_flags if k in ("teasers", "paywall") else re.IGNORECASE)
            for k in PATTERN_KEYS}
    return LangRes(
        code=code,
        stopwords=frozenset(w.lower() for w in data.get("stopwords") or ()),
        not_names=frozenset(data.get("not_names") or ()),
        titles=frozenset(w.lower() for w in data.get("titles") or ()),
        speech_verbs=frozenset(w.lower() for w in data.get("speech_verbs") or ()),
        regions=dict(data.get("regions") or {}),
        ranges={k: dict(v) for k, v in (data.get("ranges") or {}).items()},
        patterns=pats,
    )


@lru_cache(maxsize=1)
def all_langs() -> tuple[LangRes, ...]:
    return tuple(load_lang(c) for c in SUPPORTED)


@lru_cache(maxsize=16)
def union(attr: str) -> frozenset[str]:
    """A word set (e.g. ``not_names``) merged over all supported languages."""
    out: set[str] = set()
    for res in all_langs():
        out |= getattr(res, attr)
    return frozenset(out)
