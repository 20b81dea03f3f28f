"""Claims stage: each clause is a proposition with a modality (asserted, reported, hedged,
speculative, denied) and, where the text says so, who it is attributed to.

"zou gewaarschuwd hebben" is hearsay (reported), not a fact; "zou een signaal kunnen zijn" is
speculative; "gelooft niet dat" is a denial. Sentences are split at contrastive conjunctions
(", maar", ", but", ", но") so that "X is a signal, but Muzyka does not believe Y" gives two claims.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.lang import LangRes
from escwatch.records import Claim, Quote, Report, replace

ORDER = ("speculative", "reported", "denied", "hedged")  # the first cue found wins
BEFORE_SAID = ORDER[:ORDER.index("reported") + 1]  # cues that decide before "X said that" would count as reported
CUES = (*ORDER, "denied_verbs")  # scanned together
# a verb of saying followed by a complement clause: "X said that ...", "рассказал, что ..."
COMPLEMENT = re.compile(r",?\s*(?:\w+\s+){0,2}?(?:that|dat|dass|que|qu['’]|że|iż|что|чтобы|що|щоб)\b", re.IGNORECASE)
WORD = re.compile(r"\w+")
MIN_WORDS = 4
ENOUGH_WORDS = re.compile(rf"\s*\S+(?:\s+\S+){{{MIN_WORDS - 1}}}")  # as str.split() counts words
CONTRASTIVE = "maar|but|aber|doch|mais|ale|lecz|но|однако|але|проте|однак"
CONTRAST = re.compile(rf"[,;]\s+(?=(?:{CONTRASTIVE})\b)", re.IGNORECASE)
# how every CONTRAST match in a sentence starts, read in the whole text (no word boundary, which a sentence's
# end could supply): where a sentence may split; one pattern per mark, as ``re`` skips to a literal first character
MAY_SPLIT = tuple(re.compile(rf"{mark}\s+(?:{CONTRASTIVE})", re.IGNORECASE) for mark in ",;")


def clauses(text: str) -> list[tuple[int, int]]:
    """The sentences of text, split at contrastive conjunctions, that have at least MIN_WORDS words; only the
    few sentences where MAY_SPLIT matches are searched for a split."""
    splits = sorted(m.start() for rx in MAY_SPLIT for m in rx.finditer(text))
    out = []
    for s, e in sentences(text):
        start = s
        if splits and bisect_left(splits, s) < bisect_left(splits, e):
            for m in CONTRAST.finditer(text, s, e):
                out.append((start, m.start()))
                start = m.end()
        out.append((start, e))
    return [(s, e) for s, e in out if ENOUGH_WORDS.match(text, s, e)]


def _said_that(text: str, s: int, e: int, res: LangRes) -> tuple[str, str] | None:
    """(verb, "verb that") for the first verb of saying in text[s:e] followed by a complement clause."""
    for a, b in res.speech_verbs_in(text, s, e):
        if c := COMPLEMENT.match(text, b, e):
            return text[a:b], text[a:c.end()]
    return None


def _modality(sent: str, s: int, cues: dict[object, list[re.Match[str]]],
              said: tuple[str, str] | None) -> tuple[str, str | None]:
    """(modality, cue) of the clause ``sent`` at ``s`` from its cue matches and its "X said that"."""
    for mod in ORDER:
        m = cues.get(mod)
        if mod == "reported" and said and not m:
            # "X said that ..." is reported, unless the main verb itself is negated ("gelooft niet dat")
            d = cues.get("denied")
            if d and d[0].start() - s <= sent.find(said[0]):
                return "denied", d[0].group()
            modality, cue = mod, said[1]
            break
        if m:
            modality, cue = mod, m[0].group()
            break
    else:
        return "asserted", None
    if modality == "reported" and (d := cues.get("denied_verbs")):
        return "denied", d[0].group()  # "the agency said ... and denied that ...": a denial
    return modality, cue


def _overlapping(quotes: tuple[Quote, ...]) -> Callable[[int, int], list[Quote]]:
    """A lookup of the attributed quotes overlapping [s, e), in report order (by bisection when they are in
    start order, as the quotes stage sorts them)."""
    spoken = [q for q in quotes if q.speaker]
    starts = [q.start for q in spoken]
    if starts != sorted(starts):
        return lambda s, e: [q for q in spoken if q.start < e and q.end > s]
    reach = list(accumulate((q.end for q in spoken), max))  # the furthest end so far
    return lambda s, e: [q for q in spoken[bisect_right(reach, s):bisect_left(starts, e)] if q.end > s]


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    text = report.text
    quoted_in = _overlapping(report.quotes)
    scan = res.scanner(CUES).by_label_in  # res.scan(CUES, ...), looked up once
    out = []
    for s, e in clauses(text):
        sent = text[s:e]
        cues = scan(text, s, e)
        said = _said_that(text, s, e, res) if cues.keys().isdisjoint(BEFORE_SAID) else None  # else not consulted
        modality, cue = _modality(sent, s, cues, said) if cues or said else ("asserted", None)
        quoted = quoted_in(s, e)
        speaker = quoted[0].speaker if quoted else None
        if modality == "asserted" and quoted and any(q.kind == "direct" for q in quoted):
            modality, cue = "reported", "quoted"
        out.append(Claim(sent, s, e, modality, speaker, cue))
    return replace(report, claims=tuple(out))
