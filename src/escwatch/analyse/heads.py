"""Where a regex's matches can start, read from its parsed form: the literal prefixes a scanner indexes
it by (``index_keys``), a regex finding its possible start positions (``start_finder``), and the words
it begins at or just before (``word_head``). ``scan`` uses these to try each pattern only where it can
match."""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import _casefix  # type: ignore[attr-defined]  # the extra case-insensitive equivalences
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


_CATEGORY_CLASS = {sre_c.CATEGORY_SPACE: r"\s", sre_c.CATEGORY_NOT_SPACE: r"\S", sre_c.CATEGORY_DIGIT: r"\d",
                   sre_c.CATEGORY_NOT_DIGIT: r"\D", sre_c.CATEGORY_WORD: r"\w", sre_c.CATEGORY_NOT_WORD: r"\W"}
_ZERO_WIDTH = (sre_c.ASSERT, sre_c.ASSERT_NOT)


def _char_class(op: object, av: Any) -> str | None:
    """A character class (``[...]``) matching what one LITERAL / NOT_LITERAL / IN item matches, or None."""
    if op is sre_c.LITERAL:
        return "[" + re.escape(chr(av)) + "]"
    if op is sre_c.NOT_LITERAL:
        return "[^" + re.escape(chr(av)) + "]"
    if op is not sre_c.IN:
        return None
    body = []
    for k, (o, a) in enumerate(av):
        if o is sre_c.NEGATE and k == 0:
            body.append("^")
        elif o is sre_c.LITERAL:
            body.append(re.escape(chr(a)))
        elif o is sre_c.RANGE:
            body.append(re.escape(chr(a[0])) + "-" + re.escape(chr(a[1])))
        elif o is sre_c.CATEGORY and a in _CATEGORY_CLASS:
            body.append(_CATEGORY_CLASS[a])
        else:
            return None
    return "[" + "".join(body) + "]"


Head = tuple[str, str, str]  # (anchors and assertions kept; a class, or a class and "+"; the class after it or "")
_NOT_AFTER_WORD = (-1, [(sre_c.IN, [(sre_c.CATEGORY, sre_c.CATEGORY_WORD)])])


def _head(items: list[tuple[Any, Any]], anchor: str = "") -> list[Head] | None:
    """Where a match of ``items`` can start, as alternatives: its first character class, or a repeated class
    and the class after it (``\\s+(?:said|says)`` -> ``[\\s]+`` then ``[s]``); None when unsure."""
    if not items:
        return [(anchor, "", "")] if anchor else None
    op, av = items[0]
    if op is sre_c.AT and av is sre_c.AT_BOUNDARY:
        return _head(items[1:], anchor + r"\b")
    if op is sre_c.ASSERT_NOT and (av[0], list(av[1])) == _NOT_AFTER_WORD:
        return _head(items[1:], anchor + r"(?<!\w)")
    if op in _ZERO_WIDTH or (op is sre_c.AT and av is sre_c.AT_NON_BOUNDARY):
        return _head(items[1:], anchor)  # dropping an assertion only widens the head
    if op is sre_c.AT and av in (sre_c.AT_BEGINNING, sre_c.AT_BEGINNING_STRING) and not anchor:
        at = "^" if av is sre_c.AT_BEGINNING else r"\A"
        return _head(items[1:], at) or [(at, "", "")]
    if op is sre_c.SUBPATTERN:
        if (av[1] | av[2]) & re.MULTILINE:
            return None  # "^" would change meaning
        return _head(list(av[-1]) + items[1:], anchor)
    if op is sre_c.BRANCH:
        out: list[Head] = []
        for alt in av[1]:
            got = _head(list(alt) + items[1:], anchor)
            if got is None:
                return None
            out += got
        return out
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        lo, _hi, sub = av
        cls = _char_class(*next(iter(sub))) if lo >= 1 and len(sub) == 1 else None
        if cls is None:
            return None
        return [(anchor, cls + "+", _after(items[1:]) or "")]
    cls = _char_class(op, av)
    return None if cls is None else [(anchor, cls, "")]


def _after(items: list[tuple[Any, Any]]) -> str | None:
    """What a match of ``items`` starts with: its literal prefixes (case-insensitively, so only ever wider),
    else the class of its first character."""
    keys = _prefixes(items, KEY)
    if "" not in keys and len(keys) <= MAX_KEYS:
        return "(?i:" + trie_regex(keys) + ")"
    return _head_class(items)


def _head_class(items: list[tuple[Any, Any]]) -> str | None:
    """The class of the first character ``items`` consume, when that is one class (or a branch of them)."""
    if not items:
        return None
    op, av = items[0]
    if op is sre_c.SUBPATTERN and not (av[1] | av[2]) & re.MULTILINE:
        return _head_class(list(av[-1]) + items[1:])
    if op is sre_c.BRANCH:
        alts = [_head_class(list(alt) + items[1:]) for alt in av[1]]
        return None if any(a is None for a in alts) else _union(alts)  # type: ignore[arg-type]
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) and av[0] >= 1 and len(av[2]) == 1:
        return _char_class(*next(iter(av[2])))
    return _char_class(op, av)


def _union(classes: list[str]) -> str:
    """One class for several (``[s]``, ``[t]`` -> ``[st]``), or their alternation when one is negated or
    not a class."""
    uniq = list(dict.fromkeys(classes))
    if len(uniq) == 1:
        return uniq[0]
    if any(c.startswith("[^") or not c.startswith("[") for c in uniq):
        return "(?:" + "|".join(uniq) + ")"
    return "[" + "".join(c[1:-1] for c in uniq) + "]"


def start_finder(pattern: str, flags: int) -> re.Pattern[str] | None:
    """A regex matching (zero-width or one character) at every position where ``pattern`` can start a
    (non-empty) match, and at few others: the scanner tries the pattern only there instead of everywhere."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return None
    if parsed.getwidth()[0] == 0:
        return None
    heads = _head(list(parsed))
    if not heads:
        return None
    if any(not cls for _, cls, _ in heads):  # a bare anchor: the pattern may start right there
        anchors = {a for a, cls, _ in heads if not cls}
        heads = [h for h in heads if h[0] not in anchors] + [(a, "", "") for a in sorted(anchors)]
    groups: dict[tuple[str, str], list[str]] = {}  # one head per prefix and class, the classes after it united
    singles: dict[str, list[str]] = {}  # one class per prefix for single-character heads
    for pre, cls, nxt in heads:
        if cls and not cls.endswith("+") and not nxt:
            singles.setdefault(pre, []).append(cls)
        else:
            groups.setdefault((pre, cls), []).append(nxt)
    alts = [pre + cls + ("" if "" in nxts else _union(nxts)) for (pre, cls), nxts in groups.items()]
    alts += [pre + _union(classes) for pre, classes in singles.items()]
    if re.search(r"\(\?[a-zA-Z]*i", pattern):  # an inline (?i): case-insensitive, only ever wider
        flags |= re.IGNORECASE
    firsts = [cls.removesuffix("+") for _, cls, _ in heads]
    if not any(firsts):  # only anchors: zero-width already (a lone "^" lets the engine try one position)
        return re.compile("|".join(alts), flags)
    if not all(firsts):
        return re.compile("(?=" + "|".join(alts) + ")", flags)
    if alts == firsts:  # single characters, unanchored
        return re.compile(_union(firsts), flags)
    # consuming the first character (one, so finditer still sees every position) lets the engine skip to it
    return re.compile(_union(firsts) + r"(?<=(?=" + "|".join(alts) + r")[\s\S])", flags)


def _fold_table() -> dict[int, int]:
    """Lower-cased character -> one representative of the characters the regex engine takes for it when
    ignoring case beyond lower-casing (``ſ`` for ``s``, ``ᲃ`` for ``с``)."""
    rep: dict[int, int] = {}
    for c, extra in _casefix._EXTRA_CASES.items():
        group = {c, *extra, *(rep.get(x, x) for x in (c, *extra))}
        low = min(group)
        for x in list(rep):
            if rep[x] in group:
                rep[x] = low
        rep.update(dict.fromkeys(group, low))
    return {c: r for c, r in rep.items() if c != r}


FOLD = _fold_table()  # str.translate table: a window and a key match alike when their folds are equal


def _non_word(op: object, av: Any) -> int | None:
    """The least number of characters an item consumes when it consumes only non-word characters, else None."""
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        lo, _hi, sub = av
        inner = _non_word(*sub[0]) if len(sub) == 1 else None
        return None if inner is None else lo * inner
    if op is sre_c.LITERAL:
        return None if word_char(chr(av)) else 1
    if op is sre_c.IN and av and av[0][0] is not sre_c.NEGATE:
        for o, a in av:
            if o is sre_c.LITERAL and not word_char(chr(a)):
                continue
            if o is sre_c.CATEGORY and a in (sre_c.CATEGORY_SPACE, sre_c.CATEGORY_NOT_WORD):
                continue
            return None
        return 1
    return None


def word_char(c: str) -> bool:
    """What ``\\w`` matches (one character)."""
    return c.isalnum() or c == "_"


def _starts_word(op: object, av: Any) -> bool:
    """A zero-width item that holds only where a word character next would begin a word."""
    if op is sre_c.AT:
        return av in (sre_c.AT_BOUNDARY, sre_c.AT_BEGINNING, sre_c.AT_BEGINNING_STRING)
    if op is sre_c.ASSERT_NOT:
        return (av[0], list(av[1])) == _NOT_AFTER_WORD
    if op is sre_c.ASSERT and av[0] == -1:  # a lookbehind ending in a non-word character
        return bool(av[1]) and _non_word(*list(av[1])[-1]) == 1
    if op is sre_c.SUBPATTERN and len(av[-1]) == 1:
        return _starts_word(*next(iter(av[-1])))
    if op is sre_c.BRANCH:
        return all(len(alt) == 1 and _starts_word(*next(iter(alt))) for alt in av[1])
    return False


def word_head(pattern: str, flags: int) -> set[str] | None:
    """The (folded) keys of the word every match of ``pattern`` begins at or in the non-word characters just
    before (``\\s+said``, ``,\\s*(?:said|added)``, ``(?<=\\bon )May``), or None when it is not so.

    Such a pattern can only start between the end of the word before and a word with one of these keys: the
    scanner tries it there instead of running a start finder over the whole text."""
    try:
        items = list(sre_parse.parse(pattern, flags))
    except re.error:
        return None
    i, gap, bounded = 0, 0, False
    while i < len(items):
        op, av = items[i]
        if op in _ZERO_WIDTH or op is sre_c.AT or (op in (sre_c.SUBPATTERN, sre_c.BRANCH) and _starts_word(op, av)):
            bounded = bounded or _starts_word(op, av)
        elif (width := _non_word(op, av)) is not None:
            gap += width
        else:
            break
        i += 1
    keys = _prefixes(items[i:], KEY)
    if not (gap or bounded) or "" in keys or len(keys) > MAX_KEYS or not all(word_char(k[0]) for k in keys):
        return None
    return {k.translate(FOLD) for k in keys}
