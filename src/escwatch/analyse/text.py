"""Tokens, sentences and stems: the cheap text primitives every stage shares."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple, TypeVar

T = TypeVar("T")
TOKEN = re.compile(r"\w++(?:['’]\w++)*+|[^\w\s]")  # possessive: nothing follows that could backtrack
# A sentence ends at . ! ? … (optionally followed by a closing quote/bracket) before whitespace and
# an upper-case letter, digit or opening quote; or at a blank line / line break. A match begins with the
# mark or line break (a character set ``re`` scans for in C); the end itself is right after a mark.
_SENT_END = re.compile(
    r"[.!?…\n](?:(?<=[.!?…])(?P<close>[\"”»’)]*)\s+(?=[\"“„«‘(\-–—]?[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁІЇЄҐ0-9])"
    r"|(?<=\n)\s*\n|(?<=\n)(?=\s*[-–—•*#]|\s*[A-ZА-ЯЁІЇЄҐ]))"
)
ABBREV = re.compile(
    r"(?:\b(?:[A-ZА-Я]|Mr|Mrs|Ms|Dr|Prof|St|Gen|Lt|Col|Sgt|Capt|Adm|Maj|vs|etc|ca|bzw|z\.B|u\.a|d\.h|dr|mr|mgr|prof"
    r"|ul|tzw|np|ok|wg|tj|im|ген|г|гг|им|т\.е|т\.д|т\.п|др|проф|млн|млрд|тыс|ст|св|Jr|Sr|No|nr|Nr|vol|red|ds|drs|mevr|dhr"
    r"|blz|jl|resp|evt|ong|incl|excl|bijv|o\.a|m\.n|n\.a\.v|c\.q|Mme|Mlle|MM|M"
    r"|Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec|janv|févr|sept|oct|nov|déc|okt|dez|dec|febr)\.)$"
)
_CYR = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")
_ENDINGS = sorted(
    ["ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "ах", "ях", "ов", "ев", "ей", "ой", "ою", "ею", "ом",
     "ем", "ым", "им", "ові", "еві", "ів", "ій", "ою", "ах", "ach", "ami", "owi", "em", "om", "ów", "ie", "ii",
     "ji", "ją", "ję", "ją", "ego", "emu", "ym", "im", "ej"], key=len, reverse=True)
_VOWELS = "аяоеёиыуюэіїєьйaąeęioóuy"


class Tokens(NamedTuple):
    """A text's tokens as parallel lists: no object per token (tokenising is hot)."""

    texts: list[str]
    starts: list[int]
    ends: list[int]
    gaps: list[str]  # gaps[i]: the whitespace before token i; gaps[-1]: after the last token


# The lookahead adds nothing (no token starts with a space) but lets ``re`` pass over a space at once:
# splitting is ~10% faster.
_SPLIT = re.compile(f"(?=\\S)({TOKEN.pattern})")


def tokens(text: str) -> Tokens:
    """Every non-space character is in a token, so splitting on tokens leaves only the gaps between them."""
    parts = _SPLIT.split(text)  # gap, token, gap, ..., token, gap
    offsets = list(accumulate(map(len, parts), initial=0))
    return Tokens(parts[1::2], offsets[1:-1:2], offsets[2::2], parts[0::2])


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets, trimmed of surrounding whitespace (cached: every stage asks)."""
    return list(_sentences(text))


def finditer_at(rx: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` for a pattern whose matches are never empty and can only start at one of
    ``starts`` (ascending; extra positions are fine): ``rx`` is tried only there. Lookbehinds, ``\\b`` and
    ``^`` see the text before a position, so a match found here is the one finditer finds."""
    pos = 0
    for p in starts:
        if p < pos:
            continue
        m = rx.match(text, p)
        if m:
            yield m
            pos = max(m.end(), p + 1)


@lru_cache(maxsize=64)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        a = m.start()
        if text[a] != "\n":
            a += 1  # the end is after the mark; only a full stop can end an abbreviation
        if "\n" in m.group() or text[a - 1] != "." or not _abbreviation(text, a):
            spans.append((start, a + len(m.group("close") or "")))
            start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return tuple(out)


def _abbreviation(text: str, a: int) -> bool:
    """The full stop at ``a - 1`` ends an abbreviation ("Dr.", "z.B."). ABBREV's words are at most five
    characters after a word boundary, so after five letters or digits in a row (most sentence ends) it
    cannot match: that check in C spares the regex."""
    if a >= 7 and text[a - 7:a - 2].isalnum():
        return False
    return ABBREV.search(text[max(0, a - 8):a]) is not None


def is_cyrillic(word: str) -> bool:
    return bool(_CYR.search(word))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Crude case-ending stripper for Slavic names (Путина -> Путин, Rosji -> Ros)."""
    w = word
    for end in _ENDINGS:
        if len(w) - len(end) >= 4 and w.lower().endswith(end):
            w = w[: -len(end)]
            break
    while len(w) > 4 and w[-1].lower() in _VOWELS:
        w = w[:-1]
    return w


def by_sentence(items: Sequence[T], sents: Sequence[tuple[int, int]]) -> list[list[T]]:
    """Items (with a ``start``) grouped by the sentence they start in; one pass, not one per sentence."""
    starts = [a for a, _ in sents]
    out: list[list[T]] = [[] for _ in sents]
    for it in items:
        k = bisect_right(starts, it.start) - 1  # type: ignore[attr-defined]
        if k >= 0 and it.start < sents[k][1]:  # type: ignore[attr-defined]
            out[k].append(it)
    return out
