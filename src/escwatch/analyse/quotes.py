"""Quotes stage: direct quotes in every quote style and indirect speech ("volgens X", "X said that"),
each with its speaker resolved to an entity."""

from __future__ import annotations

import re
from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.lang import LangRes
from escwatch.records import Mention, Quote, Report

QUOTE = re.compile(r"„([^“”\"\n]{3,}?)[“”\"]|«([^»\n]{3,}?)»|“([^”\n]{3,}?)”|‘([^’\n]{6,}?)’(?!\w)|"
                   r"(?<![\w])\"([^\"\n]{3,}?)\"|‚([^‘’\n]{3,}?)[‘’]|”([^”\n]{3,}?)”")
SPEAKER_TYPES = {"person", "org", "unit", "outlet"}
MIN_WORDS = 2
LOOKBACK = 600  # chars before a quote in which the last named speaker is sought


def _speakers(mentions: tuple[Mention, ...], start: int, end: int) -> list[Mention]:
    return [m for m in mentions if start <= m.start < end and m.type in SPEAKER_TYPES]


def _speech_near(text: str, a: int, b: int, res: LangRes) -> bool:
    words = set(re.findall(r"\w+", text[a:b].lower()))
    return bool(words & res.speech_verbs) or bool(res.rx("according_to") and res.rx("according_to").search(text[a:b]))


def _speaker_for(report: Report, qs: int, qe: int, sent: tuple[int, int], res: LangRes) -> Mention | None:
    """The speaker of a quote: a named speaker in the same sentence with a verb of saying,
    else the last person named shortly before it (the quote continues their words)."""
    text, mentions = report.text, report.mentions
    inside = [m for m in _speakers(mentions, sent[0], sent[1]) if not (qs <= m.start < qe)]
    if inside:
        people = [m for m in inside if m.type == "person"] or inside
        if _speech_near(text, sent[0], sent[1], res) or len(people) == 1:
            return min(people, key=lambda m: min(abs(m.start - qs), abs(m.start - qe)))
    before = [m for m in _speakers(mentions, max(0, qs - LOOKBACK), sent[0]) if m.type == "person"]
    return before[-1] if before else None


def _direct(report: Report, res: LangRes, sents: list[tuple[int, int]]) -> list[Quote]:
    out = []
    for m in QUOTE.finditer(report.text):
        g = next(i for i in range(1, 8) if m.group(i) is not None)
        body, qs, qe = m.group(g), m.start(g), m.end(g)
        if len(body.split()) < MIN_WORDS:
            continue
        sent = next(((s, e) for s, e in sents if s <= m.start() < e), (m.start(), m.end()))
        sent = (sent[0], max(sent[1], m.end()))
        sp = _speaker_for(report, qs, qe, sent, res)
        out.append(Quote(body, qs, qe, sp.name if sp else None, sp.entity_id if sp else None, "direct"))
    return out


def _indirect(report: Report, res: LangRes, sents: list[tuple[int, int]], direct: list[Quote]) -> list[Quote]:
    """'volgens X, ...' / 'X zei dat ...' / '..., aldus X': the sentence, attributed to X."""
    text = report.text
    out = []
    acc, acc_after = res.rx("according_to"), res.rx("according_to_after")
    for s, e in sents:
        if any(q.start < e and q.end > s for q in direct):
            continue
        sent = text[s:e]
        speakers = _speakers(report.mentions, s, e)
        if not speakers:
            continue
        chosen = None
        for rx in (acc, acc_after):
            if rx is None:
                continue
            for m in rx.finditer(sent):
                after = [x for x in speakers if 0 <= x.start - (s + m.end()) <= 60]
                before = [x for x in speakers if 0 <= (s + m.start()) - x.end <= 60]
                pick = (after[:1] if rx is acc else before[-1:]) or after[:1]
                if pick:
                    chosen = pick[0]
                    break
            if chosen:
                break
        if chosen is None:
            for x in speakers:
                if x.type != "person":
                    continue
                follow = re.findall(r"\w+", text[x.end:min(e, x.end + 40)].lower())[:3]
                if set(follow) & res.speech_verbs:
                    chosen = x
                    break
        if chosen is not None:
            out.append(Quote(sent, s, e, chosen.name, chosen.entity_id, "indirect"))
    return out


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    sents = sentences(report.text)
    direct = _direct(report, res, sents)
    quotes = direct + _indirect(report, res, sents, direct)
    return replace(report, quotes=tuple(sorted(quotes, key=lambda q: q.start)))
