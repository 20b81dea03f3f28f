"""Quotes stage: direct quotes in every quote style („…“ «…» “…” ‘…’ "…" and dialogue dashes) and
indirect speech ("volgens X", "X said that", "по словам X"), each with its speaker resolved to an entity.

Attribution, in order: a speaker named in the quote's own sentence next to a verb of saying
("– przekazał Putinowi ... Łukaszenka" takes the last name of the attribution clause); a pronoun
("he said") or nothing continues the previous quote's speaker or the subject of the previous
sentence; a title as subject ("the Russian leader said") is the report's main person.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import finditer_at, sentences
from escwatch.lang import ATTRIBUTION_KEYS, LangRes
from escwatch.records import Mention, Quote, Report

QUOTE = re.compile(r"„([^“”\"\n]{3,}?)[“”\"]|«([^»\n]{3,}?)»|“([^”\n]{3,}?)”|‘([^’\n]{6,}?)’(?!\w)|"
                   r"(?<![\w])\"([^\"\n]{3,}?)\"|‚([^‘’\n]{3,}?)[‘’]|”([^”\n]{3,}?)”|"
                   r"(?m:(?:^|(?<=[.!?\"”»] ))[ \t]*[-–—][ \t]+([^\n]{8,}?)[ \t]+[-–—](?=[ \t]+\w))")
SPEAKER_TYPES = {"person", "org", "unit", "outlet"}
MIN_WORDS = 2
LOOKBACK = 600  # chars before a quote in which an earlier speaker is sought
WORD = re.compile(r"\w+")
MARKS = ("according_to", "according_to_after")


_STARTS: list[tuple[tuple[Mention, ...], list[int] | None]] = []


def _mention_starts(mentions: tuple[Mention, ...]) -> list[int] | None:
    """The mentions' start offsets if they are in order (the entities stage sorts them), else None;
    kept for the last mentions tuple, which every lookup of a report shares."""
    last = _STARTS[0] if _STARTS else None
    if last is not None and last[0] is mentions:
        return last[1]
    starts = [m.start for m in mentions]
    got = starts if starts == sorted(starts) else None
    _STARTS[:] = [(mentions, got)]
    return got


def _speakers(mentions: tuple[Mention, ...], start: int, end: int, people_only: bool = False) -> list[Mention]:
    starts = _mention_starts(mentions)
    if starts is not None:  # only the mentions starting in [start, end)
        mentions = mentions[bisect_left(starts, start):bisect_left(starts, end)]
    return [m for m in mentions if start <= m.start < end and m.type in SPEAKER_TYPES
            and (m.type == "person" or not people_only)]


def _verb_at(text: str, a: int, b: int, res: LangRes) -> int | None:
    """Offset of the first verb of saying (or according-to marker) in text[a:b]."""
    hits = [x for x, _ in res.speech_verbs_in(text, a, b)[:1]]
    if m := next(iter(res.scan(ATTRIBUTION_KEYS, text, a, b).get("according_to", ())), None):
        hits.append(m.start())
    return min(hits) if hits else None


def _near(text: str, m: Mention, pos: int, words: int = 2) -> bool:
    """The mention stands right before or right after the word at ``pos``."""
    gap = text[m.end:pos] if m.end <= pos else text[pos:m.start]
    return len(WORD.findall(gap)) <= words


def _main_person(mentions: tuple[Mention, ...], before: int) -> Mention | None:
    counts = Counter(m.entity_id for m in mentions if m.type == "person" and m.start < before)
    if not counts:
        return None
    top = counts.most_common(1)[0][0]
    return next(m for m in mentions if m.entity_id == top)


def _subject_before(report: Report, pos: int, sents: list[tuple[int, int]]) -> Mention | None:
    """The first person named in the nearest earlier sentence that names one (within LOOKBACK)."""
    for s, e in reversed([x for x in sents if x[1] <= pos and x[1] > pos - LOOKBACK]):
        people = _speakers(report.mentions, s, e, people_only=True)
        if people:
            return people[0]
    return None


def _attribute(report: Report, qs: int, qe: int, sent: tuple[int, int], res: LangRes,
               sents: list[tuple[int, int]], last: Quote | None) -> Mention | None:
    text, mentions = report.text, report.mentions
    outside = [m for m in _speakers(mentions, sent[0], sent[1]) if not (qs <= m.start < qe)]
    verb = _verb_at(text, qe, sent[1], res)
    if verb is None:
        verb = _verb_at(text, sent[0], qs, res)
    if outside:
        people = [m for m in outside if m.type == "person"] or outside
        if verb is not None:
            if verb >= qe:  # quote first, then "X said" / "– said X" / "he said"
                right_before = [m for m in people if qe <= m.end <= verb and len(WORD.findall(text[m.end:verb])) <= 1]
                if right_before:
                    return right_before[-1]
                clause_end = text.find(",", verb)
                clause_end = min(sent[1] if clause_end < 0 else clause_end, verb + 80)
                after = [m for m in people if verb <= m.start < clause_end]
                if after:
                    return after[-1]
                if any(m.start < qs for m in people):
                    return [m for m in people if m.start < qs][-1]
            else:  # "X said: «...»" / "X zegt dat hij “...”" / "sagte Peskow, dass ... „...“"
                adjacent = [m for m in people if m.start < qs and _near(text, m, verb)]
                if adjacent:
                    return adjacent[0]
                before = [m for m in people if m.start < qs]
                if before:
                    return before[-1]
            return min(people, key=lambda m: abs(m.start - verb))
        if len(people) == 1:
            return people[0]
    if verb is not None and not outside:
        lead = WORD.findall(text[sent[0]:qs if qs > sent[0] else sent[1]].lower())[:6]
        if set(lead) & res.titles:
            return _main_person(mentions, qs)
    subject = _subject_before(report, sent[0], sents)
    if subject is None and last is not None and last.speaker_id and qs - last.end <= LOOKBACK:
        return next((m for m in mentions if m.entity_id == last.speaker_id), None)
    return subject


QUOTE_OPEN = re.compile(r"[„«“‘\"‚”]")
DASH = re.compile(r"[-–—]")


def _quote_starts(text: str) -> list[int]:
    """Every position a QUOTE match can start at: an opening quote mark, or a dash with the spaces and tabs
    right before it (a dialogue dash)."""
    found = {m.start() for m in QUOTE_OPEN.finditer(text)}
    for m in DASH.finditer(text):
        d = q = m.start()
        while q > 0 and text[q - 1] in " \t":
            q -= 1
        found.update(range(q, d + 1))
    return sorted(found)


def _direct(report: Report, res: LangRes, sents: list[tuple[int, int]]) -> list[Quote]:
    out: list[Quote] = []
    text = report.text
    starts = [s for s, _ in sents]
    for m in finditer_at(QUOTE, text, _quote_starts(text)):
        g = next(i for i in range(1, 9) if m.group(i) is not None)
        body, qs, qe = m.group(g), m.start(g), m.end(g)
        if len(body.split()) < MIN_WORDS:
            continue
        k = bisect_right(starts, m.start()) - 1  # the sentence the quote starts in
        sent = sents[k] if k >= 0 and m.start() < sents[k][1] else (m.start(), m.end())
        sent = (sent[0], max(sent[1], m.end()))
        sp = _attribute(report, qs, qe, sent, res, sents, out[-1] if out else None)
        out.append(Quote(body, qs, qe, sp.name if sp else None, sp.entity_id if sp else None, "direct"))
    return out


def _indirect(report: Report, res: LangRes, sents: list[tuple[int, int]], direct: list[Quote]) -> list[Quote]:
    """'volgens X, ...' / 'X zei dat ...' / '..., aldus X' / 'the Russian leader stressed that ...'."""
    text = report.text
    out = []
    for s, e in sents:
        if any(q.start < e and q.end > s for q in direct):
            continue
        sent = text[s:e]
        speakers = _speakers(report.mentions, s, e)
        chosen = None
        marks = res.scan(ATTRIBUTION_KEYS, text, s, e) if speakers else {}  # both kinds in one pass
        for key in MARKS:
            if not speakers:
                continue
            for m in marks.get(key, ()):
                after = [x for x in speakers if 0 <= x.start - m.end() <= 60]
                before = [x for x in speakers if 0 <= m.start() - x.end <= 60]
                pick = (after[:1] if key == "according_to" else before[-1:]) or after[:1]
                if pick:
                    chosen = pick[0]
                    break
            if chosen:
                break
        if chosen is None:  # "X said that ..." / "подчеркнул Володин, ..." / "sagte Peskow"
            for x in speakers:
                if x.type != "person":
                    continue
                follow = WORD.findall(text[x.end:min(e, x.end + 60)])[:4]
                precede = WORD.findall(text[max(s, x.start - 40):x.start])[-2:]
                if any(res.is_speech_verb(w) for w in follow + precede):
                    chosen = x
                    break
        if chosen is None and not speakers:
            lead = [w.lower() for w in WORD.findall(sent)[:8]]
            if set(lead[:4]) & res.titles and any(res.is_speech_verb(w) for w in lead):
                chosen = _main_person(report.mentions, s)
        if chosen is not None:
            out.append(Quote(sent, s, e, chosen.name, chosen.entity_id, "indirect"))
    return out


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    sents = sentences(report.text)
    direct = _direct(report, res, sents)
    quotes = direct + _indirect(report, res, sents, direct)
    return replace(report, quotes=tuple(sorted(quotes, key=lambda q: q.start)))
