"""Many regexes over one text in one pass: each pattern that can only start at a word boundary with
a known literal prefix is tried only where a word starts with that prefix; the rest are scanned.

Python's ``re`` tries every branch of an alternation at every position; for the pack's hundreds
of indicator patterns that is most of the analysis time. A prefix index makes the cost grow with
the words of the text and the few candidate matches instead."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, compress
from operator import itemgetter
from typing import Any

from escwatch.analyse.heads import FOLD, KEY, index_keys, start_finder, word_head


def finditer(rx: re.Pattern[str], finder: re.Pattern[str] | None, text: str, start: int = 0,
             end: int | None = None) -> list[re.Match[str]]:
    """``rx.finditer(text, start, end)``, trying ``rx`` only where ``finder`` (``start_finder``) matches."""
    end = len(text) if end is None else end
    if finder is None:
        return list(rx.finditer(text, start, end))
    return _match_at(rx, (w.start() for w in finder.finditer(text, start, end)), text, end)


def _match_at(rx: re.Pattern[str], starts: Iterable[int], text: str, end: int) -> list[re.Match[str]]:
    """``rx.finditer`` on text[:end] when every match starts at one of ``starts`` (ascending): tried there,
    going on after each match."""
    out = []
    pos = 0
    for p in starts:
        if p >= pos and (m := rx.match(text, p, end)):
            out.append(m)
            pos = m.end()  # never empty (start finders and word heads refuse patterns that can match empty)
    return out


NO_STARTS = re.compile("(?!)")  # the start finder of a scanned pattern all of whose alternatives have word heads

_first = itemgetter(0)  # a candidate's or a word hit's position
Candidate = tuple[int, object, re.Pattern[str], int]  # (position, label, regex, scanned pattern number or -1)
Entries = tuple[tuple[object, re.Pattern[str]], ...]  # indexed (label, regex) pairs
MAX_WINDOWS = 200_000  # bound on a word table's memo of word windows


class _Memo(dict[str, tuple[tuple[int, Any], ...]]):
    """Window (a word's first KEY lower-cased characters) -> (member, what it tries there) for each member of
    a word table that tries something there. Filled as windows are met."""

    def __init__(self, members: tuple[Callable[[str], Any], ...]) -> None:
        super().__init__()
        self.members = members

    def __missing__(self, window: str) -> tuple[tuple[int, Any], ...]:
        if len(self) > MAX_WINDOWS:
            self.clear()
        got = self[window] = tuple((i, w) for i, lookup in enumerate(self.members) if (w := lookup(window)))
        return got


class WordTable:
    """The words of a text looked up once for several scanners that read the same texts (one language's):
    each window is looked up in one memo for all of them, instead of in one per scanner."""

    def __init__(self) -> None:
        self._memo = _Memo(())
        self._last: tuple[str, list[list[tuple[int, Any]]]] | None = None

    def join(self, lookup: Callable[[str], Any]) -> int:
        """Add a member (``lookup``: window -> what it tries at a word with that window, falsy for nothing);
        returns its slot. The memo starts afresh (made anew, so that a scan under way keeps its own)."""
        self._memo = _Memo((*self._memo.members, lookup))
        self._last = None
        return len(self._memo.members) - 1

    def hits(self, text: str, slot: int) -> list[tuple[int, Any]]:
        """(word start, what member ``slot`` tries there) for each word of text where it tries something, in
        order; found for every member at once, kept for the last text."""
        last = self._last
        if last is None or last[0] is not text or slot >= len(last[1]):
            last = self._last = (text, self._distribute(text))
        return last[1][slot]

    def _distribute(self, text: str) -> list[list[tuple[int, Any]]]:
        """Per member, its hits in text: one memo lookup per word for all members."""
        memo = self._memo
        at, _, windows = _words(text)
        found = list(map(memo.__getitem__, windows))
        per: list[list[tuple[int, Any]]] = [[] for _ in memo.members]
        for pos, got in compress(zip(at, found, strict=True), found):
            for slot, what in got:
                per[slot].append((pos, what))
        return per


@dataclass
class Scanner:
    """Finds matches of labelled patterns in ``text[start:end]``, like one alternation would."""

    index: dict[str, list[tuple[object, re.Pattern[str]]]]
    lengths: tuple[int, ...]
    rest: list[tuple[object, re.Pattern[str]]]
    rest_starts: list[re.Pattern[str] | None] | None = None  # per scanned pattern, where its matches can start
    heads: dict[str, tuple[int, ...]] = field(default_factory=dict)  # folded key -> scanned patterns with word heads
    table: WordTable = field(default_factory=WordTable, repr=False, compare=False)  # shared by one language's scanners
    _slot: int | None = field(default=None, init=False, repr=False, compare=False)
    _head_slot: int | None = field(default=None, init=False, repr=False, compare=False)
    _last_heads: tuple[str, dict[int, list[int]]] | None = field(default=None, init=False, repr=False,
                                                                 compare=False)
    _last: tuple[str, list[int], list[Candidate]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, labelled: Iterable[tuple[object, str]], flags: int = re.IGNORECASE,
              table: WordTable | None = None) -> Scanner:
        """A scanner of labelled patterns; ``table``: the word table it shares with the scanners of the same
        texts (its own when None)."""
        by_key: dict[str, dict[object, list[str]]] = {}
        rest: dict[object, list[str]] = {}
        for label, pattern in labelled:
            keys = index_keys(pattern) if not flags & re.MULTILINE or not pattern.startswith("^") else None
            if keys is None:
                rest.setdefault(label, []).append(pattern)
                continue
            for k in sorted(keys):
                by_key.setdefault(k, {}).setdefault(label, []).append(pattern)
        index = {k: [(label, rx) for label, ps in labels.items() for rx in _alternation(ps, flags)]
                 for k, labels in by_key.items()}
        scanned = [(label, re.compile("|".join(f"(?:{p})" for p in ps), flags)) for label, ps in rest.items()]
        heads: dict[str, dict[int, None]] = {}
        finders: list[re.Pattern[str] | None] = []
        for r, ps in enumerate(rest.values()):
            keyed = [word_head(p, flags) for p in ps]
            for key in set().union(*(k for k in keyed if k)):
                heads.setdefault(key, {})[r] = None
            others = [p for p, k in zip(ps, keyed, strict=True) if not k]
            finders.append(start_finder("|".join(f"(?:{p})" for p in others), flags) if others else NO_STARTS)
        return cls(index, tuple(sorted({len(k) for k in index})), scanned, finders,
                   {k: tuple(rs) for k, rs in heads.items()}, table or WordTable())

    def matches(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[object, re.Match[str]]]:
        """Every (label, match), by start: at one position the indexed ones (per index key, the first of a
        label's patterns that matches), then the scanned ones in order."""
        end = len(text) if end is None else end
        out: list[tuple[object, re.Match[str]]] = []
        for pos, entries in self._at_words(text, start, end):
            for label, rx in entries:
                m = rx.match(text, pos, end)
                if m:
                    out.append((label, m))
        n = len(out)
        for r, (label, rx) in enumerate(self.rest):
            starts = self._starts(r, text, start, end)
            found = rx.finditer(text, start, end) if starts is None else _match_at(rx, starts, text, end)
            out.extend((label, m) for m in found)
        if len(out) > n and (n or len(self.rest) > 1):
            out.sort(key=_match_start)  # stable
        return out

    def _at_words(self, text: str, start: int, end: int) -> list[tuple[int, Entries]]:
        """(word start, the indexed patterns to try there) for each word of text[start:end] that begins with
        a key (as a word's start in the whole text: one cut by ``start`` is not a word there).

        A candidate whose key runs past ``end`` cannot match before it, so where the word ends does not matter."""
        if not self.index:
            return []
        if self._slot is None:
            self._slot = self.table.join(self._entries)
        hits = self.table.hits(text, self._slot)
        if start or end < len(text):
            hits = hits[bisect_left(hits, start, key=_first):bisect_left(hits, end, key=_first)]
        return hits

    def _entries(self, window: str) -> Entries:
        """The indexed patterns whose key begins ``window``: by key length, then in index order."""
        return tuple(e for n in self.lengths if n <= len(window) for e in self.index.get(window[:n], ()))

    def _starts(self, r: int, text: str, start: int, end: int) -> list[int] | None:
        """Where scanned pattern ``r`` may match in text[start:end], ascending (a few more do no harm); None
        when it must be scanned for everywhere."""
        finder = (self.rest_starts or [None] * len(self.rest))[r]
        if finder is None:
            return None
        got = [] if finder is NO_STARTS else [w.start() for w in finder.finditer(text, start, end)]
        worded = self._head_starts(text).get(r) if self.heads else None
        if worded:
            if start or end < len(text):
                worded = worded[bisect_left(worded, start):bisect_left(worded, end)]
            got = sorted({*got, *worded}) if got else worded
        return got

    def _head_starts(self, text: str) -> dict[int, list[int]]:
        """Per scanned pattern with word heads, where it may start in text: from the end of the word before
        each word with one of its keys to that word's start. Kept for the last text."""
        last = self._last_heads
        if last is not None and last[0] is text:
            return last[1]
        if self._head_slot is None:
            self._head_slot = self.table.join(self._head_entries)
        at, words, _ = _words(text)
        out: dict[int, list[int]] = {}
        for pos, rs in self.table.hits(text, self._head_slot):
            i = bisect_left(at, pos)
            gap = range(at[i - 1] + len(words[i - 1]) if i else 0, pos + 1)
            for r in rs:
                out.setdefault(r, []).extend(gap)
        self._last_heads = (text, out)
        return out

    def _head_entries(self, window: str) -> tuple[int, ...]:
        """The scanned patterns with a word head whose key begins ``window`` (both folded)."""
        folded = window.translate(FOLD)
        return tuple(dict.fromkeys(r for n in range(1, len(folded) + 1) for r in self.heads.get(folded[:n], ())))

    def scan(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[object, re.Match[str]]]:
        """Every (label, match), as ``matches``."""
        return iter(self.matches(text, start, end))

    def by_label(self, text: str, start: int = 0, end: int | None = None) -> dict[object, list[re.Match[str]]]:
        """Per label, its non-overlapping matches, leftmost first (the first pattern wins at one position)."""
        return _by_label(self.matches(text, start, end))

    def by_label_in(self, text: str, start: int = 0, end: int | None = None) -> dict[object, list[re.Match[str]]]:
        """``by_label`` for one of many ranges of a text: the whole text's candidates are found once (kept for
        the last text) and each range tries only its own."""
        end = len(text) if end is None else end
        last = self._last
        if last is None or last[0] is not text:
            table = self._candidates(text)
            if table is None:
                return self.by_label(text, start, end)
            at, cands = table
        else:
            at, cands = last[1], last[2]
        out: dict[object, list[re.Match[str]]] = {}
        lo, hi = bisect_left(at, start), bisect_left(at, end)
        if lo == hi:
            return out
        resume = [start] * len(self.rest)  # a scanned pattern goes on after its last match, as finditer does
        for pos, label, rx, r in cands[lo:hi]:
            if r >= 0 and pos < resume[r]:
                continue
            m = rx.match(text, pos, end)
            if m is None:
                continue
            if r >= 0:
                resume[r] = m.end()
            got = out.get(label)
            if got is None:
                out[label] = [m]
            elif pos >= max(got[-1].end(), got[-1].start() + 1):
                got.append(m)
        return out

    def _candidates(self, text: str) -> tuple[list[int], list[Candidate]] | None:
        """Every (position, label, regex) ``matches`` would try on the whole text, in the order it finds
        them once sorted by position; kept for the last text. None when a scanned pattern has no start finder.

        A ranged scan tries a subset of these (its word starts and start finders see the text only up to
        the range end) and every match within the range starts at one of them, so trying these positions
        with ``rx.match(text, pos, end)`` finds exactly its matches."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1], last[2]
        if None in (self.rest_starts or [None] * len(self.rest)):
            return None
        cands: list[Candidate] = [(pos, label, rx, -1) for pos, entries in self._at_words(text, 0, len(text))
                                  for label, rx in entries]
        for r, (label, rx) in enumerate(self.rest):
            cands += [(p, label, rx, r) for p in self._starts(r, text, 0, len(text)) or ()]
        if self.rest:
            cands.sort(key=_first)  # stable: at one position the indexed ones, then the scanned in order
        at = [c[0] for c in cands]
        self._last = (text, at, cands)
        return at, cands


_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")  # group references would shift when joined


def _alternation(patterns: list[str], flags: int) -> list[re.Pattern[str]]:
    """One regex trying ``patterns`` in order at a position (the first that matches wins, as for one label
    at one position), or each on its own when they cannot be joined (back-references, global flags)."""
    if len(patterns) > 1 and not any(_BACKREF.search(p) for p in patterns):
        try:
            return [re.compile("|".join(f"(?:{p})" for p in patterns), flags)]
        except re.error:
            pass
    return [re.compile(p, flags) for p in patterns]


def _match_start(lm: tuple[object, re.Match[str]]) -> int:
    """Sort key of a (label, match): where the match starts."""
    return lm[1].start()


def _by_label(found: list[tuple[object, re.Match[str]]]) -> dict[object, list[re.Match[str]]]:
    """Per label, the non-overlapping ones of ``found`` (sorted by start), leftmost first (the first wins at one
    position)."""
    out: dict[object, list[re.Match[str]]] = {}
    for label, m in found:
        got = out.setdefault(label, [])
        if not got or m.start() >= max(got[-1].end(), got[-1].start() + 1):
            got.append(m)
    return out


_LOWER: dict[str, str] = {}
_SPLIT = re.compile(r"(\w+)")
_WORDS: dict[str, tuple[list[int], list[str], list[str]]] = {}


def _words(text: str) -> tuple[list[int], list[str], list[str]]:
    """Where each word (``\\w+``) of text starts, the word, and its window (KEY lower-cased characters from
    there); kept for the last text (every scanner of a report and its verbs of saying share it)."""
    got = _WORDS.get(text)
    if got is None:
        parts = _SPLIT.split(text)  # non-word, word, ..., non-word: strings, which the GC does not track
        at = list(accumulate(map(len, parts)))[0:-1:2]
        low = _lower(text)  # the same length, and no character is a word character unless its lower case is
        got = (at, parts[1::2], [low[p:p + KEY] for p in at])
        _WORDS.clear()
        _WORDS[text] = got
    return got


def words_of(text: str) -> tuple[list[int], list[str]]:
    """Where each word (``\\w+``) of text starts, and the word, as ``re.finditer(r"\\w+", text)`` finds them (kept
    for the last text)."""
    at, found, _ = _words(text)
    return at, found


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
