"""Cited-sources stage: "Bron: The Times, The Telegraph", "according to Reuters", "citing Radio
Svoboda", "(AFP)" — normalised to the pack's outlet names where known."""

from __future__ import annotations

import re

from escwatch.analyse.context import Context
from escwatch.analyse.text import by_sentence, sentences
from escwatch.lang import ATTRIBUTION_KEYS, LangRes, union
from escwatch.records import CitedSource, Mention, Report, replace

SOURCE_LINE = re.compile(r"(?im)^[^\n]{0,40}?\b(?:Bron(?:nen)?|Source[sn]?|Quelle[n]?|Źródło|Источник|Джерело)"
                         r"\s*:\s*(?P<list>[^\n]+)$")
SPLIT = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\ben\b|\bund\b|\bet\b|\bi\b|\bи\b|\bта\b|\bі\b)\s*")
DATELINE = re.compile(r"\((?P<name>Reuters|AFP|AP|dpa|ANP|Belga|PAP|TASS|ТАСС|РИА Новости|Укрінформ|УНІАН|"
                      r"Interfax|Интерфакс|Ukrinform|UNIAN|BelTA|Xinhua|EFE|ANSA)\)")
DASH_DATELINE = re.compile(r"(?m)^[A-ZА-ЯЁІЇЄҐ][A-ZА-ЯЁІЇЄҐ\-. ]{2,30},[^\n—–]{0,30}?\s[—–-]\s")
WORD = re.compile(r"\w+")
NAME_WORD = re.compile(r"[\w’'\-]+")  # a word of a name ("Russian-controlled", "O’Brien")
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


class _Cited(dict[str, CitedSource]):
    """The cited sources by case-folded name, the first found of each kept: a mention whose name is cited
    already is not cited again (nor checked)."""

    def add(self, source: CitedSource) -> None:
        self.setdefault(source.name.casefold(), source)

    def has(self, m: Mention) -> bool:
        return m.name.casefold() in self

    def cite(self, m: Mention, via: str) -> None:
        key = m.name.casefold()
        if key not in self:
            self[key] = _cite(m, via)


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    text = report.text
    mentions = report.mentions
    cited = _Cited()
    for c in _from_line(report, mentions):
        cited.add(c)
    sents = sentences(text)
    marks_in = res.scanner(ATTRIBUTION_KEYS).by_label_in  # res.scan(ATTRIBUTION_KEYS, ...), looked up once
    sourced = [m for m in mentions if m.type in SOURCE_TYPES]
    for (s, e), cands in zip(sents, by_sentence(sourced, sents), strict=True):
        marks = marks_in(text, s, e)
        if marks:  # most sentences have no marker
            _marked(text, e, marks, cands, res, cited)
        for m in cands:
            # an outlet is named to say it reported, broadcast or was told something; an organisation
            # next to a verb of saying ("teilte das Ifo-Institut mit") is a source too
            if m.type == "outlet":
                cited.cite(m, "named")
            elif m.type in ("org", "unit") and not cited.has(m) and _next_to_speech(text, m, res):
                cited.cite(m, "said")
    for dl in DASH_DATELINE.finditer(text[:1500]):  # "МОСКВА, 9 окт — РИА Новости."
        ment = next((x for x in mentions if x.start == dl.end() and x.type == "outlet"), None)
        if ment:
            cited.cite(ment, "dateline")
    for dl in DATELINE.finditer(text[:400]):
        ment = next((x for x in mentions if x.start >= dl.start("name") and x.type == "outlet"), None)
        cited.add(CitedSource(ment.name if ment else dl.group("name"), dl.group("name"), dl.start("name"),
                              dl.end("name"), ment.entity_id if ment else None, "dateline"))
    return replace(report, cited_sources=tuple(sorted(cited.values(), key=lambda c: c.start)))


def _marked(text: str, e: int, marks: dict[object, list[re.Match[str]]], cands: list[Mention], res: LangRes,
            cited: _Cited) -> None:
    """Cite what the attribution markers of a sentence ending at ``e`` point to: the mention (or unknown name)
    after "according to X" / ", said X", the mention before "X said"."""
    for key in ("source_markers", "according_to"):
        for mk in marks.get(key, ()):
            a = mk.end()
            near = next((m for m in cands if 0 <= m.start - a <= WINDOW and (
                m.type == "outlet" or len(WORD.findall(text, a, m.start)) <= 5)), None)  # "volgens de Poolse analist X"
            if near is not None:  # ", said X" introduces a speaker, "according to X" a source
                if not cited.has(near):
                    via = "said" if any(map(res.is_speech_verb, WORD.findall(mk.group()))) else "according_to"
                    cited.cite(near, via)
            elif phrase := _named_phrase(text, a, e):  # "according to the Enerhodar administration"
                cited.add(phrase)
    for mk in marks.get("according_to_after", ()):
        b = mk.start()
        last = next((m for m in reversed(cands) if 0 <= b - m.end <= WINDOW), None)  # the nearest before it
        if last is not None:
            cited.cite(last, "said")


DETERMINERS = {"the", "de", "het", "die", "der", "das", "den", "la", "le", "les", "l", "een", "a", "an"}


DEMONYM = re.compile(r"(?:se|sche|ische|ian|ese|ish|ais|aise|ien|ienne|ski|ska|skie|ckie"
                     r"|ский|ская|ские|ський|ська|ські)$", re.IGNORECASE)
INSTITUTIONAL = {"administration", "authorities", "government", "ministry", "office", "council", "command",
                 "service", "spokesman", "spokeswoman", "spokesperson", "press", "agency", "officials", "military"}


def _named_phrase(text: str, a: int, end: int) -> CitedSource | None:
    """A name right after an according-to marker that the gazetteer did not know: a run of capitalised
    words, optionally followed by an institutional noun ("the Russian-controlled Enerhodar administration")."""
    words = [(m.group(), m.start(), m.end()) for m in NAME_WORD.finditer(text[a:min(end, a + 120)])]
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
    """A verb of saying is among the two words before the mention or the two after it (within 40 characters;
    ``findall`` with bounds reads ``\\w+`` words as on the slice, without copying it)."""
    before = WORD.findall(text, max(0, m.start - 40), m.start)[-2:]
    after = WORD.findall(text, m.end, m.end + 40)[:2]
    return any(map(res.is_speech_verb, before)) or any(map(res.is_speech_verb, after))


def _cite(m: Mention, via: str) -> CitedSource:
    return CitedSource(m.name, m.text, m.start, m.end, m.entity_id if m.type == "outlet" else None, via)
