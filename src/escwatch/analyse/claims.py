"""Claims stage: each clause is a proposition with a modality (asserted, reported, hedged,
speculative, denied) and, where the text says so, who it is attributed to.

"zou gewaarschuwd hebben" is hearsay (reported), not a fact; "zou een signaal kunnen zijn" is
speculative; "gelooft niet dat" is a denial. Sentences are split at contrastive conjunctions
(", maar", ", but", ", но") so that "X is a signal, but Muzyka does not believe Y" gives two claims.
"""

from __future__ import annotations

import re
from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.lang import LangRes
from escwatch.records import Claim, Report

ORDER = ("speculative", "reported", "denied", "hedged")  # the first cue found wins
# a verb of saying followed by a complement clause: "X said that ...", "рассказал, что ..."
COMPLEMENT = re.compile(r",?\s*(?:\w+\s+){0,2}?(?:that|dat|dass|que|qu['’]|że|iż|что|чтобы|що|щоб)\b", re.IGNORECASE)
WORD = re.compile(r"\w+")
MIN_WORDS = 4
CONTRAST = re.compile(r"[,;]\s+(?=(?:maar|but|aber|doch|mais|ale|lecz|но|однако|але|проте|однак)\b)", re.IGNORECASE)


def clauses(text: str) -> list[tuple[int, int]]:
    out = []
    for s, e in sentences(text):
        start = s
        for m in CONTRAST.finditer(text, s, e):
            out.append((start, m.start()))
            start = m.end()
        out.append((start, e))
    return [(s, e) for s, e in out if len(text[s:e].split()) >= MIN_WORDS]


def _said_that(text: str, s: int, e: int, res: LangRes) -> tuple[str, str] | None:
    """(verb, "verb that") for the first verb of saying in text[s:e] followed by a complement clause."""
    for a, b in res.speech_verbs_in(text, s, e):
        if c := COMPLEMENT.match(text, b, e):
            return text[a:b], text[a:c.end()]
    return None


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    text = report.text
    out = []
    for s, e in clauses(text):
        sent = text[s:e]
        modality, cue = "asserted", None
        said = _said_that(text, s, e, res)
        cues = res.scan((*ORDER, "denied_verbs"), text, s, e)
        for mod in ORDER:
            m = next(iter(cues.get(mod, ())), None)
            if mod == "reported" and said and not m:
                # "X said that ..." is reported, unless the main verb itself is negated ("gelooft niet dat")
                d = next(iter(cues.get("denied", ())), None)
                if d and d.start() - s <= sent.find(said[0]):
                    modality, cue = "denied", d.group()
                else:
                    modality, cue = mod, said[1]
                break
            if m:
                modality, cue = mod, m.group()
                break
        if modality == "reported" and (d := next(iter(cues.get("denied_verbs", ())), None)):
            modality, cue = "denied", d.group()  # "the agency said ... and denied that ...": a denial
        quoted = [q for q in report.quotes if q.speaker and q.start < e and q.end > s]
        speaker = next((q.speaker for q in quoted), None)
        if modality == "asserted" and any(q.kind == "direct" for q in quoted):
            modality, cue = "reported", "quoted"
        out.append(Claim(sent, s, e, modality, speaker, cue))
    return replace(report, claims=tuple(out))
