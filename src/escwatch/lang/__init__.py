"""Language resources (see README.md beside this file): words and patterns per language."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import compress
from pathlib import Path
from typing import Any, cast

from escwatch.analyse.heads import word_char
from escwatch.analyse.scan import Scanner, WordTable, words_of
from escwatch.errors import PackSchemaError

HERE = Path(__file__).parent
SUPPORTED = ("nl", "en", "de", "fr", "pl", "ru", "uk")
LINE_KEYS = {"teasers", "paywall"}  # matched line by line (^ and $ at line ends)
PATTERN_KEYS = ("according_to", "according_to_after", "reported", "hedged", "speculative", "denied", "denied_verbs",
                "source_markers", "teasers", "paywall", "date_words", "recurring")
# what attributes a statement to a source; one scanner for the quotes and sources stages, which then share
# its per-text candidates (a key's matches do not depend on the other keys scanned with it)
ATTRIBUTION_KEYS = ("source_markers", "according_to", "according_to_after")


_WORD = re.compile(r"\w+")
_TWO_WORD_CHARS = re.compile(r"\w\w")  # \w is exactly word_char


class Phrases:
    """Whole-word occurrences of any of some phrases, as ``(?<!\\w)(?:p1|p2|...)(?!\\w)`` (longest first) finds
    them; each phrase is tried only at word starts that begin like it (``Scanner``) when every phrase starts
    with a word character, where ``(?<!\\w)`` is ``\\b``."""

    def __init__(self, phrases: list[str], flags: int, table: WordTable | None = None) -> None:
        ordered = sorted(phrases, key=len, reverse=True)
        self.rx = re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(p) for p in ordered)})(?!\w)", flags)
        self.scanner: Scanner | None = None
        if all(word_char(p[:1] or " ") for p in ordered):
            sc = Scanner.build(((None, rf"\b{re.escape(p)}(?!\w)") for p in ordered), flags, table)
            self.scanner = None if sc.rest else sc

    def finditer(self, text: str) -> list[re.Match[str]]:
        if self.scanner is None:
            return list(self.rx.finditer(text))
        return _no_overlaps([m for _, m in self.scanner.matches(text)])


def _longest_first(m: re.Match[str]) -> tuple[int, int]:
    """Sort key: leftmost first, then longest (same-length matches at one position have the same span)."""
    return m.start(), m.start() - m.end()


def _no_overlaps(found: list[re.Match[str]]) -> list[re.Match[str]]:
    """Leftmost first; at one position the longest (literal: as long as its match); no overlaps."""
    if len(found) < 2:
        return found
    out: list[re.Match[str]] = []
    end = 0
    for m in sorted(found, key=_longest_first):
        if m.start() >= end:
            out.append(m)
            end = m.end()
    return out


def _phrases(phrases: list[str], flags: int, table: WordTable | None = None) -> Phrases | None:
    """Whole-word occurrences of any phrase, longest first."""
    return Phrases(phrases, flags, table) if phrases else None


@dataclass(frozen=True)  # not slots: speech_prefixes is cached on the instance
class LangRes:
    code: str
    stopwords: frozenset[str] = frozenset()
    not_names: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    speech_verbs: frozenset[str] = frozenset()
    first_names: frozenset[str] = frozenset()  # Cyrillic first names, as stems (Дмитрия -> Дмитр)
    regions: dict[str, str] = field(default_factory=dict)
    ranges: dict[str, dict[str, int]] = field(default_factory=dict)
    patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def scanner(self, keys: tuple[str, ...]) -> Scanner:
        """The patterns under ``keys`` as one scanner, labelled by key."""
        if keys not in self._scanners:
            flags = re.IGNORECASE | (re.MULTILINE if set(keys) & LINE_KEYS else 0)
            self._scanners[keys] = Scanner.build(((k, p) for k in keys for p in self.patterns.get(k, ())), flags,
                                                 self.words)
        return self._scanners[keys]

    def scan(self, keys: tuple[str, ...], text: str, start: int = 0,
             end: int | None = None) -> dict[str, list[re.Match[str]]]:
        """Per key, its non-overlapping matches in text[start:end] in one pass; for many ranges of one text
        (the scanner keeps the last text's candidates)."""
        return cast(dict[str, list[re.Match[str]]], self.scanner(keys).by_label_in(text, start, end))

    def finditer(self, key: str, text: str, start: int = 0, end: int | None = None) -> list[re.Match[str]]:
        found = self.scanner((key,)).by_label(text, start, end)
        return cast(list[re.Match[str]], found.get(key, []))

    def search(self, key: str, text: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
        return next(iter(self.finditer(key, text, start, end)), None)

    @cached_property
    def _scanners(self) -> dict[tuple[str, ...], Scanner]:
        return {}

    @cached_property
    def words(self) -> WordTable:
        """The word table this language's scanners share (each text's words are looked up once for all)."""
        return WordTable()

    def is_speech_verb(self, word: str) -> bool:
        """A verb of saying, also in a form the list lacks (podkreślał ~ podkreślił, заявляла ~ заявил)."""
        low = word.lower()
        got = self._speech_cache.get(low)
        if got is None:
            got = low in self.speech_verbs or (
                len(low) >= 7 and any(low[:k] in self.speech_prefixes for k in range(6, min(len(low), 10))))
            if len(self._speech_cache) > 500_000:  # a bounded memo of the words seen
                self._speech_cache.clear()
            self._speech_cache[low] = got
        return got

    @cached_property
    def _speech_cache(self) -> dict[str, bool]:
        return {}

    def speech_verbs_in(self, text: str, a: int = 0, b: int | None = None) -> list[tuple[int, int]]:
        """(start, end) of the words (``\\w+``) of text[a:b] that are verbs of saying, in order.

        The words of the whole text are classified once (per text, memoised per word) and the span's are
        taken by bisection; a span that cuts a word in two is read on its own, as the slice reads it."""
        b = len(text) if b is None else b
        if (0 < a < len(text) and _TWO_WORD_CHARS.match(text, a - 1)) or \
                (0 < b < len(text) and _TWO_WORD_CHARS.match(text, b - 1)):
            return [(a + m.start(), a + m.end()) for m in _WORD.finditer(text[a:b]) if self.is_speech_verb(m.group())]
        last = self._verbs_of
        if not last or last[0] is not text:
            last[:] = (text, *self._speech_spans(text))
        starts, spans = last[1], last[2]
        lo, hi = bisect_left(starts, a), bisect_left(starts, b)
        return [x for x in spans[lo:hi] if x[1] <= b] if lo < hi else []

    def _speech_spans(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """(starts, spans) of the verbs of saying among the words of text."""
        memo = self.memo("speech_verb")
        if len(memo) > 500_000:
            memo.clear()
        at, words = words_of(text)  # found once per text for every scanner
        flags = list(map(memo.get, words))
        if None in flags:
            for k, f in enumerate(flags):
                if f is None:
                    flags[k] = memo[words[k]] = self.is_speech_verb(words[k])
        if not any(flags):
            return [], []
        starts = list(compress(at, flags))
        return starts, [(x, x + len(w)) for x, w in zip(starts, compress(words, flags), strict=True)]

    @cached_property
    def _verbs_of(self) -> list[Any]:
        return []  # [text, starts, spans] of the last text

    def memo(self, name: str) -> dict[Any, Any]:
        """A named memo dict kept with this language's resources (stages cache per-word results in it)."""
        return self._memos.setdefault(name, {})

    @cached_property
    def _memos(self) -> dict[str, dict[Any, Any]]:
        return {}

    def find_regions(self, text: str) -> list[tuple[re.Match[str], str]]:
        """(match, region id) for every vague-region phrase; phrases with a capital match case-sensitively."""
        if self._region_scanner is not None:  # both kinds in one pass over the words
            got: tuple[list[re.Match[str]], list[re.Match[str]]] = ([], [])
            for kind, m in self._region_scanner.matches(text):
                got[cast(int, kind)].append(m)
            found = [m for ms in got for m in _no_overlaps(ms)]
        else:
            found = [m for rx in self._region_rxs for m in rx.finditer(text)]
        out = []
        for m in found:
            rid = self.regions.get(m.group()) or self._regions_lower.get(m.group().lower())
            if rid:
                out.append((m, rid))
        return out

    def find_ranges(self, text: str) -> list[tuple[re.Match[str], dict[str, int]]]:
        """(match, shift spec) for every relative-range phrase ("de afgelopen dagen")."""
        if self._ranges_rx is None:
            return []
        return [(m, self._ranges_lower[m.group().lower()]) for m in self._ranges_rx.finditer(text)]

    @cached_property
    def _regions_lower(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.regions.items() if not any(c.isupper() for c in k)}

    @cached_property
    def _region_kinds(self) -> tuple[list[str], list[str]]:
        """The region phrases that match case-sensitively (with a capital), and the rest."""
        exact = [k for k in self.regions if any(c.isupper() for c in k)]
        return exact, [k for k in self.regions if not any(c.isupper() for c in k)]

    @cached_property
    def _region_rxs(self) -> tuple[Phrases, ...]:
        exact, loose = self._region_kinds
        return tuple(rx for rx in (_phrases(exact, 0), _phrases(loose, re.IGNORECASE)) if rx)

    @cached_property
    def _region_scanner(self) -> Scanner | None:
        """One scanner for the exact (0, case kept inline) and loose (1) phrases, as their ``Phrases`` would
        each scan them; None when one of those would not use a scanner."""
        if not self._region_rxs or any(rx.scanner is None for rx in self._region_rxs):
            return None
        exact, loose = (sorted(ps, key=len, reverse=True) for ps in self._region_kinds)
        sc = Scanner.build([(0, rf"\b(?-i:{re.escape(p)})(?!\w)") for p in exact]
                           + [(1, rf"\b{re.escape(p)}(?!\w)") for p in loose], re.IGNORECASE, self.words)
        return None if sc.rest else sc

    @cached_property
    def _ranges_lower(self) -> dict[str, dict[str, int]]:
        return {k.lower(): v for k, v in self.ranges.items()}

    @cached_property
    def _ranges_rx(self) -> Phrases | None:
        return _phrases(list(self.ranges), re.IGNORECASE, self.words)

    @cached_property
    def speech_prefixes(self) -> frozenset[str]:
        return frozenset(v[:k] for v in self.speech_verbs if len(v) >= 8 for k in (max(6, len(v) - 3),))


@lru_cache(maxsize=16)
def load_lang(code: str) -> LangRes:
    """Resources for one language; an unknown language gets empty resources."""
    from escwatch.analyse.text import stem
    from escwatch.packs import read_yaml  # the same YAML reader, with line-numbered errors

    path = HERE / f"{code}.yaml"
    data: dict[str, Any] = (read_yaml(path) or {}) if path.exists() else {}
    pats = {}
    for k in PATTERN_KEYS:
        good = tuple(p for p in data.get(k) or () if p)
        for p in good:
            try:
                re.compile(p)
            except re.error as exc:
                raise PackSchemaError(f"{path}: {k}: bad regex {p!r}: {exc}") from exc
        pats[k] = good
    return LangRes(
        code=code,
        stopwords=frozenset(w.lower() for w in data.get("stopwords") or ()),
        not_names=frozenset(data.get("not_names") or ()),
        titles=frozenset(w.lower() for w in data.get("titles") or ()),
        speech_verbs=frozenset(w.lower() for w in data.get("speech_verbs") or ()),
        first_names=frozenset(stem(w) for w in data.get("first_names") or ()),
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
