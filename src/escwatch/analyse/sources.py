"""Cited-sources stage: "Bron: The Times, The Telegraph", "according to Reuters", "citing Radio
Svoboda", "(AFP)" — normalised to the pack's outlet names where known."""

from __future__ import annotations

import re
from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import by_sentence, sentences
from escwatch.lang import ATTRIBUTION_KEYS, LangRes, union
from escwatch.records import CitedSource, Mention, Report

SOURCE_LINE = re.compile(r"(?im)^[^\n]{0,40}?\b(?:Bron(?:nen)?|Source[sn]?|Quelle[n]?|Źródło|Источник|Джерело)"
                         r"\s*:\s*(?P<list>[^\n]+)$")
SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\ben\b|\bund\b|\bet\b|\bi\b|\bи\b|\bта\b|\bі\b)\s*")
DATELINE = re.compile(r"\((?P<name>Reuters|AFP|AP|dpa|ANP|Belga|PAP|TASS|ТАСС|РИА Новости|Укрінформ|УНІАН|"
                      r"Interfax|Интерфакс|Ukrinform|UNIAN|BelTA|Xinhua|EFE|ANSA)\)")
DASH_DATELINE = re.compile(r"(?m)^[A-ZА-ЯЁІЇЄҐ][A-ZА-ЯЁІЇЄҐ\-. ]{2,30},[^\n—–]{0,30}?\s[—–-]\s")
WORD = re.compile(r"\w+")
SOURCE_TYPES = {"outlet", "person", "org", "unit"}
WINDOW = 80


def _from_line(report: Report, mentions: tuple[Mention, ...]) -> list[CitedSource]:
    out = []
    for m in SOURCE_LINE.finditer(report.text[:600]):
        start = m.start("list")
        for part in SPLIT.split(m.group("list")):
            part = part.strip(" .")
            if not part:
                continue
            off = report.text.find(part, start)
            ment = next((x for x in mentions if x.start >= off and x.end <= off + len(part) and x.type == "outlet"),
                        None)
            out.append(CitedSource(ment.name if ment else part, part, off, off + len(part),
                                   ment.entity_id if ment else None, "line"))
            start = off + len(part)
    return out


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    text = report.text
    mentions = report.mentions
    found = _from_line(report, mentions)
    sents = sentences(text)
    for (s, e), here in zip(sents, by_sentence(mentions, sents), strict=True):
        cands = [m for m in here if m.type in SOURCE_TYPES]
        marks = res.scan(ATTRIBUTION_KEYS, text, s, e)
        for key in ("source_markers", "according_to"):
            for mk in marks.get(key, ()):
                a = mk.end()
                near = [m for m in cands if 0 <= m.start - a <= WINDOW and (
                    m.type == "outlet" or len(WORD.findall(text[a:m.start])) <= 5)]  # "volgens de Poolse analist X"
                if near:  # ", said X" introduces a speaker, "according to X" a source
                    via = "said" if any(res.is_speech_verb(w) for w in WORD.findall(mk.group())) else "according_to"
                    found.append(_cite(near[0], via))
                elif phrase := _named_phrase(text, a, e):  # "according to the Enerhodar administration"
                    found.append(phrase)
        for mk in marks.get("according_to_after", ()):
            b = mk.start()
            near = [m for m in cands if 0 <= b - m.end <= WINDOW]
            if near:
                found.append(_cite(near[-1], "said"))
        for m in cands:
            # an outlet is named to say it reported, broadcast or was told something; an organisation
            # next to a verb of saying ("teilte das Ifo-Institut mit") is a source too
            if m.type == "outlet":
                found.append(_cite(m, "named"))
            elif m.type in ("org", "unit") and _next_to_speech(text, m, res):
                found.append(_cite(m, "said"))
    for dl in DASH_DATELINE.finditer(text[:1500]):  # "МОСКВА, 9 окт — РИА Новости."
        ment = next((x for x in mentions if x.start == dl.end() and x.type == "outlet"), None)
        if ment:
            found.append(_cite(ment, "dateline"))
    for dl in DATELINE.finditer(text[:400]):
        ment = next((x for x in mentions if x.start >= dl.start("name") and x.type == "outlet"), None)
        found.append(CitedSource(ment.name if ment else dl.group("name"), dl.group("name"), dl.start("name"),
                                 dl.end("name"), ment.entity_id if ment else None, "dateline"))
    unique: dict[str, CitedSource] = {}
    for c in found:
        unique.setdefault(c.name.casefold(), c)
    return replace(report, cited_sources=tuple(sorted(unique.values(), key=lambda c: c.start)))


DETERMINERS = {"the", "de", "het", "die", "der", "das", "den", "la", "le", "les", "l", "een", "a", "an"}


DEMONYM = re.compile(r"(?:se|sche|ische|ian|ese|ish|ais|aise|ien|ienne|ski|ska|skie|ckie"
                     r"|ский|ская|ские|ський|ська|ські)$", re.IGNORECASE)
INSTITUTIONAL = {"administration", "authorities", "government", "ministry", "office", "council", "command",
                 "service", "spokesman", "spokeswoman", "spokesperson", "press", "agency", "officials", "military"}


def _named_phrase(text: str, a: int, end: int) -> CitedSource | None:
    """A name right after an according-to marker that the gazetteer did not know: a run of capitalised
    words, optionally followed by an institutional noun ("the Russian-controlled Enerhodar administration")."""
    words = [(m.group(), m.start(), m.end()) for m in re.finditer(r"[\w’'\-]+", text[a:min(end, a + 120)])]
    while words and words[0][0].lower() in DETERMINERS:
        words = words[1:]
    if not words or not words[0][0][:1].isupper() or words[0][0] in union("not_names"):
        return None
    k = 1
    while k < len(words) and k < 6 and (words[k][0][:1].isupper() or words[k][0].lower() in INSTITUTIONAL):
        if not words[k][0][:1].isupper():
            k += 1
            break
        k += 1
    if k == 1 and DEMONYM.search(words[0][0]):  # "volgens Italiaanse media": an adjective, not a name
        return None
    start, stop = a + words[0][1], a + words[k - 1][2]
    name = text[start:stop]
    return CitedSource(name, name, start, stop, None, "according_to")


def _next_to_speech(text: str, m: Mention, res: LangRes) -> bool:
    around = WORD.findall(text[max(0, m.start - 40):m.start])[-2:] + WORD.findall(text[m.end:m.end + 40])[:2]
    return any(res.is_speech_verb(w) for w in around)


def _cite(m: Mention, via: str) -> CitedSource:
    return CitedSource(m.name, m.text, m.start, m.end, m.entity_id if m.type == "outlet" else None, via)
