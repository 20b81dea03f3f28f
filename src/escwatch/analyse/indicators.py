"""Indicators stage: the pack's nuclear-signalling indicators, each fired by a rule whose roles
(actor, action, place, ...) all match inside one sentence, with its evidence span and confidence."""

from __future__ import annotations

from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.packs import Role
from escwatch.records import IndicatorHit, Report


def _fill(role: Role, sent: str, lang: str | None, ids_here: dict[str, str]) -> str | None:
    """The text that fills a role in a sentence: an entity mention of the role's ids, else a pattern match."""
    ent = next((ids_here[i] for i in role.entities if i in ids_here), None)
    if ent:
        return ent
    m = role.search(sent, lang)
    return m.group() if m else None


def run(report: Report, ctx: Context) -> Report:
    text, lang = report.text, report.language
    hits: list[IndicatorHit] = []
    for s, e in sentences(text):
        sent = text[s:e]
        ids_here = {m.entity_id: m.text for m in report.mentions if s <= m.start < e}
        for ind in ctx.pack.indicators.values():
            matched: dict[str, str | None] = {}  # role -> matched text; None: tried, no match
            best = None
            for rule in ind.rules:  # roles are tried lazily: most sentences fail the first one
                ok = True
                for name in rule.require:
                    if name not in matched:
                        matched[name] = _fill(ind.roles[name], sent, lang, ids_here)
                    if matched[name] is None:
                        ok = False
                        break
                if ok and (best is None or rule.confidence > best.confidence):
                    best = rule
            if best:
                for name, role in ind.roles.items():  # record every role present, for the explanation
                    if name not in matched:
                        matched[name] = _fill(role, sent, lang, ids_here)
                hits.append(IndicatorHit(ind.id, best.confidence, sent, s, e,
                                         tuple((k, v) for k, v in matched.items() if v is not None)))
    return replace(report, indicators=tuple(hits))
