"""Entities stage: gazetteer matches linked to the pack, plus people and organisations found
outside it (capitalised name spans near titles or speech verbs), with later surname mentions
resolved to the full name.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, NamedTuple, cast

import simplemma

from escwatch.analyse.context import Context
from escwatch.analyse.gazetteer import CITY, COUNTRY, Candidate, Gazetteer, is_slavic
from escwatch.analyse.text import Token, is_cyrillic, sentences, stem, tokens
from escwatch.lang import SUPPORTED, LangRes, union
from escwatch.records import Mention, Report

PARTICLES = {"de", "van", "von", "der", "den", "ter", "la", "le", "du", "di", "da", "dos", "bin", "al", "el", "zu"}
ORG_WORDS = re.compile(r"(?i)\b(?:bank|institut\w*|group|gruppe|groep|ministr\w*|ministerie|agency|agentur|"
                       r"council|raad|rat|university|universit\w*|party|partei|partij|company|corp\w*|inc|ltd|"
                       r"gmbh|ag|nv|bv|sa|association|foundation|stiftung|committee|komitee|commission|"
                       r"комитет|министерств\w*|служб\w*|агентств\w*|міністерств\w*|комітет\w*)\b")
POSSESSIVE = re.compile(r"['’ʼ]s$")
NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁІЇЄҐ][\w’'\-]*$")


NONE: frozenset[int] = frozenset()
WORD_START = re.compile(r"\w")
ONE = frozenset({1})


@dataclass(frozen=True, slots=True)
class Match:
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


_INFO: dict[str, TokenInfo] = {}


def _token_info(word: str) -> TokenInfo:
    sl = is_slavic(word)
    got = TokenInfo(word.lower(), WORD_START.match(word) is not None, sl, stem(word) if sl else word,
                    sl and is_cyrillic(word))
    if len(_INFO) > 200_000:  # a bounded memo of the token texts seen
        _INFO.clear()
    _INFO[word] = got
    return got


def token_infos(texts: list[str]) -> list[TokenInfo]:
    """Per token text its lower-cased form, stem and script flags (memoised per distinct text)."""
    get = _INFO.get
    return [get(t) or _token_info(t) for t in texts]


def match_names(text: str, toks: list[Token], gaz: Gazetteer, infos: list[TokenInfo] | None = None) -> list[Match]:
    """Greedy longest matches of gazetteer keys over the token stream."""
    out: list[Match] = []
    texts = [t.text for t in toks]
    infos = token_infos(texts) if infos is None else infos
    pairs = gaz.pairs
    # key lengths starting at each token (memoised per token text); most tokens start none
    memo = gaz.memo("start_lengths")
    found: list[frozenset[int] | None] = [memo.get(t) for t in texts]
    if None in found:
        for k in [k for k, got in enumerate(found) if got is None]:
            found[k] = memo[texts[k]] = _start_lengths(infos[k], gaz)
    lens = cast(list[frozenset[int]], found)
    n, free = len(toks), 0
    for i in [k for k, got in enumerate(lens) if got]:
        if i < free:
            continue
        x, lengths = infos[i], lens[i]
        if lengths != ONE and i + 1 < n and f"{x.low} {infos[i + 1].low}" not in pairs \
                and f"~{x.stem} {infos[i + 1].stem}" not in pairs:
            lengths = lengths & ONE  # no longer key starts with these two tokens
        if not lengths:
            continue
        hit = None
        for j in (i,) if lengths == ONE else sorted((i + k - 1 for k in lengths if i + k <= n), reverse=True):
            if not infos[j].word and texts[j] not in ".’'":
                continue
            if j > i and "\n" in text[toks[i].end:toks[j].start]:  # no line break inside a name
                continue
            cands = gaz.lookup_span(texts[i:j + 1], infos[i:j + 1])
            if cands:
                hit = Match(toks[i].start, toks[j].end, i, j, tuple(cands))
                break
        if hit:
            out.append(hit)
            free = hit.last_tok + 1
    return out


def _start_lengths(x: TokenInfo, gaz: Gazetteer) -> frozenset[int]:
    """Lengths (in tokens) of the keys a word starts: by its lower-cased form, and by its stem if Slavic."""
    if not x.word:
        return NONE
    lengths = gaz.lengths.get(x.low, NONE)
    if x.slavic:
        lengths = lengths | gaz.lengths.get("~" + x.stem, NONE)
    return lengths


def _common_phrase(surface: str, lang: str | None) -> bool:
    """Every word of the surface is an ordinary word of the report's language."""
    if lang is None or lang not in SUPPORTED:
        return False
    return all(simplemma.is_known(w.lower(), lang=lang) for w in surface.split())


def _inside_person_name(text: str, toks: list[Token], m: Match, res: LangRes) -> bool:
    """A packaged city name that is really part of a person's name ("Luuk de Jong", "Kian Fitz-Jim")."""
    not_names = union("not_names")
    nxt = m.last_tok + 1
    if nxt < len(toks) and text[m.end:toks[nxt].start] == " ":
        if _is_name_token(toks[nxt], res, not_names):
            return True
        if toks[nxt].text in PARTICLES and nxt + 1 < len(toks) and _is_name_token(toks[nxt + 1], res, not_names):
            return True
    prv = m.first_tok - 1
    if prv >= 0 and text[toks[prv].end:m.start] == " " and _is_name_token(toks[prv], res, not_names) \
            and is_first_name(toks[prv].text):
        return True
    return m.first_tok == m.last_tok and is_first_name(toks[m.first_tok].text) and \
        max(c.population for c in m.candidates) < 500_000


def choose(cands: tuple[Candidate, ...], countries: set[str]) -> Candidate:
    """Best candidate: pack over country over city; among cities the report's countries, then population."""
    return max(cands, key=lambda c: (c.priority, c.entity.country in countries if c.priority == CITY else 0,
                                     c.population))


def _is_name_token(tok: Token, res: LangRes, not_names: frozenset[str]) -> bool:
    """A capitalised word that is not a function word, a sentence opener, a title or an acronym."""
    return _is_name_word(tok.text, res, not_names)


def _is_name_word(word: str, res: LangRes, not_names: frozenset[str]) -> bool:
    if len(word) < 2 or not NAME_TOKEN.match(word) or word.isupper() or word in not_names:
        return False
    low = word.lower()
    return low not in res.stopwords and low not in union("titles")


def _name_flags(toks: list[Token], res: LangRes) -> list[bool]:
    """_is_name_token of every token, memoised per language and token text."""
    memo = res.memo("entities.name")
    if len(memo) > 200_000:
        memo.clear()
    texts = [t.text for t in toks]
    out = list(map(memo.get, texts))
    if None in out:
        not_names = union("not_names")
        for k in [k for k, got in enumerate(out) if got is None]:
            out[k] = memo[texts[k]] = _is_name_word(texts[k], res, not_names)
    return out  # type: ignore[return-value]


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


def _runs(text: str, toks: list[Token], taken: set[int], res: LangRes,
          names: list[bool] | None = None) -> list[tuple[int, int]]:
    """Maximal runs of adjacent name tokens (particles and hyphenated parts allowed inside)."""
    name = _name_flags(toks, res) if names is None else names
    runs: list[tuple[int, int]] = []
    n = len(toks)
    for i in [k for k, f in enumerate(name) if f and k not in taken]:
        if runs and i <= runs[-1][1]:
            continue
        j = i
        while j + 1 < n and j + 1 not in taken and j - i < 5:
            gap, nxt = text[toks[j].end:toks[j + 1].start], toks[j + 1]
            after = toks[j + 2] if j + 2 < n else None
            if gap == " " and name[j + 1]:
                j += 1
            elif after is not None and name[j + 2] and (
                    (gap == " " and nxt.text in PARTICLES)  # "Luuk de Jong"
                    or (gap == "" and nxt.text == "-" and text[nxt.end:after.start] == "")):  # "Fitz-Jim"
                j += 2
            else:
                break
        runs.append((i, j))
    return runs


def new_names(text: str, toks: list[Token], taken: set[int], res: LangRes, lang: str | None,
              names: list[bool] | None = None) -> list[Mention]:
    """People and organisations the gazetteer did not know: a run of capitalised words that starts with a
    known first name, contains an organisation word, or (outside German) sits next to a title or a verb
    of saying. Leading words before the first name ("Chefvolkswirt", "Invaller") are not part of it."""
    out: list[Mention] = []
    for i, j in _runs(text, toks, taken, res, names):
        k = next((x for x in range(i, j) if is_first_name(toks[x].text)), None)
        surface = text[toks[i].start:toks[j].end]
        prev = toks[i - 1].text.lower() if i > 0 else ""
        nxt = toks[j + 1].text.lower() if j + 1 < len(toks) else ""
        if k is not None:
            start, etype = k, "person"
        elif ORG_WORDS.search(surface) and j > i:
            start, etype = i, "org"
        elif j > i and lang != "de" and (prev.rstrip("-") in res.titles or res.is_speech_verb(nxt)):
            start, etype = i, "person"
        else:
            continue
        s, e = toks[start].start, toks[j].end
        name = POSSESSIVE.sub("", text[s:e])
        e = s + len(name)
        out.append(Mention(name, s, e, f"new:{name}", name, etype, description=_description(text, toks, start, res)))
    return out


def _description(text: str, toks: list[Token], i: int, res: LangRes) -> str | None:
    """Title words right before a new name ("de Poolse defensie-analist")."""
    k = i - 1
    def descriptive(t: Token) -> bool:
        low = t.text.lower()
        return low in res.titles or t.text[:1].isupper() or low.endswith(("se", "sche", "ian"))

    while k >= 0 and i - k <= 4 and toks[k].is_word and descriptive(toks[k]):
        k -= 1
    words = [t.text for t in toks[k + 1:i]]
    return " ".join(words) if any(w.lower().rstrip("-") in res.titles for w in words) else None


def resolve_surnames(text: str, toks: list[Token], taken: set[int], people: list[Mention],
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
    infos = token_infos([t.text for t in toks]) if infos is None else infos
    for idx in [k for k, (t, x) in enumerate(zip(toks, infos, strict=True))
                if t.text in by_last or (x.cyrillic and x.stem in by_last)]:
        tok = toks[idx]
        if idx in taken:
            continue
        full = by_last.get(tok.text) or (by_last.get(stem(tok.text)) if is_cyrillic(tok.text) else None)
        if full and not (full.start <= tok.start < full.end):
            out.append(replace(full, text=tok.text, start=tok.start, end=tok.end))
    return out


def run(report: Report, ctx: Context) -> Report:
    text = report.text
    toks = tokens(text)
    infos = token_infos([t.text for t in toks])
    matches = match_names(text, toks, ctx.gazetteer, infos)
    countries = {c.entity.country for m in matches for c in m.candidates
                 if c.priority >= COUNTRY and c.entity.country and len(m.candidates) == 1}
    mentions = []
    taken: set[int] = set()
    res = ctx.lang(report.language)
    starts = {s for s, _ in sentences(text)}
    for m in matches:
        best = choose(m.candidates, countries)
        if best.priority == CITY and _inside_person_name(text, toks, m, res):
            continue
        if best.entity.type == "outlet" and m.start in starts and _common_phrase(text[m.start:m.end], report.language):
            continue  # "Die Zeit drängt": a sentence opening with ordinary words, not the paper
        e = best.entity
        mentions.append(Mention(text[m.start:m.end], m.start, m.end, e.id, e.name, e.type, e.wikidata, e.description))
        taken.update(range(m.first_tok, m.last_tok + 1))
    fresh = new_names(text, toks, taken, res, report.language, _name_flags(toks, res))
    tok_starts = [t.start for t in toks]
    for new in fresh:
        taken.update(range(bisect_left(tok_starts, new.start), bisect_left(tok_starts, new.end)))
    later = resolve_surnames(text, toks, taken, fresh, infos)
    return replace(report, mentions=tuple(sorted(mentions + fresh + later, key=lambda x: x.start)))
