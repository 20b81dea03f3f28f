"""Entities stage: gazetteer matches linked to the pack, plus people and organisations found
outside it (capitalised name spans near titles or speech verbs), with later surname mentions
resolved to the full name.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from functools import lru_cache
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, TypeVar

import simplemma

from escwatch.analyse.context import Context
from escwatch.analyse.gazetteer import CITY, COUNTRY, Candidate, Gazetteer, is_slavic
from escwatch.analyse.text import Tokens, is_cyrillic, sentences, stem, tokens
from escwatch.lang import SUPPORTED, LangRes, union
from escwatch.records import Mention, Report, replace

PARTICLES = {"de", "van", "von", "der", "den", "ter", "la", "le", "du", "di", "da", "dos", "bin", "al", "el", "zu"}
ORG_WORDS = re.compile(r"(?i)\b(?:bank|institut\w*|group|gruppe|groep|ministr\w*|ministerie|agency|agentur|"
                       r"council|raad|rat|university|universit\w*|party|partei|partij|company|corp\w*|inc|ltd|"
                       r"gmbh|ag|nv|bv|sa|association|foundation|stiftung|committee|komitee|commission|"
                       r"комитет|министерств\w*|служб\w*|агентств\w*|міністерств\w*|комітет\w*)\b")
POSSESSIVE = re.compile(r"['’ʼ]s$")
NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁІЇЄҐ][\w’'\-]*$")


V = TypeVar("V")
NONE: frozenset[int] = frozenset()
NONE_STR: frozenset[str] = frozenset()
WORD_START = re.compile(r"\w")
ONE = frozenset({1})


class Match(NamedTuple):
    start: int  # char offsets
    end: int
    first_tok: int
    last_tok: int
    candidates: tuple[Candidate, ...]


class TokenInfo(NamedTuple):
    low: str
    word: bool  # starts with a word character
    slavic: bool  # Cyrillic or Polish letters (stem keys apply)
    stem: str  # stem(text) for Slavic tokens, else the text
    cyrillic: bool


def _token_info(word: str) -> TokenInfo:
    sl = is_slavic(word)
    return TokenInfo(word.lower(), WORD_START.match(word) is not None, sl, stem(word) if sl else word,
                     sl and is_cyrillic(word))


class Memo(dict[str, V]):
    """A bounded memo (emptied past ``limit`` keys) that makes a missing value on lookup:
    ``list(map(memo.__getitem__, keys))`` runs in C for the keys already known."""

    def __init__(self, make: Callable[[str], V], limit: int = 200_000) -> None:
        super().__init__()
        self.make = make
        self.limit = limit

    def __missing__(self, key: str) -> V:
        if len(self) > self.limit:
            self.clear()
        value = self[key] = self.make(key)
        return value


def _memo(memos: dict[str, Any], name: str, make: Callable[[str], V]) -> Memo[V]:
    """The memo ``name`` kept in ``memos``, started with ``make`` on first use."""
    got: Memo[V] | None = memos.get(name)
    if got is None:
        got = memos[name] = Memo(make)
    return got


_INFO: Memo[TokenInfo] = Memo(_token_info)


def token_infos(texts: list[str]) -> list[TokenInfo]:
    """Per token text its lower-cased form, stem and script flags (memoised per distinct text)."""
    return list(map(_INFO.__getitem__, texts))


class Start(NamedTuple):
    """The gazetteer keys a token text starts: lengths over one token (longest first), its candidates as a
    key itself (empty if none), and whether a next token text can be the second token of a longer key."""

    longer: tuple[int, ...]
    one: tuple[Candidate, ...]
    fits: Memo[bool]


def match_names(text: str, toks: Tokens, gaz: Gazetteer) -> list[Match]:
    """Greedy longest matches of gazetteer keys over the token stream (token infos are looked up only
    next to a start, not listed for every token)."""
    out: list[Match] = []
    texts, tstarts, tends, _ = toks
    memos = gaz.memo("entities")
    memo = _memo(memos, "starts", lambda word: _start(word, _INFO[word], gaz))
    starts = list(map(memo.__getitem__, texts))
    keys = _memo(memos, "keys", lambda key: _key_candidates(key, gaz))
    n, free = len(texts), 0
    for i, st in zip(compress(range(n), starts), filter(None, starts), strict=True):  # most tokens start no key
        if i < free:
            continue
        if st.longer and i + 1 < n and st.fits[texts[i + 1]]:  # longer keys only if the next token fits
            m = _longer_match(text, toks, keys, i, st.longer)
            if m is not None:
                out.append(m)
                free = m.last_tok + 1
                continue
        if st.one:
            out.append(Match(tstarts[i], tends[i], i, i, st.one))
            free = i + 1
    return out


def _key_candidates(key: str, gaz: Gazetteer) -> tuple[Candidate, ...]:
    """The candidates of a key of space-joined token texts (tokens have no spaces)."""
    toks = key.split(" ")
    return tuple(gaz.lookup_span(toks, token_infos(toks)))


def _longer_match(text: str, toks: Tokens, keys: Memo[tuple[Candidate, ...]], i: int,
                  lengths: tuple[int, ...]) -> Match | None:
    """The longest key of one of ``lengths`` tokens (longest first) starting at token ``i``, if any;
    ``keys`` memoises _key_candidates. A line break (none inside a name) is looked for per length only if
    there is one before the furthest token."""
    texts, tstarts, tends, _ = toks
    n = len(texts)
    breaks = "\n" in text[tends[i]:tstarts[min(i + lengths[0], n) - 1]]
    for k in lengths:
        j = i + k - 1
        if j >= n or (not _INFO[texts[j]].word and texts[j] not in ".’'") \
                or (breaks and "\n" in text[tends[i]:tstarts[j]]):
            continue
        cands = keys[" ".join(texts[i:j + 1])]
        if cands:
            return Match(tstarts[i], tends[j], i, j, cands)
    return None


def _start(word: str, x: TokenInfo, gaz: Gazetteer) -> Start | None:
    """The keys a word starts (None if none): by its lower-cased form, and by its stem if Slavic."""
    if not x.word:
        return None
    lengths = gaz.lengths.get(x.low, NONE)
    if x.slavic:
        lengths = lengths | gaz.lengths.get("~" + x.stem, NONE)
    one = tuple(gaz.lookup_span([word], [x])) if 1 in lengths else ()  # most function words start only longer keys
    longer = tuple(sorted(lengths - ONE, reverse=True))
    if not one and not longer:
        return None
    return Start(longer, one, _fits(gaz.seconds.get(x.low, NONE_STR), gaz.seconds.get("~" + x.stem, NONE_STR)))


def _fits(next_low: frozenset[str], next_stem: frozenset[str]) -> Memo[bool]:
    """Per next token text: is its lower-cased form in ``next_low`` or its stem in ``next_stem`` (the second
    tokens of the longer keys a word starts)? One small bounded memo per starting word: the check runs for
    every start word in a text (~180 per report) and is mostly false. The bound keeps a long run's memory
    small: a frequent start word ("de", "the") meets thousands of different next words."""
    def fits(word: str) -> bool:
        x = _INFO[word]
        return x.low in next_low or x.stem in next_stem

    return Memo(fits, limit=1_000)


def _common_phrase(surface: str, lang: str | None) -> bool:
    """Every word of the surface is an ordinary word of the report's language."""
    if lang is None or lang not in SUPPORTED:
        return False
    return all(simplemma.is_known(w.lower(), lang=lang) for w in surface.split())


def _inside_person_name(toks: Tokens, m: Match, res: LangRes) -> bool:
    """A packaged city name that is really part of a person's name ("Luuk de Jong", "Kian Fitz-Jim")."""
    not_names = union("not_names")
    texts, gaps = toks.texts, toks.gaps
    nxt = m.last_tok + 1
    if nxt < len(texts) and gaps[nxt] == " ":
        if _is_name_word(texts[nxt], res, not_names):
            return True
        if texts[nxt] in PARTICLES and nxt + 1 < len(texts) and _is_name_word(texts[nxt + 1], res, not_names):
            return True
    prv = m.first_tok - 1
    if prv >= 0 and gaps[m.first_tok] == " " and _is_name_word(texts[prv], res, not_names) \
            and is_first_name(texts[prv]):
        return True
    return m.first_tok == m.last_tok and is_first_name(texts[m.first_tok]) and \
        max(c.population for c in m.candidates) < 500_000


def _report_countries(matches: list[Match]) -> set[str]:
    """The countries of the unambiguous country and pack matches: their namesake cities are preferred."""
    ones = [cands[0] for cands in map(attrgetter("candidates"), matches) if len(cands) == 1]
    return {c.entity.country for c in ones if c.priority >= COUNTRY and c.entity.country}


def choose(cands: tuple[Candidate, ...], countries: set[str]) -> Candidate:
    """Best candidate: pack over country over city; among cities the report's countries, then population."""
    if len(cands) == 1:
        return cands[0]
    return max(cands, key=lambda c: (c.priority, c.entity.country in countries if c.priority == CITY else 0,
                                     c.population))


def _is_name_word(word: str, res: LangRes, not_names: frozenset[str]) -> bool:
    """A capitalised word that is not a function word, a sentence opener, a title or an acronym."""
    if len(word) < 2 or not NAME_TOKEN.match(word) or word.isupper() or word in not_names:
        return False
    low = word.lower()
    return low not in res.stopwords and low not in union("titles")


def _name_flags(texts: list[str], res: LangRes) -> list[bool]:
    """_is_name_word of every token, memoised per language and token text."""
    not_names = union("not_names")
    memo = _memo(res.memo("entities"), "name", lambda word: _is_name_word(word, res, not_names))
    return list(map(memo.__getitem__, texts))


def warm() -> None:
    """Load the given-name list now (~0.4 s) rather than on the first unknown name."""
    _first_name_detector()


@lru_cache(maxsize=1)
def _first_name_detector() -> Any:
    import gender_guesser.detector as gd

    return gd.Detector(case_sensitive=False)


@lru_cache(maxsize=50_000)
def is_first_name(word: str) -> bool:
    """A given name: gender-guesser's 40k European names for Latin script, the languages' lists for Cyrillic."""
    if is_cyrillic(word):
        return stem(word) in union("first_names")
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return _first_name_detector().get_gender(plain) != "unknown"


_PAIRABLE = re.compile(rb"\x01(?=.?\x01)", re.DOTALL)  # a true flag with another one or two places on


def _runs(toks: Tokens, taken: set[int], name: list[bool]) -> list[tuple[int, int]]:
    """Maximal runs of two or more adjacent name tokens (particles and hyphenated parts allowed inside).

    A run can only start at a name token with another one next to it or one further on, so only those
    are tried (found by a regex over the flags as bytes): most name tokens are lone sentence openers."""
    texts, gaps = toks.texts, toks.gaps
    runs: list[tuple[int, int]] = []
    n, end = len(texts), -1
    for m in _PAIRABLE.finditer(bytes(name)):
        i = m.start()
        if i <= end or i in taken:
            continue
        j = i
        while j + 1 < n and j + 1 not in taken and j - i < 5:
            gap, nxt = gaps[j + 1], texts[j + 1]
            if gap == " " and name[j + 1]:
                j += 1
            elif j + 2 < n and name[j + 2] and (
                    (gap == " " and nxt in PARTICLES)  # "Luuk de Jong"
                    or (gap == "" and nxt == "-" and gaps[j + 2] == "")):  # "Fitz-Jim"
                j += 2
            else:
                break
        if j > i:  # a lone word is no run (and covers nothing a later run could start in)
            runs.append((i, j))
            end = j
    return runs


def new_names(text: str, toks: Tokens, taken: set[int], res: LangRes, lang: str | None,
              names: list[bool] | None = None) -> list[Mention]:
    """People and organisations the gazetteer did not know: a run of capitalised words that starts with a
    known first name, contains an organisation word, or (outside German) sits next to a title or a verb
    of saying. Leading words before the first name ("Chefvolkswirt", "Invaller") are not part of it."""
    out: list[Mention] = []
    texts, starts, ends, _ = toks
    for i, j in _runs(toks, taken, _name_flags(texts, res) if names is None else names):
        k = next((x for x in range(i, j) if is_first_name(texts[x])), None)
        if k is not None:
            start, etype = k, "person"
        elif ORG_WORDS.search(text[starts[i]:ends[j]]):
            start, etype = i, "org"
        elif lang != "de" and ((i > 0 and texts[i - 1].lower().rstrip("-") in res.titles) or (
                j + 1 < len(texts) and res.is_speech_verb(texts[j + 1].lower()))):
            start, etype = i, "person"
        else:
            continue
        s, e = starts[start], ends[j]
        name = POSSESSIVE.sub("", text[s:e])
        e = s + len(name)
        out.append(Mention(name, s, e, f"new:{name}", name, etype, description=_description(texts, start, res)))
    return out


def _description(texts: list[str], i: int, res: LangRes) -> str | None:
    """Title words right before a new name ("de Poolse defensie-analist")."""
    k = i - 1
    def descriptive(word: str) -> bool:
        low = word.lower()
        return low in res.titles or word[:1].isupper() or low.endswith(("se", "sche", "ian"))

    while k >= 0 and i - k <= 4 and WORD_START.match(texts[k]) and descriptive(texts[k]):
        k -= 1
    words = texts[k + 1:i]
    return " ".join(words) if any(w.lower().rstrip("-") in res.titles for w in words) else None


def resolve_surnames(text: str, toks: Tokens, taken: set[int], people: list[Mention],
                     infos: list[TokenInfo] | None = None) -> list[Mention]:
    """Later single-token mentions of a new person's surname ("Muzyka") link to the full name."""
    by_last: dict[str, Mention] = {}
    for m in people:
        if m.type == "person":
            last = m.text.split()[-1]
            by_last[last] = m
            if is_cyrillic(last):
                by_last[stem(last)] = m
    out: list[Mention] = []
    if not by_last:
        return out
    texts = toks.texts
    found = set(compress(range(len(texts)), map(by_last.__contains__, texts)))
    if is_cyrillic(text):  # Cyrillic tokens are also found by their stem
        infos = token_infos(texts) if infos is None else infos
        hits = compress(range(len(infos)), map(by_last.__contains__, map(attrgetter("stem"), infos)))
        found.update(k for k in hits if infos[k].cyrillic)
    for idx in sorted(found - taken):
        word, start = texts[idx], toks.starts[idx]
        full = by_last.get(word) or (by_last.get(stem(word)) if is_cyrillic(word) else None)
        if full and not (full.start <= start < full.end):
            out.append(replace(full, text=word, start=start, end=toks.ends[idx]))
    return out


def run(report: Report, ctx: Context) -> Report:
    text = report.text
    toks = tokens(text)
    matches = match_names(text, toks, ctx.gazetteer)
    countries = _report_countries(matches)
    mentions = []
    taken: set[int] = set()
    res = ctx.lang(report.language)
    starts = set(map(itemgetter(0), sentences(text)))
    for m in matches:
        start, end, first, last, cands = m
        best = cands[0] if len(cands) == 1 else choose(cands, countries)
        if best.priority == CITY and _inside_person_name(toks, m, res):
            continue
        e = best.entity
        if e.type == "outlet" and start in starts and _common_phrase(text[start:end], report.language):
            continue  # "Die Zeit drängt": a sentence opening with ordinary words, not the paper
        mentions.append(Mention(text[start:end], start, end, e.id, e.name, e.type, e.wikidata, e.description))
        taken.update(range(first, last + 1))
    fresh = new_names(text, toks, taken, res, report.language)
    for new in fresh:
        taken.update(range(bisect_left(toks.starts, new.start), bisect_left(toks.starts, new.end)))
    later = resolve_surnames(text, toks, taken, fresh)
    return replace(report, mentions=tuple(sorted(mentions + fresh + later, key=attrgetter("start"))))
