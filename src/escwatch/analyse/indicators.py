"""Indicators stage: the pack's nuclear-signalling indicators, each fired by a rule whose roles
(actor, action, place, ...) all match inside one sentence, with its evidence span and confidence."""

from __future__ import annotations

from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.records import IndicatorHit, Report


def run(report: Report, ctx: Context) -> Report:
    text = report.text
    hits: list[IndicatorHit] = []
    for s, e in sentences(text):
        sent = text[s:e]
        ids_here = {m.entity_id: m.text for m in report.mentions if s <= m.start < e}
        for ind in ctx.pack.indicators.values():
            matched: dict[str, str] = {}
            for role in ind.roles.values():
                ent = next((ids_here[i] for i in role.entities if i in ids_here), None)
                if ent:
                    matched[role.name] = ent
                    continue
                for rx in role.patterns:
                    m = rx.search(sent)
                    if m:
                        matched[role.name] = m.group()
                        break
            best = max((r for r in ind.rules if all(x in matched for x in r.require)),
                       key=lambda r: r.confidence, default=None)
            if best:
                hits.append(IndicatorHit(ind.id, best.confidence, sent, s, e,
                                         tuple((k, v) for k, v in matched.items())))
    return replace(report, indicators=tuple(hits))
