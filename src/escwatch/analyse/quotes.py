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

from escwatch.analyse.context import Context
from escwatch.analyse.text import finditer_at, sentences
from escwatch.lang import ATTRIBUTION_KEYS, LangRes
from escwatch.records import Mention, Quote, Report, replace

QUOTE = re.compile(r"„([^“”\"\n]{3,}?)[“”\"]|«([^»\n]{3,}?)»|“([^”\n]{3,}?)”|‘([^’\n]{6,}?)’(?!\w)|"
                   r"(?<![\w])\"([^\"\n]{3,}?)\"|‚([^‘’\n]{3,}?)[‘’]|”([^”\n]{3,}?)”|"
                   r"(?m:(?:^|(?<=[.!?\"”»] ))[ \t]*[-–—][ \t]+([^\n]{8,}?)[ \t]+[-–—](?=[ \t]+\w))")
SPEAKER_TYPES = {"person", "org", "unit", "outlet"}
MIN_WORDS = 2
LOOKBACK = 600  # chars before a quote in which an earlier speaker is sought
WORD = re.compile(r"\w+")
MARKS = ("according_to", "according_to_after")


class _Doc:
    """One report with the lookups its quotes are attributed by, built once: sentences and their bounds,
    and the speaker mentions by start (None when they are out of order)."""

    __slots__ = ("_speaker_starts", "_speakers", "marks", "mentions", "res", "sent_ends", "sent_starts", "sents",
                 "text")

    def __init__(self, report: Report, res: LangRes) -> None:
        self.text, self.mentions, self.res = report.text, report.mentions, res
        self.marks = res.scanner(ATTRIBUTION_KEYS).by_label_in  # res.scan(ATTRIBUTION_KEYS, ...), looked up once
        self.sents = sentences(report.text)
        self.sent_starts = [s for s, _ in self.sents]
        self.sent_ends = [e for _, e in self.sents]
        speakers = [m for m in self.mentions if m.type in SPEAKER_TYPES]
        starts = [m.start for m in speakers]
        self._speakers: list[Mention] | None = None
        self._speaker_starts: list[int] = []
        if starts == sorted(starts):  # the entities stage sorts the mentions
            self._speakers, self._speaker_starts = speakers, starts

    def speakers(self, start: int, end: int, people_only: bool = False) -> list[Mention]:
        """The speaker mentions starting in [start, end), in mention order."""
        if self._speakers is None:
            found = [m for m in self.mentions if start <= m.start < end and m.type in SPEAKER_TYPES]
        else:
            starts = self._speaker_starts
            found = self._speakers[bisect_left(starts, start):bisect_left(starts, end)]
        return [m for m in found if m.type == "person"] if people_only else found


def _verb_at(doc: _Doc, a: int, b: int) -> int | None:
    """Offset of the first verb of saying (or according-to marker) in text[a:b]."""
    verbs = doc.res.speech_verbs_in(doc.text, a, b)
    marks = doc.marks(doc.text, a, b).get("according_to")
    if not marks:
        return verbs[0][0] if verbs else None
    return min(verbs[0][0], marks[0].start()) if verbs else marks[0].start()


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


def _subject_before(doc: _Doc, pos: int) -> Mention | None:
    """The first person named in the nearest earlier sentence that names one (ending within LOOKBACK)."""
    ends = doc.sent_ends
    for k in reversed(range(bisect_right(ends, pos - LOOKBACK), bisect_right(ends, pos))):
        people = doc.speakers(*doc.sents[k], people_only=True)
        if people:
            return people[0]
    return None


def _attribute(doc: _Doc, qs: int, qe: int, sent: tuple[int, int], last: Quote | None) -> Mention | None:
    text, mentions = doc.text, doc.mentions
    outside = [m for m in doc.speakers(sent[0], sent[1]) if not (qs <= m.start < qe)]
    verb = _verb_at(doc, qe, sent[1])
    if verb is None:
        verb = _verb_at(doc, sent[0], qs)
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
        if not doc.res.titles.isdisjoint(lead):
            return _main_person(mentions, qs)
    subject = _subject_before(doc, sent[0])
    if subject is None and last is not None and last.speaker_id and qs - last.end <= LOOKBACK:
        return next((m for m in mentions if m.entity_id == last.speaker_id), None)
    return subject


QUOTE_OPEN = re.compile(r"[„«“‘\"‚”–—-]")  # an opening quote mark or a dash
DASHES = "-–—"


def _quote_starts(text: str) -> list[int]:
    """Every position a QUOTE match can start at, ascending: an opening quote mark, or a dash with the spaces
    and tabs right before it (a dialogue dash)."""
    found: list[int] = []
    for m in QUOTE_OPEN.finditer(text):
        d = q = m.start()
        if text[d] in DASHES:
            while q > 0 and text[q - 1] in " \t":
                q -= 1
            found.extend(range(q, d + 1))
        else:
            found.append(d)
    return found


def _direct(doc: _Doc) -> list[Quote]:
    out: list[Quote] = []
    text, sents = doc.text, doc.sents
    for m in finditer_at(QUOTE, text, _quote_starts(text)):
        g = m.lastindex or 0  # the one group that took part
        body = m.group(g)
        if len(body.split(maxsplit=MIN_WORDS - 1)) < MIN_WORDS:
            continue
        qs, qe = m.span(g)
        k = bisect_right(doc.sent_starts, m.start()) - 1  # the sentence the quote starts in
        sent = sents[k] if k >= 0 and m.start() < sents[k][1] else (m.start(), m.end())
        sent = (sent[0], max(sent[1], m.end()))
        sp = _attribute(doc, qs, qe, sent, out[-1] if out else None)
        out.append(Quote(body, qs, qe, sp.name if sp else None, sp.entity_id if sp else None, "direct"))
    return out


def _lead(text: str, s: int, e: int, n: int) -> list[str]:
    """The first n words of text[s:e], lower-cased (read from a prefix of it when that has more than n)."""
    b = min(e, s + 12 * n)
    words = WORD.findall(text, s, b)
    if len(words) <= n and b < e:
        words = WORD.findall(text, s, e)
    return [w.lower() for w in words[:n]]


def _title_says(text: str, s: int, e: int, res: LangRes) -> bool:
    """text[s:e] has a title in its first 4 words and a verb of saying in its first 8 ("the Russian leader
    stressed"). Most sentences have no verb of saying at all, which the text's table of them tells first."""
    if not res.speech_verbs_in(text, s, e):
        return False
    return not res.titles.isdisjoint(_lead(text, s, e, 4)) and any(map(res.is_speech_verb, _lead(text, s, e, 8)))


def _marked(doc: _Doc, s: int, e: int, speakers: list[Mention]) -> Mention | None:
    """The speaker by an according-to marker in text[s:e]: "volgens X" (after it), "..., aldus X" (before it,
    else after it)."""
    marks = doc.marks(doc.text, s, e)  # both kinds in one pass
    for key in MARKS:
        for m in marks.get(key, ()):
            ms, me = m.span()
            if key == "according_to_after":
                before = [x for x in speakers if 0 <= ms - x.end <= 60]
                if before:
                    return before[-1]
            after = next((x for x in speakers if 0 <= x.start - me <= 60), None)
            if after is not None:
                return after
    return None


def _indirect(doc: _Doc, direct: list[Quote]) -> list[Quote]:
    """'volgens X, ...' / 'X zei dat ...' / '..., aldus X' / 'the Russian leader stressed that ...'."""
    text, res = doc.text, doc.res
    covered: set[int] = set()  # the sentences a direct quote overlaps
    for q in direct:
        covered.update(range(bisect_right(doc.sent_ends, q.start), bisect_left(doc.sent_starts, q.end)))
    out = []
    for k, (s, e) in enumerate(doc.sents):
        if k in covered:
            continue
        speakers = doc.speakers(s, e)
        chosen = _marked(doc, s, e, speakers) if speakers else None
        if chosen is None:  # "X said that ..." / "подчеркнул Володин, ..." / "sagte Peskow"
            for x in speakers:
                if x.type != "person":
                    continue
                follow = WORD.findall(text, x.end, min(e, x.end + 60))[:4]  # as on the slice, not copying it
                precede = WORD.findall(text, max(s, x.start - 40), x.start)[-2:]
                if any(map(res.is_speech_verb, follow)) or any(map(res.is_speech_verb, precede)):
                    chosen = x
                    break
        if chosen is None and not speakers and _title_says(text, s, e, res):
            chosen = _main_person(doc.mentions, s)
        if chosen is not None:
            out.append(Quote(text[s:e], s, e, chosen.name, chosen.entity_id, "indirect"))
    return out


def run(report: Report, ctx: Context) -> Report:
    doc = _Doc(report, ctx.lang(report.language))
    direct = _direct(doc)
    quotes = direct + _indirect(doc, direct)
    return replace(report, quotes=tuple(sorted(quotes, key=lambda q: q.start)))
