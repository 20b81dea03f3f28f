"""Many regexes over one text in one pass: each pattern that can only start at a word boundary with
a known literal prefix is tried only where a word starts with that prefix; the rest are scanned.

Python's ``re`` tries every branch of an alternation at every position; for the pack's hundreds
of indicator patterns that is most of the analysis time. A prefix index makes the cost grow with
the words of the text and the few candidate matches instead."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from re import _constants as sre_c  # type: ignore[attr-defined]  # Python >= 3.11: read literal prefixes
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

KEY = 4  # literal prefix length used as index key (shorter prefixes are indexed as they are)
MAX_KEYS = 64  # a pattern expanding to more prefixes than this is scanned instead


def _heads(op: object, av: Any) -> set[str] | None:
    if op is sre_c.LITERAL:
        return {chr(av).lower()}
    if op is sre_c.IN:
        out = set()
        for o, a in av:
            if o is sre_c.LITERAL:
                out.add(chr(a).lower())
            elif o is sre_c.RANGE and a[1] - a[0] < 26:
                out.update(chr(c).lower() for c in range(a[0], a[1] + 1))
            elif o is sre_c.CATEGORY and a is sre_c.CATEGORY_DIGIT:
                out.update("0123456789")
            else:
                return None
        return out
    return None


def _prefixes(items: list[tuple[Any, Any]], n: int) -> set[str]:
    """The lower-cased literal prefixes (up to n chars) every match of items starts with ({""}: none)."""
    if n == 0 or not items:
        return {""}
    op, av = items[0]
    if op is sre_c.SUBPATTERN:
        return _prefixes(list(av[-1]) + items[1:], n)
    if op is sre_c.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            out |= _prefixes(list(alt) + items[1:], n)
        return out
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        lo, hi, sub = av
        if lo == 0:  # optional: the prefixes with and without it
            return _prefixes(items[1:], n) | (_prefixes(list(sub) + items[1:], n) if hi else set())
        return _prefixes(list(sub), n)  # repeated: what the first repetition starts with
    heads = _heads(op, av)
    if not heads:
        return {""}
    rest = _prefixes(items[1:], n - 1)
    return {h + r for h in heads for r in rest}


def index_keys(pattern: str) -> set[str] | None:
    """Prefixes under which a pattern is indexed, or None when it must be scanned.

    Indexable: optional lookbehinds, then ``\\b``, then a literal start (letters, small classes,
    alternations of literals) beginning with a word character."""
    try:
        items = list(sre_parse.parse(pattern, re.IGNORECASE))
    except re.error:
        return None
    i, bounded = 0, False
    while i < len(items):
        op, av = items[i]
        if op is sre_c.AT and av is sre_c.AT_BOUNDARY:
            bounded = True
        elif not (op is sre_c.ASSERT_NOT and av[0] == -1):
            break
        i += 1
    if not bounded:
        return None
    keys = _prefixes(items[i:], KEY)
    if "" in keys or len(keys) > MAX_KEYS or not all(k[0].isalnum() or k[0] == "_" for k in keys):
        return None
    return keys


def trie_regex(words: Iterable[str]) -> str:
    """A regex alternation of literal words with common prefixes factored out (fast to fail)."""
    trie: dict[str, dict] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        end = "" in node
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and len(alts[0]) == 1 else "(?:" + "|".join(alts) + ")"
        return body + "?" if end else body

    return emit(trie)


@dataclass
class Scanner:
    """Finds matches of labelled patterns in ``text[start:end]``, like one alternation would."""

    index: dict[str, list[tuple[object, re.Pattern[str]]]]
    lengths: tuple[int, ...]
    rest: list[tuple[object, re.Pattern[str]]]
    starts: re.Pattern[str] | None  # word starts where an indexed key begins (on lower-cased text: no re.I,
    # which would turn off the regex engine's fast first-character skip)

    @classmethod
    def build(cls, labelled: Iterable[tuple[object, str]], flags: int = re.IGNORECASE) -> Scanner:
        index: dict[str, list[tuple[object, re.Pattern[str]]]] = {}
        rest: dict[object, list[str]] = {}
        for label, pattern in labelled:
            keys = index_keys(pattern) if not flags & re.MULTILINE or not pattern.startswith("^") else None
            if keys is None:
                rest.setdefault(label, []).append(pattern)
                continue
            rx = re.compile(pattern, flags)
            for k in sorted(keys):
                index.setdefault(k, []).append((label, rx))
        scanned = [(label, re.compile("|".join(f"(?:{p})" for p in ps), flags)) for label, ps in rest.items()]
        starts = re.compile(r"\b(?=" + trie_regex(index) + ")") if index else None  # run on lower-cased text
        return cls(index, tuple(sorted({len(k) for k in index})), scanned, starts)

    def scan(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[object, re.Match[str]]]:
        """Every (label, match): all indexed patterns matching at each word start, then the scanned ones."""
        end = len(text) if end is None else end
        if self.starts is not None:
            low = _lower(text)
            index, lengths = self.index, self.lengths
            for w in self.starts.finditer(low, start, end):
                pos = w.start()
                for n in lengths:
                    for label, rx in index.get(low[pos:pos + n], ()):
                        m = rx.match(text, pos, end)
                        if m:
                            yield label, m
        for label, rx in self.rest:
            for m in rx.finditer(text, start, end):
                yield label, m

    def by_label(self, text: str, start: int = 0, end: int | None = None) -> dict[object, list[re.Match[str]]]:
        """Per label, its non-overlapping matches, leftmost first (the first pattern wins at one position)."""
        out: dict[object, list[re.Match[str]]] = {}
        for label, m in sorted(self.scan(text, start, end), key=lambda lm: lm[1].start()):
            got = out.setdefault(label, [])
            if not got or m.start() >= max(got[-1].end(), got[-1].start() + 1):
                got.append(m)
        return out


_LOWER: dict[str, str] = {}


def _lower(text: str) -> str:
    """text.lower() with the same length, kept for the last text (every scanner of a report shares it)."""
    got = _LOWER.get(text)
    if got is None:
        got = text.lower()
        if len(got) != len(text):  # a few characters change length when lower-cased
            got = "".join(c.lower()[0] for c in text)
        _LOWER.clear()
        _LOWER[text] = got
    return got
