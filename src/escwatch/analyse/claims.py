"""Claims stage: each sentence is a proposition with a modality (asserted, reported, hedged,
speculative, denied) and, where the text says so, who it is attributed to.

"zou gewaarschuwd hebben" is hearsay (reported), not a fact; "zou een signaal kunnen zijn" is
speculative; "gelooft niet dat" is a denial.
"""

from __future__ import annotations

from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.records import Claim, Report

ORDER = ("denied", "speculative", "reported", "hedged")  # first cue found wins
MIN_WORDS = 4


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    text = report.text
    quotes = report.quotes
    out = []
    for s, e in sentences(text):
        sent = text[s:e]
        if len(sent.split()) < MIN_WORDS:
            continue
        modality, cue = "asserted", None
        for mod in ORDER:
            rx = res.rx(mod)
            m = rx.search(sent) if rx else None
            if m:
                modality, cue = mod, m.group()
                break
        speaker = next((q.speaker for q in quotes if q.speaker and q.start < e and q.end > s), None)
        if speaker and modality == "asserted":
            modality, cue = "reported", "quoted"
        out.append(Claim(sent, s, e, modality, speaker, cue))
    return replace(report, claims=tuple(out))
