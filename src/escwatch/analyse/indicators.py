"""Indicators stage: the pack's nuclear-signalling indicators, each fired by a rule whose roles
(actor, action, place, ...) all match inside one sentence, with its evidence span and confidence."""

from __future__ import annotations

from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.records import IndicatorHit, Report


def run(report: Report, ctx: Context) -> Report:
    text, lang = report.text, report.language
    hits: list[IndicatorHit] = []
    for s, e in sentences(text):
        sent = text[s:e]
        ids_here = {m.entity_id: m.text for m in report.mentions if s <= m.start < e}
        for ind in ctx.pack.indicators.values():
            matched: dict[str, str | None] = {}  # role -> matched text (None: tried, no match)

            def fill(name: str) -> bool:
                if name not in matched:
                    role = ind.roles[name]
                    ent = next((ids_here[i] for i in role.entities if i in ids_here), None)
                    m = None if ent else role.search(sent, lang)
                    matched[name] = ent or (m.group() if m else None)
                return matched[name] is not None

            best = max((r for r in ind.rules if all(fill(x) for x in r.require)), key=lambda r: r.confidence,
                       default=None)
            if best:
                for name in ind.roles:  # record every role present, for the explanation
                    fill(name)
                hits.append(IndicatorHit(ind.id, best.confidence, sent, s, e,
                                         tuple((k, v) for k, v in matched.items() if v is not None)))
    return replace(report, indicators=tuple(hits))
